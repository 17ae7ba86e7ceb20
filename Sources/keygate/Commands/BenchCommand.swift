import KeyGateSystem
import KeyGateBenchmarks
import KeyGateChannel
import KeyGateClient
import KeyGateKeys

/// `keygate bench`: many real clients against a running server, measured by
/// `SessionBench` and `TransferBench`.
struct BenchCommand: Command {
    static let defaults = SessionBench.Configuration()
    static let clients = TypedOption.integer(
        "clients", help: "Concurrent clients, all with the same identity",
        default: defaults.clients, in: SessionBench.Configuration.clientRange)
    static let messages = TypedOption.integer(
        "messages", value: "M", help: "Chat messages each client says, one at a time",
        default: defaults.messages, in: SessionBench.Configuration.messageRange)
    static let concurrency = TypedOption.integer(
        "concurrency", value: "K", help: "Session setups in flight at once",
        default: defaults.concurrency, in: SessionBench.Configuration.concurrencyRange)
    static let defaultSize = "256M"
    static let defaultFolder = "/tmp"

    let spec = CommandSpec(
        name: "bench",
        summary: "Measure a running server: session setups, chat round trips, FTP transfers.",
        usage: "HOST[:PORT] [--service chat|ftp] [--clients N] [--messages M] [--size BYTES] [--keys DIR] [--name NAME] [--json]",
        options: [
            .keys, .clientName, .serverKey, .dh,
            .init("service", value: "NAME", help: "chat (default): setups and round trips; ftp: setups, or one upload and download of --size."),
            .init("size", value: "BYTES", help: "FTP: file size, e.g. 1073741824, 512M or 1G (default \(defaultSize); 0 only sets up sessions)."),
            .init("dir", value: "DIR", help: "FTP: folder for the local files (default \(defaultFolder); /dev/shm keeps disks out of it)."),
            .init("no-verify", help: "FTP: do not check each transfer with the server's SHA-256 (HASH), as keygate ftp --no-verify."),
            Self.clients.option, Self.messages.option, Self.concurrency.option,
            .init("rate", value: "R",
                  help: "Messages per second per client in phase 2; 0 (default) says each as soon as the previous came back."),
            .init("rooms", value: "N",
                  help: "Spread the clients over N chat rooms (client i joins bench-(i mod N)) before phase 2; 0 (default): all in the lobby."),
            .init("hold", value: "SECONDS",
                  help: "Keep the sessions open this long after the chat phase (to measure an idle server)."),
            .init("json", help: "Print one JSON object with the figures."),
            .timeout,
        ],
        discussion: """
            After one untimed session (which records the server's key on
            first use), phase 1 sets up N sessions (handshake, grant,
            resume), K at a time, and reports setups per second and the
            setup latency. Phase 2
            has every client say M messages, each after the previous one came
            back, and reports the round-trip latency and the messages per
            second; every member receives every message, so the server
            delivers N*N*M messages. Flat out (the default), the round trip
            measures a saturated server; with --rate R each client says R
            messages per second (at a random phase), which measures the
            latency at that load. The identity must be in the server's
            allow-list. Exit status 0 only when no client failed.

            JSON keys: clients, messages, failed, setups_per_s, setup_p50_ms,
            setup_p99_ms, rtt_p50_ms, rtt_p99_ms, messages_per_s.

            With --service ftp and a --size, one session uploads a file of
            pseudo-random bytes (STOR), downloads it again (RETR), checks the
            size and removes both copies and the remote file; each figure is
            the size divided by the time of the whole put or get as keygate ftp
            does it, from the passive command to the end of the SHA-256 check
            (to the final 226 with --no-verify), in MB/s (JSON keys bytes,
            upload_mb_per_s, download_mb_per_s).
            With --size 0, N idle FTP sessions are set up (and held with
            --hold), as for chat without the chat phase.
            """
    )

    func run(_ arguments: ParsedArguments) async throws -> ExitStatus {
        let server = try HostAndPort(parsing: try arguments.singlePositional("HOST[:PORT]", command: spec.name),
                                     defaultPort: KeyGateWire.defaultControlPort)
        let service = arguments.value("service") ?? KeyGateWire.chatService
        switch service {
        case KeyGateWire.chatService:
            return try await runSessions(arguments, server: server, service: service)
        case KeyGateWire.ftpService:
            let text = arguments.value("size") ?? Self.defaultSize
            guard let size = TransferBench.byteCount(parsing: text) else {
                throw UsageError("--size must be a number of bytes (K, M, G allowed), got '\(text)'")
            }
            if size == 0 { return try await runSessions(arguments, server: server, service: service) }
            return try await runTransfer(arguments, server: server, size: size)
        default:
            throw UsageError("--service must be chat or ftp, got '\(service)'")
        }
    }

    /// Sets up N sessions of `service`; for chat, then the round trips.
    private func runSessions(_ arguments: ParsedArguments, server: HostAndPort, service: String) async throws -> ExitStatus {
        var configuration = SessionBench.Configuration()
        configuration.clients = try Self.clients.value(in: arguments)
        configuration.messages = service == KeyGateWire.chatService ? try Self.messages.value(in: arguments) : 0
        configuration.concurrency = try Self.concurrency.value(in: arguments)
        configuration.rate = try arguments.nonNegativeNumber("rate", default: configuration.rate)
        configuration.rooms = try arguments.integer("rooms", default: configuration.rooms, in: SessionBench.Configuration.roomRange)
        configuration.hold = .milliseconds(Int(try arguments.nonNegativeNumber("hold", default: 0) * 1000))
        let log = Log(level: .warning)
        let options = try arguments.gateClientOptions(server: server, service: service, log: log)
        let identity: Identity
        do {
            let keys = options.keys, name = options.identityName, algorithm = options.algorithm
            identity = try await KeyFileIO.perform { try keys.loadOrCreateIdentity(name: name, algorithm: algorithm).identity }
        } catch {
            Console.shared.err("keygate bench: client key: \(error)")
            return .failure
        }
        // Notes go to stderr, so scripts can wait for the hold line while
        // stdout stays JSON.
        let report = await SessionBench.run(configuration, options: options, identity: identity) { note in
            Console.shared.err("keygate bench: " + note)
        }
        Console.shared.out(arguments.flag("json") ? report.json : report.table)
        await log.flush()
        return report.failed == 0 ? .success : .failure
    }

    /// Uploads and downloads one file of `size` bytes through one session.
    private func runTransfer(_ arguments: ParsedArguments, server: HostAndPort, size: Int64) async throws -> ExitStatus {
        let log = Log(level: .warning)
        let options = try arguments.gateClientOptions(server: server, service: KeyGateWire.ftpService, log: log)
        do {
            let report = try await TransferBench.run(
                options: options, folder: arguments.value("dir") ?? Self.defaultFolder, size: size,
                verify: !arguments.flag("no-verify"))
            Console.shared.out(arguments.flag("json") ? report.json : report.table)
            return .success
        } catch {
            Console.shared.err("keygate bench: \(error)")
            if case let .client(error) = error { return error.exitStatus }
            return .failure
        }
    }
}
