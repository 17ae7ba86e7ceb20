import KeyGateSystem
import KeyGateChannel
import KeyGateCrypto
import KeyGateNoise
import Synchronization
import Testing

/// The one handshake driver without sockets: XX, IK and NNpsk0 over an
/// in-memory pipe, each side on its own task.
struct NoiseHandshakeDriverTests {
    static let patterns = ["XX", "IK", "NNpsk0"]

    /// Key pairs and a psk for one handshake.
    struct Parties: Sendable {
        let initiatorKeys: StaticKeyPair
        let responderKeys: StaticKeyPair
        let psk: [UInt8]

        init() throws {
            let dh = Curve25519()
            initiatorKeys = try StaticKeyPair(privateKey: dh.generatePrivateKey(using: SystemRandomSource()), dh: dh)
            responderKeys = try StaticKeyPair(privateKey: dh.generatePrivateKey(using: SystemRandomSource()), dh: dh)
            psk = SecureRandom.bytes(count: 32)
        }

        func driver(
            _ pattern: String, initiator: Bool, pinned: [UInt8]? = nil, psk: [UInt8]? = nil,
            ownKeys: StaticKeyPair? = nil, workGate: (any HandshakeWorkGate)? = nil
        ) throws -> NoiseHandshakeDriver {
            let name = try NoiseProtocolName("Noise_\(pattern)_25519_ChaChaPoly_SHA256")
            let usesStatic = name.pattern.presharedKeyCount == 0
            return NoiseHandshakeDriver(
                protocolName: name, initiator: initiator, prologue: Array("test prologue".utf8),
                localStaticKeyPair: usesStatic ? (ownKeys ?? (initiator ? initiatorKeys : responderKeys)) : nil,
                remoteStaticKey: initiator && pattern == "IK" ? (pinned ?? responderKeys.publicKey) : nil,
                presharedKeys: usesStatic ? [] : [psk ?? self.psk], deadline: .now + .seconds(60), workGate: workGate)
        }
    }

    /// Runs one side on `stream`, closing it on failure so that the other
    /// side's wait ends.
    static func side(
        _ driver: NoiseHandshakeDriver, on stream: any ByteStream,
        steps: @Sendable () -> NoiseHandshakeDriver.Steps = { .init() }
    ) async -> Result<SessionKeys, any Error> {
        var frames = FramedStream(stream: stream)
        do {
            return .success(try await driver.run(on: &frames, steps: steps()))
        } catch {
            await stream.close()
            return .failure(error)
        }
    }

    /// Both sides at once; each payload names its message and its writer.
    static func handshake(
        _ initiator: NoiseHandshakeDriver, _ responder: NoiseHandshakeDriver,
        initiatorStream: (any ByteStream)? = nil, responderStream: (any ByteStream)? = nil,
        initiatorSteps: @escaping @Sendable () -> NoiseHandshakeDriver.Steps = { .init() },
        responderSteps: @escaping @Sendable () -> NoiseHandshakeDriver.Steps = { .init() }
    ) async -> (initiator: Result<SessionKeys, any Error>, responder: Result<SessionKeys, any Error>) {
        let (a, b) = InMemoryByteStream.pair()
        let initiatorEnd = initiatorStream ?? a, responderEnd = responderStream ?? b
        async let responderResult = side(responder, on: responderEnd, steps: responderSteps)
        let initiatorResult = await side(initiator, on: initiatorEnd, steps: initiatorSteps)
        return (initiatorResult, await responderResult)
    }

    /// The payloads one side read, by message index.
    final class Received: Sendable {
        private let storage = Mutex<[Int: [UInt8]]>([:])
        func record(_ message: NoiseHandshakeDriver.ReadMessage) { storage.withLock { $0[message.index] = message.payload } }
        var payloads: [Int: [UInt8]] { storage.withLock { $0 } }
    }

