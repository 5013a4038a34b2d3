import XCTest
@testable import Sessions

/// After a node dies, the next owner reads the log and may reuse the seqs of ops the dead node had broadcast but
/// never committed: a client resumes after `lastSeq` only when the serving node can vouch for those ops.
final class SessionFailoverResumeTests: XCTestCase {
    /// A second node's hub over a store holding only `committed` ops of the first node's session.
    private func takeover(of f: Fixture, committed: Int) throws -> SessionHub {
        let stored = try XCTUnwrap(f.store.loadSession(f.id))
        let store = MemoryOperationStore()
        store.sessionCreated(f.id, at: stored.createdAt)
        for (index, text) in stored.ops.prefix(committed).enumerated() {
            store.append(text, seq: index + 1, to: f.id, at: stored.createdAt) {}
        }
        for (client, token) in stored.tokens { store.participantRegistered(client, token: token, in: f.id) }
        let hub = SessionHub(store: store, clock: { f.clock.now })
        try hub.restore()
        return hub
    }

    private func hello(_ hub: SessionHub, _ f: Fixture, _ client: String, lastSeq: Int) -> (SessionConnection, TestPeer) {
        let peer = TestPeer()
        let connection = hub.connect(to: f.id, peer: peer)!
        let token = f.jar.tokens[client].map { ",\"token\":\"\($0)\"" } ?? ""
        connection.receive(text: "{\"type\":\"hello\",\"version\":1,\"client\":\"\(client)\",\"lastSeq\":\(lastSeq)\(token)}")
        if let issued = peer.of(type: "welcome").first?["token"] as? String { f.jar.tokens[client] = issued }
        return (connection, peer)
    }

    func testAClientThatSawUncommittedOpsGetsAFullSnapshotFromTheNextOwner() throws {
        let f = Fixture()
        let (a, _) = f.join("client-aaaa")
        let (_, watcher) = f.join("client-bbbb")
        a.draw(id: 1, [(100, 100), (400, 100)])           // seqs 1-3: committed before the node died
        a.draw(id: 2, [(100, 300), (400, 300)], ref: 10)   // seqs 4-6: broadcast, lost with the node
        XCTAssertEqual(watcher.ops.count, 6)

        let next = try takeover(of: f, committed: 3)
        let (c, _) = hello(next, f, "client-cccc", lastSeq: 0)
        c.draw(id: 1, [(50, 450), (450, 450)])             // seqs 4-6 again, other ops
        let (_, resumed) = hello(next, f, "client-bbbb", lastSeq: 6)
        let welcome = try XCTUnwrap(resumed.of(type: "welcome").first)
        XCTAssertEqual(welcome["reset"] as? Bool, true)
        XCTAssertEqual(welcome["from"] as? Int, 0)
        XCTAssertEqual(replica(of: resumed).canvas, next.canvas(of: f.id))
    }

    func testResumingWhatThisNodeCommittedOrSentStaysIncremental() throws {
        let f = Fixture()
        let (a, _) = f.join("client-aaaa")
        a.draw(id: 1, [(100, 100), (400, 100)])
        let next = try takeover(of: f, committed: 3)
        let (_, upToLoaded) = hello(next, f, "client-bbbb", lastSeq: 3)
        XCTAssertEqual(upToLoaded.of(type: "welcome").first?["from"] as? Int, 3, "ops read from the log are the log's")

        let (c, _) = hello(next, f, "client-cccc", lastSeq: 0)
        c.draw(id: 1, [(50, 450), (450, 450)])
        c.receive(text: #"{"type":"ping"}"#)
        c.disconnected()
        let (_, back) = hello(next, f, "client-cccc", lastSeq: 6)
        XCTAssertEqual(back.of(type: "welcome").first?["from"] as? Int, 6, "what this node sent the client is vouched for")
    }
}
