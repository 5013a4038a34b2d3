import Dispatch
import Foundation
import Logging
import Sessions
import Transport

/// The threaded shell of `DrainState`: begins a drain (`SIGUSR1`, `POST /admin/drain`), and after the grace hands
/// every session kept here over — on each session's own queue its clients are closed with 4503 (so a connection
/// being set up on that queue either joins before and is closed, or sees the drain and is refused), then
/// `SessionHub.handOver` unloads them and, once everything they accepted is committed, releases their leases
/// (PostgreSQL) so the next node takes them over from the store at once.
final class Drain: @unchecked Sendable {
    private let state = Locked(DrainState())
    private let hub: SessionHub
    private let queues: SessionQueues
    private let grace: Double
    private let logger: Logger
    private let worker = DispatchQueue(label: "drain")
    private let clock: () -> Double
    init(hub: SessionHub, queues: SessionQueues, graceMilliseconds: Int, logger: Logger,
         clock: @escaping () -> Double = { Date().timeIntervalSince1970 }) {
        self.hub = hub
        self.queues = queues
        grace = Double(graceMilliseconds) / 1000
        self.logger = logger
        self.clock = clock
    }

    /// The current phase.
    var phase: DrainState.Phase { state.withLock { $0.phase } }

    /// True while this node takes new sessions.
    var isServing: Bool { state.withLock { $0.isServing } }

    /// Whether a request for session `id` is served here now.
    func admits(_ id: SessionID) -> Bool { state.withLock { $0.admits(id) } }

    /// Begins a drain; false when one already began.
    @discardableResult
    func begin() -> Bool {
        let loaded = Set(hub.sessionIDs.filter { hub.isLoaded($0) })
        guard state.withLock({ $0.begin(at: clock(), keeping: loaded) }) else { return false }
        logger.notice("drain: started; no new sessions", metadata: ["sessions": "\(loaded.count)", "grace_ms": "\(Int(grace * 1000))"])
        worker.asyncAfter(deadline: .now() + grace) { [self] in handOver() }
        return true
    }

    private func handOver() {
        guard state.withLock({ $0.startHandOver(at: clock(), grace: grace) }) else { return }
        let ids = state.withLock { $0.kept }
        let closed = DispatchGroup()
        for id in ids {
            closed.enter()
            queues.queue(for: id).async { [hub] in
                hub.closeConnections(of: id, code: .sessionMoved, reason: "this server is draining")
                closed.leave()
            }
        }
        closed.notify(queue: worker) { [self] in
            // Unloads every session and releases every lease once what they wrote is committed (blocks until then).
            hub.handOver()
            state.withLock { $0.finish() }
            logger.notice("drain: done; every session handed over", metadata: ["sessions": "\(ids.count)"])
        }
    }
}
