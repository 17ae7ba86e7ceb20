/// Runs `operation`, failing with `ChannelError.timedOut` if it has not
/// finished by `deadline` (nil: no limit). The operation is cancelled at the
/// deadline, so it must respond to cancellation.
public func withDeadline<T: Sendable>(
    _ deadline: ContinuousClock.Instant?, while activity: String,
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    guard let deadline else { return try await operation() }
    return try await withThrowingTaskGroup(of: DeadlineOutcome<T>.self) { group in
        group.addTask { .finished(try await operation()) }
        group.addTask {
            try await Task.sleep(until: deadline, clock: .continuous)
            return .expired
        }
        defer { group.cancelAll() }
        switch try await group.next()! {
        case let .finished(value): return value
        case .expired: throw ChannelError.timedOut(while: activity)
        }
    }
}

private enum DeadlineOutcome<T: Sendable>: Sendable {
    case finished(T)
    case expired
}
