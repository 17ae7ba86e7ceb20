import Glibc
import KeyGateCrypto

extension FileSystem {
    /// What to do when the destination of an atomic write exists.
    enum Existing {
        /// Replace it; the new file gets `mode`.
        case replace
        /// Replace it; the new file keeps the old file's permissions (an
        /// administrator's `chmod` of authorized_keys survives an `add`).
        case replaceKeepingPermissions
        /// Leave it and throw `systemCallFailed(call: "link", errno: EEXIST)`.
        case fail
    }

    /// Writes `bytes` to `path` so that readers see the old file or the new
    /// one, never a part, even if the process or the machine stops halfway.
    ///
    /// The bytes go to a temporary file in the same directory, created with
    /// O_CREAT|O_EXCL and `mode` (so a private key is never readable by
    /// others, not even briefly), written in full and fsync'd; then the file
    /// is renamed over `path` (or hard-linked to it, which fails if `path`
    /// exists, for `.fail`), and the directory is fsync'd so the new name
    /// survives a crash. On any failure the temporary file is removed and
    /// `path` is untouched.
    ///
    /// - Parameter beforeCommit: runs after the temporary file is complete
    ///   and before it is put in place; tests use it to simulate a failure.
    /// - Throws: `KeyFileError.systemCallFailed` naming the failed call.
    static func writeAtomically(
        _ bytes: [UInt8],
        to path: String,
        mode: mode_t,
        existing: Existing,
        beforeCommit: () throws(KeyFileError) -> Void = {}
    ) throws(KeyFileError) {
        let directory = directoryName(of: path)
        let suffix = SecureRandom.bytes(count: 6).map { String($0, radix: 16) }.joined()
        let temporaryPath = directory + "/." + baseName(of: path) + ".tmp-" + suffix
        let descriptor = try call("open", temporaryPath) {
            open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
        }
        var isOpen = true
        do throws(KeyFileError) {
            if existing == .replaceKeepingPermissions, case let .present(old) = permissionsStatus(path) {
                _ = try call("fchmod", temporaryPath) { fchmod(descriptor, old) }
            }
            try writeAll(bytes, to: descriptor, path: temporaryPath)
            _ = try call("fsync", temporaryPath) { fsync(descriptor) }
            isOpen = false
            // close(2) must not be retried: the descriptor is gone even on EINTR.
            guard close(descriptor) == 0 else {
                throw .systemCallFailed(call: "close", path: temporaryPath, errno: errno)
            }
            try beforeCommit()
            if existing == .fail {
                _ = try call("link", path) { link(temporaryPath, path) }
                // The file is in place under its name; a leftover temporary
                // name is harmless, so a failed unlink is not an error.
                _ = unlink(temporaryPath)
            } else {
                _ = try call("rename", path) { rename(temporaryPath, path) }
            }
        } catch {
            if isOpen { _ = close(descriptor) }
            _ = unlink(temporaryPath)
            throw error
        }
        try synchronizeDirectory(directory)
    }

    /// fsync(2) on a directory, so that a rename in it is durable.
    static func synchronizeDirectory(_ directory: String) throws(KeyFileError) {
        let descriptor = try call("open", directory) { open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { _ = close(descriptor) }
        _ = try call("fsync", directory) { fsync(descriptor) }
    }

    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32, path: String) throws(KeyFileError) {
        var offset = 0
        while offset < bytes.count {
            let written = try call("write", path) {
                bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            }
            offset += written
        }
    }

    private enum PermissionsStatus {
        case present(mode_t)
        case absent
    }

    private static func permissionsStatus(_ path: String) -> PermissionsStatus {
        var info = stat()
        guard stat(path, &info) == 0 else { return .absent }
        return .present(info.st_mode & 0o7777)
    }
}
