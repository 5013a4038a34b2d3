import Transport

/// Bytes of partially received WebSocket messages held across every connection of a server, so many
/// clients each sending most of a large message cannot together exhaust memory.
///
/// Each connection reports what it holds after every read; growth past `limit` is refused and that
/// connection is closed (1013), shrinking always succeeds.
final class PartialMessageBudget: Sendable {
    /// The most bytes held at once.
    let limit: Int
    private let held = Locked(0)

    init(limit: Int) { self.limit = limit }

    /// Bytes held now.
    var heldBytes: Int { held.withLock { $0 } }

    /// Moves one connection's holding from `old` to `new` bytes. Returns false, changing nothing, when the
    /// growth would take the total past `limit`.
    func update(from old: Int, to new: Int) -> Bool {
        held.withLock { total in
            guard new <= old || total - old + new <= limit else { return false }
            total += new - old
            return true
        }
    }
}
