import Foundation
import KeyGateChat
import KeyGateClient
import KeyGateKeys
import KeyGateServer
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
        #expect(outcome.lines == ["* alice joined", "[1] alice: hello", "[2] alice: second line"])
        await server.stopAndRemove()
    }

    @Test func jsonOutputStartsWithTheGrant() async throws {
        let server = try await Self.chatServer()
        let outcome = try await Self.run(try await Self.arguments(server, "bob", extra: ["--json"]), input: "/who\nhi\n")
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let lines = outcome.lines
        try #require(lines.count == 4)
        let grant = try GrantReply(parsing: Array(lines[0].utf8))
        guard case let .granted(_, name) = grant else { Issue.record("not a grant: \(lines[0])"); return }
        #expect(name == "bob")
        #expect(lines[1] == #"{"type":"joined","name":"bob"}"#)
        #expect(lines[2] == #"{"type":"who","names":["bob"]}"#)
        #expect(lines[3] == #"{"type":"msg","from":"bob","text":"hi","seq":1}"#)
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
            host: "127.0.0.1", port: Int(server.port), key: try PrivateKey.generate(algorithm: .x25519).publicKey)
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

    @Test func usageErrorsExitWith2() async throws {
        #expect(try await Self.run(["chat"]).status == 2)
        #expect(try await Self.run(["chat", "127.0.0.1", "--no-such-option"]).status == 2)
        #expect(try await Self.run(["no-such-command"]).status == 2)
        #expect(try await Self.run(["chat", "127.0.0.1:99999"]).status == 2)
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
