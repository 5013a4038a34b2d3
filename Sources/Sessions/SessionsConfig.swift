/// Limits and behaviour of sessions (the `sessions` section of Config/sketchface.json).
public struct SessionsConfig: Equatable, Sendable {
    /// Participants (connections past hello) per session; the next is closed with 4409.
    public var maxParticipants = 16
    /// Live sessions per server; `/new` answers 503 beyond it.
    public var maxSessions = 1000
    /// Points in one stroke.
    public var maxPointsPerStroke = 20_000
    /// Points in one `stroke.points` message.
    public var maxPointsPerMessage = 512
    /// Strokes one connection may have open at once (multi-touch).
    public var maxOpenStrokes = 4
    /// Operations in one session (a runaway session stops accepting drawing beyond it).
    public var maxOperationsPerSession = 500_000
    /// Sustained messages per second per connection (token bucket rate).
    public var messagesPerSecond = 300.0
    /// Token bucket size (burst).
    public var messageBurst = 600.0
    /// Painting work one message may cost (`CapsuleRasterizer.cost`: about the pixels its capsules cover; undo,
    /// redo and clear cost a re-render). A heavier message is refused with `limit` and counts as a strike.
    public var maxWorkPerMessage = 1_000_000
    /// Sustained painting work per second per connection (a second token bucket beside the message rate); a
    /// message over it is refused with `rate_limited` and counts as a strike.
    public var workPerSecond = 4_000_000.0
    /// Work bucket size (burst).
    public var workBurst = 16_000_000.0
    /// Sustained painting work per second of one session, all connections together (so new connections do not
    /// bring new bursts); over it, `rate_limited` (a strike).
    public var sessionWorkPerSecond = 8_000_000.0
    /// Session work bucket size (burst).
    public var sessionWorkBurst = 32_000_000.0
    /// Painting work the undo window of a session holds (`SketchDocument.undoReach`): older drawing is baked
    /// into a checkpoint raster and can no longer be undone, so an undo re-renders at most this much.
    public var undoReach = SketchDocument.defaultUndoReach
    /// Operations between two raster checkpoints of a session (also saved when it is evicted): a load replays at
    /// most this many operations after the newest checkpoint.
    public var checkpointInterval = 2000
    /// Refused messages (rate or work) before the connection is closed with 1008 (reset when the bucket refills).
    public var rateStrikes = 50
    /// Minimum seconds between two relayed cursor updates of one connection (extra ones are dropped).
    public var cursorInterval = 0.03
    /// Seconds without participants or operations after which a session is deleted (memory and disk).
    public var idleExpiry = 7 * 24 * 3600.0
    /// Bytes of operations per snapshot page (`welcome`, then `snapshot` pages the client asks for one at a
    /// time), so a long session's history never floods a joining client's send queue.
    public var snapshotPageBytes = 256 * 1024
    /// The same for sessions nobody ever drew in (abandoned `/new`s), so they cannot pile up to `maxSessions`.
    public var emptyExpiry = 3600.0

    /// Seconds a connection may stay upgraded without a `hello` before it gets `hello_required` and 4400.
    public var helloTimeout = 10.0
    /// Bytes of operations the store may hold uncommitted (a full disk): beyond it drawing is refused with
    /// `unavailable` until commits succeed again, so the writer's queue stays bounded.
    public var maxUnsavedBytes = 16 << 20
    /// Seconds a session must be empty and quiet before its drawing is dropped from memory (it loads again
    /// from the store on the next access).
    public var evictAfter = 300.0
    /// Bytes of operations one session may hold (`limit` beyond: the session is full).
    public var maxSessionBytes = 64 << 20
    /// Bytes of operations all loaded sessions together may hold in memory (`unavailable` beyond, for drawing).
    public var maxServerBytes = 1 << 30
    /// Joins per second into one session (token bucket rate); a join over it gets `rate_limited` and 1008.
    public var joinsPerSecond = 10.0
    /// Join bucket size (a whole session reconnecting after a restart fits).
    public var joinBurst = 40.0

    public init() {}
}
