import XCTest
import Raster
@testable import Sessions

final class SessionProtocolTests: XCTestCase {
    func testSessionIDsAre22URLSafeCharactersAndDistinct() {
        let ids = (0..<1000).map { _ in SessionID.random().text }
        XCTAssertEqual(Set(ids).count, 1000)
        for id in ids { XCTAssertNotNil(SessionID(id)); XCTAssertEqual(id.count, 22) }
        XCTAssertNil(SessionID("short"))
        XCTAssertNil(SessionID("abcdefghijklmnopqrstu/"))
    }

    func testHelloGetsWelcomeWithEmptySnapshotAndPresence() {
        let f = Fixture()
        let (_, peer) = f.join("client-aaaa")
        let welcome = peer.of(type: "welcome").first!
        XCTAssertEqual(welcome["head"] as? Int, 0)
        XCTAssertEqual(welcome["reset"] as? Bool, true)
        XCTAssertEqual((welcome["ops"] as? [Any])?.count, 0)
        XCTAssertEqual(welcome["sliders"] as? [String: Double], ["master": 1], "a fresh session: every slider at its default")
        XCTAssertEqual((peer.of(type: "presence").last?["participants"] as? [[String: Any]])?.first?["name"] as? String, "Ann")
    }

    func testParticipantsGetDistinctColoursEvenAfterManyReconnects() {
        let f = Fixture()
        _ = f.join("client-first")
        for i in 0..<15 { f.join("client-\(1000 + i)").0.disconnected() }   // connection 17 ≡ 1 (mod 16)
        let (_, peer) = f.join("client-last")
        let colours = (peer.of(type: "presence").last?["participants"] as! [[String: Any]]).map { $0["color"] as! String }
        XCTAssertEqual(colours.count, 2)
        XCTAssertNotEqual(colours[0], colours[1])
    }

    func testOperationsGetConsecutiveSeqsAndReachEveryoneInOrder() {
        let f = Fixture()
        let (a, pa) = f.join("client-aaaa")
        let (b, pb) = f.join("client-bbbb", name: "Bob")
        a.draw(id: 1, [(10, 10), (100, 100)])
        b.draw(id: 1, [(200, 10), (200, 300)])
        a.draw(id: 2, [(300, 300), (400, 310)])
        for peer in [pa, pb] {
            XCTAssertEqual(peer.ops.map { $0["seq"] as! Int }, Array(1...9))
        }
        XCTAssertEqual(pb.ops[3]["author"] as? String, "client-bbbb")
        XCTAssertEqual(pa.ops[1]["stroke"] as? Int, 1, "points name the stroke by its begin seq")
    }

