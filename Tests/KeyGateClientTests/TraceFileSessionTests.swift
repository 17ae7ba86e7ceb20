import KeyGateSystem
import KeyGateChannel
import KeyGateChat
import KeyGateClient
import KeyGateFTP
import KeyGateServer
import KeyGateTestSupport
import Testing

/// `--trace-file` on both ends of real sessions: a server and clients in
/// this process, each writing its own file, read back as `keygate trace`
/// reads it.
@Suite(.exclusiveNetwork)
struct TraceFileSessionTests {
    /// A server whose trace goes to `server.jsonl` in its folder.
    static func server(services: [any GateService]) async throws -> (TestServer, HandshakeTraceFile) {
        let directory = TemporaryDirectory("keygate-trace-test")
        let file = try await HandshakeTraceFile.open(path: directory.appending("server.jsonl"), log: .silent)
        let server = try await TestServer.start(services: services, directory: directory) { $0.traceFile = file }
        return (server, file)
    }

    /// The events of the only session in the file at `path`, by kind.
    static func session(in path: String) async throws -> TraceFileContents.Session {
        let contents = try await TraceFileContents.read(path: path)
        try #require(contents.sessions.count == 1, "\(contents.sessions.map(\.id))")
        return contents.sessions[0]
    }

    @Test(arguments: [false, true])
    func aChatSessionIsTracedOnBothSides(pinned: Bool) async throws {
        let (server, serverFile) = try await Self.server(services: [ChatService(log: .silent)])
        var options = try await server.client("alice", pinned: pinned)
        let clientPath = server.directory.appending("client.jsonl")
        options.traceFile = try await HandshakeTraceFile.open(path: clientPath, log: .silent)
        let session = try await GateClient.connect(options)
        await session.channel.close()
        await options.traceFile?.close()
        await serverFile.flush()

        let pattern = pinned ? "IK" : "XX"
        let tokens: [[String]] = pinned ? [["e", "es", "s", "ss"], ["e", "ee", "se"]] : [["e"], ["e", "ee", "s", "es"], ["s", "se"]]
        for (path, side) in [(clientPath, "initiator"), (server.directory.appending("server.jsonl"), "responder")] {
            let traced = try await Self.session(in: path)
            let values = traced.records.map(\.value)
            #expect(values.allSatisfy { $0["session"] == .string(traced.id) && $0["side"] == .string(side) })
            #expect(values.allSatisfy { $0["pattern"] == .string(pattern) })
            let messages = values.filter { $0["event"] == .string("message") }
            #expect(messages.map { $0["message"]?.intValue } == Array(1...tokens.count).map { $0 })
            #expect(messages.map { $0["token"]?.stringValue } == tokens.map { $0.joined(separator: ", ") })
            let expectedGrades = (0..<tokens.count).map { index in
                PayloadGrades.handshake(pattern: pattern, message: index).map(HandshakeExplanation.json)
            }
            #expect(messages.map { $0["grades"] } == expectedGrades)
            let tokenLines = values.filter { $0["event"] == .string("token") }
            #expect(tokenLines.compactMap { $0["token"]?.stringValue } == tokens.flatMap { $0 })
            #expect(tokenLines.allSatisfy { $0["operation"]?.stringValue?.isEmpty == false })
            #expect(tokenLines.compactMap { $0["public_key"]?.stringValue }.allSatisfy { $0.count == 64 && HexText.isHex($0) })
            // Frame payloads: the XX sizes of PROTOCOL.md's message flow.
            if !pinned {
                #expect(messages.map { $0["payload_size"]?.intValue } == [32, 96, 48 + 4 + 16])
            }
            let grant = try #require(values.first { $0["event"] == .string("grant") })
            #expect(grant["service"] == .string("chat"))
            #expect(grant["port"]?.intValue.map { TestServer.dataPorts.contains(UInt16($0)) } == true)
            let move = try #require(values.first { $0["event"] == .string("data_port") })
            #expect(move["port"] == grant["port"])
            #expect(move["payload_size"] == .integer(KeyGateWire.resumeMessage.count + 16))
            #expect(values.last?["event"] == .string("data_port"))
            // keygate trace draws what was written.
            let diagram = try SessionDiagram(traced, path: path)
            #expect(diagram.controlMessages.count == tokens.count)
            #expect(diagram.dataPort == grant["port"]?.intValue)
        }
        let clientHashes = try await Self.session(in: clientPath).records.compactMap { $0.value["handshake_hash"]?.stringValue }
        let serverHashes = try await Self.session(in: server.directory.appending("server.jsonl")).records
            .compactMap { $0.value["handshake_hash"]?.stringValue }
        #expect(clientHashes == serverHashes, "both ends hash the same transcript")
        await serverFile.close()
        await server.stopAndRemove()
    }

    @Test func ftpDataConnectionsAddNNpsk0TokensToTheSession() async throws {
        let directory = TemporaryDirectory("keygate-trace-ftp")
        let root = directory.appending("ftp-root")
        let serverPath = directory.appending("server.jsonl")
        let serverFile = try await HandshakeTraceFile.open(path: serverPath, log: .silent)
        let server = try await TestServer.start(services: [try FTPService(root: root)], directory: directory) {
            $0.traceFile = serverFile
        }
        var options = try await server.client("alice", service: KeyGateWire.ftpService)
        let clientPath = directory.appending("client.jsonl")
        options.traceFile = try await HandshakeTraceFile.open(path: clientPath, log: .silent)
        let client = try await FTPClient.start(try await GateClient.connect(options), timeout: .seconds(20))
        _ = try await client.listing()
        await client.quit()
        await options.traceFile?.close()
        await serverFile.flush()

        for (path, side) in [(clientPath, "initiator"), (serverPath, "responder")] {
            let values = try await Self.session(in: path).records.map(\.value)
            let data = values.filter { $0["pattern"] == .string("NNpsk0") }
            #expect(data.filter { $0["event"] == .string("message") }.map { $0["message"]?.intValue } == [1, 2], "\(side)")
            #expect(data.filter { $0["event"] == .string("token") }.compactMap { $0["token"]?.stringValue } == ["psk", "e", "e", "ee"])
            #expect(data.filter { $0["event"] == .string("message") }.allSatisfy { $0["grades"] == .null })
            #expect(data.allSatisfy { $0["side"] == .string(side) })
        }
        await serverFile.close()
        await server.stopAndRemove()
    }
}
