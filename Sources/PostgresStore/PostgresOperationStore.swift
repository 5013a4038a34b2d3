import Foundation
import Sessions
import StoreQueue

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
        case checkpoint(SessionID, Int, [UInt8], epoch: Int)

        var size: Int {
            switch self {
            case .append(_, _, let body, _, _, _): return body.utf8.count
            case .participant(_, let client, let token, _): return client.utf8.count + token.utf8.count
            case .create, .delete, .release, .checkpoint: return 0
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
    private let queue = WriterQueue<Write>(size: \.size)
    // Guarded by `queue.locked`: the leases (appends are stamped with their epoch as they are queued), readiness.
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
    public var lastRenewal: (leases: Int, seconds: Double)? { queue.locked { latestRenewal } }
    private var latestRenewal: (leases: Int, seconds: Double)?

    public var backlogBytes: Int { queue.backlogBytes }

    /// Connects twice with `conninfo` (libpq connection string), brings the schema to the latest migration and
    /// starts the storage thread. `lockTimeout` bounds how long a write waits for a row lock (default: the lease
    /// length) before its batch is retried.
    public init(conninfo: String, nodeID: String, leaseSeconds: Double = 10, groupCommit: Bool = true,
                lockTimeout: Double? = nil, clock: @escaping () -> Double = { ProcessInfo.processInfo.systemUptime }) throws {
        self.nodeID = nodeID
        self.leaseSeconds = leaseSeconds
        self.groupCommit = groupCommit
        self.clock = clock
        // A paused writer must not hold lease-row locks for long: the server ends a transaction idle that long.
        writer = try PostgresConnection(conninfo, setup: [
            "SET lock_timeout = \(Int((lockTimeout ?? leaseSeconds) * 1000))",
            "SET idle_in_transaction_session_timeout = \(Int(leaseSeconds * 500))",
        ])
        try Migrations.apply(on: writer)
        reader = try PostgresConnection(conninfo, setup: ["SET lock_timeout = \(Int(leaseSeconds * 1000))"])
        book = LeaseBook(seconds: leaseSeconds, now: clock())
        lastRoundTrip = clock()
        queue.start(name: "sessions-postgres") { [unowned self] in self.run() }
    }

    deinit { close() }

    // MARK: Queued writes

    public func sessionCreated(_ id: SessionID, at time: Double) {
        queue.enqueue {
            // A fresh random id: the create's transaction inserts its lease row at epoch 1.
            book.taken(id, epoch: 1, sentAt: clock())
            return [.create(id, time)]
        }
    }

    public func append(_ encoded: String, seq: Int, to session: SessionID, at time: Double, durable: @escaping () -> Void) {
        queue.enqueue { [.append(session, seq, encoded, time, epoch: book.epoch(of: session) ?? 0, durable)] }
    }

    public func participantRegistered(_ client: String, token: String, in session: SessionID) {
        queue.enqueue { [.participant(session, client, token, epoch: book.epoch(of: session) ?? 0)] }
    }

    /// Queued after the ops it covers and written under the lease, like them (a stale owner's checkpoint never
    /// replaces the new owner's).
    public func saveCheckpoint(_ bytes: [UInt8], seq: Int, for session: SessionID) {
        queue.enqueue { [.checkpoint(session, seq, bytes, epoch: book.epoch(of: session) ?? 0)] }
    }

    public func loadCheckpoint(_ id: SessionID) throws -> StoredCheckpoint? {
        try read { db in
            guard let row = try db.run("SELECT seq, encode(body, 'hex') FROM checkpoints WHERE session = $1", [id.text]).rows.first,
                  let seq = Int(row[0] ?? ""), let bytes = Self.bytes(hex: row[1] ?? "") else { return nil }
            return StoredCheckpoint(seq: seq, bytes: bytes)
        }
    }

    public func sessionDeleted(_ id: SessionID) { remove(id, lastActive: nil) }

    public func sessionExpired(_ id: SessionID, lastActive: Double) { remove(id, lastActive: lastActive) }

    private func remove(_ id: SessionID, lastActive: Double?) {
        queue.enqueue {
            book.drop(id)
            return [.delete(id, lastActive: lastActive)]
        }
    }

    public func release(_ id: SessionID) {
        queue.enqueue { book.drop(id).map { [.release(id, epoch: $0.epoch)] } ?? [] }
    }

    public func releaseAll() {
        queue.enqueue {
            let held = book.leases.sorted { $0.key.text < $1.key.text }
            for (id, _) in held { book.drop(id) }
            return held.map { .release($0.key, epoch: $0.value.epoch) }
        }
        flush()
    }

    /// The sessions this node holds a lease on, with their epochs (tests, logs).
    public var heldLeases: [SessionID: Int] { queue.locked { book.leases.mapValues(\.epoch) } }

    public func isReady() -> Bool { queue.locked { ready } }

    public func flush() { queue.flush() }

    public func close() { queue.close() }

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
            if queue.locked({ book.epoch(of: id) == nil }) { try take(id, on: db) }
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
        queue.locked { book.taken(id, epoch: epoch, sentAt: sentAt) }
    }

    /// Runs `body` on the read connection; once more on a new connection when the old one turns out broken
    /// (libpq notices a restarted server only when a query fails).
    private func read<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        readerLock.lock(); defer { readerLock.unlock() }
        try reader.reconnectIfBroken()
        do {
            return try body(reader)
        } catch where reader.isBroken {
            try reader.reconnectIfBroken()
            return try body(reader)
        }
    }

    // MARK: The storage thread

    private func run() {
        let tick = min(1, leaseSeconds / 3)
        while let batch = queue.next(groupCommit: groupCommit, wakeEvery: tick / 2) {
            let now = clock()
            let (expired, renewal, pingDue) = queue.locked {
                (book.expire(now: now), book.renewalDue(now: now) ? book.startRenewal(now: now) : nil, now - lastRoundTrip >= tick)
            }
            for id in expired { report("lease of session \(id.logName) ran out before it could be renewed"); onLeaseLost?(id) }
            var healthy = true
            if let renewal { healthy = renew(renewal) }
            if batch.isEmpty {
                guard renewal != nil || pingDue else { continue }
                if renewal == nil { healthy = ping() }
                recordRoundTrip(healthy)
                if !healthy { Thread.sleep(forTimeInterval: 0.2) }
                continue
            }
            if let outcome = commit(batch) {
                recordRoundTrip(true)
                acknowledge(batch, outcome)
                transactions += 1; writes += batch.count
                queue.committed(batch)
            } else {
                recordRoundTrip(false)
                if let failures = queue.failed(batch) {
                    onCommitFailure?()
                    Thread.sleep(forTimeInterval: min(2, 0.05 * Double(1 << min(failures, 6))))
                }
            }
        }
    }

    private func recordRoundTrip(_ healthy: Bool) {
        queue.locked {
            ready = healthy
            if healthy { lastRoundTrip = clock() }
        }
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
                """, [nodeID, String(leaseSeconds), Self.array(asked.map { $0.0.text }), Self.array(asked.map { String($0.1) })])
            renewed = Set(result.rows.compactMap { SessionID($0[0] ?? "") })
        } catch {
            report("lease renewal failed: \(error)")
            return false
        }
        let lost = queue.locked {
            latestRenewal = (asked.count, clock() - sentAt)
            return book.finishRenewal(asked: asked, renewed: renewed, sentAt: sentAt)
        }
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
            if queue.locked({ book.lose(id, epoch: epoch) }) { report("write to session \(id.logName) refused: its lease moved"); onLeaseLost?(id) }
        }
    }

    /// One transaction for the whole batch; nil when it failed (nothing acknowledged, the batch is retried).
    /// Consecutive appends go in one round trip each for their lease check, their insert and the sessions'
    /// `last_active`, whatever their number; other writes run one by one, in order.
    private func commit(_ batch: [Write]) -> Outcome? {
        var outcome = Outcome()
        do {
            try writer.reconnectIfBroken()
            try writer.transaction {
                var leases = [LeaseKey: Bool]()
                var touched = [SessionID: Double]()
                var run = [Int]()
                for (index, write) in batch.enumerated() {
                    if case .append = write { run.append(index); continue }
                    try insert(run, of: batch, leases: &leases, touched: &touched, outcome: &outcome)
                    run = []
                    switch write {
                    case .append:
                        break
                    case .create(let id, let time):
                        try writer.run("INSERT INTO sessions(id, created, last_active) VALUES($1, $2, $2) ON CONFLICT DO NOTHING",
                                       [id.text, String(time)])
                        try writer.run("""
                            INSERT INTO leases(session, owner, epoch, expires) VALUES($1, $2, 1, clock_timestamp() + $3::float8 * interval '1 second')
                            ON CONFLICT DO NOTHING
                            """, [id.text, nodeID, String(leaseSeconds)])
                    case .participant(let id, let client, let token, let epoch):
                        try lock([LeaseKey(session: id, epoch: epoch)], leases: &leases, outcome: &outcome)
                        guard leases[LeaseKey(session: id, epoch: epoch)] == true else { continue }
                        try writer.run("INSERT INTO participants(session, client, token) VALUES($1, $2, $3) ON CONFLICT DO NOTHING",
                                       [id.text, client, token])
                    case .checkpoint(let id, let seq, let bytes, let epoch):
                        try lock([LeaseKey(session: id, epoch: epoch)], leases: &leases, outcome: &outcome)
                        guard leases[LeaseKey(session: id, epoch: epoch)] == true else { continue }
                        try writer.run("""
                            INSERT INTO checkpoints(session, seq, body) VALUES($1, $2, decode($3, 'hex'))
                            ON CONFLICT (session) DO UPDATE SET seq = excluded.seq, body = excluded.body
                            """, [id.text, String(seq), Self.hex(bytes)])
                    case .release(let id, let epoch):
                        // Expired, not deleted: the next owner's epoch must be higher than every earlier one.
                        try writer.run("UPDATE leases SET expires = clock_timestamp() WHERE session = $1 AND owner = $2 AND epoch = $3",
                                       [id.text, nodeID, String(epoch)])
                    case .delete(let id, let lastActive):
                        try delete(id, lastActive: lastActive)
                        touched[id] = nil
                    }
                }
                try insert(run, of: batch, leases: &leases, touched: &touched, outcome: &outcome)
                if !touched.isEmpty {
                    let entries = touched.sorted { $0.key.text < $1.key.text }
                    try writer.run("""
                        UPDATE sessions s SET last_active = greatest(s.last_active, u.t)
                        FROM unnest($1::text[], $2::float8[]) AS u(id, t) WHERE s.id = u.id
                        """, [Self.array(entries.map(\.key.text)), Self.array(entries.map { String($0.value) })])
                }
            }
            return outcome
        } catch {
            report("\(error)")
            return nil
        }
    }

    /// A lease as a write names it.
    private struct LeaseKey: Hashable {
        var session: SessionID
        var epoch: Int
    }

    /// Locks (`FOR SHARE`, in session order) the lease rows of `keys` not checked yet in this transaction that
    /// still name this node, their epoch and a future expiry; records which hold, and the others as lost.
    private func lock(_ keys: [LeaseKey], leases: inout [LeaseKey: Bool], outcome: inout Outcome) throws {
        let unknown = Array(Set(keys.filter { leases[$0] == nil })).sorted { $0.session.text < $1.session.text }
        guard !unknown.isEmpty else { return }
        let rows = try writer.run("""
            SELECT l.session, l.epoch FROM leases l JOIN unnest($1::text[], $2::bigint[]) AS h(session, epoch)
              ON l.session = h.session AND l.epoch = h.epoch
            WHERE l.owner = $3 AND l.expires > clock_timestamp() ORDER BY l.session FOR SHARE OF l
            """, [Self.array(unknown.map(\.session.text)), Self.array(unknown.map { String($0.epoch) }), nodeID]).rows
        let held = Set(rows.map { "\($0[0] ?? "")/\($0[1] ?? "")" })
        for key in unknown {
            let holds = held.contains("\(key.session.text)/\(key.epoch)")
            leases[key] = holds
            if !holds { outcome.lost.append((key.session, key.epoch)) }
        }
    }

    /// Inserts the appends at `indices` whose lease holds in one statement, fenced again by the epoch in SQL;
    /// the rest are refused. A row that exists already is a conflict (the first of duplicates wins).
    private func insert(_ indices: [Int], of batch: [Write], leases: inout [LeaseKey: Bool],
                        touched: inout [SessionID: Double], outcome: inout Outcome) throws {
        guard !indices.isEmpty else { return }
        var rows = [(index: Int, id: SessionID, seq: Int, body: String, time: Double, epoch: Int)]()
        for index in indices {
            if case .append(let id, let seq, let body, let time, let epoch, _) = batch[index] { rows.append((index, id, seq, body, time, epoch)) }
        }
        try lock(rows.map { LeaseKey(session: $0.id, epoch: $0.epoch) }, leases: &leases, outcome: &outcome)
        let accepted = rows.filter { leases[LeaseKey(session: $0.id, epoch: $0.epoch)] == true }
        for row in rows where leases[LeaseKey(session: row.id, epoch: row.epoch)] != true { outcome.fenced.insert(row.index) }
        guard !accepted.isEmpty else { return }
        let inserted = try writer.run("""
            INSERT INTO ops(session, seq, body)
            SELECT u.session, u.seq, u.body FROM unnest($1::text[], $2::integer[], $3::text[], $4::bigint[]) AS u(session, seq, body, epoch)
            WHERE EXISTS (SELECT 1 FROM leases l WHERE l.session = u.session AND l.owner = $5 AND l.epoch = u.epoch)
            ON CONFLICT DO NOTHING
            RETURNING session, seq
            """, [Self.array(accepted.map(\.id.text)), Self.array(accepted.map { String($0.seq) }),
                  Self.array(accepted.map(\.body)), Self.array(accepted.map { String($0.epoch) }), nodeID]).rows
        var stored = Set(inserted.map { "\($0[0] ?? "")/\($0[1] ?? "")" })
        for row in accepted {
            if stored.remove("\(row.id.text)/\(row.seq)") == nil { outcome.conflicts.insert(row.index); continue }
            touched[row.id] = max(touched[row.id] ?? 0, row.time)
        }
    }

    /// Bytes as hex digits (bytea travels as `decode($n, 'hex')` / `encode(…, 'hex')` over the text protocol).
    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes { out.append(digits[Int(byte >> 4)]); out.append(digits[Int(byte & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of hex digits; nil when they are not hex.
    static func bytes(hex: String) -> [UInt8]? {
        let text = Array(hex.utf8)
        guard text.count % 2 == 0 else { return nil }
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            case 65...70: return c - 55
            default: return nil
            }
        }
        var out = [UInt8]()
        out.reserveCapacity(text.count / 2)
        var i = 0
        while i < text.count {
            guard let high = value(text[i]), let low = value(text[i + 1]) else { return nil }
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }

    /// A PostgreSQL array literal of `items`, each quoted (backslash and double quote escaped).
    static func array(_ items: [String]) -> String {
        "{" + items.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            .joined(separator: ",") + "}"
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
                    "DELETE FROM checkpoints WHERE session = $1",
                    "DELETE FROM sessions WHERE id = $1", "DELETE FROM leases WHERE session = $1"] {
            try writer.run(sql, [id.text])
        }
    }

    private func report(_ message: String) {
        FileHandle.standardError.write(Data("sessions store (postgresql, node \(nodeID)): \(message)\n".utf8))
    }
}
