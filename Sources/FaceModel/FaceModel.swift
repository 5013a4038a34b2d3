/// Why a model folder cannot be loaded.
public enum FaceModelError: Error, Equatable, CustomStringConvertible {
    case missingFile(path: String)
    case mismatch(network: String, reason: String)

    public var description: String {
        switch self {
        case let .missingFile(path): return "model file not found: \(path)"
        case let .mismatch(network, reason): return "network '\(network)' does not fit the manifest: \(reason)"
        }
    }
}

/// A loaded face model (docs/MODEL_FORMAT.md): manifest, networks with pre-packed weights, and the
/// component databases. Immutable after loading, so one instance is shared by every thread; the
/// stage functions below are pure apart from the caller's `Workspace`.
public final class FaceModel: @unchecked Sendable {
    /// The validated manifest.
    public let manifest: Manifest
    /// Component databases, in `manifest.components` order.
    public let databases: [ComponentDatabase]
    /// `encoder.<c>` per component, in `manifest.components` order.
    public let encoders: [Network]
    /// `mapper.<c>` per component.
    public let mappers: [Network]
    /// `generator`: its input blocks (`generator_input`: the fused map `[C, R, R]`, then in version 2 the
    /// sketch `[1, R, R]`) → image `[3, R, R]`; conditioned on the appearance code in version 2.
    public let generator: Network
    /// Pixel ownership and normalisation table of the `projected_sketch` block.
    let sketchLayout: ProjectedSketchLayout

    /// Loads `manifest.json`, `weights.safetensors` and `database.safetensors` from `directory`.
    public convenience init(directory: String) throws {
        let files = ["manifest.json", "weights.safetensors", "database.safetensors"].map { directory + "/" + $0 }
        for f in files where !fileExists(f) { throw FaceModelError.missingFile(path: f) }
        try self.init(manifest: try Manifest(path: files[0]), weights: try SafeTensors(path: files[1]), database: try SafeTensors(path: files[2]))
    }

    /// Builds every network and database from already-read files, checking each network's input and
    /// output shape against the manifest geometry.
    public init(manifest: Manifest, weights: SafeTensors, database: SafeTensors) throws {
        BLASKernel.selectForThisCPU()
        self.manifest = manifest
        let r = manifest.resolution, c = manifest.featureChannels
        func build(_ name: String, input: [Int], output: [Int], condition: Int? = nil) throws -> Network {
            let spec = manifest.networks[name]!
            guard spec.input == input else { throw FaceModelError.mismatch(network: name, reason: "input \(spec.input), expected \(input)") }
            guard spec.condition == condition else {
                throw FaceModelError.mismatch(network: name, reason: "condition \(spec.condition.map(String.init) ?? "none"), expected \(condition.map(String.init) ?? "none")")
            }
            let net = try Network(name: name, spec: spec, weights: weights)
            guard net.outputShape == output else { throw FaceModelError.mismatch(network: name, reason: "output \(net.outputShape), expected \(output)") }
            return net
        }
        encoders = try manifest.components.map { try build("encoder.\($0.name)", input: [1, $0.sideR, $0.sideR], output: [manifest.latent]) }
        mappers = try manifest.components.map { try build("mapper.\($0.name)", input: [manifest.latent], output: [c, $0.sideR, $0.sideR]) }
        generator = try build("generator", input: manifest.generatorInputShape, output: [3, r, r], condition: manifest.appearance?.size)
        databases = try manifest.components.map { try ComponentDatabase(component: $0, latentSize: manifest.latent, file: database) }
        sketchLayout = ProjectedSketchLayout(manifest: manifest)
    }

    /// Number of components (5 for the shipped model).
    public var componentCount: Int { manifest.components.count }

    /// The appearance code used when none is chosen (`palette[default]`); empty for a version 1 model.
    public var defaultAppearance: [Float] { manifest.appearance?.defaultCode ?? [] }

    /// The canvas downsampled to the model resolution (step 1; also the generator's sketch block).
    public func downsample(_ canvas: Canvas) -> [UInt8] { canvas.downsampled(factor: manifest.factor) }

    /// Crops of every component from a canvas, in `manifest.components` order.
    public func crops(_ canvas: Canvas) -> [Crop] { crops(downsampled: downsample(canvas)) }

    /// Crops of every component from the downsampled canvas (R×R).
    public func crops(downsampled small: [UInt8]) -> [Crop] {
        manifest.components.indices.map { manifest.crop(small, component: $0) }
    }

    /// A crop as its encoder reads it: `[1, side, side]` normalised by the manifest's `input_normalisation`.
    public func networkInput(_ crop: Crop) -> [Float] { manifest.inputNormalisation.apply(crop.pixels) }

    /// Step 1: `encoder.c(crop)` → latent.
    public func encode(_ crop: Crop, component: Int, workspace: Workspace) -> [Float] {
        encoders[component](networkInput(crop), workspace: workspace)
    }

    /// Step 2: the `k` nearest database rows for each latent (one sgemm for the batch).
    public func nearest(_ latents: [[Float]], component: Int, k: Int) -> [[Neighbour]] {
        databases[component].nearest(latents, k: k)
    }

