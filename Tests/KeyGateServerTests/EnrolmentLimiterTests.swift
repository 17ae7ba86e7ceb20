@testable import KeyGateServer
import Testing

struct EnrolmentLimiterTests {
    @Test func anAddressMayFailBurstTimesThenWaitsForTheRefill() {
        let limiter = EnrolmentLimiter(burst: 3, refill: .seconds(60))
        let start = ContinuousClock.now
        for second in 0..<3 {
            #expect(limiter.mayTry(from: "10.0.0.1", now: start + .seconds(second)))
            limiter.recordFailure(from: "10.0.0.1", now: start + .seconds(second))
        }
        #expect(!limiter.mayTry(from: "10.0.0.1", now: start + .seconds(3)))
        #expect(limiter.mayTry(from: "10.0.0.2", now: start + .seconds(3)))
        #expect(!limiter.mayTry(from: "10.0.0.1", now: start + .seconds(20)))
        #expect(limiter.mayTry(from: "10.0.0.1", now: start + .seconds(70)))
    }

    @Test func theMemoryOfAddressesIsBounded() {
        let limiter = EnrolmentLimiter(burst: 1, refill: .seconds(60), maximumSources: 2)
        let start = ContinuousClock.now
        limiter.recordFailure(from: "a", now: start)
        limiter.recordFailure(from: "b", now: start + .seconds(1))
        limiter.recordFailure(from: "c", now: start + .seconds(2))
        // "a" was the quietest and is forgotten: it may try again.
        #expect(limiter.mayTry(from: "a", now: start + .seconds(3)))
        #expect(!limiter.mayTry(from: "c", now: start + .seconds(3)))
    }
}
