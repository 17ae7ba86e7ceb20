import KeyGateSystem
import KeyGateChannel
import Glibc

extension CommandSpec.Option {
    /// `--lab-fixed-ephemeral SEED`: reproducible handshakes for labs.
    static let labFixedEphemeral = CommandSpec.Option(
        "lab-fixed-ephemeral", value: "SEED",
        help: "FOR LABS ONLY, with \(LabFixedEphemeral.environmentVariable)=1: derive ephemeral keys (and ftp data keys) from the number SEED, so XX and NNpsk0 handshakes repeat byte for byte; no forward secrecy.")
}

extension ParsedArguments {
    /// `--lab-fixed-ephemeral`, or nil without it.
    /// - Throws: `UsageError` when KEYGATE_LAB=1 is not set or SEED is not a decimal integer.
    func labFixedEphemeral() throws(UsageError) -> LabFixedEphemeral? {
        guard let text = value("lab-fixed-ephemeral") else { return nil }
        let variable = LabFixedEphemeral.environmentVariable
        guard let enabled = getenv(variable), String(cString: enabled) == "1" else {
            throw UsageError("--lab-fixed-ephemeral makes every handshake's keys predictable and is refused unless \(variable)=1 is set in the environment (for labs only)")
        }
        guard let seed = UInt64(text) else {
            throw UsageError("--lab-fixed-ephemeral must be a decimal integer from 0 to \(UInt64.max), got '\(text)'")
        }
        Console.shared.err("keygate: WARNING: --lab-fixed-ephemeral \(seed): \(LabFixedEphemeral.warning).")
        return LabFixedEphemeral(seed: seed)
    }
}
