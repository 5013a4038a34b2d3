import Testing
@testable import HTTP

/// Parses `text` as one chunk with a fresh parser: the requests, or the refusal.
func parseWhole(_ text: String, limits: HTTPRequestParser.Limits = .init()) -> Result<[HTTPRequest], HTTPError> {
    parseWhole(Array(text.utf8), limits: limits)
}

func parseWhole(_ bytes: [UInt8], limits: HTTPRequestParser.Limits = .init()) -> Result<[HTTPRequest], HTTPError> {
    var parser = HTTPRequestParser(limits: limits)
    do { return .success(try parser.parseAll(bytes)) } catch { return .failure(error) }
}

/// Parses `text` one byte per call with a fresh parser.
func parseByteByByte(_ text: String, limits: HTTPRequestParser.Limits = .init()) -> Result<[HTTPRequest], HTTPError> {
    var parser = HTTPRequestParser(limits: limits)
    var requests: [HTTPRequest] = []
    do {
        for byte in text.utf8 { requests += try parser.parseAll([byte]) }
        return .success(requests)
    } catch {
        return .failure(error)
    }
}

func refusal(_ text: String, limits: HTTPRequestParser.Limits = .init()) -> HTTPError? {
    if case .failure(let error) = parseWhole(text, limits: limits) { return error }
    return nil
}

@Suite struct HTTPRequestParserTests {
    @Test func simpleGetParses() throws {
        let requests = try parseWhole("GET /index.html?x=1 HTTP/1.1\r\nHost: example\r\nAccept: */*\r\n\r\n").get()
        #expect(requests.count == 1)
        let request = requests[0]
        #expect(request.method == "GET")
        #expect(request.target == "/index.html?x=1")
        #expect(request.path == "/index.html")
        #expect(request.query == "x=1")
        #expect(request.version == .http1_1)
        #expect(request.headers["host"] == "example")
        #expect(request.headers["ACCEPT"] == "*/*")
        #expect(request.body.isEmpty)
    }

    @Test func headerValuesAreTrimmedAndLookupIsCaseInsensitive() throws {
        let request = try parseWhole("GET / HTTP/1.1\r\nHost: h\r\nX-Thing: \t spaced value \t\r\n\r\n").get()[0]
        #expect(request.headers["x-thing"] == "spaced value")
        #expect(request.headers.contains(name: "X-THING"))
        #expect(request.headers["missing"] == nil)
    }

    @Test func postBodyIsReadByContentLength() throws {
        let request = try parseWhole("POST /api HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello").get()[0]
        #expect(request.body == Array("hello".utf8))
    }

    @Test func pipelinedRequestsInOneChunkAllParse() throws {
        let text = "GET /a HTTP/1.1\r\nHost: h\r\n\r\nPOST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nxyzGET /c HTTP/1.0\r\n\r\n"
        let requests = try parseWhole(text).get()
        #expect(requests.map(\.target) == ["/a", "/b", "/c"])
        #expect(requests[1].body == Array("xyz".utf8))
        #expect(requests[2].version == .http1_0)
    }

    @Test func requestSplitAcrossChunksParsesLikeWhole() throws {
        let text = "POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello worldGET / HTTP/1.1\r\nHost: h\r\n\r\n"
        let whole = try parseWhole(text).get()
        #expect(whole.count == 2)
        #expect(try parseByteByByte(text).get() == whole)
        for cut in 1 ..< text.utf8.count {
            var parser = HTTPRequestParser()
            let bytes = Array(text.utf8)
            let requests = try parser.parseAll(Array(bytes[..<cut])) + parser.parseAll(Array(bytes[cut...]))
            #expect(requests == whole, "cut at \(cut)")
        }
    }

    @Test func parseNextStopsAfterEachRequestLeavingTheRestToTheCaller() throws {
        let first = "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n"
        let bytes = Array((first).utf8) + [0x81, 0x85, 1, 2, 3, 4]
        var parser = HTTPRequestParser()
        var offset = 0
        let request = try parser.parseNext(bytes, consumed: &offset)
        #expect(request?.target == "/ws")
        #expect(offset == first.utf8.count)
        #expect(Array(bytes[offset...]) == [0x81, 0x85, 1, 2, 3, 4])
    }

    @Test func bareLineFeedsAreAccepted() throws {
        #expect(try parseWhole("GET / HTTP/1.1\nHost: h\n\n").get().count == 1)
    }

    @Test func leadingEmptyLinesAreIgnored() throws {
        #expect(try parseWhole("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n").get().map(\.target) == ["/"])
    }

    @Test func incompleteRequestYieldsNothingYet() throws {
        #expect(try parseWhole("GET / HTTP/1.1\r\nHost: h\r\n").get().isEmpty)
        #expect(try parseWhole("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nab").get().isEmpty)
    }

