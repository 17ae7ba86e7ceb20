import KeyGateSystem
import Synchronization

/// The bytes a transfer has moved so far: written by the task that moves
/// them, read by others (STAT, a progress bar).
public final class TransferProgress: Sendable {
    private let count = Atomic<Int64>(0)

    /// Nothing moved yet.
    public init() {}

    /// The bytes moved so far.
    public var bytes: Int64 { count.load(ordering: .relaxed) }

    /// Counts `byteCount` more bytes.
    public func add(_ byteCount: Int) {
        count.add(Int64(byteCount), ordering: .relaxed)
    }
}
