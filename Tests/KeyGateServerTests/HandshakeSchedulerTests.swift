import KeyGateSystem
import KeyGateChannel
@testable import KeyGateServer
import KeyGateTestSupport
import Synchronization
import Testing

/// The fair sharing of handshake computing between sources.
struct HandshakeSchedulerTests {
    /// The order in which waiting turns were given.
    final class Order: Sendable {
        let entries = Mutex<[String]>([])
        func append(_ source: String) { entries.withLock { $0.append(source) } }
        var value: [String] { entries.withLock { $0 } }
    }

    /// One turn held by a flooder; the flooder queues five more messages,
    /// then one other client queues two. Every turn the flooder used cost
    /// 3 ms and the client's cost 0.1 ms: as soon as the held turn ends, the
    /// client goes first with both its messages.
    @Test func aCheapSourceIsServedBeforeAnExpensiveFlood() async throws {
        let scheduler = HandshakeScheduler(turns: 1)
        let flood = scheduler.gate(for: "127.0.0.2")
        let client = scheduler.gate(for: "127.0.0.1")
        let held = try await flood.enter()
        let order = Order()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<5 {
                group.addTask {
                    let ticket = try await flood.enter()
                    order.append("flood")
                    flood.leave(ticket, cost: .milliseconds(3))
                }
            }
            #expect(await eventually { scheduler.waitingCount == 5 })
            for _ in 0..<2 {
                group.addTask {
                    let ticket = try await client.enter()
                    order.append("client")
                    client.leave(ticket, cost: .microseconds(100))
                }
            }
            #expect(await eventually { scheduler.waitingCount == 7 })
            flood.leave(held, cost: .milliseconds(3))
            try await group.waitForAll()
        }
        #expect(order.value == ["client", "client", "flood", "flood", "flood", "flood", "flood"])
    }

    /// Two equally expensive sources alternate.
    @Test func equalSourcesTakeTurnsAboutEvenly() async throws {
        let scheduler = HandshakeScheduler(turns: 1)
        let a = scheduler.gate(for: "10.0.0.1")
        let b = scheduler.gate(for: "10.0.0.2")
        let held = try await a.enter()
        let order = Order()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (name, gate) in [("a", a), ("b", b)] {
                for _ in 0..<4 {
                    group.addTask {
                        let ticket = try await gate.enter()
                        order.append(name)
                        gate.leave(ticket, cost: .milliseconds(1))
                    }
                }
            }
            #expect(await eventually { scheduler.waitingCount == 8 })
            a.leave(held, cost: .milliseconds(1))
            try await group.waitForAll()
        }
        let sequence = order.value
        #expect(sequence.count == 8)
        // In every prefix, neither source is more than one turn ahead of the
        // other (beyond the turn a already had).
        var lead = 0
        for name in sequence {
            lead += name == "a" ? 1 : -1
            #expect((-2...1).contains(lead), "order \(sequence)")
        }
    }

    @Test func aCancelledWaiterLeavesTheQueue() async throws {
        let scheduler = HandshakeScheduler(turns: 1)
        let gate = scheduler.gate(for: "127.0.0.1")
        let held = try await gate.enter()
        let waiter = Task { try await gate.enter() }
        #expect(await eventually { scheduler.waitingCount == 1 })
        waiter.cancel()
        await #expect(throws: CancellationError.self) { _ = try await waiter.value }
        #expect(scheduler.waitingCount == 0)
        gate.leave(held, cost: .milliseconds(1))
        // The turn is free again: the next enter does not wait.
        let next = try await gate.enter()
        gate.leave(next, cost: .milliseconds(1))
    }
}