    @Test func isIdleOnlyBetweenRequests() throws {
        var parser = HTTPRequestParser()
        #expect(parser.isIdle)
        _ = try parser.parseAll(Array("GET / HT".utf8))
        #expect(!parser.isIdle)
        _ = try parser.parseAll(Array("TP/1.1\r\nHost: h\r\n\r\n".utf8))
        #expect(parser.isIdle)
    }

    // Keep-alive semantics.

    @Test func http11KeepsAliveUnlessConnectionClose() throws {
        #expect(try parseWhole("GET / HTTP/1.1\r\nHost: h\r\n\r\n").get()[0].keepAlive)
        #expect(try !parseWhole("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n").get()[0].keepAlive)
        #expect(try !parseWhole("GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, Close\r\n\r\n").get()[0].keepAlive)
    }

    @Test func http10ClosesUnlessKeepAlive() throws {
        #expect(try !parseWhole("GET / HTTP/1.0\r\n\r\n").get()[0].keepAlive)
        #expect(try parseWhole("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").get()[0].keepAlive)
    }

    // Refusals.

    @Test func headOver16KiBIsRefusedWith431() {
        let big = "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + String(repeating: "a", count: 16 * 1024) + "\r\n\r\n"
        #expect(refusal(big) == .headersTooLarge)
        #expect(HTTPError.headersTooLarge.status.code == 431)
        #expect(parseByteByByte(big) == .failure(.headersTooLarge))
    }

    @Test func overlongRequestLineIsRefusedWith431BeforeItEnds() {
        var parser = HTTPRequestParser()
        let line = Array(("GET /" + String(repeating: "a", count: 17 * 1024)).utf8)
        #expect(throws: HTTPError.headersTooLarge) { try parser.parseAll(line) }
    }

    @Test func headOfExactly16KiBIsAccepted() throws {
        let prefix = "GET / HTTP/1.1\r\nHost: h\r\nX-Pad: "
        let padding = 16 * 1024 - prefix.utf8.count - 4
        let text = prefix + String(repeating: "p", count: padding) + "\r\n\r\n"
        #expect(text.utf8.count == 16 * 1024)
        #expect(try parseWhole(text).get().count == 1)
    }

    @Test func bodyOverLimitIsRefusedWith413BeforeReadingIt() throws {
        let limits = HTTPRequestParser.Limits(maxBodyLength: 10)
        #expect(refusal("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n", limits: limits) == .bodyTooLarge)
        #expect(HTTPError.bodyTooLarge.status.code == 413)
        #expect(try parseWhole("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789", limits: limits).get().count == 1)
        #expect(refusal("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n") == .bodyTooLarge)
    }

    @Test(arguments: ["HTTP/2.0", "HTTP/0.9", "HTTP/1.2", "HTTP/3.0"])
    func unsupportedVersionIsRefusedWith505(version: String) {
        guard case .unsupportedVersion = refusal("GET / \(version)\r\nHost: h\r\n\r\n") else {
            Issue.record("expected unsupportedVersion"); return
        }
        #expect(HTTPError.unsupportedVersion(.init(major: 2, minor: 0)).status.code == 505)
    }

    @Test(arguments: ["HTTP/1", "HTTP/1.10", "http/1.1", "HTTPS/1.1", "HTTP/x.1"])
    func malformedVersionIsRefusedWith400(version: String) {
        #expect(refusal("GET / \(version)\r\nHost: h\r\n\r\n") == .malformedVersion)
        #expect(HTTPError.malformedVersion.status.code == 400)
    }

    @Test func transferEncodingIsRefusedWith501() {
        #expect(refusal("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n") == .transferEncodingNotSupported)
        #expect(refusal("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n") == .transferEncodingNotSupported)
        #expect(HTTPError.transferEncodingNotSupported.status.code == 501)
    }

    @Test(arguments: ["POST", "PUT"])
    func postOrPutWithoutContentLengthIsRefusedWith411(method: String) {
        #expect(refusal("\(method) / HTTP/1.1\r\nHost: h\r\n\r\n") == .lengthRequired)
        #expect(HTTPError.lengthRequired.status.code == 411)
    }

    @Test func getWithoutContentLengthHasNoBody() throws {
        let requests = try parseWhole("DELETE /x HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n").get()
        #expect(requests.map(\.method) == ["DELETE", "GET"])
    }

    @Test func obsoleteLineFoldingIsRefusedWith400() {
        #expect(refusal("GET / HTTP/1.1\r\nHost: h\r\nX-A: one\r\n two\r\n\r\n") == .obsoleteLineFolding)
        #expect(refusal("GET / HTTP/1.1\r\nHost: h\r\nX-A: one\r\n\ttwo\r\n\r\n") == .obsoleteLineFolding)
        #expect(HTTPError.obsoleteLineFolding.status.code == 400)
    }

