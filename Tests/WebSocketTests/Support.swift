@testable import WebSocket

/// A masked client frame as a browser would send it.
func clientFrame(_ opcode: WebSocketOpcode, _ payload: [UInt8] = [], fin: Bool = true,
                 key: WebSocketMaskingKey = WebSocketMaskingKey(0x37, 0xFA, 0x21, 0x3D)) -> [UInt8] {
    var bytes: [UInt8] = []
    WebSocketFrameEncoder(role: .client).encode(fin: fin, opcode: opcode, payload: payload, maskingKey: key, into: &bytes)
    return bytes
}

/// A masked client text frame.
func clientText(_ text: String, fin: Bool = true) -> [UInt8] {
    clientFrame(.text, Array(text.utf8), fin: fin)
}

/// A masked client close frame with `code` and `reason`.
func clientClose(_ code: UInt16, _ reason: String = "") -> [UInt8] {
    clientFrame(.close, [UInt8(code >> 8), UInt8(code & 0xFF)] + Array(reason.utf8))
}

/// Server bytes for a close frame with `code` (what the connection should send back).
func serverClose(_ code: UInt16) -> [UInt8] {
    [0x88, 0x02, UInt8(code >> 8), UInt8(code & 0xFF)]
}

/// Feeds `bytes` to a fresh connection in one call.
func receiveWhole(_ bytes: [UInt8], maxMessageLength: Int = 1 << 20) -> [WebSocketConnection.Event] {
    var connection = WebSocketConnection(maxMessageLength: maxMessageLength)
    return connection.receive(bytes)
}

/// Feeds `bytes` to a fresh connection in one call, then asks for the close reply (as the transport does on
/// `.closed`).
func receiveAndAnswerClose(_ bytes: [UInt8]) -> (events: [WebSocketConnection.Event], reply: [UInt8]?) {
    var connection = WebSocketConnection()
    let events = connection.receive(bytes)
    return (events, connection.answerClose())
}

/// Feeds `bytes` to a fresh connection one byte per call, collecting all events.
func receiveByteByByte(_ bytes: [UInt8], maxMessageLength: Int = 1 << 20) -> [WebSocketConnection.Event] {
    var connection = WebSocketConnection(maxMessageLength: maxMessageLength)
    var events: [WebSocketConnection.Event] = []
    for byte in bytes { events += connection.receive([byte]) }
    return events
}

/// Decodes `bytes` as a server (expecting masked frames), returning frames or the error.
func decodeServerSide(_ bytes: [UInt8], maxPayloadLength: Int = 1 << 20) -> Result<[WebSocketFrame], WebSocketError> {
    var decoder = WebSocketFrameDecoder(role: .server, maxPayloadLength: maxPayloadLength)
    do {
        return .success(try decoder.decodeAll(bytes))
    } catch {
        return .failure(error)
    }
}
