import Raster

/// The seam Guidance builds on: Sessions calls an observer after every applied operation and when a participant
/// joins; the observer answers through `SessionHub.broadcast(binary:in:)` / `SessionHub.send(binary:to:)`.
///
/// Calls arrive on whichever thread applied the operation, in sequence order per session, while the session's
/// (recursive) lock is held: an observer must return quickly (copy what it needs, hand work to its own queue) and
/// may call the hub's send/broadcast methods from inside the callback or from any other thread later.
public protocol SessionObserver: AnyObject {
    /// An operation was applied (before it is durable; durability only gates the author's ack).
    func sessionDidApply(_ event: AppliedOperation)
    /// A participant joined (after its welcome was sent): the place to send it the current shadows and face.
    func participantDidJoin(_ event: ParticipantJoined)
    /// A participant asked for a face now (`convert`, on-demand mode). Not persisted.
    func sessionDidRequestConvert(_ session: SessionID, by participant: ParticipantRef)
    /// A participant asked for candidate faces (`candidates`, answered to it alone). Not persisted. Throws the
    /// refusal the participant is told (bad index, one request already outstanding, no model).
    func sessionDidRequestCandidates(_ request: CandidatesRequest) throws
    /// The session was deleted (idle expiry): drop anything cached for it.
    func sessionDidEnd(_ session: SessionID)
}

public extension SessionObserver {
    func participantDidJoin(_ event: ParticipantJoined) {}
    func sessionDidRequestConvert(_ session: SessionID, by participant: ParticipantRef) {}
    func sessionDidRequestCandidates(_ request: CandidatesRequest) throws {
        throw ProtocolError.candidatesUnavailable("no face model loaded")
    }
    func sessionDidEnd(_ session: SessionID) {}
}

/// A participant's `candidates` request, with the session state guidance needs to serve it.
public struct CandidatesRequest: Sendable {
    /// Who asked (the answer goes to this connection only).
    public var participant: ParticipantRef
    /// Requested palette indices as sent (unchecked against the palette); nil for the default choice.
    public var indices: [Int]?
    /// The request's `ref`, echoed in the answer.
    public var ref: Int?
    /// The current raster, head, sliders, mode and appearance, as in `ParticipantJoined`.
    public var canvas: Canvas
    public var head: Int
    public var sliders: SliderValues
    public var mode: GuidanceMode
    public var appearance: Int?
}

/// What one applied operation did to a session.
public struct AppliedOperation: Sendable {
    /// The session.
    public var session: SessionID
    /// The operation's sequence number (frames Guidance sends are tagged with it).
    public var seq: Int
    /// What kind of operation it was.
    public var kind: OperationKind
    /// The 512×512 raster after the operation (a copy-on-write snapshot: holding it costs one copy on the next write).
    public var canvas: Canvas
    /// Pixels that may have changed; `.empty` when none (begin, end, sliders), `.full` after a clear.
    public var dirty: DirtyRect
    /// `.inProgress` while a stroke grows, `.ended` when one finishes, `.none` otherwise.
    public var strokePhase: StrokePhase
    /// Slider values after the operation.
    public var sliders: SliderValues
    /// Guidance mode after the operation.
    public var mode: GuidanceMode
    /// Appearance palette index after the operation; nil while nobody picked one (the model's default).
    public var appearance: Int?
}

/// A participant joined a session.
public struct ParticipantJoined: Sendable {
    /// The session joined.
    public var session: SessionID
    /// Who, and the handle to send to them alone.
    public var participant: ParticipantRef
    /// The current raster, sliders and mode, as in `AppliedOperation`.
    public var canvas: Canvas
    /// The session's latest seq when the participant joined.
    public var head: Int
    /// Current slider values.
    public var sliders: SliderValues
    /// Current guidance mode.
    public var mode: GuidanceMode
    /// Current appearance palette index; nil while nobody picked one.
    public var appearance: Int?
}

/// Identifies one connected participant (one WebSocket connection) for `SessionHub.send(binary:to:)`.
public struct ParticipantRef: Hashable, Sendable {
    /// The participant's session.
    public var session: SessionID
    /// Connection number, unique in this server process.
    public var connection: UInt64
    /// The participant's client id (also its public id in presence and ops).
    public var client: String

    public init(session: SessionID, connection: UInt64, client: String) {
        self.session = session
        self.connection = connection
        self.client = client
    }
}
