import Dispatch

/// Finds sessions another node created (`SessionHub.discover`, one indexed read of a store shared by nodes) off
/// the caller's thread, so a slow or unreachable database never stalls an event loop, and bounds what unknown ids
/// cost: lookups run one at a time on their own queue, requests for an id already being looked up wait for that
/// lookup, an id found missing is answered from memory for `missTTL` seconds, and at most `maxPending` ids wait
/// for a lookup (more are answered `.busy` at once). So a flood of unknown ids costs at most one read per id per
/// `missTTL`, one database connection's time, and bounded memory.
public final class SessionDiscovery: @unchecked Sendable {
    /// What a lookup found.
    public enum Outcome: Sendable, Equatable {
        /// The session is registered on this node (it was, or the store has it).
        case found
        /// Neither this node nor the store knows it.
        case unknown
        /// Too many lookups are waiting: try again shortly (HTTP 503 with `Retry-After`).
        case busy
    }

    private let hub: SessionHub
    private let clock: () -> Double
    private let missTTL: Double
    private let maxPending: Int
    private let maxMisses: Int
    private let queue = DispatchQueue(label: "session-discovery", qos: .userInitiated)
    private let lock = Mutex()
    /// Ids found missing → when that answer expires.
    private var misses: [SessionID: Double] = [:]
    /// Ids being looked up (or waiting to be) → who waits for the answer.
    private var waiting: [SessionID: [@Sendable (Outcome) -> Void]] = [:]

    /// Looks sessions up for `hub`; `clock` is wall-clock seconds (injected so tests control the cache).
    public init(hub: SessionHub, missTTL: Double = 2, maxPending: Int = 64, maxMisses: Int = 100_000,
                clock: @escaping () -> Double = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }) {
        self.hub = hub
        self.clock = clock
        self.missTTL = missTTL
        self.maxPending = maxPending
        self.maxMisses = maxMisses
    }

    /// Calls `done` with whether session `id` exists: at once (on this thread) when the answer needs no read — the
    /// session is registered, the store is this node's alone, the id was found missing lately, or too many ids
    /// wait — else from the discovery queue after the read.
    public func find(_ id: SessionID, then done: @escaping @Sendable (Outcome) -> Void) {
        if hub.contains(id) { return done(.found) }
        if !hub.store.sharedByNodes { return done(.unknown) }
        let now = clock()
        let immediate: Outcome? = lock.locked {
            if let expiry = misses[id] {
                if now < expiry { return .unknown }
                misses[id] = nil
            }
            if waiting[id] != nil {
                waiting[id]!.append(done)
                return nil
            }
            guard waiting.count < maxPending else { return .busy }
            waiting[id] = [done]
            queue.async { [self] in lookUp(id) }
            return nil
        }
        if let immediate { done(immediate) }
    }

    /// Number of ids remembered as missing (tests).
    var missCount: Int { lock.locked { misses.count } }

    private func lookUp(_ id: SessionID) {
        let found = hub.discover(id)
        let waiters: [@Sendable (Outcome) -> Void] = lock.locked {
            if !found {
                if misses.count >= maxMisses {
                    let now = clock()
                    misses = misses.filter { $0.value > now }
                    if misses.count >= maxMisses { misses.removeAll() }
                }
                misses[id] = clock() + missTTL
            }
            return waiting.removeValue(forKey: id) ?? []
        }
        for done in waiters { done(found ? .found : .unknown) }
    }
}
