import Sessions

/// `sessions`: limits and persistence of collaborative sessions (docs/PROTOCOL.md).
public struct SessionsSection: ConfigSection {
    public static let key = "sessions"
    /// The session limits handed to `SessionHub`.
    public var limits: SessionsConfig
    /// Batch many operations per SQLite transaction (off only to measure the difference).
    public var groupCommit: Bool
    /// SQLite `synchronous` pragma: `FULL` (survives power loss) or `NORMAL` (survives process crashes).
    public var synchronous: String
    /// Seconds between idle-expiry sweeps.
    public var expirySweepSeconds: Int

    public init(from object: ConfigObject) throws {
        var limits = SessionsConfig()
        limits.maxParticipants = try object.integer("max_participants", default: 16, in: 1...1000)
        limits.maxSessions = try object.integer("max_sessions", default: 1000, in: 1...1_000_000)
        limits.maxPointsPerStroke = try object.integer("max_points_per_stroke", default: 20_000, in: 1...10_000_000)
        limits.maxPointsPerMessage = try object.integer("max_points_per_message", default: 512, in: 1...100_000)
        limits.maxOpenStrokes = try object.integer("max_open_strokes", default: 4, in: 1...64)
        limits.maxOperationsPerSession = try object.integer("max_operations_per_session", default: 500_000, in: 1...100_000_000)
        limits.messagesPerSecond = Double(try object.integer("messages_per_second", default: 300, in: 1...1_000_000))
        limits.messageBurst = Double(try object.integer("message_burst", default: 600, in: 1...1_000_000))
        limits.maxWorkPerMessage = try object.integer("max_work_per_message", default: 1_000_000, in: 1000...1_000_000_000)
        limits.workPerSecond = Double(try object.integer("work_per_second", default: 4_000_000, in: 1000...1_000_000_000))
        limits.workBurst = Double(try object.integer("work_burst", default: 16_000_000, in: 1000...1_000_000_000))
        limits.sessionWorkPerSecond = Double(try object.integer("session_work_per_second", default: 8_000_000, in: 1000...1_000_000_000))
        limits.sessionWorkBurst = Double(try object.integer("session_work_burst", default: 32_000_000, in: 1000...1_000_000_000))
        limits.undoReach = try object.integer("undo_reach", default: 4_000_000, in: 1000...1_000_000_000)
        limits.checkpointInterval = try object.integer("checkpoint_every_ops", default: 2000, in: 1...10_000_000)
        limits.rateStrikes = try object.integer("rate_strikes", default: 50, in: 1...1_000_000)
        limits.helloTimeout = Double(try object.integer("hello_timeout_seconds", default: 10, in: 1...3600))
        limits.maxUnsavedBytes = try object.integer("max_unsaved_bytes", default: 16 << 20, in: 1024...(1 << 34))
        limits.evictAfter = Double(try object.integer("evict_after_seconds", default: 300, in: 1...Int(Int32.max)))
        limits.maxSessionBytes = try object.integer("max_session_bytes", default: 64 << 20, in: 4096...(1 << 40))
        limits.maxServerBytes = try object.integer("max_server_bytes", default: 1 << 30, in: 4096...(1 << 44))
        limits.joinsPerSecond = Double(try object.integer("joins_per_second", default: 10, in: 1...100_000))
        limits.joinBurst = Double(try object.integer("join_burst", default: 40, in: 1...100_000))
        limits.cursorInterval = Double(try object.integer("cursor_interval_ms", default: 30, in: 0...10_000)) / 1000
        limits.idleExpiry = Double(try object.integer("idle_expiry_seconds", default: 7 * 24 * 3600, in: 1...Int(Int32.max)))
        limits.emptyExpiry = Double(try object.integer("empty_expiry_seconds", default: 600, in: 1...Int(Int32.max)))
        limits.snapshotPageBytes = try object.integer("snapshot_page_bytes", default: 256 * 1024, in: 1024...(64 << 20))
        self.limits = limits
        groupCommit = try object.bool("group_commit", default: true)
        synchronous = try object.string("synchronous", default: "FULL").uppercased()
        guard synchronous == "FULL" || synchronous == "NORMAL" else {
            throw object.error("synchronous", "must be \"FULL\" or \"NORMAL\"")
        }
        expirySweepSeconds = try object.integer("expiry_sweep_seconds", default: 60, in: 1...86_400)
    }
}