    func testAckFollowsDurabilityNotBroadcast() {
        let f = Fixture()
        f.store.holdCommits = true
        let (a, pa) = f.join("client-aaaa")
        a.receive(text: #"{"type":"stroke.begin","id":7,"tool":"pen","width":4,"ref":42}"#)
        XCTAssertEqual(pa.ops.count, 1, "broadcast immediately")
        XCTAssertEqual(pa.acks, [], "no ack before commit")
        f.store.commit()
        XCTAssertEqual(pa.acks, [1])
        XCTAssertEqual(pa.of(type: "ack").first?["ref"] as? Int, 42)
    }

    func testReplicasConvergeToTheServerRaster() {
        let f = Fixture()
        let (a, pa) = f.join("client-aaaa")
        let (b, pb) = f.join("client-bbbb")
        // Interleave two strokes point batch by point batch, with an eraser.
        a.receive(text: #"{"type":"stroke.begin","id":1,"tool":"pen","width":9}"#)
        b.receive(text: #"{"type":"stroke.begin","id":1,"tool":"eraser","width":14}"#)
        for i in 0..<20 {
            let x = 50.0 + Double(i) * 20
            a.receive(text: "{\"type\":\"stroke.points\",\"id\":1,\"points\":[{\"x\":\(x),\"y\":250.3,\"p\":0.9}]}")
            b.receive(text: "{\"type\":\"stroke.points\",\"id\":1,\"points\":[{\"x\":250,\"y\":\(x + 3.7),\"p\":0.4}]}")
        }
        a.receive(text: #"{"type":"stroke.end","id":1}"#)
        b.receive(text: #"{"type":"stroke.end","id":1}"#)
        let server = f.hub.canvas(of: f.id)!
        XCTAssertEqual(replica(of: pa).canvas, server)
        XCTAssertEqual(replica(of: pb).canvas, server)
        XCTAssertEqual(replica(of: pa).render(), server, "a full re-render equals the incremental raster")
        XCTAssertLessThan(server.pixels.filter { $0 < 128 }.count, 20 * 20 * 9, "eraser removed part of the pen stroke")
        XCTAssertEqual(server[250, 250], 255, "erased where the strokes cross (eraser drawn later there)")
    }

    func testUndoRemovesOnlyOwnLastStrokeEvenAfterOthersDrew() {
        let f = Fixture()
        let (a, pa) = f.join("client-aaaa")
        let (b, pb) = f.join("client-bbbb")
        a.draw(id: 1, [(100, 100), (400, 100)])
        b.draw(id: 1, [(100, 300), (400, 300)])
        a.receive(text: #"{"type":"undo","ref":9}"#)
        let canvas = f.hub.canvas(of: f.id)!
        XCTAssertEqual(canvas[250, 100], 255, "A's stroke gone")
        XCTAssertLessThan(canvas[250, 300], 50, "B's stroke stays")
        XCTAssertEqual(pb.ops.last?["kind"] as? String, "undo")
        XCTAssertEqual(pb.ops.last?["target"] as? Int, 1)
        XCTAssertEqual(replica(of: pb).canvas, canvas)
        a.receive(text: #"{"type":"redo"}"#)
        XCTAssertLessThan(f.hub.canvas(of: f.id)![250, 100], 50, "redo brings it back")
        XCTAssertEqual(replica(of: pa).canvas, f.hub.canvas(of: f.id)!)
    }

    func testUndoWithNothingOfYoursIsRefusedAndNotBroadcast() {
        let f = Fixture()
        let (a, _) = f.join("client-aaaa")
        let (b, pb) = f.join("client-bbbb")
        a.draw(id: 1, [(100, 100), (400, 100)])
        let before = pb.ops.count
        b.receive(text: #"{"type":"undo","ref":3}"#)
        XCTAssertEqual(pb.errors.last?["code"] as? String, "nothing_to_undo")
        XCTAssertEqual(pb.errors.last?["ref"] as? Int, 3)
        XCTAssertEqual(pb.ops.count, before)
        b.receive(text: #"{"type":"redo"}"#)
        XCTAssertEqual(pb.errors.last?["code"] as? String, "nothing_to_redo")
    }

    func testClearIsUndoable() {
        let f = Fixture()
        let (a, _) = f.join("client-aaaa")
        let (b, _) = f.join("client-bbbb")
        a.draw(id: 1, [(100, 100), (400, 100)])
        let drawn = f.hub.canvas(of: f.id)!
        b.receive(text: #"{"type":"clear"}"#)
        XCTAssertEqual(f.hub.canvas(of: f.id)!, Canvas())
        b.receive(text: #"{"type":"undo"}"#)
        XCTAssertEqual(f.hub.canvas(of: f.id)!, drawn)
    }

    func testResumeSendsOnlyMissedOperations() {
        let f = Fixture()
        let (a, _) = f.join("client-aaaa")
        a.draw(id: 1, [(10, 10), (20, 20)])
        let (b, _) = f.join("client-bbbb")
        b.disconnected()                       // it has seqs 1-3
        a.draw(id: 2, [(30, 30), (40, 40)])
        let (_, pb) = f.join("client-bbbb", lastSeq: 3)
        let welcome = pb.of(type: "welcome").first!
        XCTAssertEqual(welcome["reset"] as? Bool, false)
        XCTAssertEqual(welcome["from"] as? Int, 3)
        XCTAssertEqual((welcome["ops"] as! [[String: Any]]).map { $0["seq"] as! Int }, [4, 5, 6])
    }

    func testAClientStillConnectedElsewhereResumesIncrementally() {
        let f = Fixture()
        let (a, _) = f.join("client-aaaa")
        let (_, stale) = f.join("client-bbbb")  // its network died; the server has not noticed yet
        a.draw(id: 1, [(10, 10), (20, 20)])
        XCTAssertEqual(stale.ops.count, 3)
        let (_, pb) = f.join("client-bbbb", lastSeq: 3)
        XCTAssertEqual(pb.of(type: "welcome").first?["from"] as? Int, 3)
    }

    func testWelcomeTellsAReconnectingClientItsLastAppliedRef() {
        let f = Fixture()
        let (a, _) = f.join("client-aaaa")
        a.draw(id: 1, [(10, 10), (20, 20)], ref: 40)   // refs 40, 41, 42
        a.receive(text: #"{"type":"stroke.points","id":9,"points":[{"x":1,"y":1}],"ref":43}"#)   // refused: not applied
        a.disconnected()
        let (_, pa) = f.join("client-aaaa", lastSeq: 3)
        XCTAssertEqual(pa.of(type: "welcome").first?["lastRef"] as? Int, 42)
        let (_, pb) = f.join("client-bbbb")
        XCTAssertEqual(pb.of(type: "welcome").first?["lastRef"] as? Int, 0)
    }

    func testResumeBeyondHeadGetsAFullSnapshot() {
        let f = Fixture()
        let (a, _) = f.join("client-aaaa")
        a.draw(id: 1, [(10, 10), (20, 20)])
        let (_, pb) = f.join("client-bbbb", lastSeq: 99)
        let welcome = pb.of(type: "welcome").first!
        XCTAssertEqual(welcome["reset"] as? Bool, true)
        XCTAssertEqual((welcome["ops"] as! [Any]).count, 3)
    }

    func testDisconnectMidStrokeEndsTheStroke() {
        let f = Fixture()
        let (a, _) = f.join("client-aaaa")
        let (_, pb) = f.join("client-bbbb")
        a.receive(text: #"{"type":"stroke.begin","id":1,"tool":"pen","width":4}"#)
        a.receive(text: #"{"type":"stroke.points","id":1,"points":[{"x":5,"y":5}]}"#)
        a.disconnected()
        XCTAssertEqual(pb.ops.last?["kind"] as? String, "stroke.end")
        XCTAssertEqual((pb.of(type: "presence").last?["participants"] as? [Any])?.count, 1)
    }

    func testCursorsReachOthersThrottledAndAreNotStored() {
        let f = Fixture()
        let (a, pa) = f.join("client-aaaa")
        let (_, pb) = f.join("client-bbbb")
        a.receive(text: #"{"type":"cursor","x":10.5,"y":20}"#)
        a.receive(text: #"{"type":"cursor","x":11,"y":20}"#)
        f.clock.advance(0.05)
        a.receive(text: #"{"type":"cursor","x":12,"y":20}"#)
        XCTAssertEqual(pb.of(type: "cursor").map { $0["x"] as! Double }, [10.5, 12])
        XCTAssertEqual(pa.of(type: "cursor").count, 0)
        XCTAssertEqual(f.store.count(f.id), 0)
    }

    func testSlidersAndModeArePersistedSessionState() {
        let f = Fixture()
        let (a, _) = f.join("client-aaaa")
        a.receive(text: #"{"type":"sliders","values":{"nose":0.25,"master":0.5}}"#)
        a.receive(text: #"{"type":"mode","mode":"on_demand"}"#)
        let (_, pb) = f.join("client-bbbb")
        let welcome = pb.of(type: "welcome").first!
        XCTAssertEqual((welcome["sliders"] as! [String: Double])["nose"], 0.25)
        XCTAssertEqual(welcome["sliders"] as! [String: Double], ["nose": 0.25, "master": 0.5], "sliders nobody set are left at their default")
        XCTAssertEqual(welcome["mode"] as? String, "on_demand")
        XCTAssertEqual(f.store.count(f.id), 2)
    }

    func testLongHistoryArrivesInPagesTheClientAsksFor() throws {
        var config = SessionsConfig()
        config.snapshotPageBytes = 2048
        let f = Fixture(config: config)
        let (a, _) = f.join("client-aaaa")
        for i in 0..<40 { a.draw(id: i, [(Double(10 + i * 10), 20), (Double(10 + i * 10), 400)]) }
        let (b, pb) = f.join("client-bbbb")
        var welcome = pb.of(type: "welcome").first!
        XCTAssertEqual(welcome["more"] as? Bool, true)
        var ops = welcome["ops"] as! [[String: Any]]
        XCTAssertLessThan(ops.count, 120)
        var pages = 1
        // Ops drawn while B is still loading arrive live and are applied after the gap fills.
        a.draw(id: 99, [(500, 10), (500, 500)])
        while welcome["more"] as? Bool == true {
            b.receive(text: "{\"type\":\"snapshot\",\"after\":\(ops.last!["seq"] as! Int)}")
            welcome = pb.of(type: "snapshot").last!
            XCTAssertEqual(welcome["after"] as? Int, ops.last!["seq"] as? Int)
            ops += welcome["ops"] as! [[String: Any]]
            pages += 1
        }
        XCTAssertGreaterThan(pages, 3)
        XCTAssertEqual(ops.map { $0["seq"] as! Int }, Array(1...123))
        var replica = SketchDocument()
        for op in ops {
            replica.apply(try Operation(encoded: String(decoding: try JSONSerialization.data(withJSONObject: op), as: UTF8.self)))
        }
        XCTAssertEqual(replica.canvas, f.hub.canvas(of: f.id))
        b.receive(text: #"{"type":"snapshot","after":999}"#)
        XCTAssertEqual(pb.errors.last?["field"] as? String, "after")
    }

    func testHistoryPageIsTheSnapshotPageAndClampsAfter() throws {
        var config = SessionsConfig()
        config.snapshotPageBytes = 2048
        let f = Fixture(config: config)
        let (a, _) = f.join("client-aaaa")
        for i in 0..<20 { a.draw(id: i, [(Double(10 + i * 10), 20), (Double(10 + i * 10), 400)]) }
        // The WebSocket pages only forward from where the join's welcome ended (issue 10): compare that page.
        let (b, pb) = f.join("client-bbbb")
        let welcomeOps = try XCTUnwrap(pb.of(type: "welcome").first?["ops"] as? [[String: Any]])
        let joinedThrough = try XCTUnwrap(welcomeOps.last?["seq"] as? Int)
        XCTAssertLessThan(joinedThrough, 60, "the welcome is one page of several")
        b.receive(text: "{\"type\":\"snapshot\",\"after\":\(joinedThrough)}")
        XCTAssertEqual(f.hub.historyPage(of: f.id, after: joinedThrough), pb.texts.last, "the replay reads the WebSocket's pages")
        XCTAssertEqual(f.hub.historyPage(of: f.id, after: -3), f.hub.historyPage(of: f.id, after: 0))
        let end = try JSONSerialization.jsonObject(with: Data(f.hub.historyPage(of: f.id, after: 9999)!.utf8)) as! [String: Any]
        XCTAssertEqual(end["after"] as? Int, 60)
        XCTAssertEqual(end["more"] as? Bool, false)
        XCTAssertEqual((end["ops"] as? [Any])?.count, 0)
        XCTAssertNil(f.hub.historyPage(of: SessionID.random(), after: 0))
    }

    func testStateAtASeqIsTheSessionAsItWasThen() {
        let f = Fixture()
        let (a, _) = f.join("client-aaaa")
        a.draw(id: 1, [(10, 20), (300, 20)])
        let afterFirst = f.hub.canvas(of: f.id)!
        a.draw(id: 2, [(10, 200), (300, 200)])
        a.receive(text: #"{"type":"sliders","values":{"nose":0.2}}"#)
        XCTAssertEqual(f.hub.state(of: f.id, at: 3)?.canvas, afterFirst)
        XCTAssertEqual(f.hub.state(of: f.id, at: 3)?.sliders["nose"], 0.5, "the sliders as they were then")
        let now = f.hub.state(of: f.id, at: 999)!
        XCTAssertEqual(now.seq, 7)
        XCTAssertEqual(now.canvas, f.hub.canvas(of: f.id))
        XCTAssertEqual(now.sliders["nose"], 0.2)
        XCTAssertEqual(f.hub.state(of: f.id, at: -1)?.canvas, Canvas())
        XCTAssertNil(f.hub.state(of: SessionID.random(), at: 1))
    }
}
