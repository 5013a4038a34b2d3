import COpenSSL

/// The server half of the opening handshake (RFC 6455 §4.2): decides whether an HTTP request may be
/// upgraded and what to answer.
///
/// It takes plain values (method, version text, header pairs) so it does not depend on the HTTP module.
/// Checks, in order, each with its own refusal:
///
/// | check | refusal |
/// |---|---|
/// | method is `GET` | 405, `Allow: GET` |
/// | version is `HTTP/1.1` | 400 |
/// | `Upgrade` is `websocket` (case-insensitive) | 400 |
/// | `Connection` contains the `upgrade` token | 400 |
/// | exactly one `Sec-WebSocket-Key`, base64 of 16 bytes | 400 |
/// | `Sec-WebSocket-Version` is `13` | 426, `Sec-WebSocket-Version: 13` |
/// | at most one `Origin` | 403 |
/// | `Origin` in the allow-list (when the list is non-empty) | 403 |
///
/// A request **without** `Origin` is accepted even with a non-empty allow-list: browsers always send
/// `Origin` on WebSocket requests, so its absence means a non-browser client (CLI tools, tests,
/// benchmarks), which cross-site WebSocket hijacking cannot involve. Origins compare ASCII
/// case-insensitively (`https://Example.org` equals `https://example.org`).
public enum WebSocketHandshake {
    /// The GUID RFC 6455 appends to the client's key before hashing.
    public static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// The answer to an upgrade request.
    public enum Result: Sendable {
        /// Upgrade: answer `101 Switching Protocols` with these headers, then speak WebSocket.
        case accept(headers: [(name: String, value: String)])
        /// Refuse with this HTTP status, extra headers and a short human-readable reason.
        case reject(status: Int, headers: [(name: String, value: String)], reason: String)
    }

    /// `Sec-WebSocket-Accept` for a client key: base64(SHA-1(key + GUID)).
    public static func acceptValue(forKey key: String) -> String {
        let input = Array((key + guid).utf8)
        var digest = [UInt8](repeating: 0, count: 20)
        input.withUnsafeBufferPointer { source in
            digest.withUnsafeMutableBufferPointer { out in
                _ = SHA1(source.baseAddress, source.count, out.baseAddress)
            }
        }
        return Base64.encode(digest)
    }

    /// Validates an upgrade request and returns the response to send.
    ///
    /// - Parameters:
    ///   - method: the request method, e.g. `GET` (compared exactly: methods are case-sensitive).
    ///   - version: the protocol version as on the request line, e.g. `HTTP/1.1`.
    ///   - headers: every header field in order; names compare case-insensitively, repeated fields count.
    ///   - allowedOrigins: full origins (`https://host:port`) allowed to connect; empty allows all.
    public static func validate(method: String, version: String, headers: [(name: String, value: String)],
                                allowedOrigins: [String] = []) -> Result {
        guard method == "GET" else {
            return .reject(status: 405, headers: [("Allow", "GET")], reason: "WebSocket upgrade requires GET")
        }
        guard version == "HTTP/1.1" else {
            return .reject(status: 400, headers: [], reason: "WebSocket upgrade requires HTTP/1.1")
        }
        let upgrade = values(named: "upgrade", in: headers)
        guard upgrade.count == 1, asciiLowercased(trimmed(upgrade[0])) == "websocket" else {
            return .reject(status: 400, headers: [], reason: "Upgrade header must be websocket")
        }
        let connectionTokens = values(named: "connection", in: headers).flatMap { $0.split(separator: ",") }
        guard connectionTokens.contains(where: { asciiLowercased(trimmed(Substring($0))) == "upgrade" }) else {
            return .reject(status: 400, headers: [], reason: "Connection header must contain upgrade")
        }
        let keys = values(named: "sec-websocket-key", in: headers)
        guard keys.count == 1, let decoded = Base64.decode(Substring(trimmed(keys[0]))), decoded.count == 16 else {
            return .reject(status: 400, headers: [], reason: "Sec-WebSocket-Key must be base64 of 16 bytes")
        }
        let versions = values(named: "sec-websocket-version", in: headers)
        guard versions.count == 1, trimmed(versions[0]) == "13" else {
            return .reject(status: 426, headers: [("Sec-WebSocket-Version", "13")],
                           reason: "only WebSocket version 13 is supported")
        }
        let origins = values(named: "origin", in: headers)
        guard origins.count <= 1 else {
            return .reject(status: 403, headers: [], reason: "several Origin headers")
        }
        if !allowedOrigins.isEmpty && !origins.isEmpty {
            let allowed = Set(allowedOrigins.map { asciiLowercased($0) })
            guard origins.count == 1, allowed.contains(asciiLowercased(trimmed(origins[0]))) else {
                return .reject(status: 403, headers: [], reason: "origin not allowed")
            }
        }
        return .accept(headers: [
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Accept", acceptValue(forKey: trimmed(keys[0]))),
        ])
    }

    private static func values(named lowercasedName: String, in headers: [(name: String, value: String)]) -> [String] {
        headers.compactMap { asciiLowercased($0.name) == lowercasedName ? $0.value : nil }
    }

    private static func trimmed(_ text: some StringProtocol) -> String {
        let utf8 = Array(text.utf8)
        var start = 0
        var end = utf8.count
        while start < end && (utf8[start] == 0x20 || utf8[start] == 0x09) { start += 1 }
        while end > start && (utf8[end - 1] == 0x20 || utf8[end - 1] == 0x09) { end -= 1 }
        return String(decoding: utf8[start ..< end], as: UTF8.self)
    }

    private static func asciiLowercased(_ text: String) -> String {
        String(decoding: text.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }, as: UTF8.self)
    }
}