    static func labelled(_ received: Received) -> NoiseHandshakeDriver.Steps {
        .init(payload: { index, _ in Array("message \(index + 1)".utf8) }, received: { received.record($0) })
    }

    @Test(arguments: patterns)
    func bothSidesAgreeAndEveryPayloadArrives(pattern: String) async throws {
        let parties = try Parties()
        let atInitiator = Received(), atResponder = Received()
        let (i, r) = await Self.handshake(
            try parties.driver(pattern, initiator: true), try parties.driver(pattern, initiator: false),
            initiatorSteps: { Self.labelled(atInitiator) }, responderSteps: { Self.labelled(atResponder) })
        var initiatorKeys = try i.get(), responderKeys = try r.get()
        #expect(initiatorKeys.handshakeHash == responderKeys.handshakeHash)
        #expect(initiatorKeys.protocolName == "Noise_\(pattern)_25519_ChaChaPoly_SHA256")
        let messageCount = initiatorKeys.suite.pattern.messages.count
        #expect(atResponder.payloads.keys.sorted() == Array(stride(from: 0, to: messageCount, by: 2)))
        #expect(atInitiator.payloads.keys.sorted() == Array(stride(from: 1, to: messageCount, by: 2)))
        for (index, payload) in atResponder.payloads.merging(atInitiator.payloads, uniquingKeysWith: { a, _ in a }) {
            #expect(payload == Array("message \(index + 1)".utf8))
        }
        if pattern == "NNpsk0" {
            #expect(initiatorKeys.remoteStaticKey.isEmpty && responderKeys.remoteStaticKey.isEmpty)
        } else {
            #expect(initiatorKeys.remoteStaticKey == parties.responderKeys.publicKey)
            #expect(responderKeys.remoteStaticKey == parties.initiatorKeys.publicKey)
        }
        // Sending is initiator-to-responder for the initiator, and the
        // other way round for the responder.
        var frame = try SecureChannel.seal([1, 2, 3], with: &initiatorKeys.sending)
        frame.removeFirst(2)
        try SecureChannel.open(&frame, with: &responderKeys.receiving)
        #expect(frame == [1, 2, 3])
        var reply = try SecureChannel.seal([4], with: &responderKeys.sending)
        reply.removeFirst(2)
        try SecureChannel.open(&reply, with: &initiatorKeys.receiving)
        #expect(reply == [4])
    }

    @Test func ikWithAPinnedKeyThatIsNotTheResponderSFails() async throws {
        let parties = try Parties(), impostor = try Parties()
        let (i, r) = await Self.handshake(
            try parties.driver("IK", initiator: true, pinned: impostor.responderKeys.publicKey),
            try parties.driver("IK", initiator: false))
        #expect(throws: ChannelError.handshakeFailed(.decryptionFailed)) { try r.get() }
        #expect(throws: (any Error).self) { try i.get() }
    }

    @Test func nnpsk0WithAnotherPskFails() async throws {
        let parties = try Parties()
        let (i, r) = await Self.handshake(
            try parties.driver("NNpsk0", initiator: true),
            try parties.driver("NNpsk0", initiator: false, psk: SecureRandom.bytes(count: 32)))
        #expect(throws: ChannelError.handshakeFailed(.decryptionFailed)) { try r.get() }
        #expect(throws: (any Error).self) { try i.get() }
    }

    /// A responder whose key pair claims a public key that is not its own
    /// cannot finish XX: the initiator's DH with the claimed key differs.
    @Test func xxWithAStaticKeyThatIsNotTheSenderSFails() async throws {
        let parties = try Parties(), other = try Parties()
        let forged = StaticKeyPair(privateKey: parties.responderKeys.privateKey, publicKey: other.responderKeys.publicKey)
        let (i, r) = await Self.handshake(
            try parties.driver("XX", initiator: true), try parties.driver("XX", initiator: false, ownKeys: forged))
        #expect(throws: ChannelError.handshakeFailed(.decryptionFailed)) { try i.get() }
        #expect(throws: (any Error).self) { try r.get() }
    }

