import KeyGateCrypto
import KeyGateNoise

/// How a client runs the control-port handshake (protocol-v1 section 3).
public struct ClientHandshakeOptions: Sendable {
    /// The suite to propose, e.g. `Noise_XX_25519_ChaChaPoly_SHA256`.
    public var protocolName: String
    /// The client's static private key for the suite's DH function.
    public var staticPrivateKey: [UInt8]
    /// The server's static key, required for IK (pinned).
    public var pinnedServerKey: [UInt8]?
    /// The service to request (`chat`, `ftp`).
    public var service: String
    /// XX: judges the server's static key as soon as message 2 is read,
    /// before message 3 reveals the client's identity. Throw to abort.
    public var verifyServerKey: @Sendable ([UInt8]) async throws -> Void
    /// Limit for the whole handshake.
    public var deadline: ContinuousClock.Instant?
    /// Receives each message's trace (tokens, sizes, public keys, hash).
    public var trace: (@Sendable (HandshakeTraceEvent) -> Void)?

    public init(
        protocolName: String, staticPrivateKey: [UInt8], pinnedServerKey: [UInt8]? = nil, service: String,
        verifyServerKey: @escaping @Sendable ([UInt8]) async throws -> Void = { _ in },
        deadline: ContinuousClock.Instant? = nil, trace: (@Sendable (HandshakeTraceEvent) -> Void)? = nil
    ) {
        self.protocolName = protocolName
        self.staticPrivateKey = staticPrivateKey
        self.pinnedServerKey = pinnedServerKey
        self.service = service
        self.verifyServerKey = verifyServerKey
        self.deadline = deadline
        self.trace = trace
    }
}

/// How a server runs the control-port handshake.
public struct ServerHandshakeOptions: Sendable {
    /// The protocol names the server accepts (a subset of protocol-v1 section 2).
    public var acceptedSuites: Set<String>
    /// The server's static private key for a DH function name (`25519`,
    /// `FFDHE2048`), or nil if it has none.
    public var staticPrivateKey: @Sendable (String) -> [UInt8]?
    /// Limit for the whole handshake.
    public var deadline: ContinuousClock.Instant?
    public var trace: (@Sendable (HandshakeTraceEvent) -> Void)?
    /// The source of the server's ephemeral keys: the kernel's, except in
    /// tests and fuzzing, which fix it to replay recorded handshakes.
    public var random: any RandomSource

    public init(
        acceptedSuites: Set<String>, staticPrivateKey: @escaping @Sendable (String) -> [UInt8]?,
        deadline: ContinuousClock.Instant? = nil, trace: (@Sendable (HandshakeTraceEvent) -> Void)? = nil,
        random: any RandomSource = SystemRandomSource()
    ) {
        self.acceptedSuites = acceptedSuites
        self.staticPrivateKey = staticPrivateKey
        self.deadline = deadline
        self.trace = trace
        self.random = random
    }
}

