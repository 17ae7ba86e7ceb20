import KeyGateSystem
import Glibc

/// The real-time clock, in microseconds since 1970-01-01T00:00:00Z: what an
/// IK message 1 carries and what the server compares it with (PROTOCOL.md
/// section 3.3). Injected so tests can run a client or server whose clock
/// is off.
public struct WallClock: Sendable {
    /// The current time in microseconds since 1970.
    public let now: @Sendable () -> UInt64

    public init(now: @escaping @Sendable () -> UInt64) {
        self.now = now
    }

    /// The system's clock (CLOCK_REALTIME).
    public static let system = WallClock {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return UInt64(max(0, time.tv_sec)) * 1_000_000 + UInt64(max(0, time.tv_nsec)) / 1000
    }

    /// This clock moved by `offset` (negative: behind).
    public func shifted(by offset: Duration) -> WallClock {
        let base = now
        let microseconds = offset.components.seconds * 1_000_000 + offset.components.attoseconds / 1_000_000_000_000
        return WallClock { UInt64(max(0, Int64(truncatingIfNeeded: base()) + microseconds)) }
    }

    /// A duration in microseconds, for comparisons with timestamps.
    public static func microseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000
    }
}
