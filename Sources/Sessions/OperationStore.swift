import Dispatch
/// Where sessions and their operations are kept durably: the seam between session logic and storage.
/// `SQLiteOperationStore` (module `SQLiteStore`, embedded, one node) and `PostgresOperationStore` (module
/// `PostgresStore`, shared by several nodes, with leases and fencing) are the real ones; tests use
/// `MemoryOperationStore`. Calls never block on disk: work is queued and `durable` runs once committed.
///
/// Ownership (docs/SESSIONS.md, "Leases and fencing"): a store shared by several nodes lets a node write a
/// session only while it holds that session's lease. `loadSession` takes the lease (or throws
/// `SessionNotOwned`), every append is fenced by the lease's epoch, and a refused write is never
/// acknowledged: the store reports `onLeaseLost` and the hub closes the session's clients with 4503. A
/// single-node store owns everything: the defaults below.
public protocol OperationStore: AnyObject {
    /// Records a new, empty session.
    func sessionCreated(_ id: SessionID, at time: Double)
    /// Queues one operation (its `encoded` text); `durable` is called, on any thread, after it is committed.
    func append(_ encoded: String, seq: Int, to session: SessionID, at time: Double, durable: @escaping () -> Void)
    /// Records a participant's secret token (issued at its first `welcome`; needed to join as that client again).
    func participantRegistered(_ client: String, token: String, in session: SessionID)
    /// Deletes a session and its operations.
    func sessionDeleted(_ id: SessionID)
    /// Every stored session without its operations (`ops` empty, `head` set): all that start-up reads.
    func loadSessionIndex() throws -> [StoredSession]
    /// One session with its operations and tokens, loaded on first access; nil when it is not stored. A log that
    /// cannot be read to its end comes back with `damage` set and the operations read before it.
    func loadSession(_ id: SessionID) throws -> StoredSession?
    /// Bytes of appended operations not yet committed: when it grows (a full disk, a stuck database) sessions stop
    /// accepting drawing until it drains, so the queue stays bounded.
    var backlogBytes: Int { get }
    /// Told (on any thread) when an append found its row already stored: never overwritten, never acknowledged.
    var onConflict: ((SessionID, Int) -> Void)? { get set }
    /// Queues a raster checkpoint of a session: its state after op `seq` (``SketchDocument/checkpoint()``), queued
    /// after the ops it covers. It replaces the one stored (derived data, unlike op rows). A store without
    /// checkpoints ignores it: its sessions load by replaying their whole log.
    func saveCheckpoint(_ bytes: [UInt8], seq: Int, for session: SessionID)
    /// The session's newest checkpoint, nil when none is stored.
    func loadCheckpoint(_ id: SessionID) throws -> StoredCheckpoint?

    // Ownership and lifecycle; the extension below gives the single-node defaults.

    /// Told (on the storage thread) when this node lost a session's lease: a write was refused by fencing or the
    /// lease could not be renewed in time. Nothing queued for it afterwards is acknowledged.
    var onLeaseLost: ((SessionID) -> Void)? { get set }
    /// True when other nodes write to the same storage (sessions may appear that this node did not create).
    var sharedByNodes: Bool { get }
    /// One session's index entry (`ops` empty, `head` set) without loading it, for a session another node created
    /// after this one read the index; nil when it is not stored.
    func lookupSession(_ id: SessionID) throws -> StoredSession?
    /// Deletes an idle session unless the store knows of activity after `lastActive` or another node owns it.
    func sessionExpired(_ id: SessionID, lastActive: Double)
    /// Gives up this node's lease on a session (evicted, or handed over): another node may take it at once.
    /// Writes queued before it are committed first.
    func release(_ id: SessionID)
    /// Releases every lease this node holds, after committing what is queued (drain). Blocks until done.
    func releaseAll()
    /// True when the store can be reached (the last round trip succeeded): `/healthz`. Never blocks.
    func isReady() -> Bool
    /// Blocks until everything queued so far is committed (tests, shutdown).
    func flush()
    /// Commits what is queued and stops the storage thread.
    func close()
}

/// `loadSession` could not take the session's lease (another node holds it, or the store could not be asked):
/// the session may not be loaded nor written here now. Not damage: the client retries (4503).
public struct SessionNotOwned: Error, CustomStringConvertible {
    public let reason: String
    public init(reason: String) { self.reason = reason }
    public var description: String { "not owned by this node: \(reason)" }
}

public extension OperationStore {
    func saveCheckpoint(_ bytes: [UInt8], seq: Int, for session: SessionID) {}
    func loadCheckpoint(_ id: SessionID) throws -> StoredCheckpoint? { nil }
    var onLeaseLost: ((SessionID) -> Void)? { get { nil } set {} }
    var sharedByNodes: Bool { false }
    func lookupSession(_ id: SessionID) throws -> StoredSession? { try loadSessionIndex().first { $0.id == id } }
    func sessionExpired(_ id: SessionID, lastActive: Double) { sessionDeleted(id) }
    func release(_ id: SessionID) {}
    func releaseAll() { flush() }
    func isReady() -> Bool { true }
    func flush() {}
    func close() {}

    /// Every stored session with its operations (tests and tools; the server loads sessions on first access).
    func loadSessions() throws -> [StoredSession] {
        try loadSessionIndex().compactMap { try loadSession($0.id) }
    }
}

/// A session's stored raster checkpoint: its state after operation `seq`.
public struct StoredCheckpoint: Sendable, Equatable {
    public var seq: Int
    public var bytes: [UInt8]

