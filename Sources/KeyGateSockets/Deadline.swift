import Glibc

/// A point in time on CLOCK_MONOTONIC, in nanoseconds: when a waiting
/// operation gives up. Plain integers so the event loop can compare and
/// subtract them without a clock object.
struct Deadline: Sendable, Comparable, Hashable {
    let nanoseconds: UInt64

    /// The current time.
    static var now: Deadline {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Deadline(nanoseconds: UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec))
    }

    /// `duration` from now; a negative duration is already past, a huge
    /// one saturates instead of overflowing.
    static func after(_ duration: Duration) -> Deadline {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return now }
        let (wholeNanoseconds, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        let total = overflow ? UInt64.max / 2 : wholeNanoseconds &+ UInt64(max(attoseconds, 0) / 1_000_000_000)
        let start = now.nanoseconds
        return Deadline(nanoseconds: total > UInt64.max - start ? UInt64.max : start + total)
    }

    /// `duration` from now, or nil when there is no timeout.
    static func after(_ duration: Duration?) -> Deadline? {
        duration.map { after($0) }
    }

    /// Whether the deadline is at or before `now`.
    func hasPassed(at now: Deadline = .now) -> Bool {
        self <= now
    }

    static func < (lhs: Deadline, rhs: Deadline) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }
}
