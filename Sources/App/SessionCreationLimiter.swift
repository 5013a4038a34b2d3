import Sessions
import Transport

/// How many sessions each source address may create: a token bucket per address (`perMinute` tokens a
/// minute, bursts of `perMinute`), so one client cannot fill `max_sessions` for everyone.
///
/// Pure apart from its lock: the clock is passed in. A bucket untouched for a minute is full again and
/// is forgotten, so memory follows the addresses active within the last minute.
final class SessionCreationLimiter: Sendable {
    /// Creations allowed per minute per address.
    let perMinute: Int
    private let buckets = Locked([String: (bucket: RateLimiter, lastUsed: Double)]())

    init(perMinute: Int) { self.perMinute = perMinute }

    /// Seconds a refused client should wait for its next token (the `Retry-After` value).
    var retryAfterSeconds: Int { max(1, (60 + perMinute - 1) / perMinute) }

    /// Addresses with a bucket now.
    var trackedAddresses: Int { buckets.withLock { $0.count } }

    /// Takes one creation for `address` at `now` (seconds); false when the address is over its rate.
    func allow(_ address: String, now: Double) -> Bool {
        buckets.withLock { buckets in
            if buckets.count >= 1024 { buckets = buckets.filter { now - $0.value.lastUsed < 60 } }
            var bucket = buckets[address]?.bucket ?? RateLimiter(rate: Double(perMinute) / 60, burst: Double(perMinute), now: now)
            let allowed = bucket.take(now: now)
            buckets[address] = (bucket, now)
            return allowed
        }
    }
}
