import KeyGateSystem

import Testing

/// The latch resumes its waiters when opened, and never strands one.
struct LatchTests {
    @Test func openingResumesEveryWaiter() async {
        let latch = Latch()
        await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<10 {
                group.addTask {
                    await latch.wait()
                    return latch.isOpen
                }
            }
            latch.open()
            var resumed = 0
            for await wasOpen in group where wasOpen { resumed += 1 }
            #expect(resumed == 10)
        }
    }

    @Test func waitingOnAnOpenLatchReturnsAtOnce() async throws {
        let latch = Latch()
        latch.open()
        latch.open()
        try await withDeadline(.now + .seconds(5), while: "waiting on an open latch") { await latch.wait() }
        #expect(latch.isOpen)
    }

    @Test func aDeadlineEndsTheWaitOnAClosedLatch() async {
        let latch = Latch()
        let started = ContinuousClock.now
        await #expect(throws: TimedOut.self) {
            try await withDeadline(.now + .milliseconds(50), while: "waiting on a closed latch") { await latch.wait() }
        }
        // Only that it ends: the full suite shares two cores, and a busy
        // moment can hold any task up for seconds.
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(!latch.isOpen)
    }

    @Test func cancellingAWaiterResumesIt() async {
        let latch = Latch()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await latch.wait() }
            group.cancelAll()
            await group.waitForAll()
        }
        #expect(!latch.isOpen)
        // The latch still works for later waiters.
        latch.open()
        await latch.wait()
    }
}
