import CSQLite
import Foundation
import Sessions
import StoreQueue

/// Why the SQLite store could not start or read.
public enum StoreError: Error, CustomStringConvertible {
    case open(path: String, message: String)
    case statement(sql: String, message: String)
    /// A row with this key exists already (an op row is never overwritten).
    case conflict(sql: String)

    public var description: String {
        switch self {
        case .conflict(let sql): return "conflict in \"\(sql.prefix(60))\": the row exists and is never overwritten"
        case .open(let path, let message): return "cannot open database \(path): \(message)"
        case .statement(let sql, let message): return "database error in \"\(sql.prefix(60))\": \(message)"
        }
    }
}

/// Sessions and operations in SQLite (WAL mode) under the data directory, written by one writer thread with
/// group commit: every queued write that arrives while a transaction commits goes into the next transaction,
/// and `durable` callbacks (acks) run only after their transaction's COMMIT returned.
///
/// Callers never wait for the disk; only `loadSessions` (startup) and `flush` (tests, shutdown) block.
public final class SQLiteOperationStore: OperationStore {
    /// One queued write.
    private enum Write {
        case create(SessionID, Double)
        case append(SessionID, Int, String, Double, () -> Void)
        case delete(SessionID)
        case participant(SessionID, String, String)
        case checkpoint(SessionID, Int, [UInt8])

        /// Bytes it adds to the backlog (ops and tokens: what eviction must not lose).
        var size: Int {
            switch self {
            case .append(_, _, let body, _, _): return body.utf8.count
            case .participant(_, let client, let token): return client.utf8.count + token.utf8.count
            case .create, .delete, .checkpoint: return 0
            }
        }
    }

    /// The database file.
    public let path: String
    /// When false, every write gets its own transaction (the baseline the benchmark compares against).
    public let groupCommit: Bool
    private let db: SQLiteConnection
    private let queue = WriterQueue<Write>(size: \.size)

    public var backlogBytes: Int { queue.backlogBytes }

    /// Told (on the writer thread) after a transaction failed and before it is retried (tests wait on it).
    public var onCommitFailure: (() -> Void)?

    /// Told when an append found its row already stored (a bug: the row is kept, the op is not acknowledged).
    public var onConflict: ((SessionID, Int) -> Void)?
    /// Transactions committed and writes they held (for the benchmark).
    public private(set) var transactions = 0
    public private(set) var writes = 0

