import FaceModel
import Foundation

/// Recently computed feature maps (`mapper.c(z')`), keyed by component, latent and slider weight, within a byte
/// budget (least recently used out first).
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

    private struct Entry {
        var map: Tensor
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

    /// The cached map for `key`, or `make()`'s result, remembered.
    func map(for key: Key, make: () -> Tensor) -> Tensor {
        if let hit = lock.withLock({ () -> Tensor? in
            clock += 1
            guard var entry = entries[key] else { misses += 1; return nil }
            entry.used = clock
            entries[key] = entry
            hits += 1
            return entry.map
        }) { return hit }
        let map = make()
        let size = map.data.count * MemoryLayout<Float>.size + key.latent.count * MemoryLayout<Float>.size
        guard size <= budgetBytes else { return map }
        lock.withLock {
            if entries[key] == nil {
                bytes += size
                entries[key] = Entry(map: map, used: clock)
            }
            while bytes > budgetBytes, let oldest = entries.min(by: { $0.value.used < $1.value.used }) {
                bytes -= oldest.value.map.data.count * MemoryLayout<Float>.size + oldest.key.latent.count * MemoryLayout<Float>.size
                entries[oldest.key] = nil
            }
        }
        return map
    }

    /// (hits, misses) so far.
    var counts: (hits: Int, misses: Int) { lock.withLock { (hits, misses) } }
}
