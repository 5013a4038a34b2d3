/// A network built from a manifest layer list: weights converted to f32 and packed once, shapes
/// inferred and checked at build time, and the layers compiled into a flat list of steps over a
/// small pool of activation buffers (ping-pong, plus one pinned buffer per open residual or concat). Running it
/// allocates nothing: it uses a caller-owned `Workspace`. Immutable, so one `Network` serves every
/// thread; each thread brings its own workspace.
public struct Network: Sendable {
    /// Name in the manifest (`encoder.nose`), used in errors.
    public let name: String
    /// Input shape `[C, H, W]` or `[N]`.
    public let inputShape: [Int]
    /// Output shape.
    public let outputShape: [Int]
    /// Length of the condition vector a conditioned network takes (`film` layers read it); nil otherwise.
    public let conditionSize: Int?
    /// Multiply-adds executed by one forward pass (convolutions, transposed convolutions, linear
    /// layers; a fused upsample+conv counts the 16 per low-res pixel it really does, not 36; a `film`
    /// counts its `2C × A` projection plus one per element; a bilinear upsample the 3 per output value its
    /// separable blend does).
    public let multiplyAdds: Int
    let steps: [Step]
    /// Activation buffers used, and floats each must hold.
    let bufferCount: Int
    let bufferFloats: Int
    /// im2col / col2im floats needed.
    let columnFloats: Int
    /// Buffer holding the output after `run`.
    let outputBuffer: Int

    enum Step: Sendable {
        case conv(Conv2DLayer, src: Int, dst: Int, height: Int, width: Int)
        case convTranspose(ConvTranspose2DLayer, src: Int, dst: Int, height: Int, width: Int)
        case upsampleConv(UpsampleConv2DLayer, src: Int, dst: Int, height: Int, width: Int)
        case winograd(WinogradConv3x3Layer, src: Int, dst: Int, height: Int, width: Int)
        case upsample(scale: Int, src: Int, dst: Int, channels: Int, height: Int, width: Int)
        case upsampleBilinear(src: Int, dst: Int, channels: Int, height: Int, width: Int)
        case instanceNorm(buffer: Int, channels: Int, planeSize: Int, eps: Float, weight: [Float]?, bias: [Float]?, activation: Activation?)
        case activation(Activation, buffer: Int, count: Int)
        case linear(LinearLayer, src: Int, dst: Int)
        case copy(src: Int, dst: Int, count: Int)
        case add(src: Int, dst: Int, count: Int)
        /// `buffer` modulated in place by the condition (`g` goes to the column buffer).
        case film(FiLMLayer, buffer: Int, planeSize: Int)
        /// `dst = first ++ second` (channel concatenation of two `[C, H, W]` tensors is memory concatenation).
        case concat(first: Int, firstCount: Int, second: Int, secondCount: Int, dst: Int)
    }

    /// Column budget per chunk: 256 K floats (1 MB, about an L2) so a chunk written by im2col is still
    /// cached when sgemm reads it, and the largest im2col stays bounded.
    static let columnBudget = 1 << 18
    /// Winograd chunks hold 16 transformed planes per channel: a larger budget keeps its GEMMs wide.
    static let winogradBudget = 1 << 20

    /// Builds `spec` named `name`, reading tensors from `weights`.
    public init(name: String, spec: NetworkSpec, weights: SafeTensors) throws {
        try self.init(name: name, spec: spec, weights: weights, fuseUpsampleConv: true, useWinograd: true)
    }

    init(name: String, spec: NetworkSpec, weights: SafeTensors, fuseUpsampleConv: Bool, useWinograd: Bool = true) throws {
        var builder = NetworkBuilder(name: name, weights: weights, condition: spec.condition, fuseUpsampleConv: fuseUpsampleConv, useWinograd: useWinograd)
        let input = spec.input
        guard input.count == 1 || input.count == 3 else {
            throw ManifestError.invalid(path: "$.networks.\(name).input", reason: "expected [C, H, W] or [N], got \(input)")
        }
        builder.maxFloats = input.reduce(1, *)
        let (shape, buffer) = try builder.compile(spec.layers, shape: input, current: 0, pinned: [], path: "$.networks.\(name).layers")
        self.name = name
        inputShape = input
        outputShape = shape
        conditionSize = spec.condition
        multiplyAdds = builder.steps.reduce(0) { $0 + $1.multiplyAdds }
        steps = builder.steps
        bufferCount = max(builder.buffersUsed, 1)
        bufferFloats = builder.maxFloats
        columnFloats = builder.columnFloats
        outputBuffer = buffer
    }

