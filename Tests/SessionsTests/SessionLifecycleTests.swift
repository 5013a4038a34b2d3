import XCTest
@testable import Sessions

/// The smaller findings of issue 10 (item 10): hello deadline, before-hello rules, join rate, ids in logs.
final class SessionLifecycleTests: XCTestCase {
    func testASocketWithoutHelloIsClosedWith4400AtTheDeadline() {
        let f = Fixture()
        let (_, joined) = f.join("client-aaaa")
        let peer = TestPeer()
        let idle = f.hub.connect(to: f.id, peer: peer)!
        idle.helloDeadlinePassed()
        XCTAssertEqual(peer.errors.last?["code"] as? String, "hello_required")
        XCTAssertEqual(peer.closed?.code, 4400)
        XCTAssertNil(joined.closed)
        f.join("client-bbbb").0.helloDeadlinePassed()
        XCTAssertEqual(f.hub.snapshot(of: f.id)?.head, 0)
    }

    func testAnythingButAValidHelloFirstGetsAnErrorAnd4400() {
        for first in ["{\"type\":", #"{"type":"explode"}"#, #"{"type":"hello","version":1,"client":"short"}"#, #"{"type":"ping"}"#] {
            let f = Fixture()
            let peer = TestPeer()
            f.hub.connect(to: f.id, peer: peer)!.receive(text: first)
            XCTAssertEqual(peer.errors.count, 1, first)
            XCTAssertEqual(peer.closed?.code, 4400, first)
        }
        let f = Fixture()
        let peer = TestPeer()
        f.hub.connect(to: f.id, peer: peer)!.receive(binary: [1])
        XCTAssertEqual(peer.closed?.code, 4400)
    }

    func testJoinAndLeaveFloodsAreRateLimitedPerSession() {
        var config = SessionsConfig()
        config.joinsPerSecond = 5
        config.joinBurst = 10
        let f = Fixture(config: config)
        let (_, watcher) = f.join("client-watch")
        var refused = 0
        for i in 0..<50 {
            let (c, peer) = f.join("client-\(1000 + i)")
            if peer.closed?.code == 1008 { refused += 1 } else { c.disconnected() }
        }
        XCTAssertEqual(refused, 41, "the burst of ten, the watcher's join included, then refusals")
        XCTAssertLessThanOrEqual(watcher.of(type: "presence").count, 1 + 2 * 9)
        f.clock.advance(1)
        XCTAssertNil(f.join("client-later").1.closed, "a second later joins are welcome again")
    }

    func testLogsNameSessionsByAShortHashNotTheId() {
        let id = SessionID.random()
        XCTAssertFalse(id.logName.contains(id.text))
        XCTAssertEqual(id.logName.count, 10)
        XCTAssertEqual(id.logName, SessionID(id.text)!.logName)
    }
}
