import KeyGateSystem
import KeyGateKeys

extension CommandSpec.Option {
    /// `--keys DIR`: the key folder.
    static let keys = CommandSpec.Option(
        "keys", value: "DIR",
        help: "Key folder (default: $\(KeyStore.environmentVariable) if set, else ./keys)."
    )

    /// `--dh DH`: the key algorithm.
    static let dh = CommandSpec.Option(
        "dh", value: "DH",
        help: "Key algorithm: \(KeyAlgorithm.allNames) (default x25519)."
    )
}

extension ParsedArguments {
    /// `--keys`, else `$KEYGATE_KEYS`, else `keys`.
    func keysDirectory() -> String {
        value("keys") ?? KeyStore.defaultDirectory
    }

    /// `--dh`, else X25519.
    /// - Throws: `UsageError` for an unknown algorithm.
    func keyAlgorithm() throws(UsageError) -> KeyAlgorithm {
        guard let text = value("dh") else { return .x25519 }
        guard let algorithm = KeyAlgorithm(rawValue: text) else {
            throw UsageError("--dh must be \(KeyAlgorithm.allNames), got '\(text)'")
        }
        return algorithm
    }

    /// The only positional argument, named `placeholder` in messages.
    /// - Throws: `UsageError` when there is none or more than one.
    func singlePositional(_ placeholder: String, command: String) throws(UsageError) -> String {
        guard positionals.count == 1 else {
            let problem = positionals.isEmpty ? "missing \(placeholder)" : "one \(placeholder) expected, got \(positionals.count) arguments"
            throw UsageError("\(problem); see 'keygate \(command) --help'")
        }
        return positionals[0]
    }
}
