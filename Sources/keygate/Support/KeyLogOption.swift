import KeyGateSystem
import KeyGateChannel

extension CommandSpec.Option {
    /// `--keylog FILE`: the lab keylog.
    static let keyLog = CommandSpec.Option(
        "keylog", value: "FILE",
        help: "FOR LABS ONLY: append the transport keys of this process's sessions to FILE (mode 0600; never a private key), so that 'keygate decode --keylog FILE' can decrypt a capture of them.")
}

extension ParsedArguments {
    /// The keylog `--keylog` names, opened (created with mode 0600), after
    /// a warning on standard error; nil without the option. Opened at
    /// start, before any connection, like the key files.
    /// - Throws: `UsageError` when the file cannot be opened or others can read it.
    func labKeyLog() throws(UsageError) -> SessionKeyLog? {
        guard let path = value("keylog") else { return nil }
        do {
            let keyLog = try SessionKeyLog.open(path: path)
            Console.shared.err("keygate: WARNING: --keylog \(path): \(SessionKeyLog.warning).")
            return keyLog
        } catch {
            throw UsageError("--keylog: \(error)")
        }
    }
}
