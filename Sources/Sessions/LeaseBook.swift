/// The leases one node holds on sessions of a shared store, and when each must be renewed or counts as lost:
/// the pure part of ownership (docs/SESSIONS.md, "Leases and fencing"). The store's storage thread drives it
/// with a monotonic clock; the database stays the judge (every write is conditional on the epoch), this book
/// only decides what to renew and when the node must stop believing it owns a session.
public struct LeaseBook: Sendable {
    /// One held lease.
    public struct Lease: Equatable, Sendable {
        /// The epoch the database gave this node when it took the lease (every write names it).
        public var epoch: Int
        /// Local monotonic time until which the lease is surely still valid in the database: the time the
        /// take or renewal was *sent* plus the lease length (the database's expiry is at least that late).
        public var validUntil: Double
    }

    /// Lease length in seconds.
    public let seconds: Double
    private(set) public var leases: [SessionID: Lease] = [:]
    private var lastRenewal: Double

    public init(seconds: Double, now: Double) {
        self.seconds = seconds
        lastRenewal = now
    }

    /// Renewals run every third of the lease length, so two may fail before the lease runs out.
    public var renewInterval: Double { seconds / 3 }

    /// The epoch held for `id`, nil when this node does not own it.
    public func epoch(of id: SessionID) -> Int? { leases[id]?.epoch }

    /// Records a lease taken with a request sent at `sentAt`.
    public mutating func taken(_ id: SessionID, epoch: Int, sentAt: Double) {
        leases[id] = Lease(epoch: epoch, validUntil: sentAt + seconds)
    }

    /// Drops a lease (released, or lost); returns it when it was held.
    @discardableResult
    public mutating func drop(_ id: SessionID) -> Lease? { leases.removeValue(forKey: id) }

    /// Drops the lease only when it is still the one of `epoch` (a refusal of an older epoch's write is no news);
    /// returns whether it was.
    public mutating func lose(_ id: SessionID, epoch: Int) -> Bool {
        guard leases[id]?.epoch == epoch else { return false }
        leases[id] = nil
        return true
    }

    /// True when a renewal round is due.
    public func renewalDue(now: Double) -> Bool { !leases.isEmpty && now - lastRenewal >= renewInterval }

    /// What to renew now: every held lease with its epoch (the round counts as started).
    public mutating func startRenewal(now: Double) -> [(SessionID, Int)] {
        lastRenewal = now
        return leases.map { ($0.key, $0.value.epoch) }.sorted { $0.0.text < $1.0.text }
    }

    /// Applies a renewal round sent at `sentAt` for `asked`: the sessions in `renewed` are extended, the others
    /// (the database refused: another node took them, or they had expired there) are lost and returned.
    public mutating func finishRenewal(asked: [(SessionID, Int)], renewed: Set<SessionID>, sentAt: Double) -> [SessionID] {
        var lost = [SessionID]()
        for (id, epoch) in asked where leases[id]?.epoch == epoch {
            if renewed.contains(id) { leases[id]?.validUntil = sentAt + seconds } else { leases[id] = nil; lost.append(id) }
        }
        return lost
    }

    /// Drops and returns the leases whose validity ran out locally (renewals failed for a whole lease length:
    /// the database may already have given them to another node).
    public mutating func expire(now: Double) -> [SessionID] {
        let gone = leases.filter { $0.value.validUntil <= now }.map(\.key).sorted { $0.text < $1.text }
        for id in gone { leases[id] = nil }
        return gone
    }
}
