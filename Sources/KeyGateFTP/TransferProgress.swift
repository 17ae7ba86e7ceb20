import Synchronization

/// The bytes a transfer has moved so far: written by the task that moves
/// them, read by others (STAT, a progress bar).
public final class TransferProgress: Sendable {
    private let count = Atomic<Int64>(0)

    public init() {}

    public var bytes: Int64 { count.load(ordering: .relaxed) }

    public func add(_ byteCount: Int) {
        count.add(Int64(byteCount), ordering: .relaxed)
    }
}
