import Sessions

/// The pure heart of live guidance: per-session state and which job runs next. No threads, no clock of its own.
///
/// Rules it enforces:
/// - **Encode work** (shadows) runs after every stroke end and at most every ``throttle`` seconds while a stroke
///   is being drawn; at most one encode job per session at a time, built at dequeue time from the newest canvas
///   (so a burst of edits collapses into one job — latest wins, no backlog).
/// - **Synthesis**: at most one in flight per session; it waits for pending encode work so it always sees the
///   newest latents; a request that would reproduce the last frame (same latents, same weights) is dropped.
///   While one runs, any number of newer requests collapse into one follow-up run.
/// - **Fairness**: sessions with ready work wait in FIFO queues (one for encode, one for synthesis); a session
///   appears at most once in each and goes to the back after being served, so sessions take turns.
/// - **Bounded memory**: per session a fixed amount of state (newest canvas, baseline canvas, one latent and one
///   shadow per component, the last frame); queues hold at most one entry per session; at most ``capacity``
///   sessions are *admitted* (hold encoded state and get jobs): opening one more forgets the least recently
///   active **idle** one (no job running, nothing pending: its participants have its current face; it is
///   re-encoded from its canvas if it becomes active again). A session with work pending is never forgotten, so
///   no final face is lost: when none is idle the new session **waits** (FIFO, holding only its newest canvas and
///   settings, later edits coalescing into them) and is admitted as soon as an admitted session falls idle.
///
/// - **Candidates** (a participant's request for its face under several appearance codes): each connection has at
///   most one request waiting or running; requests are generator work of their session, so they wait in the
///   synthesis queue like faces and a session runs one face or one candidates job at a time (when both are due they
///   alternate): asking for candidates gets a session no more of the workers than drawing does.
///
/// Methods return the messages to broadcast to a session's participants as ``Delivery`` values.
public struct GuidanceScheduler {
    /// A message for every participant of `session`, or for one of them.
    public struct Delivery: Sendable, Equatable {
        /// Whose participants get it.
        public var session: String
        /// What they get.
        public var message: GuidanceMessage
        /// The one participant who gets it (an answer to its own request); nil for all of them.
        public var recipient: ParticipantRef? = nil
    }

    /// Which jobs a worker takes, and in which order of preference.
    public enum Lane: Sendable {
        /// Encode (shadow) work only. A pool of two or more keeps one worker here so shadows never wait behind
        /// a synthesis.
        case encode
        /// Synthesis first, encode work when no synthesis is ready: the other workers of a pool.
        case synthesisFirst
        /// Both kinds, alternating preference so neither starves: a pool of one.
        case any
    }

    /// Minimum seconds between two encode jobs of one session while a stroke is in progress.
    public var throttle: Double
    /// Component geometry of the model.
    public let layout: ComponentLayout
    /// The model's appearance codes (announced in the status message); nil without.
    public let palette: AppearancePalette?
    /// Most sessions held at once (at least 1).
    public let capacity: Int

    private var sessions: [String: SessionState] = [:]
    /// Sessions opened beyond ``capacity`` while no admitted one was idle, in the order they came.
    private var admissions = FairQueue()
    private var admittedCount = 0
    private var encodeQueue = FairQueue()
    private var synthesisQueue = FairQueue()
    private var deferred: Set<String> = []
    private var generations: UInt64 = 0
    private var preferSynthesis = false
    /// Frame numbers come from one counter so they keep increasing for a session that was forgotten and reopened.
    private var frameNumbers: UInt32 = 0
    /// Logical clock for "least recently active".
    private var ticks: UInt64 = 0

    public init(layout: ComponentLayout, palette: AppearancePalette? = nil, throttle: Double = 0.1, capacity: Int = 64) {
        self.layout = layout
        self.palette = palette
        self.throttle = throttle
        self.capacity = max(1, capacity)
    }

