import KeyGateSystem
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

    public func read(upTo maxByteCount: Int, deadline: Deadline?) async throws -> [UInt8]? {
        let pipe = inbound
        return try await withDeadline(deadline, while: "reading from \(peerDescription)") {
            try await pipe.read(upTo: maxByteCount)
        }
    }

    /// Never waits: the pipe has no limit, so the deadline cannot pass.
    public func write(_ bytes: [UInt8], deadline: Deadline?) async throws {
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

    /// A one-directional buffer with at most one waiting reader. Written
    /// arrays are queued as they are and handed to the reader whole when
    /// they fit, so bytes are not copied on their way through.
    final class Pipe: Sendable {
        struct State {
            var chunks: [[UInt8]] = []
            var firstChunk = 0
            /// Bytes of `chunks[firstChunk]` already read.
            var offset = 0
            var closed = false

            var hasData: Bool { firstChunk < chunks.count }
        }

        /// Notified on every write and on close.
        private let changes = EventCount()
        private let state = Mutex(State())

        func write(_ bytes: [UInt8]) throws {
            try state.withLock { state in
                guard !state.closed else { throw ChannelError.closed }
                if !bytes.isEmpty { state.chunks.append(bytes) }
            }
            changes.notifyAll()
        }

        func close() {
            state.withLock { $0.closed = true }
            changes.notifyAll()
        }

        func read(upTo maxByteCount: Int) async throws -> [UInt8]? {
            while true {
                let ticket = changes.ticket()
                if let result = take(maxByteCount) { return result.isEmpty ? nil : result }
                guard await changes.wait(since: ticket) else { throw CancellationError() }
            }
        }

        /// Bytes if available, `[]` at EOF, nil when the caller must wait.
        private func take(_ maxByteCount: Int) -> [UInt8]? {
            state.withLock { state in
                guard state.hasData else { return state.closed ? [] : nil }
                let chunk = state.chunks[state.firstChunk]
                let remaining = chunk.count - state.offset
                let bytes: [UInt8]
                if state.offset == 0 && remaining <= maxByteCount {
                    bytes = chunk
                } else {
                    let count = min(remaining, maxByteCount)
                    bytes = Array(chunk[state.offset..<(state.offset + count)])
                }
                state.offset += bytes.count
                if state.offset == chunk.count {
                    state.chunks[state.firstChunk] = []
                    state.firstChunk += 1
                    state.offset = 0
                    if state.firstChunk == state.chunks.count {
                        state.chunks.removeAll(keepingCapacity: true)
                        state.firstChunk = 0
                    }
                }
                return bytes
            }
        }
    }
}
