import KeyGateChannel
import KeyGateSockets

/// One granted session: owns its data listener until the client resumes
/// (protocol-v1 section 4), then runs the requested service over the
/// resumed channel, and cleans everything up on any exit.
///
/// Strangers on the data port (garbage, another key, a replay) are closed
/// without harming the session: each candidate connection decrypts on its
/// own copy of the keys, so a failure never advances the session's nonce.
actor SessionActor {
    let id: Int
    let peer: PeerIdentity
    private let keys: SessionKeys
    private let service: any GateService
    private let listener: TCPListener
    private let grantedAt: ContinuousClock.Instant
    private let configuration: ServerConfiguration
    private let dataPorts: DataPortAllocator
    private let localHost: String
    private let log: Log
    private var claimed = false
    private var pendingCandidates = 0

    init(
        id: Int, peer: PeerIdentity, keys: SessionKeys, service: any GateService, listener: TCPListener,
        grantedAt: ContinuousClock.Instant, configuration: ServerConfiguration, dataPorts: DataPortAllocator,
        localHost: String, log: Log
    ) {
        self.id = id
        self.peer = peer
        self.keys = keys
        self.service = service
        self.listener = listener
        self.grantedAt = grantedAt
        self.configuration = configuration
        self.dataPorts = dataPorts
        self.localHost = localHost
        self.log = log
    }

    /// Waits for the client on the data port, then serves it. Returns when
    /// the session is over (expired, finished, failed or cancelled).
    func run() async {
        let port = listener.localAddress.port
        guard let channel = await awaitResume() else {
            log.info("session expired", ["port": "\(port)", "reason": "no RESUME within \(configuration.resumeTimeout)"])
            return
        }
        log.info("resumed", ["port": "\(port)", "service": service.name])
        let started = ContinuousClock.now
        let context = ServiceContext(
            channel: channel, peer: peer, sessionID: id, dataConnections: DataConnectionAuthority(keys: keys),
            dataPorts: dataPorts, localHost: localHost, log: log)
        await service.serve(context)
        await channel.close()
        log.info("left", ["service": service.name, "duration": Self.seconds(ContinuousClock.now - started)])
    }

    /// Accepts candidates on the data port until one proves it holds the
    /// session's keys (its first frame decrypts to RESUME) or the session
    /// expires. The listener is closed on every path.
    private func awaitResume() async -> SecureChannel? {
        let deadline = grantedAt + configuration.resumeTimeout
        let winner = await withTaskGroup(of: SecureChannel?.self) { group -> SecureChannel? in
            while true {
                let remaining = deadline - .now
                guard remaining > .zero else { break }
                let connection: TCPConnection
                do {
                    connection = try await listener.accept(timeout: remaining)
                } catch {
                    break  // closed by the winner, expired, or cancelled
                }
                guard pendingCandidates < configuration.maximumPendingDataConnections else {
                    log.debug("data port busy, connection closed", ["from": connection.remoteAddress.description])
                    await connection.close()
                    continue
                }
                pendingCandidates += 1
                group.addTask { await self.verify(connection) }
            }
            group.cancelAll()
            var winner: SecureChannel?
            for await candidate in group where candidate != nil {
                winner = candidate
            }
            return winner
        }
        await listener.close()
        return winner
    }

    /// Checks one candidate; the first to succeed claims the session and
    /// closes the listener.
    private func verify(_ connection: TCPConnection) async -> SecureChannel? {
        defer { pendingCandidates -= 1 }
        let channel = SecureChannel(stream: connection)
        do {
            _ = try await channel.acceptResume(keys: keys, deadline: .now + configuration.firstFrameTimeout)
            guard !claimed else {
                await channel.close()
                return nil
            }
            claimed = true
            await listener.close()
            return channel
        } catch {
            log.info("stranger on data port closed", [
                "port": "\(listener.localAddress.port)", "from": connection.remoteAddress.description,
                "reason": "\(error)",
            ])
            await channel.close()
            return nil
        }
    }

    static func seconds(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        return "\(Double(milliseconds) / 1000)s"
    }
}
