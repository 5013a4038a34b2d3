import XCTest
@testable import FaceModel

final class PipelineTests: XCTestCase {
    static var model: FaceModel!

    override class func setUp() {
        super.setUp()
        model = try! FaceModel(directory: try! TinyModel.makeDirectory())
    }
    var model: FaceModel { Self.model }

    func testDownsampleBoxAveragesWithIntegerRounding() {
        var canvas = Canvas()
        // Block (0,0) at f=8: 63 pixels of 255 and one of 0 → (63·255 + 32) / 64 = 251.
        canvas.pixels[0] = 0
        // Block (1,0): all 100 → 100.
        for y in 0..<8 { for x in 8..<16 { canvas.pixels[y * 512 + x] = 100 } }
        let small = canvas.downsampled(factor: 8)
        XCTAssertEqual(small.count, 64 * 64)
        XCTAssertEqual(small[0], 251)
        XCTAssertEqual(small[1], 100)
        XCTAssertEqual(small[2], 255)
    }

    func testRemainderCropBlanksThePartBoxesAndPartsAreWindows() {
        let canvas = Canvas(pixels: [UInt8](repeating: 0, count: 512 * 512))
        let crops = model.crops(canvas)
        XCTAssertEqual(crops.map(\.side), [16, 16, 20, 24, 64])
        XCTAssertTrue(crops[0].pixels.allSatisfy { $0 == 0 })
        let remainder = crops[4].pixels
        let nose = model.manifest.components[2]
        XCTAssertEqual(remainder[nose.yR * 64 + nose.xR], 255)
        XCTAssertEqual(remainder[0], 0)
        let blanked = remainder.filter { $0 == 255 }.count
        XCTAssertGreaterThan(blanked, 20 * 20)
    }

    func testNearestNeighboursAreAscendingAndBreakTiesByLowerIndex() throws {
        // Database whose rows 3 and 1 are identical: equal distance → 1 before 3.
        let l = 4
        var rows: [Float] = []
        let base: [[Float]] = [[5, 5, 5, 5], [1, 0, 0, 0], [2, 2, 0, 0], [1, 0, 0, 0], [0, 0.5, 0, 0]]
        for r in base { rows += r }
        var w = SafeTensorsWriter()
        w.add("c.latents", shape: [5, l], floats: rows)
        w.add("c.crops", shape: [5, 2, 2], uint8s: [UInt8](repeating: 255, count: 20))
        w.add("c.ids", shape: [5], int32s: [0, 1, 2, 3, 4])
        let db = try ComponentDatabase(component: Component(name: "c", x: 0, y: 0, side: 16, xR: 0, yR: 0, sideR: 2), latentSize: l, file: try SafeTensors(bytes: w.bytes(), file: "db"))
        let n = db.nearest([[0, 0, 0, 0], [5, 5, 5, 4]], k: 3)
        XCTAssertEqual(n[0].map(\.index), [4, 1, 3])
        XCTAssertEqual(n[0].map(\.distance), [0.25, 1, 1])
        XCTAssertEqual(n[1].map(\.index), [0, 2, 1])
        XCTAssertEqual(db.nearest([[0, 0, 0, 0]], k: 99)[0].count, 5)
    }

    func testLocallyLinearWeightsSumToOneAndReconstructADatabasePoint() {
        let db = model.databases[0]
        // A database row is its own nearest neighbour at distance 0: the weights are one-hot on it
        // and the projection reproduces it exactly (docs/MODEL_FORMAT.md step 3, exception).
        let z = Array(db.latent(7))
        let n = db.nearest([z], k: 5)[0]
        XCTAssertEqual(n[0].index, 7)
        XCTAssertEqual(n[0].distance, 0)
        let w = locallyLinearWeights(z, neighbours: n, database: db, regularization: 0.001)
        XCTAssertEqual(w, [1, 0, 0, 0, 0])
        XCTAssertEqual(projectLatent(z, neighbours: n, weights: w, database: db, slider: 1), z)
        // Slider 0 returns the raw latent exactly.
        let q = SeededRandom(seed: 4)
        var rng = q
        let raw = rng.floats(db.latentSize)
        let nn = db.nearest([raw], k: 5)[0]
        let ww = locallyLinearWeights(raw, neighbours: nn, database: db, regularization: 0.001)
        XCTAssertEqual(ww.reduce(0, +), 1, accuracy: 1e-5)
        XCTAssertEqual(projectLatent(raw, neighbours: nn, weights: ww, database: db, slider: 0), raw)
    }