    /// One flipped byte in the responder's message 2 (inside its ephemeral
    /// key): every pattern's message 2 carries a tag, which no longer checks.
    @Test(arguments: patterns)
    func aTamperedMessageFails(pattern: String) async throws {
        let parties = try Parties()
        let (a, b) = InMemoryByteStream.pair()
        let (i, r) = await Self.handshake(
            try parties.driver(pattern, initiator: true), try parties.driver(pattern, initiator: false),
            initiatorStream: a, responderStream: TamperingStream(b, flippingByteAt: 2 + 5))
        #expect(throws: ChannelError.handshakeFailed(.decryptionFailed)) { try i.get() }
        // Message 2 ends IK and NNpsk0, so their responder cannot tell; the
        // XX responder waits for a message 3 that never comes.
        if pattern == "XX" {
            #expect(throws: ChannelError.unexpectedEndOfStream(while: "waiting for handshake message 3")) { try r.get() }
        }
    }

    /// The XX server-key check: a rejection after message 2 ends the
    /// handshake before message 3 reveals the initiator.
    @Test func aHookThatRejectsTheServerSKeyStopsBeforeMessage3() async throws {
        struct Rejected: Error {}
        let parties = try Parties()
        let seen = Received()
        let (i, r) = await Self.handshake(
            try parties.driver("XX", initiator: true), try parties.driver("XX", initiator: false),
            initiatorSteps: {
                .init(received: { message in
                    #expect(message.tokens.contains(.s))
                    #expect(message.remoteStaticKey == parties.responderKeys.publicKey)
                    throw Rejected()
                })
            },
            responderSteps: { .init(received: { seen.record($0) }) })
        #expect(throws: Rejected.self) { try i.get() }
        #expect(throws: ChannelError.unexpectedEndOfStream(while: "waiting for handshake message 3")) { try r.get() }
        #expect(seen.payloads.keys.sorted() == [0], "message 3 never came")
    }

    /// The NNpsk0 responder's claim: a payload hook that throws before
    /// message 2 leaves the initiator without an answer.
    @Test func aPayloadHookThatThrowsWritesNothing() async throws {
        struct Replaced: Error {}
        let parties = try Parties()
        let (i, r) = await Self.handshake(
            try parties.driver("NNpsk0", initiator: true), try parties.driver("NNpsk0", initiator: false),
            responderSteps: { .init(payload: { _, _ in throw Replaced() }) })
        #expect(throws: Replaced.self) { try r.get() }
        #expect(throws: ChannelError.unexpectedEndOfStream(while: "waiting for handshake message 2")) { try i.get() }
    }

    @Test func aPeerThatClosesEndsTheWait() async throws {
        let parties = try Parties()
        let (a, b) = InMemoryByteStream.pair()
        await b.close()
        let result = await Self.side(try parties.driver("XX", initiator: false), on: a)
        #expect(throws: ChannelError.unexpectedEndOfStream(while: "waiting for handshake message 1")) { try result.get() }
    }

    /// Counts the turns a gate gives.
    final class CountingGate: HandshakeWorkGate {
        let turns = Atomic(0)
        func enter() async throws -> HandshakeWorkTicket {
            HandshakeWorkTicket(value: Int64(turns.add(1, ordering: .relaxed).newValue))
        }
        func leave(_ ticket: HandshakeWorkTicket, cost: Duration) {}
    }

    @Test func everyMessageOfTheGatedSideTakesATurn() async throws {
        let parties = try Parties()
        let gate = CountingGate()
        let (i, r) = await Self.handshake(
            try parties.driver("XX", initiator: true), try parties.driver("XX", initiator: false, workGate: gate))
        _ = try i.get()
        _ = try r.get()
        #expect(gate.turns.load(ordering: .relaxed) == 3)
    }
}
