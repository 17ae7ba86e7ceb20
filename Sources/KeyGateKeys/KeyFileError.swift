import Glibc

/// What went wrong with a key file, the allow-list or known_hosts.
///
/// Every case carries what a fix needs (path, line number, mode, the keys
/// involved) and its description says what to do about it.
public enum KeyFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The system call `call` failed on `path` with `errno`.
    case systemCallFailed(call: String, path: String, errno: Int32)
    /// `path` exists but is not a regular file (a directory, device or pipe).
    case notARegularFile(path: String)
    /// `path` is far larger than any key file; it is not read.
    case fileTooLarge(path: String, byteCount: Int, limit: Int)
    /// The private key file at `path` may be accessed by group or others
    /// (`mode` is its permission bits); it is refused, as OpenSSH does.
    case unprotectedPrivateKey(path: String, mode: UInt32)
    /// Line `line` of the key file at `path` is unusable, so the key file is.
    case invalidKeyFile(path: String, line: Int, problem: KeyLineProblem)
    /// The key file at `path` has no key line.
    case noKeyInFile(path: String)
    /// The key file holds a key of another algorithm than the one asked for.
    case wrongAlgorithm(path: String, line: Int, expected: KeyAlgorithm, found: KeyAlgorithm)
    /// The public key file does not hold the public key of the private key file.
    case publicKeyMismatch(privateKeyPath: String, publicKeyPath: String)
    /// A private key already exists at `path` and replacing it was not asked for.
    case identityExists(privateKeyPath: String)
    /// An identity name that cannot be a file name.
    case invalidIdentityName(name: String, reason: String)
    /// A key whose bytes do not fit its algorithm (not from a file).
    case invalidKey(KeyLineProblem)
    /// A line of a list file (authorized_keys, known_hosts) was skipped.
    case skippedLine(path: String, line: Int, problem: KeyLineProblem)
    /// A line of the allow-list has options that cannot be used: its key
    /// is denied, whatever other lines say, until the line is fixed.
    case lineFailedClosed(path: String, line: Int, fingerprint: String, problem: KeyLineProblem)
    /// A line of the allow-list repeats the key of `firstLine`; it was skipped.
    case duplicateKey(path: String, line: Int, firstLine: Int, fingerprint: String)
    /// A line of the allow-list gives a name that `firstLine` already gives
    /// to another key of the same algorithm; it was skipped.
    case duplicateName(path: String, line: Int, firstLine: Int, name: String)
    /// A client name that cannot be used in the allow-list.
    case invalidName(name: String, reason: String)
    /// Adding a key under `name` was refused: line `line` of the allow-list
    /// gives that name to another key (`fingerprint`) of the same algorithm.
    case nameTaken(name: String, path: String, line: Int, fingerprint: String)
    /// A known_hosts line repeats the host, port and algorithm of `firstLine`;
    /// it was skipped.
    case duplicateHost(path: String, line: Int, firstLine: Int, hostAndPort: String)
    /// A host or port that cannot be recorded in known_hosts.
    case invalidHost(host: String, port: Int, reason: String)
    /// The server at `hostAndPort` presented another key than the one
    /// recorded in known_hosts.
    case serverKeyChanged(hostAndPort: String, knownHostsPath: String, known: PublicKey, presented: PublicKey)
    /// A known host presents a key of an algorithm not recorded for it yet
    /// (trust on first use is per host, not per algorithm).
    case serverKeyNewAlgorithm(hostAndPort: String, knownHostsPath: String, known: [PublicKey], presented: PublicKey)
    /// A key file, allow-list or known_hosts is a symbolic link.
    case symbolicLink(path: String)
    /// A key file, allow-list or known_hosts is owned by someone other than
    /// the running user or root.
    case untrustedOwner(path: String, owner: UInt32, user: UInt32)
    /// An allow-list, known_hosts or key file that group or others may write.
    case writableByOthers(path: String, mode: UInt32)
    /// The folder holding a key file, allow-list or known_hosts can be
    /// written by group or others (who could replace the file).
    case folderWritableByOthers(folder: String, path: String, mode: UInt32)

    public var description: String {
        switch self {
        case let .systemCallFailed(call, path, code):
            return "\(call) \(path) failed: \(KeyFileError.errorText(code))\(KeyFileError.advice(for: code, path: path))"
        case let .notARegularFile(path):
            return "\(path) is not a regular file; move it away and put the key file there"
        case let .fileTooLarge(path, byteCount, limit):
            return "\(path) has \(byteCount) bytes, more than the \(limit) a key file may have; check that it is the right file"
        case let .unprotectedPrivateKey(path, mode):
            let access = mode & 0o044 != 0 ? "readable" : "accessible"
            return "\(path) is \(access) by group or others (mode \(KeyFileError.octal(mode))); run: chmod 600 \(KeyFileError.shellQuoted(path))"
        case let .invalidKeyFile(path, line, problem):
            let advice = path.hasSuffix(".key")
                ? "restore the file from a backup, or delete it and its .pub to generate a new key"
                : "fix the line or replace the file (a missing .pub next to its .key is written again)"
            return "\(path):\(line): \(problem); \(advice)"
        case let .noKeyInFile(path):
            return "\(path) holds no key line (expected '\(KeyLine.format)'); check that it is a key file"
        case let .wrongAlgorithm(path, line, expected, found):
            return "\(path):\(line): holds an \(found) key where an \(expected) key was expected; use the file named for \(found) or delete this one"
        case let .publicKeyMismatch(privateKeyPath, publicKeyPath):
            return "\(publicKeyPath) does not match \(privateKeyPath); delete \(publicKeyPath) to have it written again from the private key"
        case let .identityExists(privateKeyPath):
            return "\(privateKeyPath) already exists; refusing to replace it (replacing an identity locks it out of every server that allowed it)"
        case let .invalidIdentityName(name, reason):
            return "invalid identity name '\(name.prefix(60))': \(reason); use letters, digits, '-', '_' or '.'"
        case let .invalidKey(problem):
            return "invalid key: \(problem)"
        case let .skippedLine(path, line, problem):
            return "\(path):\(line): \(problem); line skipped"
        case let .lineFailedClosed(path, line, fingerprint, problem):
            return "\(path):\(line): \(problem); key \(fingerprint) is denied until the line is fixed"
        case let .duplicateKey(path, line, firstLine, fingerprint):
            return "\(path):\(line): key \(fingerprint) is already on line \(firstLine); line skipped (delete one of the two)"
        case let .duplicateName(path, line, firstLine, name):
            return "\(path):\(line): name '\(name)' is already given to another key on line \(firstLine); line skipped (give this key another name)"
        case let .invalidName(name, reason):
            return "invalid client name '\(name.prefix(60))': \(reason); a name is one word without spaces or control characters"
        case let .nameTaken(name, path, line, fingerprint):
            return "name '\(name)' is already given to key \(fingerprint) on \(path):\(line); choose another name"
        case let .duplicateHost(path, line, firstLine, hostAndPort):
            return "\(path):\(line): \(hostAndPort) already has a key of this algorithm on line \(firstLine); line skipped (delete one of the two)"
        case let .invalidHost(host, port, reason):
            return "cannot record host '\(host.prefix(60))' port \(port): \(reason)"
        case let .serverKeyChanged(hostAndPort, path, known, presented):
            return """
                the key of server \(hostAndPort) has changed: \(path) has \(known.fingerprint) (\(known.algorithm)), \
                the server presented \(presented.fingerprint) (\(presented.algorithm)). Someone may be impersonating \
                the server, so the connection was refused. If the change is expected (the server's key was replaced), \
                delete the line starting with '\(hostAndPort) \(known.algorithm)' from \(path) and connect again.
                """
        case let .serverKeyNewAlgorithm(hostAndPort, path, known, presented):
            let knownText = known.map { "\($0.fingerprint) (\($0.algorithm))" }.joined(separator: ", ")
            return "server \(hostAndPort) is known by \(knownText) in \(path), but presented a key of an algorithm "
                + "it was never seen with: \(presented.fingerprint) (\(presented.algorithm)). Someone may be "
                + "impersonating the server, so the connection was refused. If the server does have such a key "
                + "(compare the fingerprint with 'keygate fingerprint' on the server), accept it once with "
                + "--accept-new-host-key."
        case let .symbolicLink(path):
            let quoted = KeyFileError.shellQuoted(path)
            return "\(path) is a symbolic link; key files, authorized_keys and known_hosts are not followed through links. "
                + "Put the file itself there: cp --remove-destination \"$(readlink -f \(quoted))\" \(quoted)"
        case let .untrustedOwner(path, owner, user):
            return "\(path) is owned by \(KeyFileError.userName(owner)), not by the user running keygate "
                + "(\(KeyFileError.userName(user))) or root, so someone else could have written it; run: "
                + "chown \(KeyFileError.userName(user)) \(KeyFileError.shellQuoted(path))"
        case let .writableByOthers(path, mode):
            return "\(path) can be written by group or others (mode \(KeyFileError.octal(mode))), who could add keys to it; "
                + "run: chmod go-w \(KeyFileError.shellQuoted(path))"
        case let .folderWritableByOthers(folder, path, mode):
            return "\(folder), the folder holding \(path), can be written by group or others (mode "
                + "\(KeyFileError.octal(mode))), who could replace the file; run: chmod go-w \(KeyFileError.shellQuoted(folder))"
        }
    }

    /// Whether this error is a refusal to trust a file (its protection), as
    /// opposed to a file that is missing or malformed.
    public var isUnsafeFile: Bool {
        switch self {
        case .symbolicLink, .untrustedOwner, .writableByOthers, .folderWritableByOthers, .unprotectedPrivateKey: return true
        default: return false
        }
    }

    /// A user's name for messages, or its number.
    static func userName(_ uid: UInt32) -> String {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.pw_name else {
            return "\(uid)"
        }
        return String(cString: name)
    }

    /// `strerror(code)`, with the number for searching.
    static func errorText(_ code: Int32) -> String {
        let text = strerror(code).map { String(cString: $0) } ?? "error"
        return "\(text) (errno \(code))"
    }

    /// What to do about the common failures.
    private static func advice(for code: Int32, path: String) -> String {
        switch code {
        case EACCES, EPERM: return "; check the permissions of \(path) and of its directory"
        case EROFS: return "; the file system is read-only: use a key folder elsewhere (--keys DIR)"
        case ENOSPC, EDQUOT: return "; free some disk space and try again"
        case ENOENT: return "; check the path"
        default: return ""
        }
    }

    /// Permission bits as four octal digits: `0644`.
    static func octal(_ mode: UInt32) -> String {
        let digits = String(mode & 0o7777, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// `path` as a shell word: as is when safe, else in single quotes.
    static func shellQuoted(_ path: String) -> String {
        let safe = path.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A)
                || "/._-+:@%,".utf8.contains(byte)
        }
        if safe && !path.isEmpty { return path }
        return "'" + path.replacing("'", with: "'\\''") + "'"
    }
}
