import KeyGateSystem
import KeyGateChannel
import KeyGateCrypto
import KeyGateKeys
import KeyGateNoise
import KeyGateSockets

/// The handshake phase of one control connection (PROTOCOL.md sections 2
/// to 4): negotiation and the Noise handshake, the allow-list, IK
/// freshness, the service, the session limits, the data port, and the
/// grant or the denial. `run()` returns what the session needs once the
/// grant is delivered; the connection is the caller's to close.
///
/// `HandshakeAdmission` decides which connections get a handshake at all;
/// each admitted one runs in a `HandshakeActor` of its own, side by side,
/// and a granted one continues in a `SessionActor`.
actor HandshakeActor {
    /// What a delivered grant hands to the session.
    struct Grant: Sendable {
        let sessionID: Int
        let peer: PeerIdentity
        /// The client's static key, for closing its sessions on revocation.
        let clientKey: PublicKey
        let keys: SessionKeys
        let dataKey: SecretBytes?
        let service: any GateService
        let listener: TCPListener
        let log: Log
        /// Where this session's trace goes (`--trace-file`).
        let traceSession: HandshakeTraceSession?
        /// The trace of the session's NNpsk0 data connections.
        let dataConnectionTrace: (@Sendable (HandshakeTraceEvent) -> Void)?
    }

    private let connection: TCPConnection
    private let context: HandshakeContext
    private let peerAddress: String
    private let source: String
    /// What the IK judge decided, read once the handshake is over.
    private var freshness: IKFreshness.Verdict?
    /// This handshake's part of the trace file (`--trace-file`).
    private let traceSession: HandshakeTraceSession?
    /// When the connection was accepted (the handshake histogram).
    private let accepted = ContinuousClock.now
    /// The suite agreed, once the Noise handshake is done.
    private var suite: String?
    /// Whether a denial was sent.
    private var denied = false
    /// Whether the connection was an enrolment (no grant, and no failure).
    private var enrolment = false

    init(connection: TCPConnection, context: HandshakeContext) {
        self.connection = connection
        self.context = context
        peerAddress = connection.remoteAddress.description
        source = connection.remoteAddress.host
        traceSession = context.configuration.traceFile.map {
            HandshakeTraceSession(file: $0, side: .responder, peer: connection.remoteAddress.description)
        }
    }

    /// Runs the handshake phase to a grant (returned) or a refusal (nil,
    /// already logged and, where the protocol allows, told to the client).
    func run() async -> Grant? {
        let grant = await decide()
        // A denial is counted before it is sent (`deny`), so that a client
        // that has read it finds it in the metrics.
        if let metrics = context.metrics, !denied {
            metrics.handshakeEnded(suite: suite ?? "none", outcome: grant != nil ? "granted" : enrolment ? "enrolment" : "failed")
            if grant != nil { metrics.handshakeGranted(after: ContinuousClock.now - accepted) }
        }
        return grant
    }

    /// The handshake phase, to a grant or nil.
    private func decide() async -> Grant? {
        guard let result = await handshake() else { return nil }
        suite = result.protocolName
        let channel = result.channel
        if result.service == KeyGateWire.enrollService {
            enrolment = true
            await enroll(result, channel: channel)
            return nil
        }
        guard let (peer, clientKey, peerLog, options) = await identify(result, channel: channel) else { return nil }
        if let refusal = Self.refusal(for: freshness, limit: context.ikFreshness.skewLimit) {
            peerLog.write(.warning, RefusalKind.event, fields: refusal.kind.fields(source: source, detail: refusal.logReason))
            await deny(channel, .denied(reason: refusal.reply, retry: refusal.retry), counted: refusal.kind.rawValue)
            return nil
        }
        guard let service = context.services[result.service] else {
            peerLog.write(.info, RefusalKind.event, fields: RefusalKind.unknownService.fields(
                source: source, detail: "unknown service '\(result.service.prefix(40))'"))
            await deny(channel, .denied(reason: GrantReply.Reason.unknownService, retry: false), counted: RefusalKind.unknownService.rawValue)
            return nil
        }
        guard options.allows(service: service.name) else {
            await denyListed(channel, "service '\(service.name)' not in the key's services=\"...\" option", log: peerLog)
            return nil
        }
        guard !context.isShuttingDown() else {
            await deny(channel, .denied(reason: GrantReply.Reason.shuttingDown, retry: true), counted: "shutting-down")
            return nil
        }
        guard await reserveSession(for: peer, channel: channel, log: peerLog) else { return nil }
        guard let grant = await grant(
            service, to: peer, key: clientKey, over: channel, suite: result.protocolName, log: peerLog)
        else {
            context.sessions.release(of: peer.fingerprint)
            return nil
        }
        return grant
    }

    // MARK: Steps

    /// The Noise handshake; nil when it failed (logged) or the first
    /// message was refused as a replay (logged by the judge).
    private func handshake() async -> ServerHandshakeResult? {
        do {
            return try await SecureChannel.serverHandshake(over: connection, handshakeOptions())
        } catch ChannelError.firstMessageRefused {
            return nil
        } catch {
            context.failures.record(.handshakeFailed, from: source, RefusalKind.event,
                                    RefusalKind.handshakeFailed.fields(source: source, detail: Self.describe(error)) + [("peer", peerAddress)])
            return nil
        }
    }

    /// The client's identity from the allow-list; a key that is not
    /// listed, is revoked, or whose options keep it out is denied.
    private func identify(
        _ result: ServerHandshakeResult, channel: SecureChannel
    ) async -> (PeerIdentity, PublicKey, Log, KeyOptions)? {
        guard let clientKey = Self.clientKey(protocolName: result.protocolName, bytes: result.clientStaticKey) else {
            context.log.error("handshake produced an unusable client key", ["peer": peerAddress])
            return nil
        }
        let fingerprint = clientKey.fingerprint
        let keyLog = context.log.with(["peer": peerAddress, "key": fingerprint])
        let entry: AuthorizedKeys.Entry
        switch await context.authorizedKeys.lookUpVerdict(for: clientKey) {
        case let .allowed(allowed):
            entry = allowed
        case .notListed:
            context.log.write(.warning, RefusalKind.event, fields: RefusalKind.unknownKey.fields(
                source: source, detail: "key not in \(context.authorizedKeys.path)") + [("peer", peerAddress), ("key", fingerprint)])
            await deny(channel, .denied(reason: GrantReply.Reason.notAllowed, retry: false), counted: RefusalKind.unknownKey.rawValue)
            return nil
        case let .failedClosed(line):
            await denyListed(channel, "\(context.authorizedKeys.path):\(line) has options that cannot be used", log: keyLog)
            return nil
        case let .revoked(line):
            await denyListed(channel, "key revoked (\(context.authorizedKeys.revokedPath):\(line))", log: keyLog, kind: .revoked)
            return nil
        case let .revocationsUnreadable(error):
            await denyListed(channel, "revocation list unreadable, every key is denied: \(error)", log: keyLog)
            return nil
        }
        let options = entry.options
        let peerLog = keyLog.with(["name": entry.name])
        if !options.allows(host: source) {
            await denyListed(channel, "address \(source) not in the key's from=\"...\" option", log: peerLog)
            return nil
        }
        if options.hasExpired(at: Int64(context.configuration.wallClock.now() / 1_000_000)) {
            await denyListed(channel, "key expired at \(options.expiry?.text ?? "?") (expiry-time option)", log: peerLog)
            return nil
        }
        let access = FileAccess(readOnly: options.ftpReadOnly, root: options.ftpRoot)
        let peer = PeerIdentity(name: entry.name, fingerprint: fingerprint, address: peerAddress, host: source, fileAccess: access)
        return (peer, clientKey, peerLog, options)
    }

    /// The `enroll` service: one invite redeemed (or refused), no data port.
    private func enroll(_ result: ServerHandshakeResult, channel: SecureChannel) async {
        guard let clientKey = Self.clientKey(protocolName: result.protocolName, bytes: result.clientStaticKey) else {
            context.log.error("handshake produced an unusable client key", ["peer": peerAddress])
            return
        }
        let log = context.log.with(["peer": peerAddress, "key": clientKey.fingerprint, "service": KeyGateWire.enrollService])
        await context.enrolment.serve(channel, key: clientKey, source: source, log: log)
    }

    /// Denies a key the allow-list knows, with the generic reason; the log
    /// says exactly why.
    private func denyListed(_ channel: SecureChannel, _ why: String, log: Log, kind: RefusalKind = .notPermitted) async {
        log.write(.warning, RefusalKind.event, fields: kind.fields(source: source, detail: why))
        await deny(channel, .denied(reason: GrantReply.Reason.notPermitted, retry: false), counted: kind.rawValue)
    }

    /// Takes a place among the server's and the key's sessions, or denies.
    private func reserveSession(for peer: PeerIdentity, channel: SecureChannel, log: Log) async -> Bool {
        do {
            try context.sessions.reserve(for: peer.fingerprint)
            return true
        } catch {
            switch error {
            case .serverFull:
                log.write(.warning, RefusalKind.event, fields: RefusalKind.sessionLimit.fields(
                    source: source, detail: "session limit \(context.sessions.maximumSessions) reached"))
                await deny(channel, .denied(reason: GrantReply.Reason.tooManySessions, retry: true),
                           counted: RefusalKind.sessionLimit.rawValue, limit: "max_sessions")
            case .keyFull:
                log.write(.warning, RefusalKind.event, fields: RefusalKind.keySessionLimit.fields(
                    source: source, detail: "this key's session limit \(context.sessions.sessionsPerKey) reached"))
                await deny(channel, .denied(reason: GrantReply.Reason.tooManySessionsForKey, retry: true),
                           counted: RefusalKind.keySessionLimit.rawValue, limit: "max_key_sessions")
            }
        }
        return false
    }

    /// Opens the data port and delivers the grant (section 4); nil when
    /// there is no free port or the grant could not be sent.
    private func grant(
        _ service: any GateService, to peer: PeerIdentity, key: PublicKey, over channel: SecureChannel, suite: String,
        log: Log
    ) async -> Grant? {
        let listener: TCPListener
        do {
            listener = try await context.dataPorts.listener(on: connection.localAddress.host, for: peer.fingerprint)
        } catch {
            log.write(.warning, RefusalKind.event, fields: RefusalKind.noDataPort.fields(source: source, detail: "no data port: \(error)"))
            await deny(channel, .denied(reason: GrantReply.Reason.noFreeDataPort, retry: true),
                       counted: RefusalKind.noDataPort.rawValue, limit: "data_ports")
            return nil
        }
        let port = listener.localAddress.port
        // Section 3.5: fresh from the kernel, for this session's data
        // connections only.
        let dataKey = service.usesDataConnections
            ? context.configuration.labFixedEphemeral.map { SecretBytes($0.dataKey) }
                ?? SecretBytes.random(count: KeyGateWire.dataKeyByteCount)
            : nil
        do {
            let grant = GrantReply.granted(port: port, name: peer.name, dataKey: dataKey).json.bytes
            try await channel.send(grant)
            traceSession?.recordGrant(
                protocolName: suite, port: port, service: service.name, size: grant.count + CipherState.tagByteCount)
        } catch {
            await listener.close()
            log.info("grant not delivered", ["reason": Self.describe(error)])
            return nil
        }
        let sessionID = context.sessions.nextSessionID()
        let sessionLog = log.with(["session": "\(sessionID)"])
        sessionLog.info("granted", ["port": "\(port)", "service": service.name, "suite": suite])
        return Grant(
            sessionID: sessionID, peer: peer, clientKey: key, keys: await channel.sessionKeys, dataKey: dataKey, service: service,
            listener: listener, log: sessionLog, traceSession: traceSession, dataConnectionTrace: handshakeTrace())
    }

    /// Sends the denial `reply`, counted in the metrics as `reason` (and as
    /// a hit of `limit`).
    private func deny(_ channel: SecureChannel, _ reply: GrantReply, counted reason: String, limit: String? = nil) async {
        denied = true
        context.metrics?.denied(reason)
        context.metrics?.handshakeEnded(suite: suite ?? "none", outcome: "denied")
        if let limit { context.metrics?.limitHit(limit) }
        try? await channel.send(reply.json.bytes)
    }

    // MARK: Handshake options

    private func note(_ verdict: IKFreshness.Verdict) {
        freshness = verdict
    }

    private func handshakeOptions() -> ServerHandshakeOptions {
        let context = self.context
        let (peer, source) = (peerAddress, self.source)
        var options = ServerHandshakeOptions(
            acceptedSuites: context.configuration.acceptedSuites,
            staticKeyPair: { context.keyPairs[$0] },
            deadline: .now + context.configuration.handshakeTimeout,
            judgeIKFirstMessage: { first in
                // Section 3.3: the allow-list first; an unknown key gets the
                // usual denial after message 2 and is remembered nowhere.
                guard let key = Self.clientKey(protocolName: first.protocolName, bytes: first.clientStaticKey),
                      await context.authorizedKeys.lookUpName(for: key) != nil
                else { return .answer }
                let verdict = context.ikFreshness.judge(
                    keyID: key.fingerprint, ephemeralKey: first.clientEphemeralKey, timestamp: first.timestamp)
                await self.note(verdict)
                guard verdict != .replayed else {
                    context.failures.record(.refusedIKMessage, from: source, level: .warning, RefusalKind.event,
                                            RefusalKind.ikReplayed.fields(source: source, detail: "IK message 1 seen before")
                                                + [("peer", peer), ("key", key.fingerprint)])
                    return .close
                }
                return .answer
            },
            workGate: context.scheduler.gate(for: source))
        options.trace = handshakeTrace()
        options.keyLog = context.configuration.keyLog
        if let lab = context.configuration.labFixedEphemeral {
            let log = context.log
            options.random = lab.source(for: .responder) { log.warning(LabFixedEphemeral.warning, ["peer": peer]) }
        }
        return options
    }

    /// Where each handshake message's trace goes: the log
    /// (`--trace-handshake`) and the trace file (`--trace-file`); nil for neither.
    private func handshakeTrace() -> (@Sendable (HandshakeTraceEvent) -> Void)? {
        let configuration = context.configuration
        guard configuration.traceHandshakes || traceSession != nil else { return nil }
        let (log, peer, traceSession) = (context.log, peerAddress, self.traceSession)
        let logLines = configuration.traceHandshakes
        let detail = configuration.traceDetail
        return { event in
            if logLines {
                for line in event.lines(peer: peer, detail: detail) { log.info(line) }
            }
            traceSession?.record(event)
        }
    }

    // MARK: Pure helpers

    /// The client's static key as the suite's key algorithm names it.
    private static func clientKey(protocolName: String, bytes: [UInt8]) -> PublicKey? {
        guard let name = try? NoiseProtocolName(protocolName),
              let algorithm = KeyAlgorithm(diffieHellman: name.diffieHellman)
        else { return nil }
        return try? PublicKey(algorithm: algorithm, bytes: bytes)
    }

    /// Why an IK message 1 that was answered must still be denied.
    private struct Refusal {
        let reply: String
        let retry: Bool
        let logReason: String
        /// The refusal's stable name in the log.
        let kind: RefusalKind
    }

    private static func refusal(for verdict: IKFreshness.Verdict?, limit: Duration) -> Refusal? {
        switch verdict {
        case nil, .fresh?, .replayed?:
            return nil
        case let .clockSkew(seconds)?:
            return Refusal(
                reply: GrantReply.Reason.clockSkew(seconds: seconds, limit: limit), retry: false,
                logReason: "IK message 1 with a clock skew of \(seconds) s (limit \(limit))", kind: .ikStale)
        case .memoryFull?:
            return Refusal(
                reply: GrantReply.Reason.replayMemoryFull, retry: true,
                logReason: "the memory of recent IK messages is full for this key or in all", kind: .ikBusy)
        case let .datedBeforeStart(secondsAgo)?:
            return Refusal(
                reply: GrantReply.Reason.restarted(secondsAgo: Int(secondsAgo)), retry: true,
                logReason: "IK message 1 dated before the server started \(secondsAgo) s ago", kind: .ikStale)
        }
    }

    /// A short reason for the log.
    static func describe(_ error: any Error) -> String {
        if case ChannelError.handshakeFailed(.decryptionFailed)? = error as? ChannelError {
            return "\(error) (a client of another protocol version? this server speaks \(KeyGateWire.protocolVersion))"
        }
        if case let ChannelError.unexpectedEndOfStream(activity)? = error as? ChannelError, activity.hasSuffix("message 3") {
            return "\(error) (the client may have refused this server's key, or speak another protocol version "
                + "than \(KeyGateWire.protocolVersion))"
        }
        switch error {
        case let error as ChannelError: return error.description
        case let error as SystemError: return error.description
        case is CancellationError: return "server shutting down"
        default: return "\(error)"
        }
    }
}
