import KeyGateSystem
import KeyGateChannel
import KeyGateServer
import Synchronization
import Testing

/// PROTOCOL.md section 3.3: IK message 1s are fresh once, within the skew.
struct IKFreshnessTests {
    /// A clock the test moves by hand.
    final class ManualClock: Sendable {
        let microseconds: Mutex<UInt64>
        init(_ start: UInt64 = 1_800_000_000_000_000) { microseconds = Mutex(start) }
        func advance(seconds: Int) { microseconds.withLock { $0 += UInt64(seconds) * 1_000_000 } }
        var now: UInt64 { microseconds.withLock { $0 } }
        var wallClock: WallClock { WallClock { self.now } }
    }

    @Test func aMessageIsFreshOnceAndAReplayIsRefused() {
        let clock = ManualClock()
        let freshness = IKFreshness(skewLimit: .seconds(120), clock: clock.wallClock)
        clock.advance(seconds: 600)
        #expect(freshness.judge(keyID: "alice", ephemeralKey: [1], timestamp: clock.now) == .fresh)
        #expect(freshness.judge(keyID: "alice", ephemeralKey: [1], timestamp: clock.now) == .replayed)
        clock.advance(seconds: 100)
        #expect(freshness.judge(keyID: "alice", ephemeralKey: [1], timestamp: clock.now - 100_000_000) == .replayed)
        // Another key's message with the same ephemeral is its own.
        #expect(freshness.judge(keyID: "bob", ephemeralKey: [1], timestamp: clock.now) == .fresh)
    }

    @Test(arguments: [121, -121, 3600, -3600])
    func aTimestampBeyondTheSkewIsRefusedWithItsOffset(offset: Int) {
        let clock = ManualClock()
        let freshness = IKFreshness(skewLimit: .seconds(120), clock: clock.wallClock)
        clock.advance(seconds: 7200)
        let timestamp = UInt64(Int64(clock.now) + Int64(offset) * 1_000_000)
        #expect(freshness.judge(keyID: "alice", ephemeralKey: [2], timestamp: timestamp) == .clockSkew(seconds: Int64(offset)))
    }

    /// A message dated ahead, refused for skew, is still remembered: a
    /// replay once the clock has caught up is refused as a replay.
    @Test func aMessageDatedAheadCannotBeReplayedOnceItsTimeComes() {
        let clock = ManualClock()
        let freshness = IKFreshness(skewLimit: .seconds(120), clock: clock.wallClock)
        clock.advance(seconds: 7200)
        let ahead = clock.now + 300_000_000
        #expect(freshness.judge(keyID: "alice", ephemeralKey: [3], timestamp: ahead) == .clockSkew(seconds: 300))
        clock.advance(seconds: 300)
        #expect(freshness.judge(keyID: "alice", ephemeralKey: [3], timestamp: ahead) == .replayed)
        // Once the message is older than the skew limit the clock refuses
        // it, and the memory lets it go.
        clock.advance(seconds: 121)
        #expect(freshness.judge(keyID: "alice", ephemeralKey: [3], timestamp: ahead) == .clockSkew(seconds: -121))
    }

    /// A key whose memory is full is refused as busy, and only that key.
    @Test func aFullMemoryRefusesThatKeyOnlyAndNeverForgetsEarly() {
        let clock = ManualClock()
        let freshness = IKFreshness(skewLimit: .seconds(120), capacityPerKey: 1024, clock: clock.wallClock)
        clock.advance(seconds: 7200)
        let farAhead = clock.now + 100_000_000_000
        for index in 0..<1024 {
            _ = freshness.judge(keyID: "mallory", ephemeralKey: [UInt8(index & 0xff), UInt8(index >> 8)], timestamp: farAhead)
        }
        #expect(freshness.judge(keyID: "mallory", ephemeralKey: [9, 9, 9], timestamp: clock.now) == .memoryFull)
        #expect(freshness.judge(keyID: "alice", ephemeralKey: [9, 9, 9], timestamp: clock.now) == .fresh)
        // Every one of mallory's messages is still remembered.
        #expect(freshness.judge(keyID: "mallory", ephemeralKey: [0, 0], timestamp: farAhead) == .replayed)
        #expect(freshness.rememberedCount == 1025)
    }

    @Test func entriesPastTheWindowMakeRoom() {
        let clock = ManualClock()
        let freshness = IKFreshness(skewLimit: .seconds(120), capacityPerKey: 1024, clock: clock.wallClock)
        clock.advance(seconds: 7200)
        for index in 0..<1024 {
            _ = freshness.judge(keyID: "alice", ephemeralKey: [UInt8(index & 0xff), UInt8(index >> 8)], timestamp: clock.now)
        }
        #expect(freshness.judge(keyID: "alice", ephemeralKey: [7, 7, 7], timestamp: clock.now) == .memoryFull)
        clock.advance(seconds: 121)
        #expect(freshness.judge(keyID: "alice", ephemeralKey: [7, 7, 7], timestamp: clock.now) == .fresh)
        #expect(freshness.rememberedCount == 1)
    }

    @Test func theWholeMemoryHasALimitToo() {
        let clock = ManualClock()
        let freshness = IKFreshness(skewLimit: .seconds(120), capacityPerKey: 1024, capacity: 2048, clock: clock.wallClock)
        clock.advance(seconds: 7200)
        for key in 0..<2 {
            for index in 0..<1024 {
                _ = freshness.judge(keyID: "key\(key)", ephemeralKey: [UInt8(index & 0xff), UInt8(index >> 8)], timestamp: clock.now)
            }
        }
        #expect(freshness.judge(keyID: "key2", ephemeralKey: [1], timestamp: clock.now) == .memoryFull)
    }

    /// Right after a start, messages dated before it may have been answered
    /// by the previous process: refused as busy until the window has passed.
    @Test func aRestartedServerRefusesMessagesDatedBeforeItsStart() {
        let clock = ManualClock()
        let freshness = IKFreshness(skewLimit: .seconds(120), clock: clock.wallClock)
        clock.advance(seconds: 10)
        #expect(freshness.judge(keyID: "alice", ephemeralKey: [4], timestamp: clock.now - 30_000_000)
            == .datedBeforeStart(secondsAgo: 10))
        #expect(freshness.judge(keyID: "alice", ephemeralKey: [5], timestamp: clock.now) == .fresh)
        clock.advance(seconds: 120)
        #expect(freshness.judge(keyID: "alice", ephemeralKey: [6], timestamp: clock.now - 30_000_000) == .fresh)
    }

    /// Timestamps are unsigned 64-bit microseconds: dates beyond 2^63 or
    /// near 2^64 are far ahead, said so with the right sign, and remembered.
    @Test(arguments: [UInt64(1) << 63 + 12_345, UInt64.max - 121_000_000, UInt64.max - 60_000_000, UInt64.max])
    func farFutureTimestampsNeitherWrapNorEscapeTheMemory(timestamp: UInt64) {
        let clock = ManualClock()
        let freshness = IKFreshness(skewLimit: .seconds(120), clock: clock.wallClock)
        clock.advance(seconds: 7200)
        guard case let .clockSkew(seconds) = freshness.judge(keyID: "alice", ephemeralKey: [8], timestamp: timestamp) else {
            Issue.record("not refused for skew")
            return
        }
        #expect(seconds > 0, "ahead, not behind")
        #expect(seconds >= Int64((timestamp - clock.now) / 1_000_000))
        #expect(freshness.judge(keyID: "alice", ephemeralKey: [8], timestamp: timestamp) == .replayed)
    }
}
