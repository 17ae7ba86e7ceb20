import KeyGateSystem
import Glibc
import KeyGateChannel
import KeyGateChat
import KeyGateClient
import KeyGateFTP
import KeyGateKeys
import KeyGateServer
import KeyGateSockets

/// `keygate serve`: runs the server.
struct ServeCommand: Command {
    let spec = CommandSpec(
        name: "serve",
        summary: "Run the KeyGate server: handshakes on the control port, sessions on data ports.",
        usage: "[--keys DIR] [--name NAME] [--listen HOST:PORT] [--data-ports LO-HI] [--services chat,ftp] [options]",
        options: Self.withChecks([
            .keys,
            .init("name", value: "NAME", help: "Server identity: DIR/NAME.key and one NAME-ffdheN.key per FFDHE group (default server)."),
            .init("listen", value: "HOST:PORT", help: "Control port address (default 0.0.0.0:\(KeyGateWire.defaultControlPort))."),
            .init("data-ports", value: "LO-HI", help: "Range of session data ports (default \(KeyGateWire.defaultDataPorts.lowerBound)-\(KeyGateWire.defaultDataPorts.upperBound))."),
            .init("services", value: "LIST", help: "Services to offer, comma-separated: chat, ftp (default chat,ftp)."),
            Self.chatHistory.option,
            .init("chat-log", value: "FILE",
                  help: "Append every room message to FILE as a JSON line and reload the history from it at start (default: history in memory only)."),
            Self.chatRate.option,
            Self.chatBurst.option,
            .init("ftp-root", value: "DIR", help: "Folder the FTP service serves, created if missing (default ./ftp-root)."),
            .init("ftp-home-per-client", help: "Give each client its own folder under the FTP root, named after it."),
            .init("ftp-max-rate", value: "RATE",
                  help: "Move at most RATE bytes per second in each FTP session's transfers, each way; K, M, G are powers of 1024 (10M)."),
            .init("ftp-quota", value: "SIZE",
                  help: "Most bytes each client's home may hold (needs --ftp-home-per-client); an upload past it gets 552 and is not kept; K, M, G powers of 1024."),
            .init("xferlog", value: "FILE",
                  help: "Append a line per FTP file transfer, completed or failed, to FILE in the wu-ftpd xferlog format (created 0640)."),
            .init("ftp-umask", value: "MASK",
                  help: "Octal permission bits uploaded files and new FTP folders do not get, whatever the server's own umask (default 022: files 0644, folders 0755)."),
            .init("suites", value: "LIST",
                  help: "Accepted Noise suites, comma-separated full names, or 'default' or 'all' (default: XX and IK with 25519 and FFDHE2048)."),
            Self.handshakeTimeout.option,
            Self.maximumHandshakes.option,
            Self.maximumSessions.option,
            .init("max-key-sessions", value: "N",
                  help: "Sessions at once for one client key (default: half of --max-sessions)."),
            .init("max-key-data-ports", value: "N",
                  help: "Data ports held at once by one client key, sessions not yet resumed and FTP transfers (default: half the range)."),
            Self.maximumSourceHandshakes.option,
            Self.sourceHandshakeRate.option,
            Self.sourceHandshakeBurst.option,
            Self.maximumSourceGrants.option,
            .keyLog,
            .labFixedEphemeral,
            Self.keepalive.option,
            Self.clockSkew.option,
            .init("trace-handshake", value: "explain", optionalValue: true,
                  help: "Log each handshake message token by token (public values only); =explain also says what each "
                      + "token does to the Noise state and the payload's security grades (Noise 7.7)."),
            .traceFile,
            .init("log-level", value: "LEVEL", help: "debug, info, warning or error (default info)."),
        ] + Self.operatingOptions),
        discussion: """
            On its first start the server creates its keys in the key folder
            (one per DH function it accepts) and an empty allow-list,
            DIR/authorized_keys, and prints its fingerprints. Clients are let
            in with 'keygate allow CLIENT.pub --name NAME', or invited with
            'keygate invite --name NAME' (they enrol their own key with the
            token); 'keygate revoke NAME' takes a key away and ends its
            sessions; 'keygate keys' lists them with their last login (kept
            in DIR/last_seen). Edits to the allow-list apply to new
            connections without a restart.

            Key files are trusted as sshd's StrictModes trusts them: the
            server refuses to start on a private key or allow-list that is a
            symbolic link, owned by another user (root aside), writable by
            group or others, or in a folder group or others can write to,
            and says the chmod or chown that fixes it. An allow-list that
            becomes unsafe later is not read: every client is denied, and
            the log says why, until it is fixed.

            A client does its handshake on the control port, gets a random
            data port from the range in the grant, and moves its session
            there. Publish the control port and the whole range when the
            server runs in a container (-p 7700-7799:7700-7799).

            An address over one of its limits (handshakes in progress,
            handshake rate, grants not yet resumed) is closed as soon as it
            connects, before any work is done for it; the log says so once,
            then in one summary line per address every 10 seconds. What
            handshakes cost in computing is shared fairly between addresses,
            and one core stays free of it, so a flood from one address slows
            nobody else's setup much.

            SIGHUP reloads: the configuration file is read again (a broken
            one is reported and the running configuration kept), and so are
            the allow-list, revoked_keys and the key files' permissions;
            log-level and the per-source limits (max-source-handshakes,
            source-handshake-rate, source-handshake-burst, max-source-grants)
            change at once, any other changed setting is logged as needing a
            restart. Running sessions go on.

            Under systemd (Type=notify) the server says READY=1 once it
            listens, RELOADING=1 and READY=1 around a reload, and STOPPING=1
            when it stops, on the socket $NOTIFY_SOCKET names.

            SIGINT or SIGTERM stops the server: no new connections, chat
            members are told, sessions are closed, exit 0 within 2 seconds.
            """
    )

