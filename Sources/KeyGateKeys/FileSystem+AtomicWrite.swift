import Glibc
import KeyGateSystem

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
    /// one, never a part, even if the process or the machine stops halfway
    /// (a `PendingFile`: created with `mode`, so a private key is never
    /// readable by others, not even briefly; written in full, flushed, put
    /// in place, and the folder flushed). On any failure `path` is
    /// untouched and nothing is left behind.
    ///
    /// - Parameter beforeCommit: runs after the pending file is complete
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
        let folder = try call("open", directory) { open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        let pending = try keyFileCall(path) { () throws(PendingFile.Failure) in
            try PendingFile.create(in: FileDescriptor(adopting: folder), prefix: "." + baseName(of: path) + ".tmp-", mode: mode)
        }
        do throws(KeyFileError) {
            if existing == .replaceKeepingPermissions, case let .present(old) = permissionsStatus(path) {
                _ = try call("fchmod", path) { fchmod(pending.descriptor.rawValue, old) }
            }
            try keyFileCall(path) { () throws(PendingFile.Failure) in try pending.write(bytes) }
            try beforeCommit()
        } catch {
            pending.discard()
            throw error
        }
        try keyFileCall(path) { () throws(PendingFile.Failure) in
            _ = try pending.commit(as: baseName(of: path), placement: existing == .fail ? .failIfExists : .replace)
        }
    }

    /// Runs a `PendingFile` step, naming its failure for `path`.
    private static func keyFileCall<Value>(
        _ path: String, _ body: () throws(PendingFile.Failure) -> Value
    ) throws(KeyFileError) -> Value {
        do {
            return try body()
        } catch {
            throw .systemCallFailed(call: error.call, path: path, errno: error.code)
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
