import KeyGateSystem
import Foundation
import Glibc
import KeyGateChat
import KeyGateClient
import KeyGateSockets
import KeyGateTestSupport
import Testing

/// `keygate serve --metrics`: the real binary's endpoint, read after a
/// scripted session, checked with Prometheus's own parser where it is
/// installed (python3-prometheus-client) and with the format's grammar.
@Suite(.exclusiveNetwork)
struct ServeMetricsTests {
    static let config = """
        listen 127.0.0.1:0
        data-ports 23150-23169
        services chat
        suites Noise_XX_25519_ChaChaPoly_SHA256
        metrics 127.0.0.1:0

        """

    /// The endpoint's port, from the server's log.
    static func metricsPort(_ server: ServeProcess) async throws -> UInt16 {
        let line = try #require(await server.line(containing: " metrics listen="))
        let match = try #require(line.firstMatch(of: /listen=127\.0\.0\.1:(\d+)/))
        return try #require(UInt16(match.1))
    }

    /// Sends `request` as is and returns the whole answer, until the server closes.
    static func exchange(_ request: String, port: UInt16) async throws -> String {
        let connection = try await TCPConnection.connect(to: SocketAddress(host: "127.0.0.1", port: port), deadline: .after(.seconds(10)))
        try await connection.write(Array(request.utf8))
        var answer: [UInt8] = []
        while let bytes = try await connection.read(deadline: .after(.seconds(10))) { answer += bytes }
        await connection.close()
        return String(decoding: answer, as: UTF8.self)
    }

    /// The body of `GET /metrics`.
    static func scrape(_ port: UInt16) async throws -> String {
        let answer = try await exchange("GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n", port: port)
        #expect(answer.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(answer.contains("\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"))
        let parts = answer.components(separatedBy: "\r\n\r\n")
        let body = parts.dropFirst().joined(separator: "\r\n\r\n")
        #expect(answer.contains("Content-Length: \(body.utf8.count)\r\n"))
        return body
    }

