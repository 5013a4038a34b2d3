import Foundation
@testable import FaceModel

/// Deterministic xorshift generator so every test run sees the same "random" shapes and values.
struct SeededRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }
    mutating func next() -> UInt64 {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return state
    }
    /// Uniform in [lo, hi).
    mutating func float(_ lo: Float = -1, _ hi: Float = 1) -> Float {
        lo + (hi - lo) * Float(next() >> 40) / Float(1 << 24)
    }
    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
    mutating func floats(_ n: Int, scale: Float = 1) -> [Float] { (0..<n).map { _ in float(-scale, scale) } }
}

/// A tiny randomly-initialised model written from Swift: resolution 64, latent 16, 4 feature
/// channels, every layer type of the format. Exercises the builder before (and besides) the
/// training pipeline's fixture. Version 2 adds deliberately odd constants (input normalisation,
/// a 2-region appearance code, palette default 1) and a U-Net generator with `film` and nested `concat`
/// on the fused map plus the sketch channel.
enum TinyModel {
    static let latent = 16, channels = 4, resolution = 64, databaseSize = 24
    /// Version 2 constants.
    static let normalisation = (scale: 0.0071, offset: -0.85)
    static let regions = ["skin", "hair"]
    static let palette: [[Float]] = [[0.5, 0.25, 0, -0.5, -0.25, 0.125], [0.75, 0.5, 0.25, -0.75, -0.5, -0.25], [-0.5, 0, 0.5, 1, -1, 0]]
    static let paletteDefault = 1

    static let components: [(String, [Int])] = [
        ("left_eye", [108, 156, 128]), ("right_eye", [255, 156, 128]), ("nose", [182, 232, 160]),
        ("mouth", [169, 301, 192]), ("remainder", [0, 0, 512]),
    ]

    static func side(_ box: [Int]) -> Int { box[2] / (512 / resolution) }

