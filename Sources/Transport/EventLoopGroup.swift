import Glibc

/// A fixed set of event loops; accepted connections are spread over them round-robin.
public final class EventLoopGroup: Sendable {
    /// The loops, each with its own thread.
    public let loops: [EventLoop]
    private let cursor = Locked(0)

    /// Starts `count` loop threads (at least one). Also ignores SIGPIPE for the process: a peer that
    /// vanishes mid-write must surface as EPIPE on that connection, not kill the server.
    public init(count: Int = 2) throws {
        signal(SIGPIPE, SIG_IGN)
        loops = try (0..<max(1, count)).map { try EventLoop(name: "loop-\($0)") }
    }

    /// The next loop in round-robin order.
    public func next() -> EventLoop {
        let index = cursor.withLock { value -> Int in
            defer { value = (value + 1) % loops.count }
            return value
        }
        return loops[index]
    }

    /// Closes every connection with `CloseReason.shutdown` (flushing queued output), waits up to
    /// `graceMilliseconds` for them to finish, then stops the loop threads.
    public func shutdown(graceMilliseconds: Int = 1_000) {
        for loop in loops {
            loop.execute { for connection in loop.connections { connection.shutdownClose() } }
        }
        let deadline = monotonicNanoseconds() + UInt64(graceMilliseconds) * 1_000_000
        while monotonicNanoseconds() < deadline {
            let remaining = Locked(0)
            let done = Locked(0)
            for loop in loops {
                loop.execute {
                    remaining.withLock { $0 += loop.connections.count }
                    done.withLock { $0 += 1 }
                }
            }
            while done.withLock({ $0 }) < loops.count { usleep(1_000) }
            if remaining.withLock({ $0 }) == 0 { break }
            usleep(10_000)
        }
        for loop in loops { loop.shutdown() }
    }
}
