/// `limits`: sizes and counts beyond which requests are refused.
public struct LimitsSection: ConfigSection {
    public static let key = "limits"
    /// Open connections at once; more are answered 503 and closed.
    public var maxConnections: Int
    /// Request line plus headers; more is 431.
    public var maxHeaderBytes: Int
    /// Request body; more is 413.
    public var maxBodyBytes: Int
    /// One WebSocket message (after reassembly); more closes with 1009.
    public var maxMessageBytes: Int
    /// WebSocket output queued for one slow client; more closes it with 1008.
    public var maxSendQueueBytes: Int
    /// Unsent HTTP output of one connection at which it stops parsing pipelined requests.
    public var maxQueuedResponseBytes: Int
    /// Admitted connections from one source address; more are answered 503 and closed.
    public var maxConnectionsPerAddress: Int
    /// Bytes of partially received WebSocket messages held across all connections; more closes with 1013.
    public var maxPartialMessageBytes: Int
    /// Sessions one source address may create per minute (token bucket, burst of the same size); more is 429.
    public var sessionCreationsPerMinute: Int

    public init(from object: ConfigObject) throws {
        maxConnections = try object.integer("max_connections", default: 1024, in: 1...1_000_000)
        maxHeaderBytes = try object.integer("max_header_bytes", default: 16 * 1024, in: 256...1 << 20)
        maxBodyBytes = try object.integer("max_body_bytes", default: 1 << 20, in: 0...1 << 30)
        maxMessageBytes = try object.integer("max_message_bytes", default: 1 << 20, in: 125...1 << 30)
        maxSendQueueBytes = try object.integer("max_send_queue_bytes", default: 4 << 20, in: 1024...1 << 30)
        maxQueuedResponseBytes = try object.integer("max_queued_response_bytes", default: 256 * 1024, in: 4096...1 << 30)
        maxConnectionsPerAddress = try object.integer("max_connections_per_address", default: 64, in: 1...1_000_000)
        maxPartialMessageBytes = try object.integer("max_partial_message_bytes", default: 64 << 20, in: 0...1 << 40)
        sessionCreationsPerMinute = try object.integer("session_creations_per_minute", default: 10, in: 1...1_000_000)
    }
}
