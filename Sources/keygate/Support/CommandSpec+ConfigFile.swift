extension CommandSpec {
    /// `arguments` with the settings of `file` added where the command line
    /// did not give the option (the command line wins), and every problem
    /// of the file (`path:line: ...`, with what is allowed), not only the
    /// first.
    ///
    /// Any configurable option of the command is a key: an option without
    /// a value takes `yes` or `no`; one with an optional value (`--name[=X]`)
    /// `yes`, `no` or X; any other takes its value, checked by the option's
    /// own `check` (the typed reader its flag uses) when it has one.
    func applying(_ file: ConfigFile, to arguments: ParsedArguments) -> (arguments: ParsedArguments, problems: [String]) {
        var merged = arguments
        var problems = file.problems
        func report(_ setting: ConfigFile.Setting, _ text: String) { problems.append((setting.line, text)) }
        var seen: [String: Int] = [:]
        let configurable = options.filter(\.isConfigurable)
        for setting in file.settings {
            let origin = file.origin(of: setting)
            guard let option = configurable.first(where: { $0.name == setting.key }) else {
                let known = configurable.map(\.name).joined(separator: ", ")
                let hint = setting.key.hasPrefix("--") ? " (keys are written without --)" : ""
                report(setting, "\(origin): unknown key '\(setting.key)'\(hint); allowed: \(known)")
                continue
            }
            if let first = seen[option.name], !option.repeatable {
                report(setting, "\(origin): '\(option.name)' set again (first at line \(first)); keep one line")
                continue
            }
            seen[option.name] = seen[option.name] ?? setting.line
            let givenOnCommandLine = arguments.values[option.name] != nil || arguments.flags.contains(option.name)
            let value: String?
            switch (option.valueName, option.valueIsOptional) {
            case (nil, _), (_?, true):
                switch setting.value {
                case "yes": value = nil
                case "no": continue
                default:
                    guard option.valueIsOptional else {
                        report(setting, "\(origin): \(option.name) must be yes or no, got '\(setting.value)'")
                        continue
                    }
                    value = setting.value
                }
            case (_?, false):
                value = setting.value
            }
            if let value, let check = option.check {
                do {
                    try check(value)
                } catch {
                    report(setting, Self.located(error, option: option.name, at: origin))
                    continue
                }
            }
            guard !givenOnCommandLine else { continue }
            if option.valueName == nil || option.valueIsOptional { merged.flags.insert(option.name) }
            if let value { merged.values[option.name, default: []].append(value) }
            merged.origins[option.name] = origin
        }
        // In line order, whichever check found them.
        return (merged, problems.sorted { $0.line < $1.line }.map(\.text))
    }

    /// `error` about option `name`, as a file's problem: `path:line: name
    /// must be ...` rather than `--name must be ...`.
    static func located(_ error: UsageError, option name: String, at origin: String) -> String {
        let text = error.description
        if text.hasPrefix("--\(name)") { return "\(origin): \(name)\(text.dropFirst(name.count + 2))" }
        return "\(origin): \(name): \(text)"
    }
}

extension ParsedArguments {
    /// `error` said where the value was written when a configuration file
    /// set the option it is about (its message starts with `--name`):
    /// a `ConfigFileError`; else `error` itself, about the command line.
    func locating(_ error: UsageError) -> any Error {
        let candidates = origins.keys.filter { name in
            let prefix = "--\(name)"
            guard error.description.hasPrefix(prefix) else { return false }
            let next = error.description.dropFirst(prefix.count).first
            return next == nil || next == " " || next == ":" || next == "="
        }
        guard let name = candidates.max(by: { $0.count < $1.count }), let origin = origins[name] else { return error }
        return ConfigFileError(problems: [CommandSpec.located(error, option: name, at: origin)])
    }
}
