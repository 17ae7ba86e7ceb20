import KeyGateSystem
import Glibc

/// The file-system calls of the key layer: small local files, blocking I/O.
///
/// Every call goes through `call(_:_:_:)`, which retries EINTR and turns a
/// failure into `KeyFileError.systemCallFailed` naming the call and the path.
enum FileSystem {
    /// The largest key file, allow-list or known_hosts read (4 MiB: about
    /// 45,000 X25519 lines).
    static let maximumFileSize = 4 << 20

    /// A file's bytes, with what identifies this version and its permissions.
    struct Contents: Sendable {
        var bytes: [UInt8]
        var stamp: FileStamp
        /// The permission bits (`st_mode & 0o7777`).
        var permissions: UInt32
    }

    /// How well a file must be protected before its contents are believed,
    /// as sshd's StrictModes asks of its key files.
    enum Protection: Sendable {
        /// Anything readable (a public key file given on the command line).
        case none
        /// No symbolic link, owned by the running user or root, writable by
        /// nobody else, in a folder nobody else can write to: the
        /// allow-list and known_hosts, whose contents decide who is trusted.
        case trusted
        /// As `trusted`, and readable by nobody else: private keys.
        case secret
    }

    /// The state of a path, for change detection.
    enum Status: Equatable, Sendable {
        case missing
        case present(FileStamp)
        case failed(errno: Int32)
    }

    /// Runs `body` until it does not fail with EINTR.
    /// - Throws: `KeyFileError.systemCallFailed` with the errno read right
    ///   after the call, when `body` returns -1.
    static func call<Result: FixedWidthInteger>(_ name: String, _ path: String, _ body: () -> Result) throws(KeyFileError) -> Result {
        try SystemCall.runNow(body) { code in KeyFileError.systemCallFailed(call: name, path: path, errno: code) }
    }

