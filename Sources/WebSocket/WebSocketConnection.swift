/// The server side of one WebSocket connection as a pure protocol state machine (no sockets, no
/// threads): the transport feeds it the bytes it read and writes out the bytes it is handed.
///
/// ```swift
/// for event in connection.receive(bytesRead) {
///     switch event {
///     case .text(let s): app.onText(s)
///     case .binary(let b): app.onBinary(b)
///     case .ping, .pong: break                  // pongs already answered via .send
///     case .send(let frame): socket.write(frame) // pong, close on failure
///     case .closed:                               // after the messages before it were handled
///         if let reply = connection.answerClose() { socket.write(reply) }
///         socket.flushAndClose()
///     case .fail: socket.flushAndClose()
///     }
/// }
/// if let frame = connection.sendText("hi") { socket.write(frame) }
/// ```
///
/// States: `open` → `closing` (we sent a close frame and await the peer's) → `closed`, or `open` →
/// `closeReceived` (the peer's close frame arrived, ours is not sent yet) → `closed`. A close frame from
/// the peer ends the input (bytes after it are discarded) and reports `.closed` after every message that
/// preceded it, in order (RFC 6455 §5.5.1: those are part of the message stream). The reply is not an
/// event: the transport asks for it with `answerClose()` when it reaches `.closed`, so replies the
/// application sends while handling the earlier messages of the same read still go out before it (after
/// our close frame no data frame may be sent). Any protocol violation produces `.send(close frame with
/// the code)` (unless a close was already sent) followed by `.fail(code)`. Once closed, input is ignored
/// and sends return `nil`.
public struct WebSocketConnection: Sendable {
    /// Where the closing handshake stands.
    public enum State: Sendable, Equatable {
        /// Messages flow both ways.
        case open
        /// We sent a close frame and wait for the peer's; incoming messages are still delivered.
        case closing
        /// The peer's close frame arrived and ours is not sent yet (`answerClose()` sends it): input is
        /// over, messages may still be sent.
        case closeReceived
        /// The closing handshake is over (or the connection failed): close the socket.
        case closed
    }

    /// What `receive` found in the bytes, in order.
    public enum Event: Sendable, Equatable {
        /// A complete, valid UTF-8 text message.
        case text(String)
        /// A complete binary message.
        case binary([UInt8])
        /// A ping arrived with this payload; the pong is already in a `.send` that follows.
        case ping([UInt8])
        /// A pong arrived with this payload (the answer to `sendPing`, for liveness tracking).
        case pong([UInt8])
        /// The peer closed with this code (1005 when its close frame was empty) and reason; every message
        /// before its close frame was reported first. Write `answerClose()` (when not `nil`), then close
        /// the socket.
        case closed(WebSocketCloseCode, String)
        /// Frame bytes to write to the socket, in order with other sends.
        case send([UInt8])
        /// The peer broke the protocol; the close frame (if any) is in a preceding `.send`. Close the
        /// socket after writing it.
        case fail(WebSocketCloseCode)
    }

    /// The current closing-handshake state.
    public private(set) var state: State = .open
    /// The code `answerClose()` sends back (set when the peer's close frame arrives).
    private var peerCloseCode: WebSocketCloseCode = .normalClosure
    var decoder: WebSocketFrameDecoder
    var assembler: WebSocketMessageAssembler
    let encoder = WebSocketFrameEncoder(role: .server)

    /// Creates an open connection refusing messages longer than `maxMessageLength` bytes (default 1 MiB,
    /// close code 1009).
    public init(maxMessageLength: Int = 1 << 20) {
        decoder = WebSocketFrameDecoder(role: .server, maxPayloadLength: maxMessageLength)
        assembler = WebSocketMessageAssembler(maxMessageLength: maxMessageLength)
    }

    /// The message size limit in bytes.
    public var maxMessageLength: Int { assembler.maxMessageLength }

    /// Bytes held for a message not yet complete: the fragments assembled so far plus the payload of the
    /// data frame still arriving. A server budgets this across its connections.
    public var partialMessageBytes: Int {
        assembler.buffer.count + (isReceivingDataFrame ? decoder.payload.count : 0)
    }

    /// Whether a message has begun and not ended: a fragmented message in progress, or a data frame
    /// whose payload is still arriving. A server bounds how long this may last.
    public var isReceivingMessage: Bool { assembler.isAssembling || isReceivingDataFrame }

    private var isReceivingDataFrame: Bool {
        guard let opcode = decoder.opcodeOfFrameInProgress else { return false }
        return !opcode.isControl
    }

    /// Processes bytes read from the socket and returns what happened, in order.
    public mutating func receive(_ bytes: [UInt8]) -> [Event] {
        var events: [Event] = []
        bytes.withUnsafeBytes { receive($0, into: &events) }
        return events
    }

