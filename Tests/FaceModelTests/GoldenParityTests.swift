import XCTest
@testable import FaceModel

/// Stage-by-stage parity with the training pipeline's goldens (`runner.py` on the same exported
/// files). Each stage is fed the golden output of the previous stage so an error is pinned to
/// one stage. Tolerances:
/// - crops, knn ids: exact;
/// - latents, LLE weights, projected latents, fused map: max abs ≤ 1e-3 (f32 compute; f16-stored
///   weights are widened exactly, so the same bound holds);
/// - shadow alpha and image u8: ≤ 1 level, because `floor(v + 0.5)` of a value within f32 noise
///   of a .5 boundary may land either side; at most 1 % of pixels may differ at all.
/// A version 2 golden adds `sketch{i}.appearance`, the code its `image` was made with (the palette default):
/// the generator stage and the end-to-end session use it, and the generator's input is the golden `fused`
/// followed by the sketch block of the golden canvas. A `projected_sketch` model's golden adds `sketch{i}.sketch_input`
/// (s = 1), compared within 1e-5 (f32 LLE weights against the f64 reference).
final class GoldenParityTests: XCTestCase {
    static func fixtures(_ name: String) -> String {
        Bundle.module.bundleURL.appendingPathComponent("Fixtures").appendingPathComponent(name).path
    }

    /// Worst error seen per stage, printed at the end of a parity run (figures for docs/RUNTIME.md).
    var worst: [String: Float] = [:]

    func maxAbs(_ a: [Float], _ b: [Float], stage: String = "") -> Float {
        precondition(a.count == b.count)
        let e = zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
        if !stage.isEmpty { worst[stage] = max(worst[stage] ?? 0, e) }
        return e
    }

    func assertBytesClose(_ a: [UInt8], _ b: [UInt8], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        var worst = 0, differing = 0
        for (x, y) in zip(a, b) { let d = abs(Int(x) - Int(y)); worst = max(worst, d); if d > 0 { differing += 1 } }
        let stage = what.split(separator: ".").dropFirst().joined(separator: ".")
        self.worst[stage.hasSuffix("shadow") ? "shadow u8" : stage] = max(self.worst[stage] ?? 0, Float(worst))
        XCTAssertLessThanOrEqual(worst, 1, "\(what): max difference \(worst)", file: file, line: line)
        XCTAssertLessThanOrEqual(differing * 100, a.count, "\(what): \(differing) of \(a.count) values differ", file: file, line: line)
    }

