import Synchronization

/// One end of an in-memory byte pipe: what one end writes, the other reads.
/// Used by tests and benchmarks to run channels without sockets.
public final class InMemoryByteStream: ByteStream {
    private let inbound: Pipe
    private let outbound: Pipe
    public let peerDescription: String

    private init(inbound: Pipe, outbound: Pipe, name: String) {
        self.inbound = inbound
        self.outbound = outbound
        peerDescription = name
    }

    /// Two connected ends.
    public static func pair() -> (InMemoryByteStream, InMemoryByteStream) {
        let forward = Pipe(), backward = Pipe()
        return (
            InMemoryByteStream(inbound: backward, outbound: forward, name: "memory:b"),
            InMemoryByteStream(inbound: forward, outbound: backward, name: "memory:a")
        )
    }

    public func read(upTo maxByteCount: Int, deadline: ContinuousClock.Instant?) async throws -> [UInt8]? {
        let pipe = inbound
        return try await withDeadline(deadline, while: "reading") {
            try await pipe.read(upTo: maxByteCount)
        }
    }

    public func write(_ bytes: [UInt8]) async throws {
        try outbound.write(bytes)
    }

    /// Closes both directions: the peer reads EOF, our pending read ends.
    public func close() async {
        outbound.close()
        inbound.close()
    }

    /// Closes only our sending direction (the peer reads EOF).
    public func closeWrite() {
        outbound.close()
    }

    /// A one-directional buffer with at most one waiting reader.
    final class Pipe: Sendable {
        struct State {
            var buffer: [UInt8] = []
            var start = 0
            var closed = false
            var waiter: CheckedContinuation<Void, any Error>?
        }

        private let state = Mutex(State())

        func write(_ bytes: [UInt8]) throws {
            let waiter: CheckedContinuation<Void, any Error>? = try state.withLock { state in
                guard !state.closed else { throw ChannelError.closed }
                state.buffer.append(contentsOf: bytes)
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }

        func close() {
            let waiter = state.withLock { state in
                state.closed = true
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }

        func read(upTo maxByteCount: Int) async throws -> [UInt8]? {
            while true {
                if let result = try take(maxByteCount) { return result.isEmpty ? nil : result }
                try await waitForData()
            }
        }

        /// Bytes if available, `[]` at EOF, nil when the caller must wait.
        private func take(_ maxByteCount: Int) throws -> [UInt8]? {
            try state.withLock { state in
                let available = state.buffer.count - state.start
                if available > 0 {
                    let count = min(available, maxByteCount)
                    let bytes = Array(state.buffer[state.start..<(state.start + count)])
                    state.start += count
                    if state.start == state.buffer.count {
                        state.buffer.removeAll(keepingCapacity: true)
                        state.start = 0
                    }
                    return bytes
                }
                return state.closed ? [] : nil
            }
        }

        private func waitForData() async throws {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    let resumeNow: Bool = state.withLock { state in
                        if state.buffer.count > state.start || state.closed || Task.isCancelled {
                            return true
                        }
                        precondition(state.waiter == nil, "two concurrent readers on one in-memory stream")
                        state.waiter = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
                try Task.checkCancellation()
            } onCancel: {
                let waiter = state.withLock { state in
                    defer { state.waiter = nil }
                    return state.waiter
                }
                waiter?.resume(throwing: CancellationError())
            }
        }
    }
}
