import Glibc

/// A pthread mutex guarding a value; the only shared-state primitive Transport uses.
///
/// Event-loop state is confined to its loop thread; a `Locked` value is for the few things
/// several threads really share (a loop's pending-task list, the connection count, the worker queue).
// @unchecked: the mutex serialises every access to `value`; that is the point of the type.
public final class Locked<Value>: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var value: Value

    public init(_ value: Value) {
        self.value = value
        pthread_mutex_init(&mutex, nil)
    }

    deinit { pthread_mutex_destroy(&mutex) }

    /// Runs `body` with exclusive access to the value.
    @discardableResult
    public func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body(&value)
    }
}
