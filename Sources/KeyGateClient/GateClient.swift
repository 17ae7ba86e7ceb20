import KeyGateSystem
import KeyGateChannel
import KeyGateKeys
import KeyGateNoise
import KeyGateSockets
import Glibc

/// How to reach a KeyGate server and who to be.
public struct GateClientOptions: Sendable {
    public var host: String
    public var port: UInt16
    /// The client's key folder (identity, `known_hosts`).
    public var keys: KeyStore
    /// The identity's name: `NAME.key` (X25519) or `NAME-ffdhe2048.key`.
    public var identityName: String
    /// The DH function of the suite, and of the identity.
    public var algorithm: KeyAlgorithm
    /// The server's key: when given, IK is used with it pinned; otherwise
    /// XX with trust on first use in `known_hosts`.
    public var pinnedServerKey: PublicKey?
    /// `chat` or `ftp`.
    public var service: String
    /// Limit for each step: connect, handshake with grant, resume.
    public var timeout: Duration
    /// Receives each handshake message's trace lines (`--trace-handshake`).
    public var trace: (@Sendable (String) -> Void)?
    /// How much `trace` receives (`--trace-handshake=explain`).
    public var traceDetail: HandshakeTraceDetail = .tokens
    /// Where each session's handshake, grant and data-port move are
    /// appended as JSON lines (`--trace-file`).
    public var traceFile: HandshakeTraceFile?
    /// Receives the server's grant or denial as sent (`--json`).
    public var replyObserver: (@Sendable ([UInt8]) -> Void)?
    /// Where notices go (a key was created, a host was trusted).
    public var log: Log
    /// The clock an IK message 1 carries (tests move it).
    public var clock: WallClock = .system
    /// Trust a known server's key of an algorithm not recorded for it yet
    /// (`--accept-new-host-key`); a changed key of a known algorithm is
    /// refused whatever this says.
    public var acceptNewHostKeyAlgorithm = false
    /// The lab keylog that receives the transport keys of the session and
    /// its data connections (`--keylog`); nil: none.
    public var keyLog: SessionKeyLog?
    /// `--lab-fixed-ephemeral`: reproducible ephemeral keys, for labs only; nil: the kernel's.
    public var labFixedEphemeral: LabFixedEphemeral?

    public init(
        host: String, port: UInt16 = KeyGateWire.defaultControlPort, keys: KeyStore, identityName: String = "client",
        algorithm: KeyAlgorithm = .x25519, pinnedServerKey: PublicKey? = nil, service: String,
        timeout: Duration = Timeouts.clientStep, log: Log
    ) {
        self.host = host
        self.port = port
        self.keys = keys
        self.identityName = identityName
        self.algorithm = algorithm
        self.pinnedServerKey = pinnedServerKey
        self.service = service
        self.timeout = timeout
        self.log = log
    }

    /// The suite the client proposes.
    public var protocolName: String {
        KeyGateWire.suiteName(pattern: pinnedServerKey == nil ? "XX" : "IK", dh: algorithm.diffieHellman.name)
    }
}

/// An established session, resumed on its data port.
public struct GateSession: Sendable {
    /// The encrypted channel on the data port.
    public let channel: SecureChannel
    /// The client's name in the server's allow-list.
    public let name: String
    /// The session's data port.
    public let dataPort: UInt16
    /// The server's address with the data port.
    public let dataAddress: SocketAddress
    /// Opens FTP data connections for this session, keyed by the grant's
    /// `data_key`; nil when the grant carried none (chat).
    public let dataConnections: DataConnectionAuthority?
    /// How long the handshake, grant and resume took.
    public let setupDuration: Duration