    /// Number of sessions admitted (holding encoded state; at most ``capacity``).
    public var sessionCount: Int { admittedCount }

    /// Number of sessions waiting for admission.
    public var waitingCount: Int { sessions.count - admittedCount }

    // MARK: session events

    /// Starts guidance for a session: its current canvas gets encoded and a first face (the default face for an
    /// empty canvas) synthesised, in either mode. At capacity with no idle session to forget, the session waits
    /// for admission (events for it still update its newest canvas and settings).
    public mutating func open(
        session: String, canvas: CanvasSnapshot, sliders: SliderValues, mode: GuidanceMode, appearance: Int? = nil, now: Double
    ) -> [Delivery] {
        if sessions[session] != nil { return [] }
        let admitted = admittedCount < capacity || evictLeastRecentlyActive()
        generations += 1
        var state = SessionState(generation: generations, components: layout.count)
        touch(&state)
        state.mode = mode
        state.sliders = sliders
        state.appearance = appearance
        state.pendingCanvas = canvas
        state.dirtyUnknown = true
        state.synthesisWanted = true
        state.admitted = admitted
        sessions[session] = state
        guard admitted else {
            admissions.append(session)
            return refreshSynthesis(session)
        }
        admittedCount += 1
        scheduleEncode(session, immediate: true, now: now)
        return refreshSynthesis(session)
    }

    /// Forgets a session; jobs in flight for it finish but their results are dropped. Its place goes to the
    /// session waiting longest, whose first deliveries are returned.
    @discardableResult
    public mutating func close(session: String) -> [Delivery] {
        forget(session)
        return admitWaiting()
    }

    private mutating func forget(_ session: String) {
        guard let state = sessions.removeValue(forKey: session) else { return }
        if state.admitted { admittedCount -= 1 }
        admissions.remove(session)
        deferred.remove(session)
        encodeQueue.remove(session)
        synthesisQueue.remove(session)
    }

    /// Whether guidance runs for `session`.
    public func isOpen(_ session: String) -> Bool { sessions[session] != nil }

    /// The canvas changed. `strokeInProgress` is true for point batches of a stroke still being drawn (throttled
    /// shadows, no synthesis); false for a stroke end or any other completed operation (undo, clear, …), which
    /// encodes right away and, in live mode, asks for a new face.
    public mutating func canvasChanged(
        session: String, canvas: CanvasSnapshot, dirty: PixelRect?, strokeInProgress: Bool, now: Double
    ) -> [Delivery] {
        guard var state = sessions[session] else { return [] }
        touch(&state)
        if let pending = state.pendingCanvas, pending.seq > canvas.seq { return [] } // out of order: keep newest
        state.pendingCanvas = canvas
        if let dirty { state.dirty = state.dirty.union(dirty) } else { state.dirtyUnknown = true }
        if !strokeInProgress {
            state.completedEdits += 1
            if state.mode == .live { state.synthesisWanted = true }
        }
        sessions[session] = state
        scheduleEncode(session, immediate: !strokeInProgress, now: now)
        return refreshSynthesis(session)
    }

    /// New slider values, set by operation `seq`: re-synthesise from cached latents (no encode), in either mode.
    /// The next frame carries `seq` (a frame's seq is the newest operation it reflects).
    public mutating func slidersChanged(session: String, sliders: SliderValues, seq: UInt64 = 0) -> [Delivery] {
        settingChanged(session, seq: seq) { state in
            guard state.sliders != sliders else { return false }
            state.sliders = sliders
            return true
        }
    }

    /// The session's appearance (palette index; nil for the default) was set by operation `seq`: re-synthesise
    /// from cached latents (no encode, no re-mapping), in either mode; the next frame carries `seq`.
    public mutating func appearanceChanged(session: String, appearance: Int?, seq: UInt64 = 0) -> [Delivery] {
        settingChanged(session, seq: seq) { state in
            guard state.appearance != appearance else { return false }
            state.appearance = appearance
            return true
        }
    }

