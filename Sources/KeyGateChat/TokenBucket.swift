/// A token bucket: `burst` messages at once, then `ratePerSecond` a second
/// on average (the flood control of one chat member).
struct TokenBucket: Sendable {
    let ratePerSecond: Double
    let burst: Double
    private var tokens: Double
    private var last: ContinuousClock.Instant

    /// A bucket that starts full; a rate of 0 never refuses.
    init(ratePerSecond: Int, burst: Int, now: ContinuousClock.Instant = .now) {
        self.ratePerSecond = Double(ratePerSecond)
        self.burst = Double(max(1, burst))
        tokens = self.burst
        last = now
    }

    /// Takes one token. Returns nil when there was one, else how long until
    /// there will be.
    mutating func take(now: ContinuousClock.Instant = .now) -> Duration? {
        guard ratePerSecond > 0 else { return nil }
        let elapsed = now - last
        last = now
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        tokens = min(burst, tokens + seconds * ratePerSecond)
        guard tokens >= 1 else {
            let wait = (1 - tokens) / ratePerSecond
            return .milliseconds(Int((wait * 1000).rounded(.up)))
        }
        tokens -= 1
        return nil
    }
}
