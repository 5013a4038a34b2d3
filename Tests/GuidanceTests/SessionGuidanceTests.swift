import FaceModel
import Foundation
import Sessions
import XCTest
@testable import Guidance

/// An in-memory participant: records what the server sends it.
final class GuidedPeer: Peer, @unchecked Sendable {
    private let lock = NSLock()
    private var _texts: [String] = []
    private var _binaries: [[UInt8]] = []

    func send(text: String) { lock.withLock { _texts.append(text) } }
    func send(binary: [UInt8]) { lock.withLock { _binaries.append(binary) } }
    func close(code: UInt16, reason: String) {}

    var texts: [String] { lock.withLock { _texts } }
    var guidance: [GuidanceMessage] { lock.withLock { _binaries }.compactMap(GuidanceMessage.decode(binary:)) }
    var frames: [FaceFrame] { guidance.compactMap { if case .frame(let f) = $0 { return f } else { return nil } } }
    var shadows: [ShadowUpdate] { guidance.compactMap { if case .shadow(let s) = $0 { return s } else { return nil } } }
    var candidates: [CandidateFace] { guidance.compactMap { if case .candidate(let c) = $0 { return c } else { return nil } } }
    func texts(ofType type: String) -> [String] { texts.filter { $0.contains("\"type\":\"\(type)\"") } }

    /// Polls until `predicate` holds or `timeout` passes.
    @discardableResult
    func wait(timeout: Double = 10, _ predicate: (GuidedPeer) -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while !predicate(self) {
            if Date() > deadline { return false }
            Thread.sleep(forTimeInterval: 0.005)
        }
        return true
    }
}

/// Counts encodes on the way to the real engine.
final class CountedEngine: FaceEngine, @unchecked Sendable {
    let inner: FaceEngine
    private let lock = NSLock()
    private var _encodes = 0
    init(_ inner: FaceEngine) { self.inner = inner }
    var layout: ComponentLayout { inner.layout }
    var encodes: Int { lock.withLock { _encodes } }
    func encode(component: Int, canvas: CanvasSnapshot) throws -> Latent {
        lock.withLock { _encodes += 1 }
        return try inner.encode(component: component, canvas: canvas)
    }
    func shadowPNG(component: Int, latent: Latent) throws -> [UInt8] { try inner.shadowPNG(component: component, latent: latent) }
    func synthesizePNG(latents: [Latent], weights: [Double], sketch: CanvasSnapshot, appearance: Int?) throws -> [UInt8] {
        try inner.synthesizePNG(latents: latents, weights: weights, sketch: sketch, appearance: appearance)
    }
    var palette: AppearancePalette? { inner.palette }
    func candidatePNGs(latents: [Latent], weights: [Double], sketch: CanvasSnapshot, appearances: [Int]) throws -> [[UInt8]] {
        try inner.candidatePNGs(latents: latents, weights: weights, sketch: sketch, appearances: appearances)
    }
}

/// The tiny test export committed by the training pipeline.
let tinyModelDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../FaceModelTests/Fixtures/tiny").standardized.path

/// The same tiny model whose generator reads the projected sketch (`generator_input` ["fused", "projected_sketch"]).
let tinyProjectedModelDirectory = URL(fileURLWithPath: tinyModelDirectory).deletingLastPathComponent()
    .appendingPathComponent("tiny-projected").path

/// Sessions + guidance + the real runtime on the tiny model, with in-memory participants.
final class SessionGuidanceTests: XCTestCase {
    var hub: SessionHub!
    var session: SessionID!
    var engine: CountedEngine!
    var guided: SessionGuidance!

    override func setUpWithError() throws {
        hub = SessionHub(store: MemoryOperationStore())
        session = try hub.createSession()
        engine = CountedEngine(try FaceModelEngine(directory: tinyModelDirectory))
        guided = SessionGuidance(hub: hub, engine: engine)
    }

    override func tearDown() {
        guided?.shutdown()
    }

