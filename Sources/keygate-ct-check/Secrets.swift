import KeyGateCrypto

/// Reproducible test secrets, marked secret for memcheck.
///
/// The bytes are SHA-256 in counter mode over a label, so every run checks
/// the same values and a failure replays. Each is poisoned (memcheck:
/// undefined) before it is returned, and the poisoning is read back: a
/// secret that memcheck does not watch would make every check pass.
enum Secrets {
    /// `count` bytes derived from `label`, not yet secret (for public inputs
    /// and for building secrets that are poisoned later).
    static func publicBytes(_ count: Int, _ label: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var counter: UInt32 = 0
        while bytes.count < count {
            var hasher = SHA256Hasher()
            hasher.update(Array(label.utf8))
            withUnsafeBytes(of: counter.bigEndian) { hasher.update($0) }
            bytes += hasher.finalize()
            counter += 1
        }
        return Array(bytes.prefix(count))
    }

    /// `count` secret bytes derived from `label`.
    static func bytes(_ count: Int, _ label: String) -> [UInt8] {
        poisoned(publicBytes(count, label))
    }

    /// `bytes`, in a buffer of their own, marked secret.
    static func poisoned(_ bytes: [UInt8]) -> [UInt8] {
        let secret = Array(unsafeUninitializedCapacity: bytes.count) { buffer, initialized in
            _ = buffer.initialize(from: bytes)
            initialized = bytes.count
        }
        ConstantTimeValidation.markSecret(secret)
        requirePoisoned(secret)
        return secret
    }

    /// Marks `count` bytes starting at `offset` of `string`'s UTF-8 storage
    /// secret: a secret field inside a line of text.
    static func poison(_ string: inout String, from offset: Int, count: Int) {
        string.withUTF8 { utf8 in
            let field = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(utf8)[offset..<(offset + count)])
            ConstantTimeValidation.markSecret(field)
        }
        // Read back through a second call: a string too short to own its
        // storage would have handed out a temporary copy.
        string.withUTF8 { utf8 in
            requirePoisoned(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(utf8)[offset..<(offset + count)]))
        }
    }

    static func requirePoisoned(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { requirePoisoned($0) }
    }

    static func requirePoisoned(_ buffer: UnsafeRawBufferPointer) {
        guard buffer.isEmpty || ConstantTimeValidation.isSecret(buffer) else {
            fatalError("keygate-ct-check: memcheck does not see the secret as undefined; is this valgrind --tool=memcheck?")
        }
    }
}
