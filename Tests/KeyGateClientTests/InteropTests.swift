import KeyGateSystem
import Dispatch
import Foundation
import Glibc
import KeyGateChannel
import KeyGateChat
import KeyGateClient
import KeyGateCrypto
import KeyGateKeys
import KeyGateTestSupport
import Testing

/// A real KeyGate server and the independent Python client of protocol
/// version 2 (`Tests/Interop/keygate_v2_client.py`, written from the
/// specifications only): chat over XX and IK, FTP list/get/put over NNpsk0
/// data connections, and the denial of a key that is not allowed.
@Suite(.exclusiveNetwork, .enabled(if: PythonClient.isAvailable, "python3 with the cryptography package is not installed"))
struct InteropTests {
    // MARK: Chat (sections 3-5)

    /// A Swift member already in the room, to see the Python client's messages.
    static func member(_ server: TestServer, _ name: String) async throws -> GateSession {
        let session = try await GateClient.connect(try await server.client(name))
        let events = try await events(from: session) { $0 == .joined(name) }
        #expect(events == [.joined(name)], "a joiner's own joined comes first")
        return session
    }

    /// Reads chat events until `predicate` holds for one; returns all read.
    static func events(from session: GateSession, until predicate: (ChatEvent) -> Bool) async throws -> [ChatEvent] {
        var events: [ChatEvent] = []
        while let message = try await session.channel.receive(deadline: .now + .seconds(5)) {
            guard let event = try ChatEvent(parsing: message) else { continue }
            events.append(event)
            if predicate(event) { return events }
        }
        Issue.record("the session ended before the awaited event; got \(events)")
        return events
    }

    /// An event in a few words, for comparing what two clients saw.
    static func summary(_ event: ChatEvent) -> String {
        switch event {
        case let .message(message): "\(message.from):\(message.text):\(message.seq)"
        case let .joined(name, _): "joined \(name)"
        case let .left(name, _): "left \(name)"
        default: "\(event)"
        }
    }

    @Test func xxChatSayComesBackAsItsReceiptAfterItsOwnJoined() async throws {
        let server = try await TestServer.start(services: [ChatService(log: .silent)])
        let folder = try PythonClient.folder(in: server)
        // A key written by the Python client, read by KeyGate's allow-list.
        let publicLine = try await PythonClient.run(["keygen", folder + "/carol.key"], in: folder)
        try #require(publicLine.status == 0, "\(publicLine.stderr)")
        let line = try KeyLine(parsing: publicLine.lines.first ?? "")
        let key = try PublicKey(algorithm: line.algorithm, bytes: line.keyBytes)
        try await onFileThread { _ = try server.authorizedKeys.add(key, name: "carol") }
        let bob = try await Self.member(server, "bob")

        let outcome = try await PythonClient.run(
            PythonClient.control(server.port, key: folder + "/carol.key") + ["chat", "hello", "and again"], in: folder)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let objects = outcome.objects
        try #require(objects.count == 5, "\(outcome.stdout)")
        #expect(objects[0]["ok"] as? Bool == true)
        #expect(objects[0]["name"] as? String == "carol")
        #expect(objects[0]["data_key"] == nil, "a chat grant carries no data_key")
        #expect((objects[0]["port"] as? Int).map { TestServer.dataPorts.contains(UInt16($0)) } == true)
        // Section 9: its own joined first, then each say's receipt in order.
        #expect(objects[1]["type"] as? String == "joined" && objects[1]["name"] as? String == "carol")
        #expect(objects[2]["type"] as? String == "msg" && objects[2]["from"] as? String == "carol")
        #expect(objects[2]["text"] as? String == "hello")
        #expect(objects[3]["text"] as? String == "and again")
        #expect(objects[4]["type"] as? String == "who")
        #expect(objects[4]["names"] as? [String] == ["bob", "carol"], "distinct names in join order")

        // The other member saw the same messages with the same seq, then carol leave.
        let seen = try await Self.events(from: bob) { $0 == .left("carol") }
        let receipts = objects[2...3].map { "carol:\($0["text"] as? String ?? ""):\($0["seq"] as? Int ?? -1)" }
        #expect(seen.map(Self.summary) == ["joined carol"] + receipts + ["left carol"])
        let seqs = objects[2...3].compactMap { $0["seq"] as? Int }
        #expect(seqs.count == 2 && seqs[0] < seqs[1], "seq increases: \(seqs)")
        await bob.channel.close()
        await server.stopAndRemove()
    }

