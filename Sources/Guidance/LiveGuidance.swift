import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import Sessions

/// Where guidance messages go: every participant of a session. Sessions implements it.
public protocol GuidanceAudience: AnyObject, Sendable {
    /// Sends `message` to every participant of `session`. Must not block; may be called from any thread, but
    /// never concurrently and always in the order guidance produced the messages.
    func broadcast(_ message: WireMessage, session: String)
    /// Sends `message` to one participant only (an answer to its own request), under the same rules.
    func send(_ message: WireMessage, to participant: ParticipantRef)
}

/// Live guidance for all sessions of a server: the thin, threaded shell around ``GuidanceScheduler``.
///
/// Session events (canvas changes, sliders, mode, convert, joins) come in from the event loop and return at
/// once; a small pool of worker threads runs encode and synthesis jobs off the loop; results go out through the
/// ``GuidanceAudience`` in production order. Without an engine (no model), every call is accepted and ignored,
/// and joining participants are told guidance is off and why: sketching works regardless.
public final class LiveGuidance: @unchecked Sendable {
    /// Tunables (the `guidance` section of the config).
    public struct Settings: Sendable {
        /// Worker threads. With two or more, one is kept for shadow work so shadows never queue behind faces.
        public var workers: Int
        /// Minimum seconds between shadow updates of one session while a stroke is being drawn.
        public var throttle: Double
        /// Mode of a session opened without one.
        public var defaultMode: GuidanceMode
        /// Most sessions whose guidance state is held (canvases, latents, shadows, last face); the least
        /// recently active idle one is forgotten beyond that and rebuilt from its canvas when used again; with
        /// none idle, a newly active session waits for a place (no final face is ever dropped).
        public var maxSessions: Int
        /// Scheduling niceness added to the worker threads (Linux, 0…19): inference yields the CPU to the event
        /// loops, so an overloaded server skips faces rather than delaying strokes.
        public var niceness: Int

        public init(workers: Int = 2, throttle: Double = 0.1, defaultMode: GuidanceMode = .live, maxSessions: Int = 64,
                    niceness: Int = 5) {
            self.workers = max(1, workers)
            self.throttle = max(0, throttle)
            self.defaultMode = defaultMode
            self.maxSessions = max(1, maxSessions)
            self.niceness = min(19, max(0, niceness))
        }
    }

    /// Counters since start, for tests, logs and the benchmark.
    public struct Counters: Sendable, Equatable {
        /// Encode jobs finished.
        public var encodeJobs = 0
        /// Components encoded by them (one shadow each).
        public var componentEncodes = 0
        /// Faces synthesised.
        public var syntheses = 0
        /// Candidates requests answered (each with up to four faces).
        public var candidateJobs = 0
        /// Jobs the engine failed.
        public var failures = 0
    }

    /// The engine, or `nil` when no model is available.
    public let engine: FaceEngine?
    /// Why guidance is off (shown to clients) when `engine` is `nil`.
    public let unavailableReason: String
    /// Tunables it was started with.
    public let settings: Settings

    private let audience: GuidanceAudience
    private let clock: @Sendable () -> Double
    private let logger: Logger
    private let condition = NSCondition()
    private var scheduler: GuidanceScheduler?
    private var outbox: [GuidanceScheduler.Delivery] = []
    private var delivering = false
    private var running = true
    private var tally = Counters()
    private var threads: [Thread] = []
    private var liveWorkers = 0

    /// Starts the worker threads (none without an engine).
    public init(
        engine: FaceEngine?, unavailableReason: String = "no face model loaded", settings: Settings = Settings(),
        audience: GuidanceAudience, logger: Logger = Logger(label: "sketchface.guidance"),
        clock: @escaping @Sendable () -> Double = LiveGuidance.monotonicSeconds
    ) {
        self.engine = engine
        self.unavailableReason = unavailableReason
        self.settings = settings
        self.audience = audience
        self.clock = clock
        self.logger = logger
        guard let engine else { return }
        scheduler = GuidanceScheduler(layout: engine.layout, palette: engine.palette, throttle: settings.throttle, capacity: settings.maxSessions)
        for index in 0..<settings.workers {
            let lane: GuidanceScheduler.Lane = settings.workers == 1 ? .any : (index == 0 ? .encode : .synthesisFirst)
            let niceness = settings.niceness
            let thread = Thread {
                LiveGuidance.lowerPriority(by: niceness)
                self.work(lane: lane, engine: engine)
            }
            thread.name = "guidance-\(index)"
            thread.stackSize = 4 << 20
            threads.append(thread)
        }
        liveWorkers = threads.count
        threads.forEach { $0.start() }
    }