    /// A session setting (sliders, appearance) set by operation `seq`; `apply` changes it and says whether it
    /// differs, in which case a face is wanted from the cached latents.
    private mutating func settingChanged(_ session: String, seq: UInt64, _ apply: (inout SessionState) -> Bool) -> [Delivery] {
        guard var state = sessions[session] else { return [] }
        touch(&state)
        state.sliderSeq = max(state.sliderSeq, seq)
        guard apply(&state) else { return [] }
        state.synthesisWanted = true
        sessions[session] = state
        return refreshSynthesis(session)
    }

    /// Switches between live and on-demand synthesis; tells participants.
    public mutating func modeChanged(session: String, mode: GuidanceMode) -> [Delivery] {
        guard var state = sessions[session], state.mode != mode else { return [] }
        touch(&state)
        state.mode = mode
        // Entering live mode catches the face up with the sketch.
        if mode == .live { state.synthesisWanted = true }
        sessions[session] = state
        return [Delivery(session: session, message: status(of: state))] + refreshSynthesis(session) + admitWaiting()
    }

    /// "Convert": synthesise the current sketch now (the way faces are made in on-demand mode).
    public mutating func convert(session: String) -> [Delivery] {
        guard var state = sessions[session] else { return [] }
        touch(&state)
        state.synthesisWanted = true
        sessions[session] = state
        return refreshSynthesis(session)
    }

    /// `participant` asks for candidate faces: `indices` of the palette (nil: the first
    /// ``ClientMessage/maxCandidates`` codes), from the cached latents, answered to it alone. Throws the refusal it
    /// is told: no palette, bad indices (``ClientMessage/candidateIndices(_:paletteSize:)``), its previous request
    /// still waiting or running, or a session guidance does not hold.
    public mutating func requestCandidates(session: String, by participant: ParticipantRef, indices: [Int]?, ref: Int?) throws -> [Delivery] {
        guard let palette else { throw ProtocolError.candidatesUnavailable("the model has no appearance palette") }
        let indices = try ClientMessage.candidateIndices(indices, paletteSize: palette.codes.count)
        guard var state = sessions[session] else { throw ProtocolError.candidatesUnavailable("guidance does not hold this session") }
        if state.candidatesInFlight == participant || state.candidateRequests.contains(where: { $0.participant == participant }) {
            throw ProtocolError.candidatesPending
        }
        touch(&state)
        state.candidateRequests.append(CandidatesRequestState(participant: participant, indices: indices, ref: ref ?? 0))
        sessions[session] = state
        return refreshSynthesis(session)
    }

    /// What a joining participant needs: the status, every current shadow, the last face, the busy flag.
    public func joinMessages(session: String) -> [GuidanceMessage] {
        guard let state = sessions[session] else { return [] }
        var messages = [status(of: state)]
        messages += state.shadows.compactMap { $0.map(GuidanceMessage.shadow) }
        if let frame = state.lastFrame { messages.append(.frame(frame)) }
        messages.append(.busy(state.busyReported))
        return messages
    }

    /// The session's mode, if open.
    public func mode(of session: String) -> GuidanceMode? { sessions[session]?.mode }

    // MARK: workers

    /// The next job for a worker on `lane`, or `nil` when there is none. Throttled encode work whose time has
    /// come (`now`) is released first.
    public mutating func nextJob(lane: Lane, now: Double) -> GuidanceJob? {
        releaseDeferred(now: now)
        switch lane {
        case .encode:
            return nextEncode(now: now)
        case .synthesisFirst:
            return nextSynthesis() ?? nextEncode(now: now)
        case .any:
            preferSynthesis.toggle()
            return preferSynthesis ? (nextSynthesis() ?? nextEncode(now: now)) : (nextEncode(now: now) ?? nextSynthesis())
        }
    }

