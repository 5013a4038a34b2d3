import Raster

/// One WebSocket connection to a session, as a state machine: `awaitingHello` → `joined` → `closed`.
///
/// The server adapter feeds it whole messages (`receive(text:)`, `receive(binary:)`) and tells it when the socket
/// is gone (`disconnected()`). Everything it does happens under its session's lock.
public final class SessionConnection {
    enum State { case awaitingHello, joined, closed }

    /// Connection number, unique in this process.
    public let number: UInt64
    let peer: Peer
    let session: LiveSession
    unowned let hub: SessionHub
    var state = State.awaitingHello
    var participant: Participant?
    /// Client stroke id → stroke seq, for strokes open on this connection.
    var openStrokes: [Int: Int] = [:]
    var limiter: RateLimiter
    /// Painting work per second (the second budget: one message can cost a thousand times another).
    var workLimiter: RateLimiter
    var strikes = 0
    var lastStrike = -Double.infinity
    var lastCursor = -Double.infinity
    /// The highest `ref` this connection used (starts at the client's `lastRef` in the session): a ref may be at
    /// most `maxRefStep` above it, so one message can never push the client's numbering out of range.
    var refFloor = 0
    /// While a join snapshot is being paged: the first seq the next `snapshot` may start after (pages only go
    /// forward, once, so a 36-byte request can never make the server resend history). Nil once it is complete.
    var nextPage: Int?
    /// Largest step above the highest ref so far.
    static let maxRefStep = 1 << 16

    init(number: UInt64, peer: Peer, session: LiveSession, hub: SessionHub, now: Double) {
        self.number = number
        self.peer = peer
        self.session = session
        self.hub = hub
        limiter = RateLimiter(rate: hub.config.messagesPerSecond, burst: hub.config.messageBurst, now: now)
        workLimiter = RateLimiter(rate: hub.config.workPerSecond, burst: hub.config.workBurst, now: now)
    }

    /// The session this connection belongs to.
    public var sessionID: SessionID { session.id }

    /// Handles one text message from the client.
    public func receive(text: String) {
        session.lock.locked {
            guard state != .closed else { return }
            if session.deleted { return end(code: .sessionExpired, reason: "session expired") }
            let now = hub.clock()
            guard limiter.take(now: now) else { return report(.rateLimited, ref: nil, now: now) }
            if strikes > 0, now - lastStrike > 1 { strikes = 0 }
            var ref: Int?
            do {
                let message = try ClientMessage.parse(text, limits: .init(pointsPerMessage: hub.config.maxPointsPerMessage,
                                                                       sliderNames: hub.sliderNames, paletteSize: hub.paletteSize))
                ref = message.ref
                if let ref, state == .joined { try claim(ref: ref) }
                try handle(message, now: now)
            } catch let error as ProtocolError {
                report(error, ref: ref ?? ClientMessage.peekRef(text), now: now)
                refuseBeforeHello()
            } catch {
                report(.malformedJSON, ref: ref, now: now)
                refuseBeforeHello()
            }
        }
    }

    /// Anything but a valid `hello` first ends the connection with 4400 (after its `error`), as PROTOCOL.md says.
    private func refuseBeforeHello() {
        if state == .awaitingHello { end(code: .badHello, reason: "the first message must be a valid hello") }
    }

    private func claim(ref: Int) throws {
        let limit = min(Int(Int32.max), refFloor + SessionConnection.maxRefStep)
        guard ref <= limit else { throw ProtocolError.refOutOfSequence(limit: limit) }
        refFloor = max(refFloor, ref)
    }

    /// Charges painting work before it is done: refused when one message is too heavy (`limit`) or the
    /// connection is over its work rate (`rate_limited`); both count as strikes.
    private func charge(_ work: Int, perMessageLimit: Bool, now: Double) throws {
        let config = hub.config
        if perMessageLimit, work > config.maxWorkPerMessage { throw ProtocolError.tooMuchWork(config.maxWorkPerMessage) }
        // The session's bucket too: reconnecting under fresh ids must not buy a fresh burst each time.
        guard workLimiter.has(Double(work), now: now), session.workLimiter.take(Double(work), now: now) else {
            throw ProtocolError.rateLimited
        }
        _ = workLimiter.take(Double(work), now: now)
    }

    /// Called when `helloTimeout` has passed since the upgrade: a connection still without `hello` gets
    /// `hello_required` and 4400, so idle upgraded sockets do not pile up.
    public func helloDeadlinePassed() {
        session.lock.locked {
            guard state == .awaitingHello else { return }
            report(.helloRequired, ref: nil, now: hub.clock())
        }
    }

    /// Clients may not send binary messages: refused with an error, the connection stays open.
    public func receive(binary: [UInt8]) {
        session.lock.locked {
            guard state != .closed else { return }
            report(.binaryNotAccepted, ref: nil, now: hub.clock())
            refuseBeforeHello()
        }
    }

    /// The socket is gone (closed by either side): open strokes are ended, presence updated. Idempotent.
    public func disconnected() {
        session.lock.locked {
            guard state != .closed else { return }
            finish()
        }
    }

