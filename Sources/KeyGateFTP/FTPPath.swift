/// A path inside the FTP root, as a list of names from the root down.
///
/// Resolution is purely lexical and never decodes anything: `%2e%2e` is a
/// literal name, `/x` starts at the root, `..` may not climb above it, and
/// names with NUL, CR or LF are refused. What the names lead to (symbolic
/// links, missing folders) is checked when the file store walks them, one
/// `openat(O_NOFOLLOW)` at a time.
public struct FTPPath: Sendable, Hashable, CustomStringConvertible {
    /// Names, root first; empty for the root itself.
    public let components: [String]

    /// The longest name the file system takes (NAME_MAX).
    public static let maximumNameByteCount = 255
    /// The prefix of the server's named pending upload files (where the
    /// file system has no unnamed files): hidden from listings and out of
    /// reach of every command.
    public static let reservedPrefix = ".keygate-upload-"

    public static let root = FTPPath(components: [])

    /// A path from names that are each a single path component (no "/",
    /// not "." or "..", no NUL); `resolving(_:)` only ever produces those.
    public init(components: [String]) {
        precondition(components.allSatisfy(FTPPath.isSingleName), "not a single path component")
        self.components = components
    }

    /// Whether `name` names one entry of a folder: not empty, not `.` or
    /// `..`, and without "/" or NUL anywhere.
    static func isSingleName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.utf8.contains { $0 == UInt8(ascii: "/") || $0 == 0 }
    }

    /// The path that `text` names when the current folder is `self`.
    /// - Throws: `FTPError.invalidName` for NUL, CR, LF, an over-long or
    ///   reserved name; `FTPError.outsideRoot` when `..` climbs above `/`.
    public func resolving(_ text: String) throws(FTPError) -> FTPPath {
        guard !text.utf8.contains(where: { $0 == 0 || $0 == 10 || $0 == 13 }) else {
            throw .invalidName(Self.shown(text))
        }
        // Split on the byte "/", not on Characters: a slash followed by a
        // combining mark is one Character, and splitting on Characters would
        // leave that slash inside a name, where openat(2) would follow it.
        let bytes = Array(text.utf8)
        var result = bytes.first == UInt8(ascii: "/") ? [] : components
        for piece in bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            switch Array(piece) {
            case [UInt8(ascii: ".")]:
                continue
            case [UInt8(ascii: "."), UInt8(ascii: ".")]:
                guard !result.isEmpty else { throw .outsideRoot(Self.shown(text)) }
                result.removeLast()
            default:
                // Cut at an ASCII byte, the piece is still valid UTF-8.
                let name = String(decoding: piece, as: UTF8.self)
                guard piece.count <= Self.maximumNameByteCount, !name.utf8.starts(with: Self.reservedPrefix.utf8) else {
                    throw .invalidName(Self.shown(text))
                }
                result.append(name)
            }
        }
        return FTPPath(components: result)
    }

    /// The folder that holds this path; nil for the root.
    public var parent: FTPPath? {
        components.isEmpty ? nil : FTPPath(components: Array(components.dropLast()))
    }

    /// The last name; nil for the root.
    public var name: String? { components.last }

    /// `/a/b`, or `/` for the root.
    public var description: String {
        "/" + components.joined(separator: "/")
    }

    /// A path from a client for a reply or a log line: control characters
    /// made visible, long paths cut.
    static func shown(_ text: String) -> String {
        let printable = FTPReply.printable(text)
        return printable.count > 200 ? String(printable.prefix(200)) + "..." : printable
    }
}