    private mutating func nextEncode(now: Double) -> GuidanceJob? {
        while let session = encodeQueue.popFirst() {
            guard var state = sessions[session], state.encodeQueued, let canvas = state.pendingCanvas else { continue }
            let job = EncodeJob(
                session: session, generation: state.generation, baseline: state.baseline, canvas: canvas,
                dirty: state.dirtyUnknown ? nil : state.dirty, completedEdits: state.completedEdits)
            state.encodeQueued = false
            state.encodeInFlight = true
            state.pendingCanvas = nil
            state.dirty = PixelRect(x: 0, y: 0, width: 0, height: 0)
            state.dirtyUnknown = false
            state.lastEncodeStart = now
            sessions[session] = state
            return .encode(job)
        }
        return nil
    }

    /// The next generator job: a face or candidates, from the session at the front of the synthesis queue.
    private mutating func nextSynthesis() -> GuidanceJob? {
        while let session = synthesisQueue.popFirst() {
            guard var state = sessions[session], state.synthesisQueued else { continue }
            state.synthesisQueued = false
            let faceDue = state.faceQueued && state.synthesisReady
            state.faceQueued = false
            if state.candidatesDue && (!faceDue || !state.lastGeneratorJobWasCandidates) {
                return .candidates(startCandidates(session, &state))
            }
            guard faceDue, let latents = state.completeLatents else {
                sessions[session] = state
                continue
            }
            state.lastGeneratorJobWasCandidates = false
            let key = state.nextKey(layout: layout)
            // Running ahead of pending encode work (see refreshSynthesis): that work still wants its own face.
            state.synthesisWanted = state.encodeBusy
            state.framedEdits = state.encodedEdits
            state.synthesisInFlight = true
            frameNumbers &+= 1
            state.lastSynthesisKey = key
            sessions[session] = state
            return .synthesize(SynthesisJob(
                session: session, generation: state.generation, latents: latents, weights: key.weights,
                seq: max(state.baseline?.seq ?? 0, state.sliderSeq), number: frameNumbers, isDefault: state.isBlank,
                sketch: state.baseline ?? .blank(side: layout.canvas), appearance: key.appearance))
        }
        return nil
    }

    private mutating func startCandidates(_ session: String, _ state: inout SessionState) -> CandidatesJob {
        let request = state.candidateRequests.removeFirst()
        state.candidatesInFlight = request.participant
        state.lastGeneratorJobWasCandidates = true
        let key = state.nextKey(layout: layout)
        defer { sessions[session] = state }
        return CandidatesJob(
            session: session, generation: state.generation, participant: request.participant, ref: request.ref,
            indices: request.indices, latents: state.completeLatents ?? [], weights: key.weights,
            seq: max(state.baseline?.seq ?? 0, state.sliderSeq), isDefault: state.isBlank,
            sketch: state.baseline ?? .blank(side: layout.canvas))
    }

    /// The earliest time throttled encode work becomes ready, if any is waiting.
    public var nextWake: Double? {
        deferred.compactMap { sessions[$0]?.deferredUntil }.min()
    }

    /// Whether any job is ready for `lane` right now (throttled work not counted).
    public func hasReadyWork(lane: Lane) -> Bool {
        !encodeQueue.isEmpty || (lane != .encode && !synthesisQueue.isEmpty)
    }

    /// The broadcast of one component's new shadow while its encode job is still running (`nil` when the session
    /// was closed meanwhile). ``finishEncode(_:now:shadowsSent:)`` then records it without sending it again.
    public func earlyShadow(_ update: ComponentUpdate, of job: EncodeJob) -> Delivery? {
        guard let state = sessions[job.session], state.generation == job.generation else { return nil }
        let shadow = ShadowUpdate(component: update.component, box: layout.components[update.component],
                                  seq: job.canvas.seq, png: update.shadowPNG)
        return Delivery(session: job.session, message: .shadow(shadow))
    }

