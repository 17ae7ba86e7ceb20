import KeyGateSystem
import KeyGateChannel
import KeyGateChat
import KeyGateClient
import KeyGateServer
import KeyGateTestSupport
import Testing

/// `--lab-fixed-ephemeral`: a server and a client with the same seed make
/// the same XX handshake every time, byte for byte, and say so in the log.
@Suite(.exclusiveNetwork)
struct LabFixedEphemeralTests {
    /// The negotiation and XX messages 1 and 3 the client sent, and message 2.
    static func handshake(_ server: TestServer, lab: LabFixedEphemeral?) async throws -> [[UInt8]] {
        let relay = try RecordingRelay.start(to: server.port)
        var options = try await server.client("alice")
        options.port = relay.port
        options.labFixedEphemeral = lab
        let session = try await GateClient.connect(options)
        await session.channel.close()
        await relay.stop()
        let recording = try #require(relay.connections.first)
        let sent = framePayloads(recording.fromClient), received = framePayloads(recording.fromServer)
        try #require(sent.count == 3 && received.count == 2)
        return sent + [received[0]]
    }

    @Test func theSameSeedGivesTheSameHandshakeBytes() async throws {
        let lab = LabFixedEphemeral(seed: 2026)
        let server = try await TestServer.start(services: [ChatService(log: .silent)]) { $0.labFixedEphemeral = lab }
        let first = try await Self.handshake(server, lab: lab)
        let second = try await Self.handshake(server, lab: lab)
        #expect(first == second)
        #expect(first[1].count == 32 && first[3].count == 96)
        // The server logs every handshake that used the fixed keys.
        #expect(server.logLines(containing: "lab fixed ephemeral keys").count == 2)
        // A client with the kernel's randomness sends another message 1.
        let random = try await Self.handshake(server, lab: nil)
        #expect(random[1] != first[1])
        #expect(random[3] != first[3])
        await server.stopAndRemove()
    }

    @Test func anFTPGrantsDataKeyComesFromTheSeed() {
        #expect(LabFixedEphemeral(seed: 1).dataKey == LabFixedEphemeral(seed: 1).dataKey)
        #expect(LabFixedEphemeral(seed: 1).dataKey != LabFixedEphemeral(seed: 2).dataKey)
        #expect(LabFixedEphemeral(seed: 1).dataKey.count == KeyGateWire.dataKeyByteCount)
    }
}
