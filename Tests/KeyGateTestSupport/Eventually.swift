/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
/// For facts only visible by looking (a log line, a counter), not for
/// waiting on events that can be awaited directly.
public func eventually(
    timeout: Duration = .seconds(10), _ condition: @Sendable () async -> Bool
) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return await condition()
}