    /// Opens the data connection of FTP passive command `passiveNumber`,
    /// whose 227/229 reply named `port` at `repliedAt`: connects and runs
    /// NNpsk0, connecting again while the connection is cut before message
    /// 2, for at most 30 seconds after the reply (PROTOCOL.md section 6).
    /// - Parameters:
    ///   - timeout: limit for each connect and each handshake.
    ///   - reconnecting: false for a single attempt, whose cut is left to
    ///     the caller.
    /// - Throws: `ClientError.failed` when the grant carried no `data_key`,
    ///   or the last attempt's error.
    public func dialData(
        port: UInt16, passiveNumber: UInt64, timeout: Duration, repliedAt: Deadline, reconnecting: Bool = true
    ) async throws -> SecureChannel {
        guard let dataConnections else {
            throw ClientError.failed("this session's grant carried no data_key: it cannot open data connections")
        }
        return try await dataConnections.dial(
            dataAddress.withPort(port), passiveNumber: passiveNumber, timeout: timeout,
            reconnection: reconnecting ? Reconnection(until: repliedAt + Timeouts.reconnectWindow) : .never)
    }
}

/// Connects to a KeyGate server: control handshake, grant, move to the
/// data port (PROTOCOL.md sections 3 and 4), reconnecting to the data port
/// when the connection is cut before the server acknowledges it.
public enum GateClient {
    /// - Throws: `ClientError`, whose `exitStatus` is what the command exits with.
    public static func connect(_ options: GateClientOptions) async throws(ClientError) -> GateSession {
        try await connect(options, identity: try await loadIdentity(options, enrolling: false))
    }

    /// The client's identity, created if missing (and said so in the log).
    static func loadIdentity(_ options: GateClientOptions, enrolling: Bool) async throws(ClientError) -> Identity {
        let identity: Identity
        do {
            let keys = options.keys, name = options.identityName, algorithm = options.algorithm
            let (loaded, created) = try await KeyFileIO.perform { try keys.loadOrCreateIdentity(name: name, algorithm: algorithm) }
            identity = loaded
            if loaded.privateKey.hasOddFFDHEExponent {
                options.log.warning("client key has an odd FFDHE exponent", [
                    "file": loaded.privateKeyPath,
                    "risk": "a hostile server can learn one bit of it; keys made now have even exponents",
                    "fix": "make a new key with keygate keygen --force and have it allowed again",
                ])
            }
            if created {
                if enrolling {
                    options.log.warning("created a new client key", ["file": loaded.privateKeyPath, "fingerprint": loaded.fingerprint])
                } else {
                    options.log.warning("created a new client key", [
                        "file": loaded.privateKeyPath, "fingerprint": loaded.fingerprint,
                        "next": "ask the server's operator to run: keygate allow \(loaded.publicKeyPath)",
                    ])
                }
            }
        } catch {
            throw .failed("client key: \(error)")
        }
        return identity
    }

    /// Connection attempts when the server closes the control connection
    /// before the handshake completes (a server at its handshake limit
    /// does that), with the pause before each retry.
    static let retryPauses: [Duration] = [.milliseconds(250), .seconds(1)]

    /// Connects with an identity already loaded (benchmarks reuse one).
    public static func connect(_ options: GateClientOptions, identity: Identity) async throws(ClientError) -> GateSession {
        var pauses = retryPauses[...]
        while true {
            do {
                return try await attempt(options, identity: identity)
            } catch let failure as HandshakeClosed {
                guard let pause = pauses.popFirst() else { throw failure.error }
                options.log.info("the server closed the connection during the handshake; retrying", ["in": "\(pause)"])
                try? await Task.sleep(for: pause)
            } catch {
                throw error as? ClientError ?? .failed("\(error)")
            }
        }
    }

    /// The control connection was closed or reset before the handshake
    /// completed: the server may be at its limit, so it is worth a retry.
    private struct HandshakeClosed: Error {
        let error: ClientError
    }

