import KeyGateSystem
import KeyGateKeys
import KeyGateServer

/// What `keygate serve` does on SIGHUP: reads the configuration file
/// again and puts in force what can change while the server runs, reads
/// the allow-list and `revoked_keys` again, and checks the server's key
/// files as at start.
///
/// A configuration with a problem changes nothing: each problem is logged
/// and the running configuration stays. Of a good one, the settings in
/// `liveSettings` apply to the connections that come next; any other
/// changed setting (the listen address, the data ports, the services...)
/// is logged as needing a restart, each time until the server restarts.
/// Running sessions are never cut by a reload (a key that `revoked_keys`
/// now lists ends its sessions, as it does without a reload).
struct ServeReloader: Sendable {
    /// The settings a reload puts in force at once.
    static let liveSettings: Set<String> = [
        "log-level", "max-source-handshakes", "source-handshake-rate", "source-handshake-burst", "max-source-grants",
    ]

    let command: ServeCommand
    /// The command line the server was started with: it still wins over
    /// the file.
    let commandLine: ParsedArguments
    /// The effective settings in force, by option name, as `--print-config`
    /// prints them.
    private(set) var running: [String: String]
    let server: GateServer
    let store: KeyStore
    let name: String
    let log: Log

    init(
        command: ServeCommand, commandLine: ParsedArguments, running: [(name: String, line: String)],
        server: GateServer, store: KeyStore, name: String, log: Log
    ) {
        self.command = command
        self.commandLine = commandLine
        self.running = Dictionary(running, uniquingKeysWith: { first, _ in first })
        self.server = server
        self.store = store
        self.name = name
        self.log = log
    }

    /// One reload; never throws, every problem is logged.
    mutating func reload() async {
        log.info("reload", ["signal": "SIGHUP"])
        let (applied, restart, configurationKept) = await reloadConfiguration()
        let allowList = server.authorizedKeys
        // Reading the lists is file work: off the cooperative pool, counts included.
        let (warnings, clients, revoked) = await KeyFileIO.perform {
            (allowList.reload(), allowList.entries.count, allowList.revokedEntries.count)
        }
        for warning in warnings {
            if warning.isUnsafeFile {
                log.error("allow-list not safe: every client is denied until it is fixed", ["problem": warning.description])
            } else {
                log.warning("allow-list", ["problem": warning.description])
            }
        }
        await checkKeyFiles()
        log.info("reloaded", [
            "configuration": configurationKept ? "kept (it has problems)" : "read",
            "applied": applied.isEmpty ? "none" : applied.joined(separator: ","),
            "restart_needed": restart.isEmpty ? "none" : restart.joined(separator: ","),
            "clients": "\(clients)", "revoked": "\(revoked)",
        ])
        // Last, so that the lines of this reload are written whatever the new level.
        if let level = newLevel {
            log.setLevel(level)
            newLevel = nil
        }
    }

    /// Reads the file and applies what can change live; the settings
    /// applied, those that need a restart, and whether the file was
    /// refused.
    /// A log level to put in force once the reload is logged.
    private var newLevel: Log.Level?

    private mutating func reloadConfiguration() async -> (applied: [String], restart: [String], kept: Bool) {
        let (arguments, _, problems) = await ServeCommand.applyingConfigFile(commandLine, spec: command.spec)
        let outcome = problems.isEmpty ? command.readConfiguration(arguments) : .failure(.init(text: problems.joined(separator: "\n")))
        let configuration: ServerConfiguration
        switch outcome {
        case let .failure(problem):
            for line in problem.text.split(separator: "\n") {
                log.error("reload refused: the configuration has a problem; the running one is kept", ["problem": String(line)])
            }
            return ([], [], true)
        case let .success(read):
            configuration = read
        }
        var applied: [String] = []
        var restart: [String] = []
        for (option, line) in command.effectiveSettings(arguments, configuration: configuration) where running[option] != line {
            guard Self.liveSettings.contains(option) else {
                restart.append(option)
                log.warning("setting changed: it applies after a restart", [
                    "setting": option, "running": Self.value(running[option]), "configured": Self.value(line),
                ])
                continue
            }
            running[option] = line
            applied.append(option)
        }
        if applied.contains("log-level"), let level = Log.Level(name: arguments.value("log-level") ?? "info") {
            newLevel = level
        }
        if configuration.sourceLimits != server.sourceLimits {
            server.updateSourceLimits(configuration.sourceLimits)
        }
        return (applied, restart, false)
    }

    /// The value of an effective-settings line (`listen 0.0.0.0:7700`).
    private static func value(_ line: String?) -> String {
        guard let line else { return "none" }
        if line.hasPrefix("#") { return "not set" }
        return String(line.drop { $0 != " " }.dropFirst())
    }

    /// The server's key files, checked as at start: a key that became
    /// unsafe is reported (the key in memory stays in use).
    private func checkKeyFiles() async {
        let store = self.store, name = self.name
        for algorithm in server.configuration.keyAlgorithms {
            do {
                _ = try await KeyFileIO.perform { () throws(KeyFileError) in
                    try store.verifyIdentity(name: name, algorithm: algorithm)
                }
            } catch {
                log.error("server key file problem: fix it before the next start", ["problem": error.description])
            }
        }
    }
}