    @Test func whitespaceBeforeColonIsRefusedWith400() {
        #expect(refusal("GET / HTTP/1.1\r\nHost : h\r\n\r\n") == .whitespaceBeforeColon)
        #expect(refusal("GET / HTTP/1.1\r\nHost: h\r\nContent-Length\t: 0\r\n\r\n") == .whitespaceBeforeColon)
        #expect(HTTPError.whitespaceBeforeColon.status.code == 400)
    }

    @Test(arguments: [
        ("GET /\r\nHost: h\r\n\r\n", HTTPError.malformedRequestLine),
        ("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", .malformedRequestLine),
        ("GET / HTTP/1.1 extra\r\nHost: h\r\n\r\n", .malformedRequestLine),
        ("G(T / HTTP/1.1\r\nHost: h\r\n\r\n", .invalidMethod),
        ("GET index.html HTTP/1.1\r\nHost: h\r\n\r\n", .invalidTarget),
        ("GET /a\u{7F}b HTTP/1.1\r\nHost: h\r\n\r\n", .invalidTarget),
        ("GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", .malformedHeader),
        ("GET / HTTP/1.1\r\nHost: h\r\n: empty-name\r\n\r\n", .malformedHeader),
        ("GET / HTTP/1.1\r\nHost: h\r\nBad{Name}: v\r\n\r\n", .malformedHeader),
        ("GET / HTTP/1.1\r\nHost: h\r\nX: a\u{01}b\r\n\r\n", .malformedHeader),
        ("GET / HTTP/1.1\rHost: h\r\n\r\n", .bareCarriageReturn),
        ("GET / HTTP/1.1\r\n\r\n", .missingHost),
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", .missingHost),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n", .invalidContentLength),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", .invalidContentLength),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", .invalidContentLength),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 2\r\n\r\nab", .invalidContentLength),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \r\n\r\n", .invalidContentLength),
    ])
    func malformedRequestsAreRefusedWith400(text: String, error: HTTPError) {
        #expect(refusal(text) == error)
        #expect(error.status.code == 400)
        #expect(parseByteByByte(text) == .failure(error))
    }

    @Test func identicalRepeatedContentLengthsAreAccepted() throws {
        let request = try parseWhole("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab").get()
        #expect(request.first?.body == Array("ab".utf8))
    }

    @Test func absoluteFormAndAsteriskTargetsAreAccepted() throws {
        #expect(try parseWhole("GET http://h/x HTTP/1.1\r\nHost: h\r\n\r\n").get()[0].target == "http://h/x")
        #expect(try parseWhole("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n").get()[0].target == "*")
    }

    @Test func failedParserStaysFailed() {
        var parser = HTTPRequestParser()
        #expect(throws: HTTPError.missingHost) { try parser.parseAll(Array("GET / HTTP/1.1\r\n\r\n".utf8)) }
        #expect(throws: HTTPError.missingHost) { try parser.parseAll(Array("GET / HTTP/1.1\r\nHost: h\r\n\r\n".utf8)) }
    }
}

@Suite struct HTTPRequestParserChunkingTests {
    @Test func headOneByteOverTheLimitIsRefused() {
        let prefix = "GET / HTTP/1.1\r\nHost: h\r\nX-Pad: "
        let text = prefix + String(repeating: "p", count: 16 * 1024 - prefix.utf8.count - 3) + "\r\n\r\n"
        #expect(text.utf8.count == 16 * 1024 + 1)
        #expect(refusal(text) == .headersTooLarge)
        #expect(parseByteByByte(text) == .failure(.headersTooLarge))
    }

    @Test func leadingCRLFSplitBetweenCRAndLFIsStillSkipped() throws {
        var parser = HTTPRequestParser()
        let first = try parser.parseAll([0x0D])
        let second = try parser.parseAll(Array("\nGET / HTTP/1.1\r\nHost: h\r\n\r\n".utf8))
        #expect(first.isEmpty)
        #expect(second.map(\.target) == ["/"])
    }

    @Test func refusalDoesNotDependOnChunkingWhenTheLimitAndAnotherErrorCompete() {
        // A bare CR after 17 KiB of header: the limit is crossed first, whichever way the bytes arrive.
        let text = "GET / HTTP/1.1\r\nHost: h\r\nX: " + String(repeating: "a", count: 17 * 1024) + "\rb\r\n\r\n"
        #expect(refusal(text) == .headersTooLarge)
        #expect(parseByteByByte(text) == .failure(.headersTooLarge))
    }
}
