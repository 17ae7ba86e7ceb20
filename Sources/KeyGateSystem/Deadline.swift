import Glibc

/// When a wait gives up: the one way every KeyGate API says "until when".
/// A point on CLOCK_MONOTONIC in nanoseconds, plain integers so the event
/// loop can compare and subtract them without a clock object. APIs take an
/// optional `Deadline`; nil waits as long as it takes.
public struct Deadline: Sendable, Comparable, Hashable, CustomStringConvertible {
    /// Nanoseconds on CLOCK_MONOTONIC.
    public let nanoseconds: UInt64

    public init(nanoseconds: UInt64) {
        self.nanoseconds = nanoseconds
    }

    /// The current time.
    public static var now: Deadline {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Deadline(nanoseconds: UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec))
    }

    /// `duration` from now; a negative duration is already past, a huge
    /// one saturates instead of overflowing.
    public static func after(_ duration: Duration) -> Deadline {
        now.advanced(by: duration)
    }

    /// `duration` from now, or nil (no limit) when there is no duration.
    public static func after(_ duration: Duration?) -> Deadline? {
        duration.map { after($0) }
    }

    /// This deadline moved later by `duration` (earlier if negative), saturating.
    public func advanced(by duration: Duration) -> Deadline {
        let (seconds, attoseconds) = duration.components
        let total = Int64(clamping: Int128(seconds) * 1_000_000_000 + Int128(attoseconds / 1_000_000_000))
        if total >= 0 {
            let (sum, overflow) = nanoseconds.addingReportingOverflow(UInt64(total))
            return Deadline(nanoseconds: overflow ? .max : sum)
        }
        let magnitude = UInt64(total.magnitude)
        return Deadline(nanoseconds: nanoseconds > magnitude ? nanoseconds - magnitude : 0)
    }

    /// Whether the deadline is at or before `now`.
    public func hasPassed(at now: Deadline = .now) -> Bool {
        self <= now
    }

    /// The time left until the deadline (zero once it has passed).
    public func remaining(at now: Deadline = .now) -> Duration {
        guard nanoseconds > now.nanoseconds else { return .zero }
        return .nanoseconds(Int64(clamping: nanoseconds - now.nanoseconds))
    }

    /// The time from `earlier` to this deadline (negative if it is earlier).
    public static func - (lhs: Deadline, rhs: Deadline) -> Duration {
        lhs >= rhs ? .nanoseconds(Int64(clamping: lhs.nanoseconds - rhs.nanoseconds))
            : .zero - .nanoseconds(Int64(clamping: rhs.nanoseconds - lhs.nanoseconds))
    }

    public static func + (lhs: Deadline, rhs: Duration) -> Deadline {
        lhs.advanced(by: rhs)
    }

    public static func < (lhs: Deadline, rhs: Deadline) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }

    public var description: String { "in \(remaining())" }
}

/// A wait reached its deadline. The one timeout error of every layer: what
/// was being waited for is in `activity` (`reading from 127.0.0.1:7742`).
public struct TimedOut: Error, Equatable, Sendable, CustomStringConvertible {
    public let activity: String

    public init(while activity: String) {
        self.activity = activity
    }

    public var description: String { "\(activity): timed out" }
}

/// Runs `operation`, failing with `TimedOut` if it has not finished by
/// `deadline` (nil: no limit). The operation is cancelled at the deadline,
/// so it must respond to cancellation.
public func withDeadline<T: Sendable>(
    _ deadline: Deadline?, while activity: String,
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    guard let deadline else { return try await operation() }
    return try await withThrowingTaskGroup(of: DeadlineOutcome<T>.self) { group in
        group.addTask { .finished(try await operation()) }
        group.addTask {
            try await Task.sleep(for: deadline.remaining())
            return .expired
        }
        defer { group.cancelAll() }
        switch try await group.next()! {
        case let .finished(value): return value
        case .expired: throw TimedOut(while: activity)
        }
    }
}

private enum DeadlineOutcome<T: Sendable>: Sendable {
    case finished(T)
    case expired
}
