import FaceModel
import Foundation

/// Recently computed feature maps (`mapper.c(z')`), keyed by component, latent and slider weight, within a byte
/// budget (least recently used out first). Each map keeps the projection it was made from (neighbours, LLE
/// weights, slider), which a `projected_sketch` generator reads too, so a hit needs no second search.
///
/// A stroke usually changes one component, and a slider usually one weight: the other components' maps are
/// identical to the last synthesis and come from here, which skips up to a third of a synthesis' FLOPs (the
/// remainder's mapper alone is ~0.8 GFLOP at 256²). Keys hold the whole latent, so a hit is exact.
/// Thread-safe; maps are values (copy-on-write), so handing one out copies nothing.
final class FeatureMapCache: @unchecked Sendable {
    struct Key: Hashable {
        var component: Int
        var weight: Double
        var latent: [Float]
    }

    /// A component's mapped feature map and the projection it came from.
    struct Value {
        var map: Tensor
        var projection: SketchProjection

        /// Bytes held by the value and its key's latent.
        func bytes(_ key: Key) -> Int {
            (map.data.count + key.latent.count + projection.weights.count) * MemoryLayout<Float>.size
                + projection.neighbours.count * MemoryLayout<Neighbour>.stride
        }
    }

    private struct Entry {
        var value: Value
        var used: UInt64
    }

    let budgetBytes: Int
    private let lock = NSLock()
    private var entries: [Key: Entry] = [:]
    private var bytes = 0
    private var clock: UInt64 = 0
    private(set) var hits = 0
    private(set) var misses = 0

    init(budgetBytes: Int) {
        self.budgetBytes = budgetBytes
    }

    /// The cached value for `key`, or `make()`'s result, remembered.
    func value(for key: Key, make: () -> Value) -> Value {
        if let hit = lock.withLock({ () -> Value? in
            clock += 1
            guard var entry = entries[key] else { misses += 1; return nil }
            entry.used = clock
            entries[key] = entry
            hits += 1
            return entry.value
        }) { return hit }
        let value = make()
        let size = value.bytes(key)
        guard size <= budgetBytes else { return value }
        lock.withLock {
            if entries[key] == nil {
                bytes += size
                entries[key] = Entry(value: value, used: clock)
            }
            while bytes > budgetBytes, let oldest = entries.min(by: { $0.value.used < $1.value.used }) {
                bytes -= oldest.value.value.bytes(oldest.key)
                entries[oldest.key] = nil
            }
        }
        return value
    }

    /// (hits, misses) so far.
    var counts: (hits: Int, misses: Int) { lock.withLock { (hits, misses) } }
}