    /// Checks every stage of every fixture sketch in `golden` against `model`.
    /// A golden `fused` stored as f16 (allowed for the shipped model) is compared with a tolerance of
    /// 1e-3 plus half an f16 ulp of the value, and the image is then checked end to end only (feeding
    /// the f16-rounded map to the generator would not reproduce the golden image, computed from f32).
    /// A golden without `fused` is checked end to end only.
    func checkParity(model: FaceModel, golden: SafeTensors, latentTolerance: Float = 1e-3) throws {
        let sketches = Set(golden.entries.keys.compactMap { $0.split(separator: ".").first.map(String.init) }).sorted()
        XCTAssertGreaterThanOrEqual(sketches.count, 2, "golden holds \(sketches)")
        let ws = Workspace()
        let m = model.manifest
        for s in sketches {
            let canvas = Canvas(pixels: try golden.uint8s("\(s).canvas", shape: [512, 512]))
            let crops = model.crops(canvas)
            // Version 2: the appearance code the golden image was made with (the palette default).
            var appearance: [Float] = []
            if let a = m.appearance {
                appearance = try golden.floats("\(s).appearance", shape: [a.size])
                XCTAssertLessThanOrEqual(maxAbs(appearance, a.defaultCode), 1e-6, "\(s).appearance is the palette default")
            }
            var maps: [Tensor] = [], projections: [SketchProjection] = []
            for (i, c) in m.components.enumerated() {
                let p = "\(s).\(c.name)"
                XCTAssertEqual(crops[i].pixels, try golden.uint8s("\(p).crop", shape: [c.sideR, c.sideR]), "\(p).crop")
                let goldenLatent = try golden.floats("\(p).latent", shape: [m.latent])
                let latent = model.encode(crops[i], component: i, workspace: ws)
                XCTAssertLessThanOrEqual(maxAbs(latent, goldenLatent, stage: "latent"), latentTolerance, "\(p).latent")
                let k = max(m.kProject, m.kShadow)
                let neighbours = model.nearest([goldenLatent], component: i, k: k)[0]
                let goldenKNN = try golden.int32s("\(p).knn").map(Int.init)
                XCTAssertEqual(Array(neighbours.prefix(m.kProject).map(\.index)), goldenKNN, "\(p).knn")
                XCTAssertEqual(model.nearest([latent], component: i, k: m.kProject)[0].map(\.index), goldenKNN, "\(p).knn from our latent")
                let weights = model.weights(goldenLatent, neighbours: neighbours, component: i)
                projections.append(SketchProjection(neighbours: neighbours, weights: weights, slider: 1))
                XCTAssertLessThanOrEqual(maxAbs(weights, try golden.floats("\(p).weights", shape: [m.kProject]), stage: "weights"), 1e-3, "\(p).weights")
                let projected = model.project(goldenLatent, neighbours: neighbours, weights: weights, component: i, slider: 1)
                let goldenProjected = try golden.floats("\(p).projected", shape: [m.latent])
                XCTAssertLessThanOrEqual(maxAbs(projected, goldenProjected, stage: "projected"), 1e-3, "\(p).projected")
                assertBytesClose(model.shadow(neighbours: neighbours, component: i).alpha, try golden.uint8s("\(p).shadow", shape: [c.sideR, c.sideR]), "\(p).shadow")
                maps.append(model.featureMap(goldenProjected, component: i, workspace: ws))
            }
            // A projected_sketch model: its sketch channel from the golden latents' projections.
            if m.readsProjectedSketch {
                let goldenSketch = try golden.floats("\(s).sketch_input", shape: [1, m.resolution, m.resolution])
                XCTAssertLessThanOrEqual(maxAbs(model.projectedSketch(model.downsample(canvas), projections: projections), goldenSketch,
                                                stage: "sketch_input"), 1e-5, "\(s).sketch_input")
            }
            let goldenImage = try golden.uint8s("\(s).image", shape: [3, m.resolution, m.resolution])
            // The shipped model's goldens leave `fused` out (4.2 MB even in f16): its image is checked end to end.
            if golden.entries["\(s).fused"] != nil {
                let goldenFused = try golden.floats("\(s).fused", shape: [m.featureChannels, m.resolution, m.resolution])
                let fusedIsHalf = try golden.entry("\(s).fused").dtype == .f16
                let fused = model.fuse(maps).data
                if fusedIsHalf {
                    var excess: Float = 0
                    for (a, b) in zip(fused, goldenFused) { excess = max(excess, abs(a - b) - abs(b) / 2048) }
                    worst["fused (beyond f16 rounding)"] = max(worst["fused (beyond f16 rounding)"] ?? 0, excess)
                    XCTAssertLessThanOrEqual(excess, 1e-3, "\(s).fused beyond f16 rounding")
                } else {
                    XCTAssertLessThanOrEqual(maxAbs(fused, goldenFused, stage: "fused"), 1e-3, "\(s).fused")
                    let input = model.generatorInput(fused: Tensor(shape: [m.featureChannels, m.resolution, m.resolution], data: goldenFused),
                                                     sketch: model.downsample(canvas), projections: projections)
                    let image = model.generate(input, appearance: appearance, workspace: ws)
                    assertBytesClose(image.planar, goldenImage, "\(s).image")
                }
            }
            // End to end through the session cache.
            let session = FaceSession(model: model)
            session.update(canvas)
            if !appearance.isEmpty { session.setAppearance(appearance) }
            assertBytesClose(session.face(workspace: ws).planar, goldenImage, "\(s).image end to end")
        }
        print("parity max abs error per stage:", worst.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
    }

    func testTinyModelMatchesTheTrainingPipelineStageByStage() throws {
        let dir = Self.fixtures("tiny")
        let model = try FaceModel(directory: dir)
        try checkParity(model: model, golden: try SafeTensors(path: dir + "/golden.safetensors"))
    }

    func testTinyProjectedSketchModelMatchesTheTrainingPipelineStageByStage() throws {
        let dir = Self.fixtures("tiny-projected")
        let model = try FaceModel(directory: dir)
        XCTAssertTrue(model.manifest.readsProjectedSketch)
        try checkParity(model: model, golden: try SafeTensors(path: dir + "/golden.safetensors"))
        XCTAssertNotNil(worst["sketch_input"], "the sketch channel was compared")
    }

    func testAnF16FusedGoldenIsComparedWithinF16Rounding() throws {
        // The shipped model's goldens may store `fused` as f16: rewrite the tiny goldens that way.
        let dir = Self.fixtures("tiny")
        let golden = try SafeTensors(path: dir + "/golden.safetensors")
        var writer = SafeTensorsWriter()
        for (name, e) in golden.entries.sorted(by: { $0.key < $1.key }) {
            switch e.dtype {
            case .u8: writer.add(name, shape: e.shape, uint8s: try golden.uint8s(name))
            case .i32: writer.add(name, shape: e.shape, int32s: try golden.int32s(name))
            default: writer.add(name, shape: e.shape, floats: try golden.floats(name), dtype: name.hasSuffix(".fused") ? .f16 : .f32)
            }
        }
        let half = try SafeTensors(bytes: writer.bytes(), file: "golden-f16")
        XCTAssertEqual(try half.entry("sketch0.fused").dtype, .f16)
        try checkParity(model: try FaceModel(directory: dir), golden: half)
    }

    func testAGoldenWithoutFusedIsCheckedEndToEnd() throws {
        let dir = Self.fixtures("tiny")
        let golden = try SafeTensors(path: dir + "/golden.safetensors")
        var writer = SafeTensorsWriter()
        for (name, e) in golden.entries.sorted(by: { $0.key < $1.key }) where !name.hasSuffix(".fused") {
            switch e.dtype {
            case .u8: writer.add(name, shape: e.shape, uint8s: try golden.uint8s(name))
            case .i32: writer.add(name, shape: e.shape, int32s: try golden.int32s(name))
            default: writer.add(name, shape: e.shape, floats: try golden.floats(name))
            }
        }
        try checkParity(model: try FaceModel(directory: dir), golden: try SafeTensors(bytes: writer.bytes(), file: "golden-no-fused"))
        XCTAssertNotNil(worst["image end to end"])
    }

    /// The shipped model against its goldens. The files are committed by the training pipeline; a
    /// missing file is a failure (the test must not pass without checking anything).
    func testShippedModelMatchesItsGoldens() throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let modelDir = repo + "/models/default"
        let goldenPath = Self.fixtures("default-golden.safetensors")
        for f in [modelDir + "/manifest.json", modelDir + "/weights.safetensors", modelDir + "/database.safetensors", goldenPath] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: f), "missing \(f)")
        }
        let model = try FaceModel(directory: modelDir)
        try checkParity(model: model, golden: try SafeTensors(path: goldenPath))
    }
}
