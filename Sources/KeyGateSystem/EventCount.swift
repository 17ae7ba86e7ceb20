import Synchronization

/// The one way KeyGate parks a task until something happens: an event
/// count (as in Dmitry Vyukov's eventcount, or the Registration sequence of
/// the event loop). A waiter takes a ticket, checks its condition in its
/// own state, and only then waits "since" the ticket; a notification that
/// came in between makes the wait return at once, so none is ever lost,
/// and the condition can live under the caller's own lock.
///
///     while true {
///         let ticket = changes.ticket()
///         if let item = state.withLock({ $0.take() }) { return item }
///         guard await changes.wait(since: ticket) else { return nil }  // cancelled
///     }
///
/// Waits end promptly when the waiting task is cancelled, including a
/// cancellation that arrives before the wait is parked.
public final class EventCount: Sendable {
    private struct State {
        var epoch: UInt64 = 0
        var waiters: [UInt64: (epoch: UInt64, continuation: CheckedContinuation<Bool, Never>)] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// The current epoch, to pass to `wait(since:)` after checking.
    public func ticket() -> UInt64 {
        state.withLock { $0.epoch }
    }

    /// Returns true once `notifyAll()` has been called after `ticket` was
    /// taken (at once if it already has), false when the task is cancelled.
    public func wait(since ticket: UInt64) async -> Bool {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let immediate: Bool? = state.withLock { state in
                    if state.epoch != ticket { return true }
                    if Task.isCancelled { return false }
                    state.waiters[id] = (ticket, continuation)
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.continuation.resume(returning: false)
        }
    }

    /// Starts a new epoch and wakes every waiter.
    public func notifyAll() {
        let waiters = state.withLock { state in
            state.epoch &+= 1
            defer { state.waiters = [:] }
            return state.waiters.values.map(\.continuation)
        }
        for waiter in waiters { waiter.resume(returning: true) }
    }
}

/// A one-way gate that tasks wait at until someone opens it: the signal for
/// "this has happened" (every receipt came back, a writer finished, the
/// server stopped), so that waiters are resumed at that moment instead of
/// polling.
///
/// Once open it stays open. `wait()` returns at once on an open latch, and
/// promptly when the waiting task is cancelled, so it combines with
/// `withDeadline` for a bounded wait.
public final class Latch: Sendable {
    private let opened = Atomic<Bool>(false)
    private let changes = EventCount()

    public init() {}

    /// Whether `open()` has been called.
    public var isOpen: Bool { opened.load(ordering: .acquiring) }

    /// Opens the latch and resumes every waiter. Idempotent: returns true
    /// only for the call that opened it.
    @discardableResult
    public func open() -> Bool {
        guard !opened.exchange(true, ordering: .acquiringAndReleasing) else { return false }
        changes.notifyAll()
        return true
    }

    /// Returns once the latch is open, or when the task is cancelled.
    public func wait() async {
        while true {
            let ticket = changes.ticket()
            if isOpen { return }
            guard await changes.wait(since: ticket) else { return }
        }
    }
}
