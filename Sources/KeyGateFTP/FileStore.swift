import KeyGateSystem
import Glibc

/// The files of one FTP session, confined to its root folder.
///
/// Every path is walked from the root's descriptor one name at a time with
/// `openat(O_DIRECTORY | O_NOFOLLOW)`, so no symbolic link is ever
/// followed, whether it was there before or was swapped in during the
/// walk; files are opened with `O_NOFOLLOW` and checked with `fstat` after
/// opening; changes use `mkdirat`, `unlinkat` and `renameat` relative to
/// the walked folder. All of it runs on the session's `BlockingLane`.
///
/// New files and folders get their permissions from the store's
/// `FileModeMask`, set with `fchmod` on the opened file, so the process's
/// own umask does not change them.
public final class FileStore: Sendable {
    /// The session's root folder (owned).
    private let root: FileDescriptor
    public let io: BlockingLane
    /// The permissions uploads and new folders do not get.
    public let umask: FileModeMask

    /// A store on the folder `root` (which it then owns).
    public init(root: FileDescriptor, io: BlockingLane, umask: FileModeMask = .standard) {
        self.root = root
        self.io = io
        self.umask = umask
    }

    /// Closes the root folder.
    public func close() {
        root.close()
    }

    /// What a new upload keeps of the existing file.
    public enum UploadStart: Sendable, Equatable {
        /// STOR: a new file.
        case empty
        /// STOR after REST: the existing file's first bytes, then the data.
        case restart(at: Int64)
        /// APPE: the whole existing file (if any), then the data.
        case append
    }

    // MARK: Opening the root

