import XCTest
import Foundation
@testable import Sessions
@testable import PostgresStore

/// Ownership between two nodes sharing one PostgreSQL database (docs/SESSIONS.md, "Leases and fencing").
/// Leases are ended in SQL (as if the owner had been paused for a lease length), not by sleeping.
final class PostgresLeaseTests: XCTestCase {
    private func op(_ seq: Int, _ author: String) -> String { StoreConformance.op(seq, author: author) }

    /// Databases of the running test, kept (and their schemas) until it ends.
    private var backends = [PostgresBackend]()

    override func tearDown() { backends = [] }

    /// Two nodes on one fresh database.
    private func twoNodes() throws -> (PostgresBackend, PostgresOperationStore, PostgresOperationStore) {
        let backend = try PostgresBackend()
        backends.append(backend)
        return (backend, try backend.openStore(node: "node-a"), try backend.openStore(node: "node-b"))
    }

    /// A hub over `store` with a new session and one joined client.
    private func joinedOnNewSession(_ store: PostgresOperationStore) throws -> (SessionHub, SessionID, SessionConnection, TestPeer) {
        let hub = SessionHub(store: store)
        let id = try hub.createSession()
        let (client, peer) = Fixture.rejoin(hub, id, "client-aaaa")
        return (hub, id, client, peer)
    }

    /// Records the leases `store` reports lost (on its storage thread).
    private func lostLeases(of store: PostgresOperationStore) -> Locked<[SessionID]> {
        let lost = Locked([SessionID]())
        store.onLeaseLost = { id in lost.locked { $0.append(id) } }
        return lost
    }

    func testASecondNodeCannotTakeALiveLease() throws {
        let (_, a, b) = try twoNodes()
        let id = SessionID.random()
        a.sessionCreated(id, at: 1)
        a.flush()
        XCTAssertThrowsError(try b.loadSession(id)) { error in
            XCTAssertEqual((error as? SessionNotOwned)?.reason, "node node-a holds its lease")
        }
        XCTAssertNil(b.heldLeases[id])
        a.close(); b.close()
    }

    func testTakeoverFencesTheOldOwnerAndKeepsEveryAckedOpInOrder() throws {
        let (backend, a, b) = try twoNodes()
        let lostByA = lostLeases(of: a)
        let id = SessionID.random()
        a.sessionCreated(id, at: 1)
        let acked = Locked([String]())
        for seq in 1...3 { a.append(op(seq, "a"), seq: seq, to: id, at: 2) { acked.locked { $0.append("a\(seq)") } } }
        a.flush()
        XCTAssertEqual(acked.locked { $0 }, ["a1", "a2", "a3"])

        try backend.expireLeases()           // node A stalled past its lease
        let taken = try XCTUnwrap(try b.loadSession(id))
        XCTAssertEqual(taken.ops, (1...3).map { op($0, "a") }, "the new owner starts from every acked op, in order")
        XCTAssertEqual(b.heldLeases[id], 2, "a taken lease has a new epoch")

        // A resumes and goes on writing under its old epoch: refused, not acknowledged, the loss reported.
        a.append(op(4, "a"), seq: 4, to: id, at: 3) { acked.locked { $0.append("a4") } }
        a.flush()
        XCTAssertEqual(lostByA.locked { $0 }, [id])
        XCTAssertNil(a.heldLeases[id])
        b.append(op(4, "b"), seq: 4, to: id, at: 4) { acked.locked { $0.append("b4") } }
        b.flush()
        // Later stale writes are refused silently (the loss was reported once), checkpoints included.
        a.append(op(5, "a"), seq: 5, to: id, at: 5) { acked.locked { $0.append("a5") } }
        a.saveCheckpoint([1, 2, 3], seq: 5, for: id)
        a.flush()
        XCTAssertNil(try b.loadCheckpoint(id))
        XCTAssertEqual(acked.locked { $0 }, ["a1", "a2", "a3", "b4"])
        XCTAssertEqual(lostByA.locked { $0 }, [id])
        XCTAssertEqual(try b.loadSession(id)?.ops, (1...3).map { op($0, "a") } + [op(4, "b")])
        a.close(); b.close()
    }

