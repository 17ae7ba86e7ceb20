/// A description of one command's options, used both to parse its
/// arguments and to print its `--help`.
struct CommandSpec: Sendable {
    /// One `--name [VALUE]` option.
    struct Option: Sendable {
        let name: String
        /// The placeholder shown in help (`DIR`), or nil for a flag without value.
        let valueName: String?
        let help: String
        /// Whether the option may be given several times (values accumulate).
        let repeatable: Bool
        /// Whether the value is optional: `--name` alone is a flag,
        /// `--name=VALUE` (only with `=`) also gives a value.
        let valueIsOptional: Bool
        /// Whether a configuration file may set it (`--config` and
        /// `--check` themselves may not).
        let isConfigurable: Bool
        /// Reads a value as the command will, to report a bad one where it
        /// was written (a configuration file's line); nil when only the
        /// command's own reading checks it.
        let check: (@Sendable (String) throws(UsageError) -> Void)?

        init(
            _ name: String, value: String? = nil, repeatable: Bool = false, optionalValue: Bool = false,
            configurable: Bool = true, help: String, check: (@Sendable (String) throws(UsageError) -> Void)? = nil
        ) {
            self.name = name
            self.valueName = value
            self.help = help
            self.repeatable = repeatable
            self.valueIsOptional = optionalValue
            self.isConfigurable = configurable
            self.check = check
        }

        /// The same option whose values `check` reads.
        func checked(by check: @escaping @Sendable (String) throws(UsageError) -> Void) -> Option {
            Option(name, value: valueName, repeatable: repeatable, optionalValue: valueIsOptional,
                   configurable: isConfigurable, help: help, check: check)
        }

        /// The literal default the help states as `(default VALUE)` or
        /// `(default VALUE; ...)`, or nil when it describes the default in
        /// words (`(default: half of --max-sessions)`) or states none.
        var literalDefault: String? {
            guard let start = help.firstRange(of: "(default ") else { return nil }
            let rest = help[start.upperBound...]
            var value = rest.prefix { $0 != " " && $0 != ")" && $0 != ";" }
            while let last = value.last, last == ":" || last == "," || last == "." { value = value.dropLast() }
            return value.isEmpty ? nil : String(value)
        }
    }

    let name: String
    let summary: String
    /// The synopsis after `keygate NAME`, e.g. `HOST[:PORT] [options]`.
    let usage: String
    let options: [Option]
    /// Longer text shown after the options in `--help`.
    let discussion: String

    init(name: String, summary: String, usage: String, options: [Option], discussion: String = "") {
        self.name = name
        self.summary = summary
        self.usage = usage
        self.options = options
        self.discussion = discussion
    }

    /// The full `--help` text.
    var helpText: String {
        var lines = ["Usage: keygate \(name) \(usage)", "", summary]
        let all = options + [Option("help", help: "Show this help and exit.")]
        lines.append("")
        lines.append("Options:")
        let labels = all.map { option in
            "--\(option.name)" + (option.valueName.map { option.valueIsOptional ? "[=\($0)]" : " \($0)" } ?? "")
        }
        let width = (labels.map(\.count).max() ?? 0) + 2
        for (label, option) in zip(labels, all) {
            lines.append("  " + label.padding(to: width) + option.help)
        }
        if !discussion.isEmpty {
            lines.append("")
            lines.append(discussion)
        }
        return lines.joined(separator: "\n")
    }

    /// Parses `arguments` (everything after the command name).
    /// - Throws: `UsageError` for unknown options or missing values.
    func parse(_ arguments: [String]) throws(UsageError) -> ParsedArguments {
        var parsed = ParsedArguments()
        var index = 0
        var onlyPositionals = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if onlyPositionals || !argument.hasPrefix("--") || argument == "-" {
                parsed.positionals.append(argument)
                continue
            }
            if argument == "--" {
                onlyPositionals = true
                continue
            }
            var name = String(argument.dropFirst(2))
            var inlineValue: String?
            if let equals = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            if name == "help" {
                parsed.wantsHelp = true
                continue
            }
            guard let option = options.first(where: { $0.name == name }) else {
                throw UsageError("unknown option --\(name) for 'keygate \(self.name)'; see 'keygate \(self.name) --help'")
            }
            if option.valueName == nil {
                guard inlineValue == nil else {
                    throw UsageError("option --\(name) takes no value")
                }
                parsed.flags.insert(name)
                continue
            }
            if option.valueIsOptional {
                parsed.flags.insert(name)
                if let inlineValue { parsed.values[name, default: []].append(inlineValue) }
                continue
            }
            let value: String
            if let inlineValue {
                value = inlineValue
            } else {
                guard index < arguments.count else {
                    throw UsageError("option --\(name) needs a value (\(option.valueName!))")
                }
                value = arguments[index]
                index += 1
            }
            if !option.repeatable, parsed.values[name] != nil {
                throw UsageError("option --\(name) given more than once")
            }
            parsed.values[name, default: []].append(value)
        }
        return parsed
    }
}

/// The result of parsing one command line.
struct ParsedArguments: Sendable {
    var values: [String: [String]] = [:]
    var flags: Set<String> = []
    var positionals: [String] = []
    var wantsHelp = false
    /// Where the options a configuration file set were written
    /// (`/etc/keygate.conf:12`), by option name; command-line options
    /// have none.
    var origins: [String: String] = [:]

    /// The value of `--name`, or nil when absent.
    func value(_ name: String) -> String? {
        values[name]?.last
    }

    /// All values of a repeatable `--name`.
    func allValues(_ name: String) -> [String] {
        values[name] ?? []
    }

    /// Whether the flag `--name` was given.
    func flag(_ name: String) -> Bool {
        flags.contains(name)
    }

    /// The value of `--name` as an integer within `range`, or `defaultValue`.
    func integer(_ name: String, default defaultValue: Int, in range: ClosedRange<Int>) throws(UsageError) -> Int {
        guard let text = value(name) else { return defaultValue }
        guard let number = Int(text), range.contains(number) else {
            throw UsageError("--\(name) must be a whole number in \(range.lowerBound)...\(range.upperBound), got '\(text)'")
        }
        return number
    }

    /// The value of `--name` as a number >= 0, or `defaultValue`.
    func nonNegativeNumber(_ name: String, default defaultValue: Double) throws(UsageError) -> Double {
        guard let text = value(name) else { return defaultValue }
        guard let number = Double(text), number >= 0, number.isFinite else {
            throw UsageError("--\(name) must be a number >= 0, got '\(text)'")
        }
        return number
    }
}

/// A command line that cannot be understood (exit status 2).
struct UsageError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

extension String {
    /// The string padded with spaces to at least `width` characters.
    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