    /// Opens the service's root folder, creating it (and its parents) if
    /// missing.
    /// - Throws: `FTPError.unusableRoot`.
    public static func openRoot(path: String) throws(FTPError) -> FileDescriptor {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for name in path.split(separator: "/") {
            prefix += name
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw .unusableRoot(path: path, reason: "cannot create \(prefix): \(String(cString: strerror(errno)))")
            }
            prefix += "/"
        }
        let raw = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard raw >= 0 else {
            throw .unusableRoot(path: path, reason: "cannot open: \(String(cString: strerror(errno)))")
        }
        return FileDescriptor(adopting: raw)
    }

    /// Opens (creating if missing) the folder `name` directly inside
    /// `root`, without following a link: a client's home.
    public static func openHome(named name: String, in root: FileDescriptor) throws(FTPError) -> FileDescriptor {
        if mkdirat(root.rawValue, name, 0o755) != 0 && errno != EEXIST {
            throw .from(errno: errno, call: "mkdir", path: name)
        }
        let raw = openat(root.rawValue, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard raw >= 0 else { throw .from(errno: errno, call: "open", path: name) }
        return FileDescriptor(adopting: raw)
    }

    /// Opens the folder `relativePath` below `root` (a key's `ftp-root`),
    /// creating what is missing, one plain name at a time and never
    /// following a link: a component that is `.`, `..`, empty or a link
    /// fails. Blocking: call on the lane.
    public static func openFolder(_ relativePath: String, in root: FileDescriptor) throws(FTPError) -> FileDescriptor {
        var current: FileDescriptor?
        defer { current?.close() }
        for component in relativePath.split(separator: "/", omittingEmptySubsequences: false).map(String.init) {
            guard !component.isEmpty, component != ".", component != ".." else {
                throw .from(errno: EACCES, call: "open", path: relativePath)
            }
            let parent = current ?? root
            if mkdirat(parent.rawValue, component, 0o755) != 0 && errno != EEXIST {
                throw .from(errno: errno, call: "mkdir", path: relativePath)
            }
            let raw = openat(parent.rawValue, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard raw >= 0 else { throw .from(errno: errno, call: "open", path: relativePath) }
            current?.close()
            current = FileDescriptor(adopting: raw)
        }
        guard let folder = current else { throw .from(errno: ENOENT, call: "open", path: relativePath) }
        current = nil
        return folder
    }

    // MARK: Operations

    /// What `path` is (links are reported as links, not followed).
    public func info(_ path: FTPPath) async throws(FTPError) -> FileInfo {
        try await io.run { () throws(FTPError) -> FileInfo in try self.infoNow(path) }
    }

    /// Opens the listing of the folder `path` (without `.`, `..` and
    /// upload files, read a batch at a time), or of the one entry of a
    /// file; the caller closes it.
    public func openListing(_ path: FTPPath) async throws(FTPError) -> DirectoryListing {
        try await io.run { () throws(FTPError) -> DirectoryListing in try self.openListingNow(path) }
    }

    /// Checks that `path` is a folder that can be entered.
    public func checkDirectory(_ path: FTPPath) async throws(FTPError) {
        try await io.run { () throws(FTPError) in try self.openDirectory(path).close() }
    }

    /// Opens the regular file `path` for reading.
    public func openForReading(_ path: FTPPath) async throws(FTPError) -> FileReader {
        try await io.run { () throws(FTPError) -> FileReader in
            let (parent, name) = try self.openParent(of: path)
            defer { parent.close() }
            let raw = openat(parent.rawValue, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
            guard raw >= 0 else { throw .from(errno: errno, call: "open", path: path.description) }
            return try FileReader.adopt(FileDescriptor(adopting: raw), io: self.io, path: path.description)
        }
    }

    /// Creates the folder `path` (its parent must exist) with the mode
    /// `umask.folderMode`.
    public func makeDirectory(_ path: FTPPath) async throws(FTPError) {
        let mode = umask.folderMode
        try await change(path, call: "mkdir", { mkdirat($0, $1, mode) }, then: { parent, name throws(FTPError) in
            try Self.setFolderMode(of: name, in: parent, to: mode, path: path)
        })
    }

    /// Removes the empty folder `path`.
    public func removeDirectory(_ path: FTPPath) async throws(FTPError) {
        try await change(path, call: "rmdir") { unlinkat($0, $1, AT_REMOVEDIR) }
    }

    /// Removes a file; a folder or a link is refused.
    public func removeFile(_ path: FTPPath) async throws(FTPError) {
        try await change(path, call: "unlink", refusingLinks: true) { unlinkat($0, $1, 0) }
    }

    /// Renames `source` to `target`, replacing a file there.
    public func rename(_ source: FTPPath, to target: FTPPath) async throws(FTPError) {
        try await io.run { () throws(FTPError) in
            let (from, fromName) = try self.openParent(of: source)
            defer { from.close() }
            let (to, toName) = try self.openParent(of: target)
            defer { to.close() }
            _ = try Self.status(of: fromName, in: from, path: source)
            var existing = stat()
            if fstatat(to.rawValue, toName, &existing, AT_SYMLINK_NOFOLLOW) == 0, existing.st_mode & S_IFMT == S_IFLNK {
                throw .symbolicLink(target.description)
            }
            guard renameat(from.rawValue, fromName, to.rawValue, toName) == 0 else {
                throw .from(errno: errno, call: "rename", path: "\(source) -> \(target)")
            }
        }
    }

    /// Sets the modification time of the file or folder `path` (MFMT),
    /// never of a link or through one.
    public func setModificationTime(_ path: FTPPath, to seconds: Int) async throws(FTPError) {
        try await io.run { () throws(FTPError) in
            let (parent, name) = try self.openParent(of: path)
            defer { parent.close() }
            _ = try Self.status(of: name, in: parent, path: path)
            var times = [timespec(tv_sec: 0, tv_nsec: Self.timeOmitted), timespec(tv_sec: seconds, tv_nsec: 0)]
            try SystemCall.runNow({ utimensat(parent.rawValue, name, &times, AT_SYMLINK_NOFOLLOW) }) {
                FTPError.from(errno: $0, call: "utimensat", path: path.description)
            }
        }
    }

    /// The bytes of the regular files under the root, links not followed
    /// (each folder opened with `O_NOFOLLOW` from its parent): what a quota
    /// counts. Walks the whole tree on the lane.
    public func usage() async throws(FTPError) -> Int64 {
        try await io.run { () throws(FTPError) -> Int64 in try Self.usage(of: try self.openDirectory(.root), path: "/") }
    }

    /// The bytes of the regular files in the open folder `folder` and
    /// below; closes it. Blocking.
    private static func usage(of folder: FileDescriptor, path: String) throws(FTPError) -> Int64 {
        defer { folder.close() }
        var total: Int64 = 0
        for entry in try DirectoryListing.allEntries(of: folder, path: path) {
            switch entry.kind {
            case .file:
                total += entry.size
            case .directory:
                let raw = openat(folder.rawValue, entry.name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                if raw >= 0 { total += try usage(of: FileDescriptor(adopting: raw), path: path + entry.name + "/") }
            case .symbolicLink, .other:
                break
            }
        }
        return total
    }

    /// UTIME_OMIT of utimensat(2) (a macro Swift does not import): leave
    /// that time as it is.
    public static let timeOmitted = (1 << 30) - 2

    /// Starts an upload to `path` (see `AtomicFileWriter`): refuses a target
    /// that is a link, a folder or anything but a regular file.
    /// - Throws: `FTPError.invalidRestartPosition` when a restart offset
    ///   is past the end of the existing file.
    public func beginUpload(_ path: FTPPath, start: UploadStart) async throws(FTPError) -> AtomicFileWriter {
        try await io.run { () throws(FTPError) -> AtomicFileWriter in try self.beginUploadNow(path, start: start) }
    }

    // MARK: Blocking parts (on the queue)

    /// Walks `path` from the root, one folder at a time, never following
    /// a link.
    func openDirectory(_ path: FTPPath) throws(FTPError) -> FileDescriptor {
        // A new open file description, not dup(2): a directory's read
        // position is shared between duplicates.
        let start = openat(root.rawValue, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard start >= 0 else { throw .from(errno: errno, call: "open", path: "/") }
        var current = FileDescriptor(adopting: start)
        for (index, name) in path.components.enumerated() {
            let next = openat(current.rawValue, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            let code = errno
            current.close()
            guard next >= 0 else {
                throw .from(errno: code, call: "open", path: FTPPath(components: Array(path.components[...index])).description)
            }
            current = FileDescriptor(adopting: next)
        }
        return current
    }

    /// The folder that holds `path`, and its last name.
    /// - Throws: `FTPError.notARegularFile` for the root (it has no name).
    private func openParent(of path: FTPPath) throws(FTPError) -> (FileDescriptor, String) {
        guard let parent = path.parent, let name = path.name else { throw .notARegularFile("/") }
        return (try openDirectory(parent), name)
    }

    private func infoNow(_ path: FTPPath) throws(FTPError) -> FileInfo {
        guard let name = path.name else {
            var status = stat()
            guard fstat(root.rawValue, &status) == 0 else { throw .from(errno: errno, call: "stat", path: "/") }
            return FileInfo(name: "/", status: status)
        }
        let (parent, _) = try openParent(of: path)
        defer { parent.close() }
        let status = try Self.status(of: name, in: parent, path: path)
        return FileInfo(name: name, status: status)
    }

    /// `fstatat` without following, refusing a link: links show in
    /// listings but no command acts on one.
    private static func status(of name: String, in parent: FileDescriptor, path: FTPPath) throws(FTPError) -> stat {
        var status = stat()
        try SystemCall.runNow({ fstatat(parent.rawValue, name, &status, AT_SYMLINK_NOFOLLOW) }) {
            FTPError.from(errno: $0, call: "stat", path: path.description)
        }
        guard status.st_mode & S_IFMT != S_IFLNK else { throw .symbolicLink(path.description) }
        return status
    }

    private func openListingNow(_ path: FTPPath) throws(FTPError) -> DirectoryListing {
        let folder: FileDescriptor
        do {
            folder = try openDirectory(path)
        } catch {
            guard case .notADirectory = error else { throw error }
            // A file (when a name in the middle of the path is a file,
            // infoNow fails the same way).
            return .single(try infoNow(path), io: io, path: path.description)
        }
        // Fresh from openDirectory: its position is 0.
        return try DirectoryListing.open(folder: folder, io: io, path: path.description)
    }

    /// Runs `operation` on `path`'s parent and name, then `then` (still
    /// holding the parent) when it succeeded.
    private func change(
        _ path: FTPPath, call: String, refusingLinks: Bool = false,
        _ operation: @escaping @Sendable (Int32, String) -> Int32,
        then: (@Sendable (FileDescriptor, String) throws(FTPError) -> Void)? = nil
    ) async throws(FTPError) {
        try await io.run { () throws(FTPError) in
            let (parent, name) = try self.openParent(of: path)
            defer { parent.close() }
            if refusingLinks {
                let status = try Self.status(of: name, in: parent, path: path)
                guard status.st_mode & S_IFMT != S_IFDIR else { throw .notARegularFile(path.description) }
            }
            guard operation(parent.rawValue, name) == 0 else {
                // errno now, before the status call below can change it.
                let code = errno
                // mkdir finds the name taken by a link: say so.
                if code == EEXIST { _ = try Self.status(of: name, in: parent, path: path) }
                throw .from(errno: code, call: call, path: path.description)
            }
            try then?(parent, name)
        }
    }

    /// Gives the folder just made as `name` in `parent` the mode `mode`:
    /// mkdir(2) applied the process's umask. The folder is opened without
    /// following a link and checked with fstat before fchmod, so a name
    /// swapped meanwhile is never changed. A set-group-ID bit inherited
    /// from the parent stays (umask(2) never takes it away either).
    private static func setFolderMode(of name: String, in parent: FileDescriptor, to mode: mode_t, path: FTPPath) throws(FTPError) {
        let raw = openat(parent.rawValue, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard raw >= 0 else { throw .from(errno: errno, call: "open", path: path.description) }
        let folder = FileDescriptor(adopting: raw)
        defer { folder.close() }
        var status = stat()
        guard fstat(raw, &status) == 0 else { throw .from(errno: errno, call: "fstat", path: path.description) }
        guard status.st_mode & S_IFMT == S_IFDIR else { throw .notADirectory(path.description) }
        guard fchmod(raw, mode | (status.st_mode & S_ISGID)) == 0 else {
            throw .from(errno: errno, call: "chmod", path: path.description)
        }
    }

    private func beginUploadNow(_ path: FTPPath, start: UploadStart) throws(FTPError) -> AtomicFileWriter {
        let (parent, name) = try openParent(of: path)
        var existing: FileDescriptor?
        defer { existing?.close() }
        var existingSize: Int64 = 0
        do throws(FTPError) {
            var status = stat()
            if fstatat(parent.rawValue, name, &status, AT_SYMLINK_NOFOLLOW) == 0 {
                switch status.st_mode & S_IFMT {
                case S_IFREG: break
                case S_IFLNK: throw .symbolicLink(path.description)
                default: throw .notARegularFile(path.description)
                }
                if start != .empty {
                    let raw = openat(parent.rawValue, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
                    guard raw >= 0 else { throw .from(errno: errno, call: "open", path: path.description) }
                    existing = FileDescriptor(adopting: raw)
                    // The opened file itself, not the name, is checked.
                    guard fstat(raw, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
                        throw .notARegularFile(path.description)
                    }
                    existingSize = Int64(status.st_size)
                }
            } else if errno != ENOENT {
                throw .from(errno: errno, call: "stat", path: path.description)
            }
        } catch {
            parent.close()
            throw error
        }
        var prefixLength: Int64 = 0
        switch start {
        case .empty: break
        case .append: prefixLength = existingSize
        case let .restart(offset):
            guard offset <= existingSize else {
                parent.close()
                throw .invalidRestartPosition(path: path.description, offset: offset, size: existingSize)
            }
            prefixLength = offset
        }
        return try AtomicFileWriter.begin(
            in: parent, targetName: name, temporaryPrefix: FTPPath.reservedPrefix, prefixSource: existing,
            prefixLength: prefixLength, io: io, path: path.description, mode: umask.fileMode)
    }
}