    func testRenewalNoticesThatAnotherNodeTookTheLease() throws {
        let backend = try PostgresBackend()
        backend.leaseSeconds = 0.6            // renewed every 0.2 s
        let a = try backend.openStore(node: "node-a")
        backend.leaseSeconds = 10
        let b = try backend.openStore(node: "node-b")
        let id = SessionID.random()
        let lost = XCTestExpectation(description: "A notices")
        a.onLeaseLost = { if $0 == id { lost.fulfill() } }
        a.sessionCreated(id, at: 1)
        a.flush()
        try backend.expireLeases()
        XCTAssertNotNil(try b.loadSession(id))
        wait(for: [lost], timeout: 10)
        XCTAssertNil(a.heldLeases[id])
        a.close(); b.close()
    }

    func testRenewalKeepsALeaseAlive() throws {
        let backend = try PostgresBackend()
        backend.leaseSeconds = 0.6
        let a = try backend.openStore(node: "node-a")
        let lostByA = lostLeases(of: a)
        let id = SessionID.random()
        a.sessionCreated(id, at: 1)
        a.flush()
        // Three lease lengths later (on the database's clock) the lease is still A's and unexpired.
        let connection = try backend.connection()
        let start = try XCTUnwrap(connection.run("SELECT clock_timestamp()").rows.first?[0])
        var state = [String?]()
        repeat {
            usleep(100_000)
            state = try connection.run("""
                SELECT clock_timestamp() > $1::timestamptz + interval '1.8 seconds', expires > clock_timestamp(), owner
                FROM leases WHERE session = $2
                """, [start, id.text]).rows[0]
            XCTAssertEqual(state[1], "t", "the lease never lapses")
        } while state[0] != "t"
        XCTAssertEqual(state[2], "node-a")
        XCTAssertEqual(lostByA.locked { $0 }, [])
        XCTAssertEqual(a.heldLeases[id], 1)
        a.close()
    }

    func testReleaseLetsAnotherNodeTakeOverAtOnce() throws {
        let (_, a, b) = try twoNodes()
        let first = SessionID.random(), second = SessionID.random()
        for id in [first, second] { a.sessionCreated(id, at: 1) }
        a.append(op(1, "a"), seq: 1, to: first, at: 2) {}
        a.release(first)
        a.flush()
        XCTAssertEqual(try b.loadSession(first)?.ops, [op(1, "a")], "writes queued before the release are committed first")
        XCTAssertEqual(b.heldLeases[first], 2)
        XCTAssertThrowsError(try b.loadSession(second))
        a.releaseAll()
        XCTAssertEqual(a.heldLeases, [:])
        XCTAssertNotNil(try b.loadSession(second))
        a.close(); b.close()
    }

    func testALostLeaseClosesTheSessionsClientsWith4503AndAcksNothingMore() throws {
        let (backend, a, b) = try twoNodes()
        let (hubA, id, client, peer) = try joinedOnNewSession(a)
        client.draw(id: 1, [(10, 10), (20, 20)])
        a.flush()
        XCTAssertEqual(peer.acks, [1, 2, 3])

        try backend.expireLeases()
        let hubB = SessionHub(store: b)
        XCTAssertTrue(hubB.discover(id), "B finds a session created after it started")
        let (clientB, peerB) = Fixture.rejoin(hubB, id, "client-bbbb")
        XCTAssertEqual(hubB.snapshot(of: id)?.head, 3)

        client.draw(id: 2, [(30, 30)])
        a.flush()
        XCTAssertEqual(peer.acks, [1, 2, 3], "nothing accepted after the takeover is acknowledged")
        XCTAssertEqual(peer.closed?.code, SessionCloseCode.sessionMoved.rawValue)

        // The client reconnects; B serves it, and A refuses it while B holds the lease.
        let again = TestPeer()
        XCTAssertNil(hubA.connect(to: id, peer: again))
        XCTAssertEqual(again.closed?.code, 4503)
        clientB.draw(id: 1, [(40, 40)])
        b.flush()
        XCTAssertEqual(peerB.acks, [4, 5, 6])
        XCTAssertEqual(try b.loadSession(id)?.ops.count, 6)
        a.close(); b.close()
    }

