import Testing
@testable import WebSocket

@Suite struct WebSocketCloseTests {
    @Test(arguments: [UInt16(1000), 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999])
    func validCodesMayBeSent(code: UInt16) {
        #expect(WebSocketCloseCode(code).isValidInCloseFrame)
    }

    @Test(arguments: [UInt16(0), 999, 1004, 1005, 1006, 1012, 1013, 1014, 1015, 1016, 2000, 2999, 5000, 65535])
    func reservedOrUnassignedCodesAreInvalid(code: UInt16) {
        #expect(!WebSocketCloseCode(code).isValidInCloseFrame)
    }

    @Test func emptyClosePayloadHasNoCode() throws {
        #expect(try WebSocketClosePayload.parse([]) == WebSocketClosePayload(code: nil))
    }

    @Test func codeAndReasonParse() throws {
        let payload = try WebSocketClosePayload.parse([0x03, 0xE8] + Array("bye ✓".utf8))
        #expect(payload == WebSocketClosePayload(code: .normalClosure, reason: "bye ✓"))
    }

    @Test func oneByteClosePayloadIs1002() {
        #expect(throws: WebSocketError.closePayloadTooShort) { try WebSocketClosePayload.parse([0x03]) }
        #expect(WebSocketError.closePayloadTooShort.closeCode == .protocolError)
    }

    @Test func invalidCodeInClosePayloadIs1002() {
        #expect(throws: WebSocketError.invalidCloseCode(1005)) { try WebSocketClosePayload.parse([0x03, 0xED]) }
        #expect(WebSocketError.invalidCloseCode(1005).closeCode == .protocolError)
    }

    @Test func invalidUTF8ReasonIs1007() {
        #expect(throws: WebSocketError.invalidUTF8) { try WebSocketClosePayload.parse([0x03, 0xE8, 0xCE, 0xBA, 0xE1]) }
        #expect(WebSocketError.invalidUTF8.closeCode == .invalidFramePayloadData)
    }

    @Test func longReasonIsCutOnACharacterBoundary() throws {
        let reason = String(repeating: "é", count: 100)  // 200 bytes
        let encoded = WebSocketClosePayload(code: .goingAway, reason: reason).encoded
        #expect(encoded.count == 2 + 122)  // 61 two-byte characters fit in 123 bytes
        #expect(try WebSocketClosePayload.parse(encoded).reason == String(repeating: "é", count: 61))
    }
}
