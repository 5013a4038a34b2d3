import Foundation
import XCTest
@testable import Sessions
@testable import SQLiteStore
@testable import PostgresStore

/// What the store conformance suite reads of a store besides the protocol.
protocol CountingStore: OperationStore {
    var transactions: Int { get }
    var writes: Int { get }
    var onCommitFailure: (() -> Void)? { get set }
}

extension SQLiteOperationStore: CountingStore {}
extension PostgresOperationStore: CountingStore {}

/// One storage backend under test, with fresh, empty storage.
protocol StoreBackend: AnyObject {
    var name: String { get }
    /// Opens a store on this storage (again: a restart; with another `node`: a second node of a cluster).
    func open(node: String) throws -> CountingStore
    /// Operation rows stored, read through a connection of its own.
    func storedOpCount() throws -> Int
    /// Makes commits fail (another connection holds a lock) until the returned closure runs.
    func blockWrites() throws -> () throws -> Void
}

extension StoreBackend {
    func open() throws -> CountingStore { try open(node: "node-1") }
}

/// The embedded store in a temporary directory.
final class SQLiteBackend: StoreBackend {
    let name = "sqlite"
    let directory = NSTemporaryDirectory() + "sessions-store-\(UUID().uuidString)"

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    func open(node: String) throws -> CountingStore { try SQLiteOperationStore(directory: directory, busyTimeout: 50) }

    private var path: String { (directory as NSString).appendingPathComponent("sessions.sqlite") }

    func storedOpCount() throws -> Int {
        var count = -1
        try SQLiteConnection(path: path).query("SELECT COUNT(*) FROM ops") { count = Int($0.double(0)) }
        return count
    }

    func blockWrites() throws -> () throws -> Void {
        let blocker = try SQLiteConnection(path: path)
        try blocker.execute("BEGIN IMMEDIATE")   // commits fail with SQLITE_BUSY
        return { try blocker.execute("ROLLBACK") }
    }
}

/// The shared store in a schema of its own on the test server (started once per test process).
final class PostgresBackend: StoreBackend {
    let name = "postgresql"
    let server: TemporaryPostgres
    let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    let conninfo: String
    /// Lease length of the stores it opens.
    var leaseSeconds = 10.0

    init() throws {
        server = try TestPostgres.server()
        conninfo = try server.freshSchema(schema)
    }

    deinit { try? server.execute("DROP SCHEMA \(schema) CASCADE") }

    func open(node: String) throws -> CountingStore { try openStore(node: node) }

    func openStore(node: String) throws -> PostgresOperationStore {
        try PostgresOperationStore(conninfo: conninfo, nodeID: node, leaseSeconds: leaseSeconds, lockTimeout: 0.05)
    }

    func connection() throws -> PostgresConnection { try PostgresConnection(conninfo) }

    func storedOpCount() throws -> Int {
        Int(try connection().run("SELECT count(*) FROM ops").rows[0][0] ?? "") ?? -1
    }

    func blockWrites() throws -> () throws -> Void {
        let blocker = try connection()
        try blocker.run("BEGIN")
        try blocker.run("LOCK TABLE ops IN ACCESS EXCLUSIVE MODE")   // inserts time out (lock_timeout)
        return { try blocker.run("ROLLBACK") }
    }

    /// Ends every lease now, as if its owner had stopped renewing it a lease length ago.
    func expireLeases() throws {
        try connection().run("UPDATE leases SET expires = clock_timestamp() - interval '1 second'")
    }
}

/// The PostgreSQL server of this test process: started on first use, stopped at exit. In CI it must start (the
/// suites fail, never skip, without it); scripts/deps.sh installs it.
enum TestPostgres {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var started: Result<TemporaryPostgres, Error>?

    static func server() throws -> TemporaryPostgres {
        lock.lock(); defer { lock.unlock() }
        if let started { return try started.get() }
        let result = Result { try TemporaryPostgres(fsync: false) }
        started = result
        if case .success = result { atexit { TestPostgres.stop() } }
        return try result.get()
    }

    private static func stop() {
        lock.lock(); defer { lock.unlock() }
        if case .success(let server)? = started { server.stop() }
    }
}
