import Synchronization

/// Counts the payload bytes (plaintext, without frame headers and tags)
/// that channels send and receive: one meter may count many channels (a
/// session's control channel and its FTP data connections), read at any
/// time from any thread, for the server's metrics.
public final class PayloadMeter: Sendable {
    private let sentBytes = Atomic<Int>(0)
    private let receivedBytes = Atomic<Int>(0)

    public init() {}

    /// Payload bytes sent so far.
    public var sent: Int { sentBytes.load(ordering: .relaxed) }
    /// Payload bytes received so far.
    public var received: Int { receivedBytes.load(ordering: .relaxed) }

    func add(sent count: Int) {
        sentBytes.add(count, ordering: .relaxed)
    }

    func add(received count: Int) {
        receivedBytes.add(count, ordering: .relaxed)
    }
}
