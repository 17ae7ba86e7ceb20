import KeyGateFTP

/// One entry of an MLSD listing (RFC 3659 section 7) as the client reads
/// it to walk remote trees and match patterns.
///
/// The listing comes from the server, so its names are checked: a name
/// that is not one plain entry of the folder (empty, `.`, `..`, with `/`,
/// NUL or a control character) is refused, so that no listing can make
/// the client write outside the local folder it was given.
public struct RemoteEntry: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case file, directory, symbolicLink, other
    }

    public let name: String
    public let kind: Kind
    /// The `size` fact, when given.
    public let size: Int64?
    /// The `modify` fact, seconds since 1970, when given.
    public let modified: Int?

    public init(name: String, kind: Kind, size: Int64?, modified: Int?) {
        self.name = name
        self.kind = kind
        self.size = size
        self.modified = modified
    }

    /// The entries of an MLSD listing, the folder itself (`cdir`) and its
    /// parent (`pdir`) left out, and the lines refused.
    public static func parseListing(_ bytes: [UInt8]) -> (entries: [RemoteEntry], refused: [String]) {
        var entries: [RemoteEntry] = []
        var refused: [String] = []
        for line in FTPReply.lines(of: bytes) where !line.isEmpty {
            switch parse(line) {
            case let .entry(entry)?: entries.append(entry)
            case .folderItself?: break
            case nil: refused.append(line)
            }
        }
        return (entries, refused)
    }

    /// What one fact line holds.
    enum Line: Equatable {
        case entry(RemoteEntry)
        /// `type=cdir` or `type=pdir`.
        case folderItself
    }

    /// Parses `type=file;size=12;modify=20261126194000; name`; nil for a
    /// line that is not one, or whose name is not a plain name.
    static func parse(_ line: String) -> Line? {
        guard let space = line.firstIndex(of: " ") else { return nil }
        let name = String(line[line.index(after: space)...])
        var kind: Kind?
        var size: Int64?
        var modified: Int?
        for fact in line[..<space].split(separator: ";") {
            guard let equals = fact.firstIndex(of: "=") else { return nil }
            let key = fact[..<equals].lowercased(), value = String(fact[fact.index(after: equals)...])
            switch key {
            case "type":
                switch value.lowercased() {
                case "file": kind = .file
                case "dir": kind = .directory
                case "cdir", "pdir": return .folderItself
                case let other where other.hasPrefix("os.unix=symlink") || other.hasPrefix("os.unix=slink"):
                    kind = .symbolicLink
                default: kind = .other
                }
            case "size":
                guard let number = Int64(value), number >= 0 else { return nil }
                size = number
            case "modify":
                guard let seconds = FileInfo.seconds(fromTimestamp: value) else { return nil }
                modified = seconds
            default:
                break
            }
        }
        guard let kind, isPlainName(name) else { return nil }
        return .entry(RemoteEntry(name: name, kind: kind, size: size, modified: modified))
    }

    /// Whether `name` names one entry of a folder and nothing more.
    public static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".."
            && !name.unicodeScalars.contains { $0 == "/" || $0.value < 0x20 || $0.value == 0x7f }
    }
}
