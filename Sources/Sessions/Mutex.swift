import Foundation

/// A value behind a mutex.
final class Locked<Value>: @unchecked Sendable {
    private let mutex = Mutex()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func locked<T>(_ body: (inout Value) throws -> T) rethrows -> T { try mutex.locked { try body(&value) } }
}

/// A mutex with a closure-scoped `locked`, over Foundation's `NSLock` (recursive when asked).
final class Mutex: @unchecked Sendable {
    private let plain: NSLock?
    private let recursive: NSRecursiveLock?

    init(recursive: Bool = false) {
        if recursive { self.recursive = NSRecursiveLock(); plain = nil } else { plain = NSLock(); self.recursive = nil }
    }

    @inline(__always)
    func locked<T>(_ body: () throws -> T) rethrows -> T {
        if let plain { plain.lock(); defer { plain.unlock() }; return try body() }
        recursive!.lock(); defer { recursive!.unlock() }
        return try body()
    }
}
