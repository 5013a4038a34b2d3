import XCTest
import Foundation
import Raster
@testable import Sessions
@testable import SQLiteStore

/// The store contract, checked against every backend (docs/SESSIONS.md, "Durability"): restart restores,
/// ack after commit, group commit, retry without ack, deletion, no overwrite, damage isolated to its session.
/// Each check gets fresh, empty storage.
enum StoreConformance {
    static let checks: [(name: String, run: (StoreBackend) throws -> Void)] = [
        ("restart restores raster, seqs, sliders and undo history", restartRestores),
        ("durable runs only after the row is committed", durableAfterCommit),
        ("many writes share few transactions", groupCommit),
        ("a failed commit is retried and acknowledged only once it succeeds", failedCommitRetried),
        ("a deleted session is gone from storage", deletedSessionGone),
        ("an existing op row is never overwritten nor acknowledged", conflictNeverOverwrites),
        ("a gap in one session's log damages that session only", gapDamagesOneSession),
        ("op text comes back byte for byte", bodiesRoundTrip),
        ("a checkpoint is stored, replaced and deleted with its session", checkpoints),
    ]

    /// Runs every check against fresh backends from `make`.
    static func run(_ make: () throws -> StoreBackend) throws {
        for check in checks {
            let backend = try make()
            print("store conformance [\(backend.name)]: \(check.name)")
            try check.run(backend)
        }
    }

    static func op(_ seq: Int, author: String = "client-aaaa") -> String {
        "{\"type\":\"op\",\"seq\":\(seq),\"kind\":\"clear\",\"author\":\"\(author)\"}"
    }

    /// A store on `backend` with one new, empty session.
    static func openWithSession(_ backend: StoreBackend, at time: Double) throws -> (CountingStore, SessionID) {
        let store = try backend.open()
        let id = SessionID.random()
        store.sessionCreated(id, at: time)
        return (store, id)
    }

