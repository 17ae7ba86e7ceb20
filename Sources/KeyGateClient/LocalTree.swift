import KeyGateSystem
import Glibc
import KeyGateFTP

/// A local folder's tree for `put -r`, walked on a `BlockingLane` one
/// folder descriptor at a time: every name is examined with `fstatat`
/// without following links and every folder below the top is opened with
/// `openat(O_DIRECTORY | O_NOFOLLOW)` from its parent's descriptor, so a
/// link is never followed, whether it was there before or swapped in
/// during the walk. Links and special files are skipped and reported.
struct LocalTree: Sendable {
    struct Entry: Sendable, Equatable {
        /// From the top, with `/` between names (`a/b.txt`).
        let relativePath: String
        let isDirectory: Bool
        let size: Int64
        /// Seconds since 1970.
        let modified: Int
    }

    /// Folders before their contents, names in byte order.
    let entries: [Entry]
    /// What was skipped, relative paths: links and special files.
    let skipped: [String]

    /// Walks the folder `top` (which may itself be reached through a link:
    /// the user named it).
    /// - Throws: `FTPError` when `top` is not a folder or a folder cannot
    ///   be read.
    static func walk(_ top: String, io: BlockingLane) async throws(FTPError) -> LocalTree {
        try await io.run { () throws(FTPError) -> LocalTree in
            let raw = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard raw >= 0 else { throw FTPError.localFailure(errno: errno, call: "open", path: top) }
            var entries: [Entry] = []
            var skipped: [String] = []
            try walk(FileDescriptor(adopting: raw), prefix: "", top: top, into: &entries, skipped: &skipped)
            return LocalTree(entries: entries, skipped: skipped)
        }
    }

    /// Walks the open folder `folder` (closed on return). Blocking.
    private static func walk(
        _ folder: FileDescriptor, prefix: String, top: String, into entries: inout [Entry], skipped: inout [String]
    ) throws(FTPError) {
        defer { folder.close() }
        let names = try names(in: folder, path: top + "/" + prefix)
        for name in names {
            let relative = prefix + name
            var status = stat()
            guard fstatat(folder.rawValue, name, &status, AT_SYMLINK_NOFOLLOW) == 0 else {
                throw FTPError.localFailure(errno: errno, call: "stat", path: top + "/" + relative)
            }
            switch status.st_mode & S_IFMT {
            case S_IFREG:
                entries.append(Entry(relativePath: relative, isDirectory: false, size: Int64(status.st_size),
                                     modified: Int(status.st_mtim.tv_sec)))
            case S_IFDIR:
                let raw = openat(folder.rawValue, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard raw >= 0 else {
                    // Swapped for a link since fstatat: skipped, not followed.
                    if errno == ELOOP || errno == ENOTDIR {
                        skipped.append(relative)
                        continue
                    }
                    throw FTPError.localFailure(errno: errno, call: "open", path: top + "/" + relative)
                }
                entries.append(Entry(relativePath: relative, isDirectory: true, size: 0, modified: Int(status.st_mtim.tv_sec)))
                try walk(FileDescriptor(adopting: raw), prefix: relative + "/", top: top, into: &entries, skipped: &skipped)
            default:
                skipped.append(relative)
            }
        }
    }

    /// The names in `folder` without `.` and `..`, sorted. Blocking.
    private static func names(in folder: FileDescriptor, path: String) throws(FTPError) -> [String] {
        // fdopendir takes the descriptor it is given: a new one, so that
        // the walk's own stays open.
        let copy = openat(folder.rawValue, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard copy >= 0, let stream = fdopendir(copy) else {
            let code = errno
            throw FTPError.localFailure(errno: code, call: "opendir", path: path)
        }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    // MARK: Local changes for get -r

    /// Creates the local folder `path` if it is not there; a folder already
    /// there is fine, anything else under that name fails.
    static func makeDirectory(_ path: String, io: BlockingLane) async throws(FTPError) {
        try await io.run { () throws(FTPError) in
            if mkdir(path, 0o777) == 0 { return }
            let code = errno
            var status = stat()
            guard code == EEXIST, lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
                throw FTPError.localFailure(errno: code == EEXIST ? ENOTDIR : code, call: "mkdir", path: path)
            }
        }
    }

    /// Sets the modification time of the local file `path` (not of a link
    /// in its place).
    static func setModificationTime(_ path: String, to seconds: Int, io: BlockingLane) async throws(FTPError) {
        try await io.run { () throws(FTPError) in
            var times = [timespec(tv_sec: 0, tv_nsec: FileStore.timeOmitted), timespec(tv_sec: seconds, tv_nsec: 0)]
            guard utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW) == 0 else {
                throw FTPError.localFailure(errno: errno, call: "utimensat", path: path)
            }
        }
    }

    /// Whether `path` is a regular file (not a link) of `size` bytes
    /// modified at `modified`: what a mirror leaves alone.
    static func hasSizeAndTime(_ path: String, size: Int64?, modified: Int?, io: BlockingLane) async -> Bool {
        guard let size, let modified else { return false }
        return await io.run {
            var status = stat()
            return lstat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFREG && Int64(status.st_size) == size
                && Int(status.st_mtim.tv_sec) == modified
        }
    }

    /// The local paths `pattern` matches (glob(3), sorted), for mput.
    static func glob(_ pattern: String, io: BlockingLane) async -> [String] {
        await io.run {
            var found = glob_t()
            defer { globfree(&found) }
            guard Glibc.glob(pattern, 0, nil, &found) == 0 else { return [] }
            return (0..<Int(found.gl_pathc)).compactMap { index in found.gl_pathv[index].map { String(cString: $0) } }
        }
    }
}
