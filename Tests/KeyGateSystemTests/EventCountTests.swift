import KeyGateSystem
import Testing

/// The one waiter primitive: no notification is lost between the check
/// and the wait, and a cancelled wait ends at once.
struct EventCountTests {
    @Test func aNotificationBeforeTheWaitIsNotLost() async {
        let changes = EventCount()
        let ticket = changes.ticket()
        changes.notifyAll()
        #expect(await changes.wait(since: ticket))
    }

    @Test func waitersAreWokenByTheNextNotification() async {
        let changes = EventCount()
        let ticket = changes.ticket()
        async let woken = changes.wait(since: ticket)
        try? await Task.sleep(for: .milliseconds(10))
        changes.notifyAll()
        #expect(await woken)
    }

    @Test func aCancelledWaitEndsAtOnceAndSaysSo() async {
        let changes = EventCount()
        let ticket = changes.ticket()
        let task = Task { await changes.wait(since: ticket) }
        task.cancel()
        #expect(await task.value == false)
    }
}