    private func join(_ client: String) -> (SessionConnection, GuidedPeer) {
        let peer = GuidedPeer()
        let connection = hub.connect(to: session, peer: peer)!
        connection.receive(text: #"{"type":"hello","version":1,"client":"\#(client)","name":"\#(client)"}"#)
        return (connection, peer)
    }

    /// Draws one stroke through the protocol, as a browser would.
    private func draw(_ connection: SessionConnection, id: Int, points: [(Double, Double)], width: Int = 4) {
        connection.receive(text: #"{"type":"stroke.begin","id":\#(id),"tool":"pen","width":\#(width)}"#)
        let json = points.map { #"{"x":\#($0.0),"y":\#($0.1)}"# }.joined(separator: ",")
        connection.receive(text: #"{"type":"stroke.points","id":\#(id),"points":[\#(json)]}"#)
        connection.receive(text: #"{"type":"stroke.end","id":\#(id)}"#)
    }

    func testTheSessionsAcceptTheModelsComponentNamesAsSliders() throws {
        let names = try FaceModel(directory: tinyModelDirectory).manifest.components.map(\.name)
        XCTAssertEqual(hub.sliderNames, Set(names))
        let (connection, peer) = join("alice0001")
        connection.receive(text: #"{"type":"sliders","values":{"\#(names[0])":0.25}}"#)
        connection.receive(text: #"{"type":"sliders","values":{"ears":0.25}}"#)
        XCTAssertTrue(peer.wait { $0.texts.contains { $0.contains("\"field\":\"values.ears\"") } }, "a name the model lacks is refused")
        XCTAssertEqual(hub.snapshot(of: session)?.sliders[names[0]], 0.25)
    }

    func testAnAppearancePickedByOneParticipantMakesTheFaceEveryoneSees() throws {
        let hub = SessionHub(store: MemoryOperationStore())
        let session = try hub.createSession()
        let engine = CountingEngine(palette: testPalette)
        let guided = SessionGuidance(hub: hub, engine: engine)
        defer { guided.shutdown() }
        XCTAssertEqual(hub.paletteSize, 3)
        func join(_ client: String) -> (SessionConnection, GuidedPeer) {
            let peer = GuidedPeer()
            let connection = hub.connect(to: session, peer: peer)!
            connection.receive(text: #"{"type":"hello","version":1,"client":"\#(client)","name":"\#(client)"}"#)
            return (connection, peer)
        }
        let (a, pa) = join("alice0001")
        let (_, pb) = join("bob000001")
        XCTAssertTrue(pa.wait { $0.frames.count == 1 })
        XCTAssertTrue(pa.texts(ofType: "guidance").first?.contains(#""appearance":{"#) ?? false, "the status carries the palette")
        a.receive(text: #"{"type":"appearance","index":2}"#)
        XCTAssertTrue(pb.wait { peer in peer.frames.contains { $0.seq == 1 } }, "a new face for the appearance op reaches everyone")
        XCTAssertEqual(engine.appearances.last, 2)
        a.receive(text: #"{"type":"appearance","index":3}"#)
        XCTAssertTrue(pa.wait { $0.texts.contains { $0.contains(#""field":"index""#) } }, "outside the palette: refused")
    }

    func testTheEngineConditionsTheFaceOnThePaletteCodeOfTheSessionsAppearance() throws {
        let engine = try FaceModelEngine(directory: tinyModelDirectory)
        let palette = try XCTUnwrap(engine.palette, "the tiny fixture is a version 2 model")
        XCTAssertEqual(palette, AppearancePalette(engine.model.manifest.appearance))
        let sketch = canvas(seq: 1, inkSquares: [(150, 200, 12), (300, 200, 12), (240, 330, 20)])
        let latents = try (0..<engine.layout.count).map { try engine.encode(component: $0, canvas: sketch) }
        let weights = [Double](repeating: 1, count: latents.count)
        func face(_ appearance: Int?) throws -> [UInt8] {
            try engine.synthesizePNG(latents: latents, weights: weights, sketch: sketch, appearance: appearance)
        }
        XCTAssertEqual(try face(nil), try face(palette.defaultIndex), "no pick: the palette default")
        XCTAssertEqual(try face(99), try face(palette.defaultIndex), "out of range: the default")
        let other = (palette.defaultIndex + 1) % palette.codes.count
        XCTAssertNotEqual(try face(other), try face(nil))
        let expected = engine.model.synthesize(Canvas(pixels: sketch.pixels), appearance: palette.codes[other], workspace: Workspace())
        XCTAssertEqual(try PNG.decodeRGBA(try face(other)).rgba, try PNG.decodeRGBA(try PNG.encode(expected)).rgba)
    }

    func testCandidateFacesDifferPerCodeAndTheSessionsOwnCodeGivesTheLiveFace() throws {
        let palette = try XCTUnwrap(engine.palette, "the tiny fixture is a version 2 model")
        XCTAssertEqual(palette.codes.count, 3)
        let (alice, a) = join("alice0001")
        let (_, b) = join("bobby0001")
        draw(alice, id: 1, points: [(150, 200), (170, 210), (190, 205), (300, 210), (260, 340)])
        alice.receive(text: #"{"type":"appearance","index":2}"#)
        // begin, points, end (3), appearance (4): the live face under code 2.
        XCTAssertTrue(a.wait { $0.frames.last?.seq == 4 })
        let encodes = engine.encodes
        alice.receive(text: #"{"type":"candidates","ref":11}"#)
        XCTAssertTrue(a.wait { $0.candidates.count == 3 }, "no indices: the first codes of the palette, here all three")
        let faces = a.candidates
        XCTAssertEqual(faces.map(\.appearance), [0, 1, 2])
        XCTAssertEqual(faces.map(\.ref), [11, 11, 11])
        XCTAssertEqual(faces.map(\.seq), [4, 4, 4])
        XCTAssertEqual(Set(faces.map(\.png)).count, 3, "each code gives a different face")
        XCTAssertEqual(faces[2].png, a.frames.last?.png, "the session's own code gives exactly the live face")
        XCTAssertEqual(engine.encodes, encodes, "no re-encoding")
        XCTAssertEqual(try PNG.decodeRGBA(faces[0].png).width, 64)
        alice.receive(text: #"{"type":"candidates","indices":[1]}"#)
        XCTAssertTrue(a.wait { $0.candidates.count == 4 })
        XCTAssertEqual(a.candidates.last?.png, faces[1].png, "the same code again: the same face")
        Thread.sleep(forTimeInterval: 0.05)
        XCTAssertTrue(b.candidates.isEmpty, "candidates go to the participant who asked only")
        alice.receive(text: #"{"type":"candidates","indices":[0,3],"ref":12}"#)
        XCTAssertTrue(a.wait { $0.texts.contains { $0.contains(#""field":"indices[1]""#) && $0.contains(#""ref":12"#) } },
                      "an index past the palette is refused by field")
    }

    func testJoiningOnAnEmptyCanvasGivesShadowsAndTheDefaultFace() throws {
        let (_, peer) = join("alice0001")
        XCTAssertTrue(peer.wait { $0.frames.count == 1 && $0.shadows.count == 5 })
        let frame = try XCTUnwrap(peer.frames.first)
        XCTAssertTrue(frame.isDefault)
        XCTAssertEqual(frame.seq, 0)
        let decoded = try PNG.decodeRGBA(frame.png)
        XCTAssertEqual(decoded.width, 64, "tiny model resolution")
        let shadow = try XCTUnwrap(peer.shadows.first { $0.component == 2 })
        let nose = try FaceModel(directory: tinyModelDirectory).manifest.components[2]
        XCTAssertEqual([shadow.box.x, shadow.box.y, shadow.box.side], [nose.x, nose.y, nose.side], "the box is the manifest's")
        XCTAssertEqual(try PNG.decodeRGBA(shadow.png).width, nose.sideR, "nose crop side at 64²")
    }

    func testStrokeInTheLeftEyeUpdatesOnlyThatShadowThenTheFace() throws {
        let (alice, a) = join("alice0001")
        let (_, b) = join("bobby0001")
        XCTAssertTrue(b.wait { $0.frames.count >= 1 && $0.shadows.count >= 5 })
        Thread.sleep(forTimeInterval: 0.05)
        let shadowsBefore = b.shadows.count, framesBefore = b.frames.count, encodesBefore = engine.encodes
        draw(alice, id: 1, points: [(150, 200), (170, 210), (190, 205)])
        // begin (1), points (2), end (3): the face reflects seq 3.
        XCTAssertTrue(b.wait { $0.frames.last?.seq == 3 })
        XCTAssertTrue(a.wait { $0.frames.last?.seq == 3 }, "the author sees it too")
        let newShadows = Array(b.shadows[shadowsBefore...])
        XCTAssertEqual(Set(newShadows.map(\.component)), [0], "only the left eye's shadow changes")
        XCTAssertEqual(engine.encodes - encodesBefore, newShadows.count, "one encode per shadow update")
        XCTAssertFalse(b.frames.last!.isDefault)
        XCTAssertNotEqual(b.frames.last!.png, b.frames[framesBefore - 1].png, "the face changed")
    }

    func testSliderOperationMakesANewFrameWithoutReencoding() throws {
        let (alice, a) = join("alice0001")
        draw(alice, id: 1, points: [(150, 200), (190, 205)])
        XCTAssertTrue(a.wait { $0.frames.last?.seq == 3 })
        Thread.sleep(forTimeInterval: 0.05)
        let encodes = engine.encodes, frames = a.frames.count
        alice.receive(text: #"{"type":"sliders","values":{"left_eye":0,"master":0.2}}"#)
        XCTAssertTrue(a.wait { $0.frames.count == frames + 1 })
        XCTAssertEqual(a.frames.last?.seq, 4, "tagged with the slider operation's seq")
        XCTAssertEqual(engine.encodes, encodes, "sliders reuse the cached latents")
    }

    func testOnDemandModeWaitsForConvert() throws {
        let (alice, a) = join("alice0001")
        XCTAssertTrue(a.wait { $0.frames.count == 1 })
        alice.receive(text: #"{"type":"mode","mode":"on_demand"}"#)
        XCTAssertTrue(a.wait { $0.texts(ofType: "guidance").contains { $0.contains("on_demand") } })
        draw(alice, id: 1, points: [(300, 200), (320, 210)])
        // mode is seq 1; the stroke is 2…4.
        XCTAssertTrue(a.wait { $0.shadows.contains { $0.seq >= 3 && $0.component == 1 } }, "shadows stay live")
        Thread.sleep(forTimeInterval: 0.2)
        XCTAssertEqual(a.frames.count, 1, "no face without convert")
        alice.receive(text: #"{"type":"convert"}"#)
        XCTAssertTrue(a.wait { $0.frames.count == 2 })
        XCTAssertEqual(a.frames.last?.seq, 4)
    }

    func testLateJoinerGetsTheCurrentShadowsAndFace() throws {
        let (alice, a) = join("alice0001")
        draw(alice, id: 1, points: [(150, 200), (190, 205)])
        XCTAssertTrue(a.wait { $0.frames.last?.seq == 3 })
        let (_, late) = join("carol0001")
        XCTAssertTrue(late.wait { $0.frames.count == 1 && $0.shadows.count == 5 })
        XCTAssertEqual(late.frames.first?.png, a.frames.last?.png)
        // The eye's shadow is from the stroke's points (seq 2) or its end (seq 3, when the points were throttled).
        XCTAssertTrue([2, 3].contains(try XCTUnwrap(late.shadows.first { $0.component == 0 }).seq))
        XCTAssertEqual(late.texts(ofType: "guidance").count, 1)
    }
}

/// Without a model sketching works and participants are told guidance is off.
final class SessionWithoutModelTests: XCTestCase {
    func testParticipantsAreToldGuidanceIsOffAndDrawingStillWorks() throws {
        let hub = SessionHub(store: MemoryOperationStore())
        let session = try hub.createSession()
        let guided = SessionGuidance(hub: hub, engine: nil, unavailableReason: "model folder models/default not found")
        defer { guided.shutdown() }
        let peer = GuidedPeer()
        let connection = try XCTUnwrap(hub.connect(to: session, peer: peer))
        connection.receive(text: #"{"type":"hello","version":1,"client":"alice0001","name":"A"}"#)
        connection.receive(text: #"{"type":"stroke.begin","id":1,"tool":"pen","width":4}"#)
        connection.receive(text: #"{"type":"stroke.points","id":1,"points":[{"x":10,"y":10}]}"#)
        connection.receive(text: #"{"type":"stroke.end","id":1}"#)
        XCTAssertEqual(peer.texts(ofType: "guidance"),
                       [#"{"enabled":false,"mode":"live","reason":"model folder models\/default not found","type":"guidance"}"#])
        XCTAssertEqual(peer.texts(ofType: "op").count, 3)
        XCTAssertTrue(peer.guidance.isEmpty)
        XCTAssertLessThan(hub.canvas(of: session)!.pixels.min()!, 255)
        connection.receive(text: #"{"type":"candidates","ref":4}"#)
        XCTAssertEqual(peer.texts(ofType: "error").last,
                       #"{"type":"error","code":"unavailable","message":"no candidate faces: model folder models/default not found","ref":4}"#)
    }
}

/// The engine adapter on the tiny model: cached feature maps give exactly the uncached face.
final class FaceModelEngineTests: XCTestCase {
    func testReusingUnchangedFeatureMapsGivesTheSameFaceAsComputingThemAll() throws {
        let cached = try FaceModelEngine(directory: tinyModelDirectory)
        let uncached = try FaceModelEngine(directory: tinyModelDirectory, featureMapBudget: 0)
        let first = canvas(seq: 1, inkSquares: [(150, 200, 12), (300, 200, 12), (240, 330, 20), (60, 60, 30)])
        let second = canvas(seq: 2, inkSquares: [(150, 200, 12), (300, 200, 12), (240, 330, 20), (60, 60, 30), (160, 200, 8)])
        let weights = [0.5, 0.5, 0.5, 0.5, 0.5]
        func latents(_ engine: FaceEngine, _ c: CanvasSnapshot) throws -> [Latent] {
            try (0..<5).map { try engine.encode(component: $0, canvas: c) }
        }
        _ = try cached.synthesizePNG(latents: latents(cached, first), weights: weights, sketch: first, appearance: nil)
        XCTAssertEqual(cached.featureMapCounts.misses, 5)
        let face = try cached.synthesizePNG(latents: latents(cached, second), weights: weights, sketch: second, appearance: nil)
        XCTAssertEqual(cached.featureMapCounts.hits, 4, "only the left eye changed: four maps reused")
        XCTAssertEqual(face, try uncached.synthesizePNG(latents: latents(uncached, second), weights: weights, sketch: second, appearance: nil))
        let slid = try cached.synthesizePNG(latents: latents(cached, second), weights: [0.5, 0.9, 0.5, 0.5, 0.5], sketch: second, appearance: nil)
        XCTAssertEqual(cached.featureMapCounts.hits, 8, "a right-eye slider re-maps only the right eye")
        XCTAssertEqual(slid, try uncached.synthesizePNG(latents: latents(uncached, second), weights: [0.5, 0.9, 0.5, 0.5, 0.5], sketch: second, appearance: nil))
        XCTAssertNotEqual(slid, face)
        XCTAssertEqual(uncached.featureMapCounts.hits, 0)
    }

    func testPerStrokeFacesOfAProjectedSketchModelEqualAFullSynthesis() throws {
        let engine = try FaceModelEngine(directory: tinyProjectedModelDirectory)
        XCTAssertTrue(engine.model.manifest.readsProjectedSketch)
        var squares = [(150, 200, 12), (300, 200, 12)]
        var weights = [0.5, 1, 0.25, 0, 0.75]
        func check(_ sketch: CanvasSnapshot, _ what: String) throws {
            let latents = try (0..<engine.layout.count).map { try engine.encode(component: $0, canvas: sketch) }
            let face = try engine.synthesizePNG(latents: latents, weights: weights, sketch: sketch, appearance: nil)
            let full = engine.model.synthesize(Canvas(pixels: sketch.pixels), sliders: weights.map(Float.init), workspace: Workspace())
            XCTAssertEqual(try PNG.decodeRGBA(face).rgba, try PNG.decodeRGBA(try PNG.encode(full)).rgba, what)
        }
        for (i, stroke) in [(240, 330, 20), (60, 60, 30), (160, 200, 8), (250, 270, 10)].enumerated() {
            squares.append(stroke)
            try check(canvas(seq: UInt64(i + 1), inkSquares: squares), "after stroke \(i)")
        }
        XCTAssertGreaterThan(engine.featureMapCounts.hits, 0, "unchanged components came from the cache")
        let hits = engine.featureMapCounts.hits
        weights[2] = 1   // a nose slider: the others' maps and projections come from the cache
        try check(canvas(seq: 9, inkSquares: squares), "after a slider change")
        XCTAssertEqual(engine.featureMapCounts.hits, hits + 4)
    }

    func testCandidatesMapOnceAndEqualAWholeSynthesisPerCode() throws {
        let engine = try FaceModelEngine(directory: tinyModelDirectory, featureMapBudget: 0)
        let sketch = canvas(seq: 1, inkSquares: [(150, 200, 12), (300, 200, 12), (240, 330, 20)])
        let latents = try (0..<engine.layout.count).map { try engine.encode(component: $0, canvas: sketch) }
        let weights = [0.5, 0.5, 0.5, 0.5, 0.5]
        let candidates = try engine.candidatePNGs(latents: latents, weights: weights, sketch: sketch, appearances: [2, 0, 1])
        XCTAssertEqual(engine.featureMapCounts.misses, latents.count, "each component mapped once for all three codes")
        let whole = try [2, 0, 1].map { try engine.synthesizePNG(latents: latents, weights: weights, sketch: sketch, appearance: $0) }
        XCTAssertEqual(candidates, whole, "the same faces as one whole synthesis per code")
    }
}
