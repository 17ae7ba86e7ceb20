import CKeyGateSystem
import Glibc

/// Cryptographically secure random bytes from the kernel, via getrandom(2).
public enum SecureRandom {
    /// Returns `count` random bytes.
    ///
    /// getrandom(2) on a running system cannot fail short of a kernel
    /// without the call (Linux < 3.17): continuing without randomness would
    /// silently produce guessable keys, so that case stops the process.
    public static func bytes(count: Int) -> [UInt8] {
        precondition(count >= 0, "byte count must not be negative")
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            fill(UnsafeMutableRawBufferPointer(buffer))
            initialized = count
        }
    }

    /// Fills `buffer` with random bytes (see `bytes(count:)`).
    public static func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        var filled = 0
        while filled < buffer.count {
            let result = ckg_getrandom(buffer.baseAddress! + filled, buffer.count - filled, 0)
            if result > 0 {
                filled += result
            } else if result < 0 && errno == EINTR {
                continue
            } else {
                fatalError("getrandom(2) failed (errno \(errno)): no secure randomness available")
            }
        }
    }
}

/// A source of random bytes, injected where keys are generated so that
/// tests can replay published vectors with fixed "random" values.
public protocol RandomSource: Sendable {
    /// Returns `count` bytes.
    func bytes(count: Int) -> [UInt8]
}

/// The kernel's CSPRNG: the only `RandomSource` production code uses.
public struct SystemRandomSource: RandomSource {
    public init() {}

    public func bytes(count: Int) -> [UInt8] {
        SecureRandom.bytes(count: count)
    }
}
