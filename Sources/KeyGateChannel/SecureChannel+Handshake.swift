import KeyGateSystem
import KeyGateCrypto
import KeyGateNoise

/// How a client runs the control-port handshake (PROTOCOL.md section 3).
public struct ClientHandshakeOptions: Sendable {
    /// The suite to propose, e.g. `Noise_XX_25519_ChaChaPoly_SHA256`.
    public var protocolName: String
    /// The client's static key pair for the suite's DH function.
    public var staticKeyPair: StaticKeyPair
    /// The server's static key, required for IK (pinned).
    public var pinnedServerKey: [UInt8]?
    /// The service to request (`chat`, `ftp`).
    public var service: String
    /// XX: judges the server's static key as soon as message 2 is read,
    /// before message 3 reveals the client's identity. Throw to abort.
    public var verifyServerKey: @Sendable ([UInt8]) async throws -> Void
    /// Limit for the whole handshake.
    public var deadline: Deadline?
    /// Receives each message's trace (tokens, sizes, public keys, hash).
    public var trace: (@Sendable (HandshakeTraceEvent) -> Void)?
    /// The clock an IK message 1 carries (section 3.3).
    public var clock: WallClock
    /// The lab keylog that receives the session's transport keys (`--keylog`); nil: none.
    public var keyLog: SessionKeyLog?
    /// The source of the client's ephemeral key: the kernel's, except in
    /// tests and with `--lab-fixed-ephemeral`.
    public var random: any RandomSource = SystemRandomSource()

    public init(
        protocolName: String, staticKeyPair: StaticKeyPair, pinnedServerKey: [UInt8]? = nil, service: String,
        verifyServerKey: @escaping @Sendable ([UInt8]) async throws -> Void = { _ in },
        deadline: Deadline? = nil, trace: (@Sendable (HandshakeTraceEvent) -> Void)? = nil,
        clock: WallClock = .system
    ) {
        self.protocolName = protocolName
        self.staticKeyPair = staticKeyPair
        self.pinnedServerKey = pinnedServerKey
        self.service = service
        self.verifyServerKey = verifyServerKey
        self.deadline = deadline
        self.trace = trace
        self.clock = clock
    }
}

/// What an IK responder has learned from message 1, before it answers
/// (section 3.3): enough to check the allow-list and the message's freshness.
public struct IKFirstMessage: Sendable {
    /// The negotiated protocol name (its DH function types the keys).
    public let protocolName: String
    /// The client's static public key, decrypted from message 1.
    public let clientStaticKey: [UInt8]
    /// The client's ephemeral public key: what a replay repeats.
    public let clientEphemeralKey: [UInt8]
    /// The client's clock, microseconds since 1970.
    public let timestamp: UInt64
    /// The requested service name, unchecked.
    public let service: String
}

/// What the server does after reading an IK message 1.
public enum IKFirstMessageVerdict: Sendable {
    /// Write message 2 (a denial may still follow it).
    case answer
    /// Close at once, without message 2 (a replayed message 1).
    case close
}

/// How a server runs the control-port handshake.
public struct ServerHandshakeOptions: Sendable {
    /// The protocol names the server accepts (a subset of section 2).
    public var acceptedSuites: Set<String>
    /// The server's static key pair for a DH function name (`25519`,
    /// `FFDHE2048`), or nil if it has none.
    public var staticKeyPair: @Sendable (String) -> StaticKeyPair?
    /// Limit for the whole handshake.
    public var deadline: Deadline?
    public var trace: (@Sendable (HandshakeTraceEvent) -> Void)?
    /// The source of the server's ephemeral keys: the kernel's, except in
    /// tests and fuzzing, which fix it to replay recorded handshakes.
    public var random: any RandomSource
    /// IK: judges message 1 before message 2 is written (section 3.3:
    /// allow-list, then replay).
    public var judgeIKFirstMessage: @Sendable (IKFirstMessage) async -> IKFirstMessageVerdict
    /// Admits each message's Diffie-Hellman work; nil computes at once.
    public var workGate: (any HandshakeWorkGate)?
    /// The lab keylog that receives each session's transport keys (`--keylog`); nil: none.
    public var keyLog: SessionKeyLog?

