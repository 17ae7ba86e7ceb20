import KeyGateSystem
import Glibc
import KeyGateChannel
import KeyGateFTP
import KeyGateSockets

/// `keygate ftp-proxy`: a local gateway that lets standard FTP clients
/// (curl, lftp, Python's ftplib, FileZilla) use a KeyGate FTP service.
///
/// It accepts plain FTP on a loopback address only, and only from its
/// owner: every connection, control and data, is admitted only if the
/// kernel's socket table says that the socket at its other end belongs to
/// the user the gateway runs as, or to root (`GatewayAccess`). With a
/// password file, the client must also log in with that password. A line
/// that looks like HTTP closes the connection (`HTTPRequestLine`).
///
/// For each admitted local client it opens one encrypted session, at the
/// client's first command (after login with a password), relays the
/// control conversation (lines ending in CRLF on the local side, one
/// transport message each on the KeyGate side), and bridges each passive
/// data connection to an encrypted one: it answers the local PASV (227
/// with its own address) or EPSV (229) with a listener of its own, while
/// upstream it always uses EPSV.
public struct FTPGateway: Sendable {
    /// How to reach the KeyGate server, and as whom.
    public let options: GateClientOptions
    public let listener: TCPListener
    public let log: Log
    /// Who may use the gateway.
    public let access: GatewayAccess
    /// Waits on the local side and upstream are bounded by this.
    public let timeout: Duration

    /// Why the gateway cannot start.
    public enum StartError: Error, CustomStringConvertible {
        case notLoopback(String)
        /// The socket table cannot name who connects, and no password
        /// file was given.
        case socketTableUnusable(SocketTable.ReadError)
        /// The password file cannot be used.
        case passwordFile(GatewayPassword.LoadError)

        public var description: String {
            switch self {
            case let .notLoopback(address):
                return "--listen \(address) is not a loopback address: plain FTP must not leave this machine; "
                    + "use 127.0.0.1:PORT or [::1]:PORT"
            case let .socketTableUnusable(problem):
                return "cannot tell who connects to the gateway: \(problem). The gateway admits only its owner "
                    + "(uid \(geteuid())) by reading the kernel's socket table (/proc/net/tcp), which this system "
                    + "(a sandbox, or a container without /proc?) does not offer. Mount /proc, or start with "
                    + "--password-file FILE (the password on its first line, chmod 600) to require that password instead"
            case let .passwordFile(problem):
                return problem.description
            }
        }
    }

    private init(options: GateClientOptions, listener: TCPListener, log: Log, access: GatewayAccess, timeout: Duration) {
        self.options = options
        self.listener = listener
        self.log = log
        self.access = access
        self.timeout = timeout
    }

    /// Binds the local listener and prepares the access checks: reads the
    /// password file if one is given, and checks that `socketTable` shows
    /// the listener (so that it can name who connects). Where it cannot,
    /// the password alone guards the gateway; without one, it does not
    /// start.
    /// - Throws: `StartError.notLoopback` for any other address,
    ///   `.passwordFile`, `.socketTableUnusable`, `SystemError` when the
    ///   listener cannot be bound.
    public static func bind(
        _ address: SocketAddress, options: GateClientOptions, log: Log, socketTable: SocketTable = SocketTable(),
        passwordFile: String? = nil, timeout: Duration = .seconds(60)
    ) async throws -> FTPGateway {
        guard address.isLoopback else { throw StartError.notLoopback(address.description) }
        let startIO = BlockingExecutor.shared.lane()
        var password: GatewayPassword?
        if let passwordFile {
            do {
                password = try await startIO.run { () throws(GatewayPassword.LoadError) -> GatewayPassword in
                    try GatewayPassword.load(path: passwordFile)
                }
            } catch {
                throw StartError.passwordFile(error)
            }
        }
        let listener = try TCPListener.bind(to: address)
        let owner = geteuid()
        let listening = listener.localAddress
        let problem = await startIO.run { () -> SocketTable.ReadError? in
            do throws(SocketTable.ReadError) {
                try socketTable.verify(listener: listening, uid: owner)
                return nil
            } catch {
                return error
            }
        }
        if let problem {
            guard password != nil else {
                await listener.close()
                throw StartError.socketTableUnusable(problem)
            }
            log.warning("ftp gateway: the socket table cannot name who connects; the password alone guards the gateway", [
                "reason": problem.description,
            ])
        }
        let access = GatewayAccess(ownerUID: owner, socketTable: problem == nil ? socketTable : nil, password: password)
        return FTPGateway(options: options, listener: listener, log: log, access: access, timeout: timeout)
    }

    /// Serves local clients until the task is cancelled or the listener
    /// fails.
    public func run() async {
        log.info("ftp gateway listening", [
            "local": listener.localAddress.description, "server": "\(options.host):\(options.port)",
            "owner": "uid \(access.ownerUID)", "socket-table": access.socketTable?.directory ?? "none",
            "password": access.password == nil ? "no" : "yes",
        ])
        await withDiscardingTaskGroup { group in
            while true {
                let connection: TCPConnection
                do {
                    connection = try await listener.accept()
                } catch {
                    if !(error is CancellationError) { log.error("ftp gateway stopped", ["reason": "\(error)"]) }
                    break
                }
                group.addTask {
                    await FTPGatewaySession(local: connection, gateway: self).run()
                }
            }
            group.cancelAll()
        }
        await listener.close()
    }
}