    @Test func ikChatWithThePinnedServerKey() async throws {
        let server = try await TestServer.start(services: [ChatService(log: .silent)])
        let folder = try PythonClient.folder(in: server)
        // A key written by KeyGate, read by the Python client.
        let options = try await server.client("alice")
        let serverKey = server.keys.publicKeyPath(name: "server", algorithm: .x25519)
        let bob = try await Self.member(server, "bob")
        let outcome = try await PythonClient.run(
            PythonClient.control(server.port, key: PythonClient.keyFile(options), pattern: "IK", serverKey: serverKey)
                + ["chat", "over IK"], in: folder)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let objects = outcome.objects
        try #require(objects.count == 4, "\(outcome.stdout)")
        #expect(objects[0]["ok"] as? Bool == true && objects[0]["name"] as? String == "alice")
        #expect(objects[1]["type"] as? String == "joined" && objects[1]["name"] as? String == "alice")
        let seq = try #require(objects[2]["seq"] as? Int)
        #expect(objects[2]["text"] as? String == "over IK")
        let seen = try await Self.events(from: bob) { $0 == .left("alice") }
        #expect(seen.map(Self.summary) == ["joined alice", "alice:over IK:\(seq)", "left alice"])
        #expect(server.logLines(containing: "granted").contains { $0.contains("Noise_IK_25519") && $0.contains("name=alice") })
        await bob.channel.close()
        await server.stopAndRemove()
    }

    /// Section 9: with a pin that is not the server's key, the client stops
    /// after XX message 2, before message 3 would name it.
    @Test func xxWithAWrongPinStopsBeforeMessage3() async throws {
        let server = try await TestServer.start(services: [ChatService(log: .silent)])
        let folder = try PythonClient.folder(in: server)
        let options = try await server.client("alice")
        let other = try await server.client("other", allowed: false)
        let wrongPin = other.keys.publicKeyPath(name: "other", algorithm: .x25519)
        let outcome = try await PythonClient.run(
            PythonClient.control(server.port, key: PythonClient.keyFile(options), serverKey: wrongPin) + ["chat", "x"],
            in: folder)
        #expect(outcome.status == 1)
        #expect(outcome.stdout.isEmpty)
        #expect(outcome.stderr.contains("does not match the pinned key"), "\(outcome.stderr)")
        #expect(server.logLines(containing: "granted").isEmpty)
        await server.stopAndRemove()
    }

    /// Section 3.3: a replayed IK message 1 is closed without message 2; a
    /// timestamp beyond the skew limit gets message 2, then the denial.
    @Test func ikReplayAndClockSkewAreRefused() async throws {
        let server = try await TestServer.start(services: [ChatService(log: .silent)])
        let folder = try PythonClient.folder(in: server)
        let options = try await server.client("alice")
        let serverKey = server.keys.publicKeyPath(name: "server", algorithm: .x25519)
        let control = PythonClient.control(server.port, key: PythonClient.keyFile(options), pattern: "IK", serverKey: serverKey)
        let now = UInt64(Date().timeIntervalSince1970 * 1_000_000)
        let ephemeral = SecureRandom.bytes(count: 32).map { String(format: "%02x", $0) }.joined()
        let message1 = ["--fixed-ephemeral", ephemeral, "--ik-timestamp", "\(now)"]
        let first = try await PythonClient.run(control + message1 + ["chat", "once"], in: folder)
        #expect(first.status == 0, "\(first.stderr)")
        let replay = try await PythonClient.run(control + message1 + ["chat", "twice"], in: folder)
        #expect(replay.status == 1)
        #expect(replay.stdout.isEmpty)
        #expect(replay.stderr.contains("closed the connection after IK message 1"), "\(replay.stderr)")

        let behind = now - 200_000_000
        let skewed = try await PythonClient.run(control + ["--ik-timestamp", "\(behind)", "chat", "late"], in: folder)
        #expect(skewed.status == 2, "\(skewed.stderr)")
        let denial = try #require(skewed.objects.first)
        #expect(denial["ok"] as? Bool == false)
        #expect((denial["error"] as? String)?.hasPrefix("clock skew: ") == true, "\(denial)")
        #expect(server.logLines(containing: "granted").count == 1)
        await server.stopAndRemove()
    }

    @Test(arguments: ["XX", "IK"])
    func aKeyNotInTheAllowListGetsTheDenial(pattern: String) async throws {
        let server = try await TestServer.start(services: [ChatService(log: .silent)])
        let folder = try PythonClient.folder(in: server)
        let generated = try await PythonClient.run(["keygen", folder + "/mallory.key"], in: folder)
        try #require(generated.status == 0, "\(generated.stderr)")
        let serverKey = server.keys.publicKeyPath(name: "server", algorithm: .x25519)
        let outcome = try await PythonClient.run(
            PythonClient.control(server.port, key: folder + "/mallory.key", pattern: pattern, serverKey: serverKey)
                + ["chat", "let me in"], in: folder)
        #expect(outcome.status == 2, "\(outcome.stderr)")
        #expect(outcome.lines == [#"{"ok":false,"error":"key not in the allow-list"}"#])
        #expect(server.logLines(containing: "granted").isEmpty)
        await server.stopAndRemove()
    }

    // MARK: FTP (section 6)

