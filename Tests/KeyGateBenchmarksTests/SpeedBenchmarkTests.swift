import Synchronization
import Testing
@testable import KeyGateBenchmarks

struct SpeedBenchmarkTests {
    /// A direct benchmark and an awaiting one report the operations they
    /// ran: the figure times the seconds measured is the count, less the
    /// warm-up call.
    @Test(arguments: [false, true])
    func theFigureCountsEachOperationOnce(direct: Bool) async throws {
        let calls = Counter()
        let unit = SpeedBenchmark.Unit.operationsPerSecond(label: "calls/s")
        let benchmark = direct
            ? SpeedBenchmark.direct(name: "count", unit: unit) { { calls.add() } }
            : SpeedBenchmark(name: "count", unit: unit) { { calls.add() } }
        let clock = ContinuousClock()
        let start = clock.now
        let perSecond = try await benchmark.measure(for: .milliseconds(50))
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let timed = Double(calls.value - 1)
        #expect(timed > 0)
        // The measured span lies inside the whole call.
        #expect(perSecond * seconds >= timed * 0.999)
        #expect(perSecond * 0.05 <= timed * 1.001)
    }

    final class Counter: Sendable {
        private let count = Atomic<Int>(0)
        func add() { count.add(1, ordering: .relaxed) }
        var value: Int { count.load(ordering: .relaxed) }
    }
}
