import Testing
@testable import WebSocket

@Suite struct WebSocketFrameDecoderTests {
    // RFC 6455 §5.7 examples.

    @Test func rfcSingleFrameUnmaskedTextDecodesAsClient() throws {
        var decoder = WebSocketFrameDecoder(role: .client)
        let frames = try decoder.decodeAll([0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F])
        #expect(frames == [WebSocketFrame(opcode: .text, payload: Array("Hello".utf8))])
    }

    @Test func rfcSingleFrameMaskedTextDecodesAsServer() throws {
        var decoder = WebSocketFrameDecoder(role: .server)
        let frames = try decoder.decodeAll([0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58])
        #expect(frames.count == 1)
        #expect(frames[0].payload == Array("Hello".utf8))
        #expect(frames[0].maskingKey == WebSocketMaskingKey(0x37, 0xFA, 0x21, 0x3D))
        #expect(frames[0].fin && frames[0].opcode == .text)
    }

    @Test func rfcFragmentedUnmaskedTextDecodesAsTwoFrames() throws {
        var decoder = WebSocketFrameDecoder(role: .client)
        let frames = try decoder.decodeAll([0x01, 0x03, 0x48, 0x65, 0x6C, 0x80, 0x02, 0x6C, 0x6F])
        #expect(frames == [WebSocketFrame(fin: false, opcode: .text, payload: Array("Hel".utf8)),
                           WebSocketFrame(opcode: .continuation, payload: Array("lo".utf8))])
    }

    @Test func rfcPingAndMaskedPongDecode() throws {
        var client = WebSocketFrameDecoder(role: .client)
        let r29 = try client.decodeAll([0x89, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F])
        #expect(r29
            == [WebSocketFrame(opcode: .ping, payload: Array("Hello".utf8))])
        var server = WebSocketFrameDecoder(role: .server)
        let pong = try server.decodeAll([0x8A, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58])
        #expect(pong.map(\.opcode) == [.pong])
        #expect(pong.first?.payload == Array("Hello".utf8))
    }

    @Test func rfc256ByteBinaryUses16BitLength() throws {
        let payload = (0 ..< 256).map { UInt8($0 & 0xFF) }
        var decoder = WebSocketFrameDecoder(role: .client)
        let frames = try decoder.decodeAll([0x82, 0x7E, 0x01, 0x00] + payload)
        #expect(frames == [WebSocketFrame(opcode: .binary, payload: payload)])
    }

    @Test func rfc64KiBBinaryUses64BitLength() throws {
        let payload = [UInt8](repeating: 0xAB, count: 65536)
        var decoder = WebSocketFrameDecoder(role: .client)
        let frames = try decoder.decodeAll([0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0] + payload)
        #expect(frames == [WebSocketFrame(opcode: .binary, payload: payload)])
    }

    @Test func byteByByteFeedingMatchesWholeChunk() throws {
        let stream = clientText("Hello, wörld") + clientFrame(.ping, [1, 2, 3]) + clientFrame(.binary, Array(repeating: 7, count: 300))
            + clientFrame(.binary, Array(repeating: 9, count: 70_000)) + clientFrame(.text, [], fin: true)
        var whole = WebSocketFrameDecoder()
        let expected = try whole.decodeAll(stream)
        #expect(expected.count == 5)
        var piecewise = WebSocketFrameDecoder()
        var frames: [WebSocketFrame] = []
        for byte in stream { frames += try piecewise.decodeAll([byte]) }
        #expect(frames == expected)
        #expect(piecewise.isAtFrameBoundary)
    }

    @Test func decodeNextLeavesFollowingBytesUnconsumed() throws {
        let first = clientText("a")
        let stream = first + clientText("b")
        var decoder = WebSocketFrameDecoder()
        var offset = 0
        let frame = try decoder.decodeNext(stream, consumed: &offset)
        #expect(frame?.payload == Array("a".utf8))
        #expect(offset == first.count)
    }

    @Test func emptyMaskedFrameCompletesWithoutPayloadBytes() throws {
        var decoder = WebSocketFrameDecoder()
        var offset = 0
        let frame = try decoder.decodeNext([0x82, 0x80, 1, 2, 3, 4], consumed: &offset)
        #expect(frame == WebSocketFrame(opcode: .binary, maskingKey: WebSocketMaskingKey(1, 2, 3, 4), payload: []))
        #expect(offset == 6)
    }

    // Refusals.

    @Test func unmaskedClientFrameFailsWith1002() {
        let result = decodeServerSide([0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F])
        #expect(result == .failure(.unmaskedClientFrame))
        #expect(WebSocketError.unmaskedClientFrame.closeCode == .protocolError)
    }

    @Test func maskedServerFrameFailsForClientRole() {
        var decoder = WebSocketFrameDecoder(role: .client)
        #expect(throws: WebSocketError.maskedServerFrame) {
            try decoder.decodeAll([0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58])
        }
    }

    @Test(arguments: [UInt8(0x40), 0x20, 0x10, 0x70])
    func reservedBitsWithoutExtensionFailWith1002(bits: UInt8) {
        var frame = clientText("x")
        frame[0] |= bits
        #expect(decodeServerSide(frame) == .failure(.reservedBitsSet))
        #expect(WebSocketError.reservedBitsSet.closeCode.rawValue == 1002)
    }

    @Test(arguments: [UInt8(3), 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF])
    func unknownOpcodeFailsWith1002(opcode: UInt8) {
        let frame: [UInt8] = [0x80 | opcode, 0x80, 0, 0, 0, 0]
        #expect(decodeServerSide(frame) == .failure(.unknownOpcode(opcode)))
        #expect(WebSocketError.unknownOpcode(opcode).closeCode == .protocolError)
    }

    @Test func unknownOpcodeIsRefusedOnItsFirstByte() {
        var decoder = WebSocketFrameDecoder()
        #expect(throws: WebSocketError.unknownOpcode(3)) { try decoder.decodeAll([0x83]) }
    }

    @Test func controlFrameLongerThan125BytesFailsWith1002() {
        #expect(decodeServerSide(clientFrame(.ping, Array(repeating: 1, count: 126))) == .failure(.controlFrameTooLong))
        // Refused from the length byte alone: 7-bit length 126 announces an extended length.
        var decoder = WebSocketFrameDecoder()
        #expect(throws: WebSocketError.controlFrameTooLong) { try decoder.decodeAll([0x89, 0xFE]) }
        #expect(WebSocketError.controlFrameTooLong.closeCode == .protocolError)
    }

    @Test func controlFrameOf125BytesIsAccepted() throws {
        let frames = try decodeServerSide(clientFrame(.ping, Array(repeating: 1, count: 125))).get()
        #expect(frames.first?.payload.count == 125)
    }

    @Test(arguments: [WebSocketOpcode.ping, .pong, .close])
    func fragmentedControlFrameFailsWith1002(opcode: WebSocketOpcode) {
        #expect(decodeServerSide(clientFrame(opcode, [], fin: false)) == .failure(.fragmentedControlFrame))
        #expect(WebSocketError.fragmentedControlFrame.closeCode == .protocolError)
    }

    @Test func sixtyFourBitLengthWithMostSignificantBitFailsWith1002() {
        var decoder = WebSocketFrameDecoder(maxPayloadLength: .max)
        #expect(throws: WebSocketError.invalidPayloadLength) { try decoder.decodeAll([0x82, 0xFF, 0x80]) }
        #expect(WebSocketError.invalidPayloadLength.closeCode == .protocolError)
    }

    @Test func declaredLengthAboveLimitFailsWith1009BeforeAnyPayload() {
        var decoder = WebSocketFrameDecoder(maxPayloadLength: 1000)
        // Header only: 16-bit length 1001, nothing of the payload has been sent.
        #expect(throws: WebSocketError.messageTooBig) { try decoder.decodeAll([0x82, 0xFE, 0x03, 0xE9]) }
        #expect(decoder.payload.isEmpty)
        #expect(WebSocketError.messageTooBig.closeCode == .messageTooBig)
    }

    @Test func huge64BitLengthFailsWith1009() {
        var decoder = WebSocketFrameDecoder()
        #expect(throws: WebSocketError.messageTooBig) { try decoder.decodeAll([0x82, 0xFF, 0, 0, 0, 1, 0, 0, 0, 0]) }
    }

    @Test func failedDecoderStaysFailed() {
        var decoder = WebSocketFrameDecoder()
        #expect(throws: WebSocketError.reservedBitsSet) { try decoder.decodeAll([0xC1]) }
        #expect(throws: WebSocketError.reservedBitsSet) { try decoder.decodeAll(clientText("ok")) }
    }
}
