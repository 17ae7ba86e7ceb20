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
    private let services: [String: any GateService]
    private let handshakes: HandshakeAdmission
    private let handshakeContext: HandshakeContext
    private let limiter: SourceLimiter
    private let failures: FailureLog
    private let sessions: SessionLedger
    private let lastSeen: LastSeenRecorder?
    /// What the server counts (`--metrics`); nil for nothing.
    public let metrics: ServerMetrics?
    private let log: Log
    /// Opened when `shutdown()` begins.
    private let shuttingDown: Latch
    /// Opened when `run()` returns.
    private let stopped = Latch()

    private init(
        configuration: ServerConfiguration, listener: TCPListener, identities: [String: Identity],
        authorizedKeys: AuthorizedKeys, services: [String: any GateService], metrics: ServerMetrics?, log: Log
    ) {
        self.configuration = configuration
        controlAddress = listener.localAddress
        self.services = services
        self.metrics = metrics
        let failures = FailureLog(log: log) { kind in metrics?.recorded(kind) }
        self.failures = failures
        limiter = SourceLimiter(limits: configuration.sourceLimits, failures: failures)
        handshakes = HandshakeAdmission(
            listener: listener, configuration: configuration, limiter: limiter, metrics: metrics, log: log)
        let sessions = SessionLedger(maximumSessions: configuration.maximumSessions, sessionsPerKey: configuration.sessionsPerKey)
        self.sessions = sessions
        let shuttingDown = Latch()
        self.shuttingDown = shuttingDown
        handshakeContext = HandshakeContext(
            configuration: configuration,
            keyPairs: identities.mapValues(\.privateKey.keyPair),
            authorizedKeys: authorizedKeys,
            services: services,
            ikFreshness: IKFreshness(skewLimit: configuration.clockSkew, clock: configuration.wallClock),
            scheduler: HandshakeScheduler(),
            dataPorts: DataPortAllocator(
                range: configuration.dataPorts, patience: configuration.dataPortWait,
                perKeyLimit: configuration.dataPortsPerKey),
            sessions: sessions, failures: failures,
            enrolment: EnrolmentDesk(
                authorizedKeys: authorizedKeys, limiter: EnrolmentLimiter(), wallClock: configuration.wallClock,
                requestTimeout: configuration.handshakeTimeout, metrics: metrics),
            metrics: metrics, log: log,
            isShuttingDown: { [shuttingDown] in shuttingDown.isOpen })
        lastSeen = configuration.lastSeenPath.map { LastSeenRecorder(file: LastSeenFile(path: $0), log: log) }
        self.log = log
    }

    /// Binds the control port.
    ///
    /// - Parameters:
    ///   - identities: the server's static keys, one per DH function it
    ///     accepts (suites whose DH function has no key are not offered).
    ///   - authorizedKeys: the allow-list of client keys.
    ///   - services: the services clients may request.
    ///   - metrics: where the server counts what it does (`--metrics`).
    /// - Throws: `SystemError` when the port cannot be bound.
    public static func start(
        configuration: ServerConfiguration, identities: [Identity], authorizedKeys: AuthorizedKeys,
        services: [any GateService], metrics: ServerMetrics? = nil, log: Log
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
            metrics: metrics, log: log)
    }

    /// The per-source limits in force: `configuration.sourceLimits` until
    /// `updateSourceLimits(_:)`.
    public var sourceLimits: SourceLimits { limiter.limits }

    /// Puts new per-source limits in force for the connections that come
    /// next (a configuration reload); nothing running is cut.
    public func updateSourceLimits(_ limits: SourceLimits) {
        limiter.update(limits)
        log.info("source limits changed", [
            "max_source_handshakes": "\(limits.handshakesInProgress)", "source_handshake_rate": "\(limits.handshakeRate)",
            "source_handshake_burst": "\(limits.handshakeBurst)", "max_source_grants": "\(limits.unresumedGrants)",
        ])
    }

    /// The allow-list and revocations the server consults.
    public var authorizedKeys: AuthorizedKeys { handshakeContext.authorizedKeys }

    /// The metrics in the Prometheus text format, with the server's gauges
    /// and `gauges`; nil without metrics.
    public func metricsText(adding gauges: [ServerMetrics.Gauge] = []) -> String? {
        metrics?.render(gauges: [
            .init(name: "keygate_sessions", help: "Sessions granted and not yet over.", value: activeSessions),
            .init(name: "keygate_data_ports_in_use", help: "Data and passive ports open now.", value: handshakeContext.dataPorts.inUse),
        ] + gauges)
    }

    /// The number of sessions granted and not yet over.
    public var activeSessions: Int { sessions.count }

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
            group.addTask { await self.closeRevokedSessions() }
            if let lastSeen { group.addTask { await lastSeen.run() } }
            while let (id, connection) = await handshakes.nextConnection() {
                group.addTask { await self.serveControlConnection(connection, handshakeID: id) }
            }
            // Stopped: end every session (services were told already).
            group.cancelAll()
        }
        failures.report()
        await lastSeen?.flush()
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
        guard shuttingDown.open() else { return }
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
        let grant = await HandshakeActor(connection: connection, context: handshakeContext).run()
        await connection.close()
        await handshakes.handshakeFinished(handshakeID)
        limiter.handshakeEnded(from: source)
        guard let grant else { return }
        limiter.grantIssued(to: source)
        lastSeen?.recordLogin(grant.peer.fingerprint, at: Int64(configuration.wallClock.now() / 1_000_000))
        defer { sessions.release(of: grant.peer.fingerprint) }
        let limiter = self.limiter
        let session = SessionActor(
            id: grant.sessionID, peer: grant.peer, keys: grant.keys, dataKey: grant.dataKey,
            service: grant.service, listener: grant.listener, grantedAt: .now, configuration: configuration,
            dataPorts: handshakeContext.dataPorts, localHost: connection.localAddress.host, log: grant.log,
            failures: failures, metrics: metrics, traceSession: grant.traceSession, dataConnectionTrace: grant.dataConnectionTrace,
            onResumeSettled: { limiter.grantSettled(for: source) })
        // Its own task, so a revocation can end this session alone.
        let running = Task { await session.run() }
        sessions.started(grant.sessionID, key: grant.clientKey, end: { running.cancel() })
        await withTaskCancellationHandler {
            await running.value
        } onCancel: {
            running.cancel()
        }
        sessions.ended(grant.sessionID)
    }

    /// Twice a second, ends the running sessions of keys that
    /// `revoked_keys` now lists (the lookup reads it only when it changed).
    private func closeRevokedSessions() async {
        let authorizedKeys = handshakeContext.authorizedKeys
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: Self.revocationCheckInterval)
            } catch {
                return
            }
            let keys = sessions.runningKeys
            guard !keys.isEmpty else { continue }
            for key in await KeyFileIO.perform({ authorizedKeys.revoked(among: keys) }) {
                let ended = sessions.end(sessionsOf: key)
                guard !ended.isEmpty else { continue }
                log.warning("sessions closed: key revoked", [
                    "key": key.fingerprint, "sessions": ended.map(String.init).joined(separator: ","),
                    "file": authorizedKeys.revokedPath,
                ])
            }
        }
    }

    /// How often running sessions are checked against `revoked_keys`.
    static let revocationCheckInterval: Duration = .milliseconds(500)
}
