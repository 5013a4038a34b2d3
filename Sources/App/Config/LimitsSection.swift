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

    public init(from object: ConfigObject) throws {
        maxConnections = try object.integer("max_connections", default: 1024, in: 1...1_000_000)
        maxHeaderBytes = try object.integer("max_header_bytes", default: 16 * 1024, in: 256...1 << 20)
        maxBodyBytes = try object.integer("max_body_bytes", default: 1 << 20, in: 0...1 << 30)
        maxMessageBytes = try object.integer("max_message_bytes", default: 1 << 20, in: 125...1 << 30)
        maxSendQueueBytes = try object.integer("max_send_queue_bytes", default: 4 << 20, in: 1024...1 << 30)
    }
}