    public init(
        acceptedSuites: Set<String>, staticKeyPair: @escaping @Sendable (String) -> StaticKeyPair?,
        deadline: Deadline? = nil, trace: (@Sendable (HandshakeTraceEvent) -> Void)? = nil,
        random: any RandomSource = SystemRandomSource(),
        judgeIKFirstMessage: @escaping @Sendable (IKFirstMessage) async -> IKFirstMessageVerdict = { _ in .answer },
        workGate: (any HandshakeWorkGate)? = nil
    ) {
        self.acceptedSuites = acceptedSuites
        self.staticKeyPair = staticKeyPair
        self.deadline = deadline
        self.trace = trace
        self.random = random
        self.judgeIKFirstMessage = judgeIKFirstMessage
        self.workGate = workGate
    }
}

/// What the server learns from a completed handshake.
public struct ServerHandshakeResult: Sendable {
    /// The channel the handshake made, keyed for the session.
    public let channel: SecureChannel
    /// The session's keys as the handshake left them.
    public let keys: SessionKeys
    /// The suite the client proposed.
    public let protocolName: String
    /// The client's static public key (check it against the allow-list).
    public let clientStaticKey: [UInt8]
    /// The requested service name, unchecked (the caller knows which exist;
    /// bytes that are not UTF-8 appear as U+FFFD).
    public let service: String
    /// IK: the timestamp of message 1 (microseconds since 1970 by the
    /// client's clock); nil for XX.
    public let timestamp: UInt64?
}

/// One handshake message as seen by one side, for `--trace-handshake`.
public struct HandshakeTraceEvent: Sendable {
    public let protocolName: String
    public let isInitiator: Bool
    public let message: HandshakeMessageTrace

    public init(protocolName: String, isInitiator: Bool, message: HandshakeMessageTrace) {
        self.protocolName = protocolName
        self.isInitiator = isInitiator
        self.message = message
    }
}

extension SecureChannel {
    /// Runs the client side on `stream`: negotiation frame, then the XX or
    /// IK messages with the payloads of section 3.3. The service name goes
    /// in the message that carries the client's static key; when that is
    /// message 1 (IK) the client's clock comes first.
    /// - Returns: the channel keyed for the session (sending = initiator-to-responder).
    /// - Throws: `ChannelError` (timeouts, tampering, `serverKeyRejected`,
    ///   unexpected payloads) or whatever `verifyServerKey` throws. The
    ///   caller closes `stream` on failure.
    public static func clientHandshake(over stream: any ByteStream, _ options: ClientHandshakeOptions) async throws -> SecureChannel {
        let name: NoiseProtocolName
        do {
            name = try NoiseProtocolName(options.protocolName)
        } catch {
            throw ChannelError.handshakeFailed(error)
        }
        guard name.patternName == "XX" || name.patternName == "IK" else {
            throw ChannelError.unsupportedSuite(options.protocolName)
        }
        var frames = FramedStream(stream: stream)
        try await frames.writeFrame(Array(options.protocolName.utf8))
        var driver = NoiseHandshakeDriver(
            protocolName: name, initiator: true, prologue: KeyGateWire.prologue(for: options.protocolName),
            localStaticKeyPair: options.staticKeyPair,
            remoteStaticKey: name.pattern.responderPreMessage.contains(.s) ? options.pinnedServerKey : nil,
            random: options.random, deadline: options.deadline, trace: options.trace)
        driver.keyLog = options.keyLog
        let service = Array(options.service.utf8)
        let clock = options.clock
        let keys = try await driver.run(on: &frames, steps: .init(
            payload: { index, tokens in
                guard tokens.contains(.s) else { return [] }
                return index == 0 ? bigEndianBytes(clock.now()) + service : service
            },
            received: { message in
                try requireEmpty(message, name)
                if message.tokens.contains(.s) {
                    // Section 9: judge the server before the next message names the client.
                    try await options.verifyServerKey(message.remoteStaticKey ?? [])
                }
            }))
        return SecureChannel(continuing: frames, keys: keys)
    }