    /// Runs the network on `input` (`inputShape.reduce(*)` floats) and, for a conditioned network, the
    /// condition vector (`conditionSize` floats); returns the workspace buffer holding the output, valid
    /// until the workspace is used again.
    func run(_ input: UnsafePointer<Float>, condition: UnsafePointer<Float>? = nil, workspace: Workspace) -> UnsafeMutablePointer<Float> {
        precondition((condition != nil) == (conditionSize != nil),
                     "\(name): " + (conditionSize.map { "needs a condition of \($0) values" } ?? "takes no condition"))
        workspace.reserve(buffers: bufferCount, floats: bufferFloats, columns: columnFloats)
        workspace.buffers[0].update(from: input, count: inputShape.reduce(1, *))
        for step in steps { execute(step, condition: condition, workspace: workspace) }
        return workspace.buffers[outputBuffer]
    }

    /// Runs one compiled step over the workspace's buffers.
    @inline(__always)
    private func execute(_ step: Step, condition: UnsafePointer<Float>?, workspace: Workspace) {
        let buffers = workspace.buffers
        let columns = workspace.columns
        let capacity = workspace.columnCapacity
        switch step {
        case let .conv(layer, src, dst, h, w):
            conv2d(layer, input: buffers[src], height: h, width: w, output: buffers[dst], columns: columns, columnCapacity: capacity)
        case let .convTranspose(layer, src, dst, h, w):
            convTranspose2d(layer, input: buffers[src], height: h, width: w, output: buffers[dst], columns: columns, columnCapacity: capacity)
        case let .upsampleConv(layer, src, dst, h, w):
            upsampleConv2d(layer, input: buffers[src], height: h, width: w, output: buffers[dst], columns: columns, columnCapacity: capacity)
        case let .winograd(layer, src, dst, h, w):
            winogradConv3x3(layer, input: buffers[src], height: h, width: w, output: buffers[dst], columns: columns, columnCapacity: capacity)
        case let .upsample(scale, src, dst, c, h, w):
            upsampleNearest(buffers[src], channels: c, height: h, width: w, scale: scale, output: buffers[dst])
        case let .upsampleBilinear(src, dst, c, h, w):
            upsampleBilinear2(buffers[src], channels: c, height: h, width: w, output: buffers[dst])
        case let .instanceNorm(buffer, c, n, eps, weight, bias, act):
            instanceNorm(buffers[buffer], channels: c, planeSize: n, eps: eps, weight: weight, bias: bias, then: act)
        case let .activation(kind, buffer, count):
            activate(kind, buffers[buffer], count: count)
        case let .linear(layer, src, dst):
            linear(layer, input: buffers[src], output: buffers[dst])
        case let .copy(src, dst, count):
            buffers[dst].update(from: buffers[src], count: count)
        case let .add(src, dst, count):
            addInPlace(buffers[dst], buffers[src], count: count)
        case let .film(layer, buffer, n):
            film(layer, buffers[buffer], planeSize: n, condition: condition!, scratch: columns)
        case let .concat(first, firstCount, second, secondCount, dst):
            buffers[dst].update(from: buffers[first], count: firstCount)
            (buffers[dst] + firstCount).update(from: buffers[second], count: secondCount)
        }
    }