    @Test func ftpListGetAndPutThroughNNpsk0DataConnections() async throws {
        let server = try await FTPTestServer.start()
        let folder = try PythonClient.folder(in: server.server)
        let options = try await server.options("alice")
        let key = PythonClient.keyFile(options)
        let serverKey = server.server.keys.publicKeyPath(name: "server", algorithm: .x25519)
        // Larger than one frame's 65519 bytes, and not a multiple of it.
        let download = SecureRandom.bytes(count: 200_000)
        try await server.write(download, to: "a.bin")
        try await server.write([], to: "empty.bin")
        let control = PythonClient.control(server.port, key: key)

        var outcome = try await PythonClient.run(control + ["ftp-get", "a.bin"], in: folder)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout == download, "RETR over XX and EPSV")

        outcome = try await PythonClient.run(control + ["ftp-get", "empty.bin"], in: folder)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.isEmpty)

        let upload = SecureRandom.bytes(count: 150_001)
        try writeFile(folder + "/up.bin", upload)
        outcome = try await PythonClient.run(
            PythonClient.control(server.port, key: key, pattern: "IK", serverKey: serverKey)
                + ["--pasv", "--connect-first", "ftp-put", folder + "/up.bin", "up.bin"], in: folder)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(try await server.read("up.bin") == upload, "STOR over IK and PASV, data connection first")

        outcome = try await PythonClient.run(control + ["ftp-list"], in: folder)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let names = outcome.lines.map { $0.split(separator: " ").last.map(String.init) ?? "" }
        #expect(names.sorted() == ["a.bin", "empty.bin", "up.bin"], "\(outcome.lines)")
        #expect(outcome.lines.first { $0.hasSuffix(" a.bin") }?.contains(" 200000 ") == true, "\(outcome.lines)")
        await server.stopAndRemove()
    }

    @Test func ftpMissingFileFailsWithTheServersReply() async throws {
        let server = try await FTPTestServer.start()
        let folder = try PythonClient.folder(in: server.server)
        let options = try await server.options("alice")
        let outcome = try await PythonClient.run(
            PythonClient.control(server.port, key: PythonClient.keyFile(options)) + ["ftp-get", "missing.bin"], in: folder)
        #expect(outcome.status == 1)
        #expect(outcome.stdout.isEmpty)
        #expect(outcome.stderr.contains("550"), "\(outcome.stderr)")
        await server.stopAndRemove()
    }
}

/// Runs `Tests/Interop/keygate_v2_client.py`.
enum PythonClient {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Interop/keygate_v2_client.py").path

    /// Whether python3 and its `cryptography` package are there (checked once).
    static let isAvailable: Bool = {
        guard KeygateBinary.toolExists("python3") else { return false }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import cryptography.hazmat.primitives.ciphers.aead"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }()

    /// Longest a run may take before it is stopped and reported.
    static let limit: Duration = .seconds(20)

    struct Outcome {
        let status: Int32
        let stdout: [UInt8]
        let stderr: String

        var lines: [String] { String(decoding: stdout, as: UTF8.self).split(whereSeparator: \.isNewline).map(String.init) }

        /// Each stdout line as a JSON object.
        var objects: [[String: Any]] {
            lines.map { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? ["unparsed": line]
            }
        }
    }

    /// A folder for the Python client's files inside the server's folder.
    static func folder(in server: TestServer) throws -> String {
        let folder = server.directory.appending("python")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    /// The private key file of the KeyGate client `options` describes.
    static func keyFile(_ options: GateClientOptions) -> String {
        options.keys.privateKeyPath(name: options.identityName, algorithm: .x25519)
    }

    /// The options that reach the server's control port with `key`.
    static func control(_ port: UInt16, key: String, pattern: String = "XX", serverKey: String? = nil) -> [String] {
        ["--host", "127.0.0.1", "--port", "\(port)", "--key-file", key, "--pattern", pattern]
            + (serverKey.map { ["--server-key", $0] } ?? [])
    }

    static func run(_ arguments: [String], in folder: String) async throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        let stdout = KeygateBinary.pipe(), stderr = KeygateBinary.pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        // A deadline, not a wait: a client that hangs is stopped and fails the test.
        let watchdog = DispatchWorkItem { [process] in if process.isRunning { process.terminate() } }
        let seconds = Double(limit.components.seconds)
        DispatchQueue(label: "keygate.test.python-watchdog").asyncAfter(deadline: .now() + seconds, execute: watchdog)
        async let out = try onFileThread { [UInt8](stdout.fileHandleForReading.readDataToEndOfFile()) }
        async let err = KeygateBinary.readAll(stderr.fileHandleForReading)
        let (outBytes, errText) = try await (out, err)
        await KeygateBinary.waitForExit(process)
        watchdog.cancel()
        if process.terminationReason == .uncaughtSignal {
            Issue.record("the Python client was stopped after \(limit): \(errText)")
        }
        return Outcome(status: process.terminationStatus, stdout: outBytes, stderr: errText)
    }
}
