import Testing
@testable import WebSocket

@Suite struct WebSocketHandshakeTests {
    static let rfcKey = "dGhlIHNhbXBsZSBub25jZQ=="

    static func headers(_ extra: [(name: String, value: String)] = [], omitting: Set<String> = []) -> [(name: String, value: String)] {
        let base: [(name: String, value: String)] = [
            ("Host", "server.example.com"), ("Upgrade", "websocket"), ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", rfcKey), ("Sec-WebSocket-Version", "13"),
        ]
        return base.filter { !omitting.contains($0.name) } + extra
    }

    func status(_ result: WebSocketHandshake.Result) -> Int {
        switch result {
        case .accept: return 101
        case .reject(let status, _, _): return status
        }
    }

    @Test func rfcExampleKeyGivesRfcAcceptValue() {
        #expect(WebSocketHandshake.acceptValue(forKey: Self.rfcKey) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test func validRequestIsAcceptedWithAcceptHeader() throws {
        let result = WebSocketHandshake.validate(method: "GET", version: "HTTP/1.1", headers: Self.headers())
        guard case .accept(let headers) = result else { Issue.record("expected accept, got \(result)"); return }
        #expect(headers.contains { $0.name == "Sec-WebSocket-Accept" && $0.value == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" })
        #expect(headers.contains { $0.name == "Upgrade" && $0.value == "websocket" })
        #expect(headers.contains { $0.name == "Connection" && $0.value == "Upgrade" })
    }

    @Test func headerNamesAndUpgradeValueAreCaseInsensitiveAndConnectionIsATokenList() {
        let headers: [(name: String, value: String)] = [
            ("upgrade", "WebSocket"), ("CONNECTION", "keep-alive, Upgrade"),
            ("sec-websocket-key", Self.rfcKey), ("sec-websocket-version", "13"),
        ]
        #expect(status(WebSocketHandshake.validate(method: "GET", version: "HTTP/1.1", headers: headers)) == 101)
    }

    @Test func nonGetIsRefusedWith405() {
        #expect(status(WebSocketHandshake.validate(method: "POST", version: "HTTP/1.1", headers: Self.headers())) == 405)
    }

    @Test func http10IsRefusedWith400() {
        #expect(status(WebSocketHandshake.validate(method: "GET", version: "HTTP/1.0", headers: Self.headers())) == 400)
    }

    @Test func missingOrWrongUpgradeIsRefusedWith400() {
        #expect(status(WebSocketHandshake.validate(method: "GET", version: "HTTP/1.1", headers: Self.headers(omitting: ["Upgrade"]))) == 400)
        let wrong = Self.headers(omitting: ["Upgrade"]) + [("Upgrade", "h2c")]
        #expect(status(WebSocketHandshake.validate(method: "GET", version: "HTTP/1.1", headers: wrong)) == 400)
    }

    @Test func connectionWithoutUpgradeTokenIsRefusedWith400() {
        let headers = Self.headers(omitting: ["Connection"]) + [("Connection", "keep-alive")]
        #expect(status(WebSocketHandshake.validate(method: "GET", version: "HTTP/1.1", headers: headers)) == 400)
    }

    @Test(arguments: ["", "dGhlIHNhbXBsZSBub25jZQ", "dGhlIHNhbXBsZQ==", "dGhlIHNhbXBsZSBub25jZQ=!", "AAAAAAAAAAAAAAAAAAAAAB=="])
    func keyThatIsNotBase64Of16BytesIsRefusedWith400(key: String) {
        let headers = Self.headers(omitting: ["Sec-WebSocket-Key"]) + [("Sec-WebSocket-Key", key)]
        #expect(status(WebSocketHandshake.validate(method: "GET", version: "HTTP/1.1", headers: headers)) == 400)
    }

    @Test func duplicateKeyIsRefusedWith400() {
        let headers = Self.headers() + [("Sec-WebSocket-Key", Self.rfcKey)]
        #expect(status(WebSocketHandshake.validate(method: "GET", version: "HTTP/1.1", headers: headers)) == 400)
    }

    @Test(arguments: [nil, "8", "12", "13, 8"] as [String?])
    func versionOtherThan13IsRefusedWith426AndAdvertises13(version: String?) {
        var headers = Self.headers(omitting: ["Sec-WebSocket-Version"])
        if let version { headers.append((name: "Sec-WebSocket-Version", value: version)) }
        let result = WebSocketHandshake.validate(method: "GET", version: "HTTP/1.1", headers: headers)
        guard case .reject(426, let extra, _) = result else { Issue.record("expected 426, got \(result)"); return }
        #expect(extra.contains { $0.name == "Sec-WebSocket-Version" && $0.value == "13" })
    }

    @Test func originInAllowListIsAccepted() {
        let headers = Self.headers([("Origin", "https://Sketch.example")])
        #expect(status(WebSocketHandshake.validate(method: "GET", version: "HTTP/1.1", headers: headers,
                                                   allowedOrigins: ["https://sketch.example"])) == 101)
    }

    @Test func originNotInAllowListIsRefusedWith403() {
        let headers = Self.headers([("Origin", "https://evil.example")])
        #expect(status(WebSocketHandshake.validate(method: "GET", version: "HTTP/1.1", headers: headers,
                                                   allowedOrigins: ["https://sketch.example"])) == 403)
    }

    @Test func missingOriginIsAllowedForNonBrowserClients() {
        #expect(status(WebSocketHandshake.validate(method: "GET", version: "HTTP/1.1", headers: Self.headers(),
                                                   allowedOrigins: ["https://sketch.example"])) == 101)
    }

    @Test func emptyAllowListAcceptsAnyOrigin() {
        let headers = Self.headers([("Origin", "https://anything.example")])
        #expect(status(WebSocketHandshake.validate(method: "GET", version: "HTTP/1.1", headers: headers)) == 101)
    }

    @Test func base64RoundTripsAllLengths() {
        for length in 0 ..< 20 {
            let bytes = (0 ..< length).map { UInt8(truncatingIfNeeded: $0 * 37 + 11) }
            #expect(Base64.decode(Substring(Base64.encode(bytes))) == bytes)
        }
    }

    @Test func severalOriginHeadersAreRefusedWith403EvenWhenTheFirstIsAllowed() {
        let twice = Self.headers([("Origin", "https://app.example"), ("Origin", "https://evil.example")])
        for allowed in [[], ["https://app.example"]] {
            guard case .reject(let status, _, _) = WebSocketHandshake.validate(method: "GET", version: "HTTP/1.1", headers: twice,
                                                                               allowedOrigins: allowed) else {
                Issue.record("accepted two Origin headers with allow-list \(allowed)")
                continue
            }
            #expect(status == 403)
        }
    }
}