    /// The samples of `text` by series (`name{a="b",...}` with labels
    /// sorted), read with the text format's grammar: each family's HELP
    /// and TYPE before its samples, names and labels as the format allows.
    static func samples(_ text: String) throws -> [String: Double] {
        var samples: [String: Double] = [:]
        var typed: Set<String> = []
        let sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*)\})? (-?[0-9.e+]+|\+Inf|NaN)$/
        #expect(text.hasSuffix("\n"))
        for line in text.split(separator: "\n").map(String.init) {
            if line.hasPrefix("# HELP ") { continue }
            if let type = line.firstMatch(of: /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/) {
                #expect(typed.insert(String(type.1)).inserted, "one TYPE per family")
                continue
            }
            let match = try #require(line.firstMatch(of: sample), "not a sample line: \(line)")
            let name = String(match.1)
            let family = typed.first { name == $0 || name.hasPrefix($0 + "_") }
            #expect(family != nil, "\(name) before its TYPE")
            let labels = (match.2.map(String.init) ?? "").split(separator: ",").map(String.init).sorted()
            let key = labels.isEmpty ? name : "\(name){\(labels.joined(separator: ","))}"
            #expect(samples[key] == nil, "one sample per series: \(key)")
            samples[key] = match.3 == "+Inf" ? .infinity : Double(match.3)
        }
        return samples
    }

    static let python = "/usr/bin/python3"

    /// The samples as Prometheus's Python client parses them, or nil when
    /// it is not installed.
    static func parsedByPrometheusClient(_ text: String) async throws -> [String: Double]? {
        guard FileManager.default.isExecutableFile(atPath: python) else { return nil }
        let script = """
            import json, sys
            try:
                from prometheus_client.parser import text_string_to_metric_families
            except ImportError:
                print("missing"); sys.exit(0)
            out = {}
            for family in text_string_to_metric_families(sys.stdin.read()):
                for s in family.samples:
                    labels = ",".join(sorted('%s="%s"' % (k, v) for k, v in s.labels.items()))
                    out[s.name + ("{" + labels + "}" if labels else "")] = s.value
            print(json.dumps(out))
            """
        let output = try await onFileThread { () -> String in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = ["-c", script]
            let input = Pipe(), output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            input.fileHandleForWriting.write(Data(text.utf8))
            try input.fileHandleForWriting.close()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "the parser accepts the text")
            return String(decoding: data, as: UTF8.self)
        }
        if output.hasPrefix("missing") { return nil }
        return try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Double])
    }

    @Test func theValuesAfterAScriptedSession() async throws {
        let server = try await ServeProcess.start(config: Self.config)
        defer { server.remove() }
        let port = try await Self.metricsPort(server)
        let alice = try await GateClient.connect(try await server.client("alice"))
        _ = try await alice.chatEvents { $0 == .joined("alice") }
        #expect(try await alice.sayAndHear("hello metrics"))
        await #expect(throws: ClientError.self) { try await GateClient.connect(try await server.client("mallory", allow: false)) }
        let text = try await Self.scrape(port)
        let samples = try Self.samples(text)
        if let parsed = try await Self.parsedByPrometheusClient(text) {
            #expect(Set(parsed.keys) == Set(samples.keys), "the reference parser reads the same series")
            for (series, value) in parsed {
                #expect(abs(value - (samples[series] ?? .nan)) <= 1e-9 * max(1, abs(value)), "\(series)")
            }
        }
        let xx = "suite=\"Noise_XX_25519_ChaChaPoly_SHA256\""
        #expect(samples["keygate_handshakes_total{outcome=\"granted\",\(xx)}"] == 1)
        #expect(samples["keygate_handshakes_total{outcome=\"denied\",\(xx)}"] == 1)
        #expect(samples["keygate_denials_total{reason=\"unknown-key\"}"] == 1)
        #expect(samples["keygate_denials_total{reason=\"revoked\"}"] == 0)
        #expect(samples["keygate_sessions"] == 1)
        #expect(samples["keygate_chat_members"] == 1)
        #expect(samples["keygate_data_ports_in_use"] == 0)
        #expect(samples["keygate_handshake_seconds_count"] == 1)
        #expect(samples["keygate_handshake_seconds_bucket{le=\"+Inf\"}"] == 1)
        #expect((samples["keygate_handshake_seconds_sum"] ?? 0) > 0)
        #expect(samples["keygate_transfers_total{outcome=\"complete\"}"] == 0)
        #expect(samples["keygate_build_info{protocol=\"KeyGate/2\",version=\"0.1.0\"}"] == 1)
        // The say request went in, the joined event and the message came out.
        let received = try #require(samples["keygate_bytes_total{direction=\"received\",service=\"chat\"}"])
        let sent = try #require(samples["keygate_bytes_total{direction=\"sent\",service=\"chat\"}"])
        #expect(received == Double(ChatRequest.say("hello metrics").json.bytes.count))
        #expect(sent > received)
        #expect(!samples.keys.contains { $0.contains("name=") }, "no per-name series without --metrics-names")
        // Histogram buckets only grow.
        let buckets = samples.filter { $0.key.hasPrefix("keygate_handshake_seconds_bucket") }
        #expect(buckets.count == 14)
        await alice.channel.close()
        #expect(await eventually { (try? Self.samples(try await Self.scrape(port)))?["keygate_sessions"] == 0 })
        #expect(await server.stop() == 0)
    }

    @Test func anFTPUploadIsATransferAndItsBytesAreCounted() async throws {
        let server = try await ServeProcess.start(config: Self.config.replacingOccurrences(of: "services chat", with: "services ftp"))
        defer { server.remove() }
        let port = try await Self.metricsPort(server)
        let alice = try await server.client("alice")
        let local = server.directory.appending("local")
        #expect(mkdir(local, 0o755) == 0)
        let bytes = [UInt8](repeating: 0x5a, count: 50_000)
        #expect(FileManager.default.createFile(atPath: local + "/up.bin", contents: Data(bytes)))
        let outcome = try await KeygateBinary.run(
            ["ftp", "127.0.0.1:\(server.port)", "--keys", alice.keys.directory, "--name", "alice", "put", "up.bin"], in: local)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let samples = try Self.samples(try await Self.scrape(port))
        #expect(samples["keygate_transfers_total{outcome=\"complete\"}"] == 1)
        #expect(samples["keygate_transfers_total{outcome=\"failed\"}"] == 0)
        // The file's bytes came in on the data connection, the commands on the session.
        let received = try #require(samples["keygate_bytes_total{direction=\"received\",service=\"ftp\"}"])
        #expect(received > 50_000 && received < 51_000, "\(received)")
        #expect((samples["keygate_bytes_total{direction=\"sent\",service=\"ftp\"}"] ?? 0) > 0)
        #expect(await server.stop() == 0)
    }

    @Test func perNameLabelsOnlyWithMetricsNames() async throws {
        let server = try await ServeProcess.start(config: Self.config + "metrics-names yes\n")
        defer { server.remove() }
        let port = try await Self.metricsPort(server)
        let alice = try await GateClient.connect(try await server.client("alice"))
        _ = try await alice.chatEvents { $0 == .joined("alice") }
        #expect(try await alice.sayAndHear("hi"))
        let samples = try Self.samples(try await Self.scrape(port))
        #expect(samples["keygate_bytes_total{direction=\"received\",name=\"alice\",service=\"chat\"}"]
            == Double(ChatRequest.say("hi").json.bytes.count))
        await alice.channel.close()
        #expect(await server.stop() == 0)
    }

    @Test func badRequestsGetAnErrorOrAreClosed() async throws {
        let server = try await ServeProcess.start(config: Self.config)
        defer { server.remove() }
        let port = try await Self.metricsPort(server)
        #expect(try await Self.exchange("GET /other HTTP/1.1\r\n\r\n", port: port).hasPrefix("HTTP/1.1 404 Not Found\r\n"))
        #expect(try await Self.exchange("GET /metricsx HTTP/1.1\r\n\r\n", port: port).hasPrefix("HTTP/1.1 404 "))
        let post = try await Self.exchange("POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n", port: port)
        #expect(post.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n") && post.contains("\r\nAllow: GET, HEAD\r\n"))
        #expect(try await Self.exchange("garbage\r\n\r\n", port: port).hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        #expect(try await Self.exchange("GET /metrics HTTP/9.9\r\n\r\n", port: port).hasPrefix("HTTP/1.1 400 "))
        let head = try await Self.exchange("HEAD /metrics HTTP/1.1\r\n\r\n", port: port)
        #expect(head.hasPrefix("HTTP/1.1 200 OK\r\n") && head.hasSuffix("\r\n\r\n"))
        #expect(try await Self.exchange("GET /metrics?x=1 HTTP/1.0\n\n", port: port).contains("keygate_build_info"))
        // A head longer than 8 KiB: 431, and no more is read.
        let long = "GET /metrics HTTP/1.1\r\nX-Filler: " + String(repeating: "a", count: 9000) + "\r\n\r\n"
        #expect(try await Self.exchange(long, port: port).hasPrefix("HTTP/1.1 431 "))
        // A head that never ends: closed without an answer after 5 s.
        let connection = try await TCPConnection.connect(to: SocketAddress(host: "127.0.0.1", port: port))
        try await connection.write(Array("GET /metrics HTTP/1.1\r\nHost: x\r\n".utf8))
        let started = ContinuousClock.now
        #expect(try await connection.read(deadline: .after(.seconds(20))) == nil)
        #expect(ContinuousClock.now - started >= .seconds(4))
        await connection.close()
        // Still serving.
        #expect(try Self.samples(try await Self.scrape(port))["keygate_sessions"] == 0)
        #expect(await server.stop() == 0)
    }

    @Test func aBadMetricsAddressIsRefused() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let outcome = try await KeygateBinary.run(["serve", "--keys", directory.appending("keys"), "--metrics", "nowhere", "--print-config"])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("--metrics must be HOST:PORT or PORT"))
    }
}