    func testLocallyLinearWeightsSolveTheRegularisedSystem() {
        let db = model.databases[1]
        var rng = SeededRandom(seed: 8)
        let z = rng.floats(db.latentSize)
        let n = db.nearest([z], k: 5)[0]
        let w = locallyLinearWeights(z, neighbours: n, database: db, regularization: 0.001).map(Double.init)
        // Check G w ∝ 1 with G regularised, independently of the solver.
        let k = n.count, l = db.latentSize
        var g = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
        for a in 0..<k { for b in 0..<k {
            var s = 0.0
            for j in 0..<l { s += (Double(db.latents[n[a].index * l + j]) - Double(z[j])) * (Double(db.latents[n[b].index * l + j]) - Double(z[j])) }
            g[a][b] = s
        } }
        let trace = (0..<k).map { g[$0][$0] }.reduce(0, +)
        for a in 0..<k { g[a][a] += 0.001 * trace }
        let gw = (0..<k).map { a in (0..<k).map { g[a][$0] * w[$0] }.reduce(0, +) }
        for v in gw { XCTAssertEqual(v / gw[0], 1, accuracy: 1e-3) }
    }

    func testShadowIsTheInverseDistanceBlendOfNeighbourDarkness() throws {
        var w2 = SafeTensorsWriter()
        w2.add("c.latents", shape: [3, 1], floats: [1, 3, 10])
        w2.add("c.crops", shape: [3, 1, 1], uint8s: [255, 55, 0])
        w2.add("c.ids", shape: [3], int32s: [0, 1, 2])
        let db2 = try ComponentDatabase(component: Component(name: "c", x: 0, y: 0, side: 8, xR: 0, yR: 0, sideR: 1), latentSize: 1, file: try SafeTensors(bytes: w2.bytes(), file: "db"))
        let n = db2.nearest([[0]], k: 2)[0]  // distances 1 and 9 → v ∝ 1, 1/3 → 0.75, 0.25
        XCTAssertEqual(n.map(\.index), [0, 1])
        let shadow = Shadow(neighbours: n, database: db2)
        XCTAssertEqual(shadow.side, 1)
        XCTAssertEqual(shadow.alpha, [50])  // 0.75·0 + 0.25·200
    }

    func testFusionPastesPartsOverTheRemainderInFusionOrder() {
        let m = model.manifest
        let maps = m.components.enumerated().map { i, c in Tensor(shape: [4, c.sideR, c.sideR], data: [Float](repeating: Float(i + 1), count: 4 * c.sideR * c.sideR)) }
        let fused = model.fuse(maps)
        XCTAssertEqual(fused.shape, [4, 64, 64])
        func at(_ c: Int, _ y: Int, _ x: Int) -> Float { fused.data[(c * 64 + y) * 64 + x] }
        XCTAssertEqual(at(0, 0, 0), 5)
        let left = m.components[0], nose = m.components[2], mouth = m.components[3]
        XCTAssertEqual(at(3, left.yR, left.xR), 1)
        XCTAssertEqual(at(2, nose.yR + 1, nose.xR + 1), 1)  // the eyes are pasted after the nose
        XCTAssertEqual(at(2, nose.yR + nose.sideR - 1, nose.xR + 10), 3)
        // Mouth is pasted first, the nose later overwrites their overlap.
        let overlapY = mouth.yR, overlapX = max(mouth.xR, nose.xR)
        XCTAssertTrue(overlapY < nose.yR + nose.sideR)
        XCTAssertEqual(at(1, overlapY, overlapX), 3)
        XCTAssertEqual(at(1, mouth.yR + mouth.sideR - 1, mouth.xR), 4)
    }

    func testChangingOneComponentReencodesOnlyThatComponent() {
        let session = FaceSession(model: model)
        let ws = Workspace()
        var canvas = TinyModel.sketch(seed: 1)
        session.update(canvas)
        let first = session.face(workspace: ws)
        XCTAssertEqual(session.counters.encodes, 5)
        XCTAssertEqual(session.counters.mappings, 5)
        XCTAssertEqual(session.counters.generations, 1)
        // Same canvas: nothing recomputed, same image.
        XCTAssertEqual(session.update(canvas), [])
        XCTAssertEqual(session.face(workspace: ws), first)
        XCTAssertEqual(session.counters.generations, 1)
        // A stroke inside the nose box only.
        let nose = model.manifest.components[2]
        // x 240..<248 lies between the eye boxes (as floored at R = 64), y 240..<250 above the mouth box.
        for x in 240..<248 { for y in 240..<250 { canvas.pixels[y * 512 + x] = 0 } }
        XCTAssertTrue((nose.x..<(nose.x + nose.side)).contains(240))
        XCTAssertEqual(session.update(canvas), [2])
        _ = session.face(workspace: ws)
        XCTAssertEqual(session.counters.encodes, 6)
        XCTAssertEqual(session.counters.searches, 6)
        XCTAssertEqual(session.counters.mappings, 6)
        XCTAssertEqual(session.counters.generations, 2)
    }