    /// Applies an encode result: cache latents, keep the shadows, broadcast the changed ones (unless
    /// `shadowsSent`: they went out one by one through ``earlyShadow(_:of:)``).
    public mutating func finishEncode(_ result: EncodeResult, now: Double, shadowsSent: Bool = false) -> [Delivery] {
        let session = result.job.session
        guard var state = sessions[session], state.generation == result.job.generation else { return [] }
        state.encodeInFlight = false
        state.baseline = result.job.canvas
        state.isBlank = result.isBlank
        var deliveries = [Delivery]()
        for update in result.updates {
            state.latents[update.component] = update.latent
            let shadow = ShadowUpdate(
                component: update.component, box: layout.components[update.component],
                seq: result.job.canvas.seq, png: update.shadowPNG)
            state.shadows[update.component] = shadow
            if !shadowsSent { deliveries.append(Delivery(session: session, message: .shadow(shadow))) }
        }
        if !result.updates.isEmpty { state.latentsVersion += 1 }
        state.encodedEdits = result.job.completedEdits
        sessions[session] = state
        if state.pendingCanvas != nil { scheduleEncode(session, immediate: state.pendingImmediate, now: now) }
        return deliveries + refreshSynthesis(session) + admitWaiting()
    }

    /// An encode job failed (the engine threw): keep the old cache; newer edits will retry.
    public mutating func failEncode(_ job: EncodeJob, now: Double) -> [Delivery] {
        guard var state = sessions[job.session], state.generation == job.generation else { return [] }
        state.encodeInFlight = false
        // The failed job's changes are still unencoded: the next job compares the whole canvas with the baseline.
        // A failing canvas is not retried on its own (no loop); the next edit retries it.
        state.dirtyUnknown = true
        sessions[job.session] = state
        if state.pendingCanvas != nil { scheduleEncode(job.session, immediate: state.pendingImmediate, now: now) }
        return refreshSynthesis(job.session) + admitWaiting()
    }

    /// Applies a synthesis result: remember and broadcast the frame; start the follow-up run if one is wanted.
    public mutating func finishSynthesis(_ job: SynthesisJob, frame: FaceFrame?) -> [Delivery] {
        guard var state = sessions[job.session], state.generation == job.generation else { return [] }
        state.synthesisInFlight = false
        var deliveries = [Delivery]()
        if let frame {
            state.lastFrame = frame
            deliveries.append(Delivery(session: job.session, message: .frame(frame)))
        } else {
            state.lastSynthesisKey = nil // failed: an identical request may retry
        }
        sessions[job.session] = state
        return deliveries + refreshSynthesis(job.session) + admitWaiting()
    }

    /// Applies a candidates result: the faces (or, when the engine failed, an error) go to the participant who
    /// asked; the session's next generator job may start.
    public mutating func finishCandidates(_ job: CandidatesJob, faces: [CandidateFace]?) -> [Delivery] {
        guard var state = sessions[job.session], state.generation == job.generation else { return [] }
        state.candidatesInFlight = nil
        sessions[job.session] = state
        let answer: [GuidanceMessage] = faces.map { $0.map(GuidanceMessage.candidate) }
            ?? [.refusal(.candidatesUnavailable("the model failed on this sketch"), ref: job.ref)]
        return answer.map { Delivery(session: job.session, message: $0, recipient: job.participant) }
            + refreshSynthesis(job.session) + admitWaiting()
    }

    // MARK: internals

    /// Forgets the least recently active idle admitted session (no job running, no work pending: its participants
    /// have the current shadows and face, so nothing they wait for is lost). False when none is idle.
    private mutating func evictLeastRecentlyActive() -> Bool {
        let victim = sessions.filter { $0.value.admitted && $0.value.isIdle }.min { $0.value.lastActive < $1.value.lastActive }
        guard let victim else { return false }
        forget(victim.key)
        return true
    }

