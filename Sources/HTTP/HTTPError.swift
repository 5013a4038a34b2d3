/// Every way a request can be refused by the pure HTTP codecs.
///
/// `status` is the single place that maps a refusal to the HTTP status sent back.
public enum HTTPError: Error, Sendable, Equatable {
    /// The request line is not `method SP target SP version`.
    case malformedRequestLine
    /// The method contains characters outside the token set.
    case invalidMethod
    /// The request target is empty or contains spaces/control characters, or is not origin-form,
    /// absolute-form or `*`.
    case invalidTarget
    /// The version is not of the form `HTTP/d.d`.
    case malformedVersion
    /// A well-formed version other than HTTP/1.0 or HTTP/1.1.
    case unsupportedVersion(HTTPVersion)
    /// A header line without a colon, with an empty or invalid name, or with control characters.
    case malformedHeader
    /// A header line starting with whitespace (obsolete line folding, RFC 9112 §5.2).
    case obsoleteLineFolding
    /// Whitespace between a header name and its colon (RFC 9112 §5.1), a smuggling vector.
    case whitespaceBeforeColon
    /// A carriage return not followed by a line feed.
    case bareCarriageReturn
    /// HTTP/1.1 request without exactly one `Host` header.
    case missingHost
    /// Request line plus headers larger than the limit (16 KiB by default).
    case headersTooLarge
    /// A `Content-Length` that is not a decimal number, or several that disagree.
    case invalidContentLength
    /// A body larger than the configured maximum.
    case bodyTooLarge
    /// A `Transfer-Encoding` header: chunked request bodies are not supported.
    case transferEncodingNotSupported
    /// POST or PUT without `Content-Length`.
    case lengthRequired
    /// A static path that is malformed: bad percent-encoding, NUL, an encoded slash or backslash, or
    /// `..` climbing above the web root.
    case invalidPath
    /// A static path that names nothing under the web root (or whose symlinks lead outside it), a
    /// hidden file, or a file named with a trailing slash.
    case notFound
    /// The request's host (`Host`, or an absolute-form target's authority) is not one this server
    /// answers to: a DNS-rebinding page, or a client that reached the wrong server.
    case misdirectedRequest

    /// The response status for this refusal.
    public var status: HTTPStatus {
        switch self {
        case .malformedRequestLine, .invalidMethod, .invalidTarget, .malformedVersion, .malformedHeader,
             .obsoleteLineFolding, .whitespaceBeforeColon, .bareCarriageReturn, .missingHost,
             .invalidContentLength, .invalidPath:
            return .badRequest
        case .unsupportedVersion:
            return .httpVersionNotSupported
        case .headersTooLarge:
            return .requestHeaderFieldsTooLarge
        case .bodyTooLarge:
            return .contentTooLarge
        case .transferEncodingNotSupported:
            return .notImplemented
        case .lengthRequired:
            return .lengthRequired
        case .notFound:
            return .notFound
        case .misdirectedRequest:
            return .misdirectedRequest
        }
    }
}
