/// What `mirror --delete` removes from the destination tree once every
/// file has been copied: the entries the source tree does not hold.
/// Worked out from the two trees' paths alone, before anything is removed.
///
/// It acts only on what it can remove without reaching past it: regular
/// files and folders, each named by plain names (`RemoteEntry.isPlainName`:
/// never `..`, `.`, an empty name or one with `/` or a control character).
/// A link or special file in the destination is left alone and reported,
/// never followed and never removed (lftp removes the link; keeping it is
/// the safer choice, and the server refuses to remove links anyway), and
/// so is a folder that still holds such an entry. Nothing is removed
/// below a path whose contents the source did not show: one the source
/// holds as a link or special file (which mirror does not follow), or a
/// source folder whose listing held names that were refused.
struct MirrorDeletions: Sendable, Equatable {
    /// One entry of the destination tree.
    struct Entry: Sendable, Equatable {
        enum Kind: Sendable, Equatable {
            case file, directory
            /// A link or special file.
            case other
        }

        /// From the top of the tree, names joined by `/`.
        let path: String
        let kind: Kind
    }

    /// An entry the source does not hold that is left in place, and why.
    struct Kept: Sendable, Equatable {
        let path: String
        let reason: String
    }

    /// The files to remove, in the destination's order.
    let files: [String]
    /// The folders to remove after the files, deepest first.
    let folders: [String]
    /// What stays although the source does not hold it.
    let kept: [Kept]

    static let linkReason = "a link or special file, not deleted (never followed)"
    static let nameReason = "not a plain name, not deleted"
    static let holdsReason = "a folder that holds what mirror keeps, not deleted"
    static let unseenReason = "below what the source holds as a link or special file, or lists only in part, not deleted"

    /// The plan for `destination` (every entry of the destination tree)
    /// against `source` (the path of every entry of the source tree, of
    /// any kind); `unlisted` are destination folders whose listing held
    /// names that were refused, which therefore are never removed;
    /// `unseen` are source paths whose contents the source did not show
    /// (links, special files, folders listed in part; "" for the top), below
    /// which nothing is removed.
    init(destination: [Entry], source: Set<String>, unlisted: Set<String> = [], unseen: Set<String> = []) {
        var files: [String] = [], folders: [String] = [], kept: [Kept] = []
        var holding = Set<String>()
        for entry in destination where !source.contains(entry.path) {
            let names = entry.path.split(separator: "/", omittingEmptySubsequences: false)
            guard names.allSatisfy({ RemoteEntry.isPlainName(String($0)) }) else {
                kept.append(Kept(path: entry.path, reason: Self.nameReason))
                holding.formUnion(Self.ancestors(of: entry.path))
                continue
            }
            guard !unseen.contains(""), !Self.ancestors(of: entry.path).contains(where: unseen.contains) else {
                kept.append(Kept(path: entry.path, reason: Self.unseenReason))
                holding.formUnion(Self.ancestors(of: entry.path))
                continue
            }
            switch entry.kind {
            case .file: files.append(entry.path)
            case .directory: folders.append(entry.path)
            case .other:
                kept.append(Kept(path: entry.path, reason: Self.linkReason))
                holding.formUnion(Self.ancestors(of: entry.path))
            }
        }
        for folder in unlisted { holding.formUnion(Self.ancestors(of: folder + "/")) }
        var removed: [String] = []
        for folder in folders {
            if holding.contains(folder) {
                kept.append(Kept(path: folder, reason: Self.holdsReason))
            } else {
                removed.append(folder)
            }
        }
        self.files = files
        self.folders = removed.sorted { left, right in
            let (leftDepth, rightDepth) = (left.count(where: { $0 == "/" }), right.count(where: { $0 == "/" }))
            return leftDepth != rightDepth ? leftDepth > rightDepth : left.utf8.lexicographicallyPrecedes(right.utf8)
        }
        self.kept = kept
    }

    /// Whether there is nothing to remove and nothing to report.
    var isEmpty: Bool { files.isEmpty && folders.isEmpty && kept.isEmpty }

    /// `a/b/c` → `a`, `a/b`.
    private static func ancestors(of path: String) -> [String] {
        var result: [String] = []
        var index = path.startIndex
        while let slash = path[index...].firstIndex(of: "/") {
            result.append(String(path[..<slash]))
            index = path.index(after: slash)
        }
        return result
    }
}
