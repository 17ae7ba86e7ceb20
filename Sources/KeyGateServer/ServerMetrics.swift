import KeyGateSystem
import KeyGateChannel
import Synchronization

/// What the server counts for `--metrics`, rendered in the Prometheus text
/// exposition format (version 0.0.4):
///
/// - `keygate_handshakes_total{suite, outcome}`: control connections by
///   outcome `granted`, `denied`, `enrolment` (an invite redeemed or
///   refused) or `failed` (suite `none` when the handshake failed before
///   one was agreed).
/// - `keygate_denials_total{reason}`: refusals, by the `reason=` of their
///   log line (`RefusalKind`), and `shutting-down`.
/// - `keygate_limit_hits_total{limit}`: the limits met.
/// - `keygate_bytes_total{service, direction}`: payload bytes of the
///   sessions and their FTP data connections, `sent` or `received` by the
///   server; with a `name` label too (the allow-list name) when
///   `perName` is set (`--metrics-names`: one series per client).
/// - `keygate_transfers_total{outcome}`: FTP transfers `complete`,
///   `aborted` or `failed` (with `name` when `perName`).
/// - `keygate_handshake_seconds`: a histogram of the time from accept to
///   grant.
/// - the gauges the server reads when rendering: `keygate_sessions`,
///   `keygate_data_ports_in_use`, and whatever the caller adds
///   (`keygate_chat_members`).
/// - `keygate_build_info{version, protocol}`: always 1.
public final class ServerMetrics: Sendable {
    /// The reasons of `keygate_denials_total` besides the refusals.
    public static let otherDenials = ["shutting-down"]
    /// The limits of `keygate_limit_hits_total`.
    public static let limits = [
        "source_handshakes_in_progress", "source_handshake_rate", "source_unresumed_grants", "max_handshakes",
        "max_sessions", "max_key_sessions", "data_ports",
    ]
    /// The transfer outcomes.
    public static let transferOutcomes = ["complete", "aborted", "failed"]
    /// The upper bounds of the handshake histogram, in seconds.
    public static let handshakeBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    private struct State {
        var handshakes: [[String]: Int] = [:]
        var denials: [String: Int] = [:]
        var limitHits: [String: Int] = [:]
        var transfers: [[String]: Int] = [:]
        var meters: [[String]: PayloadMeter] = [:]
        var bucketCounts = [Int](repeating: 0, count: ServerMetrics.handshakeBuckets.count)
        var handshakeCount = 0
        var handshakeSum = 0.0
    }

    public let version: String
    public let protocolVersion: String
    /// Whether bytes and transfers carry a `name` label.
    public let perName: Bool
    private let state: Mutex<State>

    /// Metrics whose series of `services` start at 0.
    public init(version: String, protocolVersion: String, services: [String], perName: Bool = false) {
        self.version = version
        self.protocolVersion = protocolVersion
        self.perName = perName
        var state = State()
        for reason in RefusalKind.allCases.map(\.rawValue) + Self.otherDenials { state.denials[reason] = 0 }
        for limit in Self.limits { state.limitHits[limit] = 0 }
        if !perName {
            for outcome in Self.transferOutcomes { state.transfers[[outcome]] = 0 }
            for service in services { state.meters[[service]] = PayloadMeter() }
        }
        self.state = Mutex(state)
    }

    /// One control connection's handshake phase ended.
    func handshakeEnded(suite: String, outcome: String) {
        state.withLock { $0.handshakes[[suite, outcome], default: 0] += 1 }
    }

    /// A handshake ended in a grant after `duration`.
    func handshakeGranted(after duration: Duration) {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
        state.withLock { state in
            state.handshakeCount += 1
            state.handshakeSum += seconds
            for (index, bound) in Self.handshakeBuckets.enumerated() where seconds <= bound {
                state.bucketCounts[index] += 1
            }
        }
    }

    /// A connection was refused for `reason`.
    func denied(_ reason: String) {
        state.withLock { $0.denials[reason, default: 0] += 1 }
    }

