import KeyGateSystem
import KeyGateChannel
import KeyGateChat
import KeyGateFTP
import KeyGateKeys
import KeyGateServer
import KeyGateSockets

/// `keygate serve` run as a service: the configuration file, `--check`,
/// `--print-config`, the log format and the metrics endpoint.
extension ServeCommand {
    /// The options for running the server as a service: the log's form,
    /// then the configuration itself (which the file cannot set).
    static let operatingOptions: [CommandSpec.Option] = [
        .init("log-format", value: "FORMAT",
              help: "text: one 'time LEVEL event key=value...' line per event; json: one JSON object per line (default text)."),
        .init("metrics", value: "HOST:PORT",
              help: "Serve Prometheus metrics on http://HOST:PORT/metrics; a port alone listens on 127.0.0.1 (default: no metrics)."),
        .init("metrics-names", help: "Label the byte and transfer metrics with each client's allow-list name (one series per client)."),
        .init("config", value: "FILE", configurable: false,
              help: "Read settings from FILE: one 'key value' per line, keys named as these options without --, "
                  + "# comment lines, yes/no for switches, durations as 2, 2s or 500ms; options given here win "
                  + "(default: DIR/\(Self.configFileName) if it exists, DIR being --keys)."),
        .init("check", configurable: false,
              help: "Check the configuration, the server's key files and the allow-list, print every problem found "
                  + "and exit: 0 when there is none, 1 otherwise."),
        .init("print-config", configurable: false,
              help: "Print the effective configuration, every setting and its value with defaults included, "
                  + "in the file's syntax, and exit."),
    ]

    /// The configuration file looked for in the key folder.
    static let configFileName = "keygate.conf"

    /// `options` with the checks of `valueChecks` attached, so that a
    /// configuration file's bad value is reported at its line.
    static func withChecks(_ options: [CommandSpec.Option]) -> [CommandSpec.Option] {
        options.map { option in valueChecks[option.name].map { option.checked(by: $0) } ?? option }
    }

    /// The readers of the options that are not `TypedOption`s: the same
    /// functions `makeConfiguration` reads them with.
    static let valueChecks: [String: @Sendable (String) throws(UsageError) -> Void] = [
        "name": { text throws(UsageError) in
            do { try KeyStore.validateIdentityName(text) } catch { throw UsageError("--name: \(error)") }
        },
        "listen": { text throws(UsageError) in _ = try parseListen(text) },
        "data-ports": { text throws(UsageError) in _ = try parsePortRange(text) },
        "services": { text throws(UsageError) in _ = try parseServiceNames(text) },
        "ftp-umask": { text throws(UsageError) in _ = try parseUmask(text) },
        "suites": { text throws(UsageError) in _ = try parseSuites(text) },
        "max-key-sessions": { text throws(UsageError) in _ = try wholeNumber(text, option: "max-key-sessions", in: keySessionRange) },
        "max-key-data-ports": { text throws(UsageError) in _ = try wholeNumber(text, option: "max-key-data-ports", in: keyDataPortRange) },
        "trace-handshake": { text throws(UsageError) in
            var arguments = ParsedArguments()
            arguments.values["trace-handshake"] = [text]
            _ = try arguments.traceDetail()
        },
        "lab-fixed-ephemeral": { text throws(UsageError) in
            guard UInt64(text) != nil else {
                throw UsageError("--lab-fixed-ephemeral must be a decimal integer from 0 to \(UInt64.max), got '\(text)'")
            }
        },
        "log-level": { text throws(UsageError) in _ = try parseLogLevel(text) },
        "log-format": { text throws(UsageError) in _ = try parseLogFormat(text) },
        "metrics": { text throws(UsageError) in _ = try parseMetricsAddress(text) },
    ]

    static let keySessionRange = 1...1_000_000
    static let keyDataPortRange = 1...65535

    /// `--listen HOST:PORT`.
    static func parseListen(_ text: String) throws(UsageError) -> SocketAddress {
        do {
            return try SocketAddress(parsing: text, defaultPort: KeyGateWire.defaultControlPort)
        } catch {
            throw UsageError("--listen: \(error)")
        }
    }

