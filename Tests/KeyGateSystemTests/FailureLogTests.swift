import KeyGateSystem
import Testing

/// Repeated failures cannot fill the disk: the first of each kind from a
/// source in full, then one summary line per source and interval.
struct FailureLogTests {
    @Test func aFloodOfFailuresMakesOneFullLineAndThenSummaries() {
        let log = Log(level: .debug, destination: .memory)
        let failures = FailureLog(log: log)
        for index in 0..<5000 {
            failures.record(.handshakeFailed, from: "10.0.0.9", "handshake failed", [("peer", "10.0.0.9:\(index)")])
            failures.record(.strangerOnDataPort, from: "10.0.0.9", "stranger on data port closed", [("port", "7742")])
        }
        failures.record(.handshakeFailed, from: "10.0.0.7", "handshake failed", [("peer", "10.0.0.7:1")])
        #expect(log.lines.count == 3, "the first of each kind and source in full")
        #expect(log.lines[0].contains("handshake failed peer=10.0.0.9:0"))
        failures.report()
        let summaries = log.lines.dropFirst(3)
        #expect(summaries.count == 1, "10.0.0.7 failed only once")
        #expect(summaries.first?.contains("source=10.0.0.9") == true)
        #expect(summaries.first?.contains("handshake_failed=4999") == true)
        #expect(summaries.first?.contains("stranger_on_data_port=4999") == true)
    }

    @Test func aSourceQuietForAnIntervalIsLoggedInFullAgain() {
        let log = Log(level: .debug, destination: .memory)
        let failures = FailureLog(log: log)
        failures.record(.handshakeFailed, from: "10.0.0.9", "handshake failed", [])
        failures.record(.handshakeFailed, from: "10.0.0.9", "handshake failed", [])
        failures.report()
        failures.report()
        #expect(log.lines.count == 2)
        failures.record(.handshakeFailed, from: "10.0.0.9", "handshake failed", [])
        #expect(log.lines.count == 3)
        #expect(log.lines[2].contains("handshake failed"))
    }
}
