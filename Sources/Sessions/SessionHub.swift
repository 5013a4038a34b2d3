import Foundation
import Raster

/// Why a session could not be created.
public enum SessionRefusal: Error, Equatable {
    /// `maxSessions` live sessions already (HTTP 503).
    case tooManySessions(Int)
}

/// All sessions of this server: creation, lookup, connections, restore, idle expiry, and the send side of the
/// Guidance seam. Thread-safe; never touches the disk itself (the `OperationStore` queues writes).
public final class SessionHub {
    /// Limits and timeouts.
    public let config: SessionsConfig
    let store: OperationStore
    /// Wall-clock seconds (injected so tests control time).
    let clock: () -> Double
    private let registryLock = Mutex()
    private var sessions: [SessionID: LiveSession] = [:]
    private var nextConnection: UInt64 = 1
    /// Bytes of encoded operations of loaded sessions.
    let heldBytes = Locked(0)

    /// Receives applied operations and joins (the Guidance seam). Set it before serving.
    public var observer: SessionObserver?
    /// Component slider names clients may set besides `master`: the loaded model's components, set by Guidance
    /// before serving. Nil (no model) accepts any well-formed name.
    public var sliderNames: Set<String>?
    /// Codes in the loaded model's appearance palette (0 for a model without one), set by Guidance before
    /// serving; nil (no model) accepts any index the protocol carries.
    public var paletteSize: Int?

    /// A hub with no sessions yet (call `restore()` to load the stored ones).
    public init(config: SessionsConfig = SessionsConfig(), store: OperationStore,
                clock: @escaping () -> Double = { Date().timeIntervalSince1970 }) {
        self.config = config
        self.store = store
        self.clock = clock
        store.onConflict = { [weak self] id, seq in self?.markDamaged(id, because: "op \(seq) was already stored") }
        store.onLeaseLost = { [weak self] id in self?.leaseLost(id) }
    }

    /// This node lost a session's lease (docs/SESSIONS.md, "Leases and fencing"): its clients are closed with 4503
    /// (they reconnect and land on the new owner) and its drawing is dropped, so a later access here reloads the
    /// log (what the other node committed included) under a new lease. Operations applied but not yet durable are
    /// never acknowledged.
    func leaseLost(_ id: SessionID) {
        guard let live = live(id) else { return }
        live.lock.locked {
            for c in Array(live.connections.values) { c.end(code: .sessionMoved, reason: "this sketch moved to another server") }
            unload(live)
        }
    }

    /// Hands every session over (drain): closes their clients with 4503, drops their drawings and releases
    /// every lease once what they wrote is committed. Blocks until released.
    public func handOver() {
        for live in registryLock.locked({ Array(sessions.values) }) {
            live.lock.locked {
                for c in Array(live.connections.values) { c.end(code: .sessionMoved, reason: "this server is draining") }
                unload(live)
            }
        }
        store.releaseAll()
    }

    /// Forgets a session's drawing (lock held): it loads again from the store on next access.
    private func unload(_ live: LiveSession) {
        guard live.loaded else { return }
        heldBytes.locked { $0 -= live.document.storedBytes }
        live.storedHead = live.durableHead
        live.document = SketchDocument(undoReach: config.undoReach)
        live.loaded = false
    }

    /// Registers a session another node created after this one restored the index (a store shared by nodes only:
    /// one indexed read). Returns whether the session exists.
    public func discover(_ id: SessionID) -> Bool {
        if contains(id) { return true }
        guard store.sharedByNodes, let stored = try? store.lookupSession(id) else { return false }
        return registryLock.locked {
            if sessions[id] == nil {
                guard sessions.count < config.maxSessions else { return false }
                let live = LiveSession(id: id, lastActive: stored.lastActive, config: config)
                live.loaded = false
                live.storedHead = stored.head
                live.durableHead = stored.head
                sessions[id] = live
            }
            return true
        }
    }

    /// Stops a session whose stored log cannot be trusted: its connections are closed with 4500, nobody joins.
    func markDamaged(_ id: SessionID, because reason: String) {
        guard let live = live(id) else { return }
        live.lock.locked {
            live.damage = live.damage ?? reason
            for c in Array(live.connections.values) { c.end(code: .sessionDamaged, reason: "this sketch is damaged") }
        }
    }

    /// Why a session is damaged (read-only), nil when it is not.
    public func damage(of id: SessionID) -> String? {
        guard let live = live(id) else { return nil }
        return live.lock.locked { load(live) ? live.damage : nil }
    }

    /// Number of live sessions.
    public var sessionCount: Int { registryLock.locked { sessions.count } }