    /// Admits waiting sessions, oldest first, while there is room or an idle session to make room: each gets its
    /// newest canvas encoded and, if one was wanted while it waited, a face.
    private mutating func admitWaiting() -> [Delivery] {
        var deliveries = [Delivery]()
        while !admissions.isEmpty, admittedCount < capacity || evictLeastRecentlyActive() {
            guard let session = admissions.popFirst(), var state = sessions[session] else { continue }
            state.admitted = true
            admittedCount += 1
            if state.pendingCanvas != nil { queueEncode(session, &state) }
            sessions[session] = state
            deliveries += refreshSynthesis(session)
        }
        return deliveries
    }

    private mutating func touch(_ state: inout SessionState) {
        ticks += 1
        state.lastActive = ticks
    }

    /// Queues the session's pending canvas for encoding (now, or after the throttle interval); waiting sessions
    /// only keep it until they are admitted.
    private mutating func scheduleEncode(_ session: String, immediate: Bool, now: Double) {
        guard var state = sessions[session], state.admitted else { return }
        defer { sessions[session] = state }
        if state.encodeInFlight {
            state.pendingImmediate = state.pendingImmediate || immediate
            return
        }
        if state.encodeQueued { return }
        if immediate || now >= state.lastEncodeStart + throttle {
            queueEncode(session, &state)
        } else if state.deferredUntil == nil {
            state.deferredUntil = state.lastEncodeStart + throttle
            deferred.insert(session)
        }
    }

    private mutating func queueEncode(_ session: String, _ state: inout SessionState) {
        state.deferredUntil = nil
        state.pendingImmediate = false
        state.encodeQueued = true
        deferred.remove(session)
        encodeQueue.append(session)
    }

    private mutating func releaseDeferred(now: Double) {
        for session in deferred {
            guard let until = sessions[session]?.deferredUntil else { deferred.remove(session); continue }
            if until <= now { scheduleEncode(session, immediate: true, now: now) }
        }
    }

    /// Queues synthesis when it is wanted and allowed; reports busy-flag transitions.
    ///
    /// A wanted synthesis waits for queued or running encode work, so it shows the newest edit — unless the
    /// cached latents already hold a completed edit (stroke end, undo, …) the last frame does not show: then it
    /// runs now on those and a follow-up catches up. (Half-drawn strokes never count, so a lone stroke end waits
    /// for its own encode.) Without that exception a session drawing faster than its edits encode — any session
    /// when the server is overloaded — would never see a face, and whichever session happened to be between
    /// encodes when a worker came free would get it: unfair.
    private mutating func refreshSynthesis(_ session: String) -> [Delivery] {
        guard var state = sessions[session] else { return [] }
        // A session runs one generator job (face or candidates) at a time: the next waits for the running one.
        // A waiting session keeps what it wants until it is admitted.
        if state.admitted && state.synthesisWanted && !state.generatorBusy {
            if state.synthesisReady {
                if state.lastSynthesisKey == state.nextKey(layout: layout) {
                    if !state.encodeBusy { state.synthesisWanted = false } // nothing new to show
                } else {
                    state.faceQueued = true
                    if !state.synthesisQueued {
                        state.synthesisQueued = true
                        synthesisQueue.append(session)
                    }
                }
            } else if !state.encodeBusy {
                state.synthesisWanted = false // nothing encodable (the engine failed on this canvas)
            }
        }
        if state.admitted && state.candidatesDue && !state.generatorBusy && !state.synthesisQueued {
            state.synthesisQueued = true
            synthesisQueue.append(session)
        }
        var deliveries = [Delivery]()
        let busy = state.synthesisWanted || state.synthesisInFlight
        if busy != state.busyReported {
            state.busyReported = busy
            deliveries.append(Delivery(session: session, message: .busy(busy)))
        }
        sessions[session] = state
        return deliveries
    }

    private func status(of state: SessionState) -> GuidanceMessage {
        .status(enabled: true, reason: nil, mode: state.mode, layout: layout, palette: palette)
    }
}

/// Identifies what a synthesis would show, to skip runs that would repeat the last frame.
struct SynthesisKey: Equatable {
    var latents: UInt64
    var weights: [Double]
    var appearance: Int?
}

