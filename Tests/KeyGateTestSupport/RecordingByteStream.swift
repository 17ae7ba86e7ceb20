import KeyGateSystem
import KeyGateChannel
import Synchronization

/// The bytes both ends of one connection wrote, in the order they wrote
/// them: what a capture of the connection holds.
public final class ConnectionTranscript: Sendable {
    /// One write: who wrote it and its bytes.
    public struct Write: Sendable {
        public let fromClient: Bool
        public let bytes: [UInt8]
    }

    private let recorded = Mutex<[Write]>([])

    public init() {}

    public var writes: [Write] { recorded.withLock { $0 } }

    func record(_ bytes: [UInt8], fromClient: Bool) {
        recorded.withLock { $0.append(Write(fromClient: fromClient, bytes: bytes)) }
    }

    /// A connected client end and server end whose writes are recorded here.
    public func pair() -> (client: RecordingByteStream, server: RecordingByteStream) {
        let (a, b) = InMemoryByteStream.pair()
        return (RecordingByteStream(a, transcript: self, isClient: true), RecordingByteStream(b, transcript: self, isClient: false))
    }
}

/// A byte stream that records every write in a transcript.
public final class RecordingByteStream: ByteStream {
    private let inner: any ByteStream
    private let transcript: ConnectionTranscript
    private let isClient: Bool

    init(_ inner: any ByteStream, transcript: ConnectionTranscript, isClient: Bool) {
        self.inner = inner
        self.transcript = transcript
        self.isClient = isClient
    }

    public var peerDescription: String { inner.peerDescription }

    public func read(upTo maxByteCount: Int, deadline: Deadline?) async throws -> [UInt8]? {
        try await inner.read(upTo: maxByteCount, deadline: deadline)
    }

    public func write(_ bytes: [UInt8], deadline: Deadline?) async throws {
        transcript.record(bytes, fromClient: isClient)
        try await inner.write(bytes, deadline: deadline)
    }

    public func close() async {
        await inner.close()
    }
}