    /// Ids of live sessions.
    public var sessionIDs: [SessionID] { registryLock.locked { Array(sessions.keys) } }

    /// Told about problems found while loading a session (a damaged log), for the log. Set it before serving.
    public var onProblem: ((String) -> Void)?

    /// Registers every stored session without reading its history (sessions load on first access, so the
    /// server can listen at once however long the histories are). Returns the number of sessions.
    @discardableResult
    public func restore() throws -> Int {
        let index = try store.loadSessionIndex()
        registryLock.locked {
            for stored in index {
                let live = LiveSession(id: stored.id, lastActive: stored.lastActive, config: config)
                live.loaded = false
                live.storedHead = stored.head
                live.durableHead = stored.head
                sessions[stored.id] = live
            }
        }
        return index.count
    }

    /// Reads a session's log and rebuilds it under its lock: from its newest raster checkpoint and the operations
    /// after it, or, without a usable checkpoint, by replaying the whole log (each op painted once, when baked, then
    /// the undo window). A log that cannot be read to its end keeps what was read and marks the session damaged
    /// (read-only, never expired, never appended to), never silently shortened. Returns false, leaving it
    /// unloaded, when another node owns the session (its lease is held there).
    @discardableResult
    func load(_ live: LiveSession) -> Bool {
        guard !live.loaded else { return true }
        live.loaded = true
        var document = SketchDocument(undoReach: config.undoReach)
        var problem: String?
        do {
            guard let stored = try store.loadSession(live.id) else { return true }
            live.tokens = stored.tokens
            let rebuilt = rebuild(live.id, log: stored.ops)
            document = rebuilt.document
            live.checkpointSeq = rebuilt.checkpointSeq
            problem = rebuilt.unreadable ?? stored.damage
        } catch is SessionNotOwned {
            live.loaded = false   // not a problem of the log: the client is closed with 4503 and retries
            return false
        } catch {
            problem = "cannot be read (\(error))"
        }
        live.document = document
        live.durableHead = document.head
        live.loadedHead = document.head
        live.delivered = [:]
        heldBytes.locked { $0 += document.storedBytes }
        if let problem {
            live.damage = live.damage ?? problem
            onProblem?("session \(live.id.logName): \(problem); marked damaged (read-only)")
        }
        return true
    }

    /// The document after the operations of `log` (encoded, from seq 1): from the session's stored checkpoint when it
    /// is within `log` and passes its checks, then the operations after it; else from the whole log. The raster is
    /// painted once, at the end. Stops at the first unreadable operation (`unreadable` says which).
    private func rebuild(_ id: SessionID, log: [String]) -> (document: SketchDocument, checkpointSeq: Int, unreadable: String?) {
        var document = SketchDocument(undoReach: config.undoReach)
        var checkpointSeq = 0
        do {
            if let checkpoint = try store.loadCheckpoint(id), checkpoint.seq <= log.count {
                document = try SketchDocument(checkpoint: checkpoint.bytes, log: log, undoReach: config.undoReach)
                checkpointSeq = checkpoint.seq
            }
        } catch {
            onProblem?("session \(id.logName): \(error); replaying its whole log")
        }
        let resumedAt = document.head
        var unreadable: String?
        for (index, text) in log.enumerated().dropFirst(resumedAt) {
            guard let op = try? Operation(encoded: text), op.seq == index + 1 else {
                unreadable = "op \(index + 1) is unreadable"
                break
            }
            document.apply(op, painting: false)
        }
        if document.head > resumedAt || checkpointSeq == 0 { document.repaint() }
        return (document, checkpointSeq, unreadable)
    }

    /// Drops the drawing of sessions nobody is in and nothing happened in for `evictAfter` seconds, once all of
    /// it is committed: their memory no longer grows with their history. They load again on next access.
    @discardableResult
    public func evictIdle() -> Int {
        let now = clock()
        let candidates: [LiveSession] = registryLock.locked { Array(sessions.values) }
        var evicted = 0
        for live in candidates {
            live.lock.locked {
                guard live.loaded, live.connections.isEmpty, live.damage == nil, now - live.lastActive > config.evictAfter,
                      live.durableHead >= live.document.head, store.backlogBytes == 0 else { return }
                if live.document.head > live.checkpointSeq { saveCheckpoint(live) }
                unload(live)
                store.release(live.id)
                evicted += 1
            }
        }
        return evicted
    }

    /// Bytes of operations held in memory by loaded sessions (the server budget, `maxServerBytes`).
    public var memoryBytes: Int { heldBytes.locked { $0 } }

