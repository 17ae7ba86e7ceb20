/// One named throughput measurement of `keygate speed`.
public struct SpeedBenchmark: Sendable {
    /// Every benchmark: the primitives, the Noise handshakes and transport,
    /// and the sockets on the loopback interface.
    public static var all: [SpeedBenchmark] { CryptoBenchmarks.all + NoiseBenchmarks.all + SocketBenchmarks.all }

    /// How a result is expressed.
    public enum Unit: Sendable {
        /// MB/s (10^6 bytes per second); each operation processes this many bytes.
        case megabytesPerSecond(bytesPerOperation: Int)
        /// Operations per second.
        case operationsPerSecond(label: String)
        /// Events (round trips, messages) per second, where one call of the
        /// operation performs `eventsPerOperation` of them: for events too
        /// short to time one by one.
        case eventsPerSecond(label: String, eventsPerOperation: Int)
    }

    public let name: String
    public let unit: Unit
    /// Prepares inputs and returns a batch of the operation to time: runs
    /// it the given number of times (called repeatedly).
    let prepare: @Sendable () async throws -> @Sendable (Int) async throws -> Void

    /// A benchmark of an operation that awaits (sockets, channels).
    init(name: String, unit: Unit, prepare: @escaping @Sendable () async throws -> @Sendable () async throws -> Void) {
        self.name = name
        self.unit = unit
        self.prepare = {
            let operation = try await prepare()
            return { count in
                for _ in 0..<count { try await operation() }
            }
        }
    }

    /// A benchmark of a primitive, called directly: a batch runs without a
    /// suspension point between calls, as `openssl speed` times its loops,
    /// so that the figure is the primitive's and not the cost of an async
    /// call per operation.
    static func direct(
        name: String, unit: Unit, prepare: @escaping @Sendable () throws -> @Sendable () throws -> Void
    ) -> SpeedBenchmark {
        SpeedBenchmark(name: name, unit: unit, batches: {
            let operation = try prepare()
            return { count in
                for _ in 0..<count { try operation() }
            }
        })
    }

    private init(name: String, unit: Unit, batches: @escaping @Sendable () async throws -> @Sendable (Int) async throws -> Void) {
        self.name = name
        self.unit = unit
        self.prepare = batches
    }

    /// Runs the operation for about `duration` and returns the figure in `unit`.
    public func measure(for duration: Duration) async throws -> Double {
        let operations = try await prepare()
        // Warm up caches and lazily initialised constants.
        try await operations(1)
        let clock = ContinuousClock()
        let start = clock.now
        var operationCount = 0
        var batch = 1
        var elapsed = Duration.zero
        while elapsed < duration {
            try await operations(batch)
            operationCount += batch
            elapsed = clock.now - start
            if elapsed < duration / 20 { batch *= 2 }
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        switch unit {
        case let .megabytesPerSecond(bytesPerOperation):
            return Double(operationCount * bytesPerOperation) / seconds / 1e6
        case .operationsPerSecond:
            return Double(operationCount) / seconds
        case let .eventsPerSecond(_, eventsPerOperation):
            return Double(operationCount * eventsPerOperation) / seconds
        }
    }

    /// The unit as printed after the figure.
    public var unitLabel: String {
        switch unit {
        case .megabytesPerSecond: return "MB/s"
        case let .operationsPerSecond(label): return label
        case let .eventsPerSecond(label, _): return label
        }
    }
}

/// Keeps a computed value alive so the optimizer cannot discard the work
/// that produced it.
@inline(never)
func consume<T>(_ value: T) {
    withExtendedLifetime(value) {}
}
