import Foundation
import XCTest
@testable import FaceModel

/// `upsample` with `mode: "bilinear"` (scale 2): the op against the half-pixel formula of docs/MODEL_FORMAT.md,
/// against PyTorch (`Fixtures/bilinear-golden.safetensors`, written by `python -m sketchface_train fixtures`),
/// in a network (never fused with a following conv), and the manifest's refusals.
extension OpsTests {
    /// PyTorch `align_corners=False` straight from its definition, in Double: output index o samples the input
    /// at s = (o + ½)/2 − ½ clamped to ≥ 0, i0 = ⌊s⌋, i1 = min(i0 + 1, n − 1), λ = s − i0, per axis.
    func naiveBilinear2(_ x: [Float], c: Int, h: Int, w: Int) -> [Float] {
        func taps(_ o: Int, _ n: Int) -> (Int, Int, Double) {
            let s = max((Double(o) + 0.5) / 2 - 0.5, 0)
            let i0 = Int(s.rounded(.down))
            return (i0, min(i0 + 1, n - 1), s - Double(i0))
        }
        var y = [Float](repeating: 0, count: c * 4 * h * w)
        for ch in 0..<c { for oy in 0..<(2 * h) { for ox in 0..<(2 * w) {
            let (y0, y1, ly) = taps(oy, h), (x0, x1, lx) = taps(ox, w)
            func at(_ yy: Int, _ xx: Int) -> Double { Double(x[(ch * h + yy) * w + xx]) }
            let top = (1 - lx) * at(y0, x0) + lx * at(y0, x1), bottom = (1 - lx) * at(y1, x0) + lx * at(y1, x1)
            y[(ch * 2 * h + oy) * 2 * w + ox] = Float((1 - ly) * top + ly * bottom)
        } } }
        return y
    }