    /// Whether a model is loaded and guidance runs.
    public var isEnabled: Bool { engine != nil }

    /// Seconds on a monotonic clock.
    public static let monotonicSeconds: @Sendable () -> Double = {
        Double(DispatchTime.now().uptimeNanoseconds) / 1e9
    }

    // MARK: session events (called from the event loop; never block on inference)

    /// A session became active (created, restored or first joined): encode its canvas, make its first face.
    /// Does nothing for a session already open.
    public func open(session: String, canvas: CanvasSnapshot, sliders: SliderValues = SliderValues(), mode: GuidanceMode? = nil,
                     appearance: Int? = nil) {
        let mode = mode ?? settings.defaultMode
        mutate { $0.open(session: session, canvas: canvas, sliders: sliders, mode: mode, appearance: appearance, now: $1) }
    }

    /// The session ended (expired, deleted or left by everyone): forget its guidance state.
    public func close(session: String) {
        mutate { scheduler, _ in scheduler.close(session: session) }
    }

    /// The canvas changed; see ``GuidanceScheduler/canvasChanged(session:canvas:dirty:strokeInProgress:now:)``.
    public func canvasChanged(session: String, canvas: CanvasSnapshot, dirty: PixelRect?, strokeInProgress: Bool) {
        mutate {
            $0.canvasChanged(session: session, canvas: canvas, dirty: dirty, strokeInProgress: strokeInProgress, now: $1)
        }
    }

    /// The session's slider values changed (by operation `seq`): re-synthesise from cached latents.
    public func slidersChanged(session: String, sliders: SliderValues, seq: UInt64 = 0) {
        mutate { scheduler, _ in scheduler.slidersChanged(session: session, sliders: sliders, seq: seq) }
    }

    /// The session's appearance changed (by operation `seq`): re-synthesise from cached latents.
    public func appearanceChanged(session: String, appearance: Int?, seq: UInt64 = 0) {
        mutate { scheduler, _ in scheduler.appearanceChanged(session: session, appearance: appearance, seq: seq) }
    }

    /// Switch the session between live and on-demand synthesis.
    public func modeChanged(session: String, mode: GuidanceMode) {
        mutate { scheduler, _ in scheduler.modeChanged(session: session, mode: mode) }
    }

    /// "Convert" was pressed: synthesise now.
    public func convert(session: String) {
        mutate { scheduler, _ in scheduler.convert(session: session) }
    }

    /// `participant` asks for candidate faces (palette `indices`, nil for the default choice), answered to it
    /// alone; see ``GuidanceScheduler/requestCandidates(session:by:indices:ref:)``. Throws the refusal to send it,
    /// also when no model is loaded.
    public func requestCandidates(session: String, by participant: ParticipantRef, indices: [Int]?, ref: Int?) throws {
        guard engine != nil else { throw ProtocolError.candidatesUnavailable(unavailableReason) }
        try mutate { scheduler, _ in try scheduler.requestCandidates(session: session, by: participant, indices: indices, ref: ref) }
    }

    /// The messages a participant joining `session` gets before live updates: guidance status, current shadows,
    /// last face, busy flag. Without an engine: one status message saying guidance is off and why.
    public func joinMessages(session: String) -> [WireMessage] {
        condition.lock()
        defer { condition.unlock() }
        guard let scheduler else {
            return [GuidanceMessage.status(enabled: false, reason: unavailableReason, mode: settings.defaultMode, layout: nil).wire]
        }
        return scheduler.joinMessages(session: session).map(\.wire)
    }

    /// The session's current mode (the default for a session guidance has not seen).
    public func mode(of session: String) -> GuidanceMode {
        condition.lock()
        defer { condition.unlock() }
        return scheduler?.mode(of: session) ?? settings.defaultMode
    }

    /// Counters since start.
    public var counters: Counters {
        condition.lock()
        defer { condition.unlock() }
        return tally
    }

    /// Stops the workers after their current job; later events are ignored. Workers hold the instance until
    /// they stop, so call this when the server stops.
    public func shutdown() {
        condition.lock()
        running = false
        condition.broadcast()
        condition.unlock()
    }

    // MARK: internals

