import Sessions

/// Whether this node takes sessions, as a pure state machine (the clock is passed in; `NodeRoutes` drives it).
///
/// `serving` → `draining` (health check fails so the proxy stops sending new sessions; `/new` is refused; only
/// the sessions already in memory here are served, for the grace period) → `handingOver` (their clients are
/// closed with 4503 and, once what they sent is committed, their leases released) → `drained` (every session
/// request is refused with 503 until the process stops). A drain is never undone: restart the node to serve again.
struct DrainState: Equatable {
    enum Phase: Equatable {
        case serving
        /// Drain began at `since` (seconds); the hand-over starts at `since + grace`.
        case draining(since: Double)
        case handingOver
        case drained
    }

    private(set) var phase: Phase = .serving
    /// Sessions loaded here when the drain began: the only ones still served while draining.
    private(set) var kept: Set<SessionID> = []

    /// Starts a drain keeping `loaded`; false (nothing changes) when one already began.
    mutating func begin(at now: Double, keeping loaded: Set<SessionID>) -> Bool {
        guard phase == .serving else { return false }
        phase = .draining(since: now)
        kept = loaded
        return true
    }

    /// Moves to the hand-over when the grace has passed; true when it did (the caller hands the kept sessions over).
    mutating func startHandOver(at now: Double, grace: Double) -> Bool {
        guard case .draining(let since) = phase, now >= since + grace else { return false }
        phase = .handingOver
        return true
    }

    /// Every kept session is handed over.
    mutating func finish() {
        guard phase == .handingOver else { return }
        phase = .drained
        kept = []
    }

    /// `/healthz` answers 200 only while serving (and the store is ready).
    var isServing: Bool { phase == .serving }

    /// Whether a request for session `id` is served here: always while serving, only kept sessions while
    /// draining, none from the hand-over on (the session is moving; the client retries through the proxy).
    func admits(_ id: SessionID) -> Bool {
        switch phase {
        case .serving: return true
        case .draining: return kept.contains(id)
        case .handingOver, .drained: return false
        }
    }
}
