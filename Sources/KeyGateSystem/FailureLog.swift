import Synchronization

/// Logs repeated failures without letting a flood fill the disk: the first
/// failure of each kind from a source is logged in full; while that source
/// goes on, the rest are only counted, and `report()` writes one summary
/// line per source and interval (`repeated failures source=10.0.0.9
/// handshake_failed=4812 ...`). A source quiet for a whole interval starts
/// afresh. The server calls `report()` every `interval`.
///
/// Memory stays bounded: counts are kept for at most `maximumSources`
/// sources per interval; failures of further sources are added to one
/// `other_sources` line.
public final class FailureLog: Sendable {
    /// A kind of failure, as its summary names it.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        public static let handshakeFailed = Kind("handshake_failed")
        public static let strangerOnDataPort = Kind("stranger_on_data_port")
        public static let strangerOnPassivePort = Kind("stranger_on_passive_port")
        public static let refusedIKMessage = Kind("refused_ik_message")
    }

    private struct State {
        /// Failures of this interval beyond the first, per source and kind.
        var counts: [String: [Kind: Int]] = [:]
        /// Source and kind pairs logged in full, while the source goes on.
        var logged: [String: Set<Kind>] = [:]
        var otherSources = 0
    }

    /// How often the server writes the summaries.
    public static let interval: Duration = .seconds(10)
    /// Sources counted one by one in an interval.
    public static let maximumSources = 10_000

    private let log: Log
    private let onRecord: @Sendable (Kind) -> Void
    private let state = Mutex(State())

    /// - Parameter onRecord: told of every failure, logged or only
    ///   counted (the server's metrics).
    public init(log: Log, onRecord: @escaping @Sendable (Kind) -> Void = { _ in }) {
        self.log = log
        self.onRecord = onRecord
    }

    /// Records one failure of `kind` from `source` (an IP address); the
    /// line is written in full only if it is the first of its kind from
    /// that source in this interval.
    public func record(
        _ kind: Kind, from source: String, level: Log.Level = .info, _ event: String,
        _ fields: @autoclosure () -> [(String, String)]
    ) {
        onRecord(kind)
        let first = state.withLock { state -> Bool in
            if state.logged.count <= Self.maximumSources, state.logged[source, default: []].insert(kind).inserted { return true }
            if state.counts[source] == nil && state.counts.count >= Self.maximumSources || state.logged.count > Self.maximumSources {
                state.otherSources += 1
            } else {
                state.counts[source, default: [:]][kind, default: 0] += 1
            }
            return false
        }
        if first {
            log.write(level, event, fields: fields() + [("repeats", "summarised every \(Self.interval)")])
        }
    }

    /// Writes one line per source with failures beyond the first of each
    /// kind since the last call, and starts a new interval.
    public func report() {
        let (counts, others) = state.withLock { state in
            let counts = state.counts
            let others = state.otherSources
            // A source that failed again in this interval stays known: its
            // next failures are counted, not logged in full again.
            state.logged = state.logged.filter { counts[$0.key] != nil }
            state.counts = [:]
            state.otherSources = 0
            return (counts, others)
        }
        for source in counts.keys.sorted() {
            var fields: [(String, String)] = [("source", source), ("interval", "\(Self.interval)")]
            for (kind, count) in counts[source]!.sorted(by: { $0.key.name < $1.key.name }) {
                fields.append((kind.name, "\(count)"))
            }
            log.write(.warning, "repeated failures", fields: fields)
        }
        if others > 0 {
            log.write(.warning, "repeated failures", fields: [("other_sources", "\(others)"), ("interval", "\(Self.interval)")])
        }
    }
}