    private func handle(_ message: ClientMessage, now: Double) throws {
        if case .hello(let hello) = message { return try join(hello, now: now) }
        guard state == .joined, let me = participant else { throw ProtocolError.helloRequired }
        let config = hub.config
        switch message {
        case .hello:
            throw ProtocolError.duplicateHello
        case .strokeBegin(let id, let tool, let width, let ref):
            if openStrokes[id] != nil { throw ProtocolError.strokeAlreadyOpen(id) }
            if openStrokes.count >= config.maxOpenStrokes { throw ProtocolError.tooManyOpenStrokes(config.maxOpenStrokes) }
            let seq = try commit(.strokeBegin(tool: tool, width: width), by: me, ref: ref, now: now)
            openStrokes[id] = seq
        case .strokePoints(let id, let points, let ref):
            guard let stroke = openStrokes[id] else { throw ProtocolError.unknownStroke(id) }
            if session.document.pointCount(ofStroke: stroke) + points.count > config.maxPointsPerStroke {
                throw ProtocolError.strokeTooLong(config.maxPointsPerStroke)
            }
            try charge(session.document.paintWork(ofStroke: stroke, points: points), perMessageLimit: true, now: now)
            try commit(.strokePoints(stroke: stroke, points: points), by: me, ref: ref, now: now)
        case .strokeEnd(let id, let ref):
            guard let stroke = openStrokes.removeValue(forKey: id) else { throw ProtocolError.unknownStroke(id) }
            try commit(.strokeEnd(stroke: stroke), by: me, ref: ref, now: now, enforceLimit: false)
        case .undo(let ref):
            let target = try session.document.undoTarget(for: me.client)
            try charge(session.document.rerenderWork, perMessageLimit: false, now: now)
            try commit(.undo(target: target), by: me, ref: ref, now: now)
        case .redo(let ref):
            let target = try session.document.redoTarget(for: me.client)
            try charge(session.document.rerenderWork, perMessageLimit: false, now: now)
            try commit(.redo(target: target), by: me, ref: ref, now: now)
        case .clear(let ref):
            try charge(Canvas.size * Canvas.size, perMessageLimit: false, now: now)
            try commit(.clear, by: me, ref: ref, now: now)
        case .sliders(let values, let ref):
            let merged = session.document.sliders.merging(values)
            guard merged.values.count <= SliderValues.maxNames else { throw ProtocolError.invalidField("values", "at most \(SliderValues.maxNames) sliders per session") }
            try commit(.sliders(merged), by: me, ref: ref, now: now)
        case .mode(let mode, let ref):
            try commit(.mode(mode), by: me, ref: ref, now: now)
        case .appearance(let index, let ref):
            try commit(.appearance(index), by: me, ref: ref, now: now)
        case .convert:
            hub.observer?.sessionDidRequestConvert(session.id, by: reference(me))
        case .candidates(let indices, let ref):
            guard let observer = hub.observer else { throw ProtocolError.candidatesUnavailable("no face model loaded") }
            let document = session.document
            try observer.sessionDidRequestCandidates(CandidatesRequest(
                participant: reference(me), indices: indices, ref: ref, canvas: document.canvas, head: document.head,
                sliders: document.sliders, mode: document.mode, appearance: document.appearance))
        case .cursor(let x, let y):
            guard now - lastCursor >= config.cursorInterval else { return }
            lastCursor = now
            let text = ServerMessage.cursor(of: me.client, x: x, y: y)
            for other in session.connections.values where other !== self && other.participant != nil {
                other.peer.send(text: text)
            }
        case .ping:
            peer.send(text: ServerMessage.pong)
        case .snapshot(let after):
            let document = session.document
            guard let next = nextPage else { throw ProtocolError.invalidField("after", "no join snapshot is being paged") }
            guard after >= next, after <= document.head else {
                throw ProtocolError.invalidField("after", "must be between \(next) and \(document.head) (pages go forward, once)")
            }
            let through = ServerMessage.pageEnd(document: document, after: after, budget: config.snapshotPageBytes)
            nextPage = through < document.head ? through : nil
            peer.send(text: ServerMessage.snapshot(document: document, after: after, through: through))
        }
    }

