// libFuzzer target: the frame decoder (either role) and the encoder.
// Input: one control byte (role, length limit, chunking seed), then wire bytes.
// Invariants: chunked decoding yields the same frames and error as decoding at once; every decoded frame
// obeys the header rules; re-encoding a decoded frame and decoding it again gives the same frame.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWebSocketFrames(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let control = data[0]
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let role: WebSocketRole = control & 1 == 0 ? .server : .client
    let limit = control & 2 == 0 ? 1 << 20 : Int(control >> 2) * 8

    func decode(_ pieces: [[UInt8]]) -> ([WebSocketFrame], WebSocketError?, Bool) {
        var decoder = WebSocketFrameDecoder(role: role, maxPayloadLength: limit)
        var frames: [WebSocketFrame] = []
        do {
            for piece in pieces {
                var offset = 0
                while let frame = try decoder.decodeNext(piece, consumed: &offset) { frames.append(frame) }
                invariant(offset == piece.count, "decoder stopped early without a frame")
            }
        } catch {
            return (frames, error, false)
        }
        return (frames, nil, decoder.isAtFrameBoundary)
    }
    let whole = decode([bytes])
    let chunked = decode(chunks(of: bytes, seed: control >> 2))
    invariant(whole.0 == chunked.0, "frames differ between whole and chunked decoding")
    invariant(whole.1 == chunked.1, "errors differ: \(String(describing: whole.1)) vs \(String(describing: chunked.1))")
    invariant(whole.2 == chunked.2, "boundary state differs")

    let encoder = WebSocketFrameEncoder(role: role == .server ? .client : .server)
    for frame in whole.0 {
        invariant(frame.reservedBits == 0, "frame with reserved bits decoded")
        invariant((frame.maskingKey != nil) == (role == .server), "masking rule broken")
        if frame.opcode.isControl {
            invariant(frame.fin && frame.payload.count <= 125, "invalid control frame decoded")
        } else {
            invariant(frame.payload.count <= limit, "frame over the limit decoded")
        }
        var again = WebSocketFrameDecoder(role: role, maxPayloadLength: limit)
        let decoded = try? again.decodeAll(encoder.encode(frame))
        invariant(decoded == [frame], "re-encoded frame does not round-trip")
    }
    return 0
}
