import KeyGateSystem
import Testing

/// The one way to say until when.
struct DeadlineTests {
    @Test func arithmeticSaturatesInsteadOfOverflowing() {
        let now = Deadline.now
        #expect(now.advanced(by: .seconds(Int64.max)).nanoseconds >= UInt64(Int64.max), "far, not wrapped")
        #expect(Deadline(nanoseconds: 5).advanced(by: .seconds(-1)).nanoseconds == 0)
        #expect((now + .seconds(2)) - now == .seconds(2))
        #expect(now - (now + .seconds(2)) == .seconds(-2))
        #expect(Deadline.after(.seconds(-5)).hasPassed())
        #expect(Deadline(nanoseconds: 0).remaining() == .zero)
    }

    @Test func withDeadlineThrowsTimedOutNamingTheActivity() async {
        await #expect(throws: TimedOut(while: "waiting for nothing")) {
            try await withDeadline(.after(.milliseconds(20)), while: "waiting for nothing") {
                try await Task.sleep(for: .seconds(30))
            }
        }
        #expect(TimedOut(while: "read from 127.0.0.1:7742").description == "read from 127.0.0.1:7742: timed out")
    }
}
