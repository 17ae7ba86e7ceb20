import KeyGateSystem
import Glibc
import KeyGateCrypto

/// The password of `keygate ftp-proxy --password-file FILE`: the first
/// line of a file only its owner can read.
///
/// Only its SHA-256 digest is kept, and an attempt is compared by digest
/// with `ConstantTime.equals`: the two digests always have the same
/// length, so neither the time taken nor an early exit on a length
/// mismatch tells anything about the password.
public struct GatewayPassword: Sendable {
    /// The longest password file read.
    static let maximumByteCount = 4096

    private let digest: [UInt8]

    /// A password given directly (for tests and library callers).
    public init(_ password: [UInt8]) {
        digest = SHA256.hash(password)
    }

    /// Why a password file cannot be used.
    public enum LoadError: Error, Equatable, CustomStringConvertible {
        /// Group or others have permissions on it (`mode` is `st_mode & 0o7777`).
        case unprotected(path: String, mode: UInt32)
        /// It belongs to `owner`, neither this user nor root, who could change it.
        case foreignOwner(path: String, owner: UInt32, user: UInt32)
        /// open, fstat or read failed.
        case unreadable(path: String, errno: Int32)
        /// Not a regular file, empty first line, too long, not UTF-8...
        case invalid(path: String, reason: String)

        public var description: String {
            switch self {
            case let .unprotected(path, mode):
                let access = mode & 0o044 != 0 ? "readable" : "accessible"
                return "the password file \(path) is \(access) by group or others (mode \(String(mode, radix: 8))); "
                    + "run: chmod 600 \(path)"
            case let .foreignOwner(path, owner, user):
                return "the password file \(path) belongs to uid \(owner), who could change it; "
                    + "run: chown \(user) \(path)"
            case let .unreadable(path, code):
                return "cannot read the password file \(path): \(String(cString: strerror(code)))"
            case let .invalid(path, reason):
                return "the password file \(path) \(reason); put the password alone on its first line"
            }
        }
    }

    /// Reads the password from the first line of `path` (its line end
    /// removed). Blocking: async callers run it on a `BlockingLane`.
    /// - Throws: `LoadError`: the file is readable by group or others
    ///   (like OpenSSH with a private key, any group or other bit refuses
    ///   it), owned by another user, unreadable, or holds no password.
    public static func load(path: String, user: UInt32 = geteuid()) throws(LoadError) -> GatewayPassword {
        let unreadable = { (code: Int32) in LoadError.unreadable(path: path, errno: code) }
        // O_NONBLOCK: a FIFO in its place must not hang the start.
        let descriptor = try SystemCall.runNow({ open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK) }, failure: unreadable)
        defer { _ = close(descriptor) }
        var info = stat()
        try SystemCall.runNow({ fstat(descriptor, &info) }, failure: unreadable)
        guard info.st_mode & S_IFMT == S_IFREG else { throw .invalid(path: path, reason: "is not a regular file") }
        let mode = UInt32(info.st_mode) & 0o7777
        guard mode & 0o077 == 0 else { throw .unprotected(path: path, mode: mode) }
        guard info.st_uid == user || info.st_uid == 0 else {
            throw .foreignOwner(path: path, owner: info.st_uid, user: user)
        }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: maximumByteCount + 1)
        while bytes.count <= maximumByteCount {
            let count = try SystemCall.runNow({ buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) } },
                                              failure: unreadable)
            if count == 0 { break }
            bytes += buffer[..<count]
        }
        guard bytes.count <= maximumByteCount else {
            throw .invalid(path: path, reason: "is longer than \(maximumByteCount) bytes")
        }
        var line = Array(bytes.prefix { $0 != UInt8(ascii: "\n") })
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        guard !line.isEmpty else { throw .invalid(path: path, reason: "has an empty first line") }
        guard String(validating: line, as: UTF8.self) != nil, !line.contains(0), !line.contains(UInt8(ascii: "\r")) else {
            throw .invalid(path: path, reason: "has a first line that is not UTF-8 text")
        }
        return GatewayPassword(line)
    }

    /// Whether `attempt` is the password, in time independent of both.
    public func matches(_ attempt: [UInt8]) -> Bool {
        ConstantTime.equals(SHA256.hash(attempt), digest)
    }
}