    /// Step 3: locally-linear weights over the first `k_project` neighbours.
    public func weights(_ latent: [Float], neighbours: [Neighbour], component: Int) -> [Float] {
        locallyLinearWeights(latent, neighbours: Array(neighbours.prefix(manifest.kProject)), database: databases[component], regularization: manifest.lleRegularization)
    }

    /// Step 4: projection blended with slider `s ∈ [0, 1]`.
    public func project(_ latent: [Float], neighbours: [Neighbour], weights: [Float], component: Int, slider s: Float) -> [Float] {
        projectLatent(latent, neighbours: Array(neighbours.prefix(weights.count)), weights: weights, database: databases[component], slider: s)
    }

    /// Step 5: the shadow over the first `k_shadow` neighbours.
    public func shadow(neighbours: [Neighbour], component: Int) -> Shadow {
        Shadow(neighbours: Array(neighbours.prefix(manifest.kShadow)), database: databases[component])
    }

    /// Step 6: `mapper.c(z')` → feature map `[C, side_r, side_r]`.
    public func featureMap(_ latent: [Float], component: Int, workspace: Workspace) -> Tensor {
        Tensor(shape: mappers[component].outputShape, data: mappers[component](latent, workspace: workspace))
    }

    /// Step 7: the remainder's map with each part's map pasted at its box in `fusion_order`.
    /// `maps` is in `manifest.components` order.
    public func fuse(_ maps: [Tensor]) -> Tensor {
        let r = manifest.resolution, ch = manifest.featureChannels
        let remainder = manifest.components.firstIndex(where: \.isRemainder)!
        var fused = maps[remainder]
        for name in manifest.fusionOrder {
            let i = manifest.componentIndex(name)!
            let comp = manifest.components[i]
            let s = comp.sideR
            maps[i].data.withUnsafeBufferPointer { src in
                fused.data.withUnsafeMutableBufferPointer { dst in
                    for c in 0..<ch {
                        for y in 0..<s {
                            let from = src.baseAddress! + (c * s + y) * s
                            let to = dst.baseAddress! + (c * r + comp.yR + y) * r + comp.xR
                            to.update(from: from, count: s)
                        }
                    }
                }
            }
        }
        return fused
    }

    /// The generator's input: the blocks of `generator_input` concatenated along channels — the fused map
    /// `[C, R, R]`, then (version 2) the downsampled canvas `small` (R×R u8, part boxes not blanked) normalised
    /// by `input_normalisation`, or its projected sketch (``projectedSketch(_:projections:)``, which needs
    /// `projections`: one per component, manifest order; other models ignore them).
    public func generatorInput(fused: Tensor, sketch small: [UInt8], projections: [SketchProjection] = []) -> Tensor {
        let r = manifest.resolution
        precondition(fused.shape == [manifest.featureChannels, r, r], "fused map \(fused.shape), expected \([manifest.featureChannels, r, r])")
        precondition(small.count == r * r, "expected a \(r)×\(r) downsampled canvas")
        var input = Tensor(zeros: manifest.generatorInputShape)
        input.data.withUnsafeMutableBufferPointer { out in
            var at = out.baseAddress!
            for block in manifest.generatorInput {
                switch block {
                case .fused: fused.data.withUnsafeBufferPointer { at.update(from: $0.baseAddress!, count: $0.count) }; at += fused.data.count
                case .sketch: manifest.inputNormalisation.apply(small, to: at); at += small.count
                case .projectedSketch: writeProjectedSketch(small, projections: projections, to: at); at += small.count
                }
            }
        }
        return input
    }

    /// Step 8: `generator(input, a)` → RGB image, `input` from ``generatorInput(fused:sketch:)`` and `appearance`
    /// the code `a` (clamped to [−1, 1]; `manifest.appearance.size` values, none for a version 1 model).
    public func generate(_ input: Tensor, appearance: [Float], workspace: Workspace) -> RGBImage {
        precondition(input.shape == generator.inputShape, "generator input \(input.shape), expected \(generator.inputShape)")
        let code = manifest.appearance.map { $0.clamped(appearance) }
        precondition(code != nil || appearance.isEmpty, "a version 1 generator takes no appearance code")
        let r = manifest.resolution
        return input.data.withUnsafeBufferPointer { x in
            withOptionalPointer(code) { a in
                RGBImage(planar: generator.run(x.baseAddress!, condition: a, workspace: workspace), height: r, width: r)
            }
        }
    }

    /// The whole pipeline for one canvas without caching (one slider per component, in
    /// `manifest.components` order; missing entries default to 1; `appearance` defaults to the palette default).
    public func synthesize(_ canvas: Canvas, sliders: [Float] = [], appearance: [Float]? = nil, workspace: Workspace) -> RGBImage {
        let session = FaceSession(model: self)
        session.update(canvas)
        for (i, s) in sliders.enumerated() where i < componentCount { session.setSlider(s, component: i) }
        if let appearance { session.setAppearance(appearance) }
        return session.face(workspace: workspace)
    }
}

func fileExists(_ path: String) -> Bool {
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
}

import Foundation
