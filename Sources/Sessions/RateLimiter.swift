/// A token bucket: `rate` tokens per second up to `burst`; each message takes one, or its cost in work units.
/// Public so that App reuses it (per-address session creation).
public struct RateLimiter: Sendable {
    public let rate: Double
    public let burst: Double
    private var tokens: Double
    private var updated: Double

    public init(rate: Double, burst: Double, now: Double) {
        self.rate = rate; self.burst = burst
        tokens = burst; updated = now
    }

    /// Takes `amount` tokens if there are that many.
    public mutating func take(_ amount: Double = 1, now: Double) -> Bool {
        guard has(amount, now: now) else { return false }
        tokens -= amount
        return true
    }

    /// True when `amount` tokens are there now (takes nothing).
    public mutating func has(_ amount: Double, now: Double) -> Bool {
        tokens = min(burst, tokens + max(0, now - updated) * rate)
        updated = now
        return tokens >= amount
    }
}
