import KeyGateSystem
import Glibc
import KeyGateChannel
import KeyGateClient
import KeyGateServer
import KeyGateSockets

/// `keygate ftp-proxy`: plain FTP on this machine, encrypted to the server.
struct FTPProxyCommand: Command {
    static let defaultListen = "127.0.0.1:2121"
    /// For tests only: a folder to read `tcp` and `tcp6` from instead of
    /// /proc/net, so that a test can start the gateway as on a system
    /// without a socket table (a folder without them). Not in --help.
    static let socketTableEnvironmentVariable = "KEYGATE_TEST_PROC_NET"

    let spec = CommandSpec(
        name: "ftp-proxy",
        summary: "Let standard FTP clients (curl, lftp, ftplib, FileZilla) use a KeyGate FTP service.",
        usage: "HOST[:PORT] [--listen 127.0.0.1:2121] [--password-file FILE] [--keys DIR] [--name NAME] [--server-key PUBFILE] [--dh DH]",
        options: [
            .init("listen", value: "HOST:PORT", help: "Local address for plain FTP; loopback only (default \(defaultListen))."),
            .init("password-file", value: "FILE", help: "Also require USER (any) and PASS with the first line of FILE (chmod 600)."),
            .keys, .clientName, .serverKey, .dh, .timeout,
            .init("log-level", value: "LEVEL", help: "debug, info, warning or error (default info)."),
        ],
        discussion: """
            Each local client gets its own encrypted session with the key of
            --name, and each of its passive data connections (PASV or EPSV)
            is bridged to an encrypted data connection. If the server denies
            the key, the local client gets 421 with the reason.

            Only the user who runs the gateway (and root) may use it: for
            every connection, control and data, the gateway reads the
            kernel's socket table (/proc/net/tcp and tcp6) to learn who owns
            the socket at the other end. Another user's control connection
            gets 530 and is closed; another user's data connection is closed
            and the transfer waits for the owner's. Refusals are logged with
            the uid. Without --password-file any user name and password are
            accepted: the key is the login (passwords are not forwarded).

            A line that looks like HTTP (a request line such as POST /
            HTTP/1.1, or a header such as Host:) closes the connection before
            anything is forwarded: a web page cannot make the browser use
            the gateway. The session opens only at the first FTP command
            (after the login, with --password-file).

            --password-file FILE: the client must log in with USER (any name)
            and PASS with the first line of FILE before anything is
            forwarded; before that, every command but USER, PASS, QUIT and
            NOOP gets 530, and three wrong passwords close the connection.
            FILE must not be readable by group or others (chmod 600 FILE).
            Where the socket table cannot be read (a sandbox, a container
            without /proc) the gateway does not start without it; where it
            can, both checks apply.

            Example: keygate ftp-proxy files.example.org &
                     curl -s ftp://127.0.0.1:2121/report.pdf -o report.pdf
                     keygate ftp-proxy files.example.org --password-file ~/.ftp-pass &
                     curl -s -u me:"$(cat ~/.ftp-pass)" ftp://127.0.0.1:2121/

            Stops on SIGINT or SIGTERM.

            \(ExitStatus.helpTable)
            """
    )

    func run(_ arguments: ParsedArguments) async throws -> ExitStatus {
        let server = try HostAndPort(
            parsing: try arguments.singlePositional("HOST[:PORT]", command: spec.name),
            defaultPort: KeyGateWire.defaultControlPort)
        let listenText = arguments.value("listen") ?? Self.defaultListen
        let listen: SocketAddress
        do {
            listen = try SocketAddress(parsing: listenText, defaultPort: 2121)
        } catch {
            throw UsageError("--listen: \(error)")
        }
        guard let level = Log.Level(name: arguments.value("log-level") ?? "info") else {
            throw UsageError("--log-level must be debug, info, warning or error")
        }
        let log = Log(level: level)
        let options = try arguments.gateClientOptions(server: server, service: KeyGateWire.ftpService, log: log)
        let testTable = getenv(Self.socketTableEnvironmentVariable).map { String(cString: $0) }
        let socketTable = SocketTable(directory: testTable.flatMap { $0.isEmpty ? nil : $0 } ?? SocketTable.procNet)
        let gateway: FTPGateway
        do {
            gateway = try await FTPGateway.bind(
                listen, options: options, log: log, socketTable: socketTable, passwordFile: arguments.value("password-file"))
        } catch let error as FTPGateway.StartError {
            if case .notLoopback = error { throw UsageError(error.description) }
            Console.shared.err("keygate ftp-proxy: \(error)")
            return .failure
        } catch {
            Console.shared.err("keygate ftp-proxy: cannot listen on \(listen): \(error)")
            return .failure
        }
        Console.shared.err("keygate ftp-proxy: listening on \(gateway.listener.localAddress) for \(server)")
        // Runs until SIGINT or SIGTERM (exit 0), or until the gateway's
        // listener fails (exit 1).
        let signals = try SignalWatcher([SIGINT, SIGTERM])
        let stoppedBySignal = await withTaskGroup(of: Bool.self) { group -> Bool in
            group.addTask {
                await gateway.run()
                return false
            }
            group.addTask { await signals.first() != nil }
            let first = await group.next() ?? false
            group.cancelAll()
            signals.cancel()
            return first
        }
        await log.flush()
        if stoppedBySignal { Console.shared.err("keygate ftp-proxy: stopped") }
        return stoppedBySignal ? .success : .failure
    }
}
