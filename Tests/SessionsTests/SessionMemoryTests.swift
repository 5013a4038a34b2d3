import XCTest
import Raster
@testable import Sessions

/// Byte budgets, eviction of idle sessions and loading on first access (issue 10, findings 2 and 4).
final class SessionMemoryTests: XCTestCase {
    func testAnIdleSessionIsEvictedOnceCommittedAndLoadsAgainOnJoin() {
        var config = SessionsConfig()
        config.evictAfter = 60
        let f = Fixture(config: config)
        let (a, _) = f.join("client-aaaa")
        a.draw(id: 1, [(100, 100), (300, 200)])
        a.receive(text: #"{"type":"undo"}"#)
        a.receive(text: #"{"type":"redo"}"#)
        let canvas = f.hub.canvas(of: f.id)!
        f.clock.advance(120)
        XCTAssertEqual(f.hub.evictIdle(), 0, "someone is in it")
        a.disconnected()
        f.clock.advance(30)
        XCTAssertEqual(f.hub.evictIdle(), 0, "not quiet for long enough")
        f.clock.advance(60)
        XCTAssertGreaterThan(f.hub.memoryBytes, 0)
        XCTAssertEqual(f.hub.evictIdle(), 1)
        XCTAssertEqual(f.hub.memoryBytes, 0, "an evicted session holds none of its history")
        let (b, pb) = f.join("client-aaaa")
        XCTAssertEqual(pb.of(type: "welcome").first?["head"] as? Int, 5)
        XCTAssertEqual(f.hub.canvas(of: f.id), canvas)
        b.receive(text: #"{"type":"undo"}"#)
        XCTAssertEqual(pb.ops.last?["target"] as? Int, 1, "undo history came back with it")
    }

    func testUncommittedDrawingIsNeverEvicted() {
        var config = SessionsConfig()
        config.evictAfter = 1
        let f = Fixture(config: config)
        f.store.holdCommits = true
        let (a, _) = f.join("client-aaaa")
        a.draw(id: 1, [(100, 100), (300, 200)])
        a.disconnected()
        f.clock.advance(10)
        XCTAssertEqual(f.hub.evictIdle(), 0)
        f.store.commit()
        XCTAssertEqual(f.hub.evictIdle(), 1)
    }

    func testRestartRegistersSessionsWithoutReadingTheirHistory() throws {
        let f = Fixture()
        let (a, _) = f.join("client-aaaa")
        for i in 0..<50 { a.draw(id: i, [(Double(10 + i), 10), (Double(10 + i), 500)]) }
        let restored = SessionHub(store: f.store, clock: { f.clock.now })
        XCTAssertEqual(try restored.restore(), 1)
        XCTAssertEqual(restored.memoryBytes, 0, "nothing is loaded before the session is used")
        XCTAssertEqual(restored.canvas(of: f.id), f.hub.canvas(of: f.id))
        XCTAssertGreaterThan(restored.memoryBytes, 0)
    }

    func testASessionStopsAcceptingDrawingAtItsByteBudget() {
        var config = SessionsConfig()
        config.maxSessionBytes = 4096
        let f = Fixture(config: config)
        let (a, pa) = f.join("client-aaaa")
        for i in 0..<60 where pa.errors.isEmpty { a.draw(id: i, [(100, 100), (300, 200), (400, 400)]) }
        XCTAssertEqual(pa.errors.first?["code"] as? String, "limit")
        XCTAssertTrue((pa.errors.first?["message"] as? String ?? "").contains("size limit"))
        XCTAssertLessThan(f.hub.snapshot(of: f.id)!.head, 60 * 3)
    }

    func testTheServerStopsAcceptingDrawingAtItsByteBudget() throws {
        var config = SessionsConfig()
        config.maxServerBytes = 4096
        let f = Fixture(config: config)
        let other = try f.hub.createSession()
        let (a, _) = f.join("client-aaaa")
        for i in 0..<30 { a.draw(id: i, [(100, 100), (300, 200), (400, 400)]) }
        let (b, pb) = f.join("client-bbbb", to: other)
        b.receive(text: #"{"type":"stroke.begin","id":1,"tool":"pen","width":4}"#)
        XCTAssertEqual(pb.errors.last?["code"] as? String, "unavailable")
        XCTAssertTrue(pb.ops.isEmpty)
    }
}
