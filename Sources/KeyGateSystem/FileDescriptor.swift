import Glibc
import Synchronization

/// An open file or directory descriptor with exactly one owner: closed
/// once, by `close()`; using it after that is a programming error.
public final class FileDescriptor: Sendable {
    private let descriptor: Mutex<Int32>

    /// Takes ownership of `rawValue`.
    public init(adopting rawValue: Int32) {
        descriptor = Mutex(rawValue)
    }

    /// The descriptor number, for system calls made while it is open.
    public var rawValue: Int32 {
        let value = descriptor.withLock { $0 }
        precondition(value >= 0, "file descriptor used after close")
        return value
    }

    /// Whether `close()` has not been called yet.
    public var isOpen: Bool { descriptor.withLock { $0 >= 0 } }

    /// Closes the descriptor. Idempotent.
    public func close() {
        let value = descriptor.withLock { value in
            defer { value = -1 }
            return value
        }
        if value >= 0 { _ = Glibc.close(value) }
    }

    deinit {
        assert(!isOpen, "a file descriptor was released without close()")
        close()
    }
}
