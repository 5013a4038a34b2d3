/// An HTTP response to serialise: status, headers and body.
///
/// `serialized(...)` adds the headers every response needs — `Date`, `Server`, `Content-Length` and
/// `Connection` — unless the response already carries them (a 101 upgrade sets `Connection: Upgrade`;
/// a HEAD answer keeps the GET body's length).
public struct HTTPResponse: Sendable, Equatable {
    /// Status code and reason phrase.
    public var status: HTTPStatus
    /// Headers set by the application (`Content-Type`, `ETag`, …).
    public var headers: HTTPHeaders
    /// The body; not written for HEAD requests or statuses that forbid a body.
    public var body: [UInt8]

    /// Creates a response.
    public init(status: HTTPStatus, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A plain-text response (`text/plain; charset=utf-8`), handy for errors.
    public static func text(_ status: HTTPStatus, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "text/plain; charset=utf-8"], body: Array(text.utf8))
    }

    /// The response for a refused request: the error's status, a short text body.
    public static func error(_ error: HTTPError) -> HTTPResponse {
        .text(error.status, "\(error.status.code) \(error.status.reasonPhrase)\n")
    }

    /// The wire bytes.
    ///
    /// - Parameters:
    ///   - date: the `Date` header value (the server passes the current time).
    ///   - keepAlive: whether the connection stays open; writes `Connection: keep-alive` or `close`.
    ///   - server: the `Server` header value.
    ///   - omitBody: true for a HEAD request: headers (with the body's `Content-Length`) but no body.
    ///
    /// CR and LF in header names or values are replaced by spaces, so an application value can never
    /// inject a header or split the response.
    public func serialized(date: HTTPDate, keepAlive: Bool, server: String = "SketchFace", omitBody: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256 + (omitBody ? 0 : body.count))
        func append(_ text: String) { out.append(contentsOf: text.utf8) }
        func appendField(_ name: String, _ value: String) {
            for c in name.utf8 { out.append(c == 0x0D || c == 0x0A || c == UInt8(ascii: ":") ? 0x20 : c) }
            out.append(UInt8(ascii: ":"))
            out.append(0x20)
            for c in value.utf8 { out.append(c == 0x0D || c == 0x0A ? 0x20 : c) }
            out.append(0x0D)
            out.append(0x0A)
        }
        append("HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\n")
        if !headers.contains(name: "Date") { appendField("Date", date.description) }
        if !headers.contains(name: "Server") { appendField("Server", server) }
        if !status.forbidsBody && !headers.contains(name: "Content-Length") {
            appendField("Content-Length", String(body.count))
        }
        if !headers.contains(name: "Connection") { appendField("Connection", keepAlive ? "keep-alive" : "close") }
        for field in headers { appendField(field.name, field.value) }
        append("\r\n")
        if !omitBody && !status.forbidsBody { out.append(contentsOf: body) }
        return out
    }
}