    /// Reads the whole file at `path`, or returns nil if there is none.
    /// - Parameter protection: what the file and its folder must satisfy;
    ///   checked on the open descriptor (`fstat`), so the file judged is
    ///   the file read.
    /// - Throws: `KeyFileError.notARegularFile`, `.fileTooLarge`,
    ///   `.systemCallFailed`, and for protected files `.symbolicLink`,
    ///   `.untrustedOwner`, `.writableByOthers`, `.folderWritableByOthers`,
    ///   `.unprotectedPrivateKey`.
    static func read(
        _ path: String, protection: Protection = .none, limit: Int = maximumFileSize
    ) throws(KeyFileError) -> Contents? {
        let descriptor: Int32
        // O_NONBLOCK: opening a FIFO someone put in place of a key file
        // must not hang; regular files ignore the flag. O_NOFOLLOW: a
        // protected file must be the file itself, not a link to elsewhere.
        let flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (protection == .none ? 0 : O_NOFOLLOW)
        do {
            descriptor = try call("open", path) { open(path, flags) }
        } catch {
            if case .systemCallFailed(_, _, ENOENT) = error { return nil }
            if case .systemCallFailed(_, _, ELOOP) = error, protection != .none { throw .symbolicLink(path: path) }
            throw error
        }
        defer { _ = close(descriptor) }
        var info = stat()
        _ = try call("fstat", path) { fstat(descriptor, &info) }
        guard isRegularFile(info) else { throw .notARegularFile(path: path) }
        try check(info, of: path, against: protection)
        guard info.st_size <= limit else {
            throw .fileTooLarge(path: path, byteCount: Int(info.st_size), limit: limit)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(info.st_size))
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = try call("read", path) {
                buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            }
            if count == 0 { break }
            bytes.append(contentsOf: buffer[..<count])
            guard bytes.count <= limit else {
                throw .fileTooLarge(path: path, byteCount: bytes.count, limit: limit)
            }
        }
        return Contents(bytes: bytes, stamp: FileStamp(info), permissions: UInt32(info.st_mode) & 0o7777)
    }

    /// Refuses a file that someone other than the running user (or root)
    /// could have written, or a secret that someone else could read.
    private static func check(_ info: stat, of path: String, against protection: Protection) throws(KeyFileError) {
        guard protection != .none else { return }
        let user = geteuid()
        guard info.st_uid == user || info.st_uid == 0 else {
            throw .untrustedOwner(path: path, owner: UInt32(info.st_uid), user: UInt32(user))
        }
        let mode = UInt32(info.st_mode) & 0o7777
        if protection == .secret {
            // OpenSSH refuses a private key with any group or other permission bit.
            guard mode & 0o077 == 0 else { throw .unprotectedPrivateKey(path: path, mode: mode) }
        } else {
            guard mode & 0o022 == 0 else { throw .writableByOthers(path: path, mode: mode) }
        }
        let folder = directoryName(of: path)
        var folderInfo = stat()
        _ = try call("stat", folder) { stat(folder, &folderInfo) }
        let folderMode = UInt32(folderInfo.st_mode) & 0o7777
        guard folderMode & 0o022 == 0 else {
            throw .folderWritableByOthers(folder: folder, path: path, mode: folderMode)
        }
    }

    /// The owner and permission bits of the folder holding `path`, nil if
    /// it cannot be read: part of what a re-read of a protected file
    /// depends on (a folder made writable by others makes its files unsafe).
    static func folderProtection(of path: String) -> [UInt32]? {
        var info = stat()
        guard stat(directoryName(of: path), &info) == 0 else { return nil }
        return [UInt32(info.st_uid), UInt32(info.st_mode) & 0o7777]
    }

    /// The stamp of `path` by lstat(2): a file replaced by a symbolic link
    /// counts as a change.
    static func status(_ path: String) -> Status {
        var info = stat()
        do {
            _ = try call("lstat", path) { lstat(path, &info) }
        } catch {
            if case let .systemCallFailed(_, _, code) = error {
                return code == ENOENT ? .missing : .failed(errno: code)
            }
            return .failed(errno: EIO)
        }
        return .present(FileStamp(info))
    }

    /// Whether something exists at `path` (a dangling symbolic link counts).
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// Creates `path` and any missing parents with `mode` (`mkdir -p`).
    /// Directories that exist are left as they are.
    static func makeDirectory(_ path: String, mode: mode_t) throws(KeyFileError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += (prefix.isEmpty || prefix.hasSuffix("/") ? "" : "/") + component
            if component == "." || component == ".." { continue }
            do {
                _ = try call("mkdir", prefix) { mkdir(prefix, mode) }
            } catch {
                if case .systemCallFailed(_, _, EEXIST) = error { continue }
                throw error
            }
        }
    }

    /// The current wall-clock time, the clock file stamps use.
    static func now() -> timespec {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return time
    }

    /// The directory part of `path`: `.` for a bare name.
    static func directoryName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// The last component of `path`.
    static func baseName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    static func isRegularFile(_ info: stat) -> Bool {
        info.st_mode & S_IFMT == S_IFREG
    }
}

extension FileSystem {
    /// Takes an exclusive `flock` on `lockPath` (created 0600 if missing),
    /// so that two processes rewriting the same key lists (a server
    /// redeeming an invite, `keygate allow`) take turns instead of one
    /// undoing the other's change. Blocking: call it off the cooperative
    /// pool. Give the result to `unlock(_:)`.
    /// - Returns: the descriptor holding the lock.
    static func lockExclusively(_ lockPath: String) throws(KeyFileError) -> Int32 {
        let descriptor = try call("open", lockPath) {
            open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0o600)
        }
        do {
            _ = try call("flock", lockPath) { flock(descriptor, LOCK_EX) }
        } catch {
            _ = close(descriptor)
            throw error
        }
        return descriptor
    }

    /// Releases a lock from `lockExclusively(_:)`.
    static func unlock(_ descriptor: Int32) {
        _ = close(descriptor)
    }
}
