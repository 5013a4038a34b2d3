import XCTest
@testable import FaceModel

/// The version 2 layers `film` and `concat`, each against a naive loop written from docs/MODEL_FORMAT.md.
extension OpsTests {
    /// `g = W a + b`, `y[c] = x[c]·(1 + g[c]) + g[C + c]`, in Double.
    func naiveFilm(_ x: [Float], channels c: Int, weight: [Float], bias: [Float]?, condition a: [Float]) -> [Float] {
        let n = x.count / c
        let g = (0..<(2 * c)).map { j in (0..<a.count).reduce(Double(bias?[j] ?? 0)) { $0 + Double(weight[j * a.count + $1]) * Double(a[$1]) } }
        return x.indices.map { i in Float(Double(x[i]) * (1 + g[i / n]) + g[c + i / n]) }
    }

    func naiveInstanceNorm(_ x: [Float], channels c: Int, eps: Double, weight: [Float]?, bias: [Float]?) -> [Float] {
        let n = x.count / c
        var y = x
        for ch in 0..<c {
            let plane = x[(ch * n)..<((ch + 1) * n)].map(Double.init)
            let mean = plane.reduce(0, +) / Double(n)
            let variance = plane.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)
            for i in 0..<n {
                y[ch * n + i] = Float((plane[i] - mean) / (variance + eps).squareRoot() * Double(weight?[ch] ?? 1) + Double(bias?[ch] ?? 0))
            }
        }
        return y
    }

    func naiveUpsample2(_ x: [Float], c: Int, h: Int, w: Int) -> [Float] {
        var y = [Float](repeating: 0, count: c * 4 * h * w)
        for ch in 0..<c { for oy in 0..<(2 * h) { for ox in 0..<(2 * w) { y[(ch * 2 * h + oy) * 2 * w + ox] = x[(ch * h + oy / 2) * w + ox / 2] } } }
        return y
    }

    func weights(_ tensors: [(String, [Int])], rng: inout SeededRandom, scale: Float = 0.4) throws -> SafeTensors {
        var writer = SafeTensorsWriter()
        for (name, shape) in tensors { writer.add(name, shape: shape, floats: rng.floats(shape.reduce(1, *), scale: scale)) }
        return try SafeTensors(bytes: writer.bytes(), file: "mem")
    }

    func testFilmMatchesTheNaiveLoopAndCountsItsMultiplyAdds() throws {
        var rng = SeededRandom(seed: 71)
        for trial in 0..<12 {
            let c = rng.int(1...9), h = rng.int(1...7), w = rng.int(1...8), a = rng.int(1...16)
            let t = try weights([("w", [2 * c, a]), ("b", [2 * c])], rng: &rng)
            let withBias = trial % 2 == 0
            let spec = NetworkSpec(input: [c, h, w], layers: [.film(channels: c, weight: "w", bias: withBias ? "b" : nil)], condition: a)
            let net = try Network(name: "f", spec: spec, weights: t)
            XCTAssertEqual(net.conditionSize, a)
            XCTAssertEqual(net.outputShape, [c, h, w])
            XCTAssertEqual(net.multiplyAdds, 2 * c * a + c * h * w, "projection 2C×A plus one per element")
            let x = rng.floats(c * h * w, scale: 2), code = rng.floats(a)
            assertClose(net(x, condition: code, workspace: Workspace()),
                        naiveFilm(x, channels: c, weight: try t.floats("w"), bias: withBias ? try t.floats("b") : nil, condition: code),
                        tolerance: 1e-5, "film c=\(c) \(h)×\(w) a=\(a) bias=\(withBias)")
        }
    }

    func testFilmAroundInstanceNormMatchesTheNaiveComposition() throws {
        var rng = SeededRandom(seed: 72)
        let c = 5, h = 6, w = 7, a = 4
        let t = try weights([("w", [2 * c, a]), ("b", [2 * c]), ("g", [c]), ("n", [c])], rng: &rng)
        let x = rng.floats(c * h * w, scale: 3), code = rng.floats(a)
        let (fw, fb, g, n) = (try t.floats("w"), try t.floats("b"), try t.floats("g"), try t.floats("n"))
        let norm = LayerSpec.instanceNorm(channels: c, eps: 1e-5, weight: "g", bias: "n")
        let film = LayerSpec.film(channels: c, weight: "w", bias: "b")
        // norm → film → relu (the generator's block), and norm+relu (fused into one pass) → film.
        let cases: [([LayerSpec], [Float])] = [
            ([norm, film, .relu], naiveFilm(naiveInstanceNorm(x, channels: c, eps: 1e-5, weight: g, bias: n), channels: c, weight: fw, bias: fb, condition: code).map { max($0, 0) }),
            ([norm, .relu, film], naiveFilm(naiveInstanceNorm(x, channels: c, eps: 1e-5, weight: g, bias: n).map { max($0, 0) }, channels: c, weight: fw, bias: fb, condition: code)),
            ([film, .instanceNorm(channels: c, eps: 1e-5, weight: nil, bias: nil)], naiveInstanceNorm(naiveFilm(x, channels: c, weight: fw, bias: fb, condition: code), channels: c, eps: 1e-5, weight: nil, bias: nil)),
        ]
        for (i, (layers, expected)) in cases.enumerated() {
            let net = try Network(name: "n", spec: NetworkSpec(input: [c, h, w], layers: layers, condition: a), weights: t)
            assertClose(net(x, condition: code, workspace: Workspace()), expected, tolerance: 1e-4, "case \(i)")
        }
    }

    func testConcatAppendsTheBranchOutputAlongChannels() throws {
        var rng = SeededRandom(seed: 73)
        for trial in 0..<8 {
            let c = rng.int(1...5), k = rng.int(1...6), h = rng.int(3...9), w = rng.int(3...9)
            let t = try weights([("w", [k, c, 3, 3]), ("b", [k])], rng: &rng)
            let reflect = trial % 2 == 0
            let spec = NetworkSpec(input: [c, h, w], layers: [
                .concat([.conv(ConvSpec(inChannels: c, outChannels: k, kernel: 3, padding: 1, padMode: reflect ? .reflect : .zeros, weight: "w", bias: "b"))]),
            ])
            let net = try Network(name: "c", spec: spec, weights: t)
            XCTAssertEqual(net.outputShape, [c + k, h, w])
            let x = rng.floats(c * h * w)
            let branch = naiveConv(x, c: c, h: h, w: w, weight: try t.floats("w"), bias: try t.floats("b"), out: k, k: 3, s: 1, p: 1, reflect: reflect)
            assertClose(net(x, workspace: Workspace()), x + branch, tolerance: 1e-5, "concat c=\(c) k=\(k) \(h)×\(w)")
        }
    }

    func testConcatBranchesThatWorkInPlaceLeaveTheirInputIntact() throws {
        var rng = SeededRandom(seed: 74)
        let t = try weights([], rng: &rng)
        let x = rng.floats(3 * 4 * 5)
        let relu = try Network(name: "r", spec: NetworkSpec(input: [3, 4, 5], layers: [.concat([.relu, .tanh])]), weights: t)
        assertClose(relu(x, workspace: Workspace()), x + x.map { Float(Foundation.tanh(Double(max($0, 0)))) }, tolerance: 1e-6, "cat(x, tanh(relu(x)))")
        let empty = try Network(name: "e", spec: NetworkSpec(input: [3, 4, 5], layers: [.concat([])]), weights: t)
        XCTAssertEqual(empty.outputShape, [6, 4, 5])
        XCTAssertEqual(empty(x, workspace: Workspace()), x + x, "cat(x, x)")
        // A residual over a concat's output and a concat inside a residual's branch both keep their pins.
        let mixed = try Network(name: "m", spec: NetworkSpec(input: [3, 4, 5], layers: [.concat([.residual([.relu])]), .residual([.sigmoid])]), weights: t)
        let y1 = x + zip(x, x).map { $0 + max($1, 0) }
        assertClose(mixed(x, workspace: Workspace()), y1.map { $0 + Float(1 / (1 + Foundation.exp(-Double($0)))) }, tolerance: 1e-6, "mixed pins")
    }

    /// A two-level U-Net: x → cat(x, up(cat(down(x), film(conv(down(x)))))) → 1×1 head.
    func testNestedConcatUNetWithFilmMatchesTheNaiveComposition() throws {
        var rng = SeededRandom(seed: 75)
        let c = 3, h = 8, w = 10, a = 5
        let t = try weights([("down", [4, c, 3, 3]), ("mid", [2, 4, 3, 3]), ("film", [4, a]), ("up", [5, 6, 3, 3]), ("res", [4, 4, 3, 3]), ("head", [2, 8, 1, 1])], rng: &rng)
        func conv(_ name: String, _ i: Int, _ o: Int, k: Int = 3, s: Int = 1, pad: Int = 1, reflect: Bool = false) -> LayerSpec {
            .conv(ConvSpec(inChannels: i, outChannels: o, kernel: k, stride: s, padding: pad, padMode: reflect ? .reflect : .zeros, weight: name, bias: nil))
        }
        let spec = NetworkSpec(input: [c, h, w], layers: [
            .concat([
                conv("down", c, 4, s: 2),
                .relu,
                .residual([conv("res", 4, 4, reflect: true), .leakyReLU(slope: 0.2)]),
                .concat([conv("mid", 4, 2, reflect: true), .film(channels: 2, weight: "film", bias: nil)]),
                .upsample(scale: 2),
                conv("up", 6, 5),
            ]),
            conv("head", 8, 2, k: 1, pad: 0),
        ], condition: a)
        let x = rng.floats(c * h * w), code = rng.floats(a)
        let zeros = { (n: Int) in [Float](repeating: 0, count: n) }
        let down = naiveConv(x, c: c, h: h, w: w, weight: try t.floats("down"), bias: zeros(4), out: 4, k: 3, s: 2, p: 1, reflect: false).map { max($0, 0) }
        let resBranch = naiveConv(down, c: 4, h: 4, w: 5, weight: try t.floats("res"), bias: zeros(4), out: 4, k: 3, s: 1, p: 1, reflect: true).map { $0 < 0 ? $0 * 0.2 : $0 }
        let res = zip(down, resBranch).map(+)
        let mid = naiveFilm(naiveConv(res, c: 4, h: 4, w: 5, weight: try t.floats("mid"), bias: zeros(2), out: 2, k: 3, s: 1, p: 1, reflect: true),
                            channels: 2, weight: try t.floats("film"), bias: nil, condition: code)
        let up = naiveConv(naiveUpsample2(res + mid, c: 6, h: 4, w: 5), c: 6, h: h, w: w, weight: try t.floats("up"), bias: zeros(5), out: 5, k: 3, s: 1, p: 1, reflect: false)
        let expected = naiveConv(x + up, c: 8, h: h, w: w, weight: try t.floats("head"), bias: zeros(2), out: 2, k: 1, s: 1, p: 0, reflect: false)
        for fuse in [true, false] {
            let net = try Network(name: "u", spec: spec, weights: t, fuseUpsampleConv: fuse)
            XCTAssertEqual(net.outputShape, [2, h, w])
            assertClose(net(x, condition: code, workspace: Workspace()), expected, tolerance: 1e-4, "U-Net fuse=\(fuse)")
        }
    }

    func testConcatBranchThatChangesTheSizeIsRefused() throws {
        var rng = SeededRandom(seed: 76)
        let t = try weights([("w", [2, 2, 3, 3])], rng: &rng)
        let spec = NetworkSpec(input: [2, 8, 8], layers: [.relu, .concat([.conv(ConvSpec(inChannels: 2, outChannels: 2, kernel: 3, stride: 2, padding: 1, weight: "w", bias: nil))])])
        XCTAssertThrowsError(try Network(name: "t", spec: spec, weights: t)) {
            XCTAssertEqual($0 as? ManifestError, .invalid(path: "$.networks.t.layers[1]", reason: "concat branch maps [2, 8, 8] to [2, 4, 4]; it must keep H and W"))
        }
        let flat = NetworkSpec(input: [2, 8, 8], layers: [.concat([.flatten])])
        XCTAssertThrowsError(try Network(name: "t", spec: flat, weights: t)) {
            XCTAssertEqual($0 as? ManifestError, .invalid(path: "$.networks.t.layers[0]", reason: "concat branch maps [2, 8, 8] to [128]; it must keep H and W"))
        }
    }

    func testConditionedNetworkReusesItsWorkspaceAndFollowsItsCondition() throws {
        var rng = SeededRandom(seed: 77)
        let t = try weights([("w", [6, 3]), ("c", [3, 3, 3, 3])], rng: &rng)
        let spec = NetworkSpec(input: [3, 6, 6], layers: [
            .concat([.conv(ConvSpec(inChannels: 3, outChannels: 3, kernel: 3, padding: 1, weight: "c", bias: nil)), .film(channels: 3, weight: "w", bias: nil)]),
        ], condition: 3)
        let net = try Network(name: "n", spec: spec, weights: t)
        let ws = Workspace()
        let x = rng.floats(108)
        let first = net(x, condition: [1, 0, -1], workspace: ws)
        let allocations = ws.allocations
        let second = net(x, condition: [-1, 0.5, 1], workspace: ws)
        XCTAssertEqual(net(x, condition: [1, 0, -1], workspace: ws), first)
        XCTAssertEqual(ws.allocations, allocations)
        XCTAssertEqual(Array(first[..<108]), x)
        XCTAssertNotEqual(Array(first[108...]), Array(second[108...]))
    }
}
