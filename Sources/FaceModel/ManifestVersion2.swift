/// How a u8 network input (a crop, or the generator's sketch channel) becomes floats:
/// `x = Float(u8) · scale + offset`, computed in f32 (docs/MODEL_FORMAT.md, "Version 2").
public struct InputNormalisation: Equatable, Sendable {
    /// Multiplier of the u8 value.
    public let scale: Float
    /// Added after scaling.
    public let offset: Float

    /// What a version 1 manifest means: `u8 / 127.5 − 1` (white = +1, ink = −1).
    public static let version1 = InputNormalisation(scale: Float(1 / 127.5), offset: -1)

    public init(scale: Float, offset: Float) {
        self.scale = scale
        self.offset = offset
    }

    /// The normalised value of one pixel.
    @inline(__always) public func callAsFunction(_ u8: UInt8) -> Float { Float(u8) * scale + offset }

    /// Every pixel normalised, in order.
    public func apply(_ pixels: [UInt8]) -> [Float] { pixels.map { self($0) } }

    /// Writes the normalised pixels to `out` (`pixels.count` floats).
    func apply(_ pixels: [UInt8], to out: UnsafeMutablePointer<Float>) {
        for (i, p) in pixels.enumerated() { out[i] = self(p) }
    }
}

/// One block of the generator's input channels, in `generator_input` order.
public enum GeneratorInputBlock: String, Equatable, Sendable {
    /// The fused feature map `[feature_channels, R, R]` (pipeline step 7).
    case fused
    /// The whole downsampled canvas `[1, R, R]`, normalised, part boxes not blanked.
    case sketch
    /// The sketch as projected (`[1, R, R]`): per component its crop blended by its slider with the LLE blend of
    /// its nearest database crops, fused like the feature maps (docs/MODEL_FORMAT.md, "Projected sketch").
    case projectedSketch = "projected_sketch"
}

/// The appearance code a version 2 generator is conditioned on: the mean colour (RGB in [−1, 1]) of each
/// face region of a photo, region by region, then R, G, B.
public struct Appearance: Equatable, Sendable {
    /// Floats per code (`3 · regions.count`).
    public let size: Int
    /// Region names in code order (`background`, `skin`, …).
    public let regions: [String]
    /// The codes the model ships (k-means centres over the training photos); never empty.
    public let palette: [[Float]]
    /// Index into `palette` of the code used when none is chosen.
    public let defaultIndex: Int
    /// Where each region is in an aligned photo, for codes taken from photos; nil when the model has none.
    public var regionMap: RegionMap? = nil

    /// The code used when the user picks none.
    public var defaultCode: [Float] { palette[defaultIndex] }

    /// `code` with every value clamped to [−1, 1] (NaN reads as 0): any `size` floats are a valid code.
    public func clamped(_ code: [Float]) -> [Float] {
        precondition(code.count == size, "an appearance code has \(size) values, got \(code.count)")
        return code.map { $0.isNaN ? 0 : min(1, max(-1, $0)) }
    }
}

extension Manifest {
    /// `$.input_normalisation`: `{scale, offset}`, finite, scale not zero.
    static func parseInputNormalisation(_ o: JSONFields) throws -> InputNormalisation {
        let n = try o.fields("input_normalisation")
        let scale = try n.double("scale"), offset = try n.double("offset")
        guard scale != 0 else { throw ManifestError.invalid(path: "\(n.path).scale", reason: "must not be 0") }
        return InputNormalisation(scale: Float(scale), offset: Float(offset))
    }

    /// `$.generator_input`: `"fused"` first, then optionally one of `"sketch"` and `"projected_sketch"`.
    static func parseGeneratorInput(_ o: JSONFields) throws -> [GeneratorInputBlock] {
        let values = try o.array("generator_input")
        guard !values.isEmpty else { throw ManifestError.invalid(path: "$.generator_input", reason: "must list \"fused\" first") }
        var blocks: [GeneratorInputBlock] = []
        for (i, value) in values.enumerated() {
            let path = "$.generator_input[\(i)]"
            guard let name = value as? String, let block = GeneratorInputBlock(rawValue: name) else {
                throw ManifestError.invalid(path: path, reason: "expected \"fused\", \"sketch\" or \"projected_sketch\"")
            }
            guard i > 0 || block == .fused else { throw ManifestError.invalid(path: path, reason: "the first block must be \"fused\"") }
            guard !blocks.contains(block) else { throw ManifestError.invalid(path: path, reason: "\"\(name)\" is listed twice") }
            guard i < 2 else { throw ManifestError.invalid(path: path, reason: "at most one sketch block follows \"fused\"") }
            blocks.append(block)
        }
        return blocks
    }

    /// `$.appearance`: size, regions (3 floats each), a non-empty palette of `size`-float codes, a default index.
    static func parseAppearance(_ o: JSONFields) throws -> Appearance {
        let a = try o.fields("appearance")
        let size = try a.positiveInt("size")
        let regions = try a.array("regions").enumerated().map { i, v -> String in
            guard let s = v as? String, !s.isEmpty else { throw ManifestError.invalid(path: "\(a.path).regions[\(i)]", reason: "expected a region name") }
            return s
        }
        guard size == 3 * regions.count else {
            throw ManifestError.invalid(path: "\(a.path).size", reason: "\(size) is not 3 × \(regions.count) regions (R, G, B each)")
        }
        let entries = try a.array("palette")
        guard !entries.isEmpty else { throw ManifestError.invalid(path: "\(a.path).palette", reason: "must hold at least one code") }
        let palette = try entries.enumerated().map { i, entry -> [Float] in
            let path = "\(a.path).palette[\(i)]"
            guard let values = entry as? [Any] else { throw ManifestError.invalid(path: path, reason: "expected a list of \(size) numbers") }
            guard values.count == size else { throw ManifestError.invalid(path: path, reason: "expected \(size) numbers, got \(values.count)") }
            return try values.enumerated().map { j, v in
                guard let x = jsonDouble(v), x.isFinite else { throw ManifestError.invalid(path: "\(path)[\(j)]", reason: "expected a number") }
                return Float(x)
            }
        }
        let index = try a.int("default", minimum: 0)
        guard index < palette.count else {
            throw ManifestError.invalid(path: "\(a.path).default", reason: "\(index) is not an index into the \(palette.count)-code palette")
        }
        let regionMap = a.has("region_map") ? try parseRegionMap(try a.fields("region_map"), regions: regions.count, size: size) : nil
        return Appearance(size: size, regions: regions, palette: palette, defaultIndex: index, regionMap: regionMap)
    }
}

extension Manifest {
    /// The generator's input shape: `[feature_channels (+ 1 with a sketch block), R, R]`.
    public var generatorInputShape: [Int] {
        [featureChannels + generatorInput.count - 1, resolution, resolution]
    }

    /// Whether the generator reads the projected sketch (and so needs every component's projection).
    public var readsProjectedSketch: Bool { generatorInput.contains(.projectedSketch) }
}
