import KeyGateChannel
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
    private let identities: [String: Identity]
    private let authorizedKeys: AuthorizedKeys
    private let services: [String: any GateService]
    private let handshakes: HandshakeActor
    private let dataPorts: DataPortAllocator
    private let log: Log
    private let sessionCount = Atomic<Int>(0)
    private let lastSessionID = Atomic<Int>(0)
    private let shuttingDown = Atomic<Bool>(false)
    private let stopped = StopSignal()

    private init(
        configuration: ServerConfiguration, listener: TCPListener, identities: [String: Identity],
        authorizedKeys: AuthorizedKeys, services: [String: any GateService], log: Log
    ) {
        self.configuration = configuration
        controlAddress = listener.localAddress
        self.identities = identities
        self.authorizedKeys = authorizedKeys
        self.services = services
        handshakes = HandshakeActor(listener: listener, configuration: configuration, log: log)
        dataPorts = DataPortAllocator(range: configuration.dataPorts, patience: configuration.dataPortWait)
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
            while let (id, connection) = await handshakes.nextConnection() {
                group.addTask { await self.serveControlConnection(connection, handshakeID: id) }
            }
            // Stopped: end every session (services were told already).
            group.cancelAll()
        }
        log.info("stopped")
        stopped.fire()
    }

    /// Returns once `run()` has returned.
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
        let peerAddress = connection.remoteAddress.description
        let channel = SecureChannel(stream: connection)
        let admission = await admit(channel, connection: connection, peerAddress: peerAddress)
        await channel.close()
        await handshakes.handshakeFinished(handshakeID)
        guard let admission else { return }
        defer { sessionCount.subtract(1, ordering: .relaxed) }
        let session = SessionActor(
            id: admission.sessionID, peer: admission.peer, keys: admission.keys, service: admission.service,
            listener: admission.listener, grantedAt: .now, configuration: configuration, dataPorts: dataPorts,
            localHost: connection.localAddress.host, log: admission.log)
        await session.run()
    }

    /// What a successful handshake phase hands to the session.
    private struct Admission {
        let sessionID: Int
        let peer: PeerIdentity
        let keys: SessionKeys
        let service: any GateService
        let listener: TCPListener
        let log: Log
    }

    /// Handshake, identity and service checks, data port, grant or denial.
    /// Returns nil when the connection was refused (already logged).
    private func admit(_ channel: SecureChannel, connection: TCPConnection, peerAddress: String) async -> Admission? {
        let result: ServerHandshakeResult
        do {
            result = try await channel.performServerHandshake(handshakeOptions(peer: peerAddress))
        } catch {
            log.info("handshake failed", ["peer": peerAddress, "reason": Self.describe(error)])
            return nil
        }
        guard let algorithm = KeyAlgorithm(diffieHellman: DiffieHellmanFunctions.named(
                  result.keys.diffieHellmanName) ?? Curve25519()),
              let clientKey = try? PublicKey(algorithm: algorithm, bytes: result.clientStaticKey)
        else {
            log.error("handshake produced an unusable client key", ["peer": peerAddress])
            return nil
        }
        let fingerprint = clientKey.fingerprint
        guard let name = await authorizedKeys.lookUpName(for: clientKey) else {
            log.info("denied", ["peer": peerAddress, "key": fingerprint, "reason": "key not in \(authorizedKeys.path)"])
            await deny(channel, .denied(reason: GrantReply.Reason.notAllowed, retry: false))
            return nil
        }
        let peer = PeerIdentity(name: name, fingerprint: fingerprint, address: peerAddress)
        let peerLog = log.with(["peer": peerAddress, "key": fingerprint, "name": name])
        guard let service = services[result.service] else {
            peerLog.info("denied", ["reason": "unknown service '\(result.service.prefix(40))'"])
            await deny(channel, .denied(reason: GrantReply.Reason.unknownService, retry: false))
            return nil
        }
        guard !shuttingDown.load(ordering: .relaxed) else {
            await deny(channel, .denied(reason: GrantReply.Reason.shuttingDown, retry: true))
            return nil
        }
        guard reserveSession() else {
            peerLog.warning("denied", ["reason": "session limit \(configuration.maximumSessions) reached"])
            await deny(channel, .denied(reason: GrantReply.Reason.tooManySessions, retry: true))
            return nil
        }
        let listener: TCPListener
        do {
            listener = try await dataPorts.listener(on: connection.localAddress.host)
        } catch {
            sessionCount.subtract(1, ordering: .relaxed)
            peerLog.warning("denied", ["reason": "no data port: \(error)"])
            await deny(channel, .denied(reason: GrantReply.Reason.noFreeDataPort, retry: true))
            return nil
        }
        let port = listener.localAddress.port
        do {
            try await channel.send(GrantReply.granted(port: port, name: name).json.bytes)
        } catch {
            sessionCount.subtract(1, ordering: .relaxed)
            await listener.close()
            peerLog.info("grant not delivered", ["reason": Self.describe(error)])
            return nil
        }
        guard let keys = await channel.sessionKeys else { return nil }
        let sessionID = lastSessionID.add(1, ordering: .relaxed).newValue
        let sessionLog = peerLog.with(["session": "\(sessionID)"])
        sessionLog.info("granted", ["port": "\(port)", "service": service.name, "suite": result.protocolName])
        return Admission(sessionID: sessionID, peer: peer, keys: keys, service: service, listener: listener, log: sessionLog)
    }

    private func reserveSession() -> Bool {
        let count = sessionCount.add(1, ordering: .relaxed).newValue
        guard count <= configuration.maximumSessions else {
            sessionCount.subtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    private func deny(_ channel: SecureChannel, _ reply: GrantReply) async {
        try? await channel.send(reply.json.bytes)
    }

    private func handshakeOptions(peer: String) -> ServerHandshakeOptions {
        let identities = self.identities
        var options = ServerHandshakeOptions(
            acceptedSuites: configuration.acceptedSuites,
            staticPrivateKey: { identities[$0]?.privateKey.bytes },
            deadline: .now + configuration.handshakeTimeout)
        if configuration.traceHandshakes {
            let log = self.log
            options.trace = { event in
                for line in event.lines(peer: peer) { log.info(line) }
            }
        }
        return options
    }

    /// A short reason for the log.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as ChannelError: return error.description
        case let error as SystemError: return error.description
        case is CancellationError: return "server shutting down"
        default: return "\(error)"
        }
    }
}

/// A one-shot event that any number of tasks can wait for.
final class StopSignal: Sendable {
    private let state = Mutex<(fired: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func fire() {
        let waiters = state.withLock { state in
            state.fired = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let fired = state.withLock { state in
                if !state.fired { state.waiters.append(continuation) }
                return state.fired
            }
            if fired { continuation.resume() }
        }
    }
}