/// A participant's accepted candidates request, waiting for a worker.
struct CandidatesRequestState {
    var participant: ParticipantRef
    var indices: [Int]
    var ref: Int
}

/// Guidance state of one session.
struct SessionState {
    var generation: UInt64
    /// Holds a place among the scheduler's ``GuidanceScheduler/capacity`` (false: waiting for one).
    var admitted = false
    var mode: GuidanceMode = .live
    var sliders = SliderValues()
    /// Appearance palette index; nil for the model's default.
    var appearance: Int?
    /// Newest settings operation (sliders, appearance): frames made for it carry its seq.
    var sliderSeq: UInt64 = 0

    var pendingCanvas: CanvasSnapshot?
    var dirty = PixelRect(x: 0, y: 0, width: 0, height: 0)
    var dirtyUnknown = false
    var pendingImmediate = false
    var deferredUntil: Double?
    var encodeQueued = false
    var encodeInFlight = false
    var lastEncodeStart = -Double.infinity
    /// Completed operations seen, included in the cached latents, and shown by the newest frame started.
    var completedEdits = 0
    var encodedEdits = 0
    var framedEdits = -1

    var baseline: CanvasSnapshot?
    var latents: [Latent?]
    var latentsVersion: UInt64 = 0
    var isBlank = true
    var shadows: [ShadowUpdate?]

    var synthesisWanted = false
    /// In the synthesis queue (for a face, candidates or both).
    var synthesisQueued = false
    /// A face was due when the session was queued.
    var faceQueued = false
    var synthesisInFlight = false
    var lastSynthesisKey: SynthesisKey?
    var lastActive: UInt64 = 0
    var lastFrame: FaceFrame?
    var busyReported = false

    /// Accepted candidates requests, oldest first, at most one per participant (with the one running).
    var candidateRequests: [CandidatesRequestState] = []
    var candidatesInFlight: ParticipantRef?
    var lastGeneratorJobWasCandidates = false

    init(generation: UInt64, components: Int) {
        self.generation = generation
        latents = Array(repeating: nil, count: components)
        shadows = Array(repeating: nil, count: components)
    }

    /// Something is queued or wanted for this session.
    var hasPendingWork: Bool {
        encodeQueued || pendingCanvas != nil || synthesisWanted || synthesisQueued || !candidateRequests.isEmpty
    }

    /// Nothing running, nothing pending: forgetting it loses nothing its participants wait for.
    var isIdle: Bool { !hasPendingWork && !encodeInFlight && !generatorBusy }

    /// A face or candidates job of this session is running.
    var generatorBusy: Bool { synthesisInFlight || candidatesInFlight != nil }

    /// A candidates request waits and every latent is there to answer it (from the latents cached now).
    var candidatesDue: Bool { !candidateRequests.isEmpty && !generatorBusy && completeLatents != nil }

    /// Encode work is queued or running: a synthesis now would miss the newest edit.
    var encodeBusy: Bool { encodeQueued || encodeInFlight }

    /// A synthesis may start now: wanted, none running, every latent there, and either no encode work pending
    /// or latents holding a completed edit the last frame does not show yet.
    var synthesisReady: Bool {
        guard synthesisWanted, !generatorBusy, completeLatents != nil else { return false }
        return !encodeBusy || encodedEdits > framedEdits
    }

    /// Every component's latent, once all have been encoded.
    var completeLatents: [Latent]? {
        var all = [Latent]()
        all.reserveCapacity(latents.count)
        for latent in latents {
            guard let latent else { return nil }
            all.append(latent)
        }
        return all
    }

    func nextKey(layout: ComponentLayout) -> SynthesisKey {
        let weights = isBlank ? SliderValues.fullyProjected(for: layout) : sliders.weights(for: layout)
        return SynthesisKey(latents: latentsVersion, weights: weights, appearance: appearance)
    }
}
