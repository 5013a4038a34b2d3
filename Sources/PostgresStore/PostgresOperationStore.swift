import Foundation
import Sessions

/// Sessions and operations in PostgreSQL, shared by several nodes (docs/SESSIONS.md, "Leases and fencing").
///
/// Writes go through one storage thread with group commit, as in the SQLite store: everything queued while a
/// transaction commits goes into the next one, and `durable` callbacks (acks) run only after its COMMIT returned.
/// A node writes a session only under its lease (`leases`: owner, epoch, expiry, taken and renewed in
/// transactions): each append carries the epoch held when it was queued, the batch locks the lease row
/// (`FOR SHARE`, so a node taking the lease over waits for the commit and then reads it) and inserts only while
/// the row still names this node, that epoch and a future expiry. A refused append is never acknowledged; the
/// store reports `onLeaseLost` once per lost lease. Reads (index, load, lease take) use a second connection.
public final class PostgresOperationStore: OperationStore {
    /// One queued write; appends and tokens carry the epoch held when they were queued (0: none).
    private enum Write {
        case create(SessionID, Double)
        case append(SessionID, Int, String, Double, epoch: Int, () -> Void)
        case participant(SessionID, String, String, epoch: Int)
        /// Delete when no other node holds the lease and nothing happened after `lastActive` (nil: any time).
        case delete(SessionID, lastActive: Double?)
        case release(SessionID, epoch: Int)

        var size: Int {
            switch self {
            case .append(_, _, let body, _, _, _): return body.utf8.count
            case .participant(_, let client, let token, _): return client.utf8.count + token.utf8.count
            case .create, .delete, .release: return 0
            }
        }
    }

    /// This node's id (`node.id`), the owner named in its leases.
    public let nodeID: String
    /// Lease length in seconds (`storage.lease_seconds`); renewed every third of it.
    public let leaseSeconds: Double
    /// When false, every write gets its own transaction (the benchmark's baseline).
    public let groupCommit: Bool
    private let writer: PostgresConnection
    private let reader: PostgresConnection
    private let readerLock = NSLock()
    /// Monotonic seconds (injectable for tests).
    private let clock: () -> Double
    private let condition = NSCondition()
    private var queue: [Write] = []
    private var writing = false
    private var stopping = false
    private var failures = 0
    private var thread: Thread?
    private var unsaved = 0
    private var book: LeaseBook
    private var ready = true
    private var lastRoundTrip: Double

    public var onConflict: ((SessionID, Int) -> Void)?
    public var sharedByNodes: Bool { true }
    public var onLeaseLost: ((SessionID) -> Void)?
    /// Told (on the storage thread) after a transaction failed and before it is retried (tests wait on it).
    public var onCommitFailure: (() -> Void)?
    /// Transactions committed and writes they held (benchmark, tests).
    public private(set) var transactions = 0
    public private(set) var writes = 0
    /// The latest renewal round: leases asked, seconds it took (benchmark).
    public private(set) var lastRenewal: (leases: Int, seconds: Double)?

    public var backlogBytes: Int {
        condition.lock(); defer { condition.unlock() }
        return unsaved
    }

    /// Connects twice with `conninfo` (libpq connection string), brings the schema to the latest migration and
    /// starts the storage thread. `lockTimeout` bounds how long a write waits for a row lock (default: the lease
    /// length) before its batch is retried.
    public init(conninfo: String, nodeID: String, leaseSeconds: Double = 10, groupCommit: Bool = true,
                lockTimeout: Double? = nil, clock: @escaping () -> Double = { ProcessInfo.processInfo.systemUptime }) throws {
        self.nodeID = nodeID
        self.leaseSeconds = leaseSeconds
        self.groupCommit = groupCommit
        self.clock = clock
        writer = try PostgresConnection(conninfo)
        try Migrations.apply(on: writer)
        reader = try PostgresConnection(conninfo)
        book = LeaseBook(seconds: leaseSeconds, now: clock())
        lastRoundTrip = clock()
        let lockMs = Int((lockTimeout ?? leaseSeconds) * 1000)
        // A paused writer must not hold lease-row locks for long: the server ends a transaction idle that long.
        try writer.run("SET lock_timeout = \(lockMs)")
        try writer.run("SET idle_in_transaction_session_timeout = \(Int(leaseSeconds * 500))")
        try reader.run("SET lock_timeout = \(Int(leaseSeconds * 1000))")
        let thread = Thread { [unowned self] in self.run() }
        thread.name = "sessions-postgres"
        self.thread = thread
        thread.start()
    }

