import KeyGateSystem
import Foundation
import KeyGateChannel
import KeyGateChat
import KeyGateClient
import KeyGateKeys
import KeyGateServer
import KeyGateSockets
import KeyGateTestSupport
import Testing

/// `keygate chat` as scripts use it: the real binary, stdin scripts, exit statuses.
@Suite(.exclusiveNetwork)
struct ChatCommandTests {
    static func run(_ arguments: [String], input: String = "") async throws -> KeygateBinary.Outcome {
        try await KeygateBinary.run(arguments, input: input)
    }

    static func chatServer() async throws -> TestServer {
        try await TestServer.start(services: [ChatService(log: .silent)])
    }

    /// The arguments for client `name` of `server`.
    static func arguments(_ server: TestServer, _ name: String, allowed: Bool = true, extra: [String] = []) async throws -> [String] {
        let options = try await server.client(name, allowed: allowed)
        return ["chat", "127.0.0.1:\(server.port)", "--keys", options.keys.directory, "--name", name] + extra
    }

    @Test func aScriptIsSaidAndEveryLineComesBack() async throws {
        let server = try await Self.chatServer()
        let outcome = try await Self.run(try await Self.arguments(server, "alice"), input: "hello\n\nsecond line\n")
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.lines == ["* alice joined lobby", "[lobby 1] alice: hello", "[lobby 2] alice: second line"])
        await server.stopAndRemove()
    }

    @Test func jsonOutputStartsWithTheGrant() async throws {
        let server = try await Self.chatServer()
        let outcome = try await Self.run(try await Self.arguments(server, "bob", extra: ["--json"]), input: "/who\nhi\n")
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let lines = outcome.lines
        try #require(lines.count == 5, "\(lines)")
        let grant = try GrantReply(parsing: Array(lines[0].utf8))
        guard case let .granted(_, name, _) = grant else { Issue.record("not a grant: \(lines[0])"); return }
        #expect(name == "bob")
        #expect(lines[1] == #"{"type":"joined","name":"bob","room":"lobby"}"#)
        #expect(lines[2] == #"{"type":"who","names":["bob"],"room":"lobby","away":{}}"#)
        let said = try JSONValue.parse(Array(lines[3].utf8))
        #expect(said["type"] == .string("msg") && said["from"] == .string("bob") && said["text"] == .string("hi"))
        #expect(said["seq"] == .integer(1) && said["room"] == .string("lobby"))
        // At the end of the script: the head of every room it is in, which
        // is the hash of its last message.
        let head = try JSONValue.parse(Array(lines[4].utf8))
        #expect(head["type"] == .string("head") && head["room"] == .string("lobby") && head["count"] == .integer(1))
        #expect(head["hash"] == said["hash"])
        await server.stopAndRemove()
    }

    /// `--trace-handshake=explain` on stderr, `--trace-file` to a file
    /// `keygate trace` draws.
    @Test func anExplainedTraceAndATraceFileThatIsDrawn() async throws {
        let server = try await Self.chatServer()
        let file = server.directory.appending("client.jsonl"), html = server.directory.appending("client.html")
        let outcome = try await Self.run(
            try await Self.arguments(server, "alice", extra: ["--trace-handshake=explain", "--trace-file", file]), input: "hi\n")
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let errors = outcome.stderr.split(separator: "\n").map(String.init)
        #expect(errors.contains { $0.hasPrefix("handshake 127.0.0.1:") && $0.hasSuffix("client received message 2 of XX (server -> client, 96 bytes)") })
        #expect(errors.contains("  Noise 7.7 destination 1: Encryption to an ephemeral recipient"), "\(errors)")
        #expect(errors.contains { $0.hasPrefix("  ee   MixKey(DH(e, re)): DH of our (client's) ephemeral private key") })
        let drawn = try await Self.run(["trace", file, "--html", html])
        #expect(drawn.status == 0, "\(drawn.stderr)")
        #expect(readFile(html).map { String(decoding: $0, as: UTF8.self).contains("XX message 3: s, se") } == true)
        await server.stopAndRemove()
    }

    @Test func aTraceOptionWithAWrongValueOrFileIsRefused() async throws {
        var outcome = try await Self.run(["chat", "127.0.0.1:1", "--trace-handshake=loud"])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("--trace-handshake takes no value or =explain, got 'loud'"), "\(outcome.stderr)")
        outcome = try await Self.run(["serve", "--trace-handshake=loud"])
        #expect(outcome.status == 2, "\(outcome.stderr)")
        let server = try await Self.chatServer()
        outcome = try await Self.run(try await Self.arguments(server, "alice", extra: ["--trace-file", "/nonexistent/t.jsonl"]))
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("/nonexistent/t.jsonl: open failed"), "\(outcome.stderr)")
        await server.stopAndRemove()
    }

    @Test func anUnknownKeyExitsWith3AndTheDenialIsPrinted() async throws {
        let server = try await Self.chatServer()
        let outcome = try await Self.run(try await Self.arguments(server, "mallory", allowed: false, extra: ["--json"]), input: "hi\n")
        #expect(outcome.status == 3)
        #expect(outcome.lines == [#"{"ok":false,"error":"key not in the allow-list"}"#])
        #expect(outcome.stderr.contains("denied"))
        await server.stopAndRemove()
    }

    @Test func aChangedServerKeyExitsWith4() async throws {
        let server = try await Self.chatServer()
        let arguments = try await Self.arguments(server, "alice")
        let options = try await server.client("alice")
        try KnownHosts(path: options.keys.knownHostsPath).remember(
            host: "127.0.0.1", port: Int(server.port), key: PrivateKey.generate(algorithm: .x25519).publicKey)
        let outcome = try await Self.run(arguments, input: "hi\n")
        #expect(outcome.status == 4)
        #expect(outcome.stderr.contains("known_hosts"))
        await server.stopAndRemove()
    }

    @Test func anUnreachableServerExitsWith5() async throws {
        let server = try await Self.chatServer()
        var arguments = try await Self.arguments(server, "alice")
        await server.stop()
        arguments[1] = "127.0.0.1:\(server.port)"
        let outcome = try await Self.run(arguments + ["--timeout", "2"], input: "hi\n")
        #expect(outcome.status == 5)
        #expect(outcome.stderr.contains("refused"))
        server.directory.remove()
    }

    @Test func benchReportsEveryFigureAndSucceeds() async throws {
        let server = try await Self.chatServer()
        let options = try await server.client("bench")
        let outcome = try await Self.run([
            "bench", "127.0.0.1:\(server.port)", "--keys", options.keys.directory, "--name", "bench",
            "--clients", "5", "--messages", "3", "--json",
        ])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any]
        for key in ["clients", "messages", "failed", "setups_per_s", "setup_p50_ms", "setup_p99_ms", "rtt_p50_ms", "rtt_p99_ms", "messages_per_s"] {
            #expect(report?[key] != nil, "\(key)")
        }
        #expect(report?["failed"] as? Int == 0)
        #expect(report?["clients"] as? Int == 5)
        // Five timed sessions and the untimed warm-up one.
        #expect(server.logLines(containing: "granted").count == 6)
        await server.stopAndRemove()
    }

    @Test func benchFailsWithExit1WhenTheKeyIsNotAllowed() async throws {
        let server = try await Self.chatServer()
        let options = try await server.client("stranger", allowed: false)
        let outcome = try await Self.run([
            "bench", "127.0.0.1:\(server.port)", "--keys", options.keys.directory, "--name", "stranger",
            "--clients", "2", "--messages", "1", "--json",
        ])
        #expect(outcome.status == 1)
        #expect(try JSONValue.parse(Array(outcome.stdout.utf8))["failed"] == .integer(2))
        await server.stopAndRemove()
    }

    /// `keygate serve` as a process: SIGTERM tells the chat members, closes
    /// the sessions and exits 0 within two seconds.
    @Test func sigtermStopsTheServerWithinTwoSeconds() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let listener = try TCPListener.bind(to: SocketAddress(host: "127.0.0.1", port: 0))
        let port = listener.localAddress.port
        await listener.close()
        let server = Process()
        server.executableURL = KeygateBinary.executable
        server.arguments = [
            "serve", "--keys", directory.appending("server"), "--listen", "127.0.0.1:\(port)",
            "--data-ports", "22900-22949", "--services", "chat",
        ]
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { if server.isRunning { server.terminate() } }
        let keys = KeyStore(directory: directory.appending("alice"))
        let options = GateClientOptions(
            host: "127.0.0.1", port: port, keys: keys, identityName: "alice", service: "chat",
            timeout: .seconds(10), log: .silent)
        let identity = try await onFileThread { try keys.loadOrCreateIdentity(name: "alice", algorithm: .x25519).identity }
        // Wait until the server listens and has written its allow-list.
        #expect(await eventually { (try? await TCPConnection.connect(to: SocketAddress(host: "127.0.0.1", port: port))) != nil })
        _ = try await onFileThread {
            try AuthorizedKeys(path: directory.appending("server/authorized_keys")).add(identity.publicKey, name: "alice")
        }
        let session = try await GateClient.connect(options)
        #expect(try await session.channel.receive(deadline: .now + .seconds(10)) == ChatEvent.joined("alice").json.bytes)

        let signalled = ContinuousClock.now
        server.terminate()  // SIGTERM
        await KeygateBinary.waitForExit(server)
        #expect(ContinuousClock.now - signalled < .seconds(2))
        #expect(server.terminationReason == .exit && server.terminationStatus == 0)
        var events: [ChatEvent] = []
        while let message = try? await session.channel.receive(deadline: .now + .seconds(5)) {
            if let event = try ChatEvent(parsing: message) { events.append(event) }
        }
        #expect(events.contains(.error("server is shutting down")))
        await session.channel.close()
    }

    @Test func usageErrorsExitWith2() async throws {
        #expect(try await Self.run(["chat"]).status == 2)
        #expect(try await Self.run(["chat", "127.0.0.1", "--no-such-option"]).status == 2)
        #expect(try await Self.run(["no-such-command"]).status == 2)
        #expect(try await Self.run(["chat", "127.0.0.1:99999"]).status == 2)
    }

    @Test func aScriptUsesRoomsPrivateMessagesActionsAndTheClientsOwnCommands() async throws {
        let server = try await Self.chatServer()
        let bob = try await GateClient.connect(try await server.client("bob"))
        let script = "/join #Dev\nhello dev\n/me waves\n/msg bob psst\n/part\nback in the lobby\n/nick eve\n/help\n/dance\n"
        let outcome = try await Self.run(try await Self.arguments(server, "alice", extra: ["--timestamps"]), input: script)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        // Each line starts with the server's time: drop it to compare.
        let lines = outcome.lines.map { line in
            line.first?.isNumber == true ? String(line.drop { $0 != " " }.dropFirst()) : line
        }
        #expect(lines == [
            "* alice joined lobby", "* alice joined dev", "[dev 1] alice: hello dev", "[dev 2] * alice waves",
            "[alice -> bob] psst", "* alice left dev", "[lobby 1] alice: back in the lobby",
        ])
        #expect(outcome.lines[2].hasPrefix("20") && outcome.lines[2].contains("Z [dev 1]"), "--timestamps: \(outcome.lines[2])")
        // The client's own notices go to standard error.
        #expect(outcome.stderr.contains("names cannot change: yours is alice"))
        #expect(outcome.stderr.contains("/join ROOM") && outcome.stderr.contains("/whois NAME"))
        #expect(outcome.stderr.contains("unknown command /dance; /help lists the commands"))
        var received: (String, String, String)?
        while received == nil, let message = try await bob.channel.receive(deadline: .now + .seconds(10)) {
            if case let .privateMessage(from, to, text, _)? = try ChatEvent(parsing: message) { received = (from, to, text) }
        }
        #expect(received.map { "\($0.0) \($0.1) \($0.2)" } == "alice bob psst", "bob got it")
        await bob.channel.close()
        await server.stopAndRemove()
    }

    /// `keygate serve --chat-log` killed with SIGKILL right after a script's
    /// messages were confirmed: a new server on the same log replays them.
    @Test func confirmedMessagesSurviveKillMinus9WithTheChatLog() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = directory.appending("chat.log")
        let listener = try TCPListener.bind(to: SocketAddress(host: "127.0.0.1", port: 0))
        let port = listener.localAddress.port
        await listener.close()
        func startServer() throws -> Process {
            let server = Process()
            server.executableURL = KeygateBinary.executable
            server.arguments = [
                "serve", "--keys", directory.appending("server"), "--listen", "127.0.0.1:\(port)",
                "--data-ports", "22950-22999", "--services", "chat", "--chat-log", log,
            ]
            server.standardError = FileHandle.nullDevice
            try server.run()
            return server
        }
        var server = try startServer()
        defer { if server.isRunning { server.terminate() } }
        let keys = KeyStore(directory: directory.appending("alice"))
        let identity = try await onFileThread { try keys.loadOrCreateIdentity(name: "alice", algorithm: .x25519).identity }
        #expect(await eventually { (try? await TCPConnection.connect(to: SocketAddress(host: "127.0.0.1", port: port))) != nil })
        _ = try await onFileThread {
            try AuthorizedKeys(path: directory.appending("server/authorized_keys")).add(identity.publicKey, name: "alice")
        }
        let arguments = ["chat", "127.0.0.1:\(port)", "--keys", directory.appending("alice"), "--name", "alice"]
        let texts = (1...10).map { "message \($0)" }
        let said = try await Self.run(arguments, input: texts.joined(separator: "\n") + "\n")
        #expect(said.status == 0, "every message confirmed: \(said.stderr)")
        kill(server.processIdentifier, SIGKILL)
        await KeygateBinary.waitForExit(server)
        #expect(server.terminationReason == .uncaughtSignal)
        server = try startServer()
        #expect(await eventually { (try? await TCPConnection.connect(to: SocketAddress(host: "127.0.0.1", port: port))) != nil })
        // One message of its own: its receipt comes after the history, so
        // the client has printed all of it when it exits.
        let replayed = try await Self.run(arguments, input: "after the restart\n")
        #expect(replayed.status == 0, "\(replayed.stderr)")
        #expect(replayed.lines == ["* alice joined lobby"] + texts.enumerated().map { "[lobby ~\($0.offset + 1)] alice: \($0.element)" }
            + ["[lobby 11] alice: after the restart"])
        server.terminate()
        await KeygateBinary.waitForExit(server)
    }

    @Test func helpIsAvailableForEveryCommand() async throws {
        let overview = try await Self.run(["--help"])
        #expect(overview.status == 0)
        let commands = overview.stdout.split(separator: "\n")
            .drop { !$0.hasPrefix("Commands:") }.dropFirst()
            .prefix { $0.hasPrefix("  ") }
            .map { String($0.split(separator: " ")[0]) }
        #expect(commands.contains("serve") && commands.contains("chat"))
        for command in commands {
            let help = try await Self.run([command, "--help"])
            #expect(help.status == 0, "\(command) --help")
            #expect(help.stdout.hasPrefix("Usage: keygate \(command)"))
        }
    }
}