    func testExpiryDeletesOnlyIdleSessionsNobodyElseOwns() throws {
        let (_, a, b) = try twoNodes()
        let owned = SessionID.random(), active = SessionID.random(), idle = SessionID.random()
        for id in [owned, active, idle] { a.sessionCreated(id, at: 100) }
        a.append(op(1, "a"), seq: 1, to: active, at: 500) {}
        a.release(active); a.release(idle)
        a.flush()
        for id in [owned, active, idle] { b.sessionExpired(id, lastActive: 200) }
        b.flush()
        XCTAssertEqual(try b.loadSessionIndex().map(\.id).sorted { $0.text < $1.text },
                       [owned, active].sorted { $0.text < $1.text },
                       "A's live lease keeps one, activity after B's view keeps the other")
        a.close(); b.close()
    }

    func testMigrationsRunOnceAndAreRecorded() throws {
        let (backend, a, b) = try twoNodes()
        let versions = try backend.connection().run("SELECT version FROM schema_version ORDER BY version").rows
        XCTAssertEqual(versions, [["1"], ["2"]])
        a.close(); b.close()
    }

    func testStoreReportsReadyAndAnUnreachableServerGivesAClearError() throws {
        let backend = try PostgresBackend()
        let a = try backend.openStore(node: "node-a")
        XCTAssertTrue(a.isReady())
        a.close()
        XCTAssertThrowsError(try PostgresOperationStore(conninfo: "host=/nonexistent port=1 connect_timeout=1", nodeID: "x")) { error in
            XCTAssertTrue("\(error)".hasPrefix("cannot connect to PostgreSQL:"), "\(error)")
        }
    }

    func testHandOverClosesClientsAndReleasesEveryLeaseAfterItsWritesCommit() throws {
        let (_, a, b) = try twoNodes()
        let (hubA, id, client, peer) = try joinedOnNewSession(a)
        client.receive(text: #"{"type":"stroke.begin","id":1,"tool":"pen","width":6,"ref":1}"#)
        client.receive(text: #"{"type":"stroke.points","id":1,"points":[{"x":10,"y":10}],"ref":2}"#)
        hubA.handOver()          // drain: the open stroke is ended and committed before the lease goes
        XCTAssertEqual(peer.closed?.code, 4503)
        XCTAssertEqual(a.heldLeases, [:])
        let hubB = SessionHub(store: b)
        XCTAssertTrue(hubB.discover(id))
        XCTAssertEqual(hubB.snapshot(of: id)?.head, 3, "begin, points and the server's stroke.end")
        XCTAssertEqual(b.heldLeases[id], 2)
        a.close(); b.close()
    }

    func testADatabaseRestartDelaysAcksWithoutLosingThemAndReadinessFollowsIt() throws {
        let server = try TemporaryPostgres(fsync: false)
        defer { server.stop() }
        let store = try PostgresOperationStore(conninfo: server.conninfo(), nodeID: "node-a", leaseSeconds: 10)
        let id = SessionID.random()
        store.sessionCreated(id, at: 1)
        store.append(op(1, "a"), seq: 1, to: id, at: 2) {}
        store.flush()
        XCTAssertTrue(store.isReady())
        try server.stopServer()
        let acked = XCTestExpectation(description: "acked after the restart")
        let down = Locked(true)
        store.append(op(2, "a"), seq: 2, to: id, at: 3) {
            XCTAssertFalse(down.locked { $0 }, "no ack while the database is down")
            acked.fulfill()
        }
        let deadline = Date().addingTimeInterval(5)
        while store.isReady() && Date() < deadline { usleep(50_000) }
        XCTAssertFalse(store.isReady(), "readiness reports the database down")
        down.locked { $0 = false }
        try server.startServer()
        wait(for: [acked], timeout: 10)
        XCTAssertTrue(store.isReady())
        XCTAssertEqual(try store.loadSession(id)?.ops, [op(1, "a"), op(2, "a")])
        store.close()
    }
}
