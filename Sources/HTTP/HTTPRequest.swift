/// A parsed HTTP/1.x request (head plus its Content-Length body).
public struct HTTPRequest: Sendable, Equatable {
    /// The method, case-sensitive as sent (`GET`, `HEAD`, `POST`, …).
    public var method: String
    /// The request target as sent: origin-form (`/path?query`), absolute-form or `*`.
    public var target: String
    /// HTTP/1.0 or HTTP/1.1 (others are refused by the parser with 505).
    public var version: HTTPVersion
    /// The header fields, looked up case-insensitively.
    public var headers: HTTPHeaders
    /// The body (empty without `Content-Length`).
    public var body: [UInt8]

    /// Creates a request.
    public init(method: String, target: String, version: HTTPVersion = .http1_1,
                headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
    }

    /// The target's path: everything before `?` or `#` (still percent-encoded).
    public var path: Substring {
        target.prefix { $0 != "?" && $0 != "#" }
    }

    /// The query string after `?` (without `#fragment`), or `nil` when there is none.
    public var query: Substring? {
        guard let mark = target.firstIndex(of: "?") else { return nil }
        return target[target.index(after: mark)...].prefix { $0 != "#" }
    }

    /// Whether the connection may carry another request after the response: HTTP/1.1 unless
    /// `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`.
    public var keepAlive: Bool {
        if headers.hasToken("close", in: "Connection") { return false }
        if version == .http1_1 { return true }
        return headers.hasToken("keep-alive", in: "Connection")
    }
}
