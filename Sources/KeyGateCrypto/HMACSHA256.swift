/// HMAC with SHA-256 (RFC 2104).
public enum HMACSHA256 {
    /// Tag size in bytes.
    public static let byteCount = SHA256.byteCount

    /// The 32-byte HMAC-SHA256 of `message` under `key` (any key length).
    public static func authenticate(key: [UInt8], message: [UInt8]) -> [UInt8] {
        key.withUnsafeBytes { key in
            message.withUnsafeBytes { message in
                authenticate(key: key, message: message)
            }
        }
    }

    /// The 32-byte HMAC-SHA256 of `message` under `key` (any key length).
    public static func authenticate(key: UnsafeRawBufferPointer, message: UnsafeRawBufferPointer) -> [UInt8] {
        var authenticator = Authenticator(key: key)
        authenticator.update(message)
        return authenticator.finalize()
    }

    /// Incremental HMAC-SHA256, for messages that come in pieces.
    public struct Authenticator: Sendable {
        private var inner: SHA256Hasher
        private var outer: SHA256Hasher

        /// Starts an HMAC under `key`.
        public init(key: [UInt8]) {
            self = key.withUnsafeBytes { Authenticator(key: $0) }
        }

        /// Starts an HMAC under `key`. RFC 2104 section 2: keys longer than
        /// the block are hashed first; shorter ones are padded with zeros.
        public init(key: UnsafeRawBufferPointer) {
            self.init(key: key, implementation: .selected)
        }

        /// Starts an HMAC under `key` whose hashing is done by
        /// `implementation` (for tests that compare the SHA-256 paths).
        init(key: UnsafeRawBufferPointer, implementation: SHA256.Implementation) {
            inner = SHA256Hasher(implementation: implementation)
            outer = SHA256Hasher(implementation: implementation)
            withUnsafeTemporaryAllocation(byteCount: SHA256.blockByteCount, alignment: 16) { block in
                block.initializeMemory(as: UInt8.self, repeating: 0)
                if key.count > SHA256.blockByteCount {
                    var hasher = SHA256Hasher(implementation: implementation)
                    hasher.update(key)
                    hasher.finalize(into: block.baseAddress!)
                } else if key.count > 0 {
                    block.copyMemory(from: key)
                }
                for index in block.indices { block[index] ^= 0x36 }
                inner.update(UnsafeRawBufferPointer(block))
                for index in block.indices { block[index] ^= 0x36 ^ 0x5c }
                outer.update(UnsafeRawBufferPointer(block))
            }
        }

        /// Appends `bytes` to the message.
        public mutating func update(_ bytes: [UInt8]) {
            inner.update(bytes)
        }

        /// Appends the bytes in `buffer` to the message.
        public mutating func update(_ buffer: UnsafeRawBufferPointer) {
            inner.update(buffer)
        }

        /// Returns the 32-byte tag. The authenticator must not be used afterwards.
        public mutating func finalize() -> [UInt8] {
            withUnsafeTemporaryAllocation(byteCount: SHA256.byteCount, alignment: 8) { innerDigest in
                inner.finalize(into: innerDigest.baseAddress!)
                outer.update(UnsafeRawBufferPointer(innerDigest))
            }
            return outer.finalize()
        }
    }
}
