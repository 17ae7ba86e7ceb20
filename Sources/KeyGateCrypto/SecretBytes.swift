import CKeyGateSystem

/// Secret bytes (a private key, a DH output, a chaining or cipher key, a
/// `data_key`) in storage of their own, overwritten with zeros when the last
/// owner lets go: `deinit` calls explicit_bzero(3), a write the optimizer may
/// not remove, before the memory goes back to the allocator.
///
/// A class on purpose: copies of a struct that holds one share this single
/// buffer, so the secret exists once and is wiped once, whatever Swift's
/// copy-on-write does with the struct around it. The contents never change
/// after `init`, so the type is safe to share between tasks.
///
/// What this cannot promise, and why: Swift gives no control over where
/// values travel on their way through a computation. Temporaries made from
/// the secret (a `ChaCha20.Key` built for one message, the scalar an
/// X25519 ladder works on, the arrays of the crypto primitives, values in
/// registers or spilled to the stack) are not wiped; `withTemporaryArray`
/// wipes the array it makes, but not copies the callee made of it. A
/// secret that arrived as an `[UInt8]` is wiped only if `init(wiping:)`
/// held the last reference to its buffer. The aim is that no long-lived
/// buffer keeps a secret after its owner is gone, not that no byte of it
/// ever lingers.
public final class SecretBytes: @unchecked Sendable, CustomStringConvertible {
    // @unchecked: the buffer is written only in init and read afterwards.
    private let storage: UnsafeMutableRawBufferPointer

    /// The number of bytes.
    public let count: Int

    /// `count` bytes written by `initialize`.
    public init(count: Int, initializingWith initialize: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 16)
        storage.initializeMemory(as: UInt8.self, repeating: 0)
        do {
            try initialize(UnsafeMutableRawBufferPointer(rebasing: storage[0..<count]))
        } catch {
            Self.release(storage)
            throw error
        }
        self.storage = storage
        self.count = count
    }

    /// A copy of `bytes`. The array itself is not wiped (see `init(wiping:)`).
    public convenience init(_ bytes: [UInt8]) {
        self.init(count: bytes.count) { buffer in
            bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
        }
    }

    /// Takes over `bytes`: copies them, then overwrites the array's buffer
    /// with zeros and empties it.
    public convenience init(wiping bytes: inout [UInt8]) {
        self.init(bytes)
        SecretBytes.wipe(&bytes)
    }

    /// `count` bytes from the kernel's random source.
    public static func random(count: Int) -> SecretBytes {
        SecretBytes(count: count) { SecureRandom.fill($0) }
    }

    deinit {
        Self.release(storage)
    }

    private static func release(_ storage: UnsafeMutableRawBufferPointer) {
        ckg_wipe(storage.baseAddress!, storage.count)
        storage.deallocate()
    }

    /// Runs `body` with the bytes (valid during the call only).
    public func withUnsafeBytes<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try body(UnsafeRawBufferPointer(rebasing: storage[0..<count]))
    }

    /// Runs `body` with the bytes in an array made for the call and wiped
    /// after it, for APIs that take `[UInt8]`. `body` must not keep the array.
    public func withTemporaryArray<Result, Failure: Error>(
        _ body: ([UInt8]) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        var array = withUnsafeBytes { Array($0) }
        defer { SecretBytes.wipe(&array) }
        return try body(array)
    }

    /// Whether both hold the same bytes, compared in constant time (the
    /// lengths are public).
    public func isEqual(to other: SecretBytes) -> Bool {
        withUnsafeBytes { a in other.withUnsafeBytes { b in ConstantTime.equals(a, b) } }
    }

    /// Overwrites the buffer of `bytes` with zeros (if this is its only
    /// reference, which `withUnsafeMutableBytes` ensures by copying
    /// otherwise) and empties it.
    public static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { buffer in
            if let base = buffer.baseAddress { ckg_wipe(base, buffer.count) }
        }
        bytes.removeAll()
    }

    /// Never the secret.
    public var description: String { "<\(count) secret bytes>" }
}
