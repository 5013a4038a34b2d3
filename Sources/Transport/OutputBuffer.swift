/// Bytes queued for a socket, consumed from the front as the kernel accepts them.
///
/// A contiguous array with a read index, compacted when the consumed prefix dominates, so appending
/// and consuming are amortised O(1) without a ring's wrap-around split writes.
struct OutputBuffer {
    private var storage: [UInt8] = []
    private var readIndex = 0

    var count: Int { storage.count - readIndex }
    var isEmpty: Bool { readIndex == storage.count }

    mutating func append<Bytes: Collection>(contentsOf bytes: Bytes) where Bytes.Element == UInt8 {
        storage.append(contentsOf: bytes)
    }

    /// Calls `body` with the unsent bytes; it returns how many it consumed.
    mutating func withUnsentBytes<T>(_ body: (UnsafeRawBufferPointer) -> T) -> T {
        let start = readIndex
        return storage.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[start...])) }
    }

    mutating func consume(_ count: Int) {
        readIndex += count
        if readIndex == storage.count {
            storage.removeAll(keepingCapacity: storage.capacity <= 1 << 20)
            readIndex = 0
        } else if readIndex > 1 << 16 && readIndex > storage.count / 2 {
            storage.removeFirst(readIndex)
            readIndex = 0
        }
    }

    mutating func removeAll() {
        storage.removeAll()
        readIndex = 0
    }
}