    func run(_ commandLine: ParsedArguments) async throws -> ExitStatus {
        if let extra = commandLine.positionals.first {
            throw UsageError("unexpected argument '\(extra)'; see 'keygate serve --help'")
        }
        let (arguments, file, fileProblems) = await Self.applyingConfigFile(commandLine, spec: spec)
        if arguments.flag("check") {
            return await check(arguments, file: file, fileProblems: fileProblems)
        }
        guard fileProblems.isEmpty else { throw ConfigFileError(problems: fileProblems) }
        if arguments.flag("print-config") {
            let configuration = try located(in: arguments) { try validatedConfiguration(arguments) }
            var lines = file.map { ["# effective configuration: command line, then \($0), then defaults"] }
                ?? ["# effective configuration: command line, then defaults"]
            lines += effectiveSettings(arguments, configuration: configuration).map(\.line)
            Console.shared.out(lines.joined(separator: "\n"))
            return .success
        }
        var configuration = try located(in: arguments) { try makeConfiguration(arguments) }
        let ftpLimits = try located(in: arguments) { try Self.ftpLimits(arguments) }
        let chat = try located(in: arguments) { try Self.chatConfiguration(arguments) }
        let level = try located(in: arguments) { try Self.parseLogLevel(arguments.value("log-level") ?? "info") }
        let format = try located(in: arguments) { try Self.parseLogFormat(arguments.value("log-format") ?? "text") }
        let metricsAddress = try located(in: arguments) { try arguments.value("metrics").map(Self.parseMetricsAddress) }
        let log = Log(level: level, format: format)
        if let file {
            log.info("configuration", ["file": file])
        }
        do {
            configuration.traceFile = try await arguments.openTraceFile(log: log)
        } catch {
            log.error("cannot start", ["problem": "--trace-file: \(error)"])
            await log.flush()
            return .failure
        }
        // Watched from here on, so that a SIGHUP while starting is a reload
        // once running, not the end of the process.
        let signals = try SignalWatcher([SIGINT, SIGTERM, SIGHUP])
        let store = KeyStore(directory: arguments.keysDirectory())
        configuration.lastSeenPath = store.lastSeenPath
        let name = arguments.value("name") ?? "server"
        let identities = try await loadIdentities(store: store, name: name, configuration: configuration, log: log)
        let authorizedKeys = AuthorizedKeys(path: store.authorizedKeysPath) { warning in
            log.warning("allow-list", ["problem": warning.description])
        }
        if try authorizedKeys.createIfMissing() {
            log.info("created an empty allow-list", ["file": store.authorizedKeysPath])
        }
        for warning in authorizedKeys.reload() {
            // Like sshd's StrictModes: an allow-list someone else could have
            // written is not a reason to start and let its keys in.
            if warning.isUnsafeFile {
                log.error("cannot start: the allow-list is not safe", ["problem": warning.description])
                await log.flush()
                return .failure
            }
            log.warning("allow-list", ["problem": warning.description])
        }
        let services: [any GateService]
        do {
            services = try await makeServices(arguments, ftpLimits: ftpLimits, chat: chat, log: log)
        } catch let error as UsageError {
            throw arguments.locating(error)
        } catch {
            log.error("cannot start", ["problem": "\(error)"])
            await log.flush()
            return .failure
        }
        let server: GateServer
        do {
            let metrics = metricsAddress.map { _ in
                ServerMetrics(
                    version: KeyGateTool.version, protocolVersion: KeyGateWire.protocolVersion, services: services.map(\.name),
                    perName: arguments.flag("metrics-names"))
            }
            server = try await GateServer.start(
                configuration: configuration, identities: identities, authorizedKeys: authorizedKeys,
                services: services, metrics: metrics, log: log)
        } catch {
            log.error("cannot start", ["reason": "\(error)"])
            await log.flush()
            return .failure
        }
        let endpoint: MetricsEndpoint?
        do {
            endpoint = try metricsAddress.map { address in
                try Self.metricsEndpoint(on: address, server: server, services: services, log: log)
            }
        } catch {
            log.error("cannot start", ["reason": "--metrics: \(error)"])
            await server.shutdown()
            await log.flush()
            return .failure
        }
        printWelcome(identities: identities, store: store, allowed: authorizedKeys.entries.count, log: log)
        let notifier = ServiceNotifier()
        let status = "serving on \(server.controlAddress)"
        Self.notify(log) { () throws(ServiceNotifier.Failure) in try notifier.ready(status: status) }
        let firstReloader = ServeReloader(
            command: self, commandLine: commandLine, running: effectiveSettings(arguments, configuration: configuration),
            server: server, store: store, name: name, log: log)
        await withDiscardingTaskGroup { group in
            group.addTask { await server.run() }
            if let endpoint {
                group.addTask { await endpoint.run() }
            }
            group.addTask {
                // SIGHUP reloads; the first SIGINT or SIGTERM starts the
                // shutdown, and run() returns once the sessions are closed.
                var reloader = firstReloader
                var stopping: Int32?
                for await signal in signals.received {
                    guard signal == SIGHUP else {
                        stopping = signal
                        break
                    }
                    Self.notify(log) { () throws(ServiceNotifier.Failure) in try notifier.reloading() }
                    await reloader.reload()
                    Self.notify(log) { () throws(ServiceNotifier.Failure) in try notifier.ready(status: status) }
                }
                guard let signal = stopping else { return }
                log.info("signal received", ["signal": signal == SIGINT ? "SIGINT" : "SIGTERM"])
                Self.notify(log) { () throws(ServiceNotifier.Failure) in try notifier.stopping() }
                // Whatever clients do, the process ends within two seconds.
                // A thread of its own, so that it fires even if every
                // thread of the cooperative pool is stuck.
                try? SystemThread.spawn(name: "keygate-exit") {
                    var pause = timespec(tv_sec: 1, tv_nsec: 800_000_000)
                    var left = timespec()
                    while nanosleep(&pause, &left) == -1 && errno == EINTR { pause = left }
                    log.warning("sessions still closing after 1.8 s; exiting")
                    exit(ExitStatus.success.rawValue)
                }
                await server.shutdown()
            }
            // When the server stops for another reason, stop waiting for signals.
            await server.waitUntilStopped()
            signals.cancel()
            await endpoint?.stop()
        }
        await configuration.traceFile?.close()
        await log.flush()
        return .success
    }

