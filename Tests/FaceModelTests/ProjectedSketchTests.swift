import XCTest
@testable import FaceModel

/// The `projected_sketch` generator block (docs/MODEL_FORMAT.md, "Projected sketch") on a Swift-written tiny
/// version 2 model with odd input normalisation: the rule against naive loops, s = 0 against the plain sketch
/// block, and the session reusing its one search per component.
final class ProjectedSketchTests: XCTestCase {
    static var model: FaceModel!

    override class func setUp() {
        super.setUp()
        model = try! FaceModel(directory: try! TinyModel.makeDirectory(version: 2, generatorInput: ["fused", "projected_sketch"]))
    }
    var model: FaceModel { Self.model }

    /// Each component's projection of `canvas` (as the session computes it) at the given sliders.
    func projections(_ canvas: Canvas, sliders: [Float]) -> [SketchProjection] {
        let ws = Workspace()
        return model.crops(canvas).enumerated().map { i, crop in
            let z = model.encode(crop, component: i, workspace: ws)
            let n = model.nearest([z], component: i, k: model.manifest.kProject)[0]
            return SketchProjection(neighbours: n, weights: model.weights(z, neighbours: n, component: i), slider: sliders[i])
        }
    }

    /// The documented rule, written as plainly as possible: blend and clamp every component's whole crop,
    /// then paste the parts over the remainder in fusion order.
    func naive(_ small: [UInt8], _ projections: [SketchProjection]) -> [Float] {
        let m = model.manifest, r = m.resolution
        let norm = { (u8: UInt8) in Double(m.inputNormalisation(u8)) }
        let low = min(norm(0), norm(255)), high = max(norm(0), norm(255))
        var blended: [[Float]] = []
        for (i, p) in projections.enumerated() {
            let crop = m.crop(small, component: i)
            let db = model.databases[i], area = crop.side * crop.side
            var x = [Float](repeating: 0, count: area)
            for j in 0..<area {
                var refined = 0.0
                for k in 0..<p.weights.count { refined += Double(p.weights[k]) * norm(db.crops[p.neighbours[k].index * area + j]) }
                let s = Double(p.slider)
                x[j] = Float(min(high, max(low, s * refined + (1 - s) * norm(crop.pixels[j]))))
            }
            blended.append(x)
        }
        let remainder = m.components.firstIndex(where: \.isRemainder)!
        var out = blended[remainder]
        for name in m.fusionOrder {
            let i = m.componentIndex(name)!, c = m.components[i]
            for y in 0..<c.sideR { for x in 0..<c.sideR { out[(c.yR + y) * r + c.xR + x] = blended[i][y * c.sideR + x] } }
        }
        return out
    }

    func testTheChannelIsTheBlendOfEachComponentFusedLikeTheFeatureMaps() {
        let canvas = TinyModel.sketch(seed: 31)
        let small = model.downsample(canvas)
        let p = projections(canvas, sliders: [1, 0.25, 0, 0.6, 0.8])
        XCTAssertTrue(p.contains { $0.weights.contains { $0 < 0 } }, "the fixture exercises negative LLE weights")
        let channel = model.projectedSketch(small, projections: p)
        XCTAssertEqual(channel, naive(small, p))
        XCTAssertNotEqual(channel, model.manifest.inputNormalisation.apply(small))
        let n = model.manifest.inputNormalisation
        XCTAssertTrue(channel.allSatisfy { $0 >= n(0) && $0 <= n(255) }, "clamped to the normalised u8 range")
    }

    func testAtSliderZeroItIsThePlainSketchBlockExactly() {
        for seed in [32, 33] as [UInt64] {
            let canvas = TinyModel.sketch(seed: seed)
            let small = model.downsample(canvas)
            let channel = model.projectedSketch(small, projections: projections(canvas, sliders: [0, 0, 0, 0, 0]))
            XCTAssertEqual(channel, model.manifest.inputNormalisation.apply(small))
        }
    }

    func testTheGeneratorReadsItAfterTheFusedMap() {
        let canvas = TinyModel.sketch(seed: 34)
        let session = FaceSession(model: model)
        session.update(canvas)
        session.setSlider(0.5, component: 3)
        let ws = Workspace()
        let input = session.generatorInput(workspace: ws)
        let plane = 64 * 64
        XCTAssertEqual(input.shape, [TinyModel.channels + 1, 64, 64])
        XCTAssertEqual(Array(input.data[..<(TinyModel.channels * plane)]), session.fusedFeatures(workspace: ws).data)
        XCTAssertEqual(Array(input.data[(TinyModel.channels * plane)...]),
                       model.projectedSketch(model.downsample(canvas), projections: projections(canvas, sliders: [1, 1, 1, 0.5, 1])))
    }

    func testTheSessionReusesItsSearchAndASliderChangesOnlyThatComponent() {
        let ws = Workspace()
        let session = FaceSession(model: model)
        session.update(TinyModel.sketch(seed: 35))
        let first = session.face(workspace: ws)
        XCTAssertEqual(session.counters.searches, 5, "one search per component, shared by the latent and the sketch")
        XCTAssertEqual(first, model.stageByStage(TinyModel.sketch(seed: 35), appearance: model.defaultAppearance, workspace: Workspace()))
        let before = session.counters
        session.setSlider(0, component: 2)
        let slid = session.face(workspace: ws)
        var expected = before
        expected.mappings += 1
        expected.generations += 1
        XCTAssertEqual(session.counters, expected, "no encode or search for a slider change")
        XCTAssertNotEqual(slid, first)
        XCTAssertEqual(slid, model.synthesize(TinyModel.sketch(seed: 35), sliders: [1, 1, 0, 1, 1], workspace: Workspace()))
    }

    func testASketchModelIgnoresProjections() {
        let plain = try! FaceModel(directory: try! TinyModel.makeDirectory(version: 2))
        let canvas = TinyModel.sketch(seed: 36)
        let small = plain.downsample(canvas)
        let fused = Tensor(zeros: [TinyModel.channels, 64, 64])
        XCTAssertEqual(plain.generatorInput(fused: fused, sketch: small, projections: projections(canvas, sliders: [1, 1, 1, 1, 1])),
                       plain.generatorInput(fused: fused, sketch: small))
    }
}
