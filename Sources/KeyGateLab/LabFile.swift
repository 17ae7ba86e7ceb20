import KeyGateSystem
import Glibc

/// Whole-file reads for the lab tools (captures, keylogs): blocking, so
/// callers in async code run them on the blocking executor.
public enum LabFile {
    /// The largest file read (1 GiB): a capture bigger than that is better
    /// cut with `editcap -c` first.
    public static let maximumByteCount = 1 << 30

    /// The bytes of the regular file at `path`.
    /// - Throws: `LabError.unreadableFile` naming the failed call and why.
    public static func read(_ path: String) throws(LabError) -> [UInt8] {
        let fail = { (call: String, code: Int32) in
            LabError.unreadableFile(path: path, reason: "\(call): \(String(cString: strerror(code)))")
        }
        let descriptor = try SystemCall.runNow({ open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK) }) { fail("open", $0) }
        defer { _ = close(descriptor) }
        var info = stat()
        _ = try SystemCall.runNow({ fstat(descriptor, &info) }) { fail("fstat", $0) }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw .unreadableFile(path: path, reason: "not a regular file")
        }
        guard info.st_size <= maximumByteCount else {
            throw .unreadableFile(path: path, reason: "\(info.st_size) bytes, more than the \(maximumByteCount) this reads")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(info.st_size))
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = try SystemCall.runNow({
                buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            }) { fail("read", $0) }
            if count == 0 { return bytes }
            bytes.append(contentsOf: buffer[..<count])
            guard bytes.count <= maximumByteCount else {
                throw .unreadableFile(path: path, reason: "it grew past \(maximumByteCount) bytes while being read")
            }
        }
    }
}