    // The options whose defaults are the configuration's.

    /// The configuration of a server given no options.
    static let defaults = ServerConfiguration(listenAddress: try! SocketAddress(host: "0.0.0.0", port: KeyGateWire.defaultControlPort))
    static let handshakeTimeout = TypedOption.seconds(
        "handshake-timeout", help: "Limit for a whole handshake", default: defaults.handshakeTimeout)
    static let maximumHandshakes = TypedOption.integer(
        "max-handshakes", help: "Handshakes in progress at once; more are closed at once",
        default: defaults.maximumHandshakes, in: 1...100_000)
    static let maximumSessions = TypedOption.integer(
        "max-sessions", help: "Sessions at once", default: defaults.maximumSessions, in: 1...1_000_000)
    static let maximumSourceHandshakes = TypedOption.integer(
        "max-source-handshakes", help: "Handshakes in progress at once from one address",
        default: defaults.sourceLimits.handshakesInProgress, in: 1...100_000)
    static let sourceHandshakeRate = TypedOption.integer(
        "source-handshake-rate", help: "Handshakes per second one address may start, on average",
        default: Int(defaults.sourceLimits.handshakeRate), in: 1...1_000_000)
    static let sourceHandshakeBurst = TypedOption.integer(
        "source-handshake-burst", help: "Handshakes one address may start at once after a quiet spell",
        default: defaults.sourceLimits.handshakeBurst, in: 1...1_000_000)
    static let maximumSourceGrants = TypedOption.integer(
        "max-source-grants", help: "Grants not yet resumed at once for one address",
        default: defaults.sourceLimits.unresumedGrants, in: 1...1_000_000)
    static let keepalive = TypedOption.seconds(
        "keepalive", help: "Probe a silent client after this long; gone after 3 probes 1/6 of it apart, so within 1.5 times it",
        default: defaults.deadPeerDetection?.idle ?? .zero, zero: "off")
    /// The chat service given no options.
    static let chatDefaults = ChatConfiguration()
    static let chatHistory = TypedOption.integer(
        "chat-history", help: "Messages of a room replayed to whoever joins it; 0: none",
        default: chatDefaults.historyCount, in: 0...100_000)
    static let chatRate = TypedOption.integer(
        "chat-rate", help: "Chat messages per second one member may send; 0: no limit",
        default: chatDefaults.ratePerSecond, in: 0...1_000_000)
    static let chatBurst = TypedOption.integer(
        "chat-burst", help: "Chat messages one member may send at once before --chat-rate applies",
        default: chatDefaults.burst, in: 1...1_000_000)
    static let clockSkew = TypedOption.seconds(
        "clock-skew", help: "Largest accepted difference between an IK client's clock and the server's",
        default: defaults.clockSkew)

