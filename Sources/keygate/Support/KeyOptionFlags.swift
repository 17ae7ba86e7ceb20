import Glibc
import KeyGateKeys

/// The flags that write an allow-list line's options (`keygate allow` and
/// `keygate invite`), each checked exactly as the server checks the line.
enum KeyOptionFlags {
    /// The flags; the key's expiry is `--expires` for `allow` and
    /// `--key-expires` for `invite` (whose `--expires` is the invite's own).
    static func options(expiryFlag: String = "expires") -> [CommandSpec.Option] { [
        .init("services", value: "LIST", help: "Services the key may use, comma-separated: chat, ftp (default: all)."),
        .init("read-only", help: "FTP commands that write (STOR, DELE, MKD, RNFR, ...) are refused with 550."),
        .init("ftp-root", value: "DIR",
              help: "Confine the key's FTP session to DIR, relative to the server's FTP root (created when first used)."),
        .init("from", value: "LIST",
              help: "Addresses the key may connect from: IP addresses and CIDR ranges, comma-separated (10.0.0.0/8,::1)."),
        .init(expiryFlag, value: "WHEN", help: "Deny the key from WHEN on: \(whenHelp)."),
    ] }

    /// What a WHEN value may be, for help texts.
    static let whenHelp = "YYYYMMDD[HHMM[SS]] (local time, UTC if it ends in Z) or a duration from now (90m, 12h, 30d, 2w)"

    /// The options the flags in `arguments` give; empty without any.
    /// - Parameter now: seconds since 1970, for `--expires` durations.
    /// - Throws: `UsageError` naming the flag and what it accepts.
    static func keyOptions(
        in arguments: ParsedArguments, now: Int64, expiryFlag: String = "expires"
    ) throws(UsageError) -> KeyOptions {
        var options = KeyOptions()
        func set(_ flag: String, _ name: String, _ value: String) throws(UsageError) {
            do {
                try options.set(name, to: value)
            } catch {
                guard case let .invalidOption(_, reason) = error else { throw UsageError("--\(flag): \(error)") }
                throw UsageError("--\(flag) '\(value.prefix(60))': \(reason)")
            }
        }
        if let services = arguments.value("services") { try set("services", "services", services) }
        if arguments.flag("read-only") { try set("read-only", "ftp", "read-only") }
        if let root = arguments.value("ftp-root") { try set("ftp-root", "ftp-root", root) }
        if let from = arguments.value("from") { try set("from", "from", from) }
        if arguments.value(expiryFlag) != nil {
            options.expiry = try expiry(in: arguments, flag: expiryFlag, now: now)
        }
        return options
    }

    /// The WHEN of `--flag`: an expiry-time value or a duration from `now`;
    /// nil when the flag is absent.
    static func expiry(in arguments: ParsedArguments, flag: String, now: Int64) throws(UsageError) -> KeyExpiry? {
        guard let when = arguments.value(flag) else { return nil }
        if let seconds = duration(when) { return KeyExpiry(after: seconds, from: now) }
        guard let expiry = KeyExpiry(when) else {
            throw UsageError("--\(flag) '\(when.prefix(60))' is not a time or a duration: expected \(whenHelp)")
        }
        return expiry
    }

    /// `90m`, `12h`, `30d`, `2w`, `45s` in seconds; nil for anything else.
    static func duration(_ text: String) -> Int64? {
        guard let unit = text.last, let count = Int64(text.dropLast()), count > 0, String(count) == text.dropLast() else {
            return nil
        }
        let seconds: Int64
        switch unit {
        case "s": seconds = 1
        case "m": seconds = 60
        case "h": seconds = 3600
        case "d": seconds = 86_400
        case "w": seconds = 604_800
        default: return nil
        }
        let (total, overflow) = count.multipliedReportingOverflow(by: seconds)
        // Past year 9999 an expiry-time cannot be written.
        guard !overflow, total < 250_000_000_000 else { return nil }
        return total
    }

    /// Seconds since 1970 now.
    static func now() -> Int64 {
        Int64(time(nil))
    }
}
