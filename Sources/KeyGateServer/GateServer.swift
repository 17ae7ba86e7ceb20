import KeyGateSystem
import KeyGateChannel
import KeyGateCrypto
import KeyGateKeys
import KeyGateNoise
import KeyGateSockets
import Synchronization

/// The KeyGate server: the control port, the handshakes, the grants and the
/// sessions, with the services they run.
///
///     let server = try await GateServer.start(configuration: ..., identities: ..., ...)
///     await server.run()          // until shutdown()
public final class GateServer: Sendable {
    public let configuration: ServerConfiguration
    /// Where the control listener is bound (the real port when 0 was asked).
    public let controlAddress: SocketAddress
    /// The server's key pairs by DH function name, built once at start:
    /// no handshake recomputes a static public key.
    private let keyPairs: [String: StaticKeyPair]
    private let authorizedKeys: AuthorizedKeys
    private let services: [String: any GateService]
    private let handshakes: HandshakeAdmission
    private let limiter: SourceLimiter
    private let failures: FailureLog
    private let scheduler: HandshakeScheduler
    private let ikFreshness: IKFreshness
    private let dataPorts: DataPortAllocator
    private let log: Log
    private let sessionCount = Atomic<Int>(0)
    /// Sessions (granted or running) per client key fingerprint.
    private let sessionsByKey = Mutex<[String: Int]>([:])
    private let lastSessionID = Atomic<Int>(0)
    private let shuttingDown = Atomic<Bool>(false)
    /// Opened when `run()` returns.
    private let stopped = Latch()

    private init(
        configuration: ServerConfiguration, listener: TCPListener, identities: [String: Identity],
        authorizedKeys: AuthorizedKeys, services: [String: any GateService], log: Log
    ) {
        self.configuration = configuration
        controlAddress = listener.localAddress
        keyPairs = identities.mapValues(\.privateKey.keyPair)
        self.authorizedKeys = authorizedKeys
        self.services = services
        failures = FailureLog(log: log)
        limiter = SourceLimiter(limits: configuration.sourceLimits, failures: failures)
        scheduler = HandshakeScheduler()
        ikFreshness = IKFreshness(skewLimit: configuration.clockSkew, clock: configuration.wallClock)
        handshakes = HandshakeAdmission(listener: listener, configuration: configuration, limiter: limiter, log: log)
        dataPorts = DataPortAllocator(
            range: configuration.dataPorts, patience: configuration.dataPortWait, perKeyLimit: configuration.dataPortsPerKey)
        self.log = log
    }

    /// Binds the control port.
    ///
    /// - Parameters:
    ///   - identities: the server's static keys, one per DH function it
    ///     accepts (suites whose DH function has no key are not offered).
    ///   - authorizedKeys: the allow-list of client keys.
    ///   - services: the services clients may request.
    /// - Throws: `SystemError` when the port cannot be bound.
    public static func start(
        configuration: ServerConfiguration, identities: [Identity], authorizedKeys: AuthorizedKeys,
        services: [any GateService], log: Log
    ) async throws -> GateServer {
        let listener = try TCPListener.bind(to: configuration.listenAddress, backlog: 4096)
        var byDiffieHellman: [String: Identity] = [:]
        for identity in identities {
            byDiffieHellman[identity.algorithm.diffieHellman.name] = identity
        }
        var configuration = configuration
        configuration.acceptedSuites = configuration.acceptedSuites.filter { suite in
            byDiffieHellman.keys.contains { suite.contains("_\($0)_") }
        }
        return GateServer(
            configuration: configuration, listener: listener, identities: byDiffieHellman,
            authorizedKeys: authorizedKeys, services: Dictionary(uniqueKeysWithValues: services.map { ($0.name, $0) }),
            log: log)
    }

    /// The number of sessions granted and not yet over.
    public var activeSessions: Int { sessionCount.load(ordering: .relaxed) }

    /// Serves until `shutdown()`: accepts control connections and runs each
    /// one's handshake and session in its own task.
    public func run() async {
        log.info("listening", [
            "control": controlAddress.description,
            "data_ports": "\(configuration.dataPorts.lowerBound)-\(configuration.dataPorts.upperBound)",
            "services": services.keys.sorted().joined(separator: ","),
            "suites": configuration.acceptedSuites.sorted().joined(separator: ","),
        ])
        await withDiscardingTaskGroup { group in
            group.addTask { await self.reportLimits() }
            while let (id, connection) = await handshakes.nextConnection() {
                group.addTask { await self.serveControlConnection(connection, handshakeID: id) }
            }
            // Stopped: end every session (services were told already).
            group.cancelAll()
        }
        failures.report()
        log.info("stopped")
        stopped.open()
    }