    func makeConfiguration(_ arguments: ParsedArguments) throws -> ServerConfiguration {
        let address = try Self.parseListen(arguments.value("listen") ?? "0.0.0.0:\(KeyGateWire.defaultControlPort)")
        var configuration = ServerConfiguration(listenAddress: address)
        if let range = arguments.value("data-ports") {
            configuration.dataPorts = try Self.parsePortRange(range)
        }
        if let suites = arguments.value("suites") {
            configuration.acceptedSuites = try Self.parseSuites(suites)
        }
        configuration.handshakeTimeout = try Self.handshakeTimeout.value(in: arguments)
        configuration.maximumHandshakes = try Self.maximumHandshakes.value(in: arguments)
        configuration.maximumSessions = try Self.maximumSessions.value(in: arguments)
        if let text = arguments.value("max-key-sessions") {
            configuration.maximumSessionsPerKey = try Self.wholeNumber(text, option: "max-key-sessions", in: Self.keySessionRange)
        }
        if let text = arguments.value("max-key-data-ports") {
            configuration.maximumDataPortsPerKey = try Self.wholeNumber(text, option: "max-key-data-ports", in: Self.keyDataPortRange)
        }
        configuration.sourceLimits = SourceLimits(
            handshakesInProgress: try Self.maximumSourceHandshakes.value(in: arguments),
            handshakeRate: Double(try Self.sourceHandshakeRate.value(in: arguments)),
            handshakeBurst: try Self.sourceHandshakeBurst.value(in: arguments),
            unresumedGrants: try Self.maximumSourceGrants.value(in: arguments))
        configuration.keyLog = try arguments.labKeyLog()
        configuration.labFixedEphemeral = try arguments.labFixedEphemeral()
        let keepalive = try Self.keepalive.value(in: arguments)
        configuration.deadPeerDetection = keepalive == .zero ? nil : TCPConnection.DeadPeerDetection(
            idle: keepalive, interval: max(.seconds(1), keepalive / 6), probes: 3)
        configuration.clockSkew = try Self.clockSkew.value(in: arguments)
        configuration.traceHandshakes = arguments.flag("trace-handshake")
        configuration.traceDetail = try arguments.traceDetail()
        return configuration
    }