    deinit { close() }

    // MARK: Queued writes

    public func sessionCreated(_ id: SessionID, at time: Double) {
        condition.lock()
        // A fresh random id: the create's transaction inserts its lease row at epoch 1.
        book.taken(id, epoch: 1, sentAt: clock())
        enqueueLocked(.create(id, time))
        condition.unlock()
    }

    public func append(_ encoded: String, seq: Int, to session: SessionID, at time: Double, durable: @escaping () -> Void) {
        condition.lock()
        enqueueLocked(.append(session, seq, encoded, time, epoch: book.epoch(of: session) ?? 0, durable))
        condition.unlock()
    }

    public func participantRegistered(_ client: String, token: String, in session: SessionID) {
        condition.lock()
        enqueueLocked(.participant(session, client, token, epoch: book.epoch(of: session) ?? 0))
        condition.unlock()
    }

    public func sessionDeleted(_ id: SessionID) { remove(id, lastActive: nil) }

    public func sessionExpired(_ id: SessionID, lastActive: Double) { remove(id, lastActive: lastActive) }

    private func remove(_ id: SessionID, lastActive: Double?) {
        condition.lock()
        book.drop(id)
        enqueueLocked(.delete(id, lastActive: lastActive))
        condition.unlock()
    }

    public func release(_ id: SessionID) {
        condition.lock()
        if let lease = book.drop(id) { enqueueLocked(.release(id, epoch: lease.epoch)) }
        condition.unlock()
    }

    public func releaseAll() {
        condition.lock()
        for (id, lease) in book.leases.sorted(by: { $0.key.text < $1.key.text }) {
            book.drop(id)
            enqueueLocked(.release(id, epoch: lease.epoch))
        }
        condition.unlock()
        flush()
    }

    /// The sessions this node holds a lease on, with their epochs (tests, logs).
    public var heldLeases: [SessionID: Int] {
        condition.lock(); defer { condition.unlock() }
        return book.leases.mapValues(\.epoch)
    }

    public func isReady() -> Bool {
        condition.lock(); defer { condition.unlock() }
        return ready
    }

    public func flush() {
        condition.lock()
        while !queue.isEmpty || writing { condition.wait() }
        condition.unlock()
    }

    public func close() {
        condition.lock()
        if stopping { condition.unlock(); return }
        stopping = true
        condition.broadcast()
        while thread != nil { condition.wait() }
        condition.unlock()
    }

    private func enqueueLocked(_ write: Write) {
        queue.append(write)
        unsaved += write.size
        condition.signal()
    }

    // MARK: Reads

    public func loadSessionIndex() throws -> [StoredSession] {
        try read { db in
            try db.run(Self.indexQuery + " ORDER BY created").rows.compactMap(Self.indexEntry)
        }
    }

    public func lookupSession(_ id: SessionID) throws -> StoredSession? {
        try read { db in try db.run(Self.indexQuery + " WHERE id = $1", [id.text]).rows.compactMap(Self.indexEntry).first }
    }

    private static let indexQuery = "SELECT id, created, last_active, (SELECT coalesce(max(seq), 0) FROM ops WHERE session = id) FROM sessions"

    private static func indexEntry(_ row: [String?]) -> StoredSession? {
        guard let id = SessionID(row[0] ?? "") else { return nil }
        return StoredSession(id: id, createdAt: Double(row[1] ?? "") ?? 0, lastActive: Double(row[2] ?? "") ?? 0,
                             ops: [], head: Int(row[3] ?? "") ?? 0)
    }

