/// A close status code (RFC 6455 §7.4).
///
/// Codes arrive from peers as arbitrary 16-bit numbers, so this is a struct over the raw value rather
/// than an enum; `isValidInCloseFrame` decides whether a received code is acceptable.
public struct WebSocketCloseCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The numeric code as sent on the wire.
    public var rawValue: UInt16

    /// Wraps a numeric code; no validation (see `isValidInCloseFrame`).
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Wraps a numeric code; no validation (see `isValidInCloseFrame`).
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    /// 1000: the purpose of the connection was fulfilled.
    public static let normalClosure = WebSocketCloseCode(1000)
    /// 1001: the endpoint is going away (server shutdown, page navigated away).
    public static let goingAway = WebSocketCloseCode(1001)
    /// 1002: the peer violated the protocol.
    public static let protocolError = WebSocketCloseCode(1002)
    /// 1003: the peer sent a data type this endpoint cannot accept.
    public static let unsupportedData = WebSocketCloseCode(1003)
    /// 1005: reserved, never sent; reported locally when a close frame carried no code.
    public static let noStatusReceived = WebSocketCloseCode(1005)
    /// 1006: reserved, never sent; reported locally when the connection dropped without a close frame.
    public static let abnormalClosure = WebSocketCloseCode(1006)
    /// 1007: a text message (or close reason) was not valid UTF-8.
    public static let invalidFramePayloadData = WebSocketCloseCode(1007)
    /// 1008: a message violated this endpoint's policy (also used for slow consumers).
    public static let policyViolation = WebSocketCloseCode(1008)
    /// 1009: a message exceeded the size limit.
    public static let messageTooBig = WebSocketCloseCode(1009)
    /// 1010: the client expected an extension the server did not negotiate.
    public static let mandatoryExtension = WebSocketCloseCode(1010)
    /// 1011: the server hit an unexpected condition.
    public static let internalError = WebSocketCloseCode(1011)
    /// 1013: try again later (overload, slow consumer).
    public static let tryAgainLater = WebSocketCloseCode(1013)

    /// Whether a peer may put this code in a close frame.
    ///
    /// Valid: 1000–1003, 1007–1011 (defined by RFC 6455 and sendable), 3000–4999 (registered and private
    /// use). Everything else — below 1000, 1004–1006 and 1015 (reserved, never on the wire), 1012–2999
    /// (unassigned or reserved for future protocol use), 5000 and above — is a protocol error (1002).
    public var isValidInCloseFrame: Bool {
        switch rawValue {
        case 1000...1003, 1007...1011, 3000...4999: return true
        default: return false
        }
    }

    public var description: String { String(rawValue) }
}
