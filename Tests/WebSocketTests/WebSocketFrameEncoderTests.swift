import Testing
@testable import WebSocket

@Suite struct WebSocketFrameEncoderTests {
    @Test func serverFramesAreUnmaskedAsInRfcExample() {
        let bytes = WebSocketFrameEncoder(role: .server).encode(WebSocketFrame(opcode: .text, payload: Array("Hello".utf8)))
        #expect(bytes == [0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F])
    }

    @Test func serverIgnoresMaskingKey() {
        let frame = WebSocketFrame(opcode: .text, maskingKey: WebSocketMaskingKey(1, 2, 3, 4), payload: [0x41])
        #expect(WebSocketFrameEncoder(role: .server).encode(frame) == [0x81, 0x01, 0x41])
    }

    @Test func clientFramesAreMaskedAsInRfcExample() {
        let frame = WebSocketFrame(opcode: .text, maskingKey: WebSocketMaskingKey(0x37, 0xFA, 0x21, 0x3D), payload: Array("Hello".utf8))
        #expect(WebSocketFrameEncoder(role: .client).encode(frame) == [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58])
    }

    @Test func clientWithoutKeyStillMasks() throws {
        let bytes = WebSocketFrameEncoder(role: .client).encode(WebSocketFrame(opcode: .binary, payload: [1, 2, 3]))
        #expect(bytes[1] & 0x80 != 0)
        var decoder = WebSocketFrameDecoder(role: .server)
        let r30 = try decoder.decodeAll(bytes)
        #expect(r30.first?.payload == [1, 2, 3])
    }

    @Test(arguments: [0, 1, 125, 126, 65535, 65536, 100_000])
    func lengthEncodingRoundTrips(length: Int) throws {
        let payload = (0 ..< length).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let bytes = WebSocketFrameEncoder(role: .server).encode(WebSocketFrame(opcode: .binary, payload: payload))
        let headerLength = length < 126 ? 2 : (length <= 65535 ? 4 : 10)
        #expect(bytes.count == headerLength + length)
        var decoder = WebSocketFrameDecoder(role: .client, maxPayloadLength: .max)
        let r31 = try decoder.decodeAll(bytes)
        #expect(r31 == [WebSocketFrame(opcode: .binary, payload: payload)])
        // Masked round trip exercises the word-at-a-time masking at every length.
        var server = WebSocketFrameDecoder(role: .server, maxPayloadLength: .max)
        let masked = WebSocketFrameEncoder(role: .client).encode(WebSocketFrame(opcode: .binary, maskingKey: .random(), payload: payload))
        let r32 = try server.decodeAll(masked)
        #expect(r32.first?.payload == payload)
    }

    @Test func maskingTwiceRestoresPayload() {
        let key = WebSocketMaskingKey(9, 8, 7, 6)
        let original = (0 ..< 37).map { UInt8($0) }
        var bytes = original
        key.apply(to: &bytes, range: 0 ..< 37, offset: 0)
        #expect(bytes != original)
        key.apply(to: &bytes, range: 0 ..< 37, offset: 0)
        #expect(bytes == original)
    }

    @Test func piecewiseMaskingWithOffsetEqualsWholeMasking() {
        let key = WebSocketMaskingKey(0xDE, 0xAD, 0xBE, 0xEF)
        let original = (0 ..< 50).map { UInt8($0) }
        var whole = original
        key.apply(to: &whole, range: 0 ..< 50, offset: 0)
        var pieces = original
        key.apply(to: &pieces, range: 0 ..< 13, offset: 0)
        key.apply(to: &pieces, range: 13 ..< 50, offset: 13)
        #expect(pieces == whole)
    }
}