    /// Runs the network and copies the output out; `condition` is required exactly when the network is
    /// conditioned (`conditionSize` values).
    public func callAsFunction(_ input: [Float], condition: [Float]? = nil, workspace: Workspace) -> [Float] {
        precondition(input.count == inputShape.reduce(1, *), "\(name): input has \(input.count) values, expected \(inputShape)")
        precondition(condition?.count == conditionSize, "\(name): condition has \(condition?.count ?? 0) values, expected \(conditionSize ?? 0)")
        let n = outputShape.reduce(1, *)
        return input.withUnsafeBufferPointer { x in
            withOptionalPointer(condition) { a in
                let out = run(x.baseAddress!, condition: a, workspace: workspace)
                return Array(UnsafeBufferPointer(start: out, count: n))
            }
        }
    }
}

/// Compiles layer specs into steps; tracks buffer use and shapes.
struct NetworkBuilder {
    let name: String
    let weights: SafeTensors
    /// The network's condition length (`film` layers need one).
    let condition: Int?
    var steps: [Network.Step] = []
    var buffersUsed = 1
    var maxFloats = 0
    var columnFloats = 0
    /// Fuse `upsample ×2` + 3×3 stride-1 pad-1 `conv` (tests turn it off to compare both paths).
    var fuseUpsampleConv = true
    /// Run wide 3×3 stride-1 pad-1 convs by Winograd F(2×2, 3×3) (tests turn it off likewise).
    var useWinograd = true

    init(name: String, weights: SafeTensors, condition: Int? = nil, fuseUpsampleConv: Bool = true, useWinograd: Bool = true) {
        self.name = name; self.weights = weights; self.condition = condition
        self.fuseUpsampleConv = fuseUpsampleConv; self.useWinograd = useWinograd
    }

    private mutating func freeBuffer(excluding: Set<Int>) -> Int {
        var i = 0
        while excluding.contains(i) { i += 1 }
        buffersUsed = max(buffersUsed, i + 1)
        return i
    }

    private func tensor(_ tensorName: String, shape: [Int]) throws -> [Float] {
        try weights.floats(tensorName, shape: shape)
    }

    private func bias(_ tensorName: String?, count: Int) throws -> [Float] {
        guard let tensorName else { return [Float](repeating: 0, count: count) }
        return try tensor(tensorName, shape: [count])
    }

