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
}

extension SecureChannel {
    /// Runs the client side: negotiation frame, then the XX or IK messages
    /// with the payloads of section 3.3.
    /// - Returns: the session keys (sending = initiator-to-responder).
    /// - Throws: `ChannelError` (timeouts, tampering, `serverKeyRejected`,
    ///   unexpected payloads) or whatever `verifyServerKey` throws.
    public func performClientHandshake(_ options: ClientHandshakeOptions) async throws -> SessionKeys {
        let name = try parse(options.protocolName)
        let pattern = name.patternName
        guard pattern == "XX" || pattern == "IK" else {
            throw ChannelError.unsupportedSuite(options.protocolName)
        }
        try await writeFrame(Array(options.protocolName.utf8))
        let handshake = try noise {
            try HandshakeState(
                protocolName: options.protocolName, initiator: true,
                prologue: KeyGateWire.prologue(for: options.protocolName),
                localStaticKeyPair: options.staticKeyPair,
                remoteStaticPublicKey: pattern == "IK" ? options.pinnedServerKey : nil)
        }
        let service = Array(options.service.utf8)
        if pattern == "XX" {
            try await writeHandshake(handshake, payload: [], options.trace)
            let reply = try await readHandshake(handshake, options.deadline, options.trace, gate: nil)
            try requireEmpty(reply, "XX message 2")
            // Section 9: judge the server before message 3 names the client.
            try await options.verifyServerKey(handshake.remoteStaticPublicKey ?? [])
            try await writeHandshake(handshake, payload: service, options.trace)
        } else {
            let payload = Self.bigEndianBytes(options.clock.now()) + service
            try await writeHandshake(handshake, payload: payload, options.trace)
            let reply = try await readHandshake(handshake, options.deadline, options.trace, gate: nil)
            try requireEmpty(reply, "IK message 2")
        }
        let (initiatorToResponder, responderToInitiator) = try noise { try handshake.split() }
        let keys = SessionKeys(
            suite: name, handshakeHash: handshake.handshakeHash,
            sending: initiatorToResponder, receiving: responderToInitiator,
            remoteStaticKey: handshake.remoteStaticPublicKey ?? [])
        establish(keys)
        return keys
    }

    /// Runs the server side: reads the proposed suite (closing at once
    /// when it is not accepted: `ChannelError.unsupportedSuite`), then the
    /// handshake messages. An IK message 1 is judged before it is answered;
    /// a `.close` verdict throws `ChannelError.firstMessageRefused`.
    public func performServerHandshake(_ options: ServerHandshakeOptions) async throws -> ServerHandshakeResult {
        guard let proposal = try await readFrame(deadline: options.deadline) else {
            throw ChannelError.unexpectedEndOfStream(while: "waiting for the protocol name")
        }
        guard let protocolName = String(validating: proposal, as: UTF8.self),
              options.acceptedSuites.contains(protocolName),
              let name = try? NoiseProtocolName(protocolName),
              let staticKey = options.staticKeyPair(name.diffieHellman.name)
        else {
            throw ChannelError.unsupportedSuite(String(decoding: proposal.prefix(80), as: UTF8.self))
        }
        let handshake = try noise {
            try HandshakeState(
                protocolName: protocolName, initiator: false, prologue: KeyGateWire.prologue(for: protocolName),
                localStaticKeyPair: staticKey, remoteStaticPublicKey: nil, random: options.random)
        }
        let gate = options.workGate
        let servicePayload: [UInt8]
        var timestamp: UInt64?
        if name.patternName == "XX" {
            try requireEmpty(try await readHandshake(handshake, options.deadline, options.trace, gate: gate), "XX message 1")
            try await writeHandshake(handshake, payload: [], options.trace, gate: gate)
            servicePayload = try await readHandshake(handshake, options.deadline, options.trace, gate: gate)
        } else {
            let payload = try await readHandshake(handshake, options.deadline, options.trace, gate: gate)
            guard payload.count > KeyGateWire.timestampByteCount else {
                throw ChannelError.unexpectedPayload(
                    "IK message 1 payload of \(payload.count) bytes: at least an 8-byte timestamp and a service name")
            }
            let clock = Self.bigEndianValue(payload.prefix(KeyGateWire.timestampByteCount))
            servicePayload = Array(payload.dropFirst(KeyGateWire.timestampByteCount))
            let first = IKFirstMessage(
                protocolName: protocolName, clientStaticKey: handshake.remoteStaticPublicKey ?? [],
                clientEphemeralKey: handshake.remoteEphemeralPublicKey ?? [], timestamp: clock,
                service: String(decoding: servicePayload, as: UTF8.self))
            guard await options.judgeIKFirstMessage(first) == .answer else {
                throw ChannelError.firstMessageRefused
            }
            timestamp = clock
            try await writeHandshake(handshake, payload: [], options.trace, gate: gate)
        }
        // A name that is not UTF-8 names no service: decoded with
        // replacement characters, it gets the usual "unknown service" denial.
        let service = String(decoding: servicePayload, as: UTF8.self)
        let (initiatorToResponder, responderToInitiator) = try noise { try handshake.split() }
        let clientKey = handshake.remoteStaticPublicKey ?? []
        let keys = SessionKeys(
            suite: handshake.protocolName, handshakeHash: handshake.handshakeHash,
            sending: responderToInitiator, receiving: initiatorToResponder, remoteStaticKey: clientKey)
        establish(keys)
        return ServerHandshakeResult(
            keys: keys, protocolName: protocolName, clientStaticKey: clientKey, service: service, timestamp: timestamp)
    }