    static func restartRestores(_ backend: StoreBackend) throws {
        var canvas = Canvas()
        var id: SessionID!
        do {
            let store = try backend.open()
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
        let store = try backend.open()
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

    static func durableAfterCommit(_ backend: StoreBackend) throws {
        let (store, id) = try openWithSession(backend, at: 1)
        let seen = XCTestExpectation(description: "durable")
        store.append(op(1), seq: 1, to: id, at: 2) {
            // Another connection must already see the row.
            XCTAssertEqual(try? backend.storedOpCount(), 1)
            seen.fulfill()
        }
        XCTAssertEqual(XCTWaiter.wait(for: [seen], timeout: 10), .completed)
        store.close()
    }

    static func groupCommit(_ backend: StoreBackend) throws {
        let (store, id) = try openWithSession(backend, at: 1)
        for seq in 1...2000 { store.append(op(seq), seq: seq, to: id, at: 2) {} }
        store.flush()
        XCTAssertEqual(store.writes, 2001)
        XCTAssertLessThan(store.transactions, 200, "batched, not one transaction per write")
        XCTAssertEqual(try store.loadSessions().first?.ops.count, 2000)
        store.close()
    }

    static func failedCommitRetried(_ backend: StoreBackend) throws {
        let (store, id) = try openWithSession(backend, at: 1)
        store.flush()
        let unblock = try backend.blockWrites()
        let durable = XCTestExpectation(description: "durable")
        let failed = XCTestExpectation(description: "a commit failed")
        failed.assertForOverFulfill = false
        store.onCommitFailure = { failed.fulfill() }
        let acknowledged = Locked(false)
        store.append(op(1), seq: 1, to: id, at: 2) {
            acknowledged.locked { $0 = true }
            durable.fulfill()
        }
        XCTAssertEqual(XCTWaiter.wait(for: [failed], timeout: 10), .completed)
        XCTAssertFalse(acknowledged.locked { $0 }, "no ack while the commit fails")
        try unblock()
        XCTAssertEqual(XCTWaiter.wait(for: [durable], timeout: 10), .completed)
        XCTAssertEqual(try store.loadSessions().first?.ops.count, 1)
        store.close()
    }

    static func deletedSessionGone(_ backend: StoreBackend) throws {
        let (store, id) = try openWithSession(backend, at: 1)
        store.append(op(1), seq: 1, to: id, at: 2) {}
        store.sessionDeleted(id)
        store.flush()
        XCTAssertEqual(try store.loadSessions().count, 0)
        XCTAssertEqual(try backend.storedOpCount(), 0)
        store.close()
    }

    static func conflictNeverOverwrites(_ backend: StoreBackend) throws {
        let (store, id) = try openWithSession(backend, at: 0)
        let conflicts = Locked([Int]())
        store.onConflict = { _, seq in conflicts.locked { $0.append(seq) } }
        store.append(op(1, author: "first"), seq: 1, to: id, at: 0) {}
        store.flush()
        let acked = Locked(false)
        store.append(op(1, author: "second"), seq: 1, to: id, at: 0) { acked.locked { $0 = true } }
        store.flush()
        XCTAssertFalse(acked.locked { $0 })
        XCTAssertEqual(conflicts.locked { $0 }, [1])
        // Two appends of one new seq queued back to back: the first is stored and acknowledged, the second not.
        let acks = Locked([String]())
        store.append(op(2, author: "first"), seq: 2, to: id, at: 0) { acks.locked { $0.append("first") } }
        store.append(op(2, author: "second"), seq: 2, to: id, at: 0) { acks.locked { $0.append("second") } }
        store.flush()
        XCTAssertEqual(acks.locked { $0 }, ["first"])
        XCTAssertEqual(conflicts.locked { $0 }, [1, 2])
        XCTAssertEqual(try store.loadSessions().first?.ops, [op(1, author: "first"), op(2, author: "first")])
        store.close()
    }

    static func checkpoints(_ backend: StoreBackend) throws {
        let (store, id) = try openWithSession(backend, at: 0)
        XCTAssertNil(try store.loadCheckpoint(id))
        let first = (0..<1000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        store.saveCheckpoint(first, seq: 5, for: id)
        store.flush()
        XCTAssertEqual(try store.loadCheckpoint(id), StoredCheckpoint(seq: 5, bytes: first))
        store.saveCheckpoint([0, 255, 1], seq: 9, for: id)
        store.flush()
        XCTAssertEqual(try store.loadCheckpoint(id), StoredCheckpoint(seq: 9, bytes: [0, 255, 1]))
        store.sessionDeleted(id)
        store.flush()
        XCTAssertNil(try store.loadCheckpoint(id))
        store.close()
    }

    static func bodiesRoundTrip(_ backend: StoreBackend) throws {
        let (store, id) = try openWithSession(backend, at: 0)
        let bodies = [op(1, author: #"quote " backslash \ comma, {brace} é ✓ 😀"#), op(2), "{}"]
        for (index, body) in bodies.enumerated() { store.append(body, seq: index + 1, to: id, at: 0) {} }
        store.flush()
        XCTAssertEqual(try store.loadSessions().first?.ops, bodies)
        store.close()
    }

    static func gapDamagesOneSession(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let broken = SessionID.random(), intact = SessionID.random()
        for id in [broken, intact] { store.sessionCreated(id, at: 0) }
        for seq in [1, 2, 4] { store.append(op(seq, author: "a"), seq: seq, to: broken, at: 0) {} }
        for seq in 1...3 { store.append(op(seq, author: "a"), seq: seq, to: intact, at: 0) {} }
        store.flush()
        let hub = SessionHub(store: store)
        let problems = Locked([String]())
        hub.onProblem = { problem in problems.locked { $0.append(problem) } }
        XCTAssertEqual(try hub.restore(), 2)
        XCTAssertNotNil(hub.damage(of: broken))
        XCTAssertEqual(problems.locked { $0.count }, 1)
        XCTAssertEqual(hub.snapshot(of: broken)?.head, 2, "what was readable is kept, read-only")
        XCTAssertNil(hub.damage(of: intact))
        XCTAssertEqual(hub.snapshot(of: intact)?.head, 3)
        store.close()
    }
}

final class SQLiteStoreConformanceTests: XCTestCase {
    func testEveryConformanceCheck() throws { try StoreConformance.run { SQLiteBackend() } }
}

final class PostgresStoreConformanceTests: XCTestCase {
    func testEveryConformanceCheck() throws { try StoreConformance.run { try PostgresBackend() } }
}

/// What only the embedded store has.
final class SQLiteStoreTests: XCTestCase {
    func testDatabaseIsInWALMode() throws {
        let backend = SQLiteBackend()
        let store = try backend.open()
        var mode = ""
        try SQLiteConnection(path: (backend.directory as NSString).appendingPathComponent("sessions.sqlite"))
            .query("PRAGMA journal_mode") { row in mode = row.text(0) }
        XCTAssertEqual(mode, "wal")
        store.close()
    }

    func testUnwritableDirectoryGivesAClearError() {
        XCTAssertThrowsError(try SQLiteOperationStore(directory: "/proc/sketchface-cannot-exist"))
    }
}