    /// Writes `manifest.json`, `weights.safetensors`, `database.safetensors` into `directory`.
    static func write(to directory: String, seed: UInt64 = 7, weightsDType: SafeTensors.DType = .f32, version: Int = 1,
                      generatorInput: [String] = ["fused", "sketch"]) throws {
        var rng = SeededRandom(seed: seed)
        var weights = SafeTensorsWriter()
        var networks: [String: Any] = [:]
        func param(_ name: String, _ shape: [Int], scale: Float) -> String {
            weights.add(name, shape: shape, floats: rng.floats(shape.reduce(1, *), scale: scale), dtype: weightsDType)
            return name
        }
        func conv(_ p: String, _ i: Int, _ o: Int, k: Int, s: Int = 1, pad: Int = 0, mode: String = "zeros", bias: Bool = true) -> [String: Any] {
            let fan = Float(i * k * k)
            return ["type": "conv", "in": i, "out": o, "kernel": k, "stride": s, "padding": pad, "pad_mode": mode,
                    "weight": param("\(p).weight", [o, i, k, k], scale: 1 / fan.squareRoot()),
                    "bias": bias ? param("\(p).bias", [o], scale: 0.1) : NSNull()]
        }
        for (name, box) in components {
            let s = side(box)
            let h = (s + 1) / 2
            networks["encoder.\(name)"] = ["input": [1, s, s], "layers": [
                conv("enc.\(name).0", 1, 4, k: 3, s: 2, pad: 1, mode: "reflect"),
                ["type": "instance_norm", "channels": 4, "eps": 1e-5, "weight": param("enc.\(name).n.weight", [4], scale: 1), "bias": param("enc.\(name).n.bias", [4], scale: 0.1)],
                ["type": "leaky_relu", "slope": 0.2],
                ["type": "residual", "layers": [conv("enc.\(name).r0", 4, 4, k: 3, pad: 1), ["type": "relu"], conv("enc.\(name).r1", 4, 4, k: 3, pad: 1, mode: "reflect", bias: false)]],
                conv("enc.\(name).1", 4, 2, k: 1),
                ["type": "flatten"],
                ["type": "linear", "in": 2 * h * h, "out": latent, "weight": param("enc.\(name).fc.weight", [latent, 2 * h * h], scale: 1 / Float(2 * h * h).squareRoot()), "bias": param("enc.\(name).fc.bias", [latent], scale: 0.1)],
                ["type": "tanh"],
            ] as [Any]]
            let q = s / 2
            networks["mapper.\(name)"] = ["input": [latent], "layers": [
                ["type": "linear", "in": latent, "out": 4 * q * q, "weight": param("map.\(name).fc.weight", [4 * q * q, latent], scale: 0.25), "bias": NSNull()],
                ["type": "reshape", "shape": [4, q, q]],
                ["type": "conv_transpose", "in": 4, "out": 4, "kernel": 3, "stride": 2, "padding": 1, "output_padding": 1,
                 "weight": param("map.\(name).up.weight", [4, 4, 3, 3], scale: 0.3), "bias": param("map.\(name).up.bias", [4], scale: 0.1)],
                ["type": "instance_norm", "channels": 4, "eps": 1e-5, "weight": NSNull(), "bias": NSNull()],
                ["type": "relu"],
                conv("map.\(name).out", 4, channels, k: 3, pad: 1),
            ] as [Any]]
        }
        let r = resolution
        let a = 3 * regions.count
        func film(_ p: String, _ c: Int) -> [String: Any] {
            ["type": "film", "channels": c, "weight": param("\(p).weight", [2 * c, a], scale: 0.3), "bias": param("\(p).bias", [2 * c], scale: 0.1)]
        }
        if version == 2 {
            // fused + sketch → 8 → cat(8, up(cat(8, 4))) = 8 + 8 → RGB.
            networks["generator"] = ["input": [channels + 1, r, r], "condition": a, "layers": [
                conv("gen.in", channels + 1, 8, k: 7, pad: 3, mode: "reflect"),
                ["type": "instance_norm", "channels": 8, "eps": 1e-5, "weight": NSNull(), "bias": NSNull()],
                film("gen.in.film", 8),
                ["type": "relu"],
                ["type": "concat", "layers": [
                    conv("gen.down", 8, 8, k: 3, s: 2, pad: 1),
                    ["type": "leaky_relu", "slope": 0.2],
                    ["type": "concat", "layers": [
                        conv("gen.mid", 8, 4, k: 3, pad: 1, mode: "reflect"),
                        film("gen.mid.film", 4),
                        ["type": "relu"],
                    ] as [Any]],
                    ["type": "upsample", "scale": 2, "mode": "nearest"],
                    conv("gen.up", 12, 8, k: 3, pad: 1),
                    ["type": "instance_norm", "channels": 8, "eps": 1e-5, "weight": param("gen.up.n.weight", [8], scale: 1), "bias": param("gen.up.n.bias", [8], scale: 0.1)],
                    film("gen.up.film", 8),
                ] as [Any]],
                conv("gen.out", 16, 3, k: 7, pad: 3, mode: "reflect"),
                ["type": "tanh"],
            ] as [Any]]
        } else {
            networks["generator"] = ["input": [channels, r, r], "layers": [
                conv("gen.in", channels, 8, k: 7, pad: 3, mode: "reflect"),
                ["type": "instance_norm", "channels": 8, "eps": 1e-5, "weight": param("gen.in.n.weight", [8], scale: 1), "bias": param("gen.in.n.bias", [8], scale: 0.1)],
                ["type": "relu"],
                conv("gen.down", 8, 8, k: 3, s: 2, pad: 1),
                ["type": "residual", "layers": [conv("gen.res.0", 8, 8, k: 3, pad: 1, mode: "reflect"), ["type": "leaky_relu", "slope": 0.1], ["type": "sigmoid"]]],
                ["type": "upsample", "scale": 2, "mode": "nearest"],
                conv("gen.up", 8, 8, k: 3, pad: 1),
                ["type": "relu"],
                conv("gen.out", 8, 3, k: 7, pad: 3, mode: "reflect"),
                ["type": "tanh"],
            ] as [Any]]
        }
        var manifest: [String: Any] = [
            "format": "sketchface-model", "version": version, "canvas": 512, "resolution": r,
            "latent": latent, "feature_channels": channels, "k_project": 5, "k_shadow": 4, "lle_regularization": 0.001,
            "components": components.map { ["name": $0.0, "box": $0.1] },
            "fusion_order": ["mouth", "nose", "left_eye", "right_eye"],
            "networks": networks,
            "training": ["note": "random tiny model written by FaceModelTests"],
        ]
        if version == 2 {
            manifest["input_normalisation"] = ["scale": normalisation.scale, "offset": normalisation.offset]
            manifest["generator_input"] = generatorInput
            manifest["appearance"] = ["size": a, "regions": regions, "palette": palette.map { $0.map(Double.init) }, "default": paletteDefault]
        }
        let json = try JSONSerialization.data(withJSONObject: manifest, options: [.prettyPrinted, .sortedKeys])
        try json.write(to: URL(fileURLWithPath: directory + "/manifest.json"))
        try weights.write(to: directory + "/weights.safetensors")
        var database = SafeTensorsWriter()
        for (name, box) in components {
            let s = side(box)
            database.add("\(name).latents", shape: [databaseSize, latent], floats: rng.floats(databaseSize * latent))
            database.add("\(name).crops", shape: [databaseSize, s, s], uint8s: (0..<(databaseSize * s * s)).map { _ in UInt8(truncatingIfNeeded: rng.next() >> 56) })
            database.add("\(name).ids", shape: [databaseSize], int32s: (0..<databaseSize).map { Int32($0 * 3) })
        }
        try database.write(to: directory + "/database.safetensors")
    }

