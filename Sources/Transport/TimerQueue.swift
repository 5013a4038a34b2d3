import Glibc

/// Monotonic time in nanoseconds, the clock every loop timer uses.
public func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// The timers of one event loop: a binary min-heap of deadlines with lazy cancellation.
///
/// Cancelling removes the callback from `callbacks`; the stale heap entry is skipped when it surfaces.
/// Confined to the loop thread.
struct TimerQueue {
    private struct Entry { var deadline: UInt64; var id: UInt64 }
    private var heap: [Entry] = []
    private var callbacks: [UInt64: () -> Void] = [:]

    /// Adds a timer with a caller-reserved `id`, firing at `deadline` (monotonic ns).
    mutating func add(id: UInt64, deadline: UInt64, _ body: @escaping () -> Void) {
        callbacks[id] = body
        heap.append(Entry(deadline: deadline, id: id))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if heap[parent].deadline <= heap[child].deadline { break }
            heap.swapAt(parent, child)
            child = parent
        }
    }

    mutating func cancel(_ id: UInt64) { callbacks[id] = nil }

    /// Milliseconds until the earliest live timer (rounded up), or -1 when none is pending.
    mutating func millisecondsUntilNext(now: UInt64) -> Int32 {
        dropCancelledTop()
        guard let top = heap.first else { return -1 }
        if top.deadline <= now { return 0 }
        return Int32(min((top.deadline - now + 999_999) / 1_000_000, 60_000))
    }

    /// Removes and returns the callbacks of every timer due at `now`, earliest first.
    mutating func takeDue(now: UInt64) -> [() -> Void] {
        var due: [() -> Void] = []
        while let top = heap.first, top.deadline <= now {
            popTop()
            if let body = callbacks.removeValue(forKey: top.id) { due.append(body) }
        }
        return due
    }

    private mutating func dropCancelledTop() {
        while let top = heap.first, callbacks[top.id] == nil { popTop() }
    }

    private mutating func popTop() {
        let last = heap.removeLast()
        guard !heap.isEmpty else { return }
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count && heap[left].deadline < heap[smallest].deadline { smallest = left }
            if right < heap.count && heap[right].deadline < heap[smallest].deadline { smallest = right }
            if smallest == parent { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }

    var isEmpty: Bool { callbacks.isEmpty }
}
