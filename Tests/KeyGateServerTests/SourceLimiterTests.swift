import KeyGateSystem
import KeyGateChannel
@testable import KeyGateServer
import Testing

/// Per-source limits on the control port, and their bounded log.
struct SourceLimiterTests {
    static func limiter(
        inProgress: Int = 100, rate: Double = 1000, burst: Int = 1000, grants: Int = 100
    ) -> (SourceLimiter, FailureLog, Log) {
        let log = Log(level: .debug, destination: .memory)
        let limits = SourceLimits(handshakesInProgress: inProgress, handshakeRate: rate, handshakeBurst: burst, unresumedGrants: grants)
        let failures = FailureLog(log: log)
        return (SourceLimiter(limits: limits, failures: failures), failures, log)
    }

    @Test func handshakesInProgressAreCountedPerSource() {
        let (limiter, _, _) = Self.limiter(inProgress: 2)
        #expect(limiter.admitHandshake(from: "10.0.0.1") == nil)
        #expect(limiter.admitHandshake(from: "10.0.0.1") == nil)
        #expect(limiter.admitHandshake(from: "10.0.0.1") == .handshakesInProgress)
        #expect(limiter.admitHandshake(from: "10.0.0.2") == nil, "another address has its own count")
        limiter.handshakeEnded(from: "10.0.0.1")
        #expect(limiter.admitHandshake(from: "10.0.0.1") == nil)
    }

    @Test func theRateIsATokenBucket() {
        let (limiter, _, _) = Self.limiter(rate: 10, burst: 3)
        let start = ContinuousClock.now
        for _ in 0..<3 {
            #expect(limiter.admitHandshake(from: "10.0.0.1", now: start) == nil)
            limiter.handshakeEnded(from: "10.0.0.1")
        }
        #expect(limiter.admitHandshake(from: "10.0.0.1", now: start) == .handshakeRate)
        // 10 per second: one more after 100 ms.
        #expect(limiter.admitHandshake(from: "10.0.0.1", now: start + .milliseconds(100)) == nil)
        #expect(limiter.admitHandshake(from: "10.0.0.1", now: start + .milliseconds(100)) == .handshakeRate)
    }

    @Test func unresumedGrantsAreCountedUntilSettled() {
        let (limiter, _, _) = Self.limiter(grants: 1)
        #expect(limiter.admitHandshake(from: "10.0.0.1") == nil)
        limiter.handshakeEnded(from: "10.0.0.1")
        limiter.grantIssued(to: "10.0.0.1")
        #expect(limiter.admitHandshake(from: "10.0.0.1") == .unresumedGrants)
        limiter.grantSettled(for: "10.0.0.1")
        #expect(limiter.admitHandshake(from: "10.0.0.1") == nil)
    }

    /// A flood of refusals makes one line at first and one summary per
    /// interval, not one line per connection.
    @Test func refusalsAreLoggedOnceAndThenSummarised() {
        let (limiter, failures, log) = Self.limiter(inProgress: 1)
        _ = limiter.admitHandshake(from: "10.0.0.9")
        for _ in 0..<1000 { _ = limiter.admitHandshake(from: "10.0.0.9") }
        #expect(log.lines.count == 1)
        #expect(log.lines[0].contains("refused source=10.0.0.9 reason=source-limit"))
        failures.report()
        #expect(log.lines.count == 2)
        #expect(log.lines[1].contains("repeated failures") && log.lines[1].contains("over_limit_handshakes_in_progress=999"))
        // Still going on: only the next summary, no full line again.
        _ = limiter.admitHandshake(from: "10.0.0.9")
        failures.report()
        #expect(log.lines.count == 3)
        #expect(log.lines[2].contains("over_limit_handshakes_in_progress=1"))
        // A quiet interval: nothing to say; the next refusal is news again.
        failures.report()
        failures.report()
        #expect(log.lines.count == 3)
        _ = limiter.admitHandshake(from: "10.0.0.9")
        #expect(log.lines.count == 4)
        #expect(log.lines[3].contains("refused source=10.0.0.9 reason=source-limit"))
    }

    @Test func idleSourcesAreForgotten() {
        let (limiter, _, _) = Self.limiter()
        for index in 0..<100 {
            #expect(limiter.admitHandshake(from: "10.0.1.\(index)") == nil)
            limiter.handshakeEnded(from: "10.0.1.\(index)")
        }
        limiter.forgetIdleSources(now: .now + .seconds(5))
        #expect(limiter.trackedSourceCount == 0)
    }
}
