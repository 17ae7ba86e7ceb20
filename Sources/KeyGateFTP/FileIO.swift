import KeyGateSystem
import Dispatch

/// A small executor for blocking file work: one serial Dispatch queue,
/// whose threads are Dispatch's, never the cooperative pool's. Each FTP
/// session (and each client) has its own, so one slow disk operation
/// holds up only its own session, and operations of one session run in
/// the order they were asked for.
public final class FileIO: Sendable {
    private let queue: DispatchQueue

    /// A new queue; `label` names it in debuggers and crash reports.
    public init(label: String = "keygate.file-io") {
        queue = DispatchQueue(label: label)
    }

    /// Runs `work` on the queue and returns its result. Not cancellable:
    /// once started the work finishes (cleanup must run on every path).
    public func run<T: Sendable, E: Error>(_ work: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        let result: Result<T, E> = await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: Result { () throws(E) -> T in try work() })
            }
        }
        return try result.get()
    }

}
