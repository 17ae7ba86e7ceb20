import KeyGateSystem
import KeyGateChannel
import KeyGateFTP
import KeyGateSockets
import Synchronization

/// One local FTP client of the gateway and its encrypted session.
///
/// First the gateway alone: the owner check (a stranger gets 530 and is
/// disconnected), the gateway's greeting, then `GatewayLogin` for each
/// line until the session is to open (an HTTP line closes the connection,
/// and with a password only a right PASS opens it). So a stranger or a web
/// page never gets a session opened with the owner's key.
///
/// Then two tasks relay the conversation: one reads the local client's
/// command lines and forwards them, one reads the server's replies and
/// answers the local client. Every command forwarded leaves an
/// expectation for its final reply, so the reply task knows which reply
/// answers a passive command it rewrote (EPSV upstream, PASV or EPSV
/// locally).
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
        /// Opened by the newest bridge once it has admitted the owner's
        /// data connection, or given up waiting for it.
        var dataConnectionSettled: Latch?
    }

    /// The server closes sessions idle for 15 minutes (FTPService.Limits);
    /// a side silent for much longer than that is gone.
    static let idleLimit: Duration = .seconds(3600)
    /// Time for the first command, or with a password for the login,
    /// after the greeting.
    static let loginLimit: Duration = .seconds(300)

    let local: TCPConnection
    let gateway: FTPGateway
    let state = Mutex(State())
    var log: Log { gateway.log }

    init(local: TCPConnection, gateway: FTPGateway) {
        self.local = local
        self.gateway = gateway
    }

    func run() async {
        let client = local.remoteAddress.description
        var lines = LineReader(maximumByteCount: FTPCommand.maximumLineByteCount)
        guard await isOwner(), let opening = await logIn(&lines), let session = await openSession() else {
            await local.close()
            return
        }
        log.info("ftp gateway: session open", ["client": client, "name": session.name])
        let first: [UInt8]?
        switch opening {
        case let .loggedIn(reply):
            do {
                try await local.write(reply.lineTerminatedMessage, deadline: .after(gateway.timeout))
            } catch {
                await session.channel.close()
                await local.close()
                return
            }
            first = nil
        case let .forward(line):
            first = line
        }
        let reader = lines
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.forwardCommands(first: first, lines: reader, to: session) }
            group.addTask { await self.relayReplies(from: session) }
            // Either side ending ends both.
            await group.next()
            group.cancelAll()
        }
        state.withLock { $0.direction?.finish() }
        await session.channel.close()
        await local.close()
        log.info("ftp gateway: session closed", ["client": client])
    }

    // MARK: Before the session

    /// Whether the other end of the connection is the owner's (or root's);
    /// a stranger gets 530 and the refusal is logged.
    private func isOwner() async -> Bool {
        let verdict = await gateway.access.check(local)
        guard let refusal = gateway.access.refusal(for: verdict) else { return true }
        log.warning("ftp gateway: connection refused, not the owner's",
                    gateway.access.refusalFields(verdict, client: local.remoteAddress))
        try? await local.write(refusal.lineTerminatedMessage, deadline: .after(gateway.timeout))
        return false
    }

    /// Greets the client and runs `GatewayLogin` until the session is to
    /// open; nil when the connection is to close instead.
    private func logIn(_ lines: inout LineReader) async -> GatewayLogin.Opening? {
        var login = GatewayLogin(password: gateway.access.password)
        let client = local.remoteAddress.description
        do {
            try await local.write(login.greeting.lineTerminatedMessage, deadline: .after(gateway.timeout))
            while let line = try await lines.next(from: local, timeout: Self.loginLimit) {
                switch login.receive(line) {
                case let .reply(reply):
                    try await local.write(reply.lineTerminatedMessage, deadline: .after(gateway.timeout))
                case let .wrongPassword(reply, closing):
                    log.warning("ftp gateway: wrong password", ["client": client, "closing": closing ? "yes" : "no"])
                    try await local.write(reply.lineTerminatedMessage, deadline: .after(gateway.timeout))
                    if closing { return nil }
                case let .replyAndClose(reply):
                    try await local.write(reply.lineTerminatedMessage, deadline: .after(gateway.timeout))
                    return nil
                case .closeHTTP:
                    log.warning("ftp gateway: HTTP request closed, nothing forwarded", [
                        "client": client, "line": Self.printable(line.prefix(80)),
                    ])
                    return nil
                case let .openSession(opening):
                    return opening
                }
            }
        } catch is TimedOut {
            log.info("ftp gateway: no command in time", ["client": client, "limit": "\(Self.loginLimit)"])
            try? await local.write(
                FTPReply(.serviceNotAvailable, "No command for \(Self.loginLimit); closing").lineTerminatedMessage,
                deadline: .after(gateway.timeout))
        } catch {
            if !(error is CancellationError) {
                log.info("ftp gateway: local client gone", ["client": client, "reason": "\(error)"])
            }
        }
        return nil
    }

    /// Opens the encrypted session and takes the server's greeting (the
    /// client has had the gateway's). On failure the client gets 421
    /// with the reason, or the server's own refusal.
    private func openSession() async -> GateSession? {
        let client = local.remoteAddress.description
        let session: GateSession
        do {
            session = try await GateClient.connect(gateway.options)
        } catch {
            log.warning("ftp gateway: no session", ["client": client, "reason": "\(error)"])
            try? await local.write(FTPReply(.serviceNotAvailable, error.description).lineTerminatedMessage, deadline: .after(gateway.timeout))
            return nil
        }
        var refusal: FTPReply
        do {
            if let message = try await session.channel.receive(deadline: .now + gateway.timeout) {
                let greeting = try FTPReply(parsing: message)
                if greeting.code == .serviceReady { return session }
                refusal = greeting
            } else {
                refusal = FTPReply(.serviceNotAvailable, "The server closed the session without a greeting")
            }
        } catch {
            refusal = FTPReply(.serviceNotAvailable, "No greeting from the server: \(error)")
        }
        log.warning("ftp gateway: session not usable", ["client": client, "reply": refusal.description])
        await session.channel.close()
        try? await local.write(refusal.lineTerminatedMessage, deadline: .after(gateway.timeout))
        return nil
    }

    /// `bytes` for a log line: printable ASCII kept, anything else as `?`.
    static func printable(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.map { (0x20..<0x7f).contains($0) ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
    }

    // MARK: Local → server

    private func forwardCommands(first: [UInt8]?, lines reader: LineReader, to session: GateSession) async {
        var lines = reader
        do {
            if let first { try await forward(first, to: session) }
            while let line = try await lines.next(from: local, timeout: Self.idleLimit) {
                try await forward(line, to: session)
            }
        } catch {
            if !(error is CancellationError) {
                log.info("ftp gateway: local client gone", ["client": local.remoteAddress.description, "reason": "\(error)"])
            }
        }
    }

    private func forward(_ line: [UInt8], to session: GateSession) async throws {
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
        case "PASS":
            // The key is the login: whatever password the local client
            // sends (the gateway's own, or one typed out of habit) is not
            // the server's business.
            message = Array("PASS".utf8)
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
                    if reply.code.isPreliminary, let settled = state.withLock({ $0.dataConnectionSettled }) {
                        // The 150 of a transfer waits until the bridge has
                        // admitted the data connection: a client starts an
                        // upload on the 150 and may close its end at once,
                        // and a closed socket no longer shows its owner in
                        // the socket table. (vsftpd, too, answers 150 in
                        // passive mode only once the connection is there,
                        // so clients connect before they wait for it.)
                        await settled.wait()
                    }
                    guard case let .passive(extended) = expectation, reply.code == .enteringExtendedPassiveMode,
                          let upstreamPort = FTPReply.extendedPassivePort(in: reply.text)
                    else {
                        try await local.write(reply.lineTerminatedMessage, deadline: .after(gateway.timeout))
                        continue
                    }
                    passiveCount += 1
                    let localReply = try await openBridge(
                        upstreamPort: upstreamPort, number: passiveCount, extended: extended, session: session,
                        bridges: &bridges)
                    try await local.write(localReply.lineTerminatedMessage, deadline: .after(gateway.timeout))
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
        let settled = Latch()
        state.withLock { state in
            // A new passive command replaces the previous one.
            state.direction?.finish()
            state.direction = continuation
            state.dataConnectionSettled = settled
        }
        let bridge = DataBridge(
            listener: listener, session: session, upstreamPort: upstreamPort, passiveNumber: number,
            repliedAt: .now, access: gateway.access, settled: settled, timeout: gateway.timeout, log: log)
        bridges.addTask { await bridge.run(directions: directions) }
        let port = listener.localAddress.port
        if extended { return .extendedPassive(port: port) }
        guard !address.isIPv6, let reply = FTPReply.passive(host: address.host, port: port) else {
            await listener.close()
            return FTPReply(.cannotOpenDataConnection, "PASV needs an IPv4 address; use EPSV")
        }
        return reply
    }
}