    /// Takes the session's lease (unless this node holds it) and reads the log in one snapshot. A gap in the seqs
    /// is damage (the ops before it come back, `damage` set); a lease held elsewhere or a store that cannot be
    /// asked is `SessionNotOwned` (the client retries), never damage.
    public func loadSession(_ id: SessionID) throws -> StoredSession? {
        do {
            return try read { db in try load(id, on: db) }
        } catch let error as SessionNotOwned {
            throw error
        } catch {
            throw SessionNotOwned(reason: "the store could not be read (\(error))")
        }
    }

    private func load(_ id: SessionID, on db: PostgresConnection) throws -> StoredSession? {
        do {
            condition.lock()
            let held = book.epoch(of: id) != nil
            condition.unlock()
            if !held { try take(id, on: db) }
            return try db.transaction {
                try db.run("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                guard let row = try db.run("SELECT created, last_active FROM sessions WHERE id = $1", [id.text]).rows.first else {
                    return nil
                }
                var session = StoredSession(id: id, createdAt: Double(row[0] ?? "") ?? 0, lastActive: Double(row[1] ?? "") ?? 0, ops: [])
                var expected = 1
                for op in try db.run("SELECT seq, body FROM ops WHERE session = $1 ORDER BY seq", [id.text]).rows {
                    let seq = Int(op[0] ?? "") ?? 0
                    if seq != expected { session.damage = "op \(expected) is missing (next stored: \(seq))"; break }
                    session.ops.append(op[1] ?? "")
                    expected += 1
                }
                for p in try db.run("SELECT client, token FROM participants WHERE session = $1", [id.text]).rows {
                    session.tokens[p[0] ?? ""] = p[1] ?? ""
                }
                session.head = session.ops.count
                return session
            }
        }
    }

    /// Takes a free (absent or expired) lease, or this node's own, with a new epoch; throws `SessionNotOwned`
    /// naming the owner when another node holds it.
    private func take(_ id: SessionID, on db: PostgresConnection) throws {
        let sentAt = clock()
        let taken = try db.run("""
            INSERT INTO leases(session, owner, epoch, expires) VALUES($1, $2, 1, clock_timestamp() + $3::float8 * interval '1 second')
            ON CONFLICT (session) DO UPDATE SET owner = excluded.owner, epoch = leases.epoch + 1, expires = excluded.expires
            WHERE leases.expires <= clock_timestamp() OR leases.owner = excluded.owner
            RETURNING epoch
            """, [id.text, nodeID, String(leaseSeconds)])
        guard let epoch = taken.rows.first.flatMap({ Int($0[0] ?? "") }) else {
            let owner = try db.run("SELECT owner FROM leases WHERE session = $1", [id.text]).rows.first?[0] ?? "?"
            throw SessionNotOwned(reason: "node \(owner) holds its lease")
        }
        condition.lock()
        book.taken(id, epoch: epoch, sentAt: sentAt)
        condition.unlock()
    }

