/// Per-session pipeline cache. Holds each component's crop, latent, neighbours, weights and feature
/// map, plus the fused map and last image, and recomputes only what changed: a new canvas
/// re-encodes only components whose crop changed; a slider change re-maps that component from its
/// cached latent without re-encoding; an unchanged request returns the cached image.
///
/// Not thread-safe: one caller at a time (the session's worker). Work is lazy: `update` only
/// crops; encoding happens when a shadow, latent or face is asked for. The `Workspace` passed in is
/// the caller's scratch memory.
public final class FaceSession {
    /// How many times each stage ran; tests assert what a change recomputed.
    public struct Counters: Equatable, Sendable {
        /// Encoder runs.
        public var encodes = 0
        /// KNN searches.
        public var searches = 0
        /// Mapper runs.
        public var mappings = 0
        /// Generator runs.
        public var generations = 0
        /// All zero.
        public init() {}
    }

    /// The shared model.
    public let model: FaceModel
    /// What has been computed so far.
    public private(set) var counters = Counters()
    /// Slider per component (manifest order), default 1 (fully projected).
    public private(set) var sliders: [Float]
    /// The appearance code the generator is conditioned on, clamped to [−1, 1]; starts at the palette
    /// default (empty for a version 1 model).
    public private(set) var appearance: [Float]

    private struct Slot {
        var crop: Crop?
        var latent: [Float]?
        var neighbours: [Neighbour]?
        var weights: [Float]?
        var featureMap: Tensor?
        var mappedSlider: Float?
    }
    private var slots: [Slot]
    /// The downsampled canvas (the generator's sketch block in version 2).
    private var small: [UInt8] = []
    /// Each component's projection for a `projected_sketch` generator (refilled in place per synthesis).
    private var projections: [SketchProjection]
    private var image: RGBImage?
    private var fused: Tensor?

    /// A session on a blank canvas with every slider at 1.
    public init(model: FaceModel) {
        self.model = model
        sliders = [Float](repeating: 1, count: model.componentCount)
        appearance = model.defaultAppearance
        slots = [Slot](repeating: Slot(), count: model.componentCount)
        projections = [SketchProjection](repeating: .none, count: model.componentCount)
        update(Canvas())
    }

    /// Takes a new canvas; components whose crop differs lose their cached latent and maps.
    /// Returns the indices of the components that changed.
    @discardableResult
    public func update(_ canvas: Canvas) -> [Int] {
        small = model.downsample(canvas)
        let crops = model.crops(downsampled: small)
        var changed: [Int] = []
        for (i, crop) in crops.enumerated() where slots[i].crop != crop {
            slots[i] = Slot(crop: crop)
            changed.append(i)
        }
        if !changed.isEmpty { image = nil; fused = nil }
        return changed
    }

    /// Sets component `i`'s slider (clamped to [0, 1]); only its feature map is recomputed later.
    public func setSlider(_ value: Float, component i: Int) {
        let v = max(0, min(1, value.isNaN ? 1 : value))
        guard sliders[i] != v else { return }
        sliders[i] = v
        slots[i].featureMap = nil
        image = nil; fused = nil
    }

    /// Sets the appearance code (`manifest.appearance.size` values, clamped to [−1, 1]); only the generator
    /// runs again.
    public func setAppearance(_ code: [Float]) {
        guard let a = model.manifest.appearance else {
            precondition(code.isEmpty, "a version 1 model takes no appearance code")
            return
        }
        let clamped = a.clamped(code)
        guard clamped != appearance else { return }
        appearance = clamped
        image = nil
    }

    /// The current crop of component `i`.
    public func crop(component i: Int) -> Crop { slots[i].crop! }

    /// The latent of component `i` (encodes if its crop changed).
    public func latent(component i: Int, workspace: Workspace) -> [Float] {
        if let z = slots[i].latent { return z }
        let z = model.encode(slots[i].crop!, component: i, workspace: workspace)
        counters.encodes += 1
        slots[i].latent = z
        return z
    }

    /// Neighbours of component `i`'s latent, `max(k_project, k_shadow)` of them, ascending.
    public func neighbours(component i: Int, workspace: Workspace) -> [Neighbour] {
        if let n = slots[i].neighbours { return n }
        let z = latent(component: i, workspace: workspace)
        let k = max(model.manifest.kProject, model.manifest.kShadow)
        let n = model.nearest([z], component: i, k: k)[0]
        counters.searches += 1
        slots[i].neighbours = n
        return n
    }

    /// Locally-linear weights of component `i` over its `k_project` nearest neighbours.
    public func weights(component i: Int, workspace: Workspace) -> [Float] {
        if let w = slots[i].weights { return w }
        let w = model.weights(latent(component: i, workspace: workspace), neighbours: neighbours(component: i, workspace: workspace), component: i)
        slots[i].weights = w
        return w
    }

    /// The shadow for component `i`.
    public func shadow(component i: Int, workspace: Workspace) -> Shadow {
        model.shadow(neighbours: neighbours(component: i, workspace: workspace), component: i)
    }

    /// The projected latent of component `i` at its slider.
    public func projected(component i: Int, workspace: Workspace) -> [Float] {
        let z = latent(component: i, workspace: workspace)
        let n = neighbours(component: i, workspace: workspace)
        return model.project(z, neighbours: n, weights: weights(component: i, workspace: workspace), component: i, slider: sliders[i])
    }

    /// The feature map of component `i` at its slider.
    public func featureMap(component i: Int, workspace: Workspace) -> Tensor {
        if let f = slots[i].featureMap, slots[i].mappedSlider == sliders[i] { return f }
        let f = model.featureMap(projected(component: i, workspace: workspace), component: i, workspace: workspace)
        counters.mappings += 1
        slots[i].featureMap = f
        slots[i].mappedSlider = sliders[i]
        return f
    }

    /// The fused feature map `[C, R, R]`.
    public func fusedFeatures(workspace: Workspace) -> Tensor {
        if let fused { return fused }
        let f = model.fuse((0..<model.componentCount).map { featureMap(component: $0, workspace: workspace) })
        fused = f
        return f
    }

    /// The generator's input: the fused map, then (version 2) the sketch block — for a `projected_sketch`
    /// model from the cached neighbours and weights (no second search) at the current sliders.
    public func generatorInput(workspace: Workspace) -> Tensor {
        let fused = fusedFeatures(workspace: workspace)
        guard model.manifest.readsProjectedSketch else { return model.generatorInput(fused: fused, sketch: small) }
        for i in projections.indices {
            projections[i].neighbours = neighbours(component: i, workspace: workspace)
            projections[i].weights = weights(component: i, workspace: workspace)
            projections[i].slider = sliders[i]
        }
        return model.generatorInput(fused: fused, sketch: small, projections: projections)
    }

    /// The synthesized face for the current canvas, sliders and appearance (cached until something changes).
    public func face(workspace: Workspace) -> RGBImage {
        if let image { return image }
        let input = generatorInput(workspace: workspace)
        let img = model.generate(input, appearance: appearance, workspace: workspace)
        counters.generations += 1
        image = img
        return img
    }
}
