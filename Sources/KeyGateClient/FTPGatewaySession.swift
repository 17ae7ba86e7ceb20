import KeyGateChannel
import KeyGateFTP
import KeyGateServer
import KeyGateSockets
import Synchronization

/// One local FTP client of the gateway and its encrypted session.
///
/// Two tasks relay the conversation: one reads the local client's command
/// lines and forwards them, one reads the server's replies and answers the
/// local client. Every command forwarded leaves an expectation for its
/// final reply, so the reply task knows which reply answers a passive
/// command it rewrote (EPSV upstream, PASV or EPSV locally).
final class FTPGatewaySession: Sendable {
    /// What the next final reply answers.
    enum Expectation: Sendable {
        /// Relay it unchanged.
        case relay
        /// The upstream EPSV sent for a local PASV (`extended` false) or
        /// EPSV: answer with a local listener bridged to the server's.
        case passive(extended: Bool)
    }

    struct State {
        var expectations: [Expectation] = []
        /// Tells the newest bridge which way its transfer goes.
        var direction: AsyncStream<FTPClient.Direction>.Continuation?
    }

    /// The server closes sessions idle for 15 minutes (FTPService.Limits);
    /// a side silent for much longer than that is gone.
    static let idleLimit: Duration = .seconds(3600)

    let local: TCPConnection
    let gateway: FTPGateway
    let state = Mutex(State())
    var log: Log { gateway.log }

    init(local: TCPConnection, gateway: FTPGateway) {
        self.local = local
        self.gateway = gateway
    }

    func run() async {
        let session: GateSession
        do {
            session = try await GateClient.connect(gateway.options)
        } catch {
            log.warning("ftp gateway: no session", ["client": local.remoteAddress.description, "reason": "\(error)"])
            try? await local.write(FTPReply(.serviceNotAvailable, error.description).lineTerminatedMessage, timeout: gateway.timeout)
            await local.close()
            return
        }
        log.info("ftp gateway: session open", ["client": local.remoteAddress.description, "name": session.name])
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.forwardCommands(to: session) }
            group.addTask { await self.relayReplies(from: session) }
            // Either side ending ends both.
            await group.next()
            group.cancelAll()
        }
        state.withLock { $0.direction?.finish() }
        await session.channel.close()
        await local.close()
        log.info("ftp gateway: session closed", ["client": local.remoteAddress.description])
    }

    // MARK: Local → server

    private func forwardCommands(to session: GateSession) async {
        var lines = LineReader(maximumByteCount: FTPCommand.maximumLineByteCount)
        do {
            while let line = try await lines.next(from: local, timeout: Self.idleLimit) {
                let upper = String(decoding: line, as: UTF8.self).uppercased()
                let verb = String(upper.prefix { $0 != " " })
                var message = line
                var expectation = Expectation.relay
                switch verb {
                case "PASV":
                    expectation = .passive(extended: false)
                    message = Array("EPSV".utf8)
                case "EPSV" where upper != "EPSV ALL":
                    // EPSV, EPSV 1, EPSV 2: upstream always plain EPSV, so
                    // that every 229 is a listener this gateway bridges.
                    expectation = .passive(extended: true)
                    message = Array("EPSV".utf8)
                case "RETR", "LIST", "NLST", "MLSD":
                    announce(.download)
                case "STOR", "APPE", "STOU":
                    announce(.upload)
                default:
                    break
                }
                state.withLock { $0.expectations.append(expectation) }
                try await session.channel.send(message, deadline: .now + gateway.timeout)
            }
        } catch {
            if !(error is CancellationError) {
                log.info("ftp gateway: local client gone", ["client": local.remoteAddress.description, "reason": "\(error)"])
            }
        }
    }

    private func announce(_ direction: FTPClient.Direction) {
        state.withLock { state in
            state.direction?.yield(direction)
            state.direction?.finish()
            state.direction = nil
        }
    }

    // MARK: Server → local

    private func relayReplies(from session: GateSession) async {
        var passiveCount: UInt64 = 0
        await withDiscardingTaskGroup { bridges in
            do {
                while let message = try await session.channel.receive(deadline: .now + Self.idleLimit) {
                    let reply = try FTPReply(parsing: message)
                    var expectation = Expectation.relay
                    if !reply.code.isPreliminary {
                        expectation = state.withLock { $0.expectations.isEmpty ? .relay : $0.expectations.removeFirst() }
                    }
                    guard case let .passive(extended) = expectation, reply.code == .enteringExtendedPassiveMode,
                          let upstreamPort = FTPClient.extendedPassivePort(in: reply.text)
                    else {
                        try await local.write(reply.lineTerminatedMessage, timeout: gateway.timeout)
                        continue
                    }
                    passiveCount += 1
                    let localReply = try await openBridge(
                        upstreamPort: upstreamPort, number: passiveCount, extended: extended, session: session,
                        bridges: &bridges)
                    try await local.write(localReply.lineTerminatedMessage, timeout: gateway.timeout)
                }
            } catch {
                if !(error is CancellationError) {
                    log.info("ftp gateway: server side ended", ["reason": "\(error)"])
                }
            }
            bridges.cancelAll()
        }
    }

    /// Opens a local listener for one passive command and starts its
    /// bridge; returns the reply for the local client.
    private func openBridge(
        upstreamPort: UInt16, number: UInt64, extended: Bool, session: GateSession,
        bridges: inout DiscardingTaskGroup
    ) async throws -> FTPReply {
        let address = gateway.listener.localAddress.withPort(0)
        let listener: TCPListener
        do {
            listener = try TCPListener.bind(to: address, backlog: 4)
        } catch {
            return FTPReply(.cannotOpenDataConnection, "Gateway cannot open a local data port: \(error)")
        }
        let (directions, continuation) = AsyncStream<FTPClient.Direction>.makeStream()
        state.withLock { state in
            // A new passive command replaces the previous one.
            state.direction?.finish()
            state.direction = continuation
        }
        let bridge = DataBridge(
            listener: listener, session: session, upstreamPort: upstreamPort, passiveNumber: number,
            repliedAt: .now, timeout: gateway.timeout, log: log)
        bridges.addTask { await bridge.run(directions: directions) }
        let port = listener.localAddress.port
        if extended {
            return FTPReply(.enteringExtendedPassiveMode, "Entering Extended Passive Mode (|||\(port)|)")
        }
        let octets = address.host.split(separator: ".")
        guard !address.isIPv6, octets.count == 4 else {
            await listener.close()
            return FTPReply(.cannotOpenDataConnection, "PASV needs an IPv4 address; use EPSV")
        }
        return FTPReply(
            .enteringPassiveMode,
            "Entering Passive Mode (\(octets.joined(separator: ",")),\(port >> 8),\(port & 0xff))")
    }
}
