/// `timeouts`: every timer of a connection, in milliseconds.
public struct TimeoutsSection: ConfigSection {
    public static let key = "timeouts"
    /// From connection open (or the previous response) until a request's headers are complete.
    public var headerReadMilliseconds: Int
    /// A keep-alive connection with no request in progress is closed after this.
    public var idleKeepAliveMilliseconds: Int
    /// The TLS handshake must finish within this.
    public var tlsHandshakeMilliseconds: Int
    /// The server pings an idle WebSocket this often.
    public var pingIntervalMilliseconds: Int
    /// A WebSocket that does not answer a ping within this is closed.
    public var pongTimeoutMilliseconds: Int
    /// Upper bound on an orderly close (flush, close_notify, drain).
    public var closeLingerMilliseconds: Int
    /// A WebSocket message must be complete this long after its first byte arrived.
    public var messageCompletionMilliseconds: Int

    public init(from object: ConfigObject) throws {
        let range = 10...86_400_000
        headerReadMilliseconds = try object.integer("header_read_ms", default: 10_000, in: range)
        idleKeepAliveMilliseconds = try object.integer("idle_keepalive_ms", default: 30_000, in: range)
        tlsHandshakeMilliseconds = try object.integer("tls_handshake_ms", default: 10_000, in: range)
        pingIntervalMilliseconds = try object.integer("ping_interval_ms", default: 20_000, in: range)
        pongTimeoutMilliseconds = try object.integer("pong_timeout_ms", default: 10_000, in: range)
        closeLingerMilliseconds = try object.integer("close_linger_ms", default: 2_000, in: range)
        messageCompletionMilliseconds = try object.integer("message_completion_ms", default: 30_000, in: range)
    }
}
