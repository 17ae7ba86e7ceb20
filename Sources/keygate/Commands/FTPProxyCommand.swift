import Dispatch
import Glibc
import KeyGateChannel
import KeyGateClient
import KeyGateServer
import KeyGateSockets

/// `keygate ftp-proxy`: plain FTP on this machine, encrypted to the server.
struct FTPProxyCommand: Command {
    static let defaultListen = "127.0.0.1:2121"

    let spec = CommandSpec(
        name: "ftp-proxy",
        summary: "Let standard FTP clients (curl, lftp, ftplib, FileZilla) use a KeyGate FTP service.",
        usage: "HOST[:PORT] [--listen 127.0.0.1:2121] [--keys DIR] [--name NAME] [--server-key PUBFILE] [--dh DH]",
        options: [
            .init("listen", value: "HOST:PORT", help: "Local address for plain FTP; loopback only (default \(defaultListen))."),
            .keys, .clientName, .serverKey, .dh, .timeout,
            .init("log-level", value: "LEVEL", help: "debug, info, warning or error (default info)."),
        ],
        discussion: """
            Each local client gets its own encrypted session with the key of
            --name, and each of its passive data connections (PASV or EPSV)
            is bridged to an encrypted data connection. Any user name and
            password are accepted locally: the key is the login. If the
            server denies the key, the local client gets 421 with the reason.

            Example: keygate ftp-proxy files.example.org &
                     curl -s ftp://127.0.0.1:2121/report.pdf -o report.pdf

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
        let gateway: FTPGateway
        do {
            gateway = try FTPGateway.bind(listen, options: options, log: log)
        } catch let error as FTPGateway.StartError {
            throw UsageError(error.description)
        } catch {
            printError("keygate ftp-proxy: cannot listen on \(listen): \(error)")
            return .failure
        }
        printError("keygate ftp-proxy: listening on \(gateway.listener.localAddress) for \(server)")
        // Runs until SIGINT or SIGTERM (exit 0), or until the gateway's
        // listener fails (exit 1).
        let signals = SignalWatcher()
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
        if stoppedBySignal { printError("keygate ftp-proxy: stopped") }
        return stoppedBySignal ? .success : .failure
    }
}
