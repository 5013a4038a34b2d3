import Raster
import Sessions

/// Live guidance attached to the ``SessionHub``: turns applied operations into guidance events and sends the
/// results to the session's participants.
///
/// Mapping (docs/PROTOCOL.md, "Guidance"):
/// - `stroke.points` (stroke in progress, pixels changed) → throttled shadow refresh;
/// - `stroke.end`, `undo`, `redo`, `clear` → shadows now and, in live mode, a face;
/// - `sliders` → a face from cached latents; `mode` → mode switch; `convert` → a face now;
/// - `candidates` → candidate faces for the participant who asked, or the refusal it is told;
/// - a joining participant gets the status, current shadows and last face; without a model it is told
///   guidance is off (sketching is unaffected).
/// A session is opened for guidance the first time anything happens in it (restored sessions cost nothing
/// until used) and forgotten when Sessions deletes it.
///
/// Observer callbacks run under the session's lock: each only copies what it needs (the canvas is
/// copy-on-write) and hands it to ``LiveGuidance``, which never blocks on inference.
public final class SessionGuidance: SessionObserver, GuidanceAudience, @unchecked Sendable {
    /// The guidance engine shell (workers, scheduler).
    public private(set) var guidance: LiveGuidance!
    private weak var hub: SessionHub?

    /// Attaches to `hub` as its observer. `engine` is `nil` when no model could be loaded; `reason` says why.
    public init(hub: SessionHub, engine: FaceEngine?, unavailableReason: String = "no face model loaded",
                settings: LiveGuidance.Settings = LiveGuidance.Settings()) {
        self.hub = hub
        guidance = LiveGuidance(engine: engine, unavailableReason: unavailableReason, settings: settings, audience: self)
        hub.observer = self
        if let engine {
            hub.sliderNames = Set(engine.layout.components.map(\.name))
            hub.paletteSize = engine.palette?.codes.count ?? 0
        }
    }

    /// Stops the workers (server shutdown).
    public func shutdown() { guidance.shutdown() }

    // MARK: SessionObserver

    public func sessionDidApply(_ event: AppliedOperation) {
        guard guidance.isEnabled else { return }
        let key = event.session.text
        let snapshot = CanvasSnapshot(seq: UInt64(max(0, event.seq)), side: Canvas.size, pixels: event.canvas.pixels)
        openIfNeeded(key, canvas: snapshot, sliders: event.sliders, mode: event.mode, appearance: event.appearance)
        switch event.kind {
        case .sliders:
            guidance.slidersChanged(session: key, sliders: event.sliders, seq: snapshot.seq)
        case .appearance:
            guidance.appearanceChanged(session: key, appearance: event.appearance, seq: snapshot.seq)
        case .mode:
            guidance.modeChanged(session: key, mode: event.mode)
        case .strokeBegin:
            break
        case .strokePoints:
            guard !event.dirty.isEmpty else { return }
            guidance.canvasChanged(session: key, canvas: snapshot, dirty: Self.rect(event.dirty),
                                   strokeInProgress: event.strokePhase == .inProgress)
        case .strokeEnd, .undo, .redo, .clear:
            // A stroke end adds no pixels (its points did), but it completes an edit: shadows now, a face in live mode.
            guidance.canvasChanged(session: key, canvas: snapshot, dirty: Self.rect(event.dirty), strokeInProgress: false)
        }
    }

    public func participantDidJoin(_ event: ParticipantJoined) {
        if guidance.isEnabled {
            let snapshot = CanvasSnapshot(seq: UInt64(max(0, event.head)), side: Canvas.size, pixels: event.canvas.pixels)
            openIfNeeded(event.session.text, canvas: snapshot, sliders: event.sliders, mode: event.mode, appearance: event.appearance)
        }
        guard let hub else { return }
        for message in guidance.joinMessages(session: event.session.text) {
            switch message {
            case .text(let text): hub.send(text: text, to: event.participant)
            case .binary(let bytes): hub.send(binary: bytes, to: event.participant)
            }
        }
    }

    public func sessionDidRequestConvert(_ session: SessionID, by participant: ParticipantRef) {
        guidance.convert(session: session.text)
    }

    public func sessionDidRequestCandidates(_ request: CandidatesRequest) throws {
        let key = request.participant.session.text
        if guidance.isEnabled {
            let snapshot = CanvasSnapshot(seq: UInt64(max(0, request.head)), side: Canvas.size, pixels: request.canvas.pixels)
            openIfNeeded(key, canvas: snapshot, sliders: request.sliders, mode: request.mode, appearance: request.appearance)
        }
        try guidance.requestCandidates(session: key, by: request.participant, indices: request.indices, ref: request.ref)
    }

    public func sessionDidEnd(_ session: SessionID) {
        guidance.close(session: session.text)
    }

    // MARK: GuidanceAudience

    public func broadcast(_ message: WireMessage, session: String) {
        guard let hub, let id = SessionID(session) else { return }
        switch message {
        case .text(let text): hub.broadcast(text: text, in: id)
        case .binary(let bytes): hub.broadcast(binary: bytes, in: id)
        }
    }

    public func send(_ message: WireMessage, to participant: ParticipantRef) {
        guard let hub else { return }
        switch message {
        case .text(let text): hub.send(text: text, to: participant)
        case .binary(let bytes): hub.send(binary: bytes, to: participant)
        }
    }

    // MARK: internals

    /// Opening is idempotent: a session already open keeps its state.
    private func openIfNeeded(_ session: String, canvas: CanvasSnapshot, sliders: SliderValues, mode: GuidanceMode, appearance: Int?) {
        guidance.open(session: session, canvas: canvas, sliders: sliders, mode: mode, appearance: appearance)
    }

    static func rect(_ dirty: DirtyRect) -> PixelRect {
        PixelRect(x: dirty.minX, y: dirty.minY, width: dirty.maxX - dirty.minX, height: dirty.maxY - dirty.minY)
    }
}
