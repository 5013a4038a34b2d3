import Dispatch
import Foundation
import Logging
import Sessions
import Transport

/// The threaded shell of `DrainState`: begins a drain (`SIGUSR1`, `POST /admin/drain`), and after the grace hands
/// every session kept here over — on each session's own queue its clients are closed with 4503 (so a connection
/// being set up on that queue either joins before and is closed, or sees the drain and is refused), then, once
/// everything it accepted is committed, `release` gives up its ownership (the PostgreSQL lease) so the next node
/// takes it over from the store.
final class Drain: @unchecked Sendable {
    private let state = Locked(DrainState())
    private let hub: SessionHub
    private let queues: SessionQueues
    private let grace: Double
    private let release: (SessionID) -> Void
    private let logger: Logger
    private let worker = DispatchQueue(label: "drain")
    private let clock: () -> Double
    /// How long the hand-over waits for the store to commit what the sessions accepted before giving up on the
    /// rest (their ownership then lapses at its expiry instead of being released).
    static let commitWaitSeconds = 10.0

    init(hub: SessionHub, queues: SessionQueues, graceMilliseconds: Int, logger: Logger,
         clock: @escaping () -> Double = { Date().timeIntervalSince1970 }, release: @escaping (SessionID) -> Void) {
        self.hub = hub
        self.queues = queues
        grace = Double(graceMilliseconds) / 1000
        self.logger = logger
        self.clock = clock
        self.release = release
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
        let heads = Locked([SessionID: Int]())
        for id in ids {
            closed.enter()
            queues.queue(for: id).async { [hub] in
                if let head = hub.closeConnections(of: id, code: .sessionMoved, reason: "session moved to another node") {
                    heads.withLock { $0[id] = head }
                }
                closed.leave()
            }
        }
        closed.notify(queue: worker) { [self] in
            waitForCommits(heads.withLock { $0 }, deadline: clock() + Drain.commitWaitSeconds)
        }
    }

    /// Releases each session once its head is committed; polls the rest.
    private func waitForCommits(_ waiting: [SessionID: Int], deadline: Double) {
        var rest = waiting
        for (id, head) in waiting where (hub.durableHead(of: id) ?? head) >= head {
            release(id)
            rest[id] = nil
        }
        if !rest.isEmpty && clock() < deadline {
            let remaining = rest
            worker.asyncAfter(deadline: .now() + 0.02) { [self] in waitForCommits(remaining, deadline: deadline) }
            return
        }
        if !rest.isEmpty {
            logger.error("drain: sessions not committed in time; their ownership lapses at expiry instead",
                         metadata: ["sessions": "\(rest.keys.map(\.logName).sorted())"])
        }
        state.withLock { $0.finish() }
        logger.notice("drain: done; every session handed over", metadata: ["sessions": "\(waiting.count - rest.count)"])
    }
}
