/// The parsed contents of a key list file that a server reads again
/// whenever it changes (`WatchedKeyFile`).
protocol KeyListContents: Sendable {
    /// No file: an empty list.
    init()
    /// A file that exists but could not be read.
    init(failure: KeyFileError)
    init(parsing bytes: [UInt8], path: String)
    /// The problems found while reading.
    var warnings: [KeyFileError] { get }
}

/// A key list file and what was read from it last, read again when its
/// stamp, its status or its folder's protection changes: edits apply to
/// the next lookup without a restart.
struct WatchedKeyFile<Contents: KeyListContents>: Sendable {
    let path: String
    private(set) var contents = Contents()
    /// What was read last; nil before the first read and after `invalidate`.
    private var status: FileSystem.Status?
    /// The file was modified too recently for its stamp to prove that a
    /// later write would change it (see `FileStamp.isRecent`).
    private var mustReread = false
    /// The folder's owner and mode at the last read: a folder made
    /// writable by others makes the file unsafe, so it is read again.
    private var folder: [UInt32]?

    init(path: String) {
        self.path = path
    }

    /// Forgets what was read, so the next `refresh` reads the file.
    mutating func invalidate() {
        status = nil
    }

    /// Reads the file if it changed (or `force`), and returns the warnings
    /// to report, or nil when nothing new was found.
    mutating func refresh(force: Bool) -> [KeyFileError]? {
        let current = FileSystem.status(path)
        let currentFolder = FileSystem.folderProtection(of: path)
        if !force, !mustReread, let previous = status, previous == current, folder == currentFolder {
            return nil
        }
        folder = currentFolder
        let wasLoaded = status != nil
        let previousWarnings = contents.warnings
        var newStatus = current
        mustReread = false
        switch current {
        case .missing:
            contents = Contents()
        case let .failed(code):
            contents = Contents(failure: .systemCallFailed(call: "stat", path: path, errno: code))
        case .present:
            do {
                if let read = try FileSystem.read(path, protection: .trusted) {
                    contents = Contents(parsing: read.bytes, path: path)
                    newStatus = .present(read.stamp)
                    mustReread = read.stamp.isRecent(now: FileSystem.now())
                } else {
                    contents = Contents()
                    newStatus = .missing
                }
            } catch {
                contents = Contents(failure: error)
            }
        }
        let changed = status != newStatus
        status = newStatus
        // A file read again only because it is recent repeats its warnings:
        // report them once.
        if wasLoaded && !changed && contents.warnings == previousWarnings { return nil }
        return contents.warnings
    }
}
