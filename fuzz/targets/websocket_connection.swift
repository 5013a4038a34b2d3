// libFuzzer target: the server-side WebSocket connection state machine.
// Input: one control byte (message limit, chunking seed), then the bytes a client sends.
// Invariants: feeding in chunks gives exactly the events of feeding at once; at most one terminal event
// and it comes last; failures use 1002/1007/1009; every frame the server sends is a valid unmasked
// pong or close frame; nothing is reported after the connection closed or the peer's close arrived; after the
// peer's close, `answerClose()` gives one valid close frame and then nothing more may be sent.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWebSocketConnection(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let control = data[0]
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let limit = control & 1 == 0 ? 1 << 20 : 16 + Int(control >> 1) * 4

    var whole = WebSocketConnection(maxMessageLength: limit)
    let expected = whole.receive(bytes)

    var chunked = WebSocketConnection(maxMessageLength: limit)
    var events: [WebSocketConnection.Event] = []
    for chunk in chunks(of: bytes, seed: control >> 1) {
        chunk.withUnsafeBytes { chunked.receive($0, into: &events) }
    }
    invariant(events == expected, "chunked events \(events) != whole \(expected)")
    invariant(chunked.state == whole.state, "state \(chunked.state) != \(whole.state)")

    for (index, event) in expected.enumerated() {
        switch event {
        case .closed, .fail:
            invariant(index == expected.count - 1, "terminal event before the end: \(expected)")
            if case .closed = event {
                invariant(whole.state == .closed || whole.state == .closeReceived, "close event but state \(whole.state)")
            } else {
                invariant(whole.state == .closed, "failure but state \(whole.state)")
            }
            if case .fail(let code) = event {
                invariant([1002, 1007, 1009].contains(code.rawValue), "unexpected failure code \(code)")
            }
        case .send(let frameBytes):
            var client = WebSocketFrameDecoder(role: .client, maxPayloadLength: .max)
            var offset = 0
            guard let frame = try? client.decodeNext(frameBytes, consumed: &offset) else {
                invariant(false, "server sent an undecodable frame \(frameBytes)")
                return 0
            }
            invariant(offset == frameBytes.count, "send holds more than one frame")
            invariant(frame.opcode == .pong || frame.opcode == .close, "server sent \(frame.opcode)")
            invariant(frame.maskingKey == nil, "server frame is masked")
        case .text(let text):
            invariant(text.utf8.count <= limit, "text message over the limit")
        case .binary(let payload):
            invariant(payload.count <= limit, "binary message over the limit")
        case .ping(let payload), .pong(let payload):
            invariant(payload.count <= 125, "control payload over 125 bytes")
        }
    }
    if whole.state == .closeReceived {
        invariant(whole.receive([0x81, 0x80, 0, 0, 0, 0]).isEmpty, "input after the peer's close still reports events")
        guard let reply = whole.answerClose() else {
            invariant(false, "no close reply after the peer's close")
            return 0
        }
        var client = WebSocketFrameDecoder(role: .client, maxPayloadLength: .max)
        var offset = 0
        let frame = try? client.decodeNext(reply, consumed: &offset)
        invariant(frame?.opcode == .close && frame?.maskingKey == nil && offset == reply.count, "bad close reply \(reply)")
        invariant(whole.state == .closed, "state after answering the close: \(whole.state)")
    }
    if whole.state == .closed {
        invariant(whole.receive([0x81, 0x80, 0, 0, 0, 0]).isEmpty, "closed connection still reports events")
        invariant(whole.sendText("x") == nil, "closed connection still sends")
        invariant(whole.answerClose() == nil, "closed connection answers a close again")
    }
    return 0
}
