import CLinux
import Glibc

/// Something registered with an event loop that reacts to epoll readiness.
protocol EventSource: AnyObject {
    /// Called on the loop thread with the epoll event mask (EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP…).
    func handleEvents(_ events: UInt32)
}

/// A cancellable timer created by `EventLoop.scheduleTimer`.
public struct LoopTimer: Sendable {
    let loop: EventLoop
    let id: UInt64

    /// Cancels the timer if it has not fired yet. Safe from any thread.
    public func cancel() {
        if loop.inEventLoop {
            loop.timers.cancel(id)
        } else {
            let loop = self.loop, id = self.id
            loop.execute { loop.timers.cancel(id) }
        }
    }
}

/// One epoll event-loop thread.
///
/// Everything registered on a loop (listeners, connections, timers) runs on its thread only, so their state
/// needs no locks. Other threads hand work over with `execute`, which queues a closure and wakes the loop
/// through an eventfd.
// @unchecked: loop state is touched only on the loop thread; the task queue handed over by `execute` is `Locked`.
public final class EventLoop: @unchecked Sendable {
    /// A short name for logs and the thread ("loop-0").
    public let name: String
    private let epollFD: Int32
    private let wakeFD: Int32
    private var sources: [Int32: EventSource] = [:]
    private let pending = Locked<[() -> Void]>([])
    fileprivate var timers = TimerQueue()
    private var thread = pthread_t()
    private let threadID = Locked<pthread_t?>(nil)
    private let running = Locked(true)
    private let nextTimerID = Locked<UInt64>(1)
    /// Scratch space for socket reads; connections of this loop share it (reads never nest).
    let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)

    /// Creates the loop and starts its thread.
    public init(name: String) throws {
        self.name = name
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epollFD >= 0 else { throw TransportError.system(call: "epoll_create1", errno: errno) }
        wakeFD = eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC))
        guard wakeFD >= 0 else { throw TransportError.system(call: "eventfd", errno: errno) }
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.fd = wakeFD
        epoll_ctl(epollFD, EPOLL_CTL_ADD, wakeFD, &event)
        let box = Unmanaged.passRetained(self)
        let created = pthread_create(&thread, nil, { raw in
            let loop = Unmanaged<EventLoop>.fromOpaque(raw!).takeRetainedValue()
            loop.run()
            return nil
        }, box.toOpaque())
        guard created == 0 else {
            box.release()
            throw TransportError.system(call: "pthread_create", errno: created)
        }
    }

    /// Whether the caller runs on this loop's thread.
    public var inEventLoop: Bool {
        guard let id = threadID.withLock({ $0 }) else { return false }
        return pthread_equal(id, pthread_self()) != 0
    }

    /// Runs `work` on the loop thread, soon. Safe from any thread; the closure runs in submission order.
    public func execute(_ work: @escaping () -> Void) {
        let wasEmpty = pending.withLock { list -> Bool in
            list.append(work)
            return list.count == 1
        }
        if wasEmpty { wake() }
    }

    /// Runs `body` on the loop thread after `milliseconds`. Safe from any thread.
    @discardableResult
    public func scheduleTimer(afterMilliseconds milliseconds: Int, _ body: @escaping () -> Void) -> LoopTimer {
        let deadline = monotonicNanoseconds() + UInt64(max(0, milliseconds)) * 1_000_000
        let id = nextTimerID.withLock { next -> UInt64 in
            defer { next += 1 }
            return next
        }
        if inEventLoop {
            timers.add(id: id, deadline: deadline, body)
            return LoopTimer(loop: self, id: id)
        }
        // Off the loop the timer is added by a queued closure; a cancel from off the loop is queued behind it.
        execute { [self] in timers.add(id: id, deadline: deadline, body) }
        return LoopTimer(loop: self, id: id)
    }

    /// Stops the loop thread after the closures already queued have run, and waits for it to finish.
    /// Registered sources are not closed here; their owners close them first.
    public func shutdown() {
        running.withLock { $0 = false }
        wake()
        if !inEventLoop { pthread_join(thread, nil) }
    }

    // MARK: registration (loop thread only)

    func register(_ source: EventSource, fd: Int32, events: UInt32) {
        sources[fd] = source
        var event = epoll_event()
        event.events = events
        event.data.fd = fd
        epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event)
    }

    func modify(fd: Int32, events: UInt32) {
        var event = epoll_event()
        event.events = events
        event.data.fd = fd
        epoll_ctl(epollFD, EPOLL_CTL_MOD, fd, &event)
    }

    func deregister(fd: Int32) {
        sources[fd] = nil
        epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, nil)
    }

    /// The open connections of this loop (loop thread only).
    var connections: [Connection] { sources.values.compactMap { $0 as? Connection } }

    // MARK: the loop

    private func wake() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    private func run() {
        threadID.withLock { $0 = pthread_self() }
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        while running.withLock({ $0 }) {
            let timeout = timers.millisecondsUntilNext(now: monotonicNanoseconds())
            let count = epoll_wait(epollFD, &events, Int32(events.count), timeout)
            if count < 0 && errno != EINTR { break }
            for index in 0..<Int(max(0, count)) {
                let fd = events[index].data.fd
                if fd == wakeFD {
                    var value: UInt64 = 0
                    _ = read(wakeFD, &value, 8)
                    continue
                }
                sources[fd]?.handleEvents(events[index].events)
            }
            runPending()
            for body in timers.takeDue(now: monotonicNanoseconds()) { body() }
            runPending()
        }
        runPending()
        sources.removeAll()
        close(epollFD)
        close(wakeFD)
    }

    private func runPending() {
        while true {
            let batch = pending.withLock { list -> [() -> Void] in
                defer { list.removeAll(keepingCapacity: true) }
                return list
            }
            if batch.isEmpty { return }
            for work in batch { work() }
        }
    }
}
