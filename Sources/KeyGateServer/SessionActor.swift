import KeyGateSystem
import KeyGateChannel
import KeyGateCrypto
import KeyGateNoise
import KeyGateSockets

/// One granted session: owns its data listener until the client resumes
/// (PROTOCOL.md section 4), then runs the requested service over the
/// resumed channel, and cleans everything up on any exit.
///
/// Strangers on the data port (garbage, another key, a replay) are closed
/// without harming the session: each candidate connection decrypts on its
/// own copy of the keys, so a failure never advances the session's nonce.
actor SessionActor {
    let id: Int
    let peer: PeerIdentity
    private let keys: SessionKeys
    private let dataKey: SecretBytes?
    private let service: any GateService
    private let listener: TCPListener
    private let grantedAt: Deadline
    private let configuration: ServerConfiguration
    private let dataPorts: DataPortAllocator
    private let localHost: String
    private let log: Log
    private let failures: FailureLog
    private let metrics: ServerMetrics?
    /// Told once the grant is settled: resumed, or expired.
    private let onResumeSettled: @Sendable () -> Void
    /// Where the move to the data port is traced (`--trace-file`).
    private let traceSession: HandshakeTraceSession?
    /// Receives the trace of each NNpsk0 data connection's messages.
    private let dataConnectionTrace: (@Sendable (HandshakeTraceEvent) -> Void)?

    init(
        id: Int, peer: PeerIdentity, keys: SessionKeys, dataKey: SecretBytes?, service: any GateService,
        listener: TCPListener, grantedAt: Deadline, configuration: ServerConfiguration,
        dataPorts: DataPortAllocator, localHost: String, log: Log, failures: FailureLog, metrics: ServerMetrics? = nil,
        traceSession: HandshakeTraceSession? = nil, dataConnectionTrace: (@Sendable (HandshakeTraceEvent) -> Void)? = nil,
        onResumeSettled: @escaping @Sendable () -> Void
    ) {
        self.id = id
        self.peer = peer
        self.keys = keys
        self.dataKey = dataKey
        self.service = service
        self.listener = listener
        self.grantedAt = grantedAt
        self.configuration = configuration
        self.dataPorts = dataPorts
        self.localHost = localHost
        self.log = log
        self.failures = failures
        self.metrics = metrics
        self.onResumeSettled = onResumeSettled
        self.traceSession = traceSession
        self.dataConnectionTrace = dataConnectionTrace
    }

    /// Waits for the client on the data port, then serves it. Returns when
    /// the session is over (expired, finished, failed or cancelled).
    func run() async {
        let port = listener.localAddress.port
        let resumed = await awaitResume()
        onResumeSettled()
        guard let channel = resumed else {
            log.info("session expired", ["port": "\(port)", "reason": "no RESUME within \(configuration.resumeTimeout)"])
            return
        }
        log.info("resumed", ["port": "\(port)", "service": service.name])
        traceSession?.recordDataPortMove(
            protocolName: keys.suite.description, port: port, service: service.name,
            size: KeyGateWire.resumeMessage.count + CipherState.tagByteCount)
        let started = Deadline.now
        let meter = metrics?.meter(service: service.name, name: peer.name)
        if let meter { await channel.count(with: meter) }
        let dataConnections = dataKey.map {
            var authority = DataConnectionAuthority(dataKey: $0, diffieHellman: keys.diffieHellman)
            authority.meter = meter
            authority.trace = dataConnectionTrace
            authority.keyLog = configuration.keyLog
            if let lab = configuration.labFixedEphemeral {
                authority.random = lab.source(for: .responder) { [log] in log.warning(LabFixedEphemeral.warning) }
            }
            return authority
        }
        let context = ServiceContext(
            channel: channel, peer: peer, sessionID: id, dataConnections: dataConnections,
            dataPorts: dataPorts, localHost: localHost, log: log, failures: failures,
            transferEnded: { [metrics, peer] outcome in metrics?.transferEnded(outcome: outcome, name: peer.name) })
        await service.serve(context)
        await channel.close()
        log.info("left", ["service": service.name, "duration": Self.seconds(Deadline.now - started)])
    }

    /// Accepts candidates on the data port until one proves it holds the
    /// session's keys (its first frame decrypts to RESUME) or the session
    /// expires. The listener is closed on every path.
    private func awaitResume() async -> SecureChannel? {
        let detection = configuration.deadPeerDetection
        let dataListener = DataListener(
            listener: listener, handshakeHost: peer.host, share: configuration.pendingDataConnectionsPerShare,
            failures: failures)
        return await dataListener.awaitResume(
            keys: keys, until: grantedAt + configuration.resumeTimeout, firstFrameTimeout: configuration.firstFrameTimeout,
            onClaimed: { connection in
                if let detection { try await connection.detectDeadPeer(detection) }
            })
    }

    static func seconds(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        return "\(Double(milliseconds) / 1000)s"
    }
}
