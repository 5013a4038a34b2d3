import Raster

/// One session in memory: its document, its connections, and the lock that orders everything in it.
///
/// Every mutation and every send happens under `lock`, so each connection receives operations in sequence order.
/// The lock is recursive so observers may broadcast from inside their callback.
final class LiveSession {
    let id: SessionID
    let lock = Mutex(recursive: true)
    /// The drawing; empty (and `loaded` false) while the session is evicted or not yet read from the store.
    var document: SketchDocument
    /// False until the stored log was read (sessions load on first access) and again after eviction.
    var loaded = true
    /// The head while not loaded (for expiry).
    var storedHead = 0
    /// The highest seq the store has committed (eviction waits for it to reach the head).
    var durableHead = 0
    /// The head when this node read the log (0 for a session it created): every op up to it is committed.
    var loadedHead = 0
    /// By client id, the head when its last connection here ended (since the log was read): that client's replica
    /// holds this node's operations up to it. Ops a client saw beyond both this and `loadedHead` came from another
    /// node (or from before a crash) and may never have been committed: such a client gets a full snapshot.
    var delivered: [String: Int] = [:]
    /// The seq of the newest raster checkpoint saved or loaded (0: none).
    var checkpointSeq = 0
    var connections: [UInt64: SessionConnection] = [:]
    var lastActive: Double
    /// Each participant's secret token by client id: joining as that client again needs it.
    var tokens: [String: String] = [:]
    var deleted = false
    /// Why the session's log is damaged (unreadable at restore, or a stored row conflicted): nobody may join or
    /// draw, nothing is appended, it never expires; an operator recovers it (docs/SESSIONS.md, "Damaged logs").
    var damage: String?

    /// Joins per second (each one costs a welcome and a presence to everyone).
    var joinLimiter: RateLimiter
    /// Painting work per second of all its connections together.
    var workLimiter: RateLimiter

    init(id: SessionID, lastActive: Double, config: SessionsConfig) {
        self.id = id
        joinLimiter = RateLimiter(rate: config.joinsPerSecond, burst: config.joinBurst, now: lastActive)
        workLimiter = RateLimiter(rate: config.sessionWorkPerSecond, burst: config.sessionWorkBurst, now: lastActive)
        document = SketchDocument(undoReach: config.undoReach)
        self.lastActive = lastActive
    }

    /// The latest seq, loaded or not.
    var head: Int { loaded ? document.head : storedHead }

    /// Joined participants in join order.
    var participants: [Participant] {
        connections.values.sorted { $0.number < $1.number }.compactMap(\.participant)
    }

    /// Sends to every joined connection (lock held by caller).
    func broadcast(text: String) {
        for connection in connections.values where connection.participant != nil { connection.peer.send(text: text) }
    }

    func broadcast(binary: [UInt8]) {
        for connection in connections.values where connection.participant != nil { connection.peer.send(binary: binary) }
    }
}
