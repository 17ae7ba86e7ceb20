import KeyGateSystem
import KeyGateChannel
import KeyGateCrypto
import KeyGateNoise
import KeyGateSockets

/// Handshakes and transport through the Noise and channel layers.
enum NoiseBenchmarks {
    static var all: [SpeedBenchmark] {
        [
            handshake(pattern: "XX", dh: Curve25519(), name: "noise-xx-25519"),
            handshake(pattern: "IK", dh: Curve25519(), name: "noise-ik-25519"),
            handshake(pattern: "XX", dh: FiniteFieldDH(group: .ffdhe2048), name: "noise-xx-ffdhe2048"),
            transport(name: "transport-64k"),
            channelLoopback(name: "channel-loopback-bulk"),
        ]
    }

    /// Complete handshakes per second, both sides in one process, with
    /// long-term static keys (as a server and a returning client have).
    static func handshake(pattern: String, dh: any DiffieHellman, name: String) -> SpeedBenchmark {
        SpeedBenchmark(name: name, unit: .operationsPerSecond(label: "handshakes/s")) {
            let protocolName = KeyGateWire.suiteName(pattern: pattern, dh: dh.name)
            let prologue = KeyGateWire.prologue(for: protocolName)
            let initiatorStatic = try StaticKeyPair(privateKey: dh.generatePrivateKey(using: SystemRandomSource()), dh: dh)
            let responderStatic = try StaticKeyPair(privateKey: dh.generatePrivateKey(using: SystemRandomSource()), dh: dh)
            return {
                let initiator = try HandshakeState(
                    protocolName: protocolName, initiator: true, prologue: prologue, localStaticKeyPair: initiatorStatic,
                    remoteStaticPublicKey: pattern == "IK" ? responderStatic.publicKey : nil)
                let responder = try HandshakeState(
                    protocolName: protocolName, initiator: false, prologue: prologue, localStaticKeyPair: responderStatic,
                    remoteStaticPublicKey: nil)
                while !initiator.isComplete {
                    let (sender, receiver) = initiator.isMyTurnToWrite ? (initiator, responder) : (responder, initiator)
                    _ = try receiver.readMessage(try sender.writeMessage(payload: []))
                }
                consume(try initiator.split())
                consume(try responder.split())
            }
        }
    }

    /// MB/s of plaintext through the encrypted channel over one TCP
    /// connection on 127.0.0.1 (compare with `loopback-bulk`, the same
    /// stream without encryption, and with iperf3).
    static func channelLoopback(name: String) -> SpeedBenchmark {
        let messageByteCount = KeyGateWire.maximumPlaintextByteCount
        let batch = 256
        return SpeedBenchmark(name: name, unit: .megabytesPerSecond(bytesPerOperation: messageByteCount * batch)) {
            let (a, b) = try await SocketBenchmarks.connectedPair()
            let key = SecureRandom.bytes(count: 32)
            let keys = SessionKeys(
                suite: try! NoiseProtocolName("Noise_XX_25519_ChaChaPoly_SHA256"), handshakeHash: [],
                sending: try CipherState(key: key), receiving: try CipherState(key: key), remoteStaticKey: [])
            let sender = SecureChannel(stream: a, keys: keys)
            let receiver = SecureChannel(stream: b, keys: keys)
            let message = SecureRandom.bytes(count: messageByteCount)
            return {
                async let sent: Void = {
                    for _ in 0..<batch { try await sender.send(message) }
                }()
                for _ in 0..<batch {
                    guard try await receiver.receive() != nil else { throw ChannelError.unexpectedEndOfStream(while: "benchmarking") }
                }
                try await sent
            }
        }
    }

    /// MB/s of plaintext through the transport: one task seals 65,519-byte
    /// messages (the largest a frame holds, about 64 KiB) into frames and
    /// writes them to an in-memory pipe; another reads the frames and opens
    /// them, as the two ends of a connection would, on two cores.
    static func transport(name: String) -> SpeedBenchmark {
        let messageByteCount = KeyGateWire.maximumPlaintextByteCount
        let batch = 64
        return SpeedBenchmark(name: name, unit: .megabytesPerSecond(bytesPerOperation: messageByteCount * batch)) {
            let key = SecureRandom.bytes(count: 32)
            let message = SecureRandom.bytes(count: messageByteCount)
            return {
                let (a, b) = InMemoryByteStream.pair()
                let keys = SessionKeys(
                    suite: try! NoiseProtocolName("Noise_XX_25519_ChaChaPoly_SHA256"), handshakeHash: [],
                    sending: try CipherState(key: key), receiving: try CipherState(key: key), remoteStaticKey: [])
                let sender = SecureChannel(stream: a, keys: keys)
                let receiver = SecureChannel(stream: b, keys: keys)
                async let sent: Void = {
                    for _ in 0..<batch { try await sender.send(message) }
                }()
                var received = 0
                while received < batch, let plaintext = try await receiver.receive() {
                    precondition(plaintext.count == messageByteCount)
                    received += 1
                }
                try await sent
            }
        }
    }
}
