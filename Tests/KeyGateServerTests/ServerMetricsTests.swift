@testable import KeyGateServer
import KeyGateChannel
import KeyGateSystem
import Testing

/// The metrics registry and its text exposition, without a server.
struct ServerMetricsTests {
    @Test func countsAndTheHistogramAreRendered() {
        let metrics = ServerMetrics(version: "1.2.3", protocolVersion: "KeyGate/2", services: ["chat"])
        metrics.handshakeEnded(suite: "Noise_XX_25519_ChaChaPoly_SHA256", outcome: "granted")
        metrics.handshakeGranted(after: .milliseconds(30))
        metrics.recorded(.handshakeFailed)
        metrics.recorded(FailureLog.Kind("over_limit_handshake_rate"))
        metrics.transferEnded(outcome: "complete", name: "alice")
        let text = metrics.render(gauges: [.init(name: "keygate_sessions", help: "Sessions.", value: 2)])
        let lines = Set(text.split(separator: "\n").map(String.init))
        for expected in [
            #"keygate_handshakes_total{suite="Noise_XX_25519_ChaChaPoly_SHA256",outcome="granted"} 1"#,
            #"keygate_denials_total{reason="handshake-failed"} 1"#,
            #"keygate_denials_total{reason="source-limit"} 1"#,
            #"keygate_limit_hits_total{limit="source_handshake_rate"} 1"#,
            #"keygate_transfers_total{outcome="complete"} 1"#,
            #"keygate_bytes_total{service="chat",direction="sent"} 0"#,
            #"keygate_handshake_seconds_bucket{le="0.025"} 0"#,
            #"keygate_handshake_seconds_bucket{le="0.05"} 1"#,
            #"keygate_handshake_seconds_bucket{le="+Inf"} 1"#,
            "keygate_handshake_seconds_count 1",
            "# TYPE keygate_handshake_seconds histogram",
            "keygate_sessions 2",
            #"keygate_build_info{version="1.2.3",protocol="KeyGate/2"} 1"#,
        ] {
            #expect(lines.contains(expected), "\(expected)")
        }
    }

    @Test func perNameSeriesCarryTheName() async {
        let metrics = ServerMetrics(version: "1", protocolVersion: "KeyGate/2", services: ["chat"], perName: true)
        let meter = metrics.meter(service: "chat", name: "bob \"the\" \\ builder")
        #expect(metrics.meter(service: "chat", name: "bob \"the\" \\ builder") === meter, "one meter per series")
        metrics.transferEnded(outcome: "failed", name: "bob")
        let text = metrics.render(gauges: [])
        #expect(text.contains(#"keygate_bytes_total{service="chat",direction="received",name="bob \"the\" \\ builder"} 0"#))
        #expect(text.contains(#"keygate_transfers_total{outcome="failed",name="bob"} 1"#))
    }

    @Test func labelValuesAndHelpAreEscaped() {
        #expect(PrometheusText.escapedLabel("a\"b\\c\nd") == #"a\"b\\c\nd"#)
        #expect(PrometheusText.escapedHelp("one\\two\nthree") == #"one\\two\nthree"#)
        #expect(PrometheusText.number(0.005) == "0.005")
        #expect(PrometheusText.number(10) == "10")
    }
}
