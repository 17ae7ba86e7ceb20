/// Incremental SHA-256: feed the message in pieces with `update`, then call
/// `finalize` once for the digest.
///
/// The incomplete block is kept inline rather than in an array, so hashing
/// allocates nothing but the returned digest: short messages (HMAC, HKDF,
/// the Noise handshake hash) are dominated by such fixed costs.
public struct SHA256Hasher: Sendable {
    @usableFromInline var state = SHA256.State()
    /// Bytes of an incomplete block waiting for more input: the first
    /// `pendingCount` bytes, always fewer than 64 after an update.
    @usableFromInline var pending = SIMD64<UInt8>()
    @usableFromInline var pendingCount = 0
    /// Total message length so far, in bytes.
    @usableFromInline var totalByteCount: UInt64 = 0
    /// Which compression function runs the blocks.
    let implementation: SHA256.Implementation

    /// Starts a new hash.
    public init() {
        implementation = .selected
    }

    /// Starts a new hash computed by `implementation` (for tests that
    /// compare the fast path with the portable one).
    init(implementation: SHA256.Implementation) {
        self.implementation = implementation
    }

    /// Appends `bytes` to the message.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Appends the bytes in `buffer` to the message.
    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        guard var input = buffer.baseAddress, buffer.count > 0 else { return }
        var remaining = buffer.count
        totalByteCount &+= UInt64(remaining)
        if pendingCount > 0 {
            let taken = min(SHA256.blockByteCount - pendingCount, remaining)
            withUnsafeMutableBytes(of: &pending) { [pendingCount] in
                ($0.baseAddress! + pendingCount).copyMemory(from: input, byteCount: taken)
            }
            pendingCount += taken
            input += taken
            remaining -= taken
            guard pendingCount == SHA256.blockByteCount else { return }
            withUnsafeBytes(of: pending) { SHA256.compress(&state, blocks: $0.baseAddress!, blockCount: 1, by: implementation) }
            pendingCount = 0
        }
        let wholeBlocks = remaining / SHA256.blockByteCount
        if wholeBlocks > 0 {
            SHA256.compress(&state, blocks: input, blockCount: wholeBlocks, by: implementation)
            input += wholeBlocks * SHA256.blockByteCount
            remaining -= wholeBlocks * SHA256.blockByteCount
        }
        if remaining > 0 {
            withUnsafeMutableBytes(of: &pending) { $0.baseAddress!.copyMemory(from: input, byteCount: remaining) }
            pendingCount = remaining
        }
    }

    /// Pads the message (FIPS 180-4 section 5.1.1) and returns the 32-byte
    /// digest. The hasher must not be used afterwards.
    public mutating func finalize() -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: SHA256.byteCount) { buffer, initialized in
            finalize(into: UnsafeMutableRawPointer(buffer.baseAddress!))
            initialized = SHA256.byteCount
        }
    }

    /// Pads the message and writes the 32-byte digest to `output`. The
    /// hasher must not be used afterwards.
    mutating func finalize(into output: UnsafeMutableRawPointer) {
        let bitLength = totalByteCount &* 8
        // The 0x80 byte and the 8-byte length must fit after the data.
        let paddedLength = pendingCount + 1 + 8 <= SHA256.blockByteCount ? 64 : 128
        withUnsafeTemporaryAllocation(byteCount: 128, alignment: 8) { tail in
            let tail = tail.baseAddress!
            tail.initializeMemory(as: UInt8.self, repeating: 0, count: 128)
            withUnsafeBytes(of: pending) { [pendingCount] in
                tail.copyMemory(from: $0.baseAddress!, byteCount: pendingCount)
            }
            tail.storeBytes(of: 0x80, toByteOffset: pendingCount, as: UInt8.self)
            tail.storeBytes(of: bitLength.bigEndian, toByteOffset: paddedLength - 8, as: UInt64.self)
            SHA256.compress(&state, blocks: UnsafeRawPointer(tail), blockCount: paddedLength / 64, by: implementation)
        }
        pendingCount = 0
        state.write(to: output)
    }
}
