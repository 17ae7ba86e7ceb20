import KeyGateSockets
import Synchronization

/// Keeps count, per source address, of what `SourceLimits` bounds: the
/// handshakes in progress, a token bucket of handshake starts, and the
/// grants not yet resumed. Refusals are logged as one line when a source
/// first meets a limit and then one summary line per source per interval,
/// never one per connection, so a flood cannot fill the disk.
///
/// Memory stays bounded by the sources active now: an address with nothing
/// in progress and a full bucket is forgotten.
final class SourceLimiter: Sendable {
    private struct Source {
        var handshakes = 0
        var grants = 0
        var tokens: Double
        var refilled: ContinuousClock.Instant
        /// Refusals since the last report, by limit.
        var refused: [SourceLimits.Limit: Int] = [:]
        /// Whether this source was reported in the current interval.
        var reported = false
    }

    private let limits: SourceLimits
    private let log: Log
    private let sources = Mutex<[String: Source]>([:])
    /// How often a source that keeps meeting limits gets a summary line.
    static let reportInterval: Duration = .seconds(10)

    init(limits: SourceLimits, log: Log) {
        self.limits = limits
        self.log = log
    }

    /// Admits a new handshake from `source`, or names the limit it meets.
    /// An admitted handshake must be ended with `handshakeEnded`.
    func admitHandshake(from source: String, now: ContinuousClock.Instant = .now) -> SourceLimits.Limit? {
        let (refusal, first) = sources.withLock { sources -> (SourceLimits.Limit?, Bool) in
            var entry = sources[source] ?? Source(tokens: Double(limits.handshakeBurst), refilled: now)
            defer { sources[source] = entry }
            let elapsed = now - entry.refilled
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            entry.tokens = min(Double(limits.handshakeBurst), entry.tokens + seconds * limits.handshakeRate)
            entry.refilled = now
            let limit: SourceLimits.Limit?
            if entry.handshakes >= limits.handshakesInProgress {
                limit = .handshakesInProgress
            } else if entry.grants >= limits.unresumedGrants {
                limit = .unresumedGrants
            } else if entry.tokens < 1 {
                limit = .handshakeRate
            } else {
                limit = nil
            }
            guard let limit else {
                entry.tokens -= 1
                entry.handshakes += 1
                return (nil, false)
            }
            entry.refused[limit, default: 0] += 1
            let first = !entry.reported
            if first {
                entry.reported = true
                entry.refused = [:]
            }
            return (limit, first)
        }
        if let refusal, first {
            log.warning("source over limit, closing its connections", [
                "source": source, "limit": refusal.rawValue, "value": "\(value(of: refusal))",
                "next_report_in": "\(Self.reportInterval)",
            ])
        }
        return refusal
    }

    /// A handshake admitted by `admitHandshake` is over.
    func handshakeEnded(from source: String) {
        sources.withLock { sources in
            sources[source]?.handshakes -= 1
        }
    }

    /// A grant was sent to `source`; it is unresumed until `grantSettled`.
    func grantIssued(to source: String) {
        sources.withLock { sources in
            sources[source]?.grants += 1
        }
    }

    /// A grant of `source` was resumed or expired.
    func grantSettled(for source: String) {
        sources.withLock { sources in
            sources[source]?.grants -= 1
        }
    }

    /// Logs one summary line for each source refused since the last call
    /// and forgets idle sources. Called every `reportInterval`.
    func report(now: ContinuousClock.Instant = .now) {
        let summaries = sources.withLock { sources -> [(String, [SourceLimits.Limit: Int])] in
            var summaries: [(String, [SourceLimits.Limit: Int])] = []
            for (address, entry) in sources {
                if !entry.refused.isEmpty { summaries.append((address, entry.refused)) }
                sources[address]?.refused = [:]
                // Quiet for a whole interval: the next refusal is news again.
                sources[address]?.reported = !entry.refused.isEmpty
            }
            sources = sources.filter { _, entry in
                entry.handshakes > 0 || entry.grants > 0 || entry.reported
                    || entry.tokens + Double((now - entry.refilled).components.seconds) * limits.handshakeRate
                        < Double(limits.handshakeBurst)
            }
            return summaries
        }
        for (address, refused) in summaries.sorted(by: { $0.0 < $1.0 }) {
            var fields: [(String, String)] = [("source", address), ("interval", "\(Self.reportInterval)")]
            for limit in SourceLimits.Limit.allCases {
                if let count = refused[limit] { fields.append((limit.rawValue.replacingSpaces, "\(count)")) }
            }
            log.write(.warning, "source still over limit, connections closed", fields: fields)
        }
    }

    /// The sources tracked now (tests).
    var trackedSourceCount: Int { sources.withLock { $0.count } }

    /// What is counted for `source` now (tests).
    func counts(for source: String) -> (handshakes: Int, grants: Int) {
        sources.withLock { sources in (sources[source]?.handshakes ?? 0, sources[source]?.grants ?? 0) }
    }

    private func value(of limit: SourceLimits.Limit) -> String {
        switch limit {
        case .handshakesInProgress: return "\(limits.handshakesInProgress)"
        case .handshakeRate: return "\(limits.handshakeRate)/s, burst \(limits.handshakeBurst)"
        case .unresumedGrants: return "\(limits.unresumedGrants)"
        }
    }
}

private extension String {
    var replacingSpaces: String { String(map { $0 == " " ? "_" : $0 }) }
}
