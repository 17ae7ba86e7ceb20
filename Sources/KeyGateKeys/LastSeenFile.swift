import Glibc

/// `DIR/last_seen`: when each client key last logged in, kept by the server
/// and read by `keygate keys`. One line per key:
///
///     SHA256:zGOS/Ar+qZ8UvsfYl+fq0YyuUEc0uke2wN7cEBZRBCQ 2026-12-03T16:40:02Z
///
/// Mode 0600 (login times are the operator's business), always replaced
/// whole and atomically, so a reader never sees half a file. A line that
/// does not parse is skipped: the file is a record, not a control.
public struct LastSeenFile: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// Mode of the file.
    public static let mode: mode_t = 0o600

    /// At most this many keys are kept; the least recent go first.
    public static let maximumEntries = 100_000

    /// Fingerprint → seconds since 1970; empty when the file is missing.
    /// - Throws: `KeyFileError` when it exists but cannot be read.
    public func read() throws(KeyFileError) -> [String: Int64] {
        guard let contents = try FileSystem.read(path) else { return [:] }
        return Self.parse(contents.bytes)
    }

    /// Merges `logins` (fingerprint → seconds since 1970) into the file,
    /// the later time winning for a key in both.
    /// - Throws: `KeyFileError.systemCallFailed` when it cannot be written.
    public func record(_ logins: [String: Int64]) throws(KeyFileError) {
        guard !logins.isEmpty else { return }
        var all = (try? read()) ?? [:]
        all.merge(logins) { max($0, $1) }
        try FileSystem.writeAtomically(Self.format(all), to: path, mode: Self.mode, existing: .replace)
    }

    static func parse(_ bytes: [UInt8]) -> [String: Int64] {
        var result: [String: Int64] = [:]
        for line in bytes.split(separator: UInt8(ascii: "\n")) where line.first != UInt8(ascii: "#") {
            let fields = line.split(separator: UInt8(ascii: " "))
            guard fields.count == 2, let fingerprint = String(validating: fields[0], as: UTF8.self),
                  fingerprint.hasPrefix("SHA256:"), let time = String(validating: fields[1], as: UTF8.self),
                  let seconds = Self.seconds(fromTimestamp: time)
            else { continue }
            result[fingerprint] = max(result[fingerprint] ?? seconds, seconds)
        }
        return result
    }

    static func format(_ logins: [String: Int64]) -> [UInt8] {
        let kept = logins.sorted { ($0.value, $0.key) > ($1.value, $1.key) }.prefix(maximumEntries)
        var text = "# KeyGate: when each client key last logged in (UTC). Written by the server.\n"
        for (fingerprint, seconds) in kept.sorted(by: { $0.key < $1.key }) {
            text += "\(fingerprint) \(Self.timestamp(seconds))\n"
        }
        return Array(text.utf8)
    }

    /// `seconds` since 1970 (0 through the end of year 9999) as
    /// `2026-12-03T16:40:02Z`.
    public static func timestamp(_ seconds: Int64) -> String {
        var time = time_t(min(max(seconds, 0), latestTimestamp))
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }

    /// 9999-12-31T23:59:59Z, the last instant a timestamp can be written.
    static let latestTimestamp: Int64 = 253_402_300_799

    /// The seconds since 1970 of a `timestamp(_:)` text; nil for another.
    static func seconds(fromTimestamp text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count == 20, bytes[4] == 0x2d, bytes[7] == 0x2d, bytes[10] == 0x54, bytes[13] == 0x3a,
              bytes[16] == 0x3a, bytes[19] == 0x5a
        else { return nil }
        func number(_ start: Int, _ count: Int) -> Int32? {
            var value: Int32 = 0
            for byte in bytes[start..<(start + count)] {
                guard (0x30...0x39).contains(byte) else { return nil }
                value = value * 10 + Int32(byte - 0x30)
            }
            return value
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
              let minute = number(14, 2), let second = number(17, 2), year >= 1970, (1...12).contains(month),
              (1...31).contains(day), hour < 24, minute < 60, second < 60
        else { return nil }
        var parts = tm()
        parts.tm_year = year - 1900
        parts.tm_mon = month - 1
        parts.tm_mday = day
        parts.tm_hour = hour
        parts.tm_min = minute
        parts.tm_sec = second
        let seconds = timegm(&parts)
        // timegm normalises 2027-02-31 to March 3rd: refuse dates that do
        // not exist instead, so every accepted text is the one written back.
        guard seconds >= 0, parts.tm_mon == month - 1, parts.tm_mday == day else { return nil }
        return Int64(seconds)
    }
}