    /// Creates an empty session (stored asynchronously) or refuses when the server is full.
    public func createSession() throws -> SessionID {
        let now = clock()
        let id = SessionID.random()
        try registryLock.locked {
            guard sessions.count < config.maxSessions else { throw SessionRefusal.tooManySessions(config.maxSessions) }
            sessions[id] = LiveSession(id: id, lastActive: now, config: config)
        }
        store.sessionCreated(id, at: now)
        return id
    }

    /// True when the session exists (for `/s/<id>` and `/ws/<id>`: 404 otherwise).
    public func contains(_ id: SessionID) -> Bool { registryLock.locked { sessions[id] != nil } }

    /// Attaches a new connection, or closes `peer` with 4404 and returns nil when the session is unknown or expired.
    public func connect(to id: SessionID, peer: Peer) -> SessionConnection? {
        let found: (LiveSession, UInt64)? = registryLock.locked {
            guard let live = sessions[id] else { return nil }
            defer { nextConnection += 1 }
            return (live, nextConnection)
        }
        guard let (live, number) = found else {
            peer.close(code: SessionCloseCode.unknownSession.rawValue, reason: "unknown or expired session")
            return nil
        }
        return live.lock.locked {
            guard load(live) else {
                peer.close(code: SessionCloseCode.sessionMoved.rawValue, reason: "this sketch is served by another server")
                return nil
            }
            if live.deleted {
                peer.close(code: SessionCloseCode.unknownSession.rawValue, reason: "unknown or expired session")
                return nil
            }
            let connection = SessionConnection(number: number, peer: peer, session: live, hub: self, now: clock())
            live.connections[number] = connection
            live.lastActive = clock()
            return connection
        }
    }

    /// The current raster of a session (for `/s/<id>/sketch.pgm` and Guidance).
    public func canvas(of id: SessionID) -> Canvas? {
        guard let live = live(id) else { return nil }
        return live.lock.locked { load(live) ? live.document.canvas : nil }
    }

    /// One page of a session's history for the replay view (`GET /s/<id>/history?after=N`): the operations after
    /// `after` (clamped to 0…head) as a `snapshot` message, the page size (`snapshotPageBytes`) and format of the
    /// WebSocket's. Loads the session on first access, like a join: call it on the session's queue.
    public func historyPage(of id: SessionID, after: Int) -> String? {
        guard let live = live(id) else { return nil }
        return live.lock.locked {
            guard load(live) else { return nil }
            let document = live.document
            let start = min(max(0, after), document.head)
            let through = ServerMessage.pageEnd(document: document, after: start, budget: config.snapshotPageBytes)
            return ServerMessage.snapshot(document: document, after: start, through: through)
        }
    }

    /// The latest seq of a session without loading it (nil when unknown).
    public func head(of id: SessionID) -> Int? {
        guard let live = live(id) else { return nil }
        return live.lock.locked { live.head }
    }

    /// The session as it was after operation `seq` (clamped to 0…head): raster, sliders and appearance, rebuilt as a
    /// load does (from the stored checkpoint when it is not after `seq`, else from the start; each op painted once),
    /// for the replay view's faces. The session loads on first access; its encoded log is copied under the lock and
    /// replayed outside it, so call it off the event loop.
    public func state(of id: SessionID, at seq: Int) -> (seq: Int, canvas: Canvas, sliders: SliderValues, appearance: Int?)? {
        guard let live = live(id) else { return nil }
        let loaded: [String]? = live.lock.locked {
            guard load(live) else { return nil }
            return Array(live.document.encodedOps.prefix(max(0, seq)))
        }
        guard let encoded = loaded else { return nil }
        let document = rebuild(id, log: encoded).document
        return (document.head, document.canvas, document.sliders, document.appearance)
    }

    /// Raster, head seq, sliders, mode and appearance of a session, read atomically.
    public func snapshot(of id: SessionID) -> (canvas: Canvas, head: Int, sliders: SliderValues, mode: GuidanceMode, appearance: Int?)? {
        guard let live = live(id) else { return nil }
        return live.lock.locked {
            guard load(live) else { return nil }
            return (live.document.canvas, live.document.head, live.document.sliders, live.document.mode, live.document.appearance)
        }
    }

    /// Sends a binary message (shadow, face frame) to every participant of a session.
    public func broadcast(binary: [UInt8], in id: SessionID) {
        guard let live = live(id) else { return }
        live.lock.locked { live.broadcast(binary: binary) }
    }

    /// Sends a text message (e.g. a Guidance status) to every participant of a session.
    public func broadcast(text: String, in id: SessionID) {
        guard let live = live(id) else { return }
        live.lock.locked { live.broadcast(text: text) }
    }

