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
        /// No more messages will be accepted; the writer ends after draining.
        var finished = false
    }

    let capacity: Int
    /// Opened by the member's writer when it ends: everything it took from
    /// the outbox has been written (or the connection failed).
    let delivered = Latch()
    /// Opened when the member falls too far behind.
    private let overflowed = Latch()
    /// Notified whenever a message is queued or the outbox finishes.
    private let changes = EventCount()
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
        enum Outcome { case accepted, overflowed, refused }
        let outcome: Outcome = state.withLock { state in
            guard !state.finished else { return .refused }
            if state.messages.count - state.start >= capacity {
                state.messages.append(farewell)
                state.finished = true
                return .overflowed
            }
            state.messages.append(message)
            return .accepted
        }
        switch outcome {
        case .accepted:
            changes.notifyAll()
            return true
        case .overflowed:
            changes.notifyAll()
            overflowed.open()
            return false
        case .refused:
            return false
        }
    }

    /// Queues `message` as the last one.
    func finish(with message: [UInt8]?) {
        let finished: Bool = state.withLock { state in
            guard !state.finished else { return false }
            if let message { state.messages.append(message) }
            state.finished = true
            return true
        }
        if finished { changes.notifyAll() }
    }

    /// The next messages waiting (at least one, at most `maximumCount`), or
    /// nil once the outbox is finished and drained. Returns nil when the
    /// task is cancelled.
    func next(maximumCount: Int = 1) async -> [[UInt8]]? {
        while true {
            enum Step { case messages([[UInt8]]), end, wait }
            let ticket = changes.ticket()
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
                guard await changes.wait(since: ticket) else { return nil }
            }
        }
    }

    /// Returns once the member has fallen too far behind (or when the task
    /// is cancelled).
    func waitForOverflow() async {
        await overflowed.wait()
    }
}