    /// A failure the server's `FailureLog` recorded: a refusal of the
    /// kind it stands for (and, over a per-source limit, that limit).
    func recorded(_ kind: FailureLog.Kind) {
        switch kind {
        case .handshakeFailed: denied(RefusalKind.handshakeFailed.rawValue)
        case .strangerOnDataPort, .strangerOnPassivePort: denied(RefusalKind.dataPortStranger.rawValue)
        case .refusedIKMessage: denied(RefusalKind.ikReplayed.rawValue)
        default:
            guard kind.name.hasPrefix("over_limit_") else { return }
            denied(RefusalKind.sourceLimit.rawValue)
            limitHit("source_" + kind.name.dropFirst("over_limit_".count))
        }
    }

    /// A limit was met.
    func limitHit(_ limit: String) {
        state.withLock { $0.limitHits[limit, default: 0] += 1 }
    }

    /// The meter that counts the bytes of `service` sessions (of client
    /// `name` when `perName`).
    func meter(service: String, name: String) -> PayloadMeter {
        let key = perName ? [service, name] : [service]
        return state.withLock { state in
            if let meter = state.meters[key] { return meter }
            let meter = PayloadMeter()
            state.meters[key] = meter
            return meter
        }
    }

    /// An FTP transfer of client `name` ended with `outcome`.
    func transferEnded(outcome: String, name: String) {
        state.withLock { $0.transfers[perName ? [outcome, name] : [outcome], default: 0] += 1 }
    }

    /// A gauge the caller reads when rendering.
    public struct Gauge: Sendable {
        public let name: String
        public let help: String
        public let value: Int

        public init(name: String, help: String, value: Int) {
            self.name = name
            self.help = help
            self.value = value
        }
    }

    /// The metrics as a Prometheus text exposition, with `gauges` added.
    public func render(gauges: [Gauge]) -> String {
        let state = self.state.withLock { $0 }
        var text = PrometheusText()
        text.family("keygate_build_info", type: "gauge", help: "The version of keygate and of its protocol; always 1.")
        text.sample("keygate_build_info", ["version": version, "protocol": protocolVersion], 1)
        text.family("keygate_handshakes_total", type: "counter", help: "Control connections by suite and outcome (granted, denied, enrolment, failed).")
        for (key, count) in state.handshakes.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            text.sample("keygate_handshakes_total", ["suite": key[0], "outcome": key[1]], count)
        }
        text.family("keygate_denials_total", type: "counter", help: "Refused connections by reason, as the reason= of their log line.")
        for (reason, count) in state.denials.sorted(by: { $0.key < $1.key }) {
            text.sample("keygate_denials_total", ["reason": reason], count)
        }
        text.family("keygate_limit_hits_total", type: "counter", help: "Times a limit was met.")
        for (limit, count) in state.limitHits.sorted(by: { $0.key < $1.key }) {
            text.sample("keygate_limit_hits_total", ["limit": limit], count)
        }
        text.family("keygate_bytes_total", type: "counter", help: "Payload bytes of the sessions and their data connections, by service and direction.")
        for (key, meter) in state.meters.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            var labels: KeyValuePairs<String, String> = ["service": key[0], "direction": "received"]
            if perName { labels = ["service": key[0], "direction": "received", "name": key[1]] }
            text.sample("keygate_bytes_total", labels, meter.received)
            labels = perName ? ["service": key[0], "direction": "sent", "name": key[1]] : ["service": key[0], "direction": "sent"]
            text.sample("keygate_bytes_total", labels, meter.sent)
        }
        text.family("keygate_transfers_total", type: "counter", help: "FTP transfers by outcome.")
        for (key, count) in state.transfers.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            text.sample("keygate_transfers_total", perName ? ["outcome": key[0], "name": key[1]] : ["outcome": key[0]], count)
        }
        text.family("keygate_handshake_seconds", type: "histogram", help: "Time from accepting a control connection to its grant.")
        for (bound, count) in zip(Self.handshakeBuckets, state.bucketCounts) {
            text.sample("keygate_handshake_seconds_bucket", ["le": PrometheusText.number(bound)], count)
        }
        text.sample("keygate_handshake_seconds_bucket", ["le": "+Inf"], state.handshakeCount)
        text.sample("keygate_handshake_seconds_sum", [:], state.handshakeSum)
        text.sample("keygate_handshake_seconds_count", [:], state.handshakeCount)
        for gauge in gauges {
            text.family(gauge.name, type: "gauge", help: gauge.help)
            text.sample(gauge.name, [:], gauge.value)
        }
        return text.output
    }
}
