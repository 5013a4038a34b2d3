import FaceModel
import Foundation

/// ``FaceEngine`` on the Swift runtime (`FaceModel`): the stage functions of docs/MODEL_FORMAT.md, called
/// statelessly so sessions can run in parallel on the worker threads.
///
/// The loaded `FaceModel` is immutable and shared; each call borrows a `Workspace` (scratch memory, not
/// thread-safe) from a small pool, so buffers are allocated once per worker and then reused.
public final class FaceModelEngine: FaceEngine, @unchecked Sendable {
    /// The loaded model.
    public let model: FaceModel
    /// Component geometry from the manifest.
    public let layout: ComponentLayout
    /// Appearance codes from the manifest (version 2).
    public let palette: AppearancePalette?
    private let lock = NSLock()
    private var idle: [Workspace] = []
    private let maps: FeatureMapCache

    /// - Parameter featureMapBudget: bytes of recent feature maps kept to skip re-mapping unchanged components
    ///   (0 turns the cache off).
    public init(model: FaceModel, featureMapBudget: Int = 96 << 20) {
        self.model = model
        maps = FeatureMapCache(budgetBytes: featureMapBudget)
        let manifest = model.manifest
        layout = ComponentLayout(
            canvas: manifest.canvas, resolution: manifest.resolution,
            components: manifest.components.map { ComponentBox(name: $0.name, x: $0.x, y: $0.y, side: $0.side) })
        palette = AppearancePalette(manifest.appearance)
    }

    /// Loads the model folder at `directory` (manifest, weights, database); throws the runtime's error naming
    /// the file and tensor when something is missing or corrupt.
    public convenience init(directory: String, featureMapBudget: Int = 96 << 20) throws {
        self.init(model: try FaceModel(directory: directory), featureMapBudget: featureMapBudget)
    }

    /// Feature-map cache (hits, misses) so far.
    public var featureMapCounts: (hits: Int, misses: Int) { maps.counts }

    public func encode(component: Int, canvas: CanvasSnapshot) throws -> Latent {
        let manifest = model.manifest
        let small = Canvas(pixels: canvas.pixels).downsampled(factor: manifest.factor)
        let crop = manifest.crop(small, component: component)
        return withWorkspace { model.encode(crop, component: component, workspace: $0) }
    }

    public func shadowPNG(component: Int, latent: Latent) throws -> [UInt8] {
        let neighbours = model.nearest([latent], component: component, k: model.manifest.kShadow)[0]
        let shadow = model.shadow(neighbours: neighbours, component: component)
        return try PNG.encode(layout.isRemainder(component) ? shadow : ShadowFeather.apply(to: shadow))
    }

    public func synthesizePNG(latents: [Latent], weights: [Double], sketch: CanvasSnapshot, appearance: Int?) throws -> [UInt8] {
        let image: RGBImage = withWorkspace { workspace in
            model.generate(generatorInput(latents: latents, weights: weights, sketch: sketch, workspace: workspace),
                           appearance: code(appearance), workspace: workspace)
        }
        return try PNG.encode(image)
    }

    public func candidatePNGs(latents: [Latent], weights: [Double], sketch: CanvasSnapshot, appearances: [Int]) throws -> [[UInt8]] {
        let images: [RGBImage] = withWorkspace { workspace in
            let input = generatorInput(latents: latents, weights: weights, sketch: sketch, workspace: workspace)
            return appearances.map { model.generate(input, appearance: code($0), workspace: workspace) }
        }
        return try images.map { try PNG.encode($0) }
    }

    /// The palette code a setting means (none without a palette).
    private func code(_ appearance: Int?) -> [Float] {
        palette.map { $0.codes[$0.index(for: appearance)] } ?? []
    }

    /// Projection of every latent with its weight, feature maps (unchanged ones from the cache), fusion, and the
    /// sketch block (a `projected_sketch` one from the same cached projections): everything before the generator.
    private func generatorInput(latents: [Latent], weights: [Double], sketch: CanvasSnapshot, workspace: Workspace) -> Tensor {
        let mapped = latents.indices.map { component -> FeatureMapCache.Value in
            let latent = latents[component]
            let key = FeatureMapCache.Key(component: component, weight: weights[component], latent: latent)
            return maps.value(for: key) {
                let slider = Float(weights[component])
                let neighbours = model.nearest([latent], component: component, k: model.manifest.kProject)[0]
                let lle = model.weights(latent, neighbours: neighbours, component: component)
                let projected = model.project(latent, neighbours: neighbours, weights: lle, component: component, slider: slider)
                return FeatureMapCache.Value(map: model.featureMap(projected, component: component, workspace: workspace),
                                             projection: SketchProjection(neighbours: neighbours, weights: lle, slider: slider))
            }
        }
        let small = model.downsample(Canvas(pixels: sketch.pixels))
        return model.generatorInput(fused: model.fuse(mapped.map(\.map)), sketch: small, projections: mapped.map(\.projection))
    }

    private func withWorkspace<T>(_ body: (Workspace) -> T) -> T {
        let workspace = lock.withLock { idle.popLast() } ?? Workspace()
        defer { lock.withLock { idle.append(workspace) } }
        return body(workspace)
    }
}
