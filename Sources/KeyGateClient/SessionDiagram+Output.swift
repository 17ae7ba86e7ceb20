import Glibc
import KeyGateChannel
import KeyGateSystem

extension SessionDiagram {
    /// Writes a drawing to `path`, replacing what was there (mode 0644
    /// when created). Blocking: call it on the blocking executor.
    /// - Throws: `TraceFileError.system` naming the failed call.
    public static func writeFile(_ text: String, to path: String) throws(TraceFileError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .system(path: path, call: "open", errno: errno) }
        let failure = Array(text.utf8).withUnsafeBytes { BlockingWrite.all($0, to: descriptor) }
        let closed = close(descriptor) == 0 ? nil : errno
        if let failure { throw .system(path: path, call: "write", errno: failure) }
        if let closed { throw .system(path: path, call: "close", errno: closed) }
    }
}