    private static func attempt(_ options: GateClientOptions, identity: Identity) async throws -> GateSession {
        let started = Deadline.now
        let (control, address) = try await dialControl(options)
        let traceSession = options.traceFile.map { HandshakeTraceSession(file: $0, side: .initiator, peer: address.description) }
        let trace = Self.traceHandler(options, peer: address.description, session: traceSession)
        var handshakeCompleted = false
        let reply: GrantReply
        let channel: SecureChannel
        do {
            channel = try await handshake(control, options: options, identity: identity, trace: trace)
            handshakeCompleted = true
            guard let replyBytes = try await channel.receive(deadline: .now + options.timeout) else {
                throw ClientError.failed("the server closed the connection without a grant")
            }
            options.replyObserver?(replyBytes)
            reply = try GrantReply(parsing: replyBytes)
            Self.record(reply, size: replyBytes.count + CipherState.tagByteCount, options: options, in: traceSession)
        } catch {
            await control.close()
            let clientError = classify(error, options: options)
            if Self.isClosedByPeer(error) && !handshakeCompleted {
                throw HandshakeClosed(error: clientError)
            }
            throw clientError
        }
        await channel.close()
        let grantedAt = Deadline.now
        guard case let .granted(port, name, dataKey) = reply else {
            if case let .denied(reason, retry) = reply { throw ClientError.denied(reason: reason, retry: retry) }
            throw ClientError.failed("unexpected reply")
        }
        // The channel's keys, not the handshake's: receiving the grant has
        // advanced the receiving nonce, and the session continues from there.
        var sessionKeys = await channel.sessionKeys
        if options.service == KeyGateWire.ftpService && dataKey == nil {
            throw ClientError.failed("the server's ftp grant carries no data_key: it does not speak \(KeyGateWire.protocolVersion)")
        }
        let dataAddress = address.withPort(port)
        let session: SecureChannel
        do {
            let resumeFrame = try SecureChannel.resumeFrame(advancing: &sessionKeys)
            session = try await resume(
                at: dataAddress, frame: resumeFrame, keys: sessionKeys, timeout: options.timeout,
                reconnection: Reconnection(until: grantedAt + Timeouts.reconnectWindow))
            // The frame's payload: RESUME and its tag (resumeFrame holds the length too).
            traceSession?.recordDataPortMove(
                protocolName: options.protocolName, port: port, service: options.service,
                size: KeyGateWire.resumeMessage.count + CipherState.tagByteCount)
        } catch {
            throw ClientError.from(error, during: "resuming on the data port \(dataAddress)")
        }
        return GateSession(
            channel: session, name: name, dataPort: port, dataAddress: dataAddress,
            dataConnections: dataKey.map {
                var authority = DataConnectionAuthority(dataKey: $0, diffieHellman: sessionKeys.diffieHellman)
                authority.trace = trace
                authority.keyLog = options.keyLog
                if let lab = options.labFixedEphemeral {
                    authority.random = lab.source(for: .initiator) { options.log.warning(LabFixedEphemeral.warning) }
                }
                return authority
            },
            setupDuration: .now - started)
    }

    /// Section 4: connects to the data port and sends the sealed RESUME
    /// frame, then waits for the server's first message, its
    /// acknowledgement (left unread for the service's reader). A
    /// connection cut before it is reconnected with the same frame; one that
    /// stays silent for 5 seconds is a failure.
    static func resume(
        at address: SocketAddress, frame: [UInt8], keys: SessionKeys, timeout: Duration, reconnection: Reconnection
    ) async throws -> SecureChannel {
        try await reconnection.connect(to: address, timeout: timeout) { connection in
            let channel = try await SecureChannel.resume(over: connection, frame: frame, keys: keys)
            guard try await channel.awaitFrame(deadline: .now + Timeouts.acknowledgement) else {
                throw ChannelError.unexpectedEndOfStream(while: "waiting for the server to acknowledge RESUME")
            }
            return channel
        }
    }

    /// A connection to the server's control port: the first of its
    /// addresses that answers.
    static func dialControl(_ options: GateClientOptions) async throws(ClientError) -> (TCPConnection, SocketAddress) {
        let addresses: [SocketAddress]
        do {
            addresses = try await SocketAddress.resolve(host: options.host, port: options.port)
        } catch {
            throw ClientError.from(error, during: "resolving \(options.host)")
        }
        return try await connectFirst(addresses, timeout: options.timeout)
    }

    private static func connectFirst(
        _ addresses: [SocketAddress], timeout: Duration
    ) async throws(ClientError) -> (TCPConnection, SocketAddress) {
        var lastError: (any Error)?
        for address in addresses {
            do {
                return (try await TCPConnection.connect(to: address, deadline: .after(timeout)), address)
            } catch {
                lastError = error
            }
        }
        throw .from(lastError ?? SystemError.closed, during: "connecting")
    }