    /// Every interval, one summary line per source with repeated failures.
    private func reportLimits() async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: FailureLog.interval)
            } catch {
                return
            }
            failures.report()
            limiter.forgetIdleSources()
        }
    }

    /// Returns once `run()` has returned, or when the waiting task is
    /// cancelled (before or while it waits).
    public func waitUntilStopped() async {
        await stopped.wait()
    }

    /// Stops accepting, lets the services tell their clients, and ends the
    /// sessions; `run()` returns once they are closed.
    public func shutdown() async {
        guard !shuttingDown.exchange(true, ordering: .relaxed) else { return }
        log.info("shutting down", ["sessions": "\(activeSessions)"])
        for service in services.values {
            await service.prepareForShutdown()
        }
        await handshakes.stop()
    }

    // MARK: One control connection

    /// Runs the handshake phase and, after a grant, the session.
    private func serveControlConnection(_ connection: TCPConnection, handshakeID: Int) async {
        let source = connection.remoteAddress.host
        let admission = await admit(connection)
        await connection.close()
        await handshakes.handshakeFinished(handshakeID)
        limiter.handshakeEnded(from: source)
        guard let admission else { return }
        limiter.grantIssued(to: source)
        defer { releaseSession(of: admission.peer.fingerprint) }
        let limiter = self.limiter
        let session = SessionActor(
            id: admission.sessionID, peer: admission.peer, keys: admission.keys, dataKey: admission.dataKey,
            service: admission.service, listener: admission.listener, grantedAt: .now, configuration: configuration,
            dataPorts: dataPorts, localHost: connection.localAddress.host, log: admission.log, failures: failures,
            onResumeSettled: { limiter.grantSettled(for: source) })
        await session.run()
    }

    /// What a successful handshake phase hands to the session.
    private struct Admission {
        let sessionID: Int
        let peer: PeerIdentity
        let keys: SessionKeys
        let dataKey: SecretBytes?
        let service: any GateService
        let listener: TCPListener
        let log: Log
    }

    /// Handshake, identity, freshness and service checks, data port, grant
    /// or denial. Returns nil when the connection was refused (already logged).
    private func admit(_ connection: TCPConnection) async -> Admission? {
        let peerAddress = connection.remoteAddress.description
        let freshness = FreshnessNote()
        let result: ServerHandshakeResult
        do {
            result = try await SecureChannel.serverHandshake(
                over: connection, handshakeOptions(peer: peerAddress, source: connection.remoteAddress.host, freshness: freshness))
        } catch ChannelError.firstMessageRefused {
            return nil  // a replay, logged by the judge
        } catch {
            failures.record(.handshakeFailed, from: connection.remoteAddress.host, "handshake failed",
                            [("peer", peerAddress), ("reason", Self.describe(error))])
            return nil
        }
        let channel = result.channel
        guard let clientKey = Self.clientKey(result) else {
            log.error("handshake produced an unusable client key", ["peer": peerAddress])
            return nil
        }
        let fingerprint = clientKey.fingerprint
        guard let name = await authorizedKeys.lookUpName(for: clientKey) else {
            log.info("denied", ["peer": peerAddress, "key": fingerprint, "reason": "key not in \(authorizedKeys.path)"])
            await deny(channel, .denied(reason: GrantReply.Reason.notAllowed, retry: false))
            return nil
        }
        let peer = PeerIdentity(name: name, fingerprint: fingerprint, address: peerAddress, host: connection.remoteAddress.host)
        let peerLog = log.with(["peer": peerAddress, "key": fingerprint, "name": name])
        if let refusal = Self.refusal(for: freshness.verdict, limit: ikFreshness.skewLimit) {
            peerLog.warning("refused IK message 1", ["reason": refusal.logReason])
            await deny(channel, .denied(reason: refusal.reply, retry: refusal.retry))
            return nil
        }
        guard let service = services[result.service] else {
            peerLog.info("denied", ["reason": "unknown service '\(result.service.prefix(40))'"])
            await deny(channel, .denied(reason: GrantReply.Reason.unknownService, retry: false))
            return nil
        }
        guard !shuttingDown.load(ordering: .relaxed) else {
            await deny(channel, .denied(reason: GrantReply.Reason.shuttingDown, retry: true))
            return nil
        }
        switch reserveSession(for: fingerprint) {
        case .reserved:
            break
        case .serverFull:
            peerLog.warning("denied", ["reason": "session limit \(configuration.maximumSessions) reached"])
            await deny(channel, .denied(reason: GrantReply.Reason.tooManySessions, retry: true))
            return nil
        case .keyFull:
            peerLog.warning("denied", ["reason": "this key's session limit \(configuration.sessionsPerKey) reached"])
            await deny(channel, .denied(reason: GrantReply.Reason.tooManySessionsForKey, retry: true))
            return nil
        }
        let listener: TCPListener
        do {
            listener = try await dataPorts.listener(on: connection.localAddress.host, for: fingerprint)
        } catch {
            releaseSession(of: fingerprint)
            peerLog.warning("denied", ["reason": "no data port: \(error)"])
            await deny(channel, .denied(reason: GrantReply.Reason.noFreeDataPort, retry: true))
            return nil
        }
        let port = listener.localAddress.port
        // Section 3.5: fresh from the kernel, for this session's data
        // connections only.
        let dataKey = service.usesDataConnections
            ? configuration.labFixedEphemeral.map { SecretBytes($0.dataKey) } ?? SecretBytes.random(count: KeyGateWire.dataKeyByteCount)
            : nil
        do {
            try await channel.send(GrantReply.granted(port: port, name: name, dataKey: dataKey).json.bytes)
        } catch {
            releaseSession(of: fingerprint)
            await listener.close()
            peerLog.info("grant not delivered", ["reason": Self.describe(error)])
            return nil
        }
        let keys = await channel.sessionKeys
        let sessionID = lastSessionID.add(1, ordering: .relaxed).newValue
        let sessionLog = peerLog.with(["session": "\(sessionID)"])
        sessionLog.info("granted", ["port": "\(port)", "service": service.name, "suite": result.protocolName])
        return Admission(
            sessionID: sessionID, peer: peer, keys: keys, dataKey: dataKey, service: service, listener: listener,
            log: sessionLog)
    }

    /// The client's static key as the suite's key algorithm names it.
    private static func clientKey(_ result: ServerHandshakeResult) -> PublicKey? {
        clientKey(protocolName: result.protocolName, bytes: result.clientStaticKey)
    }

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
    }

    private static func refusal(for verdict: IKFreshness.Verdict?, limit: Duration) -> Refusal? {
        switch verdict {
        case nil, .fresh?, .replayed?:
            return nil
        case let .clockSkew(seconds)?:
            return Refusal(
                reply: GrantReply.Reason.clockSkew(seconds: seconds, limit: limit), retry: false,
                logReason: "clock skew of \(seconds) s (limit \(limit))")
        case .memoryFull?:
            return Refusal(
                reply: GrantReply.Reason.replayMemoryFull, retry: true,
                logReason: "the memory of recent IK messages is full for this key or in all")
        case let .datedBeforeStart(secondsAgo)?:
            return Refusal(
                reply: GrantReply.Reason.restarted(secondsAgo: Int(secondsAgo)), retry: true,
                logReason: "dated before the server started \(secondsAgo) s ago")
        }
    }

    private enum SessionReservation {
        case reserved, serverFull, keyFull
    }

    /// Counts a session for the server and for `key`, unless either is at
    /// its limit. A reserved session is given back with `releaseSession`.
    private func reserveSession(for key: String) -> SessionReservation {
        let count = sessionCount.add(1, ordering: .relaxed).newValue
        guard count <= configuration.maximumSessions else {
            sessionCount.subtract(1, ordering: .relaxed)
            return .serverFull
        }
        let limit = configuration.sessionsPerKey
        let reserved = sessionsByKey.withLock { sessions in
            guard sessions[key, default: 0] < limit else { return false }
            sessions[key, default: 0] += 1
            return true
        }
        guard reserved else {
            sessionCount.subtract(1, ordering: .relaxed)
            return .keyFull
        }
        return .reserved
    }

    private func releaseSession(of key: String) {
        sessionCount.subtract(1, ordering: .relaxed)
        sessionsByKey.withLock { sessions in
            let remaining = sessions[key, default: 1] - 1
            sessions[key] = remaining > 0 ? remaining : nil
        }
    }

    private func deny(_ channel: SecureChannel, _ reply: GrantReply) async {
        try? await channel.send(reply.json.bytes)
    }

    private func handshakeOptions(peer: String, source: String, freshness: FreshnessNote) -> ServerHandshakeOptions {
        let keyPairs = self.keyPairs
        let authorizedKeys = self.authorizedKeys
        let ikFreshness = self.ikFreshness
        let log = self.log
        let failures = self.failures
        var options = ServerHandshakeOptions(
            acceptedSuites: configuration.acceptedSuites,
            staticKeyPair: { keyPairs[$0] },
            deadline: .now + configuration.handshakeTimeout,
            judgeIKFirstMessage: { first in
                // Section 3.3: the allow-list first; an unknown key gets the
                // usual denial after message 2 and is remembered nowhere.
                guard let key = Self.clientKey(protocolName: first.protocolName, bytes: first.clientStaticKey),
                      await authorizedKeys.lookUpName(for: key) != nil
                else { return .answer }
                let verdict = ikFreshness.judge(
                    keyID: key.fingerprint, ephemeralKey: first.clientEphemeralKey, timestamp: first.timestamp)
                freshness.verdict = verdict
                guard verdict != .replayed else {
                    failures.record(.refusedIKMessage, from: source, level: .warning, "refused IK message 1",
                                    [("peer", peer), ("key", key.fingerprint), ("reason", "replayed")])
                    return .close
                }
                return .answer
            },
            workGate: scheduler.gate(for: source))
        options.keyLog = configuration.keyLog
        if let lab = configuration.labFixedEphemeral {
            options.random = lab.source(for: .responder) { log.warning(LabFixedEphemeral.warning, ["peer": peer]) }
        }
        if configuration.traceHandshakes {
            options.trace = { event in
                for line in event.lines(peer: peer) { log.info(line) }
            }
        }
        return options
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

/// What the IK judge decided for one handshake, read once it is over.
private final class FreshnessNote: Sendable {
    private let state = Mutex<IKFreshness.Verdict?>(nil)

    var verdict: IKFreshness.Verdict? {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }
}
