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

        static func format(_ value: Double) -> String {
            let rounded = (value * 100).rounded() / 100
            return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
        }

        var fields: [(String, String)] {
            [("clients", "\(clients)"), ("messages", "\(messages)"), ("failed", "\(failed)"),
             ("setups_per_s", Self.format(setupsPerSecond)),
             ("setup_p50_ms", Self.format(percentile(setupMilliseconds, 0.5))),
             ("setup_p99_ms", Self.format(percentile(setupMilliseconds, 0.99))),
             ("rtt_p50_ms", Self.format(percentile(roundTripMilliseconds, 0.5))),
             ("rtt_p99_ms", Self.format(percentile(roundTripMilliseconds, 0.99))),
             ("messages_per_s", Self.format(messagesPerSecond))]
        }

        /// One JSON object with the figures.
        public var json: String {
            "{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
        }

        /// One figure a line, for people.
        public var table: String {
            fields.map { $0.0 + String(repeating: " ", count: max(0, 16 - $0.0.count)) + $0.1 }.joined(separator: "\n")
        }
    }
}