    func testSliderChangeRemapsFromTheCachedLatentWithoutReencoding() {
        let session = FaceSession(model: model)
        let ws = Workspace()
        session.update(TinyModel.sketch(seed: 2))
        let projected = session.face(workspace: ws)
        session.setSlider(0, component: 1)
        let raw = session.face(workspace: ws)
        XCTAssertEqual(session.counters.encodes, 5)
        XCTAssertEqual(session.counters.searches, 5)
        XCTAssertEqual(session.counters.mappings, 6)
        XCTAssertEqual(session.counters.generations, 2)
        XCTAssertNotEqual(projected, raw)
        // Slider 0 feeds the raw latent to the mapper.
        let z = session.latent(component: 1, workspace: ws)
        XCTAssertEqual(session.projected(component: 1, workspace: ws), z)
        XCTAssertEqual(session.featureMap(component: 1, workspace: ws), model.featureMap(z, component: 1, workspace: ws))
        // Back to 1 reproduces the first image exactly.
        session.setSlider(1, component: 1)
        XCTAssertEqual(session.face(workspace: ws), projected)
    }

    func testShadowNeedsOnlyThatComponentsEncoding() {
        let session = FaceSession(model: model)
        session.update(TinyModel.sketch(seed: 3))
        let shadow = session.shadow(component: 3, workspace: Workspace())
        XCTAssertEqual(shadow.side, 24)
        XCTAssertEqual(session.counters, { var c = FaceSession.Counters(); c.encodes = 1; c.searches = 1; return c }())
    }

    func testSessionMatchesTheStageByStageFunctions() {
        let canvas = TinyModel.sketch(seed: 5)
        let image = model.stageByStage(canvas, appearance: [], workspace: Workspace())
        XCTAssertEqual(model.synthesize(canvas, workspace: Workspace()), image)
        XCTAssertEqual(image.width, 64)
        XCTAssertGreaterThan(Set(image.pixels).count, 10)
    }

    func testWorkspaceStopsAllocatingAfterTheFirstSynthesis() throws {
        let version2 = try FaceModel(directory: try TinyModel.makeDirectory(version: 2))
        for m in [model, version2] {
            let ws = Workspace()
            let session = FaceSession(model: m)
            session.update(TinyModel.sketch(seed: 6))
            _ = session.face(workspace: ws)
            let allocations = ws.allocations
            for seed in 7..<10 {
                session.update(TinyModel.sketch(seed: UInt64(seed)))
                if let palette = m.manifest.appearance?.palette { session.setAppearance(palette[seed % palette.count]) }
                _ = session.face(workspace: ws)
            }
            XCTAssertEqual(ws.allocations, allocations, "version \(m.manifest.version): across sketches and appearances")
        }
    }

    func testConcurrentSessionsWithOwnWorkspacesAgreeWithASerialRun() {
        let canvases = (20..<28).map { TinyModel.sketch(seed: UInt64($0)) }
        let serial = canvases.map { model.synthesize($0, workspace: Workspace()) }
        var results = [RGBImage?](repeating: nil, count: canvases.count)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: canvases.count) { i in
            let image = model.synthesize(canvases[i], workspace: Workspace())
            lock.lock(); results[i] = image; lock.unlock()
        }
        XCTAssertEqual(results.map { $0! }, serial)
    }

    func testHalfPrecisionWeightsLoadAndAgreeWithFloatWeightsToHalfPrecision() throws {
        let f32 = try FaceModel(directory: try TinyModel.makeDirectory(seed: 7, weightsDType: .f32))
        let f16 = try FaceModel(directory: try TinyModel.makeDirectory(seed: 7, weightsDType: .f16))
        let crop = f32.crops(TinyModel.sketch(seed: 1))[2]
        let a = f32.encode(crop, component: 2, workspace: Workspace())
        let b = f16.encode(crop, component: 2, workspace: Workspace())
        for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 0.02) }
    }
}
