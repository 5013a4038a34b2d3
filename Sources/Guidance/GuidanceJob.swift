import Sessions

/// Work for a guidance worker, built by ``GuidanceScheduler`` and run off the event loop.
public enum GuidanceJob: Sendable {
    /// Re-encode the components an edit touched and draw their shadows.
    case encode(EncodeJob)
    /// Synthesise a face from cached latents.
    case synthesize(SynthesisJob)
    /// Synthesise candidate faces, one per palette code, from cached latents, for one participant.
    case candidates(CandidatesJob)

    /// The session the job belongs to.
    public var session: String {
        switch self {
        case .encode(let job): return job.session
        case .synthesize(let job): return job.session
        case .candidates(let job): return job.session
        }
    }
}

/// Encode work: compare `canvas` with the last encoded `baseline`, encode what changed, draw its shadows.
public struct EncodeJob: Sendable {
    /// The session the job belongs to.
    public var session: String
    /// Incarnation of the session the job was made for; results for an older one are dropped.
    public var generation: UInt64
    /// The canvas the cached latents were computed from, `nil` before the first encode (everything changed).
    public var baseline: CanvasSnapshot?
    /// The newest canvas.
    public var canvas: CanvasSnapshot
    /// An area holding every change since `baseline`, `nil` when unknown.
    public var dirty: PixelRect?
    /// How many completed operations (stroke ends, undo, …) of the session `canvas` includes.
    public var completedEdits: Int

    /// Runs the job: change detection, then one encode and one shadow per changed component (parts first, the
    /// costly remainder last). `each` sees every update as soon as it is computed, so its shadow can go out
    /// before the rest of the job is done.
    public func run(engine: FaceEngine, each: (ComponentUpdate) -> Void = { _ in }) throws -> EncodeResult {
        let layout = engine.layout
        var changed: [Int]
        if let baseline {
            changed = ChangeDetection.changedComponents(layout: layout, before: baseline, after: canvas, dirty: dirty)
        } else {
            changed = Array(layout.components.indices)
        }
        let parts = changed.filter { !layout.isRemainder($0) }
        changed = parts + changed.filter { layout.isRemainder($0) }
        var updates = [ComponentUpdate]()
        updates.reserveCapacity(changed.count)
        for component in changed {
            let latent = try engine.encode(component: component, canvas: canvas)
            let png = try engine.shadowPNG(component: component, latent: latent)
            let update = ComponentUpdate(component: component, latent: latent, shadowPNG: png)
            each(update)
            updates.append(update)
        }
        return EncodeResult(job: self, updates: updates, isBlank: canvas.isBlank)
    }
}

/// A component re-encoded by an ``EncodeJob``.
public struct ComponentUpdate: Sendable {
    /// Component index (layout order).
    public var component: Int
    /// Its new latent.
    public var latent: Latent
    /// Its new shadow (grey+alpha PNG).
    public var shadowPNG: [UInt8]
}

/// What an ``EncodeJob`` produced.
public struct EncodeResult: Sendable {
    /// The job that ran.
    public var job: EncodeJob
    /// Re-encoded components, ascending; empty when the edit changed nothing the model reads.
    public var updates: [ComponentUpdate]
    /// Whether the encoded canvas is empty.
    public var isBlank: Bool
}

/// Synthesis work: one face from a snapshot of the session's latents and slider weights.
public struct SynthesisJob: Sendable {
    /// The session the job belongs to.
    public var session: String
    /// Incarnation of the session the job was made for; results for an older one are dropped.
    public var generation: UInt64
    /// One latent per component, layout order.
    public var latents: [Latent]
    /// Effective slider weight per component, layout order.
    public var weights: [Double]
    /// The newest operation up to which the face reflects every operation (``SessionState/reflectedSeq``).
    public var seq: UInt64
    /// Frame number this synthesis will carry.
    public var number: UInt32
    /// The canvas was empty: this is the default face.
    public var isDefault: Bool
    /// The canvas the latents were encoded from (the generator's sketch input).
    public var sketch: CanvasSnapshot
    /// The session's appearance palette index; nil for the model's default.
    public var appearance: Int?

    /// Runs the job: one synthesis, PNG included.
    public func run(engine: FaceEngine) throws -> FaceFrame {
        let png = try engine.synthesizePNG(latents: latents, weights: weights, sketch: sketch, appearance: appearance)
        return FaceFrame(seq: seq, number: number, isDefault: isDefault, png: png)
    }
}

/// Candidates work: the session's face under several appearance codes, from one snapshot of its latents and
/// slider weights (mapped and fused once; only the generator runs per code), for the participant who asked.
public struct CandidatesJob: Sendable {
    /// The session the job belongs to.
    public var session: String
    /// Incarnation of the session the job was made for; results for an older one are dropped.
    public var generation: UInt64
    /// Who asked; the faces go to this participant only.
    public var participant: ParticipantRef
    /// The request's `ref` (0 when it had none).
    public var ref: Int
    /// Palette indices, in the order asked (checked against the palette).
    public var indices: [Int]
    /// One latent per component, layout order.
    public var latents: [Latent]
    /// Effective slider weight per component, layout order.
    public var weights: [Double]
    /// The newest operation up to which the faces reflect every operation (as a face frame's).
    public var seq: UInt64
    /// The canvas was empty: these are default faces.
    public var isDefault: Bool
    /// The canvas the latents were encoded from (the generator's sketch input).
    public var sketch: CanvasSnapshot

    /// Runs the job: one generator run and PNG per index.
    public func run(engine: FaceEngine) throws -> [CandidateFace] {
        let pngs = try engine.candidatePNGs(latents: latents, weights: weights, sketch: sketch, appearances: indices)
        return zip(indices, pngs).map { index, png in
            CandidateFace(appearance: index, count: indices.count, ref: ref, seq: seq, isDefault: isDefault, png: png)
        }
    }
}
