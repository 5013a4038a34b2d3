import Foundation

/// The queue between a store's callers and its storage thread, shared by the SQLite and PostgreSQL stores:
/// callers queue writes without waiting; the thread takes everything queued as one batch (group commit) or one
/// write at a time, commits, and reports the outcome; a failed batch goes back to the front, in order. Counts the
/// bytes not yet committed (`backlogBytes`), and lets `flush` and `close` wait for the thread.
public final class WriterQueue<Write> {
    private let condition = NSCondition()
    private var items: [Write] = []
    private var writing = false
    private var stopping = false
    private var stopped = false
    private var started = false
    private var failures = 0
    private var unsaved = 0
    private let size: (Write) -> Int

    /// `size`: the bytes a write adds to the backlog.
    public init(size: @escaping (Write) -> Int) { self.size = size }

    /// Starts the storage thread running `loop` (which calls `next` until it returns nil).
    public func start(name: String, _ loop: @escaping @Sendable () -> Void) {
        locked { started = true }
        let thread = Thread(block: loop)
        thread.name = name
        thread.start()
    }

    /// Bytes queued or being written but not yet committed.
    public var backlogBytes: Int { locked { unsaved } }

    /// Runs `body` under the queue's lock (for state a store keeps consistent with what it queues).
    public func locked<T>(_ body: () throws -> T) rethrows -> T {
        condition.lock(); defer { condition.unlock() }
        return try body()
    }

    /// Queues the writes `make` returns, built under the lock (so they can read state `locked` guards).
    public func enqueue(_ make: () -> [Write]) {
        condition.lock()
        let writes = make()
        items += writes
        unsaved += writes.reduce(0) { $0 + size($1) }
        condition.signal()
        condition.unlock()
    }

    /// Queues one write.
    public func enqueue(_ write: Write) { enqueue { [write] } }

    /// The storage thread's next batch: everything queued (`groupCommit`) or the oldest write. Waits for one,
    /// or at most `wakeEvery` seconds when set (then the batch may be empty: time for housekeeping). Nil once
    /// `close` was called and everything is written: the thread ends.
    public func next(groupCommit: Bool, wakeEvery: Double? = nil) -> [Write]? {
        condition.lock(); defer { condition.unlock() }
        if items.isEmpty && !stopping {
            if let wakeEvery { _ = condition.wait(until: Date(timeIntervalSinceNow: wakeEvery)) } else { condition.wait() }
        }
        if items.isEmpty && stopping {
            stopped = true
            condition.broadcast()
            return nil
        }
        let batch: [Write]
        if groupCommit || items.isEmpty { batch = items; items = [] } else { batch = [items.removeFirst()] }
        writing = !batch.isEmpty
        return batch
    }

    /// The batch `next` gave was committed.
    public func committed(_ batch: [Write]) {
        condition.lock()
        failures = 0
        writing = false
        unsaved -= batch.reduce(0) { $0 + size($1) }
        condition.broadcast()
        condition.unlock()
    }

    /// The batch `next` gave failed: it goes back to the front, in order (a gap in a log would end replay
    /// there). Returns the number of failures in a row (for backoff), or nil when the queue is closing and three
    /// tries failed: the batch is dropped.
    public func failed(_ batch: [Write]) -> Int? {
        condition.lock(); defer { condition.unlock() }
        writing = false
        failures += 1
        defer { condition.broadcast() }
        guard !stopping || failures < 3 else {
            unsaved -= batch.reduce(0) { $0 + size($1) }
            return nil
        }
        items.insert(contentsOf: batch, at: 0)
        return failures
    }

    /// Blocks until everything queued so far is committed.
    public func flush() {
        condition.lock()
        while !items.isEmpty || writing { condition.wait() }
        condition.unlock()
    }

    /// Lets the storage thread write what is queued and end; blocks until it has (at once when none started).
    public func close() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while started && !stopped { condition.wait() }
        condition.unlock()
    }
}
