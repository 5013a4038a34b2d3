import Foundation
import CPostgres

/// Why the PostgreSQL store could not connect, migrate, read or write.
public enum PostgresError: Error, CustomStringConvertible {
    case connect(String)
    case statement(sql: String, message: String)
    /// A migration could not be applied (the schema is left at the version before it).
    case migration(version: Int, message: String)
    /// The database's schema is newer than this build knows (a newer node migrated it).
    case schemaTooNew(found: Int, known: Int)

    public var description: String {
        switch self {
        case .connect(let message): return "cannot connect to PostgreSQL: \(message)"
        case .statement(let sql, let message): return "PostgreSQL error in \"\(sql.prefix(60))\": \(message)"
        case .migration(let version, let message): return "PostgreSQL schema migration \(version) failed: \(message)"
        case .schemaTooNew(let found, let known):
            return "the PostgreSQL schema is at version \(found), this build knows versions up to \(known)"
        }
    }
}

/// A thin owner of one libpq connection: text parameters in, text rows out. Not thread-safe: one thread uses it.
final class PostgresConnection {
    /// Rows of one result (`nil` is SQL NULL) and the number of rows a command touched.
    struct Result {
        var rows: [[String?]] = []
        var affected = 0
    }

    private var handle: OpaquePointer?
    private let conninfo: String
    /// Statements run after every (re)connect (session settings a reconnect must not lose).
    private let setup: [String]

    /// Connects with `conninfo` (a libpq connection string or URI). Unless the string says otherwise, a dead
    /// network is noticed within seconds (connect and TCP user timeouts, keepalives): a partitioned node must
    /// see its lease renewals fail rather than block in the kernel.
    init(_ conninfo: String, setup: [String] = []) throws {
        self.conninfo = conninfo
        self.setup = setup
        try open()
    }

    deinit { PQfinish(handle) }

    private func open() throws {
        PQfinish(handle)
        // Later keywords override earlier ones and the expanded connection string comes last: the user's wins.
        let keywords = ["connect_timeout", "tcp_user_timeout", "keepalives_idle", "keepalives_interval",
                        "keepalives_count", "application_name", "dbname"]
        let values = ["5", "5000", "5", "2", "2", "sketchface", conninfo]
        handle = withCStrings(keywords) { k in withCStrings(values) { v in PQconnectdbParams(k, v, 1) } }
        guard let handle, PQstatus(handle) == CONNECTION_OK else {
            let message = handle.map { String(cString: PQerrorMessage($0)) } ?? "out of memory"
            throw PostgresError.connect(message.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
        for statement in setup { try run(statement) }
    }

    /// True once libpq saw the connection break (it notices on the next use, e.g. after a server restart).
    var isBroken: Bool { PQstatus(handle) != CONNECTION_OK }

    /// Reconnects when the connection broke (a restarted server); a no-op when it is fine.
    func reconnectIfBroken() throws {
        if isBroken { try open() }
    }

    /// Runs one statement with text parameters (`$1`, `$2`, …; nil is NULL).
    @discardableResult
    func run(_ sql: String, _ parameters: [String?] = []) throws -> Result {
        let result: OpaquePointer? = withOptionalCStrings(parameters) { values in
            PQexecParams(handle, sql, Int32(parameters.count), nil, values, nil, nil, 0)
        }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard let result, status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            let message = result.map { String(cString: PQresultErrorMessage($0)) } ?? String(cString: PQerrorMessage(handle))
            throw PostgresError.statement(sql: sql, message: message.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        var out = Result()
        out.affected = Int(String(cString: PQcmdTuples(result))) ?? 0
        let rows = PQntuples(result), columns = PQnfields(result)
        out.rows.reserveCapacity(Int(rows))
        for r in 0..<rows {
            out.rows.append((0..<columns).map { c in
                PQgetisnull(result, r, c) == 1 ? nil : String(cString: PQgetvalue(result, r, c))
            })
        }
        return out
    }

    /// Runs SQL text that may hold several statements, without parameters (migrations).
    func execute(_ sql: String) throws {
        let result = PQexec(handle, sql)
        defer { PQclear(result) }
        guard let result, PQresultStatus(result) == PGRES_COMMAND_OK || PQresultStatus(result) == PGRES_TUPLES_OK else {
            throw PostgresError.statement(sql: sql, message: String(cString: PQerrorMessage(handle)).trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try run("BEGIN")
        do {
            let value = try body()
            try run("COMMIT")
            return value
        } catch {
            _ = try? run("ROLLBACK")
            throw error
        }
    }
}

private func withCStrings<T>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> T) -> T {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    return body(copies.map { UnsafePointer($0) } + [nil])
}

private func withOptionalCStrings<T>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> T) -> T {
    let copies = strings.map { $0.map { strdup($0) } ?? nil }
    defer { copies.forEach { free($0) } }
    return body(copies.map { UnsafePointer($0) })
}
