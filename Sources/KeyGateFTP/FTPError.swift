import KeyGateSystem
import Glibc

/// What went wrong in the FTP layer: a path refused by the confinement
/// rules, a file operation that failed, or a reply that cannot be read.
/// Each case knows the reply code it is answered with, and its description
/// says what to do.
public enum FTPError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A name with NUL, CR or LF, longer than 255 bytes, or reserved for
    /// the server's own upload files.
    case invalidName(String)
    /// `..` would leave the root.
    case outsideRoot(String)
    case notFound(String)
    case notADirectory(String)
    /// The path exists but is a directory, device, socket or pipe where a
    /// regular file is needed.
    case notARegularFile(String)
    /// Symbolic links are never followed inside the root.
    case symbolicLink(String)
    case alreadyExists(String)
    case directoryNotEmpty(String)
    case permissionDenied(String)
    case noSpace(String)
    /// An upload would take the client's home past its quota (`--ftp-quota`).
    case quotaExceeded(path: String, quota: Int64)
    /// REST beyond the end of the file.
    case invalidRestartPosition(path: String, offset: Int64, size: Int64)
    /// Any other failed system call on `path`.
    case system(call: String, errno: Int32, path: String)
    /// The service root (or a client's home) cannot be created or opened.
    case unusableRoot(path: String, reason: String)
    /// A umask that is not octal from 000 to 777 (`--ftp-umask`).
    case invalidUmask(String)
    /// A reply from the server that is not RFC 959 format.
    case malformedReply(String)

    /// The code a server answers this error with.
    public var replyCode: FTPReplyCode {
        switch self {
        case .invalidName: return .fileNameNotAllowed
        case .invalidRestartPosition: return .invalidRestartPosition
        case .noSpace: return .insufficientStorage
        case .quotaExceeded: return .exceededStorage
        case .system, .unusableRoot, .invalidUmask: return .localError
        case .malformedReply: return .syntaxError
        default: return .fileUnavailable
        }
    }

    /// The reply for a client.
    public var reply: FTPReply { FTPReply(replyCode, description) }

    public var description: String {
        switch self {
        case let .invalidName(path):
            return "\(path): name not allowed (no NUL, CR or LF, at most 255 bytes a name, not .keygate-upload-*)"
        case let .outsideRoot(path):
            return "\(path): outside the FTP root; '..' cannot go above '/'"
        case let .notFound(path):
            return "\(path): no such file or directory; check the name with ls"
        case let .notADirectory(path):
            return "\(path): not a directory"
        case let .notARegularFile(path):
            return "\(path): not a regular file"
        case let .symbolicLink(path):
            return "\(path): a symbolic link; links are not followed here, use the path of the target"
        case let .alreadyExists(path):
            return "\(path): already exists; remove it first or choose another name"
        case let .directoryNotEmpty(path):
            return "\(path): directory not empty; remove its contents first"
        case let .permissionDenied(path):
            return "\(path): permission denied by the server's file system"
        case let .noSpace(path):
            return "\(path): no space left on the server; free some space and try again"
        case let .quotaExceeded(path, quota):
            return "\(path): not stored: it would take your home past its quota of \(ByteSize.format(quota)) bytes; "
                + "remove files first (nothing of this upload was kept)"
        case let .invalidRestartPosition(path, offset, size):
            return "\(path): restart position \(offset) is past the end of the file (\(size) bytes); use SIZE first"
        case let .system(call, code, path):
            return "\(path): \(call) failed: \(String(cString: strerror(code))) (errno \(code))"
        case let .unusableRoot(path, reason):
            return "FTP root \(path): \(reason); create the folder or fix its permissions (see --ftp-root)"
        case let .invalidUmask(text):
            return "'\(text)' is not a umask: give octal digits from 000 to 777, like 022 (the default) or 077"
        case let .malformedReply(text):
            return "malformed FTP reply '\(text)'; is this a KeyGate FTP service?"
        }
    }

    /// The error for `errno` after `call` on the client's own `path`
    /// (a local file of `keygate ftp`).
    public static func localFailure(errno code: Int32, call: String, path: String) -> FTPError {
        from(errno: code, call: call, path: path)
    }

    /// The error for `errno` after `call` on `path`.
    static func from(errno code: Int32, call: String, path: String) -> FTPError {
        switch code {
        case ENOENT: return .notFound(path)
        case ENOTDIR: return .notADirectory(path)
        case ELOOP: return .symbolicLink(path)
        case EEXIST: return .alreadyExists(path)
        case ENOTEMPTY: return .directoryNotEmpty(path)
        case EACCES, EPERM, EROFS: return .permissionDenied(path)
        case ENOSPC, EDQUOT: return .noSpace(path)
        case EISDIR: return .notARegularFile(path)
        case ENAMETOOLONG: return .invalidName(path)
        default: return .system(call: call, errno: code, path: path)
        }
    }
}
