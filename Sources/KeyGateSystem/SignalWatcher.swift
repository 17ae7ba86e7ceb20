import CKeyGateSystem
import Glibc

/// Delivers signals (SIGINT, SIGTERM, SIGHUP) as an async sequence instead of
/// letting them end the process, so that a server can shut down in order.
///
/// A C handler writes each signal's number into a pipe (the self-pipe
/// trick), and a thread of its own waits on the pipe with a blocking read:
/// neither the handler nor the wait touches the cooperative pool.
public final class SignalWatcher: Sendable {
    /// Why the watcher could not start.
    public struct StartFailure: Error, CustomStringConvertible {
        /// The call that failed.
        public let call: String
        /// Its errno (or pthread_create's result).
        public let code: Int32
        public var description: String { "cannot watch for signals (\(call) error \(code)): raise the limit on open files or threads" }
    }

    /// The byte that tells the reading thread to stop: no signal has number 0.
    private static let stop: UInt8 = 0

    private let stream: AsyncStream<Int32>
    private let writeEnd: Int32
    private let signals: [Int32]

    /// Starts forwarding `signals` (numbers below 256). Only one watcher
    /// may exist in a process.
    /// - Throws: `StartFailure`.
    public init(_ signals: [Int32]) throws(StartFailure) {
        precondition(signals.allSatisfy { $0 > 0 && $0 < 256 }, "a signal number must fit in a byte")
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw StartFailure(call: "pipe", code: errno) }
        let (readEnd, writeEnd) = (ends[0], ends[1])
        // Started before any child process, so setting close-on-exec after
        // pipe(2) (pipe2 is not exported to Swift) leaves no window.
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(writeEnd, F_SETFD, FD_CLOEXEC)
        // A handler must never block: a full pipe drops the byte instead.
        _ = fcntl(writeEnd, F_SETFL, fcntl(writeEnd, F_GETFL) | O_NONBLOCK)
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        self.stream = stream
        self.writeEnd = writeEnd
        self.signals = signals
        do {
            try SystemThread.spawn(name: "keygate-signals") {
                var byte: UInt8 = 0
                while let count = try? SystemCall.runNow({ read(readEnd, &byte, 1) }, failure: { StartFailure(call: "read", code: $0) }),
                      count == 1, byte != Self.stop {
                    continuation.yield(Int32(byte))
                }
                continuation.finish()
                close(readEnd)
            }
        } catch {
            close(readEnd)
            close(writeEnd)
            throw StartFailure(call: "pthread_create", code: error.code)
        }
        for number in signals {
            guard ckg_forward_signal(number, writeEnd) == 0 else {
                let code = errno
                cancel()
                throw StartFailure(call: "sigaction", code: code)
            }
        }
    }

    /// Every signal received, in order, until cancelled: for one consumer
    /// at a time (a server that reloads on SIGHUP and stops on SIGTERM).
    public var received: AsyncStream<Int32> { stream }

    /// The first signal received, or nil once cancelled.
    public func first() async -> Int32? {
        for await signal in stream { return signal }
        return nil
    }

    /// Stops watching: the signals are ignored from now on, and `first()`
    /// returns nil. The write end stays open, as a handler already running
    /// on another thread may still write to it.
    public func cancel() {
        for number in signals { signal(number, SIG_IGN) }
        var byte = Self.stop
        _ = write(writeEnd, &byte, 1)
    }
}