    static func parsePortRange(_ text: String) throws(UsageError) -> ClosedRange<UInt16> {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let low = UInt16(parts[0]), let high = UInt16(parts[1]), low > 0, low <= high else {
            throw UsageError("--data-ports must be LO-HI with 1 <= LO <= HI <= 65535, got '\(text)'")
        }
        return low...high
    }

    static func parseSuites(_ text: String) throws(UsageError) -> Set<String> {
        var suites = Set<String>()
        for item in text.split(separator: ",").map({ String($0.trimmed()) }) {
            switch item {
            case "default": suites.formUnion(ServerConfiguration.defaultSuites)
            case "all": suites.formUnion(ServerConfiguration.allSuites)
            default:
                guard ServerConfiguration.allSuites.contains(item) else {
                    throw UsageError("unknown suite '\(item)'; known: \(ServerConfiguration.allSuites.sorted().joined(separator: ", "))")
                }
                suites.insert(item)
            }
        }
        guard !suites.isEmpty else { throw UsageError("--suites is empty") }
        return suites
    }

    /// The FTP service's limits from the flags (`--ftp-umask`,
    /// `--ftp-max-rate`, `--ftp-quota`), checked before anything is done.
    static func ftpLimits(_ arguments: ParsedArguments) throws(UsageError) -> FTPService.Limits {
        var limits = FTPService.Limits()
        if let text = arguments.value("ftp-umask") {
            limits.umask = try parseUmask(text)
        }
        limits.maximumRate = try arguments.byteSize("ftp-max-rate")
        if let quota = try arguments.byteSize("ftp-quota") {
            guard arguments.flag("ftp-home-per-client") else {
                throw UsageError("--ftp-quota limits each client's own home, so it needs --ftp-home-per-client "
                    + "(without it every client shares the one FTP root)")
            }
            limits.quota = quota
        }
        return limits
    }

    /// The chat service's settings from the flags.
    static func chatConfiguration(_ arguments: ParsedArguments) throws(UsageError) -> ChatConfiguration {
        var chat = ChatConfiguration()
        chat.historyCount = try Self.chatHistory.value(in: arguments)
        chat.logPath = arguments.value("chat-log")
        chat.ratePerSecond = try Self.chatRate.value(in: arguments)
        chat.burst = try Self.chatBurst.value(in: arguments)
        return chat
    }

    private func makeServices(
        _ arguments: ParsedArguments, ftpLimits: FTPService.Limits, chat: ChatConfiguration, log: Log
    ) async throws -> [any GateService] {
        let names = try Self.parseServiceNames(arguments.value("services") ?? "chat,ftp")
        var services: [any GateService] = []
        for name in names {
            services.append(try await makeService(name, arguments, ftpLimits: ftpLimits, chat: chat, log: log))
        }
        return services
    }