    /// A fresh temporary folder holding a tiny model.
    /// `generatorInput` applies to version 2 (`generator_input`; the generator takes one sketch channel either way).
    static func makeDirectory(seed: UInt64 = 7, weightsDType: SafeTensors.DType = .f32, version: Int = 1,
                              generatorInput: [String] = ["fused", "sketch"]) throws -> String {
        let dir = temporaryDirectory("tiny-model")
        try write(to: dir, seed: seed, weightsDType: weightsDType, version: version, generatorInput: generatorInput)
        return dir
    }

    /// A canvas with a few random strokes (filled rectangles of ink) in every component.
    static func sketch(seed: UInt64) -> Canvas {
        var rng = SeededRandom(seed: seed)
        var canvas = Canvas()
        for _ in 0..<40 {
            let x = rng.int(60...440), y = rng.int(60...440), w = rng.int(2...40), h = rng.int(2...6)
            for yy in y..<min(512, y + h) { for xx in x..<min(512, x + w) { canvas.pixels[yy * 512 + xx] = UInt8(rng.int(0...80)) } }
        }
        return canvas
    }
}

extension FaceModel {
    /// The pipeline run stage function by stage function (s = 1), without the session cache: what the
    /// session's face must equal.
    func stageByStage(_ canvas: Canvas, appearance: [Float], workspace ws: Workspace) -> RGBImage {
        let crops = crops(canvas)
        var maps: [Tensor] = [], projections: [SketchProjection] = []
        for i in 0..<componentCount {
            let z = encode(crops[i], component: i, workspace: ws)
            let n = nearest([z], component: i, k: 5)[0]
            let w = weights(z, neighbours: n, component: i)
            maps.append(featureMap(project(z, neighbours: n, weights: w, component: i, slider: 1), component: i, workspace: ws))
            projections.append(SketchProjection(neighbours: n, weights: w, slider: 1))
        }
        return generate(generatorInput(fused: fuse(maps), sketch: downsample(canvas), projections: projections), appearance: appearance, workspace: ws)
    }
}

/// Reads a model folder's manifest as a JSON object (tests edit it and parse it again with ``parseManifest(_:)``).
func manifestObject(_ dir: String) throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/manifest.json"))) as! [String: Any]
}

/// Parses an edited manifest object.
func parseManifest(_ object: [String: Any]) throws -> Manifest {
    try Manifest(json: Array(try JSONSerialization.data(withJSONObject: object)))
}

/// A unique empty folder under the system temporary directory.
func temporaryDirectory(_ prefix: String) -> String {
    let path = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
