import XCTest
@testable import FaceModel

/// Each op against a naive loop written straight from the PyTorch definition.
final class OpsTests: XCTestCase {
    func naiveConv(_ x: [Float], c: Int, h: Int, w: Int, weight: [Float], bias: [Float], out: Int, k: Int, s: Int, p: Int, reflect: Bool) -> [Float] {
        let ho = (h + 2 * p - k) / s + 1, wo = (w + 2 * p - k) / s + 1
        var y = [Float](repeating: 0, count: out * ho * wo)
        for o in 0..<out { for oy in 0..<ho { for ox in 0..<wo {
            var acc = Double(bias[o])
            for ci in 0..<c { for ky in 0..<k { for kx in 0..<k {
                var iy = oy * s - p + ky, ix = ox * s - p + kx
                if iy < 0 || iy >= h || ix < 0 || ix >= w {
                    if !reflect { continue }
                    iy = iy < 0 ? -iy : (iy >= h ? 2 * h - 2 - iy : iy)
                    ix = ix < 0 ? -ix : (ix >= w ? 2 * w - 2 - ix : ix)
                }
                acc += Double(weight[((o * c + ci) * k + ky) * k + kx]) * Double(x[(ci * h + iy) * w + ix])
            } } }
            y[(o * ho + oy) * wo + ox] = Float(acc)
        } } }
        return y
    }

    func naiveConvTranspose(_ x: [Float], c: Int, h: Int, w: Int, weight: [Float], bias: [Float], out: Int, k: Int, s: Int, p: Int, op: Int) -> [Float] {
        let ho = (h - 1) * s - 2 * p + k + op, wo = (w - 1) * s - 2 * p + k + op
        var y = [Double](repeating: 0, count: out * ho * wo)
        for o in 0..<out { for i in 0..<(ho * wo) { y[o * ho * wo + i] = Double(bias[o]) } }
        for ci in 0..<c { for iy in 0..<h { for ix in 0..<w { for o in 0..<out { for ky in 0..<k { for kx in 0..<k {
            let oy = iy * s - p + ky, ox = ix * s - p + kx
            guard oy >= 0, oy < ho, ox >= 0, ox < wo else { continue }
            y[(o * ho + oy) * wo + ox] += Double(weight[((ci * out + o) * k + ky) * k + kx]) * Double(x[(ci * h + iy) * w + ix])
        } } } } } }
        return y.map { Float($0) }
    }

