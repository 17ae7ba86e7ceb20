import CKeyGateSystem
import Glibc

/// The one way KeyGate starts a thread of its own: for the event loop, the
/// blocking executor's workers, the reader of standard input and the signal
/// watcher, which all block by design and so must never be threads of the
/// cooperative pool.
public enum SystemThread {
    /// Why a thread could not be started.
    public struct StartFailure: Error, CustomStringConvertible {
        /// What pthread_create returned (EAGAIN: out of threads or memory).
        public let code: Int32
        public var description: String { "cannot start a thread (pthread_create error \(code)): raise ulimit -u or free memory" }
    }

    private final class Body {
        let name: String
        let run: @Sendable () -> Void
        init(name: String, run: @escaping @Sendable () -> Void) {
            self.name = name
            self.run = run
        }
    }

    /// Starts a detached thread named `name` (at most 15 bytes show in
    /// `top -H`) running `body`.
    /// - Throws: `StartFailure`.
    public static func spawn(name: String, _ body: @escaping @Sendable () -> Void) throws(StartFailure) {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(Body(name: name, run: body)).toOpaque()
        let result = pthread_create(&thread, nil, { context in
            let body = Unmanaged<Body>.fromOpaque(context!).takeRetainedValue()
            ckg_name_current_thread(body.name)
            body.run()
            return nil
        }, context)
        guard result == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            throw StartFailure(code: result)
        }
        pthread_detach(thread)
    }

    /// The result of `work`, computed on a new thread of its own: for a wait
    /// of unknown length (a child process, a pipe that a peer must close)
    /// that should hold neither the cooperative pool nor a worker of the
    /// `BlockingExecutor`. Short file work belongs on the executor instead.
    /// - Throws: what `work` throws, or `StartFailure` as `any Error`.
    public static func run<T: Sendable>(name: String, _ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            do {
                try spawn(name: name) { continuation.resume(with: Result { try work() }) }
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }
}