    /// Processes bytes read from the socket, appending events to `events` (lets the caller reuse one
    /// array across reads).
    public mutating func receive(_ bytes: UnsafeRawBufferPointer, into events: inout [Event]) {
        guard state == .open || state == .closing else { return }
        var offset = 0
        do {
            while state == .open || state == .closing {
                decoder.maxPayloadLength = assembler.remainingCapacity
                guard let frame = try decoder.decodeNext(bytes, consumed: &offset) else {
                    if let opcode = decoder.opcodeOfFrameInProgress, !opcode.isControl {
                        try assembler.inspectPartialFrame(opcode: opcode, payloadSoFar: decoder.payload)
                    }
                    return
                }
                try handle(frame, into: &events)
            }
        } catch {
            fail(error, into: &events)
        }
    }

    private mutating func handle(_ frame: WebSocketFrame, into events: inout [Event]) throws(WebSocketError) {
        switch frame.opcode {
        case .text, .binary, .continuation:
            switch try assembler.append(frame) {
            case .text(let string): events.append(.text(string))
            case .binary(let bytes): events.append(.binary(bytes))
            case nil: break
            }
        case .ping:
            events.append(.ping(frame.payload))
            if state == .open {
                var pong: [UInt8] = []
                encoder.encode(opcode: .pong, payload: frame.payload, into: &pong)
                events.append(.send(pong))
            }
        case .pong:
            events.append(.pong(frame.payload))
        case .close:
            let payload = try WebSocketClosePayload.parse(frame.payload)
            if state == .open {
                state = .closeReceived
                peerCloseCode = payload.code ?? .normalClosure
            } else {
                state = .closed
            }
            events.append(.closed(payload.code ?? .noStatusReceived, payload.reason))
        }
    }

    private mutating func fail(_ error: WebSocketError, into events: inout [Event]) {
        let code = error.closeCode
        if state == .open {
            var bytes: [UInt8] = []
            encoder.encode(opcode: .close, payload: WebSocketClosePayload(code: code).encoded, into: &bytes)
            events.append(.send(bytes))
        }
        state = .closed
        events.append(.fail(code))
    }

    /// The close frame answering the peer's (with its code, 1000 when it carried none), once: `nil` unless
    /// the peer's close frame arrived before we sent ours. The state becomes `closed`.
    public mutating func answerClose() -> [UInt8]? {
        guard state == .closeReceived else { return nil }
        state = .closed
        var bytes: [UInt8] = []
        encoder.encode(opcode: .close, payload: WebSocketClosePayload(code: peerCloseCode).encoded, into: &bytes)
        return bytes
    }

    /// Whether data frames may still be sent: before our close frame.
    private var canSendData: Bool { state == .open || state == .closeReceived }

    /// Frame bytes for a text message, or `nil` once a close frame was sent or the connection closed.
    public mutating func sendText(_ text: String) -> [UInt8]? {
        guard canSendData else { return nil }
        var text = text
        var bytes: [UInt8] = []
        text.withUTF8 { utf8 in
            bytes.reserveCapacity(utf8.count + 10)
            encoder.encode(opcode: .text, payload: UnsafeRawBufferPointer(utf8), into: &bytes)
        }
        return bytes
    }

    /// Frame bytes for a binary message, or `nil` once a close frame was sent or the connection closed.
    public mutating func sendBinary(_ data: [UInt8]) -> [UInt8]? {
        guard canSendData else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(data.count + 10)
        encoder.encode(opcode: .binary, payload: data, into: &bytes)
        return bytes
    }

    /// Frame bytes for a ping (payload cut to 125 bytes), or `nil` unless open. The peer's pong comes
    /// back as `.pong(payload)`.
    public mutating func sendPing(_ payload: [UInt8] = []) -> [UInt8]? {
        guard state == .open else { return nil }
        var bytes: [UInt8] = []
        encoder.encode(opcode: .ping, payload: Array(payload.prefix(125)), into: &bytes)
        return bytes
    }

    /// Frame bytes starting the closing handshake (reason cut to 123 bytes), or `nil` unless open.
    /// The state becomes `closing`; the peer's reply arrives as `.closed`. Use 1001 on shutdown and
    /// 1008/1013 to drop a slow consumer.
    public mutating func close(code: WebSocketCloseCode = .normalClosure, reason: String = "") -> [UInt8]? {
        guard state == .open else { return nil }
        state = .closing
        var bytes: [UInt8] = []
        encoder.encode(opcode: .close, payload: WebSocketClosePayload(code: code, reason: reason).encoded, into: &bytes)
        return bytes
    }
}