    /// `--services chat,ftp`: known names, at least one.
    static func parseServiceNames(_ text: String) throws(UsageError) -> [String] {
        let names = text.split(separator: ",").map { String($0.trimmed()) }
        let known = [KeyGateWire.chatService, KeyGateWire.ftpService]
        for name in names where !known.contains(name) {
            throw UsageError("--services: unknown service '\(name)'; available: \(known.joined(separator: ", "))")
        }
        guard !names.isEmpty else { throw UsageError("--services is empty; available: \(known.joined(separator: ", "))") }
        return names
    }

    /// `--ftp-umask 022`.
    static func parseUmask(_ text: String) throws(UsageError) -> FileModeMask {
        do {
            return try FileModeMask(octal: text)
        } catch {
            throw UsageError("--ftp-umask: \(error)")
        }
    }

    /// `--log-level info`.
    static func parseLogLevel(_ text: String) throws(UsageError) -> Log.Level {
        guard let level = Log.Level(name: text) else {
            throw UsageError("--log-level must be debug, info, warning or error, got '\(text)'")
        }
        return level
    }

    /// `--log-format text|json`.
    static func parseLogFormat(_ text: String) throws(UsageError) -> Log.Format {
        guard let format = Log.Format(rawValue: text) else {
            throw UsageError("--log-format must be text or json, got '\(text)'")
        }
        return format
    }

    /// `--metrics HOST:PORT` or `--metrics PORT` (on 127.0.0.1).
    static func parseMetricsAddress(_ text: String) throws(UsageError) -> SocketAddress {
        let full = !text.isEmpty && text.allSatisfy(\.isNumber) ? "127.0.0.1:\(text)" : text
        guard full.contains(":") || full.hasPrefix("[") else {
            throw UsageError("--metrics must be HOST:PORT or PORT, got '\(text)'")
        }
        do {
            return try SocketAddress(parsing: full, defaultPort: 0)
        } catch {
            throw UsageError("--metrics: \(error)")
        }
    }

    /// A whole number of `--option` within `range`.
    static func wholeNumber(_ text: String, option: String, in range: ClosedRange<Int>) throws(UsageError) -> Int {
        guard let number = Int(text), range.contains(number) else {
            throw UsageError("--\(option) must be a whole number in \(range.lowerBound)...\(range.upperBound), got '\(text)'")
        }
        return number
    }

    // MARK: Reading the file

    /// The command line with the configuration file's settings added under
    /// it, and every problem of the file. The file is `--config`, else
    /// `DIR/keygate.conf` when it exists (else there is none, and no problem).
    static func applyingConfigFile(
        _ commandLine: ParsedArguments, spec: CommandSpec
    ) async -> (arguments: ParsedArguments, file: String?, problems: [String]) {
        let explicit = commandLine.value("config")
        let path = explicit ?? commandLine.keysDirectory() + "/" + configFileName
        let text: String?
        do {
            // Off the cooperative pool: a read of a file, however small.
            text = try await KeyFileIO.perform { () throws(KeyFileError) in try TrustedTextFile.read(path: path) }
        } catch {
            return (commandLine, path, ["\(path): \(error)"])
        }
        guard let text else {
            guard explicit != nil else { return (commandLine, nil, []) }
            return (commandLine, path, ["\(path): no such file; give an existing file to --config"])
        }
        let (arguments, problems) = spec.applying(ConfigFile(path: path, text: text), to: commandLine)
        return (arguments, path, problems)
    }

    // MARK: --print-config

    /// Every configurable option and its effective value, in option order,
    /// as configuration lines: a setting without a value (a file not
    /// given) is a comment saying what happens without it.
    func effectiveSettings(_ arguments: ParsedArguments, configuration: ServerConfiguration) -> [(name: String, line: String)] {
        let computed: [String: String] = [
            "keys": arguments.keysDirectory(),
            "suites": configuration.acceptedSuites.sorted().joined(separator: ","),
            "max-key-sessions": "\(configuration.sessionsPerKey)",
            "max-key-data-ports": "\(configuration.dataPortsPerKey)",
        ]
        return spec.options.filter(\.isConfigurable).map { option in
            (option.name, Self.effectiveLine(option, arguments, computed: computed[option.name]))
        }
    }

