/// Scratch memory for running networks: activation buffers and an im2col column buffer. Grows to
/// the largest network it has run and is then reused without allocating. Not thread-safe: give
/// each worker thread (or each concurrent caller) its own workspace.
public final class Workspace {
    private(set) var buffers: [UnsafeMutablePointer<Float>] = []
    private(set) var bufferFloats = 0
    private(set) var columns = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private(set) var columnCapacity = 1
    /// Times memory was (re)allocated; tests assert it stops growing after the first synthesis.
    public private(set) var allocations = 0

    public init() {}

    /// Bytes currently held.
    public var bytes: Int { (buffers.count * bufferFloats + columnCapacity) * 4 }

    func reserve(buffers count: Int, floats: Int, columns columnsNeeded: Int) {
        if floats > bufferFloats {
            for b in buffers { b.deallocate() }
            buffers = (0..<max(count, buffers.count)).map { _ in UnsafeMutablePointer<Float>.allocate(capacity: floats) }
            bufferFloats = floats
            allocations += 1
        } else if count > buffers.count {
            buffers += (buffers.count..<count).map { _ in UnsafeMutablePointer<Float>.allocate(capacity: bufferFloats) }
            allocations += 1
        }
        if columnsNeeded > columnCapacity {
            columns.deallocate()
            columns = UnsafeMutablePointer<Float>.allocate(capacity: columnsNeeded)
            columnCapacity = columnsNeeded
            allocations += 1
        }
    }

    deinit {
        for b in buffers { b.deallocate() }
        columns.deallocate()
    }
}
