import KeyGateSystem
import KeyGateChannel
import KeyGateSockets
import Synchronization

/// Keeps count, per source address, of what `SourceLimits` bounds: the
/// handshakes in progress, a token bucket of handshake starts, and the
/// grants not yet resumed. Refusals go to the `FailureLog`: one line when a
/// source first meets a limit, then one summary line per source and
/// interval, never one per connection, so a flood cannot fill the disk.
///
/// Memory stays bounded by the sources active now: an address with nothing
/// in progress and a full bucket is forgotten.
final class SourceLimiter: Sendable {
    private struct Source {
        var handshakes = 0
        var grants = 0
        var tokens: Double
        var refilled: ContinuousClock.Instant
    }

    private let currentLimits: Mutex<SourceLimits>
    private let failures: FailureLog
    private let sources = Mutex<[String: Source]>([:])

    init(limits: SourceLimits, failures: FailureLog) {
        currentLimits = Mutex(limits)
        self.failures = failures
    }

    /// The limits in force.
    var limits: SourceLimits { currentLimits.withLock { $0 } }

    /// Puts `limits` in force for the next connections (a configuration
    /// reload); what sources hold now is kept and counted against them.
    func update(_ limits: SourceLimits) {
        currentLimits.withLock { $0 = limits }
    }

    /// Admits a new handshake from `source`, or names the limit it meets.
    /// An admitted handshake must be ended with `handshakeEnded`.
    func admitHandshake(from source: String, now: ContinuousClock.Instant = .now) -> SourceLimits.Limit? {
        let limits = self.limits
        let refusal = sources.withLock { sources -> SourceLimits.Limit? in
            var entry = sources[source] ?? Source(tokens: Double(limits.handshakeBurst), refilled: now)
            defer { sources[source] = entry }
            entry.tokens = min(Double(limits.handshakeBurst), entry.tokens + Self.seconds(now - entry.refilled) * limits.handshakeRate)
            entry.refilled = now
            if entry.handshakes >= limits.handshakesInProgress { return .handshakesInProgress }
            if entry.grants >= limits.unresumedGrants { return .unresumedGrants }
            if entry.tokens < 1 { return .handshakeRate }
            entry.tokens -= 1
            entry.handshakes += 1
            return nil
        }
        if let refusal {
            failures.record(
                refusal.failureKind, from: source, level: .warning, RefusalKind.event,
                RefusalKind.sourceLimit.fields(source: source, detail: "over a per-source limit, its connections are closed")
                    + [("limit", refusal.rawValue), ("value", value(of: refusal))])
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

    /// Forgets the sources with nothing counted and a full bucket. Called
    /// every `FailureLog.interval`.
    func forgetIdleSources(now: ContinuousClock.Instant = .now) {
        let limits = self.limits
        sources.withLock { sources in
            sources = sources.filter { _, entry in
                entry.handshakes > 0 || entry.grants > 0
                    || entry.tokens + Self.seconds(now - entry.refilled) * limits.handshakeRate < Double(limits.handshakeBurst)
            }
        }
    }

    /// The sources tracked now (tests).
    var trackedSourceCount: Int { sources.withLock { $0.count } }

    /// What is counted for `source` now (tests).
    func counts(for source: String) -> (handshakes: Int, grants: Int) {
        sources.withLock { sources in (sources[source]?.handshakes ?? 0, sources[source]?.grants ?? 0) }
    }

    private func value(of limit: SourceLimits.Limit) -> String {
        let limits = self.limits
        switch limit {
        case .handshakesInProgress: return "\(limits.handshakesInProgress)"
        case .handshakeRate: return "\(limits.handshakeRate)/s, burst \(limits.handshakeBurst)"
        case .unresumedGrants: return "\(limits.unresumedGrants)"
        }
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

extension SourceLimits.Limit {
    /// How the failure log counts refusals for this limit.
    var failureKind: FailureLog.Kind {
        switch self {
        case .handshakesInProgress: return FailureLog.Kind("over_limit_handshakes_in_progress")
        case .handshakeRate: return FailureLog.Kind("over_limit_handshake_rate")
        case .unresumedGrants: return FailureLog.Kind("over_limit_unresumed_grants")
        }
    }
}