    private func join(_ hello: ClientMessage.Hello, now: Double) throws {
        guard state == .awaitingHello else { throw ProtocolError.duplicateHello }
        if session.damage != nil { throw ProtocolError.sessionDamaged }
        guard session.joinLimiter.take(now: now) else { throw ProtocolError.tooManyJoins }
        let joined = session.participants
        if joined.count >= hub.config.maxParticipants {
            peer.send(text: ServerMessage.error(.init(code: "session_full", field: nil,
                message: "this session already has \(hub.config.maxParticipants) participants", close: .sessionFull), ref: nil))
            return end(code: .sessionFull, reason: "session full")
        }
        let token: String
        if let known = session.tokens[hello.client] {
            guard let claimed = hello.token, SessionConnection.sameSecret(claimed, known) else { throw ProtocolError.clientTaken }
            token = known
        } else {
            token = SessionID.random().text
            session.tokens[hello.client] = token
            hub.store.participantRegistered(hello.client, token: token, in: session.id)
        }
        let taken = Set(joined.map(\.color))
        let color = hello.color ?? Participant.palette.first { !taken.contains($0) } ?? Participant.palette[Int(number % 16)]
        let me = Participant(client: hello.client, name: hello.name, color: color)
        let document = session.document
        var from = 0
        // Resume after `lastSeq` only when those ops are known to be the log's: committed before this node read it,
        // or sent to this client by this node. Otherwise (a node died with ops it had broadcast but not committed,
        // and the new owner reused their seqs) the client's tail may differ from the log: a full snapshot.
        // (A connection of the same client still open here has had every op up to the head.)
        let stillOpen = session.connections.values.contains { $0 !== self && $0.participant?.client == hello.client }
        let trusted = stillOpen ? document.head : max(session.loadedHead, session.delivered[hello.client] ?? 0)
        if let last = hello.lastSeq, last <= document.head, last <= trusted { from = last }
        participant = me
        state = .joined
        refFloor = document.lastRef[me.client] ?? 0
        session.lastActive = now
        let through = ServerMessage.pageEnd(document: document, after: from, budget: hub.config.snapshotPageBytes)
        nextPage = through < document.head ? through : nil
        peer.send(text: ServerMessage.welcome(session: session.id, you: me, token: token, document: document, from: from,
                                              through: through, reset: from == 0, participants: session.participants))
        session.broadcast(text: ServerMessage.presence(session.participants))
        hub.observer?.participantDidJoin(ParticipantJoined(session: session.id, participant: reference(me),
            canvas: document.canvas, head: document.head, sliders: document.sliders, mode: document.mode,
            appearance: document.appearance))
    }

    /// Sequences, applies, broadcasts and persists one operation; the author's ack follows durability.
    @discardableResult
    private func commit(_ body: Operation.Body, by me: Participant, ref: Int?, now: Double, enforceLimit: Bool = true) throws -> Int {
        if session.damage != nil { throw ProtocolError.sessionDamaged }
        if enforceLimit, hub.store.backlogBytes > hub.config.maxUnsavedBytes { throw ProtocolError.cannotSave }
        if enforceLimit, session.document.storedBytes > hub.config.maxSessionBytes {
            throw ProtocolError.sessionByteLimit(hub.config.maxSessionBytes)
        }
        if enforceLimit, hub.memoryBytes > hub.config.maxServerBytes { throw ProtocolError.serverByteLimit }
        if enforceLimit, session.document.head >= hub.config.maxOperationsPerSession {
            throw ProtocolError.sessionOperationLimit(hub.config.maxOperationsPerSession)
        }
        return hub.apply(body, author: me.client, ref: ref, in: session, now: now, ackTo: peer)
    }

    /// Compares secrets in time independent of where they differ.
    static func sameSecret(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in x.indices { difference |= x[i] ^ y[i] }
        return difference == 0
    }

    private func reference(_ me: Participant) -> ParticipantRef {
        ParticipantRef(session: session.id, connection: number, client: me.client)
    }

    private func report(_ error: ProtocolError, ref: Int?, now: Double) {
        let outcome = error.outcome
        if outcome.strike {
            strikes += 1
            lastStrike = now
            if strikes >= hub.config.rateStrikes { return end(code: .policyViolation, reason: "rate limit exceeded") }
        }
        peer.send(text: error.errorMessage(ref: ref))
        if let close = outcome.close { end(code: close, reason: outcome.message) }
    }

    /// Closes from the server side.
    func end(code: SessionCloseCode, reason: String) {
        guard state != .closed else { return }
        peer.close(code: code.rawValue, reason: String(reason.prefix(120)))
        finish()
    }

    private func finish() {
        let now = hub.clock()
        if let me = participant {
            for stroke in openStrokes.values.sorted() {
                hub.apply(.strokeEnd(stroke: stroke), author: me.client, ref: nil, in: session, now: now, ackTo: nil)
            }
        }
        openStrokes = [:]
        if let me = participant { session.delivered[me.client] = session.document.head }
        state = .closed
        session.connections[number] = nil
        session.lastActive = now
        if participant != nil { session.broadcast(text: ServerMessage.presence(session.participants)) }
    }
}

extension ClientMessage {
    /// Best-effort `ref` of a message that failed validation, so the error can name what it refuses.
    static func peekRef(_ text: String) -> Int? {
        guard let fields = try? JSONFields.parse(text) else { return nil }
        return try? fields.optionalInteger("ref", in: 0...Int(Int32.max))
    }

    /// The client's reference number, echoed in acks and errors.
    var ref: Int? {
        switch self {
        case .strokeBegin(_, _, _, let ref), .strokePoints(_, _, let ref), .strokeEnd(_, let ref), .undo(let ref),
             .redo(let ref), .clear(let ref), .sliders(_, let ref), .mode(_, let ref), .appearance(_, let ref),
             .candidates(_, let ref):
            return ref
        case .hello, .convert, .cursor, .ping, .snapshot:
            return nil
        }
    }
}
