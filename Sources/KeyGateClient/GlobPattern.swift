import Glibc

/// A glob(7) pattern for one name (`*.txt`, `report-202[0-9]?.pdf`):
/// `*` and `?` match any characters but `/`, `[...]` a set, a backslash
/// quotes; a leading `.` must be matched by a `.` (FNM_PERIOD), as the
/// shell does. Matched with fnmatch(3), which does no I/O.
public struct GlobPattern: Sendable, Equatable {
    public let text: String

    public init(_ text: String) {
        self.text = text
    }

    /// Whether `text` has a wildcard (`*`, `?`, `[`): a word without one is
    /// a plain name, used as it is.
    public static func hasWildcards(_ text: String) -> Bool {
        text.contains { $0 == "*" || $0 == "?" || $0 == "[" }
    }

    /// Whether `name` matches.
    public func matches(_ name: String) -> Bool {
        fnmatch(text, name, FNM_PERIOD) == 0
    }

    /// `dir/sub/*.txt` → (`dir/sub`, `*.txt`); `*.txt` → (nil, `*.txt`):
    /// only the last name of a path may hold wildcards.
    public static func split(_ path: String) -> (folder: String?, pattern: String) {
        guard let slash = path.lastIndex(of: "/") else { return (nil, path) }
        let folder = String(path[..<slash])
        return (folder.isEmpty ? "/" : folder, String(path[path.index(after: slash)...]))
    }
}
