import KeyGateSystem
import KeyGateCrypto
import KeyGateNoise

/// Runs one Noise handshake over clear frames: every handshake KeyGate
/// makes, XX and IK on the control port (PROTOCOL.md section 3) and NNpsk0
/// on FTP data connections (section 6), one frame per message.
///
/// It writes and reads the messages in the order the pattern gives them.
/// What this side writes into each message, and what it checks in a
/// message it read before it writes anything more, come from `Steps`: that
/// is where a client judges the server's static key, a server an IK
/// message 1, and an NNpsk0 responder claims its connection.
public struct NoiseHandshakeDriver: Sendable {
    /// The protocol, parsed: its pattern and DH function.
    public let protocolName: NoiseProtocolName
    /// Whether this side writes the first message.
    public let initiator: Bool
    public let prologue: [UInt8]
    /// This side's static key pair, built once per identity (nil for
    /// patterns without one, such as NNpsk0).
    public let localStaticKeyPair: StaticKeyPair?
    /// The peer's static key known in advance (an IK initiator's pin).
    public let remoteStaticKey: [UInt8]?
    /// One 32-byte key per `psk` token.
    public let presharedKeys: [[UInt8]]
    /// The source of this side's ephemeral key.
    public let random: any RandomSource
    /// When each message read must have arrived.
    public var deadline: Deadline?
    /// Receives each message's trace (tokens, sizes, public keys, hash).
    public var trace: (@Sendable (HandshakeTraceEvent) -> Void)?
    /// Admits each message's Diffie-Hellman work; nil computes at once.
    public var workGate: (any HandshakeWorkGate)?
    /// The lab keylog that receives the session's transport keys; nil
    /// (the default) writes none.
    public var keyLog: SessionKeyLog?

    public init(
        protocolName: NoiseProtocolName, initiator: Bool, prologue: [UInt8], localStaticKeyPair: StaticKeyPair?,
        remoteStaticKey: [UInt8]? = nil, presharedKeys: [[UInt8]] = [], random: any RandomSource = SystemRandomSource(),
        deadline: Deadline? = nil, trace: (@Sendable (HandshakeTraceEvent) -> Void)? = nil,
        workGate: (any HandshakeWorkGate)? = nil
    ) {
        self.protocolName = protocolName
        self.initiator = initiator
        self.prologue = prologue
        self.localStaticKeyPair = localStaticKeyPair
        self.remoteStaticKey = remoteStaticKey
        self.presharedKeys = presharedKeys
        self.random = random
        self.deadline = deadline
        self.trace = trace
        self.workGate = workGate
    }

    /// A message this side has read, as `Steps.received` sees it.
    public struct ReadMessage: Sendable {
        /// The message's place in the pattern, from 0.
        public let index: Int
        /// The pattern's tokens for it (`s` when it revealed the peer's static key).
        public let tokens: [HandshakePattern.Token]
        /// Its decrypted payload.
        public let payload: [UInt8]
        /// The peer's static public key, once known.
        public let remoteStaticKey: [UInt8]?
        /// The peer's ephemeral public key, once received.
        public let remoteEphemeralKey: [UInt8]?
    }

    /// What the caller adds at each message.
    public struct Steps {
        /// The payload of message `index` with `tokens`, which this side
        /// writes. A throw ends the handshake before the message is made.
        public var payload: (_ index: Int, _ tokens: [HandshakePattern.Token]) throws -> [UInt8]
        /// Judges a message this side read, before anything more is
        /// written. A throw ends the handshake.
        public var received: (ReadMessage) async throws -> Void

        public init(
            payload: @escaping (_ index: Int, _ tokens: [HandshakePattern.Token]) throws -> [UInt8] = { _, _ in [] },
            received: @escaping (ReadMessage) async throws -> Void = { _ in }
        ) {
            self.payload = payload
            self.received = received
        }
    }

    /// Runs the handshake on `frames`.
    /// - Returns: this side's session keys (sending is initiator-to-responder
    ///   for the initiator), with the peer's static key when it has one.
    /// - Throws: `ChannelError.handshakeFailed` for a message Noise refuses
    ///   (tampered, wrong key or psk), `.unexpectedEndOfStream` when the
    ///   peer closes first, `TimedOut`, or what `steps` throw.
    public func run(on frames: inout FramedStream, steps: Steps) async throws -> SessionKeys {
        let handshake = try Self.noise {
            try HandshakeState(
                protocol: protocolName, initiator: initiator, prologue: prologue,
                localStaticKeyPair: localStaticKeyPair, remoteStaticPublicKey: remoteStaticKey,
                presharedKeys: presharedKeys, random: random)
        }
        let messages = protocolName.pattern.messages
        for (index, tokens) in messages.enumerated() {
            if handshake.isMyTurnToWrite {
                let payload = try steps.payload(index, tokens)
                let message = try await compute { try handshake.writeMessage(payload: payload) }
                report(handshake)
                try await frames.writeFrame(message)
            } else {
                guard let message = try await frames.readFrame(deadline: deadline) else {
                    throw ChannelError.unexpectedEndOfStream(while: "waiting for handshake message \(index + 1)")
                }
                let payload = try await compute { try handshake.readMessage(message) }
                report(handshake)
                try await steps.received(ReadMessage(
                    index: index, tokens: tokens, payload: payload, remoteStaticKey: handshake.remoteStaticPublicKey,
                    remoteEphemeralKey: handshake.remoteEphemeralPublicKey))
            }
        }
        let (initiatorToResponder, responderToInitiator) = try Self.noise { try handshake.split() }
        if let keyLog {
            await keyLog.record(SessionKeyLog.Entry(
                protocolName: protocolName.description,
                initiatorEphemeralKey: (initiator ? handshake.localEphemeralPublicKey : handshake.remoteEphemeralPublicKey) ?? [],
                handshakeHash: handshake.handshakeHash,
                initiatorToResponderKey: initiatorToResponder.keyForLabKeyLog() ?? [],
                responderToInitiatorKey: responderToInitiator.keyForLabKeyLog() ?? []))
        }
        return SessionKeys(
            suite: protocolName, handshakeHash: handshake.handshakeHash,
            sending: initiator ? initiatorToResponder : responderToInitiator,
            receiving: initiator ? responderToInitiator : initiatorToResponder,
            remoteStaticKey: handshake.remoteStaticPublicKey ?? [])
    }

    /// Runs one message's Noise work, in a turn of the work gate when there is one.
    private func compute<T>(_ work: () throws -> T) async throws -> T {
        guard let workGate else { return try Self.noise(work) }
        let ticket = try await workGate.enter()
        let started = ContinuousClock.now
        defer { workGate.leave(ticket, cost: .now - started) }
        return try Self.noise(work)
    }

    private func report(_ handshake: HandshakeState) {
        guard let trace, let last = handshake.transcript.last else { return }
        trace(HandshakeTraceEvent(protocolName: protocolName.description, isInitiator: initiator, message: last))
    }

    /// Runs a Noise operation, wrapping its error as a handshake failure.
    private static func noise<T>(_ operation: () throws -> T) throws -> T {
        do {
            return try operation()
        } catch let error as NoiseError {
            throw ChannelError.handshakeFailed(error)
        }
    }
}
