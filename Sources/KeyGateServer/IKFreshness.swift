import KeyGateSystem
import KeyGateChannel
import KeyGateCrypto
import Synchronization

/// Keeps IK message 1s from being replayed (PROTOCOL.md section 3.3), as
/// WireGuard does with its timestamps: a message must be dated within the
/// skew limit of the server's clock, and its ephemeral key must not have
/// been seen while that could still be true.
///
/// Every ephemeral key of an allowed key that passes the replay check is
/// remembered, refused for skew or not, until its timestamp is more than
/// the skew limit in the past: from then on the clock check refuses it
/// anyway. Memory is never cut short: when one key's memory (or the
/// whole memory) is full, further IK handshakes of that key (or of every
/// key) are refused as busy, so a hostile allowed client that dates its
/// messages far ahead blocks only its own key.
///
/// The memory lives in RAM. So that a restart does not reopen the window,
/// a server that started less than the skew limit ago also refuses, as
/// busy, messages dated before its start: they may have been answered by
/// the process before it.
public final class IKFreshness: Sendable {
    /// The outcome for one IK message 1.
    public enum Verdict: Equatable, Sendable {
        /// Fresh: answer it and go on.
        case fresh
        /// Its ephemeral key was seen: close without message 2.
        case replayed
        /// Dated too far from the server's clock, by `seconds` (positive:
        /// the client is ahead). Answer, then deny.
        case clockSkew(seconds: Int64)
        /// The memory for this key, or all of it, is full. Answer, then deny as busy.
        case memoryFull
        /// Dated before this server started, which was `secondsAgo` ago
        /// (less than the skew limit). Answer, then deny as busy.
        case datedBeforeStart(secondsAgo: Int64)
    }

    /// The largest accepted difference between a timestamp and the clock.
    public let skewLimit: Duration
    /// Ephemeral keys remembered per client key (at least 1,024).
    public let capacityPerKey: Int
    /// Ephemeral keys remembered in all.
    public let capacity: Int
    private let clock: WallClock
    private let startedAt: UInt64
    private let state = Mutex(State())

    private struct State {
        /// Per client key: the SHA-256 of each remembered ephemeral key and
        /// when it may be forgotten (microseconds since 1970).
        var remembered: [String: [[UInt8]: UInt64]] = [:]
        var count = 0
    }

    public init(skewLimit: Duration = Timeouts.clockSkew, capacityPerKey: Int = 4096, capacity: Int = 262_144,
                clock: WallClock = .system) {
        precondition(capacityPerKey >= 1024, "the protocol asks for at least 1,024 entries per key")
        self.skewLimit = skewLimit
        self.capacityPerKey = capacityPerKey
        self.capacity = max(capacity, capacityPerKey)
        self.clock = clock
        startedAt = clock.now()
    }

    /// Judges the message 1 of allowed client key `keyID` (its fingerprint)
    /// carrying `ephemeralKey` and `timestamp`, and remembers it unless it
    /// is a replay or there is no room.
    public func judge(keyID: String, ephemeralKey: [UInt8], timestamp: UInt64) -> Verdict {
        let now = clock.now()
        let limit = UInt64(max(0, WallClock.microseconds(skewLimit)))
        let digest = SHA256.hash(ephemeralKey)
        return state.withLock { state -> Verdict in
            if let forgetAt = state.remembered[keyID]?[digest], forgetAt >= now { return .replayed }
            // Timestamps are unsigned and may be anything: no arithmetic here
            // may wrap (a date near 2^64 must neither read as "behind" nor
            // escape the memory).
            let (sum, overflow) = timestamp.addingReportingOverflow(limit)
            let forgetAt = overflow ? UInt64.max : sum
            let skew = Self.signedSeconds(from: now, to: timestamp)
            // Already older than the window: the clock check refuses it for
            // ever, so there is nothing to remember.
            guard forgetAt >= now else { return .clockSkew(seconds: skew) }
            guard Self.makeRoom(for: keyID, in: &state, now: now, perKey: capacityPerKey, total: capacity) else {
                return .memoryFull
            }
            if state.remembered[keyID]?[digest] == nil { state.count += 1 }
            state.remembered[keyID, default: [:]][digest] = forgetAt
            let distance = timestamp >= now ? timestamp - now : now - timestamp
            if distance > limit { return .clockSkew(seconds: skew) }
            if timestamp < startedAt && now < startedAt &+ limit {
                return .datedBeforeStart(secondsAgo: Int64((now - startedAt) / 1_000_000))
            }
            return .fresh
        }
    }

    /// `to - from` in whole seconds, rounded, saturating at Int64's limits.
    static func signedSeconds(from: UInt64, to: UInt64) -> Int64 {
        let distance = to >= from ? to - from : from - to
        let seconds = min(distance / 1_000_000 + (distance % 1_000_000 >= 500_000 ? 1 : 0), UInt64(Int64.max))
        return to >= from ? Int64(seconds) : -Int64(seconds)
    }

    /// Ephemeral keys remembered now, in all.
    public var rememberedCount: Int { state.withLock { $0.count } }

    /// Whether one more entry fits for `keyID`, forgetting expired entries
    /// (of that key, then of all keys) when it would not.
    private static func makeRoom(for keyID: String, in state: inout State, now: UInt64, perKey: Int, total: Int) -> Bool {
        if let entries = state.remembered[keyID], entries.count >= perKey {
            let kept = entries.filter { $0.value >= now }
            state.count -= entries.count - kept.count
            state.remembered[keyID] = kept
            if kept.count >= perKey { return false }
        }
        if state.count >= total {
            var count = 0
            for (key, entries) in state.remembered {
                let kept = entries.filter { $0.value >= now }
                state.remembered[key] = kept.isEmpty ? nil : kept
                count += kept.count
            }
            state.count = count
            if count >= total { return false }
        }
        return true
    }
}
