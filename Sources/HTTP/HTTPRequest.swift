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

    /// The target in origin form: an absolute-form target (`http://host/p?q`, RFC 9112 §3.2.2) becomes
    /// its path and query (`/p?q`, or `/` when it has no path); other forms are returned as sent.
    public var originFormTarget: Substring {
        guard let authority = absoluteFormAuthority else { return target[...] }
        let rest = target[authority.endIndex...]
        return rest.first == "/" ? rest : "/" + rest
    }

    /// The authority (`host[:port]`) of an absolute-form target, or nil for other forms.
    public var absoluteFormAuthority: Substring? {
        let lowered = target.prefix(8).lowercased()
        let schemeLength = lowered.hasPrefix("http://") ? 7 : lowered.hasPrefix("https://") ? 8 : 0
        guard schemeLength > 0 else { return nil }
        let afterScheme = target.dropFirst(schemeLength)
        return afterScheme.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
    }

    /// The host the request is for (RFC 9112 §3.2.2): an absolute-form target's authority wins over
    /// `Host`; nil when there is neither (HTTP/1.0 without `Host`).
    public var authority: Substring? {
        absoluteFormAuthority ?? headers["Host"].map { Substring($0) }
    }

    /// The target's path: everything before `?` or `#` (still percent-encoded), in origin form.
    public var path: Substring {
        originFormTarget.prefix { $0 != "?" && $0 != "#" }
    }

    /// The query string after `?` (without `#fragment`), or `nil` when there is none.
    public var query: Substring? {
        let target = originFormTarget
        guard let mark = target.firstIndex(of: "?") else { return nil }
        return target[target.index(after: mark)...].prefix { $0 != "#" }
    }

    /// Whether the request comes from a page of this very server: exactly one `Origin`, equal (ASCII
    /// case-insensitively) to this request's own scheme and `Host`. Check `Host` against the server's
    /// allow-list first, or a DNS-rebinding page would pass.
    public func isSameOrigin(isSecure: Bool) -> Bool {
        let origins = headers.values(for: "Origin")
        guard origins.count == 1, let host = headers["Host"] else { return false }
        return origins[0].lowercased() == ((isSecure ? "https://" : "http://") + host).lowercased()
    }

    /// Whether the connection may carry another request after the response: HTTP/1.1 unless
    /// `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`.
    public var keepAlive: Bool {
        if headers.hasToken("close", in: "Connection") { return false }
        if version == .http1_1 { return true }
        return headers.hasToken("keep-alive", in: "Connection")
    }
}
