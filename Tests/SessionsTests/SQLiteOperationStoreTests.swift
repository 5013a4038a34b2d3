import XCTest
import Foundation
import Raster
@testable import Sessions
@testable import SQLiteStore

final class SQLiteOperationStoreTests: XCTestCase {
    private var directory: String!

    override func setUp() {
        directory = NSTemporaryDirectory() + "sessions-store-\(UUID().uuidString)"
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func testRestartRestoresRasterSeqsSlidersAndUndoHistory() throws {
        var canvas = Canvas()
        var id: SessionID!
        do {
            let store = try SQLiteOperationStore(directory: directory)
            let hub = SessionHub(store: store)
            id = try hub.createSession()
            let (a, pa) = Fixture.rejoin(hub, id, "client-aaaa")
            let (b, _) = Fixture.rejoin(hub, id, "client-bbbb")
            a.draw(id: 1, [(100, 100), (300, 120), (400, 200)])
            b.draw(id: 1, [(50, 400), (450, 380)], width: 12)
            a.receive(text: #"{"type":"undo"}"#)
            b.receive(text: #"{"type":"sliders","values":{"left_eye":0.2}}"#)
            store.flush()
            XCTAssertEqual(pa.acks.sorted(), [1, 2, 3, 7])
            canvas = hub.canvas(of: id)!
            store.close()
        }
        let store = try SQLiteOperationStore(directory: directory)
        let hub = SessionHub(store: store)
        XCTAssertEqual(try hub.restore(), 1)
        XCTAssertEqual(hub.canvas(of: id), canvas)
        XCTAssertEqual(hub.snapshot(of: id)?.head, 8)
        XCTAssertEqual(hub.snapshot(of: id)?.sliders["left_eye"], 0.2)
        let (a, pa) = Fixture.rejoin(hub, id, "client-aaaa")
        a.receive(text: #"{"type":"redo"}"#)
        XCTAssertEqual(pa.ops.last?["seq"] as? Int, 9)
        XCTAssertEqual(pa.ops.last?["target"] as? Int, 1)
        store.close()
    }

    func testDurableRunsOnlyAfterTheRowIsCommitted() throws {
        let store = try SQLiteOperationStore(directory: directory)
        let id = SessionID.random()
        store.sessionCreated(id, at: 1)
        let seen = expectation(description: "durable")
        let path = store.path
        store.append(#"{"type":"op","seq":1,"kind":"clear","author":"client-aaaa"}"#, seq: 1, to: id, at: 2) {
            // Another connection must already see the row.
            let reader = try! SQLiteConnection(path: path)
            var count = 0
            try! reader.query("SELECT COUNT(*) FROM ops") { row in count = Int(row.double(0)) }
            XCTAssertEqual(count, 1)
            seen.fulfill()
        }
        wait(for: [seen], timeout: 5)
        store.close()
    }

    func testManyWritesShareFewTransactionsWithGroupCommit() throws {
        let store = try SQLiteOperationStore(directory: directory)
        let id = SessionID.random()
        store.sessionCreated(id, at: 1)
        for seq in 1...2000 {
            store.append(#"{"type":"op","seq":\#(seq),"kind":"clear","author":"client-aaaa"}"#, seq: seq, to: id, at: 2) {}
        }
        store.flush()
        XCTAssertEqual(store.writes, 2001)
        XCTAssertLessThan(store.transactions, 200, "batched, not one transaction per write")
        XCTAssertEqual(try store.loadSessions().first?.ops.count, 2000)
        store.close()
    }

    func testAFailedCommitIsRetriedAndAcknowledgedOnlyOnceItSucceeds() throws {
        let store = try SQLiteOperationStore(directory: directory, busyTimeout: 50)
        let id = SessionID.random()
        store.sessionCreated(id, at: 1)
        store.flush()
        let blocker = try SQLiteConnection(path: store.path)
        try blocker.execute("BEGIN IMMEDIATE")   // another writer holds the lock: commits fail with SQLITE_BUSY
        let durable = expectation(description: "durable")
        let failed = expectation(description: "a commit failed")
        failed.assertForOverFulfill = false
        store.onCommitFailure = { failed.fulfill() }
        var acknowledged = false
        store.append(#"{"type":"op","seq":1,"kind":"clear","author":"client-aaaa"}"#, seq: 1, to: id, at: 2) {
            acknowledged = true
            durable.fulfill()
        }
        wait(for: [failed], timeout: 10)
        XCTAssertFalse(acknowledged, "no ack while the commit fails")
        try blocker.execute("ROLLBACK")
        wait(for: [durable], timeout: 10)
        XCTAssertEqual(try store.loadSessions().first?.ops.count, 1)
        store.close()
    }

    func testDeletedSessionIsGoneFromDisk() throws {
        let store = try SQLiteOperationStore(directory: directory)
        let id = SessionID.random()
        store.sessionCreated(id, at: 1)
        store.append(#"{"type":"op","seq":1,"kind":"clear","author":"client-aaaa"}"#, seq: 1, to: id, at: 2) {}
        store.sessionDeleted(id)
        store.flush()
        XCTAssertEqual(try store.loadSessions().count, 0)
        let reader = try SQLiteConnection(path: store.path)
        var count = -1
        try reader.query("SELECT COUNT(*) FROM ops") { row in count = Int(row.double(0)) }
        XCTAssertEqual(count, 0)
        store.close()
    }

    func testDatabaseIsInWALMode() throws {
        let store = try SQLiteOperationStore(directory: directory)
        let reader = try SQLiteConnection(path: store.path)
        var mode = ""
        try reader.query("PRAGMA journal_mode") { row in mode = row.text(0) }
        XCTAssertEqual(mode, "wal")
        store.close()
    }

    func testUnwritableDirectoryGivesAClearError() {
        XCTAssertThrowsError(try SQLiteOperationStore(directory: "/proc/sketchface-cannot-exist"))
    }
}

/// Stored rows are never overwritten, and damage is isolated to its session (issue 10, finding 6).
final class SQLiteDamageTests: XCTestCase {
    private var directory: String!

    override func setUp() {
        directory = NSTemporaryDirectory() + "sketchface-damage-\(UUID().uuidString)"
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func testAnExistingOpRowIsNeverOverwrittenNorAcknowledged() throws {
        let store = try SQLiteOperationStore(directory: directory)
        let id = SessionID.random()
        var conflicts = [(SessionID, Int)]()
        store.onConflict = { conflicts.append(($0, $1)) }
        store.sessionCreated(id, at: 0)
        store.append(#"{"type":"op","seq":1,"kind":"clear","author":"first"}"#, seq: 1, to: id, at: 0) {}
        store.flush()
        var acked = false
        store.append(#"{"type":"op","seq":1,"kind":"clear","author":"second"}"#, seq: 1, to: id, at: 0) { acked = true }
        store.flush()
        XCTAssertFalse(acked)
        XCTAssertEqual(conflicts.map(\.1), [1])
        XCTAssertEqual(try store.loadSessions().first?.ops, [#"{"type":"op","seq":1,"kind":"clear","author":"first"}"#])
        store.close()
    }

    func testAGapInOneSessionsLogDamagesThatSessionOnly() throws {
        let store = try SQLiteOperationStore(directory: directory)
        let broken = SessionID.random(), intact = SessionID.random()
        for id in [broken, intact] { store.sessionCreated(id, at: 0) }
        for seq in [1, 2, 4] {
            store.append("{\"type\":\"op\",\"seq\":\(seq),\"kind\":\"clear\",\"author\":\"a\"}", seq: seq, to: broken, at: 0) {}
        }
        for seq in 1...3 {
            store.append("{\"type\":\"op\",\"seq\":\(seq),\"kind\":\"clear\",\"author\":\"a\"}", seq: seq, to: intact, at: 0) {}
        }
        store.flush()
        let hub = SessionHub(store: store)
        var problems = [String]()
        hub.onProblem = { problems.append($0) }
        XCTAssertEqual(try hub.restore(), 2)
        XCTAssertNotNil(hub.damage(of: broken))
        XCTAssertEqual(problems.count, 1)
        XCTAssertEqual(hub.snapshot(of: broken)?.head, 2, "what was readable is kept, read-only")
        XCTAssertNil(hub.damage(of: intact))
        XCTAssertEqual(hub.snapshot(of: intact)?.head, 3)
        store.close()
    }
}