/// What the server learns from a completed handshake.
public struct ServerHandshakeResult: Sendable {
    public let keys: SessionKeys
    /// The suite the client proposed.
    public let protocolName: String
    /// The client's static public key (check it against the allow-list).
    public let clientStaticKey: [UInt8]
    /// The requested service name, unchecked (the caller knows which exist).
    public let service: String
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
                localStaticPrivateKey: options.staticPrivateKey, localEphemeralPrivateKey: nil,
                remoteStaticPublicKey: pattern == "IK" ? options.pinnedServerKey : nil, presharedKeys: [])
        }
        let service = Array(options.service.utf8)
        if pattern == "XX" {
            try await writeHandshake(handshake, payload: [], options.trace)
            let reply = try await readHandshake(handshake, options.deadline, options.trace)
            try requireEmpty(reply, "XX message 2")
            // Section 9: judge the server before message 3 names the client.
            try await options.verifyServerKey(handshake.remoteStaticPublicKey ?? [])
            try await writeHandshake(handshake, payload: service, options.trace)
        } else {
            try await writeHandshake(handshake, payload: service, options.trace)
            let reply = try await readHandshake(handshake, options.deadline, options.trace)
            try requireEmpty(reply, "IK message 2")
        }
        let (initiatorToResponder, responderToInitiator) = try noise { try handshake.split() }
        let keys = SessionKeys(
            protocolName: options.protocolName, handshakeHash: handshake.handshakeHash,
            sending: initiatorToResponder, receiving: responderToInitiator,
            remoteStaticKey: handshake.remoteStaticPublicKey ?? [])
        establish(keys)
        return keys
    }

    /// Runs the server side: reads the proposed suite (closing at once
    /// when it is not accepted: `ChannelError.unsupportedSuite`), then the
    /// handshake messages.
    public func performServerHandshake(_ options: ServerHandshakeOptions) async throws -> ServerHandshakeResult {
        guard let proposal = try await readFrame(deadline: options.deadline) else {
            throw ChannelError.unexpectedEndOfStream(while: "waiting for the protocol name")
        }
        guard let protocolName = String(validating: proposal, as: UTF8.self),
              options.acceptedSuites.contains(protocolName),
              let name = try? NoiseProtocolName(protocolName),
              let staticKey = options.staticPrivateKey(name.diffieHellman.name)
        else {
            throw ChannelError.unsupportedSuite(String(decoding: proposal.prefix(80), as: UTF8.self))
        }
        let handshake = try noise {
            try HandshakeState(
                protocolName: protocolName, initiator: false, prologue: KeyGateWire.prologue(for: protocolName),
                localStaticPrivateKey: staticKey, localEphemeralPrivateKey: nil,
                remoteStaticPublicKey: nil, presharedKeys: [], random: options.random)
        }
        let servicePayload: [UInt8]
        if name.patternName == "XX" {
            try requireEmpty(try await readHandshake(handshake, options.deadline, options.trace), "XX message 1")
            try await writeHandshake(handshake, payload: [], options.trace)
            servicePayload = try await readHandshake(handshake, options.deadline, options.trace)
        } else {
            servicePayload = try await readHandshake(handshake, options.deadline, options.trace)
            try await writeHandshake(handshake, payload: [], options.trace)
        }
        guard let service = String(validating: servicePayload, as: UTF8.self) else {
            throw ChannelError.unexpectedPayload("service name is not UTF-8")
        }
        let (initiatorToResponder, responderToInitiator) = try noise { try handshake.split() }
        let clientKey = handshake.remoteStaticPublicKey ?? []
        let keys = SessionKeys(
            protocolName: protocolName, handshakeHash: handshake.handshakeHash,
            sending: responderToInitiator, receiving: initiatorToResponder, remoteStaticKey: clientKey)
        establish(keys)
        return ServerHandshakeResult(keys: keys, protocolName: protocolName, clientStaticKey: clientKey, service: service)
    }

    private func parse(_ protocolName: String) throws -> NoiseProtocolName {
        try noise { try NoiseProtocolName(protocolName) }
    }

    private func writeHandshake(
        _ handshake: HandshakeState, payload: [UInt8], _ trace: (@Sendable (HandshakeTraceEvent) -> Void)?
    ) async throws {
        let message = try noise { try handshake.writeMessage(payload: payload) }
        report(handshake, trace)
        try await writeFrame(message)
    }

    private func readHandshake(
        _ handshake: HandshakeState, _ deadline: ContinuousClock.Instant?,
        _ trace: (@Sendable (HandshakeTraceEvent) -> Void)?
    ) async throws -> [UInt8] {
        guard let message = try await readFrame(deadline: deadline) else {
            throw ChannelError.unexpectedEndOfStream(while: "waiting for handshake message \(handshake.transcript.count + 1)")
        }
        let payload = try noise { try handshake.readMessage(message) }
        report(handshake, trace)
        return payload
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
}