    /// What each handshake message's trace goes to: the lines of
    /// `--trace-handshake` and the records of `--trace-file`; nil for neither.
    private static func traceHandler(
        _ options: GateClientOptions, peer: String, session: HandshakeTraceSession?
    ) -> (@Sendable (HandshakeTraceEvent) -> Void)? {
        let lines = options.trace
        guard lines != nil || session != nil else { return nil }
        let detail = options.traceDetail
        return { event in
            if let lines { event.lines(peer: peer, detail: detail).forEach(lines) }
            session?.record(event)
        }
    }

    /// Appends the grant or denial to the trace file.
    private static func record(_ reply: GrantReply, size: Int, options: GateClientOptions, in session: HandshakeTraceSession?) {
        guard let session else { return }
        switch reply {
        case let .granted(port, _, _):
            session.recordGrant(protocolName: options.protocolName, port: port, service: options.service, size: size)
        case let .denied(reason, _):
            session.recordDenial(protocolName: options.protocolName, reason: reason, size: size)
        }
    }

    static func handshake(
        _ control: TCPConnection, options: GateClientOptions, identity: Identity,
        trace: (@Sendable (HandshakeTraceEvent) -> Void)?
    ) async throws -> SecureChannel {
        let knownHosts = KnownHosts(path: options.keys.knownHostsPath)
        let host = options.host
        let port = Int(options.port)
        let algorithm = options.algorithm
        let acceptNewAlgorithm = options.acceptNewHostKeyAlgorithm
        let log = options.log
        var handshakeOptions = ClientHandshakeOptions(
            protocolName: options.protocolName, staticKeyPair: identity.privateKey.keyPair,
            pinnedServerKey: options.pinnedServerKey?.bytes, service: options.service,
            verifyServerKey: { keyBytes in
                // PROTOCOL.md section 9: judged before message 3 reveals us.
                let key = try PublicKey(algorithm: algorithm, bytes: keyBytes)
                let outcome = try await knownHosts.verify(host: host, port: port, key: key, acceptNewAlgorithm: acceptNewAlgorithm)
                if case .remembered = outcome {
                    log.warning("trusting the server's key on first use", [
                        "server": "\(host):\(port)", "fingerprint": key.fingerprint, "file": knownHosts.path,
                    ])
                }
            },
            deadline: .now + options.timeout, trace: trace, clock: options.clock)
        handshakeOptions.keyLog = options.keyLog
        if let lab = options.labFixedEphemeral {
            handshakeOptions.random = lab.source(for: .initiator) { options.log.warning(LabFixedEphemeral.warning) }
        }
        return try await SecureChannel.clientHandshake(over: control, handshakeOptions)
    }

    private static func isClosedByPeer(_ error: any Error) -> Bool {
        if let error = error as? ChannelError, case .unexpectedEndOfStream = error { return true }
        if let error = error as? SystemError, let code = error.errno { return code == ECONNRESET || code == EPIPE }
        return false
    }

    static func classify(_ error: any Error, options: GateClientOptions) -> ClientError {
        let version = KeyGateWire.protocolVersion
        if let error = error as? ChannelError, case .unexpectedEndOfStream = error {
            if options.pinnedServerKey != nil {
                return .closedDuringHandshake(
                    "the server closed the connection during the IK handshake. Likely causes: the pinned key "
                        + "(--server-key) is not this server's key (compare with 'keygate fingerprint' on the server), "
                        + "the server does not accept \(options.protocolName) (see its --suites), "
                        + "or it speaks another protocol version than \(version)")
            }
            return .failed(
                "the server closed the connection during the handshake; it may not accept \(options.protocolName) "
                    + "(see its --suites), it may be at its handshake limit, "
                    + "or it may speak another protocol version than \(version)")
        }
        if let error = error as? ChannelError, case .handshakeFailed(.decryptionFailed) = error {
            return .failed(
                "handshake with \(options.host):\(options.port) failed: the server's message did not decrypt. "
                    + "The server most likely speaks another protocol version (this client speaks \(version)); "
                    + "otherwise the handshake was tampered with on the way")
        }
        return .from(error, during: "handshake with \(options.host):\(options.port)")
    }
}
