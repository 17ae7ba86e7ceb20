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

    /// The state of a path, for change detection.
    enum Status: Equatable, Sendable {
        case missing
        case present(FileStamp)
        case failed(errno: Int32)
    }

    /// Runs `body` until it does not fail with EINTR.
    /// - Throws: `KeyFileError.systemCallFailed` with the errno read right
    ///   after the call, when `body` returns -1.
    static func call<Result: BinaryInteger>(_ name: String, _ path: String, _ body: () -> Result) throws(KeyFileError) -> Result {
        while true {
            let result = body()
            if result != -1 { return result }
            let code = errno
            if code == EINTR { continue }
            throw .systemCallFailed(call: name, path: path, errno: code)
        }
    }

    /// Reads the whole file at `path`, or returns nil if there is none.
    /// - Throws: `KeyFileError.notARegularFile`, `.fileTooLarge` or
    ///   `.systemCallFailed`.
    static func read(_ path: String, limit: Int = maximumFileSize) throws(KeyFileError) -> Contents? {
        let descriptor: Int32
        do {
            // O_NONBLOCK: opening a FIFO someone put in place of a key file
            // must not hang; regular files ignore the flag.
            descriptor = try call("open", path) { open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK) }
        } catch {
            if case .systemCallFailed(_, _, ENOENT) = error { return nil }
            throw error
        }
        defer { _ = close(descriptor) }
        var info = stat()
        _ = try call("fstat", path) { fstat(descriptor, &info) }
        guard isRegularFile(info) else { throw .notARegularFile(path: path) }
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

    /// The stamp of `path` by stat(2), following symbolic links.
    static func status(_ path: String) -> Status {
        var info = stat()
        do {
            _ = try call("stat", path) { stat(path, &info) }
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