    private static func effectiveLine(_ option: CommandSpec.Option, _ arguments: ParsedArguments, computed: String?) -> String {
        if option.valueName == nil { return "\(option.name) \(arguments.flag(option.name) ? "yes" : "no")" }
        if option.valueIsOptional {
            return "\(option.name) \(arguments.value(option.name) ?? (arguments.flag(option.name) ? "yes" : "no"))"
        }
        if let value = arguments.value(option.name) ?? computed ?? option.literalDefault {
            return "\(option.name) \(value)"
        }
        let without = option.help.firstRange(of: "(default: ").map { range in
            String(option.help[range.upperBound...].prefix { $0 != ")" })
        }
        return "# \(option.name) not set" + (without.map { " (\($0))" } ?? "")
    }

    /// Reads the configuration as `run` does, without opening anything:
    /// the server's configuration, or the first problem found.
    func readConfiguration(_ arguments: ParsedArguments) -> Result<ServerConfiguration, ConfigurationProblem> {
        do {
            return .success(try validatedConfiguration(arguments))
        } catch let error as UsageError {
            let located = arguments.locating(error)
            return .failure(ConfigurationProblem(text: (located as? ConfigFileError)?.problems.joined(separator: "\n") ?? "\(error)"))
        } catch {
            return .failure(ConfigurationProblem(text: "\(error)"))
        }
    }

    /// Every setting read as `run` reads it, without opening anything
    /// (the keylog is opened, and created, only when serving).
    /// - Throws: the first `UsageError` found.
    func validatedConfiguration(_ arguments: ParsedArguments) throws -> ServerConfiguration {
        var checked = arguments
        checked.values["keylog"] = nil
        _ = try Self.ftpLimits(checked)
        _ = try Self.chatConfiguration(checked)
        _ = try Self.parseLogLevel(checked.value("log-level") ?? "info")
        _ = try Self.parseLogFormat(checked.value("log-format") ?? "text")
        if let metrics = checked.value("metrics") { _ = try Self.parseMetricsAddress(metrics) }
        return try makeConfiguration(checked)
    }

    /// What `readConfiguration` found wrong.
    struct ConfigurationProblem: Error {
        let text: String
    }

    // MARK: --check

    /// Every problem of the configuration, the server's key files and the
    /// allow-list, without creating or changing anything.
    func problems(_ arguments: ParsedArguments) async -> (problems: [String], notes: [String]) {
        var problems: [String] = []
        var notes: [String] = []
        let configuration: ServerConfiguration
        switch readConfiguration(arguments) {
        case let .success(read): configuration = read
        case let .failure(problem): return ([problem.text], notes)
        }
        let store = KeyStore(directory: arguments.keysDirectory())
        let name = arguments.value("name") ?? "server"
        for algorithm in configuration.keyAlgorithms {
            let path = store.privateKeyPath(name: name, algorithm: algorithm)
            do {
                let exists = try await KeyFileIO.perform { () throws(KeyFileError) in
                    try store.verifyIdentity(name: name, algorithm: algorithm)
                }
                if !exists { notes.append("\(path) does not exist yet: it is created at the first start") }
            } catch {
                problems.append("\(error)")
            }
        }
        let allowList = AuthorizedKeys(path: store.authorizedKeysPath)
        let (warnings, present) = await KeyFileIO.perform {
            (allowList.reload().map(\.description), TrustedTextFile.exists(path: allowList.path))
        }
        problems += warnings
        if !present { notes.append("\(allowList.path) does not exist yet: it is created empty at the first start") }
        return (problems, notes)
    }
}

extension ServeCommand {
    /// The `--metrics` endpoint: the server's metrics and the chat's members.
    static func metricsEndpoint(
        on address: SocketAddress, server: GateServer, services: [any GateService], log: Log
    ) throws -> MetricsEndpoint {
        let chat = services.compactMap { $0 as? ChatService }.first
        return try MetricsEndpoint.start(on: address, log: log) {
            var gauges: [ServerMetrics.Gauge] = []
            if let chat {
                gauges.append(.init(name: "keygate_chat_members", help: "Chat members connected now.", value: await chat.memberCount))
            }
            return server.metricsText(adding: gauges) ?? ""
        }
    }
}