    /// Runs the server side on `stream`: reads the proposed suite (refused
    /// at once when it is not accepted: `ChannelError.unsupportedSuite`),
    /// then the handshake messages. An IK message 1 is judged before it is
    /// answered; a `.close` verdict throws `ChannelError.firstMessageRefused`.
    /// The caller closes `stream` on failure.
    public static func serverHandshake(over stream: any ByteStream, _ options: ServerHandshakeOptions) async throws -> ServerHandshakeResult {
        var frames = FramedStream(stream: stream)
        guard let proposal = try await frames.readFrame(deadline: options.deadline) else {
            throw ChannelError.unexpectedEndOfStream(while: "waiting for the protocol name")
        }
        guard let protocolName = String(validating: proposal, as: UTF8.self),
              options.acceptedSuites.contains(protocolName),
              let name = try? NoiseProtocolName(protocolName),
              let staticKey = options.staticKeyPair(name.diffieHellman.name)
        else {
            throw ChannelError.unsupportedSuite(String(decoding: proposal.prefix(80), as: UTF8.self))
        }
        var driver = NoiseHandshakeDriver(
            protocolName: name, initiator: false, prologue: KeyGateWire.prologue(for: protocolName),
            localStaticKeyPair: staticKey, random: options.random, deadline: options.deadline, trace: options.trace,
            workGate: options.workGate)
        driver.keyLog = options.keyLog
        var servicePayload: [UInt8] = []
        var timestamp: UInt64?
        let judge = options.judgeIKFirstMessage
        let keys = try await driver.run(on: &frames, steps: .init(received: { message in
            guard message.tokens.contains(.s) else { return try requireEmpty(message, name) }
            guard message.index == 0 else {
                servicePayload = message.payload
                return
            }
            let payload = message.payload
            guard payload.count > KeyGateWire.timestampByteCount else {
                throw ChannelError.unexpectedPayload(
                    "IK message 1 payload of \(payload.count) bytes: at least an 8-byte timestamp and a service name")
            }
            let clock = bigEndianValue(payload.prefix(KeyGateWire.timestampByteCount))
            servicePayload = Array(payload.dropFirst(KeyGateWire.timestampByteCount))
            let first = IKFirstMessage(
                protocolName: protocolName, clientStaticKey: message.remoteStaticKey ?? [],
                clientEphemeralKey: message.remoteEphemeralKey ?? [], timestamp: clock,
                service: String(decoding: servicePayload, as: UTF8.self))
            guard await judge(first) == .answer else { throw ChannelError.firstMessageRefused }
            timestamp = clock
        }))
        // A name that is not UTF-8 names no service: decoded with
        // replacement characters, it gets the usual "unknown service" denial.
        return ServerHandshakeResult(
            channel: SecureChannel(continuing: frames, keys: keys), keys: keys, protocolName: protocolName,
            clientStaticKey: keys.remoteStaticKey, service: String(decoding: servicePayload, as: UTF8.self),
            timestamp: timestamp)
    }

    /// Section 3.3: the handshake messages that carry no static key carry
    /// no payload either.
    private static func requireEmpty(_ message: NoiseHandshakeDriver.ReadMessage, _ name: NoiseProtocolName) throws {
        guard message.payload.isEmpty else {
            throw ChannelError.unexpectedPayload(
                "\(name.patternName) message \(message.index + 1) must have an empty payload, got \(message.payload.count) bytes")
        }
    }

    static func bigEndianBytes(_ value: UInt64) -> [UInt8] {
        stride(from: 56, through: 0, by: -8).map { UInt8(truncatingIfNeeded: value >> UInt64($0)) }
    }

    static func bigEndianValue(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }
}
