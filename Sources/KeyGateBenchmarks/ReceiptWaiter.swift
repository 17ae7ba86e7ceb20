import KeyGateSystem
import Synchronization

/// Lets a sender wait until its message text comes back from the room.
final class ReceiptWaiter: Sendable {
    private struct State {
        var arrived: Set<String> = []
        var failed = false
    }

    private let state = Mutex(State())
    private let changes = EventCount()

    func arrived(_ text: String) {
        guard text.hasPrefix("bench ") else { return }
        state.withLock { _ = $0.arrived.insert(text) }
        changes.notifyAll()
    }

    /// Marks the session as ended: waiters give up.
    func fail() {
        state.withLock { $0.failed = true }
        changes.notifyAll()
    }

    /// Whether `text` came back: false when the session ended first or the
    /// waiting task was cancelled (before or while it waits).
    func wait(for text: String) async -> Bool {
        while true {
            let ticket = changes.ticket()
            let outcome: Bool? = state.withLock { state in
                if state.arrived.remove(text) != nil { return true }
                if state.failed { return false }
                return nil
            }
            if let outcome { return outcome }
            guard await changes.wait(since: ticket) else { return false }
        }
    }
}