    /// Compiles `layers` applied to a tensor of `shape` in buffer `current`; `pinned` buffers hold
    /// residual and concat inputs and must not be overwritten. Returns the output shape and buffer.
    mutating func compile(_ layers: [LayerSpec], shape inShape: [Int], current inCurrent: Int, pinned: Set<Int>, path: String) throws -> ([Int], Int) {
        var shape = inShape
        var current = inCurrent
        func invalid(_ i: Int, _ reason: String) -> ManifestError { .invalid(path: "\(path)[\(i)]", reason: reason) }
        func chw(_ i: Int) throws -> (Int, Int, Int) {
            guard shape.count == 3 else { throw invalid(i, "expects a [C, H, W] input, got \(shape)") }
            return (shape[0], shape[1], shape[2])
        }
        // In-place ops must not clobber a pinned residual input: copy it out first.
        func writable(_ count: Int) -> Int {
            if pinned.contains(current) {
                let dst = freeBuffer(excluding: pinned.union([current]))
                steps.append(.copy(src: current, dst: dst, count: count))
                current = dst
            }
            return current
        }
        var fusedNext = false
        for (i, layer) in layers.enumerated() {
            if fusedNext { fusedNext = false; continue }
            let count = shape.reduce(1, *)
            // Nearest only: bilinear ×2 + 3×3 conv has 3×3 phase kernels (36 multiply-adds per low-res pixel, more
            // than Winograd's 16 on the upsampled map), so bilinear runs unfused.
            if fuseUpsampleConv, case .upsample(2, .nearest) = layer, i + 1 < layers.count, case let .conv(spec) = layers[i + 1],
               spec.kernel == 3, spec.stride == 1, spec.padding == 1, shape.count == 3, shape[0] == spec.inChannels {
                let (c, h, w) = (shape[0], shape[1], shape[2])
                let conv = Conv2DLayer(inChannels: c, outChannels: spec.outChannels, kernel: 3, stride: 1, padding: 1,
                                       reflect: spec.padMode == .reflect,
                                       weight: try tensor(spec.weight, shape: [spec.outChannels, c, 3, 3]),
                                       bias: try bias(spec.bias, count: spec.outChannels))
                let fused = UpsampleConv2DLayer(conv: conv)
                let dst = freeBuffer(excluding: pinned.union([current]))
                steps.append(.upsampleConv(fused, src: current, dst: dst, height: h, width: w))
                shape = [spec.outChannels, 2 * h, 2 * w]
                columnFloats = max(columnFloats, fused.columnFloats(height: h, width: w, budget: Network.columnBudget))
                maxFloats = max(maxFloats, shape.reduce(1, *))
                current = dst
                fusedNext = true
                continue
            }
            switch layer {
            case let .conv(spec):
                let (c, h, w) = try chw(i)
                guard c == spec.inChannels else { throw invalid(i, "conv expects \(spec.inChannels) input channels, got \(c)") }
                if spec.padMode == .reflect, spec.padding >= h || spec.padding >= w {
                    throw invalid(i, "reflect padding \(spec.padding) needs an input larger than \(h)×\(w)")
                }
                guard h + 2 * spec.padding >= spec.kernel, w + 2 * spec.padding >= spec.kernel else { throw invalid(i, "kernel \(spec.kernel) larger than the padded input \(h)×\(w)") }
                let layer = Conv2DLayer(inChannels: c, outChannels: spec.outChannels, kernel: spec.kernel, stride: spec.stride,
                                        padding: spec.padding, reflect: spec.padMode == .reflect,
                                        weight: try tensor(spec.weight, shape: [spec.outChannels, c, spec.kernel, spec.kernel]),
                                        bias: try bias(spec.bias, count: spec.outChannels))
                let dst = freeBuffer(excluding: pinned.union([current]))
                shape = [spec.outChannels, layer.outputSize(h), layer.outputSize(w)]
                if useWinograd, WinogradConv3x3Layer.applies(to: layer) {
                    let wino = WinogradConv3x3Layer(conv: layer)
                    steps.append(.winograd(wino, src: current, dst: dst, height: h, width: w))
                    columnFloats = max(columnFloats, wino.columnFloats(height: h, width: w, budget: Network.winogradBudget))
                } else {
                    steps.append(.conv(layer, src: current, dst: dst, height: h, width: w))
                    columnFloats = max(columnFloats, layer.columnFloats(height: h, width: w, budget: Network.columnBudget))
                }
                current = dst
            case let .convTranspose(spec):
                let (c, h, w) = try chw(i)
                guard c == spec.inChannels else { throw invalid(i, "conv_transpose expects \(spec.inChannels) input channels, got \(c)") }
                guard spec.outputPadding < spec.stride else { throw invalid(i, "output_padding must be smaller than stride") }
                let raw = try tensor(spec.weight, shape: [c, spec.outChannels, spec.kernel, spec.kernel])
                let layer = ConvTranspose2DLayer(inChannels: c, outChannels: spec.outChannels, kernel: spec.kernel, stride: spec.stride,
                                                 padding: spec.padding, outputPadding: spec.outputPadding,
                                                 packedWeight: ConvTranspose2DLayer.pack(raw, inChannels: c, outChannels: spec.outChannels, kernel: spec.kernel),
                                                 bias: try bias(spec.bias, count: spec.outChannels))
                guard layer.outputSize(h) > 0, layer.outputSize(w) > 0 else { throw invalid(i, "conv_transpose output would be empty") }
                let dst = freeBuffer(excluding: pinned.union([current]))
                if fuseUpsampleConv, spec.kernel == 4, spec.stride == 2, spec.padding == 1, spec.outputPadding == 0 {
                    let phased = UpsampleConv2DLayer(transposedWeight: raw, inChannels: c, outChannels: spec.outChannels, bias: layer.bias)
                    steps.append(.upsampleConv(phased, src: current, dst: dst, height: h, width: w))
                    columnFloats = max(columnFloats, phased.columnFloats(height: h, width: w, budget: Network.columnBudget))
                } else {
                    steps.append(.convTranspose(layer, src: current, dst: dst, height: h, width: w))
                    columnFloats = max(columnFloats, layer.columnFloats(height: h, width: w, budget: Network.columnBudget))
                }
                shape = [spec.outChannels, layer.outputSize(h), layer.outputSize(w)]
                current = dst
            case let .upsample(scale, mode):
                let (c, h, w) = try chw(i)
                let dst = freeBuffer(excluding: pinned.union([current]))
                switch mode {
                case .nearest: steps.append(.upsample(scale: scale, src: current, dst: dst, channels: c, height: h, width: w))
                case .bilinear: steps.append(.upsampleBilinear(src: current, dst: dst, channels: c, height: h, width: w))
                }
                shape = [c, h * scale, w * scale]
                current = dst
            case let .instanceNorm(channels, eps, weightName, biasName):
                let (c, h, w) = try chw(i)
                guard c == channels else { throw invalid(i, "instance_norm expects \(channels) channels, got \(c)") }
                let weight = try weightName.map { try tensor($0, shape: [c]) }
                let bias = try biasName.map { try tensor($0, shape: [c]) }
                // A following ReLU / LeakyReLU is applied in the normalisation pass.
                var act: Activation?
                if i + 1 < layers.count {
                    switch layers[i + 1] {
                    case .relu: act = .relu
                    case let .leakyReLU(slope): act = .leakyReLU(slope)
                    default: break
                    }
                }
                steps.append(.instanceNorm(buffer: writable(count), channels: c, planeSize: h * w, eps: eps, weight: weight, bias: bias, activation: act))
                if act != nil { fusedNext = true }
            case .relu:
                steps.append(.activation(.relu, buffer: writable(count), count: count))
            case let .leakyReLU(slope):
                steps.append(.activation(.leakyReLU(slope), buffer: writable(count), count: count))
            case .tanh:
                steps.append(.activation(.tanh, buffer: writable(count), count: count))
            case .sigmoid:
                steps.append(.activation(.sigmoid, buffer: writable(count), count: count))
            case let .linear(inFeatures, outFeatures, weightName, biasName):
                guard shape.count == 1, shape[0] == inFeatures else { throw invalid(i, "linear expects [\(inFeatures)], got \(shape) (flatten first)") }
                let layer = LinearLayer(inFeatures: inFeatures, outFeatures: outFeatures,
                                        weight: try tensor(weightName, shape: [outFeatures, inFeatures]),
                                        bias: try bias(biasName, count: outFeatures))
                let dst = freeBuffer(excluding: pinned.union([current]))
                steps.append(.linear(layer, src: current, dst: dst))
                shape = [outFeatures]
                current = dst
            case .flatten:
                shape = [count]
            case let .reshape(target):
                guard target.reduce(1, *) == count else { throw invalid(i, "cannot reshape \(shape) (\(count) values) to \(target)") }
                shape = target
            case let .residual(inner):
                let (outShape, result) = try compile(inner, shape: shape, current: current, pinned: pinned.union([current]), path: "\(path)[\(i)].layers")
                guard outShape == shape else { throw invalid(i, "residual branch maps \(shape) to \(outShape)") }
                var dst = result
                if dst == current {  // empty branch: y = 2x
                    dst = freeBuffer(excluding: pinned.union([current]))
                    steps.append(.copy(src: current, dst: dst, count: count))
                }
                steps.append(.add(src: current, dst: dst, count: count))
                current = dst
            case let .film(channels, weightName, biasName):
                let (c, h, w) = try chw(i)
                guard let a = condition else {
                    throw invalid(i, "film needs a conditioned network: $.networks.\(name).condition is not set")
                }
                guard c == channels else { throw invalid(i, "film expects \(channels) channels, got \(c)") }
                let layer = FiLMLayer(channels: c, conditionSize: a, weight: try tensor(weightName, shape: [2 * c, a]),
                                      bias: try bias(biasName, count: 2 * c))
                steps.append(.film(layer, buffer: writable(count), planeSize: h * w))
                columnFloats = max(columnFloats, 2 * c)
            case let .concat(inner):
                let (c, h, w) = try chw(i)
                let (branchShape, result) = try compile(inner, shape: shape, current: current, pinned: pinned.union([current]), path: "\(path)[\(i)].layers")
                guard branchShape.count == 3, branchShape[1] == h, branchShape[2] == w else {
                    throw invalid(i, "concat branch maps \(shape) to \(branchShape); it must keep H and W")
                }
                let dst = freeBuffer(excluding: pinned.union([current, result]))
                let branchCount = branchShape.reduce(1, *)
                steps.append(.concat(first: current, firstCount: count, second: result, secondCount: branchCount, dst: dst))
                shape = [c + branchShape[0], h, w]
                current = dst
            }
            maxFloats = max(maxFloats, shape.reduce(1, *))
        }
        return (shape, current)
    }
}

