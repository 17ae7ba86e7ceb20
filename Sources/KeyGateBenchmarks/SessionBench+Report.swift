import KeyGateChannel

extension SessionBench {
    /// The figures of one run.
    public struct Report: Sendable {
        public let clients: Int, messages: Int, failed: Int
        public let setupsPerSecond: Double
        public let setupMilliseconds: [Double], roundTripMilliseconds: [Double]
        public let messagesPerSecond: Double

        func percentile(_ values: [Double], _ fraction: Double) -> Double {
            guard !values.isEmpty else { return 0 }
            let sorted = values.sorted()
            return sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)]
        }

        /// `value` rounded to two decimals, as a JSON number.
        static func number(_ value: Double) -> JSONValue {
            let rounded = (value * 100).rounded() / 100
            return rounded == rounded.rounded() ? .integer(Int(rounded)) : .double(rounded)
        }

        var figures: [(String, JSONValue)] {
            [("clients", .integer(clients)), ("messages", .integer(messages)), ("failed", .integer(failed)),
             ("setups_per_s", Self.number(setupsPerSecond)),
             ("setup_p50_ms", Self.number(percentile(setupMilliseconds, 0.5))),
             ("setup_p99_ms", Self.number(percentile(setupMilliseconds, 0.99))),
             ("rtt_p50_ms", Self.number(percentile(roundTripMilliseconds, 0.5))),
             ("rtt_p99_ms", Self.number(percentile(roundTripMilliseconds, 0.99))),
             ("messages_per_s", Self.number(messagesPerSecond))]
        }

        var fields: [(String, String)] { figures.map { ($0.0, $0.1.description) } }

        /// One JSON object with the figures.
        public var json: String { JSONValue.object(figures).description }

        /// One figure a line, for people.
        public var table: String {
            fields.map { $0.0 + String(repeating: " ", count: max(0, 16 - $0.0.count)) + $0.1 }.joined(separator: "\n")
        }
    }
}
