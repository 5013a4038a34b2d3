/// One layer of a network as written in `manifest.json` (see docs/MODEL_FORMAT.md, "Layers").
/// Tensor fields hold names in `weights.safetensors`.
public indirect enum LayerSpec: Equatable, Sendable {
    /// PyTorch `Conv2d`; `weight [out, in, k, k]`.
    case conv(ConvSpec)
    /// PyTorch `ConvTranspose2d`; `weight [in, out, k, k]`.
    case convTranspose(ConvTransposeSpec)
    /// Upsampling by an integer factor: nearest-neighbour (any scale) or bilinear (scale 2 only).
    case upsample(scale: Int, mode: UpsampleMode = .nearest)
    /// Per-channel normalisation over H×W with biased variance; affine when `weight`/`bias` are set.
    case instanceNorm(channels: Int, eps: Float, weight: String?, bias: String?)
    case relu
    case leakyReLU(slope: Float)
    case tanh
    case sigmoid
    /// y = W x + b on the flattened input; `weight [out, in]`.
    case linear(inFeatures: Int, outFeatures: Int, weight: String, bias: String?)
    case flatten
    case reshape([Int])
    /// y = x + f(x) with f the nested layers.
    case residual([LayerSpec])
    /// Feature-wise modulation by the network's condition `a`: `g = W a + b`, `y[c] = x[c]·(1 + g[c]) + g[C + c]`;
    /// `weight [2C, A]`, `bias [2C]` (A = the network's `condition`).
    case film(channels: Int, weight: String, bias: String?)
    /// y = cat(x, f(x)) along channels; f must keep H and W (a U-Net skip).
    case concat([LayerSpec])
}

/// How an `upsample` layer interpolates (the manifest's `mode`).
public enum UpsampleMode: String, Equatable, Sendable {
    /// Each pixel repeated `scale` times in both axes.
    case nearest
    /// PyTorch `mode="bilinear", align_corners=False` at scale 2: half-pixel centres, edge samples clamped.
    case bilinear
}

/// Hyper-parameters of a `conv` layer.
public struct ConvSpec: Equatable, Sendable {
    public enum Padding: String, Sendable { case zeros, reflect }
    public var inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int
    public var padMode: Padding
    public var weight: String
    public var bias: String?
    public init(inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0, padMode: Padding = .zeros, weight: String, bias: String?) {
        self.inChannels = inChannels; self.outChannels = outChannels; self.kernel = kernel; self.stride = stride
        self.padding = padding; self.padMode = padMode; self.weight = weight; self.bias = bias
    }
}

/// Hyper-parameters of a `conv_transpose` layer.
public struct ConvTransposeSpec: Equatable, Sendable {
    public var inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int, outputPadding: Int
    public var weight: String
    public var bias: String?
    public init(inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0, outputPadding: Int = 0, weight: String, bias: String?) {
        self.inChannels = inChannels; self.outChannels = outChannels; self.kernel = kernel; self.stride = stride
        self.padding = padding; self.outputPadding = outputPadding; self.weight = weight; self.bias = bias
    }
}

extension LayerSpec {
    /// Parses one layer object; `path` (e.g. `networks.generator.layers[3]`) prefixes errors.
    static func parse(_ value: Any, path: String) throws -> LayerSpec {
        let o = try JSONFields(value, path: path)
        let type = try o.string("type")
        switch type {
        case "conv":
            let mode = try o.optionalString("pad_mode") ?? "zeros"
            guard let padMode = ConvSpec.Padding(rawValue: mode) else { throw ManifestError.invalid(path: "\(path).pad_mode", reason: "expected \"zeros\" or \"reflect\", got \"\(mode)\"") }
            return .conv(ConvSpec(inChannels: try o.positiveInt("in"), outChannels: try o.positiveInt("out"),
                                  kernel: try o.positiveInt("kernel"), stride: try o.optionalInt("stride", minimum: 1) ?? 1,
                                  padding: try o.optionalInt("padding", minimum: 0) ?? 0, padMode: padMode,
                                  weight: try o.string("weight"), bias: try o.optionalString("bias")))
        case "conv_transpose":
            return .convTranspose(ConvTransposeSpec(inChannels: try o.positiveInt("in"), outChannels: try o.positiveInt("out"),
                                                    kernel: try o.positiveInt("kernel"), stride: try o.optionalInt("stride", minimum: 1) ?? 1,
                                                    padding: try o.optionalInt("padding", minimum: 0) ?? 0,
                                                    outputPadding: try o.optionalInt("output_padding", minimum: 0) ?? 0,
                                                    weight: try o.string("weight"), bias: try o.optionalString("bias")))
        case "upsample":
            let name = try o.optionalString("mode") ?? "nearest"
            guard let mode = UpsampleMode(rawValue: name) else {
                throw ManifestError.invalid(path: "\(path).mode", reason: "expected \"nearest\" or \"bilinear\", got \"\(name)\"")
            }
            let scale = try o.positiveInt("scale")
            guard mode == .nearest || scale == 2 else {
                throw ManifestError.invalid(path: "\(path).scale", reason: "bilinear upsampling needs scale 2, got \(scale)")
            }
            return .upsample(scale: scale, mode: mode)
        case "instance_norm":
            return .instanceNorm(channels: try o.positiveInt("channels"), eps: Float(try o.optionalDouble("eps") ?? 1e-5),
                                 weight: try o.optionalString("weight"), bias: try o.optionalString("bias"))
        case "relu": return .relu
        case "leaky_relu": return .leakyReLU(slope: Float(try o.optionalDouble("slope") ?? 0.01))
        case "tanh": return .tanh
        case "sigmoid": return .sigmoid
        case "linear":
            return .linear(inFeatures: try o.positiveInt("in"), outFeatures: try o.positiveInt("out"),
                           weight: try o.string("weight"), bias: try o.optionalString("bias"))
        case "flatten": return .flatten
        case "reshape": return .reshape(try o.intArray("shape", minimum: 1))
        case "residual": return .residual(try parseLayerList(try o.array("layers"), path: "\(path).layers"))
        case "film": return .film(channels: try o.positiveInt("channels"), weight: try o.string("weight"), bias: try o.optionalString("bias"))
        case "concat": return .concat(try parseLayerList(try o.array("layers"), path: "\(path).layers"))
        default:
            throw ManifestError.invalid(path: "\(path).type", reason: "unknown layer type \"\(type)\"")
        }
    }
}

/// Parses a JSON array of layer objects.
func parseLayerList(_ values: [Any], path: String) throws -> [LayerSpec] {
    try values.enumerated().map { try LayerSpec.parse($0.element, path: "\(path)[\($0.offset)]") }
}
