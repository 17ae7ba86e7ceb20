import KeyGateSockets

/// Hands out listeners on free ports of the data range (PROTOCOL.md
/// sections 4 and 9): a random free port, or, when every port is taken,
/// retries for up to `patience` before giving up (the server then denies
/// with `busy`, `"retry":true`).
///
/// A port is in use exactly while its listener is bound, so the operating
/// system is the source of truth: no bookkeeping can drift from it, and
/// ports taken by other processes are skipped like our own.
public struct DataPortAllocator: Sendable {
    public let range: ClosedRange<UInt16>
    public let patience: Duration
    /// Pause between attempts while the range is full.
    static let retryInterval: Duration = .milliseconds(50)

    public init(range: ClosedRange<UInt16>, patience: Duration) {
        self.range = range
        self.patience = patience
    }

    /// A listener on a random free port of the range on `host`.
    /// - Throws: `SystemError.portRangeExhausted` when no port became free
    ///   within the patience; other bind errors at once; `CancellationError`.
    public func listener(on host: String) async throws -> TCPListener {
        let deadline = ContinuousClock.now + patience
        while true {
            let exhausted: SystemError
            do {
                return try TCPListener.bind(host: host, portRange: range, backlog: 64)
            } catch {
                // (A `catch` pattern on the case here crashes the 6.3 compiler.)
                guard case .portRangeExhausted = error else { throw error }
                exhausted = error
            }
            guard ContinuousClock.now + Self.retryInterval < deadline else { throw exhausted }
            try await Task.sleep(for: Self.retryInterval)
        }
    }
}
