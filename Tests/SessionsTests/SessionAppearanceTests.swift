import XCTest
import Raster
@testable import Sessions

/// The appearance setting: one palette index per session, shared, persisted and replayed like the sliders.
final class SessionAppearanceTests: XCTestCase {
    func testAnAppearanceIsBroadcastPersistedAndShownToLaterJoiners() throws {
        let f = Fixture()
        f.hub.paletteSize = 8
        let (a, pa) = f.join("client-aaaa")
        let (_, pb) = f.join("client-bbbb")
        XCTAssertNil(pa.of(type: "welcome").first?["appearance"], "nobody picked one: the model's default")
        a.receive(text: #"{"type":"appearance","index":5,"ref":3}"#)
        XCTAssertEqual(pa.errors.count, 0)
        for peer in [pa, pb] {
            let op = try XCTUnwrap(peer.ops.last)
            XCTAssertEqual(op["kind"] as? String, "appearance")
            XCTAssertEqual(op["index"] as? Int, 5)
        }
        XCTAssertEqual(pa.acks, [1])
        XCTAssertEqual(f.store.count(f.id), 1)
        XCTAssertEqual(f.hub.snapshot(of: f.id)?.appearance, 5)
        XCTAssertEqual(replica(of: pb).appearance, 5, "a replica built from the ops agrees")
        let (_, pc) = f.join("client-cccc")
        XCTAssertEqual(pc.of(type: "welcome").first?["appearance"] as? Int, 5)

        // Restart: replayed from the store whatever palette is loaded now.
        let restored = SessionHub(store: f.store, clock: { f.clock.now })
        XCTAssertEqual(try restored.restore(), 1)
        XCTAssertEqual(restored.snapshot(of: f.id)?.appearance, 5)
        XCTAssertNil(restored.damage(of: f.id), "the log replays without a problem")
    }

    func testIndicesOutsideThePaletteAreRefusedByField() {
        func refusal(_ text: String, paletteSize: Int?) -> (String?, String?) {
            let f = Fixture()
            f.hub.paletteSize = paletteSize
            let (a, pa) = f.join("client-aaaa")
            a.receive(text: text)
            XCTAssertEqual(f.store.count(f.id), pa.errors.isEmpty ? 1 : 0)
            return (pa.errors.last?["field"] as? String, pa.errors.last?["message"] as? String)
        }
        XCTAssertEqual(refusal(#"{"type":"appearance","index":8}"#, paletteSize: 8).0, "index")
        XCTAssertTrue(refusal(#"{"type":"appearance","index":8}"#, paletteSize: 8).1?.contains("palette size 8") ?? false)
        XCTAssertTrue(refusal(#"{"type":"appearance","index":0}"#, paletteSize: 0).1?.contains("no appearance palette") ?? false)
        XCTAssertEqual(refusal(#"{"type":"appearance","index":-1}"#, paletteSize: 8).0, "index")
        XCTAssertEqual(refusal(#"{"type":"appearance","index":1.5}"#, paletteSize: 8).0, "index")
        XCTAssertEqual(refusal(#"{"type":"appearance"}"#, paletteSize: 8).0, "index")
        XCTAssertEqual(refusal(#"{"type":"appearance","index":"2"}"#, paletteSize: 8).0, "index")
        // Without a model any index the protocol carries is kept.
        XCTAssertNil(refusal(#"{"type":"appearance","index":200}"#, paletteSize: nil).0)
        XCTAssertEqual(refusal(#"{"type":"appearance","index":256}"#, paletteSize: nil).0, "index")
    }

    func testTheObserverSeesTheAppearanceOnEveryOperationAndJoin() {
        final class Recorder: SessionObserver {
            var applied: [AppliedOperation] = []
            var joined: [ParticipantJoined] = []
            func sessionDidApply(_ event: AppliedOperation) { applied.append(event) }
            func participantDidJoin(_ event: ParticipantJoined) { joined.append(event) }
            func sessionDidRequestConvert(_ session: SessionID, by participant: ParticipantRef) {}
            func sessionDidEnd(_ session: SessionID) {}
        }
        let f = Fixture()
        let recorder = Recorder()
        f.hub.observer = recorder
        let (a, _) = f.join("client-aaaa")
        XCTAssertEqual(recorder.joined.map(\.appearance), [nil])
        a.receive(text: #"{"type":"appearance","index":2}"#)
        XCTAssertEqual(recorder.applied.last?.kind, .appearance)
        XCTAssertEqual(recorder.applied.last?.appearance, 2)
        a.draw(id: 1, [(100, 100), (200, 100)])
        XCTAssertEqual(recorder.applied.last?.appearance, 2, "every later operation carries the setting")
        _ = f.join("client-bbbb")
        XCTAssertEqual(recorder.joined.last?.appearance, 2)
    }

    func testCandidatesAreCheckedForShapeHereAndWithoutAModelRefusedAsUnavailable() {
        func error(_ text: String) -> [String: Any]? {
            let f = Fixture()
            let (a, pa) = f.join("client-aaaa")
            a.receive(text: text)
            XCTAssertEqual(f.store.count(f.id), 0, "a candidates request is never an operation")
            return pa.errors.last
        }
        XCTAssertEqual(error(#"{"type":"candidates","indices":[0,1,2,3,4]}"#)?["code"] as? String, "limit")
        XCTAssertEqual(error(#"{"type":"candidates","indices":[0,1,2,3,4]}"#)?["field"] as? String, "indices")
        XCTAssertEqual(error(#"{"type":"candidates","indices":[0,1.5]}"#)?["field"] as? String, "indices[1]")
        XCTAssertEqual(error(#"{"type":"candidates","indices":[0,"1"]}"#)?["field"] as? String, "indices[1]")
        XCTAssertEqual(error(#"{"type":"candidates","indices":[256]}"#)?["field"] as? String, "indices[0]")
        XCTAssertEqual(error(#"{"type":"candidates","indices":2}"#)?["field"] as? String, "indices")
        let unavailable = error(#"{"type":"candidates","indices":[0],"ref":7}"#)
        XCTAssertEqual(unavailable?["code"] as? String, "unavailable", "no guidance attached: no model")
        XCTAssertEqual(unavailable?["message"] as? String, "no candidate faces: no face model loaded")
        XCTAssertEqual(unavailable?["ref"] as? Int, 7)
        XCTAssertEqual(try ClientMessage.parse(#"{"type":"candidates"}"#), .candidates(indices: nil, ref: nil))
    }
}
