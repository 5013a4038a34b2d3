import Glibc

/// Threads for CPU-heavy work (inference, image encoding) so event loops never block.
///
/// `submit` runs the work on a pool thread and delivers the result back on the event loop the caller
/// names, typically the connection's loop, where it may touch connection state again.
// @unchecked: the queue and flags are guarded by the pthread mutex and condition variable.
public final class WorkerPool: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    private var queue: [() -> Void] = []
    private var head = 0
    private var running = true
    private var threads: [pthread_t] = []

    /// Starts `threads` worker threads (at least one).
    public init(threads count: Int) {
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
        for _ in 0..<max(1, count) {
            var thread = pthread_t()
            let box = Unmanaged.passRetained(self)
            pthread_create(&thread, nil, { raw in
                let pool = Unmanaged<WorkerPool>.fromOpaque(raw!).takeRetainedValue()
                pool.work()
                return nil
            }, box.toOpaque())
            threads.append(thread)
        }
    }

    /// Runs `work` on a pool thread, then `completion` with its result on `loop`.
    public func submit<Result>(_ work: @escaping () -> Result, deliverOn loop: EventLoop,
                               _ completion: @escaping (Result) -> Void) {
        enqueue {
            let result = work()
            loop.execute { completion(result) }
        }
    }

    /// Runs `work` on a pool thread with no completion.
    public func submit(_ work: @escaping () -> Void) { enqueue(work) }

    /// Jobs waiting for a thread.
    public var queuedJobs: Int {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return queue.count - head
    }

    /// Finishes queued jobs, then stops and joins the threads.
    public func shutdown() {
        pthread_mutex_lock(&mutex)
        running = false
        pthread_cond_broadcast(&condition)
        pthread_mutex_unlock(&mutex)
        for thread in threads { pthread_join(thread, nil) }
        threads.removeAll()
    }

    private func enqueue(_ job: @escaping () -> Void) {
        pthread_mutex_lock(&mutex)
        queue.append(job)
        pthread_cond_signal(&condition)
        pthread_mutex_unlock(&mutex)
    }

    private func work() {
        while true {
            pthread_mutex_lock(&mutex)
            while head == queue.count && running { pthread_cond_wait(&condition, &mutex) }
            if head == queue.count {
                pthread_mutex_unlock(&mutex)
                return
            }
            let job = queue[head]
            head += 1
            if head > 1024 && head * 2 > queue.count {
                queue.removeFirst(head)
                head = 0
            }
            pthread_mutex_unlock(&mutex)
            job()
        }
    }
}
