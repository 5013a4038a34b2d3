import Raster
import Testing
@testable import Sessions

/// The replay view's reads (`GET /s/<id>/history`, the faces' past states) under lazy loading: they load a
/// session that is not in memory, like a join, and rebuild past states with the session's undo reach.
@Suite("Replay reads of a session")
struct ReplayReadsTests {
    @Test func historyPagesAndPastStatesLoadAnEvictedSession() throws {
        var config = SessionsConfig()
        config.evictAfter = 60
        config.undoReach = 20_000   // small: most of the drawing is baked into the checkpoint
        let f = Fixture(config: config)
        let (a, _) = f.join("client-aaaa")
        for i in 0..<12 { a.draw(id: i + 1, [(Double(20 + i * 30), 20), (Double(20 + i * 30), 480)]) }
        a.receive(text: #"{"type":"undo"}"#)
        let canvas = try #require(f.hub.canvas(of: f.id))
        let head = try #require(f.hub.head(of: f.id))
        let page = try #require(f.hub.historyPage(of: f.id, after: 0))
        let earlier = try #require(f.hub.state(of: f.id, at: 18))
        a.disconnected()
        f.clock.advance(120)
        #expect(f.hub.evictIdle() == 1)
        #expect(f.hub.memoryBytes == 0)
        #expect(f.hub.head(of: f.id) == head, "the head is known without loading the session")
        #expect(f.hub.memoryBytes == 0)
        #expect(f.hub.historyPage(of: f.id, after: 0) == page, "the history loads the session on access")
        #expect(f.hub.memoryBytes > 0)
        f.clock.advance(120)
        #expect(f.hub.evictIdle() == 1)
        let now = try #require(f.hub.state(of: f.id, at: head + 5))
        #expect(now.seq == head)
        #expect(now.canvas == canvas, "the state at the head is the live raster, undo and checkpoint included")
        #expect(f.hub.state(of: f.id, at: 18)?.canvas == earlier.canvas)
        #expect(f.hub.head(of: SessionID.random()) == nil)
    }
}
