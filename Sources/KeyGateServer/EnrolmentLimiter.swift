import Synchronization

/// Failed enrolments per source address: each address may fail
/// `burst` times, then about once per `refill`; beyond that its requests are
/// refused before any token is looked at. Tokens have 160 bits, so the
/// limit is not what keeps guessing hopeless; it keeps one address from
/// filling the log and the disk lock with attempts.
final class EnrolmentLimiter: Sendable {
    let burst: Int
    let refill: Duration
    /// At most this many addresses are remembered; the longest quiet goes first.
    let maximumSources: Int
    private let state = Mutex<[String: Bucket]>([:])

    private struct Bucket {
        var failures: Double
        var updated: ContinuousClock.Instant
    }

    init(burst: Int = 5, refill: Duration = .seconds(60), maximumSources: Int = 10_000) {
        self.burst = burst
        self.refill = refill
        self.maximumSources = maximumSources
    }

    /// Whether `source` may try an enrolment now.
    func mayTry(from source: String, now: ContinuousClock.Instant = .now) -> Bool {
        state.withLock { buckets in
            guard var bucket = buckets[source] else { return true }
            Self.drain(&bucket, now: now, refill: refill)
            buckets[source] = bucket
            // Failures drain continuously, so the count right after the
            // burst-th failure is a hair below `burst`: the half is margin.
            return bucket.failures < Double(burst) - 0.5
        }
    }

    /// Counts a failed enrolment from `source`.
    func recordFailure(from source: String, now: ContinuousClock.Instant = .now) {
        state.withLock { buckets in
            var bucket = buckets[source] ?? Bucket(failures: 0, updated: now)
            Self.drain(&bucket, now: now, refill: refill)
            bucket.failures += 1
            buckets[source] = bucket
            if buckets.count > maximumSources, let quietest = buckets.min(by: { $0.value.updated < $1.value.updated }) {
                buckets[quietest.key] = nil
            }
        }
    }

    private static func drain(_ bucket: inout Bucket, now: ContinuousClock.Instant, refill: Duration) {
        let elapsed = now - bucket.updated
        let perRefill = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let refillSeconds = Double(refill.components.seconds) + Double(refill.components.attoseconds) * 1e-18
        bucket.failures = max(0, bucket.failures - perRefill / refillSeconds)
        bucket.updated = now
    }
}
