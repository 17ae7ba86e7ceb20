import KeyGateSystem
import KeyGateChannel
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
    /// Opened by the member's writer when it ends: everything it took from
    /// the outbox has been written (or the connection failed).
    let delivered = Latch()
    /// The last message of a member that fell too far behind.
    private let farewell: [UInt8]
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = capacity
        farewell = ChatEvent.error("too far behind: \(capacity) messages waiting; disconnected").json.bytes
    }

    /// Queues `message`. Returns false when the member is too far behind
    /// (the queue then ends with a farewell saying so) or the outbox is
    /// finished.
    @discardableResult
    func enqueue(_ message: [UInt8]) -> Bool {
        let (waiters, accepted): ([CheckedContinuation<Void, Never>], Bool) = state.withLock { state in
            guard !state.finished else { return ([], false) }
            if state.messages.count - state.start >= capacity {
                state.messages.append(farewell)
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

    /// The next messages waiting (at least one, at most `maximumCount`), or
    /// nil once the outbox is finished and drained. Returns nil when the
    /// task is cancelled.
    func next(maximumCount: Int = 1) async -> [[UInt8]]? {
        while true {
            enum Step { case messages([[UInt8]]), end, wait }
            let step: Step = state.withLock { state in
                if state.start < state.messages.count {
                    let end = min(state.messages.count, state.start + maximumCount)
                    let batch = Array(state.messages[state.start..<end])
                    state.start = end
                    if state.start == state.messages.count {
                        state.messages.removeAll(keepingCapacity: true)
                        state.start = 0
                    } else if state.start > 64 && state.start * 2 > state.messages.count {
                        state.messages.removeFirst(state.start)
                        state.start = 0
                    }
                    return .messages(batch)
                }
                return state.finished ? .end : .wait
            }
            switch step {
            case let .messages(batch): return batch
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
}
