/// Incremental SHA-256: feed the message in pieces with `update`, then call
/// `finalize` once for the digest.
public struct SHA256Hasher: Sendable {
    @usableFromInline var state = SHA256.State()
    /// Bytes of an incomplete block waiting for more input (always < 64 after an update).
    @usableFromInline var pending: [UInt8]
    /// Total message length so far, in bytes.
    @usableFromInline var totalByteCount: UInt64 = 0

    /// Starts a new hash.
    public init() {
        pending = []
        pending.reserveCapacity(SHA256.blockByteCount)
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
        if !pending.isEmpty {
            let taken = min(SHA256.blockByteCount - pending.count, remaining)
            pending.append(contentsOf: UnsafeRawBufferPointer(start: input, count: taken))
            input += taken
            remaining -= taken
            guard pending.count == SHA256.blockByteCount else { return }
            pending.withUnsafeBytes { SHA256.compress(&state, blocks: $0.baseAddress!, blockCount: 1) }
            pending.removeAll(keepingCapacity: true)
        }
        let wholeBlocks = remaining / SHA256.blockByteCount
        if wholeBlocks > 0 {
            SHA256.compress(&state, blocks: input, blockCount: wholeBlocks)
            input += wholeBlocks * SHA256.blockByteCount
            remaining -= wholeBlocks * SHA256.blockByteCount
        }
        if remaining > 0 {
            pending.append(contentsOf: UnsafeRawBufferPointer(start: input, count: remaining))
        }
    }

    /// Pads the message (FIPS 180-4 section 5.1.1) and returns the 32-byte
    /// digest. The hasher must not be used afterwards.
    public mutating func finalize() -> [UInt8] {
        let bitLength = totalByteCount &* 8
        var tail = pending
        tail.append(0x80)
        let paddedLength = tail.count <= 56 ? 64 : 128
        tail.append(contentsOf: repeatElement(0, count: paddedLength - 8 - tail.count))
        for shift in stride(from: 56, through: 0, by: -8) {
            tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift)))
        }
        tail.withUnsafeBytes { SHA256.compress(&state, blocks: $0.baseAddress!, blockCount: paddedLength / 64) }
        pending.removeAll()
        return [UInt8](unsafeUninitializedCapacity: SHA256.byteCount) { buffer, initialized in
            state.write(to: buffer.baseAddress!)
            initialized = SHA256.byteCount
        }
    }
}