    func assertClose(_ a: [Float], _ b: [Float], tolerance: Float = 1e-4, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, message, file: file, line: line)
        var worst: Float = 0
        for (x, y) in zip(a, b) { worst = max(worst, abs(x - y)) }
        XCTAssertLessThanOrEqual(worst, tolerance, "\(message): max abs error \(worst)", file: file, line: line)
    }

    func testConvMatchesNaiveLoopOnRandomShapesStridesAndPaddingModes() {
        var rng = SeededRandom(seed: 11)
        var paths = (direct: 0, gemm: 0)
        for trial in 0..<60 {
            let c = rng.int(1...5), out = rng.int(1...6), k = [1, 2, 3, 5, 7][rng.int(0...4)]
            let s = rng.int(1...2)
            let reflect = trial % 2 == 0
            let h = rng.int(max(k, 4)...17), w = rng.int(max(k, 4)...19)
            let p = reflect ? rng.int(0...min(k / 2 + 1, min(h, w) - 1)) : rng.int(0...k)
            let x = rng.floats(c * h * w), weight = rng.floats(out * c * k * k), bias = rng.floats(out)
            let layer = Conv2DLayer(inChannels: c, outChannels: out, kernel: k, stride: s, padding: p, reflect: reflect, weight: weight, bias: bias)
            let ho = layer.outputSize(h), wo = layer.outputSize(w)
            guard ho > 0, wo > 0 else { continue }
            if layer.isDirect { paths.direct += 1 } else if !layer.isPointwise { paths.gemm += 1 }
            // A small column budget forces several im2col chunks (one output row each at most).
            let capacity = [layer.columnFloats(height: h, width: w, budget: 1), layer.columnFloats(height: h, width: w, budget: 1 << 20)][trial % 2]
            let columns = UnsafeMutablePointer<Float>.allocate(capacity: max(capacity, 1)); defer { columns.deallocate() }
            var y = [Float](repeating: .nan, count: out * ho * wo)
            x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
                conv2d(layer, input: xp.baseAddress!, height: h, width: w, output: yp.baseAddress!, columns: columns, columnCapacity: capacity)
            } }
            let expected = naiveConv(x, c: c, h: h, w: w, weight: weight, bias: bias, out: out, k: k, s: s, p: p, reflect: reflect)
            assertClose(y, expected, "conv c=\(c) out=\(out) k=\(k) s=\(s) p=\(p) reflect=\(reflect) \(h)×\(w)")
        }
        XCTAssertGreaterThan(paths.direct, 5, "direct (few output channels) path exercised")
        XCTAssertGreaterThan(paths.gemm, 5, "im2col + sgemm path exercised")
    }

    func testPointwiseConvTakesTheDirectPathAndMatches() {
        var rng = SeededRandom(seed: 3)
        let c = 5, out = 7, h = 9, w = 13
        let x = rng.floats(c * h * w), weight = rng.floats(out * c), bias = rng.floats(out)
        let layer = Conv2DLayer(inChannels: c, outChannels: out, kernel: 1, stride: 1, padding: 0, reflect: false, weight: weight, bias: bias)
        XCTAssertTrue(layer.isPointwise)
        XCTAssertEqual(layer.columnFloats(height: h, width: w, budget: 1 << 20), 0)
        var y = [Float](repeating: 0, count: out * h * w)
        let dummy = UnsafeMutablePointer<Float>.allocate(capacity: 1); defer { dummy.deallocate() }
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
            conv2d(layer, input: xp.baseAddress!, height: h, width: w, output: yp.baseAddress!, columns: dummy, columnCapacity: 0)
        } }
        assertClose(y, naiveConv(x, c: c, h: h, w: w, weight: weight, bias: bias, out: out, k: 1, s: 1, p: 0, reflect: false), "1×1")
    }

    func testConvTransposeMatchesNaiveLoopIncludingOutputPadding() {
        var rng = SeededRandom(seed: 5)
        for trial in 0..<30 {
            let c = rng.int(1...5), out = rng.int(1...5), k = rng.int(1...5), s = rng.int(1...3)
            let p = rng.int(0...(k - 1)), op = rng.int(0...(s - 1))
            let h = rng.int(1...9), w = rng.int(1...11)
            let x = rng.floats(c * h * w), weight = rng.floats(c * out * k * k), bias = rng.floats(out)
            let layer = ConvTranspose2DLayer(inChannels: c, outChannels: out, kernel: k, stride: s, padding: p, outputPadding: op,
                                             packedWeight: ConvTranspose2DLayer.pack(weight, inChannels: c, outChannels: out, kernel: k), bias: bias)
            let ho = layer.outputSize(h), wo = layer.outputSize(w)
            guard ho > 0, wo > 0 else { continue }
            let capacity = layer.columnFloats(height: h, width: w, budget: trial % 2 == 0 ? 1 : 1 << 20)
            let columns = UnsafeMutablePointer<Float>.allocate(capacity: capacity); defer { columns.deallocate() }
            var y = [Float](repeating: .nan, count: out * ho * wo)
            x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
                convTranspose2d(layer, input: xp.baseAddress!, height: h, width: w, output: yp.baseAddress!, columns: columns, columnCapacity: capacity)
            } }
            assertClose(y, naiveConvTranspose(x, c: c, h: h, w: w, weight: weight, bias: bias, out: out, k: k, s: s, p: p, op: op),
                        "conv_transpose c=\(c) out=\(out) k=\(k) s=\(s) p=\(p) op=\(op) \(h)×\(w)")
        }
    }

    func testInstanceNormNormalisesEachPlaneWithBiasedVariance() {
        var rng = SeededRandom(seed: 9)
        let c = 3, n = 37
        var x = rng.floats(c * n, scale: 5).map { $0 + 100 }  // large mean: no cancellation allowed
        let original = x
        let weight: [Float] = [1.5, -0.5, 2], bias: [Float] = [0.1, 0.2, -0.3]
        x.withUnsafeMutableBufferPointer { instanceNorm($0.baseAddress!, channels: c, planeSize: n, eps: 1e-5, weight: weight, bias: bias) }
        for ch in 0..<c {
            let plane = original[(ch * n)..<((ch + 1) * n)].map(Double.init)
            let mean = plane.reduce(0, +) / Double(n)
            let variance = plane.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)
            for i in 0..<n {
                let expected = Float((plane[i] - mean) / (variance + 1e-5).squareRoot()) * weight[ch] + bias[ch]
                XCTAssertEqual(x[ch * n + i], expected, accuracy: 1e-4)
            }
        }
    }

    func testUpsampleRepeatsEachPixelScaleTimesInBothAxes() {
        let x: [Float] = [1, 2, 3, 4, 5, 6]  // [1, 2, 3]
        var y = [Float](repeating: 0, count: 6 * 4)
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { upsampleNearest(xp.baseAddress!, channels: 1, height: 2, width: 3, scale: 2, output: $0.baseAddress!) } }
        XCTAssertEqual(y, [1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 4, 4, 5, 5, 6, 6])
    }

    func testActivationsFollowTheirDefinitions() {
        let x: [Float] = [-2, -0.5, 0, 0.5, 3]
        func apply(_ a: Activation) -> [Float] { var y = x; y.withUnsafeMutableBufferPointer { activate(a, $0.baseAddress!, count: $0.count) }; return y }
        XCTAssertEqual(apply(.relu), [0, 0, 0, 0.5, 3])
        XCTAssertEqual(apply(.leakyReLU(0.2)), [-0.4, -0.1, 0, 0.5, 3])
        assertClose(apply(.tanh), x.map { Float(Foundation.tanh(Double($0))) }, tolerance: 1e-6, "tanh")
        assertClose(apply(.sigmoid), x.map { Float(1 / (1 + Foundation.exp(-Double($0)))) }, tolerance: 1e-6, "sigmoid")
    }

    func testLinearComputesWeightTimesInputPlusBias() {
        let layer = LinearLayer(inFeatures: 3, outFeatures: 2, weight: [1, 2, 3, -1, 0, 1], bias: [0.5, -0.5])
        var y = [Float](repeating: 0, count: 2)
        [1, 1, 2].withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { linear(layer, input: xp.baseAddress!, output: $0.baseAddress!) } }
        XCTAssertEqual(y, [9.5, 0.5])
    }

    func testResidualNetworkAddsTheBranchToItsInputWithoutClobberingIt() throws {
        // y = x + relu(conv(x)) then y2 = y + tanh(y): checks pinned buffers and in-place ops on them.
        var rng = SeededRandom(seed: 21)
        let w = rng.floats(2 * 2 * 9), b = rng.floats(2)
        var writer = SafeTensorsWriter()
        writer.add("w", shape: [2, 2, 3, 3], floats: w)
        writer.add("b", shape: [2], floats: b)
        let weights = try SafeTensors(bytes: writer.bytes(), file: "mem")
        let spec = NetworkSpec(input: [2, 5, 6], layers: [
            .residual([.conv(ConvSpec(inChannels: 2, outChannels: 2, kernel: 3, padding: 1, padMode: .reflect, weight: "w", bias: "b")), .relu]),
            .residual([.tanh]),
        ])
        let net = try Network(name: "t", spec: spec, weights: weights)
        let x = rng.floats(60)
        let y = net(x, workspace: Workspace())
        let conv = naiveConv(x, c: 2, h: 5, w: 6, weight: w, bias: b, out: 2, k: 3, s: 1, p: 1, reflect: true)
        let y1 = zip(x, conv).map { $0 + max($1, 0) }
        let expected = y1.map { $0 + Float(Foundation.tanh(Double($0))) }
        assertClose(y, expected, tolerance: 1e-5, "residual")
    }

    func testFusedUpsampleConvMatchesUpsampleThenConv() throws {
        var rng = SeededRandom(seed: 31)
        for trial in 0..<16 {
            let c = rng.int(1...6), out = rng.int(1...7), h = rng.int(1...9), w = rng.int(1...10)
            let reflect = trial % 2 == 0
            var writer = SafeTensorsWriter()
            writer.add("w", shape: [out, c, 3, 3], floats: rng.floats(out * c * 9))
            writer.add("b", shape: [out], floats: rng.floats(out))
            let weights = try SafeTensors(bytes: writer.bytes(), file: "mem")
            let spec = NetworkSpec(input: [c, h, w], layers: [
                .upsample(scale: 2),
                .conv(ConvSpec(inChannels: c, outChannels: out, kernel: 3, padding: 1, padMode: reflect ? .reflect : .zeros, weight: "w", bias: "b")),
            ])
            let fused = try Network(name: "f", spec: spec, weights: weights, fuseUpsampleConv: true)
            let plain = try Network(name: "p", spec: spec, weights: weights, fuseUpsampleConv: false)
            guard case .upsampleConv? = fused.steps.first else { return XCTFail("not fused") }
            XCTAssertEqual(fused.steps.count, 1)
            XCTAssertEqual(plain.steps.count, 2)
            XCTAssertEqual(fused.outputShape, [out, 2 * h, 2 * w])
            XCTAssertEqual(fused.multiplyAdds * 9, plain.multiplyAdds * 4)
            let x = rng.floats(c * h * w)
            // A tiny workspace budget is irrelevant here: chunking is covered by the 64-row case below.
            assertClose(fused(x, workspace: Workspace()), plain(x, workspace: Workspace()), tolerance: 1e-5,
                        "upsample+conv c=\(c) out=\(out) \(h)×\(w) reflect=\(reflect)")
        }
    }

    func testFusedUpsampleConvIsChunkedOverLowResRowsCorrectly() throws {
        // 64 channels at 48×40: the column budget splits the low-res rows into several chunks.
        var rng = SeededRandom(seed: 32)
        let c = 64, out = 8, h = 48, w = 40
        let conv = Conv2DLayer(inChannels: c, outChannels: out, kernel: 3, stride: 1, padding: 1, reflect: true,
                               weight: rng.floats(out * c * 9), bias: rng.floats(out))
        let fused = UpsampleConv2DLayer(conv: conv)
        let capacity = fused.columnFloats(height: h, width: w, budget: 1 << 16)
        XCTAssertLessThan(capacity, (c * 4 + out) * w * h / 4)
        let x = rng.floats(c * h * w)
        var up = [Float](repeating: 0, count: c * 4 * h * w)
        x.withUnsafeBufferPointer { xp in up.withUnsafeMutableBufferPointer { upsampleNearest(xp.baseAddress!, channels: c, height: h, width: w, scale: 2, output: $0.baseAddress!) } }
        let expected = naiveConv(up, c: c, h: 2 * h, w: 2 * w, weight: conv.weight, bias: conv.bias, out: out, k: 3, s: 1, p: 1, reflect: true)
        let columns = UnsafeMutablePointer<Float>.allocate(capacity: capacity); defer { columns.deallocate() }
        var y = [Float](repeating: .nan, count: out * 4 * h * w)
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
            upsampleConv2d(fused, input: xp.baseAddress!, height: h, width: w, output: yp.baseAddress!, columns: columns, columnCapacity: capacity)
        } }
        assertClose(y, expected, tolerance: 1e-4, "chunked fused upsample+conv")
    }

    func testWinogradConvMatchesNaiveLoopOnOddAndEvenSizesBothPaddings() {
        var rng = SeededRandom(seed: 41)
        for trial in 0..<24 {
            let c = rng.int(8...20), out = rng.int(8...20)
            let reflect = trial % 2 == 0
            let h = rng.int(2...13), w = rng.int(2...15)
            let conv = Conv2DLayer(inChannels: c, outChannels: out, kernel: 3, stride: 1, padding: 1, reflect: reflect,
                                   weight: rng.floats(out * c * 9, scale: 0.3), bias: rng.floats(out))
            XCTAssertTrue(WinogradConv3x3Layer.applies(to: conv))
            let layer = WinogradConv3x3Layer(conv: conv)
            // Odd trials use a tiny budget: one tile row per chunk.
            let capacity = layer.columnFloats(height: h, width: w, budget: trial % 4 < 2 ? 1 : 1 << 20)
            let columns = UnsafeMutablePointer<Float>.allocate(capacity: capacity); defer { columns.deallocate() }
            let x = rng.floats(c * h * w)
            var y = [Float](repeating: .nan, count: out * h * w)
            x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
                winogradConv3x3(layer, input: xp.baseAddress!, height: h, width: w, output: yp.baseAddress!, columns: columns, columnCapacity: capacity)
            } }
            assertClose(y, naiveConv(x, c: c, h: h, w: w, weight: conv.weight, bias: conv.bias, out: out, k: 3, s: 1, p: 1, reflect: reflect),
                        tolerance: 2e-5 * Float(c), "winograd c=\(c) out=\(out) \(h)×\(w) reflect=\(reflect)")
        }
    }

    func testNetworkUsesWinogradOnlyForWideThreeByThreeStrideOneConvs() throws {
        var rng = SeededRandom(seed: 42)
        var writer = SafeTensorsWriter()
        writer.add("a", shape: [16, 16, 3, 3], floats: rng.floats(16 * 16 * 9, scale: 0.2))
        writer.add("b", shape: [16, 16, 3, 3], floats: rng.floats(16 * 16 * 9, scale: 0.2))
        let weights = try SafeTensors(bytes: writer.bytes(), file: "mem")
        let spec = NetworkSpec(input: [16, 9, 11], layers: [
            .residual([.conv(ConvSpec(inChannels: 16, outChannels: 16, kernel: 3, padding: 1, padMode: .reflect, weight: "a", bias: nil)), .relu]),
            .conv(ConvSpec(inChannels: 16, outChannels: 16, kernel: 3, stride: 2, padding: 1, weight: "b", bias: nil)),
        ])
        let fast = try Network(name: "w", spec: spec, weights: weights, fuseUpsampleConv: true, useWinograd: true)
        let plain = try Network(name: "p", spec: spec, weights: weights, fuseUpsampleConv: true, useWinograd: false)
        let kinds = fast.steps.map { step -> String in
            switch step { case .winograd: return "winograd"; case .conv: return "conv"; default: return "other" }
        }
        XCTAssertEqual(kinds.filter { $0 == "winograd" }.count, 1)
        XCTAssertEqual(kinds.filter { $0 == "conv" }.count, 1)  // stride 2 stays on im2col
        let x = rng.floats(16 * 9 * 11)
        assertClose(fast(x, workspace: Workspace()), plain(x, workspace: Workspace()), tolerance: 1e-4, "winograd network")
    }

    func testStrideTwoKernelFourTransposedConvRunsAsPhaseConvolutionsAndMatches() throws {
        var rng = SeededRandom(seed: 51)
        for trial in 0..<10 {
            let c = rng.int(1...9), out = rng.int(1...9), h = rng.int(1...8), w = rng.int(1...9)
            var writer = SafeTensorsWriter()
            writer.add("w", shape: [c, out, 4, 4], floats: rng.floats(c * out * 16))
            writer.add("b", shape: [out], floats: rng.floats(out))
            let weights = try SafeTensors(bytes: writer.bytes(), file: "mem")
            let spec = NetworkSpec(input: [c, h, w], layers: [
                .convTranspose(ConvTransposeSpec(inChannels: c, outChannels: out, kernel: 4, stride: 2, padding: 1, weight: "w", bias: trial % 2 == 0 ? "b" : nil)),
            ])
            let phased = try Network(name: "t", spec: spec, weights: weights, fuseUpsampleConv: true)
            guard case .upsampleConv? = phased.steps.first else { return XCTFail("not phased") }
            XCTAssertEqual(phased.outputShape, [out, 2 * h, 2 * w])
            let x = rng.floats(c * h * w)
            let bias = trial % 2 == 0 ? try weights.floats("b") : [Float](repeating: 0, count: out)
            assertClose(phased(x, workspace: Workspace()),
                        naiveConvTranspose(x, c: c, h: h, w: w, weight: try weights.floats("w"), bias: bias, out: out, k: 4, s: 2, p: 1, op: 0),
                        tolerance: 1e-4, "phased conv_transpose c=\(c) out=\(out) \(h)×\(w)")
        }
    }

    func testInstanceNormFollowedByAnActivationIsFusedAndMatchesTheTwoPasses() throws {
        var rng = SeededRandom(seed: 61)
        var writer = SafeTensorsWriter()
        writer.add("g", shape: [3], floats: [1.5, 0.5, -1])
        writer.add("b", shape: [3], floats: [0.1, -0.2, 0.3])
        let weights = try SafeTensors(bytes: writer.bytes(), file: "mem")
        for (act, layer) in [(Activation.relu, LayerSpec.relu), (.leakyReLU(0.2), .leakyReLU(slope: 0.2))] {
            let net = try Network(name: "n", spec: NetworkSpec(input: [3, 5, 7], layers: [.instanceNorm(channels: 3, eps: 1e-5, weight: "g", bias: "b"), layer]), weights: weights)
            XCTAssertEqual(net.steps.count, 1, "activation fused into the norm")
            let x = rng.floats(105, scale: 3)
            var expected = x
            expected.withUnsafeMutableBufferPointer {
                instanceNorm($0.baseAddress!, channels: 3, planeSize: 35, eps: 1e-5, weight: [1.5, 0.5, -1], bias: [0.1, -0.2, 0.3])
                activate(act, $0.baseAddress!, count: 105)
            }
            assertClose(net(x, workspace: Workspace()), expected, tolerance: 1e-6, "\(act)")
        }
    }
}
