import KeyGateCrypto
import Synchronization

/// The SHA-256 of a file computed while a transfer moves its bytes, so
/// that verifying the transfer (HASH) needs no second reading of the file.
///
/// It covers the bytes from offset 0 without a gap: it starts empty or
/// from a digest of the file's first bytes (the part a resumed transfer
/// keeps), and each piece read or written is added with the offset it
/// was read from or written at. A piece that does not continue exactly
/// where the digest ends (skipped or repeated bytes), or a write that
/// failed halfway, spoils it for good: `finish` then gives nil and the
/// caller reads the file instead.
///
/// Pieces are added on the file's `BlockingLane`, next to the read or the
/// write they come from, never on the cooperative pool.
public final class StreamingDigest: Sendable {
    private struct State: Sendable {
        var hasher: SHA256Hasher
        /// The bytes covered so far: the offset the next piece must have.
        var byteCount: Int64
        var spoiled = false
    }

    private let state: Mutex<State>

    /// A digest of nothing yet, for a transfer from offset 0.
    public convenience init() {
        self.init(continuing: SHA256Hasher(), byteCount: 0)
    }

    /// A digest that continues `hasher`, which has hashed the file's first
    /// `byteCount` bytes (FileDigest.prefix).
    public init(continuing hasher: SHA256Hasher, byteCount: Int64) {
        state = Mutex(State(hasher: hasher, byteCount: byteCount))
    }

    /// The bytes covered so far.
    public var byteCount: Int64 { state.withLock { $0.byteCount } }

    /// Whether a gap, an overlap or a failed write has spoiled it.
    public var isSpoiled: Bool { state.withLock { $0.spoiled } }

    /// Adds the bytes that were read from, or written to, the file at
    /// `offset`. Blocking for large pieces: call on the file's lane.
    public func add(_ buffer: UnsafeRawBufferPointer, at offset: Int64) {
        state.withLock { state in
            guard !state.spoiled else { return }
            guard offset == state.byteCount else {
                state.spoiled = true
                return
            }
            state.hasher.update(buffer)
            state.byteCount += Int64(buffer.count)
        }
    }

    /// A digest that goes on from where this one is now, apart from it:
    /// for each attempt of a transfer that is started again from the same
    /// offset.
    public func copy() -> StreamingDigest {
        let now = state.withLock { $0 }
        let copy = StreamingDigest(continuing: now.hasher, byteCount: now.byteCount)
        if now.spoiled { copy.spoil() }
        return copy
    }

    /// Gives up: what reached the file is not known (a write that failed
    /// partway).
    public func spoil() {
        state.withLock { $0.spoiled = true }
    }

    /// The digest of the file's first `byteCount` bytes, or nil when it
    /// was spoiled. The digest stays usable: more pieces may follow and
    /// `finish` may be asked again.
    public func finish() -> (digest: [UInt8], byteCount: Int64)? {
        state.withLock { state -> (digest: [UInt8], byteCount: Int64)? in
            guard !state.spoiled else { return nil }
            var copy = state.hasher
            return (copy.finalize(), state.byteCount)
        }
    }
}
