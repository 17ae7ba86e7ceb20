import Synchronization

/// One member's bounded queue of outgoing messages.
///
/// The room enqueues without waiting (so a slow member never stalls the
/// room); the member's writer task drains it. When the queue is full the
/// member is too far behind: the queue keeps what it has, adds a last
/// message saying why, and ends, and the member is disconnected.
final class ChatOutbox: Sendable {
    private struct State {
        var messages: [[UInt8]] = []
        var start = 0
        var waiter: CheckedContinuation<Void, Never>?
        /// No more messages will be accepted; the writer ends after draining.
        var finished = false
        /// The member fell too far behind.
        var overflowed = false
        var overflowWaiter: CheckedContinuation<Void, Never>?
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Queues `message`. Returns false when the member is too far behind
    /// (the queue then ends with `farewell`) or the outbox is finished.
    @discardableResult
    func enqueue(_ message: [UInt8], farewellIfFull farewell: @autoclosure () -> [UInt8]) -> Bool {
        let (waiters, accepted): ([CheckedContinuation<Void, Never>], Bool) = state.withLock { state in
            guard !state.finished else { return ([], false) }
            if state.messages.count - state.start >= capacity {
                state.messages.append(farewell())
                state.finished = true
                state.overflowed = true
                defer { state.waiter = nil; state.overflowWaiter = nil }
                return ([state.waiter, state.overflowWaiter].compactMap { $0 }, false)
            }
            state.messages.append(message)
            defer { state.waiter = nil }
            return ([state.waiter].compactMap { $0 }, true)
        }
        for waiter in waiters { waiter.resume() }
        return accepted
    }

    /// Queues `message` as the last one.
    func finish(with message: [UInt8]?) {
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
            guard !state.finished else { return nil }
            if let message { state.messages.append(message) }
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// The next message, or nil once the outbox is finished and drained.
    /// Returns nil when the task is cancelled.
    func next() async -> [UInt8]? {
        while true {
            enum Step { case message([UInt8]), end, wait }
            let step: Step = state.withLock { state in
                if state.start < state.messages.count {
                    let message = state.messages[state.start]
                    state.start += 1
                    if state.start > 64 && state.start * 2 > state.messages.count {
                        state.messages.removeFirst(state.start)
                        state.start = 0
                    }
                    return .message(message)
                }
                return state.finished ? .end : .wait
            }
            switch step {
            case let .message(message): return message
            case .end: return nil
            case .wait:
                guard !Task.isCancelled else { return nil }
                await withTaskCancellationHandler {
                    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                        let resumeNow = state.withLock { state in
                            if state.start < state.messages.count || state.finished || Task.isCancelled { return true }
                            state.waiter = continuation
                            return false
                        }
                        if resumeNow { continuation.resume() }
                    }
                } onCancel: {
                    let waiter = state.withLock { state in
                        defer { state.waiter = nil }
                        return state.waiter
                    }
                    waiter?.resume()
                }
                if Task.isCancelled { return nil }
            }
        }
    }

    /// Returns once the member has fallen too far behind (or when the task
    /// is cancelled).
    func waitForOverflow() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if state.overflowed || Task.isCancelled { return true }
                    state.overflowWaiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                defer { state.overflowWaiter = nil }
                return state.overflowWaiter
            }
            waiter?.resume()
        }
    }

    /// Messages waiting (for tests and logs).
    var backlog: Int {
        state.withLock { $0.messages.count - $0.start }
    }
}
