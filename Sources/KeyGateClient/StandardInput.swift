import Glibc

/// Standard input as an async sequence, read by a dedicated thread: a
/// blocking read of a terminal, pipe or file never occupies the cooperative
/// thread pool.
public enum StandardInput {
    /// Whether standard input is a terminal (interactive use).
    public static var isTerminal: Bool { isatty(STDIN_FILENO) == 1 }

    /// The lines of standard input, without their line endings, ending at EOF.
    public static func lines() -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .unbounded)
        startReader { bytes in
            guard let bytes else {
                continuation.finish()
                return
            }
            var line = bytes
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            continuation.yield(String(decoding: line, as: UTF8.self))
        }
        return stream
    }

    /// Raw chunks of standard input (for the terminal line editor), ending at EOF.
    public static func chunks() -> AsyncStream<[UInt8]> {
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream(bufferingPolicy: .unbounded)
        startThread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = read(STDIN_FILENO, &buffer, buffer.count)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                continuation.yield(Array(buffer[0..<count]))
            }
            continuation.finish()
        }
        return stream
    }

    /// Reads lines on a new thread, calling `deliver` with each line's
    /// bytes (without the newline), then with nil at EOF.
    private static func startReader(_ deliver: @escaping @Sendable ([UInt8]?) -> Void) {
        startThread {
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = read(STDIN_FILENO, &buffer, buffer.count)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                pending.append(contentsOf: buffer[0..<count])
                var start = 0
                while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                    deliver(Array(pending[start..<newline]))
                    start = newline + 1
                }
                pending.removeFirst(start)
            }
            if !pending.isEmpty { deliver(pending) }
            deliver(nil)
        }
    }

    private final class ThreadBody {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    private static func startThread(_ body: @escaping @Sendable () -> Void) {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
        let result = pthread_create(&thread, nil, { context in
            Unmanaged<ThreadBody>.fromOpaque(context!).takeRetainedValue().body()
            return nil
        }, context)
        guard result == 0 else {
            // Out of threads or memory at startup: nothing sensible remains.
            fatalError("cannot start the thread that reads standard input (error \(result))")
        }
        pthread_detach(thread)
    }
}