    /// Opens (creating if needed) `<directory>/sessions.sqlite` and starts the writer thread.
    /// `synchronous` is SQLite's `PRAGMA synchronous` (`FULL` by default: a commit survives power loss too);
    /// `busyTimeout` is how long a write waits for a lock another process holds before the batch is retried.
    public init(directory: String, groupCommit: Bool = true, synchronous: String = "FULL", busyTimeout: Int32 = 5000) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw StoreError.open(path: directory, message: "cannot create the data directory")
        }
        path = (directory as NSString).appendingPathComponent("sessions.sqlite")
        self.groupCommit = groupCommit
        db = try SQLiteConnection(path: path, busyTimeout: busyTimeout)
        try db.execute("PRAGMA journal_mode=WAL")
        try db.execute("PRAGMA synchronous=\(synchronous == "NORMAL" ? "NORMAL" : "FULL")")
        try migrate()
        queue.start(name: "sessions-writer") { [unowned self] in self.run() }
    }

    deinit { close() }

    /// Schema steps in order; `PRAGMA user_version` counts those applied. Append new steps, never edit old ones.
    static let migrations = [
        // 1: sessions, their operations (never overwritten), participant tokens.
        """
        CREATE TABLE IF NOT EXISTS sessions(id TEXT PRIMARY KEY, created REAL NOT NULL, last_active REAL NOT NULL);
        CREATE TABLE IF NOT EXISTS ops(session TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL,
                                       PRIMARY KEY(session, seq)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS participants(session TEXT NOT NULL, client TEXT NOT NULL, token TEXT NOT NULL,
                                                PRIMARY KEY(session, client)) WITHOUT ROWID;
        """,
        // 2: raster checkpoints, the newest per session (derived from the ops: replaced, and ignored when unusable).
        "CREATE TABLE IF NOT EXISTS checkpoints(session TEXT PRIMARY KEY, seq INTEGER NOT NULL, body BLOB NOT NULL) WITHOUT ROWID;",
    ]

    /// Brings the schema up to date, one transaction per step; refuses a database written by a newer server.
    private func migrate() throws {
        var version = 0
        try db.query("PRAGMA user_version") { version = Int($0.double(0)) }
        guard version <= Self.migrations.count else {
            throw StoreError.open(path: path, message: "schema version \(version) is newer than this server's (\(Self.migrations.count))")
        }
        for step in version..<Self.migrations.count {
            try db.execute("BEGIN IMMEDIATE")
            do {
                try db.execute(Self.migrations[step])
                try db.execute("PRAGMA user_version = \(step + 1)")
                try db.execute("COMMIT")
            } catch {
                try? db.execute("ROLLBACK")
                throw error
            }
        }
    }

    public func sessionCreated(_ id: SessionID, at time: Double) { queue.enqueue(.create(id, time)) }

    public func append(_ encoded: String, seq: Int, to session: SessionID, at time: Double, durable: @escaping () -> Void) {
        queue.enqueue(.append(session, seq, encoded, time, durable))
    }

    public func sessionDeleted(_ id: SessionID) { queue.enqueue(.delete(id)) }

    public func participantRegistered(_ client: String, token: String, in session: SessionID) {
        queue.enqueue(.participant(session, client, token))
    }

    public func saveCheckpoint(_ bytes: [UInt8], seq: Int, for session: SessionID) {
        queue.enqueue(.checkpoint(session, seq, bytes))
    }

    public func loadCheckpoint(_ id: SessionID) throws -> StoredCheckpoint? {
        try readerLock.withLock {
            var found: StoredCheckpoint?
            try self.reader().query("SELECT seq, body FROM checkpoints WHERE session = ?1", [.text(id.text)]) { row in
                found = StoredCheckpoint(seq: Int(row.double(0)), bytes: row.blob(1))
            }
            return found
        }
    }

    public func loadSessionIndex() throws -> [StoredSession] {
        try readerLock.withLock {
            let reader = try self.reader()
            var sessions = [StoredSession]()
            try reader.query("SELECT id, created, last_active, (SELECT ifnull(max(seq), 0) FROM ops WHERE session = id) FROM sessions ORDER BY created") { row in
                guard let id = SessionID(row.text(0)) else { return }
                sessions.append(StoredSession(id: id, createdAt: row.double(1), lastActive: row.double(2), ops: [], head: Int(row.double(3))))
            }
            return sessions
        }
    }

    /// Reads one session on its own, so a damaged page costs only the sessions whose rows it holds: they come
    /// back with `damage` set and the ops read before it (never silently shortened: the hub keeps them read-only).
    public func loadSession(_ id: SessionID) throws -> StoredSession? {
        try readerLock.withLock {
            let reader = try self.reader()
            var found: StoredSession?
            try reader.query("SELECT created, last_active FROM sessions WHERE id = ?1", [.text(id.text)]) { row in
                found = StoredSession(id: id, createdAt: row.double(0), lastActive: row.double(1), ops: [])
            }
            guard var session = found else { return nil }
            do {
                var expected = 1
                try reader.query("SELECT seq, body FROM ops WHERE session = ?1 ORDER BY seq", [.text(id.text)]) { row in
                    guard session.damage == nil else { return }
                    if Int(row.double(0)) != expected { session.damage = "op \(expected) is missing (next stored: \(Int(row.double(0))))" }
                    else { session.ops.append(row.text(1)); expected += 1 }
                }
                try reader.query("SELECT client, token FROM participants WHERE session = ?1", [.text(id.text)]) { row in
                    session.tokens[row.text(0)] = row.text(1)
                }
            } catch {
                session.damage = "unreadable after op \(session.ops.count): \(error)"
            }
            session.head = session.ops.count
            return session
        }
    }

    private let readerLock = NSLock()
    private var readConnection: SQLiteConnection?

    /// The read connection (WAL: reads never wait for the writer), opened on first use.
    private func reader() throws -> SQLiteConnection {
        if let readConnection { return readConnection }
        let connection = try SQLiteConnection(path: path)
        readConnection = connection
        return connection
    }

    /// Blocks until everything queued so far is committed.
    public func flush() { queue.flush() }

    /// Commits what is queued and stops the writer thread.
    public func close() { queue.close() }

    private func run() {
        while let batch = queue.next(groupCommit: groupCommit) {
            if let conflicts = commit(batch) {
                for (index, write) in batch.enumerated() {
                    guard case .append(let id, let seq, _, _, let durable) = write else { continue }
                    if conflicts.contains(index) {
                        FileHandle.standardError.write(Data("sessions store: op \(seq) of session \(id.logName) exists already; not overwritten, session stopped\n".utf8))
                        onConflict?(id, seq)
                    } else {
                        durable()
                    }
                }
                transactions += 1; writes += batch.count
                queue.committed(batch)
            } else if let failures = queue.failed(batch) {
                // Retried in order, with backoff (a full disk may recover).
                onCommitFailure?()
                Thread.sleep(forTimeInterval: min(5, 0.1 * Double(1 << min(failures, 6))))
            }
        }
    }

    /// One transaction for the whole batch. On failure nothing is acknowledged, the error is reported and the
    /// writer retries the batch with backoff (giving up only when closing).
    /// Returns the appends (batch indices) refused because their row exists, the first of duplicates being
    /// stored (nil when the transaction failed).
    private func commit(_ batch: [Write]) -> Set<Int>? {
        var conflicts = Set<Int>()
        do {
            try db.execute("BEGIN IMMEDIATE")
            var touched = [SessionID: Double]()
            for (index, write) in batch.enumerated() {
                switch write {
                case .create(let id, let time):
                    try db.run("INSERT OR IGNORE INTO sessions(id, created, last_active) VALUES(?1, ?2, ?2)", [.text(id.text), .double(time)])
                case .append(let id, let seq, let body, let time, _):
                    do {
                        try db.run("INSERT INTO ops(session, seq, body) VALUES(?1, ?2, ?3)", [.text(id.text), .int(seq), .text(body)])
                    } catch StoreError.conflict {
                        conflicts.insert(index)
                        continue
                    }
                    touched[id] = max(touched[id] ?? 0, time)
                case .delete(let id):
                    try db.run("DELETE FROM ops WHERE session = ?1", [.text(id.text)])
                    try db.run("DELETE FROM participants WHERE session = ?1", [.text(id.text)])
                    try db.run("DELETE FROM checkpoints WHERE session = ?1", [.text(id.text)])
                    try db.run("DELETE FROM sessions WHERE id = ?1", [.text(id.text)])
                    touched[id] = nil
                case .participant(let id, let client, let token):
                    try db.run("INSERT OR IGNORE INTO participants(session, client, token) VALUES(?1, ?2, ?3)",
                               [.text(id.text), .text(client), .text(token)])
                case .checkpoint(let id, let seq, let bytes):
                    try db.run("""
                        INSERT INTO checkpoints(session, seq, body) VALUES(?1, ?2, ?3)
                        ON CONFLICT(session) DO UPDATE SET seq = excluded.seq, body = excluded.body
                        """, [.text(id.text), .int(seq), .blob(bytes)])
                }
            }
            for (id, time) in touched {
                try db.run("UPDATE sessions SET last_active = ?2 WHERE id = ?1", [.text(id.text), .double(time)])
            }
            try db.execute("COMMIT")
            return conflicts
        } catch {
            try? db.execute("ROLLBACK")
            FileHandle.standardError.write(Data("sessions store: \(error)\n".utf8))
            return nil
        }
    }
}