    func bilinear(_ x: [Float], c: Int, h: Int, w: Int) -> [Float] {
        var y = [Float](repeating: .nan, count: c * 4 * h * w)
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { upsampleBilinear2(xp.baseAddress!, channels: c, height: h, width: w, output: $0.baseAddress!) } }
        return y
    }

    func testBilinearUpsampleWeighsNeighboursOneQuarterAndThreeQuartersAndClampsAtTheEdges() {
        // One row [0, 4, 8] → [0, ¾·0+¼·4, ¼·0+¾·4, ¾·4+¼·8, ¼·4+¾·8, 8] (exact in f32); both output rows equal it (edge clamp).
        XCTAssertEqual(bilinear([0, 4, 8], c: 1, h: 1, w: 3), [0, 1, 3, 5, 7, 8, 0, 1, 3, 5, 7, 8])
        // One column [0, 4]: rows 0, 1, 3, 4, each repeated across the two output columns.
        XCTAssertEqual(bilinear([0, 4], c: 1, h: 2, w: 1), [0, 0, 1, 1, 3, 3, 4, 4])
        // One pixel: a constant 2×2 block.
        XCTAssertEqual(bilinear([2.5], c: 1, h: 1, w: 1), [2.5, 2.5, 2.5, 2.5])
    }

    func testBilinearUpsampleMatchesTheHalfPixelFormulaOnOddEvenAndDegenerateSizes() {
        var rng = SeededRandom(seed: 81)
        var sizes = [(1, 1), (1, 2), (1, 7), (2, 1), (9, 1), (2, 2), (3, 3), (4, 6), (5, 8)]
        for _ in 0..<12 { sizes.append((rng.int(1...13), rng.int(1...14))) }
        for (h, w) in sizes {
            let c = rng.int(1...4)
            let x = rng.floats(c * h * w, scale: 3)
            assertClose(bilinear(x, c: c, h: h, w: w), naiveBilinear2(x, c: c, h: h, w: w), tolerance: 1e-6, "bilinear c=\(c) \(h)×\(w)")
        }
    }

    func testBilinearUpsampleMatchesPyTorchGolden() throws {
        // F.interpolate(×2, bilinear, align_corners=False) on [3,5,8], [2,1,7], [2,6,1], [1,1,1]; f32 rounding only.
        let golden = try SafeTensors(path: GoldenParityTests.fixtures("bilinear-golden.safetensors"))
        for i in 0..<4 {
            let shape = try golden.entry("upsample\(i).input").shape
            XCTAssertEqual(shape.count, 3)
            let (c, h, w) = (shape[0], shape[1], shape[2])
            let expected = try golden.floats("upsample\(i).output", shape: [c, 2 * h, 2 * w])
            assertClose(bilinear(try golden.floats("upsample\(i).input"), c: c, h: h, w: w), expected, tolerance: 1e-6, "upsample\(i) \(shape)")
        }
    }

    func testGeneratorLikeBilinearNetworkMatchesPyTorchGoldenWithFusionOnAndOff() throws {
        // conv(4→8, reflect) · relu · upsample bilinear ×2 · conv(8→8, reflect; Winograd) · relu · conv(8→3, reflect),
        // its layer list as exported by manifest.layers_of; f32 accumulation order only: ≤ 1e-5.
        let golden = try SafeTensors(path: GoldenParityTests.fixtures("bilinear-golden.safetensors"))
        let json = try JSONSerialization.jsonObject(with: Data(try golden.uint8s("net.layers")))
        let layers = try parseLayerList(json as! [Any], path: "$.networks.golden.layers")
        XCTAssertEqual(layers[2], .upsample(scale: 2, mode: .bilinear))
        let input = try golden.entry("net.input").shape
        let x = try golden.floats("net.input")
        let expected = try golden.floats("net.output", shape: [3, 2 * input[1], 2 * input[2]])
        var outputs: [[Float]] = []
        for fuse in [true, false] {
            let net = try Network(name: "golden", spec: NetworkSpec(input: input, layers: layers), weights: golden, fuseUpsampleConv: fuse)
            XCTAssertEqual(net.steps.map(\.kind), ["conv", "activation", "upsample_bilinear", "conv_winograd", "activation", "conv"])
            outputs.append(net(x, workspace: Workspace()))
            assertClose(outputs.last!, expected, tolerance: 1e-5, "bilinear network fuse=\(fuse)")
        }
        XCTAssertEqual(outputs[0], outputs[1], "fusion changes nothing for bilinear")
    }

    func testBilinearUpsampleBeforeAThreeByThreeConvIsNotFusedAndCountsItsWork() throws {
        var rng = SeededRandom(seed: 82)
        for trial in 0..<8 {
            let c = rng.int(1...6), out = rng.int(1...7), h = rng.int(1...9), w = rng.int(1...10)
            let reflect = trial % 2 == 0
            let t = try weights([("w", [out, c, 3, 3]), ("b", [out])], rng: &rng)
            let conv = LayerSpec.conv(ConvSpec(inChannels: c, outChannels: out, kernel: 3, padding: 1, padMode: reflect ? .reflect : .zeros, weight: "w", bias: "b"))
            let spec = NetworkSpec(input: [c, h, w], layers: [.upsample(scale: 2, mode: .bilinear), conv])
            let x = rng.floats(c * h * w)
            let expected = naiveConv(naiveBilinear2(x, c: c, h: h, w: w), c: c, h: 2 * h, w: 2 * w, weight: try t.floats("w"), bias: try t.floats("b"),
                                     out: out, k: 3, s: 1, p: 1, reflect: reflect)
            var outputs: [[Float]] = []
            for fuse in [true, false] {
                let net = try Network(name: "b", spec: spec, weights: t, fuseUpsampleConv: fuse)
                XCTAssertEqual(net.steps.map(\.kind), ["upsample_bilinear", "conv"], "fuse=\(fuse)")
                XCTAssertEqual(net.outputShape, [out, 2 * h, 2 * w])
                XCTAssertEqual(net.multiplyAdds, 12 * c * h * w + out * 4 * h * w * c * 9, "3 per upsampled value plus the conv")
                outputs.append(net(x, workspace: Workspace()))
                assertClose(outputs.last!, expected, tolerance: 1e-5, "bilinear+conv c=\(c) out=\(out) \(h)×\(w) reflect=\(reflect) fuse=\(fuse)")
            }
            XCTAssertEqual(outputs[0], outputs[1])
        }
    }

    func testUpsampleModesAndScalesTheManifestAcceptsAndRefuses() throws {
        func parse(_ fields: [String: Any]) throws -> [LayerSpec] {
            try parseLayerList([["type": "concat", "layers": [fields.merging(["type": "upsample"]) { $1 }]]], path: "$.networks.g.layers")
        }
        XCTAssertEqual(try parse(["scale": 2, "mode": "bilinear"]), [.concat([.upsample(scale: 2, mode: .bilinear)])])
        XCTAssertEqual(try parse(["scale": 3]), [.concat([.upsample(scale: 3, mode: .nearest)])], "no mode: nearest")
        XCTAssertEqual(try parse(["scale": 4, "mode": "nearest"]), [.concat([.upsample(scale: 4, mode: .nearest)])])
        let refusals: [([String: Any], ManifestError)] = [
            (["scale": 2, "mode": "bicubic"], .invalid(path: "$.networks.g.layers[0].layers[0].mode", reason: "expected \"nearest\" or \"bilinear\", got \"bicubic\"")),
            (["scale": 4, "mode": "bilinear"], .invalid(path: "$.networks.g.layers[0].layers[0].scale", reason: "bilinear upsampling needs scale 2, got 4")),
            (["scale": 1, "mode": "bilinear"], .invalid(path: "$.networks.g.layers[0].layers[0].scale", reason: "bilinear upsampling needs scale 2, got 1")),
            (["mode": "bilinear"], .missing(path: "$.networks.g.layers[0].layers[0].scale")),
        ]
        for (fields, error) in refusals {
            XCTAssertThrowsError(try parse(fields), "\(fields)") { XCTAssertEqual($0 as? ManifestError, error) }
        }
    }
}