extension Network {
    /// Time spent in one step of a profiled run.
    public struct StepTiming: Sendable {
        /// `conv`, `conv_transpose`, `upsample_conv`, `conv_winograd`, `linear`, `instance_norm`, `activation`,
        /// `upsample`, `upsample_bilinear`, `add`, `copy`, `film`, `concat`.
        public let kind: String
        public let seconds: Double
        /// Multiply-adds of the step (0 for memory-bound steps).
        public let multiplyAdds: Int
    }

    /// Runs the network once, timing every step (for the benchmark; `run` has no timing overhead).
    public func profile(_ input: [Float], condition: [Float]? = nil, workspace: Workspace) -> [StepTiming] {
        precondition(condition?.count == conditionSize, "\(name): condition has \(condition?.count ?? 0) values, expected \(conditionSize ?? 0)")
        workspace.reserve(buffers: bufferCount, floats: bufferFloats, columns: columnFloats)
        input.withUnsafeBufferPointer { workspace.buffers[0].update(from: $0.baseAddress!, count: input.count) }
        return withOptionalPointer(condition) { a in
            steps.map { step in
                let start = monotonicSeconds()
                execute(step, condition: a, workspace: workspace)
                return StepTiming(kind: step.kind, seconds: monotonicSeconds() - start, multiplyAdds: step.multiplyAdds)
            }
        }
    }
}

