import KeyGateSystem
import KeyGateChannel
import KeyGateCrypto
import KeyGateNoise
import Synchronization

/// Static keys and options for a client and a server of one DH function.
struct ChannelFixture: Sendable {
    let dh: any DiffieHellman
    let clientStatic: [UInt8]
    let serverStatic: [UInt8]
    let serverPublic: [UInt8]

    init(dh: any DiffieHellman = Curve25519()) throws {
        self.dh = dh
        clientStatic = dh.generatePrivateKey(using: SystemRandomSource())
        serverStatic = dh.generatePrivateKey(using: SystemRandomSource())
        serverPublic = try dh.publicKey(privateKey: serverStatic)
    }

    func suite(_ pattern: String) -> String {
        KeyGateWire.suiteName(pattern: pattern, dh: dh.name)
    }

    func clientOptions(_ pattern: String, service: String = "chat", pinned: [UInt8]? = nil) -> ClientHandshakeOptions {
        ClientHandshakeOptions(
            protocolName: suite(pattern), staticKeyPair: try! StaticKeyPair(privateKey: clientStatic, dh: dh),
            pinnedServerKey: pattern == "IK" ? (pinned ?? serverPublic) : nil, service: service,
            deadline: .now + .seconds(60))
    }

    func serverOptions(accepting suites: Set<String>? = nil) -> ServerHandshakeOptions {
        let serverPair = try! StaticKeyPair(privateKey: serverStatic, dh: dh)
        let dhName = dh.name
        return ServerHandshakeOptions(
            acceptedSuites: suites ?? [suite("XX"), suite("IK")],
            staticKeyPair: { $0 == dhName ? serverPair : nil },
            deadline: .now + .seconds(60))
    }

    /// Runs both sides over an in-memory pipe.
    func handshake(
        _ pattern: String, service: String = "chat"
    ) async throws -> (client: SecureChannel, server: SecureChannel, clientKeys: SessionKeys, result: ServerHandshakeResult) {
        let (a, b) = InMemoryByteStream.pair()
        let options = serverOptions()
        async let result = SecureChannel.serverHandshake(over: b, options)
        let client = try await SecureChannel.clientHandshake(over: a, clientOptions(pattern, service: service))
        let serverResult = try await result
        return (client, serverResult.channel, await client.sessionKeys, serverResult)
    }
}

/// A stream that flips one bit at a chosen offset of everything written
/// through it, to model tampering on the wire.
final class TamperingStream: ByteStream {
    let inner: InMemoryByteStream
    let targetOffset: Int
    private let written = Mutex(0)

    init(_ inner: InMemoryByteStream, flippingByteAt offset: Int) {
        self.inner = inner
        targetOffset = offset
    }

    var peerDescription: String { inner.peerDescription }

    func read(upTo maxByteCount: Int, deadline: Deadline?) async throws -> [UInt8]? {
        try await inner.read(upTo: maxByteCount, deadline: deadline)
    }

    func write(_ bytes: [UInt8], deadline: Deadline?) async throws {
        var bytes = bytes
        let start = written.withLock { count in
            defer { count += bytes.count }
            return count
        }
        if (start..<(start + bytes.count)).contains(targetOffset) {
            bytes[targetOffset - start] ^= 0x04
        }
        try await inner.write(bytes)
    }

    func close() async {
        await inner.close()
    }
}

extension Result where Failure == any Error {
    /// The outcome of an async throwing operation.
    init(catching body: () async throws -> Success) async {
        do {
            self = .success(try await body())
        } catch {
            self = .failure(error)
        }
    }
}
