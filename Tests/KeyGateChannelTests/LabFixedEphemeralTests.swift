import KeyGateChannel
import KeyGateCrypto
import KeyGateNoise
import Synchronization
import Testing

/// The fixed ephemeral keys of `--lab-fixed-ephemeral`, and NNpsk0
/// handshakes made with them.
struct LabFixedEphemeralSourceTests {
    @Test func everyDrawOfASideRepeats() {
        let lab = LabFixedEphemeral(seed: 42)
        let source = lab.source(for: .initiator)
        #expect(source.bytes(count: 32) == source.bytes(count: 32))
        #expect(source.bytes(count: 32) == lab.source(for: .initiator).bytes(count: 32))
        #expect(source.bytes(count: 70).prefix(32) == source.bytes(count: 32)[...])
        #expect(source.bytes(count: 32) != lab.source(for: .responder).bytes(count: 32))
        #expect(source.bytes(count: 32) != LabFixedEphemeral(seed: 43).source(for: .initiator).bytes(count: 32))
    }

    @Test func eachDrawIsReported() {
        let uses = Mutex(0)
        let source = LabFixedEphemeral(seed: 0).source(for: .responder) { uses.withLock { $0 += 1 } }
        _ = source.bytes(count: 32)
        _ = source.bytes(count: 256)
        #expect(uses.withLock { $0 } == 2)
    }

    /// Two FTP data connections with the same seed and data key: the same bytes.
    @Test func nnpsk0HandshakesRepeatByteForByte() async throws {
        let lab = LabFixedEphemeral(seed: 7)
        func transcript() async throws -> [UInt8] {
            let (a, b) = InMemoryByteStream.pair()
            var client = DataConnectionAuthority(dataKey: SecretBytes(lab.dataKey), diffieHellman: Curve25519())
            client.random = lab.source(for: .initiator)
            var server = DataConnectionAuthority(dataKey: SecretBytes(lab.dataKey), diffieHellman: Curve25519())
            server.random = lab.source(for: .responder)
            async let clientChannel = client.connect(a, passiveNumber: 1, deadline: nil)
            let serverChannel = try await server.accept(b, passiveNumber: 1, deadline: nil)
            let channel = try await clientChannel
            try await serverChannel.sendData(Array("same".utf8))
            var sent = await serverChannel.sessionKeys.sending
            _ = try await channel.receiveData()
            // What the server would send next, under keys from the seed alone.
            return try SecureChannel.seal(Array("next".utf8), with: &sent)
        }
        let first = try await transcript()
        let second = try await transcript()
        #expect(first == second)
    }
}