    /// Sends a binary message to one participant (no-op if it left).
    public func send(binary: [UInt8], to participant: ParticipantRef) {
        guard let live = live(participant.session) else { return }
        live.lock.locked { live.connections[participant.connection]?.peer.send(binary: binary) }
    }

    /// Sends a text message to one participant (no-op if it left).
    public func send(text: String, to participant: ParticipantRef) {
        guard let live = live(participant.session) else { return }
        live.lock.locked { live.connections[participant.connection]?.peer.send(text: text) }
    }

    /// Deletes sessions idle (no connections, no operations) for longer than `idleExpiry` (`emptyExpiry` when
    /// nothing was ever drawn), in memory and on disk.
    /// Call it periodically; returns the deleted ids.
    @discardableResult
    public func expireIdle() -> [SessionID] {
        let now = clock()
        let candidates: [LiveSession] = registryLock.locked { Array(sessions.values) }
        var expired = [SessionID]()
        for live in candidates {
            let idle = live.lock.locked { () -> Double? in
                let limit = live.head == 0 ? min(config.emptyExpiry, config.idleExpiry) : config.idleExpiry
                guard live.connections.isEmpty, live.damage == nil, now - live.lastActive > limit else { return nil }
                live.deleted = true
                return live.lastActive
            }
            guard let lastActive = idle else { continue }
            registryLock.locked { _ = sessions.removeValue(forKey: live.id) }
            live.lock.locked { if live.loaded { heldBytes.locked { $0 -= live.document.storedBytes } } }
            store.sessionExpired(live.id, lastActive: lastActive)
            observer?.sessionDidEnd(live.id)
            expired.append(live.id)
        }
        return expired
    }

    /// Closes every connection (server shutdown) with 1001.
    public func closeAll() {
        for live in registryLock.locked({ Array(sessions.values) }) {
            live.lock.locked { for c in Array(live.connections.values) { c.end(code: .goingAway, reason: "server shutting down") } }
        }
    }

    /// True when the session's drawing is in memory here (it was accessed since start or its last eviction).
    public func isLoaded(_ id: SessionID) -> Bool {
        guard let live = live(id) else { return false }
        return live.lock.locked { live.loaded }
    }

    /// Makes a just-created session reachable from every node sharing the store: blocks until its creation is
    /// committed, having given up this node's lease on it unless someone joined meanwhile, so the node a proxy
    /// routes it to can take it. Call it off the event loop.
    public func publish(_ id: SessionID) {
        if let live = live(id) {
            live.lock.locked {
                guard live.connections.isEmpty else { return }
                unload(live)
                store.release(id)
            }
        }
        store.flush()
    }

    /// Closes every connection of one session with `code` (their open strokes are ended, as on any close), e.g.
    /// on the session's queue before a drain's `handOver()`.
    public func closeConnections(of id: SessionID, code: SessionCloseCode, reason: String) {
        guard let live = live(id) else { return }
        live.lock.locked { for c in Array(live.connections.values) { c.end(code: code, reason: reason) } }
    }

    private func live(_ id: SessionID) -> LiveSession? { registryLock.locked { sessions[id] } }

    /// Queues a raster checkpoint of the session's current state (its lock held), after its ops.
    private func saveCheckpoint(_ live: LiveSession) {
        store.saveCheckpoint(live.document.checkpoint(), seq: live.document.head, for: live.id)
        live.checkpointSeq = live.document.head
    }

    /// Applies one operation to a session (its lock held): sequence, raster, broadcast, persist, observe.
    @discardableResult
    func apply(_ body: Operation.Body, author: String, ref: Int?, in live: LiveSession, now: Double, ackTo peer: Peer?) -> Int {
        let seq = live.document.head + 1
        let op = Operation(seq: seq, author: author, ref: ref, body: body)
        let change = live.document.apply(op)
        let encoded = live.document.encodedOps[seq - 1]
        live.lastActive = now
        heldBytes.locked { $0 += encoded.utf8.count }
        live.broadcast(text: encoded)
        store.append(encoded, seq: seq, to: live.id, at: now) { [weak peer, weak live] in
            if let live { live.lock.locked { live.durableHead = max(live.durableHead, seq) } }
            peer?.send(text: ServerMessage.ack(seq: seq, ref: ref))
        }
        if seq - live.checkpointSeq >= config.checkpointInterval { saveCheckpoint(live) }
        if let observer {
            let document = live.document
            observer.sessionDidApply(AppliedOperation(session: live.id, seq: seq, kind: op.kind,
                canvas: document.canvas, dirty: change.dirty, strokePhase: change.strokePhase,
                sliders: document.sliders, mode: document.mode, appearance: document.appearance))
        }
        return seq
    }
}
