import Testing
@testable import HTTP

@Suite struct HTTPHeadersTests {
    @Test func lookupIsCaseInsensitiveAndReturnsTheFirstValue() {
        let headers = HTTPHeaders([("Accept", "a"), ("accept", "b")])
        #expect(headers["ACCEPT"] == "a")
        #expect(headers.values(for: "Accept") == ["a", "b"])
    }

    @Test func tokenListsAreSplitAndCompareCaseInsensitively() {
        let headers: HTTPHeaders = ["Connection": "keep-alive,  Upgrade "]
        #expect(headers.hasToken("upgrade", in: "connection"))
        #expect(headers.hasToken("KEEP-ALIVE", in: "Connection"))
        #expect(!headers.hasToken("close", in: "Connection"))
        #expect(!headers.hasToken("up", in: "Connection"))
    }

    @Test func replaceOrAddLeavesOneField() {
        var headers = HTTPHeaders([("X", "1"), ("x", "2"), ("Y", "3")])
        headers.replaceOrAdd(name: "X", value: "9")
        #expect(headers.values(for: "x") == ["9"])
        #expect(headers.count == 2)
        headers.remove(name: "y")
        #expect(!headers.contains(name: "Y"))
    }

    @Test func statusHasStandardReasonPhrases() {
        #expect(HTTPStatus(code: 431).reasonPhrase == "Request Header Fields Too Large")
        #expect(HTTPStatus.httpVersionNotSupported.description == "505 HTTP Version Not Supported")
        #expect(HTTPStatus(code: 299).reasonPhrase == "")
    }
}