    /// Runs `body` on the read connection (reconnecting a broken one).
    private func read<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        readerLock.lock(); defer { readerLock.unlock() }
        try reader.reconnectIfBroken()
        return try body(reader)
    }

    // MARK: The storage thread

    private func run() {
        let tick = min(1, leaseSeconds / 3)
        while true {
            condition.lock()
            while queue.isEmpty && !stopping && !book.renewalDue(now: clock()) && clock() - lastRoundTrip < tick {
                _ = condition.wait(until: Date(timeIntervalSinceNow: tick / 2))
            }
            let expired = book.expire(now: clock())
            if queue.isEmpty && stopping {
                thread = nil
                condition.broadcast()
                condition.unlock()
                return
            }
            let renewal: [(SessionID, Int)]? = book.renewalDue(now: clock()) ? book.startRenewal(now: clock()) : nil
            let batch: [Write]
            if groupCommit || queue.isEmpty { batch = queue; queue = [] } else { batch = [queue.removeFirst()] }
            writing = !batch.isEmpty
            condition.unlock()

            for id in expired { report("lease of session \(id.logName) ran out before it could be renewed"); onLeaseLost?(id) }
            var healthy = true
            if let renewal { healthy = renew(renewal) }
            if batch.isEmpty {
                if renewal == nil { healthy = ping() }
                finishRound(healthy: healthy)
                continue
            }
            let outcome = commit(batch)
            if let outcome { acknowledge(batch, outcome) }
            condition.lock()
            writing = false
            ready = outcome != nil && healthy
            if outcome != nil {
                failures = 0
                lastRoundTrip = clock()
                transactions += 1; writes += batch.count
                for write in batch { unsaved -= write.size }
            } else if !stopping || failures < 3 {
                // Keep the order and retry: a gap in the log would end replay there.
                failures += 1
                queue.insert(contentsOf: batch, at: 0)
                condition.unlock()
                onCommitFailure?()
                Thread.sleep(forTimeInterval: min(2, 0.05 * Double(1 << min(failures, 6))))
                condition.lock()
            } else {
                for write in batch { unsaved -= write.size }
            }
            condition.broadcast()
            condition.unlock()
        }
    }

    private func finishRound(healthy: Bool) {
        condition.lock()
        ready = healthy
        if healthy { lastRoundTrip = clock() }
        condition.broadcast()
        condition.unlock()
        if !healthy { Thread.sleep(forTimeInterval: 0.2) }
    }

    private func ping() -> Bool {
        do {
            try writer.reconnectIfBroken()
            try writer.run("SELECT 1")
            return true
        } catch {
            report("\(error)")
            return false
        }
    }

    /// Extends every held lease in one statement; leases the database no longer gives this node are lost.
    /// Returns false when the database could not be asked (the leases stay until they run out locally).
    private func renew(_ asked: [(SessionID, Int)]) -> Bool {
        let sentAt = clock()
        let renewed: Set<SessionID>
        do {
            try writer.reconnectIfBroken()
            let result = try writer.run("""
                UPDATE leases l SET expires = clock_timestamp() + $2::float8 * interval '1 second'
                FROM unnest($3::text[], $4::bigint[]) AS h(session, epoch)
                WHERE l.session = h.session AND l.epoch = h.epoch AND l.owner = $1 AND l.expires > clock_timestamp()
                RETURNING l.session
                """, [nodeID, String(leaseSeconds), "{" + asked.map { $0.0.text }.joined(separator: ",") + "}",
                      "{" + asked.map { String($0.1) }.joined(separator: ",") + "}"])
            renewed = Set(result.rows.compactMap { SessionID($0[0] ?? "") })
        } catch {
            report("lease renewal failed: \(error)")
            return false
        }
        condition.lock()
        let lost = book.finishRenewal(asked: asked, renewed: renewed, sentAt: sentAt)
        lastRenewal = (asked.count, clock() - sentAt)
        condition.unlock()
        for id in lost { report("lease of session \(id.logName) was taken by another node"); onLeaseLost?(id) }
        return true
    }

    /// What a committed batch refused.
    private struct Outcome {
        var conflicts = Set<Int>()
        /// Writes (by index) refused by fencing, and the (session, epoch) leases they prove lost.
        var fenced = Set<Int>()
        var lost = [(SessionID, Int)]()
    }

    /// Acks what was committed; reports conflicts and lost leases (once per lease still believed held).
    private func acknowledge(_ batch: [Write], _ outcome: Outcome) {
        for (index, write) in batch.enumerated() {
            guard case .append(let id, let seq, _, _, _, let durable) = write else { continue }
            if outcome.conflicts.contains(index) {
                report("op \(seq) of session \(id.logName) exists already; not overwritten, session stopped")
                onConflict?(id, seq)
            } else if !outcome.fenced.contains(index) {
                durable()
            }
        }
        for (id, epoch) in outcome.lost {
            condition.lock()
            let news = book.lose(id, epoch: epoch)
            condition.unlock()
            if news { report("write to session \(id.logName) refused: its lease moved"); onLeaseLost?(id) }
        }
    }

    /// One transaction for the whole batch; nil when it failed (nothing acknowledged, the batch is retried).
    private func commit(_ batch: [Write]) -> Outcome? {
        var outcome = Outcome()
        do {
            try writer.reconnectIfBroken()
            try writer.transaction {
                var leaseHeld = [String: Bool]()
                /// Locks the lease row while it names this node and `epoch` and has not expired.
                func holds(_ id: SessionID, _ epoch: Int) throws -> Bool {
                    let key = "\(id.text)/\(epoch)"
                    if let known = leaseHeld[key] { return known }
                    let held = try epoch > 0 && !writer.run("""
                        SELECT 1 FROM leases WHERE session = $1 AND owner = $2 AND epoch = $3 AND expires > clock_timestamp() FOR SHARE
                        """, [id.text, nodeID, String(epoch)]).rows.isEmpty
                    if !held { outcome.lost.append((id, epoch)) }
                    leaseHeld[key] = held
                    return held
                }
                var touched = [SessionID: Double]()
                for (index, write) in batch.enumerated() {
                    switch write {
                    case .create(let id, let time):
                        try writer.run("INSERT INTO sessions(id, created, last_active) VALUES($1, $2, $2) ON CONFLICT DO NOTHING",
                                       [id.text, String(time)])
                        try writer.run("""
                            INSERT INTO leases(session, owner, epoch, expires) VALUES($1, $2, 1, clock_timestamp() + $3::float8 * interval '1 second')
                            ON CONFLICT DO NOTHING
                            """, [id.text, nodeID, String(leaseSeconds)])
                    case .append(let id, let seq, let body, let time, let epoch, _):
                        guard try holds(id, epoch) else { outcome.fenced.insert(index); continue }
                        let inserted = try writer.run("""
                            INSERT INTO ops(session, seq, body) SELECT $1::text, $2::integer, $3::text
                            WHERE EXISTS (SELECT 1 FROM leases WHERE session = $1::text AND owner = $4 AND epoch = $5::bigint)
                            ON CONFLICT DO NOTHING
                            """, [id.text, String(seq), body, nodeID, String(epoch)])
                        if inserted.affected == 0 { outcome.conflicts.insert(index); continue }
                        touched[id] = max(touched[id] ?? 0, time)
                    case .participant(let id, let client, let token, let epoch):
                        guard try holds(id, epoch) else { continue }
                        try writer.run("INSERT INTO participants(session, client, token) VALUES($1, $2, $3) ON CONFLICT DO NOTHING",
                                       [id.text, client, token])
                    case .release(let id, let epoch):
                        // Expired, not deleted: the next owner's epoch must be higher than every earlier one.
                        try writer.run("UPDATE leases SET expires = clock_timestamp() WHERE session = $1 AND owner = $2 AND epoch = $3",
                                       [id.text, nodeID, String(epoch)])
                    case .delete(let id, let lastActive):
                        try delete(id, lastActive: lastActive)
                        touched[id] = nil
                    }
                }
                for (id, time) in touched {
                    try writer.run("UPDATE sessions SET last_active = greatest(last_active, $2::float8) WHERE id = $1", [id.text, String(time)])
                }
            }
            return outcome
        } catch {
            report("\(error)")
            return nil
        }
    }

    /// Deletes a session unless another node holds a live lease on it or (with `lastActive`) the store saw
    /// activity after it (another node drew there since this one last looked).
    private func delete(_ id: SessionID, lastActive: Double?) throws {
        let lease = try writer.run("SELECT owner, expires > clock_timestamp() FROM leases WHERE session = $1 FOR UPDATE", [id.text]).rows.first
        if let lease, lease[0] != nodeID, lease[1] == "t" { return }
        if let lastActive {
            let stored = try writer.run("SELECT last_active FROM sessions WHERE id = $1 FOR UPDATE", [id.text]).rows.first
            if let stored, let value = Double(stored[0] ?? ""), value > lastActive { return }
        }
        for sql in ["DELETE FROM ops WHERE session = $1", "DELETE FROM participants WHERE session = $1",
                    "DELETE FROM sessions WHERE id = $1", "DELETE FROM leases WHERE session = $1"] {
            try writer.run(sql, [id.text])
        }
    }

    private func report(_ message: String) {
        FileHandle.standardError.write(Data("sessions store (postgresql, node \(nodeID)): \(message)\n".utf8))
    }
}