extension Network.Step {
    /// What the step is called in profiles.
    var kind: String {
        switch self {
        case .conv: return "conv"
        case .convTranspose: return "conv_transpose"
        case .upsampleConv: return "upsample_conv"
        case .winograd: return "conv_winograd"
        case .upsample: return "upsample"
        case .upsampleBilinear: return "upsample_bilinear"
        case .instanceNorm: return "instance_norm"
        case .activation: return "activation"
        case .linear: return "linear"
        case .copy: return "copy"
        case .add: return "add"
        case .film: return "film"
        case .concat: return "concat"
        }
    }

    /// Multiply-adds of the step (0 for memory-bound steps); they sum to `Network.multiplyAdds`.
    var multiplyAdds: Int {
        switch self {
        case let .conv(layer, _, _, h, w):
            return layer.outChannels * layer.outputSize(h) * layer.outputSize(w) * layer.inChannels * layer.kernel * layer.kernel
        case let .convTranspose(layer, _, _, h, w):
            return h * w * layer.inChannels * layer.outChannels * layer.kernel * layer.kernel
        case let .upsampleConv(layer, _, _, h, w):
            return 16 * h * w * layer.inChannels * layer.outChannels
        case let .winograd(layer, _, _, h, w):
            return 16 * ((h + 1) / 2) * ((w + 1) / 2) * layer.inChannels * layer.outChannels
        case let .linear(layer, _, _):
            return layer.inFeatures * layer.outFeatures
        case let .film(layer, _, n):
            return layer.multiplyAdds(planeSize: n)
        case let .upsampleBilinear(_, _, c, h, w):
            return bilinearMultiplyAdds(channels: c, height: h, width: w)
        case .upsample, .instanceNorm, .activation, .copy, .add, .concat:
            return 0
        }
    }
}

/// Calls `body` with a pointer to `values`' storage, or nil when there are none.
func withOptionalPointer<T>(_ values: [Float]?, _ body: (UnsafePointer<Float>?) -> T) -> T {
    guard let values else { return body(nil) }
    return values.withUnsafeBufferPointer { body($0.baseAddress!) }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Seconds on the monotonic clock.
public func monotonicSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}
