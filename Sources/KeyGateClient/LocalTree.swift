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

    /// Walks the open folder `folder` (closed on return), names in byte
    /// order. Blocking.
    private static func walk(
        _ folder: FileDescriptor, prefix: String, top: String, into entries: inout [Entry], skipped: inout [String]
    ) throws(FTPError) {
        defer { folder.close() }
        let found = try DirectoryListing.allEntries(of: folder, path: top + "/" + prefix)
            .sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        for entry in found {
            let relative = prefix + entry.name
            switch entry.kind {
            case .file:
                entries.append(Entry(relativePath: relative, isDirectory: false, size: entry.size, modified: entry.modified))
            case .directory:
                let raw = openat(folder.rawValue, entry.name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard raw >= 0 else {
                    // Swapped for a link since it was listed: skipped, not followed.
                    if errno == ELOOP || errno == ENOTDIR {
                        skipped.append(relative)
                        continue
                    }
                    throw FTPError.localFailure(errno: errno, call: "open", path: top + "/" + relative)
                }
                entries.append(Entry(relativePath: relative, isDirectory: true, size: 0, modified: entry.modified))
                try walk(FileDescriptor(adopting: raw), prefix: relative + "/", top: top, into: &entries, skipped: &skipped)
            case .symbolicLink, .other:
                skipped.append(relative)
            }
        }
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

    /// Removes the entry `relativePath` (plain names joined by `/`) of
    /// the local tree `top` (`mirror --delete`): a regular file, or with
    /// `isDirectory` an empty folder. Every folder below `top` on the way
    /// is opened with `O_NOFOLLOW` from its parent's descriptor and the
    /// entry is examined with `fstatat` without following it, so a link,
    /// whether there before or swapped in, is never followed nor removed:
    /// the removal fails instead. (Swapped in between that check and the
    /// `unlinkat`, a link is removed, never what it points to.)
    /// - Throws: `FTPError` when the entry is not what it should be or
    ///   cannot be removed (`directoryNotEmpty`, `symbolicLink`, ...).
    static func remove(_ relativePath: String, in top: String, isDirectory: Bool, io: BlockingLane) async throws(FTPError) {
        try await io.run { () throws(FTPError) in
            let path = top + "/" + relativePath
            var names = relativePath.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard let name = names.popLast(), RemoteEntry.isPlainName(name), names.allSatisfy(RemoteEntry.isPlainName) else {
                throw FTPError.invalidName(path)
            }
            let raw = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard raw >= 0 else { throw FTPError.localFailure(errno: errno, call: "open", path: top) }
            var folder = FileDescriptor(adopting: raw)
            defer { folder.close() }
            for (index, next) in names.enumerated() {
                let opened = openat(folder.rawValue, next, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard opened >= 0 else {
                    throw FTPError.localFailure(errno: errno, call: "open", path: top + "/" + names[...index].joined(separator: "/"))
                }
                folder.close()
                folder = FileDescriptor(adopting: opened)
            }
            var status = stat()
            guard fstatat(folder.rawValue, name, &status, AT_SYMLINK_NOFOLLOW) == 0 else {
                throw FTPError.localFailure(errno: errno, call: "stat", path: path)
            }
            let kind = status.st_mode & S_IFMT
            guard kind != S_IFLNK else { throw FTPError.symbolicLink(path) }
            guard kind == (isDirectory ? S_IFDIR : S_IFREG) else {
                throw isDirectory ? FTPError.notADirectory(path) : FTPError.notARegularFile(path)
            }
            guard unlinkat(folder.rawValue, name, isDirectory ? AT_REMOVEDIR : 0) == 0 else {
                throw FTPError.localFailure(errno: errno, call: isDirectory ? "rmdir" : "unlink", path: path)
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

    /// The size of each of `paths` that is a regular file (links
    /// followed, as mput follows them), nil for the others.
    static func sizes(of paths: [String], io: BlockingLane) async -> [Int64?] {
        await io.run {
            paths.map { path in
                var status = stat()
                return stat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFREG ? Int64(status.st_size) : nil
            }
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
