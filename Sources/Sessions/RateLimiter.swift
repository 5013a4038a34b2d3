/// A token bucket: `rate` tokens per second up to `burst`; each message takes one.
public struct RateLimiter: Sendable {
    public let rate: Double
    public let burst: Double
    private var tokens: Double
    private var updated: Double

    public init(rate: Double, burst: Double, now: Double) {
        self.rate = rate; self.burst = burst
        tokens = burst; updated = now
    }

    /// Takes a token if there is one.
    public mutating func take(now: Double) -> Bool {
        tokens = min(burst, tokens + max(0, now - updated) * rate)
        updated = now
        if tokens >= 1 { tokens -= 1; return true }
        return false
    }

    /// True when the bucket has refilled completely (the client calmed down).
    public var isFull: Bool { tokens >= burst }
}
