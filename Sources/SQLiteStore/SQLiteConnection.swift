import CSQLite

/// A thin owner of one `sqlite3*` handle with cached prepared statements. Not thread-safe: one thread uses it.
final class SQLiteConnection {
    enum Value { case text(String), int(Int), double(Double), blob([UInt8]) }

    /// A result row during `query`.
    struct Row {
        let statement: OpaquePointer
        func text(_ column: Int32) -> String {
            guard let p = sqlite3_column_text(statement, column) else { return "" }
            return String(cString: p)
        }
        func double(_ column: Int32) -> Double { sqlite3_column_double(statement, column) }
        func blob(_ column: Int32) -> [UInt8] {
            let count = Int(sqlite3_column_bytes(statement, column))
            guard count > 0, let p = sqlite3_column_blob(statement, column) else { return [] }
            return Array(UnsafeRawBufferPointer(start: p, count: count))
        }
    }

    private var handle: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(path: String, busyTimeout: Int32 = 5000) throws {
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        if sqlite3_open_v2(path, &handle, flags, nil) != SQLITE_OK {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(handle)
            throw StoreError.open(path: path, message: message)
        }
        sqlite3_busy_timeout(handle, busyTimeout)
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close(handle)
    }

    /// Runs SQL without parameters or results.
    func execute(_ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        if sqlite3_exec(handle, sql, nil, nil, &error) != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? "unknown error"
            sqlite3_free(error)
            throw StoreError.statement(sql: sql, message: message)
        }
    }

    /// Runs one parameterised statement to completion.
    func run(_ sql: String, _ values: [Value]) throws {
        let statement = try prepared(sql)
        defer { sqlite3_reset(statement); sqlite3_clear_bindings(statement) }
        bind(statement, values)
        let rc = sqlite3_step(statement)
        if rc & 0xff == SQLITE_CONSTRAINT { throw StoreError.conflict(sql: sql) }
        guard rc == SQLITE_DONE || rc == SQLITE_ROW else { throw StoreError.statement(sql: sql, message: message()) }
    }

    /// Runs a query, calling `row` for each result row.
    func query(_ sql: String, _ values: [Value] = [], row: (Row) throws -> Void) throws {
        let statement = try prepared(sql)
        defer { sqlite3_reset(statement); sqlite3_clear_bindings(statement) }
        bind(statement, values)
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { return }
            guard rc == SQLITE_ROW else { throw StoreError.statement(sql: sql, message: message()) }
            try row(Row(statement: statement))
        }
    }

    private func prepared(_ sql: String) throws -> OpaquePointer {
        if let statement = statements[sql] { return statement }
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw StoreError.statement(sql: sql, message: message())
        }
        statements[sql] = statement
        return statement
    }

    private func bind(_ statement: OpaquePointer, _ values: [Value]) {
        for (i, value) in values.enumerated() {
            let index = Int32(i + 1)
            switch value {
            case .text(let s): sqlite3_bind_text(statement, index, s, -1, SQLiteConnection.transient)
            case .int(let n): sqlite3_bind_int64(statement, index, sqlite3_int64(n))
            case .double(let d): sqlite3_bind_double(statement, index, d)
            case .blob(let bytes):
                _ = bytes.withUnsafeBytes { sqlite3_bind_blob(statement, index, $0.baseAddress, Int32($0.count), SQLiteConnection.transient) }
            }
        }
    }

    private func message() -> String { String(cString: sqlite3_errmsg(handle)) }
}
