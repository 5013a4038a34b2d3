import Foundation

/// What is wrong with a `manifest.json`, or with the networks it describes; `path` is a JSON path
/// (`networks.encoder.nose.layers[2].kernel`) so the broken field is found from the message alone.
public enum ManifestError: Error, Equatable, CustomStringConvertible {
    case unreadable(file: String, reason: String)
    case missing(path: String)
    case invalid(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(file, reason): return "\(file): \(reason)"
        case let .missing(path): return "manifest.json: missing \(path)"
        case let .invalid(path, reason): return "manifest.json: \(path): \(reason)"
        }
    }
}

/// A component box and its geometry at model resolution.
public struct Component: Equatable, Sendable {
    /// `left_eye`, `right_eye`, `nose`, `mouth` or `remainder`.
    public let name: String
    /// Top-left corner and side on the 512 canvas.
    public let x: Int, y: Int, side: Int
    /// The same box at model resolution R (`x / f`, `y / f`, `side / f`).
    public let xR: Int, yR: Int, sideR: Int
    /// The remainder is the whole sketch with the part boxes blanked.
    public var isRemainder: Bool { name == "remainder" }
}

/// One network: input shape, layer list and, for a conditioned network, the length of its condition vector.
public struct NetworkSpec: Equatable, Sendable {
    public let input: [Int]
    public let layers: [LayerSpec]
    /// `condition`: floats of the second input its `film` layers read; nil for an unconditioned network.
    public let condition: Int?

    public init(input: [Int], layers: [LayerSpec], condition: Int? = nil) {
        self.input = input
        self.layers = layers
        self.condition = condition
    }
}

/// The parsed and validated `manifest.json` (docs/MODEL_FORMAT.md).
public struct Manifest: Sendable {
    /// Format version, 1 or 2.
    public let version: Int
    /// How u8 inputs become floats (version 1: `u8 / 127.5 − 1`).
    public let inputNormalisation: InputNormalisation
    /// The generator's input blocks in channel order (version 1: `[.fused]`).
    public let generatorInput: [GeneratorInputBlock]
    /// The appearance code the generator is conditioned on; nil in version 1.
    public let appearance: Appearance?
    public let canvas: Int
    public let resolution: Int
    public let latent: Int
    public let featureChannels: Int
    public let kProject: Int
    public let kShadow: Int
    public let lleRegularization: Float
    /// Components in manifest order; the remainder is among them.
    public let components: [Component]
    /// Names of the part components in the order they are pasted onto the remainder's map.
    public let fusionOrder: [String]
    public let networks: [String: NetworkSpec]

    /// The canvas → model downsampling factor `f = canvas / resolution`.
    public var factor: Int { canvas / resolution }

    /// Index of the named component.
    public func componentIndex(_ name: String) -> Int? { components.firstIndex { $0.name == name } }

    /// Reads and validates `path`.
    public init(path: String) throws {
        let bytes: [UInt8]
        do { bytes = try readFileBytes(path) } catch let failure as FileReadFailure {
            throw ManifestError.unreadable(file: path, reason: "cannot read: \(failure.reason)")
        }
        try self.init(json: bytes)
    }