    /// Raises the calling thread's nice value (on Linux `setpriority(PRIO_PROCESS, 0, …)` applies to the calling
    /// thread only). Raising it needs no privilege; failure leaves the priority as it was.
    private static func lowerPriority(by niceness: Int) {
        #if os(Linux)
        guard niceness > 0 else { return }
        let which = __priority_which_t(PRIO_PROCESS.rawValue)
        _ = setpriority(which, 0, getpriority(which, 0) + Int32(niceness))
        #endif
    }

    private func mutate(_ change: (inout GuidanceScheduler, Double) throws -> [GuidanceScheduler.Delivery]) rethrows {
        condition.lock()
        guard running, scheduler != nil else {
            condition.unlock()
            return
        }
        do {
            outbox += try change(&scheduler!, clock())
        } catch {
            condition.unlock()
            throw error
        }
        condition.broadcast()
        condition.unlock()
        flush()
    }

    /// Sends queued deliveries in order, outside the lock (the audience may call back into guidance). One thread
    /// drains at a time; others leave their messages to it.
    private func flush() {
        condition.lock()
        if delivering || outbox.isEmpty {
            condition.unlock()
            return
        }
        delivering = true
        while !outbox.isEmpty {
            let batch = outbox
            outbox.removeAll(keepingCapacity: true)
            condition.unlock()
            for delivery in batch {
                if let participant = delivery.recipient {
                    audience.send(delivery.message.wire, to: participant)
                } else {
                    audience.broadcast(delivery.message.wire, session: delivery.session)
                }
            }
            condition.lock()
        }
        delivering = false
        condition.unlock()
    }

    private func work(lane: GuidanceScheduler.Lane, engine: FaceEngine) {
        condition.lock()
        while running {
            let now = clock()
            guard let job = scheduler!.nextJob(lane: lane, now: now) else {
                if let wake = scheduler!.nextWake {
                    _ = condition.wait(until: Date(timeIntervalSinceNow: max(0.001, wake - now)))
                } else {
                    condition.wait()
                }
                continue
            }
            condition.unlock()
            let deliveries = run(job, engine: engine)
            condition.lock()
            outbox += deliveries(&scheduler!, clock())
            condition.broadcast()
            condition.unlock()
            flush()
            condition.lock()
        }
        liveWorkers -= 1
        condition.unlock()
    }

    /// Runs a job outside the lock; returns how to apply its result under the lock.
    private func run(
        _ job: GuidanceJob, engine: FaceEngine
    ) -> (inout GuidanceScheduler, Double) -> [GuidanceScheduler.Delivery] {
        switch job {
        case .encode(let encode):
            do {
                // Each shadow goes out as soon as it is drawn: a stroke crossing an eye and the remainder shows
                // the eye's shadow without waiting for the remainder's (costlier) encoder.
                let result = try encode.run(engine: engine) { update in
                    condition.lock()
                    if let delivery = scheduler!.earlyShadow(update, of: encode) { outbox.append(delivery) }
                    condition.unlock()
                    flush()
                }
                return { [self] scheduler, now in
                    tally.encodeJobs += 1
                    tally.componentEncodes += result.updates.count
                    return scheduler.finishEncode(result, now: now, shadowsSent: true)
                }
            } catch {
                logger.warning("guidance: encode failed", metadata: ["session": "\(SessionID(encode.session)?.logName ?? "?")", "error": "\(error)"])
                return { [self] scheduler, now in
                    tally.failures += 1
                    return scheduler.failEncode(encode, now: now)
                }
            }
        case .synthesize(let synthesis):
            do {
                let frame = try synthesis.run(engine: engine)
                return { [self] scheduler, _ in
                    tally.syntheses += 1
                    return scheduler.finishSynthesis(synthesis, frame: frame)
                }
            } catch {
                logger.warning("guidance: synthesis failed", metadata: ["session": "\(SessionID(synthesis.session)?.logName ?? "?")", "error": "\(error)"])
                return { [self] scheduler, _ in
                    tally.failures += 1
                    return scheduler.finishSynthesis(synthesis, frame: nil)
                }
            }
        case .candidates(let candidates):
            do {
                let faces = try candidates.run(engine: engine)
                return { [self] scheduler, _ in
                    tally.candidateJobs += 1
                    return scheduler.finishCandidates(candidates, faces: faces)
                }
            } catch {
                logger.warning("guidance: candidates failed", metadata: ["session": "\(SessionID(candidates.session)?.logName ?? "?")", "error": "\(error)"])
                return { [self] scheduler, _ in
                    tally.failures += 1
                    return scheduler.finishCandidates(candidates, faces: nil)
                }
            }
        }
    }
}
