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

/// Snapshot pages only while paging a join, forward, once (issue 10, finding 8).
final class SnapshotPagingTests: XCTestCase {
    func testSnapshotIsRefusedOutsideAJoinAndPagesCannotBeReRequested() {
        var config = SessionsConfig()
        config.snapshotPageBytes = 2048
        let f = Fixture(config: config)
        let (a, pa) = f.join("client-aaaa")
        a.receive(text: #"{"type":"snapshot","after":0}"#)
        XCTAssertEqual(pa.errors.last?["field"] as? String, "after", "nothing to page: the welcome was complete")
        for i in 0..<40 { a.draw(id: i, [(Double(10 + i * 10), 20), (Double(10 + i * 10), 400)]) }
        let (b, pb) = f.join("client-bbbb")
        let first = pb.of(type: "welcome").first!
        let end = (first["ops"] as! [[String: Any]]).last!["seq"] as! Int
        b.receive(text: "{\"type\":\"snapshot\",\"after\":\(end)}")
        XCTAssertEqual(pb.of(type: "snapshot").count, 1)
        b.receive(text: "{\"type\":\"snapshot\",\"after\":\(end)}")
        b.receive(text: #"{"type":"snapshot","after":0}"#)
        XCTAssertEqual(pb.of(type: "snapshot").count, 1, "the same page twice, or history again, is refused")
        XCTAssertEqual(pb.errors.count, 2)
    }
}

/// A store that cannot keep up (disk full) pauses drawing with a clear error (issue 10, finding 9).
final class BackPressureTests: XCTestCase {
    func testDrawingIsRefusedWhileTheStoreCannotSaveAndResumesWhenItCan() {
        var config = SessionsConfig()
        config.maxUnsavedBytes = 1000
        let f = Fixture(config: config)
        let (a, pa) = f.join("client-aaaa")
        let (_, pb) = f.join("client-bbbb")
        f.store.backlogBytes = 5000
        a.receive(text: #"{"type":"stroke.begin","id":1,"tool":"pen","width":4,"ref":1}"#)
        XCTAssertEqual(pa.errors.last?["code"] as? String, "unavailable")
        XCTAssertEqual(pa.errors.last?["ref"] as? Int, 1)
        XCTAssertTrue(pb.ops.isEmpty, "nothing unsaved is broadcast")
        XCTAssertNil(pa.closed)
        f.store.backlogBytes = 0
        a.receive(text: #"{"type":"stroke.begin","id":1,"tool":"pen","width":4,"ref":2}"#)
        XCTAssertEqual(pb.ops.count, 1)
    }
}
