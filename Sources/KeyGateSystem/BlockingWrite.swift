import Glibc

/// Writes to files and standard streams, which cannot be made to wait on
/// epoll. These block: call them on a lane of the `BlockingExecutor`,
/// never on the cooperative thread pool.
public enum BlockingWrite {
    /// Writes every byte of `buffer` to `descriptor`, going on after short
    /// writes and EINTR.
    /// - Returns: nil once everything is written, else the errno of the
    ///   write that failed (EIO for a write that wrote nothing).
    public static func all(_ buffer: UnsafeRawBufferPointer, to descriptor: Int32) -> Int32? {
        guard let start = buffer.baseAddress else { return nil }
        var offset = 0
        while offset < buffer.count {
            let written: Int
            do {
                written = try SystemCall.runNow({ write(descriptor, start + offset, buffer.count - offset) }, failure: Errno.init)
            } catch {
                return error.code
            }
            if written == 0 { return EIO }
            offset += written
        }
        return nil
    }
}
