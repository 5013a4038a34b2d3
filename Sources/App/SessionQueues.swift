import Dispatch
import Foundation
import Sessions

/// Serial queues that run session work off the event loops, one per session: a heavy message (a wide stroke,
/// an undo) delays its own session only, never accepting connections, HTTP or other sessions. Each session's
/// messages keep their order (one serial queue), and a session never holds more than one worker thread.
final class SessionQueues: @unchecked Sendable {
    private let lock = NSLock()
    private var queues: [SessionID: DispatchQueue] = [:]
    private let target = DispatchQueue(label: "sessions", qos: .userInitiated, attributes: .concurrent)

    /// The queue of one session (created on first use).
    func queue(for id: SessionID) -> DispatchQueue {
        lock.lock(); defer { lock.unlock() }
        if let queue = queues[id] { return queue }
        let queue = DispatchQueue(label: "session", target: target)
        queues[id] = queue
        return queue
    }

    /// Forgets an expired session's queue.
    func remove(_ id: SessionID) {
        lock.lock(); defer { lock.unlock() }
        queues[id] = nil
    }
}