    /// Parses and validates manifest JSON.
    public init(json bytes: [UInt8]) throws {
        let root: Any
        do { root = try JSONSerialization.jsonObject(with: Data(bytes), options: []) } catch {
            throw ManifestError.invalid(path: "$", reason: "not valid JSON")
        }
        let o = try JSONFields(root, path: "$")
        let format = try o.string("format")
        guard format == "sketchface-model" else { throw ManifestError.invalid(path: "$.format", reason: "expected \"sketchface-model\", got \"\(format)\"") }
        version = try o.int("version")
        switch version {
        case 1:
            for key in ["input_normalisation", "generator_input", "appearance"] where o.has(key) {
                throw ManifestError.invalid(path: "$.\(key)", reason: "only in version 2 (this manifest says version 1)")
            }
            inputNormalisation = .version1
            generatorInput = [.fused]
            appearance = nil
        case 2:
            inputNormalisation = try Self.parseInputNormalisation(o)
            generatorInput = try Self.parseGeneratorInput(o)
            appearance = try Self.parseAppearance(o)
        default:
            throw ManifestError.invalid(path: "$.version", reason: "version \(version) is not supported (this runtime reads versions 1 and 2)")
        }
        canvas = try o.positiveInt("canvas")
        guard canvas == Canvas.side else { throw ManifestError.invalid(path: "$.canvas", reason: "the canvas must be \(Canvas.side)") }
        resolution = try o.positiveInt("resolution")
        guard canvas % resolution == 0 else { throw ManifestError.invalid(path: "$.resolution", reason: "\(canvas) is not a multiple of \(resolution)") }
        latent = try o.positiveInt("latent")
        featureChannels = try o.positiveInt("feature_channels")
        kProject = try o.positiveInt("k_project")
        kShadow = try o.positiveInt("k_shadow")
        let r = try o.double("lle_regularization")
        guard r >= 0 else { throw ManifestError.invalid(path: "$.lle_regularization", reason: "must be ≥ 0") }
        lleRegularization = Float(r)
        let f = canvas / resolution
        var components: [Component] = []
        for (i, value) in try o.array("components").enumerated() {
            let c = try JSONFields(value, path: "$.components[\(i)]")
            let name = try c.string("name")
            let box = try c.intArray("box", minimum: 0)
            guard box.count == 3, box[2] > 0, box[0] + box[2] <= canvas, box[1] + box[2] <= canvas else {
                throw ManifestError.invalid(path: "\(c.path).box", reason: "expected [x, y, side] inside the \(canvas) canvas, got \(box)")
            }
            guard box[2] % f == 0 else { throw ManifestError.invalid(path: "\(c.path).box", reason: "side \(box[2]) is not a multiple of \(f)") }
            guard !components.contains(where: { $0.name == name }) else { throw ManifestError.invalid(path: "\(c.path).name", reason: "duplicate component \"\(name)\"") }
            components.append(Component(name: name, x: box[0], y: box[1], side: box[2], xR: box[0] / f, yR: box[1] / f, sideR: box[2] / f))
        }
        guard let remainder = components.first(where: \.isRemainder) else { throw ManifestError.missing(path: "$.components[name=remainder]") }
        guard remainder.x == 0, remainder.y == 0, remainder.side == canvas else {
            throw ManifestError.invalid(path: "$.components[name=remainder].box", reason: "the remainder covers the whole canvas [0, 0, \(canvas)]")
        }
        self.components = components
        let order = try o.array("fusion_order").enumerated().map { i, v -> String in
            guard let s = v as? String, components.contains(where: { $0.name == s && !$0.isRemainder }) else {
                throw ManifestError.invalid(path: "$.fusion_order[\(i)]", reason: "not a part component")
            }
            return s
        }
        fusionOrder = order
        let nets = try o.fields("networks")
        var networks: [String: NetworkSpec] = [:]
        for (name, value) in nets.object {
            let n = try JSONFields(value, path: "$.networks.\(name)")
            networks[name] = NetworkSpec(input: try n.intArray("input", minimum: 1),
                                         layers: try parseLayerList(try n.array("layers"), path: "\(n.path).layers"),
                                         condition: try n.optionalInt("condition", minimum: 1))
        }
        for c in components {
            for prefix in ["encoder", "mapper"] where networks["\(prefix).\(c.name)"] == nil {
                throw ManifestError.missing(path: "$.networks.\(prefix).\(c.name)")
            }
        }
        guard let generator = networks["generator"] else { throw ManifestError.missing(path: "$.networks.generator") }
        switch (appearance, generator.condition) {
        case (nil, nil): break
        case (nil, _?):
            throw ManifestError.invalid(path: "$.networks.generator.condition", reason: "a conditioned generator needs $.appearance (version 2)")
        case (_?, nil):
            throw ManifestError.missing(path: "$.networks.generator.condition")
        case let (a?, size?) where size != a.size:
            throw ManifestError.invalid(path: "$.networks.generator.condition", reason: "\(size) does not match $.appearance.size \(a.size)")
        default: break
        }
        self.networks = networks
    }
}