    public init(seq: Int, bytes: [UInt8]) {
        self.seq = seq
        self.bytes = bytes
    }
}

/// A session as stored.
public struct StoredSession: Sendable {
    /// The session.
    public var id: SessionID
    /// Creation time (seconds since 1970).
    public var createdAt: Double
    /// Last operation or connection (seconds since 1970), for idle expiry.
    public var lastActive: Double
    /// Encoded `op` messages, seq 1, 2, 3, …
    public var ops: [String]
    /// Participant tokens by client id.
    public var tokens: [String: String]
    /// Why the stored log could not be read to its end (`ops` holds what was read before), nil when intact.
    public var damage: String?
    /// The highest stored seq (what `ops.count` will be once loaded).
    public var head: Int

    public init(id: SessionID, createdAt: Double, lastActive: Double, ops: [String], tokens: [String: String] = [:], head: Int? = nil) {
        self.id = id; self.createdAt = createdAt; self.lastActive = lastActive; self.ops = ops; self.tokens = tokens
        self.head = head ?? ops.count
    }
}

/// An in-memory store for tests: with `holdCommits` set, `durable` callbacks wait for `commit()`, so tests can
/// see that acks follow durability.
public final class MemoryOperationStore: OperationStore {
    private var sessions: [SessionID: StoredSession] = [:]
    private var checkpoints: [SessionID: StoredCheckpoint] = [:]
    private var held: [() -> Void] = []
    private let lock = Mutex()
    /// When true, durability callbacks are held until `commit()`.
    public var holdCommits = false
    public var onConflict: ((SessionID, Int) -> Void)?
    /// Uncommitted bytes as the hub sees them (tests set it to play a full disk).
    public var backlogBytes = 0

    public init() {}

    public func sessionCreated(_ id: SessionID, at time: Double) {
        lock.locked { sessions[id] = StoredSession(id: id, createdAt: time, lastActive: time, ops: []) }
    }

    public func append(_ encoded: String, seq: Int, to session: SessionID, at time: Double, durable: @escaping () -> Void) {
        let (hold, conflict): (Bool, Bool) = lock.locked {
            guard sessions[session].map({ $0.ops.count + 1 == seq }) ?? true else { return (false, true) }
            sessions[session]?.ops.append(encoded)
            sessions[session]?.lastActive = time
            if holdCommits { held.append(durable) }
            return (holdCommits, false)
        }
        if conflict { onConflict?(session, seq) } else if !hold { durable() }
    }

    public func participantRegistered(_ client: String, token: String, in session: SessionID) {
        lock.locked { sessions[session]?.tokens[client] = token }
    }

    public func sessionDeleted(_ id: SessionID) {
        lock.locked {
            sessions[id] = nil
            checkpoints[id] = nil
        }
    }

    public func saveCheckpoint(_ bytes: [UInt8], seq: Int, for session: SessionID) {
        lock.locked { checkpoints[session] = StoredCheckpoint(seq: seq, bytes: bytes) }
    }

    public func loadCheckpoint(_ id: SessionID) throws -> StoredCheckpoint? {
        lock.locked {
            checkpointReads += 1
            return checkpoints[id]
        }
    }

    /// Checkpoints read so far.
    public private(set) var checkpointReads = 0

    /// Replaces a stored checkpoint's bytes (tests play a damaged one).
    public func damageCheckpoint(of id: SessionID, _ change: (inout [UInt8]) -> Void) {
        lock.locked { if checkpoints[id] != nil { change(&checkpoints[id]!.bytes) } }
    }

    public func loadSessionIndex() throws -> [StoredSession] {
        lock.locked {
            sessions.values.sorted { $0.id.text < $1.id.text }.map {
                StoredSession(id: $0.id, createdAt: $0.createdAt, lastActive: $0.lastActive, ops: [], head: $0.ops.count)
            }
        }
    }

    public func loadSession(_ id: SessionID) throws -> StoredSession? {
        try lock.locked {
            if leasedElsewhere.contains(id) { throw SessionNotOwned(reason: "another node holds the lease") }
            return sessions[id]
        }
    }

    private var leasedElsewhere: Set<SessionID> = []
    /// Plays another node holding a session's lease (`loadSession` throws `SessionNotOwned`) or letting it go.
    public func setLeasedElsewhere(_ id: SessionID, _ held: Bool) {
        lock.locked { if held { leasedElsewhere.insert(id) } else { leasedElsewhere.remove(id) } }
    }

    /// Plays a store shared by nodes (sessions may appear that the hub did not create): tests of discovery.
    public var sharedByNodes = false
    /// When set, `lookupSession` waits for it before answering (tests play a slow database).
    public var lookupGate: DispatchSemaphore?
    /// `lookupSession` calls so far.
    public var lookups: Int { lock.locked { lookupCount } }
    private var lookupCount = 0

    /// Signalled as each `lookupSession` begins.
    public let lookupStarted = DispatchSemaphore(value: 0)

    public func lookupSession(_ id: SessionID) throws -> StoredSession? {
        lock.locked { lookupCount += 1 }
        lookupStarted.signal()
        lookupGate?.wait()
        return try loadSessionIndex().first { $0.id == id }
    }

    /// Runs every held durability callback.
    public func commit() {
        let callbacks: [() -> Void] = lock.locked { let c = held; held = []; return c }
        callbacks.forEach { $0() }
    }

    /// Stored operation count of one session.
    public func count(_ id: SessionID) -> Int { lock.locked { sessions[id]?.ops.count ?? 0 } }
}
