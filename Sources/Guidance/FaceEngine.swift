/// A component latent: what an encoder made of one component crop (512 floats for the shipped model).
public typealias Latent = [Float]

/// The face model as guidance uses it: encode a component, draw its shadow, synthesise a face.
///
/// Guidance keeps the per-session cache (one latent per component) itself, so the engine is stateless and
/// every call is a pure function of its arguments. That is what lets one session's shadow work run while its
/// previous synthesis is still in flight, and what lets tests count encodes with a fake. Implementations must
/// be safe to call from several worker threads at once (different sessions in parallel).
public protocol FaceEngine: AnyObject, Sendable {
    /// Component geometry of the loaded model.
    var layout: ComponentLayout { get }

    /// The model's appearance palette; nil when the model has none (version 1).
    var palette: AppearancePalette? { get }

    /// Crops component `component` out of `canvas` as the model reads it and encodes it.
    func encode(component: Int, canvas: CanvasSnapshot) throws -> Latent

    /// The shadow of `component` for `latent`: the blend of its nearest database sketches, as a grey+alpha
    /// PNG of the component's crop size (the client scales it onto the box); a part's edges are feathered
    /// (``ShadowFeather``) so the shadows blend without tiles.
    func shadowPNG(component: Int, latent: Latent) throws -> [UInt8]

    /// Projects each latent with its weight (`weights[i]` for component `i`), maps, fuses and runs the
    /// generator on the fused map and `sketch` (the canvas the latents were encoded from; a version 2 model
    /// reads it whole), conditioned on the palette code `appearance` (nil or out of range: the palette default;
    /// ignored without a palette); returns the face as an RGB PNG at the model resolution.
    func synthesizePNG(latents: [Latent], weights: [Double], sketch: CanvasSnapshot, appearance: Int?) throws -> [UInt8]

    /// The faces ``synthesizePNG(latents:weights:sketch:appearance:)`` makes for each of `appearances` (palette
    /// indices), in that order; an engine maps and fuses once and runs only the generator per code.
    func candidatePNGs(latents: [Latent], weights: [Double], sketch: CanvasSnapshot, appearances: [Int]) throws -> [[UInt8]]
}

extension FaceEngine {
    /// Engines of models without appearance codes need not say so.
    public var palette: AppearancePalette? { nil }

    /// One whole synthesis per code: right, not fast (engines override it).
    public func candidatePNGs(latents: [Latent], weights: [Double], sketch: CanvasSnapshot, appearances: [Int]) throws -> [[UInt8]] {
        try appearances.map { try synthesizePNG(latents: latents, weights: weights, sketch: sketch, appearance: $0) }
    }
}