    private func parse(_ protocolName: String) throws -> NoiseProtocolName {
        try noise { try NoiseProtocolName(protocolName) }
    }

    private func writeHandshake(
        _ handshake: HandshakeState, payload: [UInt8], _ trace: (@Sendable (HandshakeTraceEvent) -> Void)?,
        gate: (any HandshakeWorkGate)? = nil
    ) async throws {
        let message = try await compute(gate) { try handshake.writeMessage(payload: payload) }
        report(handshake, trace)
        try await writeFrame(message)
    }

    private func readHandshake(
        _ handshake: HandshakeState, _ deadline: Deadline?,
        _ trace: (@Sendable (HandshakeTraceEvent) -> Void)?, gate: (any HandshakeWorkGate)?
    ) async throws -> [UInt8] {
        guard let message = try await readFrame(deadline: deadline) else {
            throw ChannelError.unexpectedEndOfStream(while: "waiting for handshake message \(handshake.transcript.count + 1)")
        }
        let payload = try await compute(gate) { try handshake.readMessage(message) }
        report(handshake, trace)
        return payload
    }

    /// Runs one message's Noise work, in a turn of `gate` when there is one.
    private func compute<T>(
        _ gate: (any HandshakeWorkGate)?, _ work: () throws -> T
    ) async throws -> T {
        guard let gate else { return try noise(work) }
        let ticket = try await gate.enter()
        let started = ContinuousClock.now
        defer { gate.leave(ticket, cost: .now - started) }
        return try noise(work)
    }

    private func report(_ handshake: HandshakeState, _ trace: (@Sendable (HandshakeTraceEvent) -> Void)?) {
        guard let trace, let last = handshake.transcript.last else { return }
        trace(HandshakeTraceEvent(
            protocolName: handshake.protocolName.description, isInitiator: handshake.isInitiator, message: last))
    }

    private func requireEmpty(_ payload: [UInt8], _ what: String) throws {
        guard payload.isEmpty else {
            throw ChannelError.unexpectedPayload("\(what) must have an empty payload, got \(payload.count) bytes")
        }
    }

    /// Runs a Noise operation, wrapping its error as a handshake failure.
    private func noise<T>(_ operation: () throws -> T) throws -> T {
        do {
            return try operation()
        } catch let error as NoiseError {
            throw ChannelError.handshakeFailed(error)
        }
    }

    static func bigEndianBytes(_ value: UInt64) -> [UInt8] {
        stride(from: 56, through: 0, by: -8).map { UInt8(truncatingIfNeeded: value >> UInt64($0)) }
    }

    static func bigEndianValue(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }
}
