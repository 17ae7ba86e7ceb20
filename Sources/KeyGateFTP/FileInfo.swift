import KeyGateSystem
import Glibc

/// What a listing says about one directory entry (from `fstatat` without
/// following links).
public struct FileInfo: Sendable, Equatable {
    /// What the entry is; links are reported, never followed.
    public enum Kind: Sendable, Equatable {
        case file, directory, symbolicLink, other
    }

    public let name: String
    public let kind: Kind
    public let size: Int64
    /// Modification time, seconds since 1970 (UTC).
    public let modified: Int
    /// The permission bits (`st_mode & 0o7777`).
    public let permissions: UInt32
    public let links: Int

    public init(name: String, kind: Kind, size: Int64, modified: Int, permissions: UInt32, links: Int) {
        self.name = name
        self.kind = kind
        self.size = size
        self.modified = modified
        self.permissions = permissions
        self.links = links
    }

    init(name: String, status: stat) {
        let kind: Kind
        switch status.st_mode & S_IFMT {
        case S_IFREG: kind = .file
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symbolicLink
        default: kind = .other
        }
        self.init(
            name: name, kind: kind, size: Int64(status.st_size), modified: Int(status.st_mtim.tv_sec),
            permissions: UInt32(status.st_mode) & 0o7777, links: Int(status.st_nlink))
    }

    // MARK: Listing formats

    /// An `ls -l` line: `-rw-r--r-- 1 ftp ftp 1234 Nov 26 19:40 name`
    /// (the year instead of the time for dates more than six months from
    /// `now`).
    public func listLine(now: Int) -> String {
        let type: Character = switch kind {
        case .file: "-"
        case .directory: "d"
        case .symbolicLink: "l"
        case .other: "?"
        }
        var mode = String(type)
        for shift in stride(from: 6, through: 0, by: -3) {
            let bits = (permissions >> UInt32(shift)) & 7
            mode += (bits & 4 != 0 ? "r" : "-") + (bits & 2 != 0 ? "w" : "-") + (bits & 1 != 0 ? "x" : "-")
        }
        let parts = Self.utc(modified)
        let recent = abs(now - modified) < 180 * 24 * 3600
        let day = parts.tm_mday < 10 ? " \(parts.tm_mday)" : "\(parts.tm_mday)"
        let timeOrYear = recent ? "\(Self.two(parts.tm_hour)):\(Self.two(parts.tm_min))" : " \(parts.tm_year + 1900)"
        return "\(mode) \(links) ftp ftp \(size) \(Self.months[Int(parts.tm_mon)]) \(day) \(timeOrYear) \(name)"
    }

    /// An RFC 3659 fact line, `type=file;size=1234;modify=20261126194000;perm=adfrw; name`.
    public func factLine(name shownName: String? = nil) -> String {
        var facts: String
        switch kind {
        case .file: facts = "type=file;size=\(size);"
        case .directory: facts = "type=dir;"
        case .symbolicLink: facts = "type=OS.unix=symlink;"
        case .other: facts = "type=OS.unix=special;"
        }
        facts += "modify=\(Self.timestamp(modified));"
        switch kind {
        case .file: facts += "perm=adfrw;"
        case .directory: facts += "perm=cdeflmp;"
        default: facts += "perm=df;"
        }
        return facts + " " + (shownName ?? name)
    }

    /// `YYYYMMDDHHMMSS` in UTC (RFC 3659 section 2.3), as MDTM answers.
    public static func timestamp(_ seconds: Int) -> String {
        let parts = utc(seconds)
        return "\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))"
            + "\(two(parts.tm_hour))\(two(parts.tm_min))\(two(parts.tm_sec))"
    }

    /// The seconds since 1970 of `YYYYMMDDHHMMSS` in UTC, with optional
    /// fractions (`.sss`, ignored) as RFC 3659 section 2.3 allows; nil for
    /// anything else or an impossible date.
    public static func seconds(fromTimestamp text: String) -> Int? {
        let whole = text.prefix { $0 != "." }
        let fraction = text.dropFirst(whole.count)
        guard whole.count == 14, whole.allSatisfy({ $0.isASCII && $0.isNumber }),
              fraction.isEmpty || (fraction.count > 1 && fraction.dropFirst().allSatisfy({ $0.isASCII && $0.isNumber }))
        else { return nil }
        let digits = Array(whole)
        func number(_ range: Range<Int>) -> Int32 { Int32(String(digits[range]))! }
        var parts = tm()
        parts.tm_year = number(0..<4) - 1900
        parts.tm_mon = number(4..<6) - 1
        parts.tm_mday = number(6..<8)
        parts.tm_hour = number(8..<10)
        parts.tm_min = number(10..<12)
        parts.tm_sec = number(12..<14)
        let checked = parts
        let seconds = timegm(&parts)
        // timegm normalises 20260231 into March: refuse what it changed.
        guard seconds != -1 || checked.tm_year == 69,
              parts.tm_year == checked.tm_year, parts.tm_mon == checked.tm_mon, parts.tm_mday == checked.tm_mday,
              parts.tm_hour == checked.tm_hour, parts.tm_min == checked.tm_min, parts.tm_sec == checked.tm_sec
        else { return nil }
        return Int(seconds)
    }

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    private static func utc(_ seconds: Int) -> tm {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return parts
    }

    private static func two(_ value: Int32) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }
}
