import KeyGateSystem
import Glibc

/// A regular file open for reading, read in large pieces on its
/// `BlockingLane`, in order with the session's other file work. Positions
/// are explicit (`pread`), so a reader holds no cursor.
public final class FileReader: Sendable {
    private let descriptor: FileDescriptor
    private let io: BlockingLane
    /// The size when it was opened.
    public let size: Int64
    /// Modification time, seconds since 1970.
    public let modified: Int
    /// The path for messages.
    public let path: String
    /// The file as it was when it was opened.
    public let identity: FileIdentity

    init(descriptor: FileDescriptor, status: stat, io: BlockingLane, path: String) {
        self.descriptor = descriptor
        self.io = io
        size = Int64(status.st_size)
        modified = Int(status.st_mtim.tv_sec)
        self.path = path
        identity = FileIdentity(status)
    }

    /// Opens the regular file `descriptor` refers to; closes it and throws
    /// when it is anything else. Blocking: call on the queue.
    static func adopt(_ descriptor: FileDescriptor, io: BlockingLane, path: String) throws(FTPError) -> FileReader {
        var status = stat()
        guard fstat(descriptor.rawValue, &status) == 0 else {
            let code = errno
            descriptor.close()
            throw .from(errno: code, call: "fstat", path: path)
        }
        // vsftpd checks the opened file, not the name: no race with a
        // rename between the check and the use.
        guard status.st_mode & S_IFMT == S_IFREG else {
            descriptor.close()
            throw .notARegularFile(path)
        }
        return FileReader(descriptor: descriptor, status: status, io: io, path: path)
    }

    /// Opens a local file by its path (the client's own files, not
    /// confined): it must be a regular file.
    /// With `followingLinks` false, a link in the file's place is refused
    /// (a tree's files, walked without following links).
    public static func open(localPath: String, io: BlockingLane, followingLinks: Bool = true) async throws(FTPError) -> FileReader {
        try await io.run { () throws(FTPError) -> FileReader in
            let raw = Glibc.open(localPath, O_RDONLY | O_CLOEXEC | O_NONBLOCK | (followingLinks ? 0 : O_NOFOLLOW))
            guard raw >= 0 else { throw .from(errno: errno, call: "open", path: localPath) }
            return try adopt(FileDescriptor(adopting: raw), io: io, path: localPath)
        }
    }

    /// Reads up to `count` bytes from `offset`: fewer only at the end of
    /// the file, none past it. The bytes read are added to `digest`, in
    /// the same job.
    public func read(at offset: Int64, count: Int, digest: StreamingDigest? = nil) async throws(FTPError) -> [UInt8] {
        let descriptor = self.descriptor
        let path = self.path
        return try await io.run { () throws(FTPError) -> [UInt8] in
            var failure: Int32 = 0
            let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                var filled = 0
                while filled < count {
                    let result: Int
                    do throws(Errno) {
                        result = try SystemCall.runNow({
                            pread(descriptor.rawValue, buffer.baseAddress! + filled, count - filled, off_t(offset) + off_t(filled))
                        }, failure: Errno.init)
                    } catch {
                        failure = error.code
                        break
                    }
                    if result == 0 { break }
                    filled += result
                }
                initialized = filled
            }
            guard failure == 0 else { throw .from(errno: failure, call: "read", path: path) }
            if let digest { bytes.withUnsafeBytes { digest.add($0, at: offset) } }
            return bytes
        }
    }

    /// What the file is now (fstat of the open file); nil when fstat fails.
    public func currentIdentity() async -> FileIdentity? {
        let descriptor = self.descriptor
        return await io.run { FileIdentity.of(descriptor.rawValue) }
    }

    /// A digest of the file's first `length` bytes, for a transfer that
    /// goes on from `length` to continue (`StreamingDigest`).
    /// - Throws: `FTPError` when reading fails or the file is shorter.
    public func digest(ofFirst length: Int64) async throws(FTPError) -> StreamingDigest {
        try await FileDigest.prefix(of: descriptor, length: length, io: io, path: path)
    }

    /// The SHA-256 of the file's bytes from its start to its end as it is
    /// now, and how many bytes that is (`FileDigest`).
    public func sha256() async throws(FTPError) -> (digest: [UInt8], byteCount: Int64) {
        try await FileDigest.sha256(of: descriptor, io: io, path: path)
    }

    /// Closes the file. Idempotent.
    public func close() {
        descriptor.close()
    }
}
