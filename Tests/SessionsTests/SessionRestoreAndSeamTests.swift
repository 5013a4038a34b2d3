import XCTest
import Raster
@testable import Sessions

final class SessionRestoreAndSeamTests: XCTestCase {
    func testRestoreRebuildsRasterSeqsAndUndoHistory() throws {
        let f = Fixture()
        let (a, _) = f.join("client-aaaa")
        let (b, _) = f.join("client-bbbb")
        a.draw(id: 1, [(100, 100), (400, 100)])
        b.draw(id: 1, [(100, 300), (400, 300)])
        a.draw(id: 2, [(100, 400), (400, 450)], tool: "eraser")
        b.receive(text: #"{"type":"undo"}"#)
        b.receive(text: #"{"type":"sliders","values":{"mouth":0.9}}"#)
        let canvas = f.hub.canvas(of: f.id)!

        let restored = SessionHub(store: f.store, clock: { f.clock.now })
        XCTAssertEqual(try restored.restore(), 1)
        XCTAssertEqual(restored.canvas(of: f.id), canvas)
        XCTAssertEqual(restored.snapshot(of: f.id)?.head, 11)
        XCTAssertEqual(restored.snapshot(of: f.id)?.sliders["mouth"], 0.9)

        // Undo history survived: B redoes its stroke, A undoes its eraser stroke.
        Fixture.rejoinTokens["\(f.id)/client-bbbb"] = f.jar.tokens["client-bbbb"]
        Fixture.rejoinTokens["\(f.id)/client-aaaa"] = f.jar.tokens["client-aaaa"]
        let (b2, pb2) = Fixture.rejoin(restored, f.id, "client-bbbb")
        b2.receive(text: #"{"type":"redo"}"#)
        XCTAssertEqual(pb2.ops.last?["seq"] as? Int, 12)
        XCTAssertEqual(pb2.ops.last?["target"] as? Int, 4)
        let (a2, pa2) = Fixture.rejoin(restored, f.id, "client-aaaa")
        a2.receive(text: #"{"type":"undo"}"#)
        XCTAssertEqual(pa2.ops.last?["target"] as? Int, 7)
        XCTAssertLessThan(restored.canvas(of: f.id)![250, 300], 50)
    }

    func testACorruptRowMarksItsSessionDamagedNotShorterAndOthersKeepWorking() throws {
        let store = MemoryOperationStore()
        let id = SessionID.random(), healthy = SessionID.random()
        store.sessionCreated(id, at: 0)
        store.sessionCreated(healthy, at: 0)
        store.append(#"{"type":"op","seq":1,"kind":"clear","author":"client-aaaa"}"#, seq: 1, to: id, at: 0) {}
        store.append(#"{"type":"op","seq":2,"kind":"stroke.points","author":"x","stroke":1,"points":[{"x":900,"y":1}]}"#, seq: 2, to: id, at: 0) {}
        store.append(#"{"type":"op","seq":3,"kind":"clear","author":"client-aaaa"}"#, seq: 3, to: id, at: 0) {}
        var config = SessionsConfig()
        config.idleExpiry = 1
        let hub = SessionHub(config: config, store: store, clock: { 1_000_000 })
        var problems = [String]()
        hub.onProblem = { problems.append($0) }
        try hub.restore()
        XCTAssertTrue(problems.isEmpty, "nothing is read before the session is used")
        XCTAssertNotNil(hub.damage(of: id))
        XCTAssertEqual(problems.count, 1)
        XCTAssertTrue(problems[0].contains("op 2") && problems[0].contains("damaged"))
        XCTAssertFalse(problems[0].contains(id.text), "logs never show the id")
        XCTAssertNotNil(hub.damage(of: id))
        let peer = TestPeer()
        hub.connect(to: id, peer: peer)!.receive(text: #"{"type":"hello","version":1,"client":"client-aaaa"}"#)
        XCTAssertEqual(peer.errors.last?["code"] as? String, "session_damaged")
        XCTAssertEqual(peer.closed?.code, 4500)
        XCTAssertEqual(store.count(id), 3, "nothing was appended over the acknowledged rows")
        XCTAssertEqual(hub.expireIdle(), [healthy], "a damaged session waits for its operator")
        XCTAssertNil(hub.damage(of: healthy))
    }

    final class Recorder: SessionObserver {
        var applied: [AppliedOperation] = []
        var joined: [ParticipantJoined] = []
        var converts = 0
        weak var hub: SessionHub?
        func sessionDidApply(_ event: AppliedOperation) {
            applied.append(event)
            if event.strokePhase == .ended { hub?.broadcast(binary: [0x01, UInt8(event.seq)], in: event.session) }
        }
        func participantDidJoin(_ event: ParticipantJoined) {
            joined.append(event)
            hub?.send(binary: [0x02], to: event.participant)
        }
        func sessionDidRequestConvert(_ session: SessionID, by participant: ParticipantRef) { converts += 1 }
    }

    func testObserverSeesEachOperationWithRasterDirtyRectAndPhase() {
        let f = Fixture()
        let recorder = Recorder()
        recorder.hub = f.hub
        f.hub.observer = recorder
        let (a, pa) = f.join("client-aaaa")
        let (_, pb) = f.join("client-bbbb")
        XCTAssertEqual(recorder.joined.map(\.participant.client), ["client-aaaa", "client-bbbb"])
        XCTAssertEqual(pa.binaries, [[0x02]], "send(binary:to:) reaches only that participant")
        a.draw(id: 1, [(100, 100), (200, 100)])
        XCTAssertEqual(recorder.applied.map(\.seq), [1, 2, 3])
        XCTAssertEqual(recorder.applied.map(\.strokePhase), [.inProgress, .inProgress, .ended])
        XCTAssertEqual(recorder.applied[0].dirty, .empty)
        let dirty = recorder.applied[1].dirty
        XCTAssertTrue(dirty.minX <= 100 && dirty.maxX > 200 && dirty.minY <= 98 && dirty.maxY > 102 && dirty.maxY < 110)
        XCTAssertLessThan(recorder.applied[1].canvas[150, 100], 50)
        XCTAssertEqual(pb.binaries, [[0x02], [0x01, 3]], "broadcast(binary:in:) reaches everyone")
        a.receive(text: #"{"type":"sliders","values":{"nose":0.1}}"#)
        XCTAssertEqual(recorder.applied.last?.kind, .sliders)
        XCTAssertEqual(recorder.applied.last?.sliders["nose"], 0.1)
        a.receive(text: #"{"type":"convert"}"#)
        XCTAssertEqual(recorder.converts, 1)
        a.receive(text: #"{"type":"undo"}"#)
        XCTAssertEqual(recorder.applied.last?.kind, .undo)
        XCTAssertEqual(recorder.applied.last?.dirty, dirty, "undo reports the undone stroke's bounds")
        XCTAssertEqual(recorder.applied.last?.canvas, Canvas())
    }
}

extension Fixture {
    /// Tokens of `rejoin`ed clients, by session and client (they outlive a hub, as a browser's do a restart).
    nonisolated(unsafe) static var rejoinTokens: [String: String] = [:]

    /// Joins `client` to a hub, with the token it was issued by any earlier hub over the same store.
    static func rejoin(_ hub: SessionHub, _ id: SessionID, _ client: String) -> (SessionConnection, TestPeer) {
        let peer = TestPeer()
        let c = hub.connect(to: id, peer: peer)!
        let key = "\(id)/\(client)"
        let token = rejoinTokens[key].map { ",\"token\":\"\($0)\"" } ?? ""
        c.receive(text: "{\"type\":\"hello\",\"version\":1,\"client\":\"\(client)\"\(token)}")
        if let issued = peer.of(type: "welcome").first?["token"] as? String { rejoinTokens[key] = issued }
        return (c, peer)
    }
}
