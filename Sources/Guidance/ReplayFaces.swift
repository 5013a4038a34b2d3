import Dispatch
import Foundation
import Sessions

/// Faces of a session's past states for the replay view (`GET /replay-face/<id>?seq=N`): the sketch, sliders
/// and appearance as of one operation, synthesised once and cached.
///
/// Work runs one face at a time on a background queue, so the replay never competes with live guidance for more
/// than one core, and the HTTP event loop never waits on inference. A past state never changes (the log only
/// grows), so a cached face stays right for as long as its session exists.
public final class ReplayFaces: @unchecked Sendable {
    private let engine: FaceEngine
    private let queue = DispatchQueue(label: "replay-faces", qos: .utility)
    private let lock = NSLock()
    private var cache: [String: [UInt8]] = [:]
    private var order: [String] = []
    private let capacity: Int

    /// Faces from `engine`, the newest `capacity` kept.
    public init(engine: FaceEngine, capacity: Int = 64) {
        self.engine = engine
        self.capacity = capacity
    }

    /// What a face is made from: the session's raster at a seq, its sliders and appearance then.
    public typealias PastState = (canvas: CanvasSnapshot, sliders: SliderValues, appearance: Int?)

    /// Why `state` gave nothing (the session is gone).
    public struct StateUnavailable: Error {}

    /// The face (RGB PNG) for `canvas` (the session at `canvas.seq`) under `sliders` and `appearance`; `done` runs
    /// on the background queue, or at once when the face is cached under `key`.
    public func face(key: String, canvas: CanvasSnapshot, sliders: SliderValues, appearance: Int?,
                     done: @escaping @Sendable (Result<[UInt8], Error>) -> Void) {
        face(key: key, state: { (canvas, sliders, appearance) }, done: done)
    }

    /// The same, the state rebuilt by `state` (replaying a session's log) on the background queue, and only when
    /// the face is not cached: neither the rebuild nor the inference runs on the caller's thread (the event loop).
    public func face(key: String, state: @escaping () -> PastState?,
                     done: @escaping @Sendable (Result<[UInt8], Error>) -> Void) {
        if let cached = lock.withLock({ cache[key] }) { return done(.success(cached)) }
        queue.async { [self] in
            if let cached = lock.withLock({ cache[key] }) { return done(.success(cached)) }
            guard let (canvas, sliders, appearance) = state() else { return done(.failure(StateUnavailable())) }
            done(Result { try synthesize(canvas: canvas, sliders: sliders, appearance: appearance) }.map { png in
                lock.withLock {
                    cache[key] = png
                    order.append(key)
                    if order.count > capacity { cache[order.removeFirst()] = nil }
                }
                return png
            })
        }
    }

    /// What live guidance would show for this canvas: every component encoded, the sliders' weights (the empty
    /// canvas gets the default face, every component fully projected).
    private func synthesize(canvas: CanvasSnapshot, sliders: SliderValues, appearance: Int?) throws -> [UInt8] {
        let layout = engine.layout
        let latents = try (0..<layout.count).map { try engine.encode(component: $0, canvas: canvas) }
        let weights = canvas.isBlank ? SliderValues.fullyProjected(for: layout) : sliders.weights(for: layout)
        return try engine.synthesizePNG(latents: latents, weights: weights, sketch: canvas, appearance: appearance)
    }
}