    private func makeService(
        _ name: String, _ arguments: ParsedArguments, ftpLimits: FTPService.Limits, chat: ChatConfiguration, log: Log
    ) async throws -> any GateService {
        switch name {
        case KeyGateWire.chatService:
            return try await ChatService.start(configuration: chat, log: log.with(["service": "chat"]))
        case KeyGateWire.ftpService:
            let root = arguments.value("ftp-root") ?? "ftp-root"
            var transferLog: TransferLog?
            if let path = arguments.value("xferlog") { transferLog = try await TransferLog.open(path: path, log: log) }
            let service = try FTPService(
                root: root, homePerClient: arguments.flag("ftp-home-per-client"), limits: ftpLimits, transferLog: transferLog)
            log.info("ftp root", [
                "folder": root, "home_per_client": "\(arguments.flag("ftp-home-per-client"))",
                "umask": ftpLimits.umask.description,
            ])
            return service
        default:
            throw UsageError("unknown service '\(name)'; available: chat, ftp")
        }
    }

    /// The server's key for each DH function of the accepted suites,
    /// created on first start.
    private func loadIdentities(
        store: KeyStore, name: String, configuration: ServerConfiguration, log: Log
    ) async throws -> [Identity] {
        let loaded = try await KeyFileIO.perform { () throws(KeyFileError) in
            try configuration.loadOrCreateIdentities(in: store, name: name)
        }
        return loaded.map { identity, created in
            let algorithm = identity.algorithm
            if created {
                log.info("created server key", ["file": identity.privateKeyPath, "fingerprint": identity.fingerprint])
            }
            if identity.privateKey.hasOddFFDHEExponent {
                log.warning("server key has an odd FFDHE exponent", [
                    "file": identity.privateKeyPath,
                    "risk": "a hostile client can learn one bit of it; keys made now have even exponents",
                    "fix": "keygate keygen --keys \(store.directory) --name \(name) --dh \(algorithm.rawValue) --force (clients must then accept the new key)",
                ])
            }
            return identity
        }
    }

    /// Sends a message to the service manager (`$NOTIFY_SOCKET`); a
    /// failure is logged, and the server goes on.
    private static func notify(_ log: Log, _ send: () throws(ServiceNotifier.Failure) -> Void) {
        do {
            try send()
        } catch {
            log.warning("service manager", ["problem": error.description])
        }
    }

    /// The value of `body`, or its `UsageError` said where the value was
    /// written when the configuration file set it.
    private func located<T>(in arguments: ParsedArguments, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as UsageError {
            throw arguments.locating(error)
        }
    }

    /// `--check`: every problem, or a line saying all is well.
    private func check(_ arguments: ParsedArguments, file: String?, fileProblems: [String]) async -> ExitStatus {
        // The file's bad lines are not in `arguments`: the rest is checked as well.
        var (found, notes) = await problems(arguments)
        found = fileProblems + found
        for note in notes { Console.shared.out("note: \(note)") }
        guard found.isEmpty else {
            for problem in found { Console.shared.err(problem) }
            Console.shared.err("keygate serve --check: \(found.count) problem\(found.count == 1 ? "" : "s") found")
            return .failure
        }
        Console.shared.out("keygate serve --check: no problem found (configuration \(file ?? "none, defaults and command line"), keys \(arguments.keysDirectory()))")
        return .success
    }

    private func printWelcome(identities: [Identity], store: KeyStore, allowed: Int, log: Log) {
        for identity in identities {
            log.info("server key", ["algorithm": identity.algorithm.rawValue, "fingerprint": identity.fingerprint, "file": identity.publicKeyPath])
        }
        log.info("allow-list", [
            "file": store.authorizedKeysPath, "clients": "\(allowed)",
            "to_allow": "keygate allow CLIENT.pub --keys \(store.directory) --name NAME",
        ])
    }
}
