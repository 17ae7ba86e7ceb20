import Dispatch
import Synchronization

/// Runs `operation` in a task and blocks the calling thread until it is done.
///
/// Only for the fuzz harness: libFuzzer calls `LLVMFuzzerTestOneInput` on
/// its own thread, which is not one of the cooperative pool's threads, so
/// blocking it on a semaphore while the task runs on the pool cannot starve
/// the pool. The server's code never does this (every wait there is an
/// `await`). A hang in `operation` shows as libFuzzer's `-timeout`.
func runToCompletion<Result: Sendable>(_ operation: @escaping @Sendable () async -> Result) -> Result {
    let outcome = Outcome<Result>()
    Task {
        outcome.finish(await operation())
    }
    outcome.done.wait()
    return outcome.take()
}

/// The result of one `runToCompletion`, handed from the task to the caller.
private final class Outcome<Value: Sendable>: Sendable {
    let done = DispatchSemaphore(value: 0)
    private let value = Mutex<Value?>(nil)

    func finish(_ result: Value) {
        value.withLock { $0 = result }
        done.signal()
    }

    func take() -> Value {
        value.withLock { $0.take()! }
    }
}
