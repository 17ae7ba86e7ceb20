import KeyGateCrypto

/// Noise section 5.2: the chaining key `ck`, the handshake hash `h`, and the
/// handshake's CipherState. A value type, so that a caller can try an
/// operation on a copy and keep the result only on success.
public struct SymmetricState: Sendable {
    /// HASHLEN for SHA-256.
    public static let hashByteCount = SHA256.byteCount

    public private(set) var chainingKey: [UInt8]
    public private(set) var handshakeHash: [UInt8]
    public private(set) var cipherState = CipherState()

    /// InitializeSymmetric(protocol_name): h = name padded to 32 bytes, or
    /// HASH(name) if longer; ck = h.
    public init(protocolName: String) {
        let name = Array(protocolName.utf8)
        if name.count <= SymmetricState.hashByteCount {
            handshakeHash = name + [UInt8](repeating: 0, count: SymmetricState.hashByteCount - name.count)
        } else {
            handshakeHash = SHA256.hash(name)
        }
        chainingKey = handshakeHash
    }

    /// MixKey(input_key_material): ck, k = HKDF(ck, ikm, 2).
    public mutating func mixKey(_ inputKeyMaterial: [UInt8]) {
        let output = Self.hkdf(chainingKey: chainingKey, inputKeyMaterial: inputKeyMaterial, outputs: 2)
        chainingKey = output[0]
        // A 32-byte key cannot be rejected.
        cipherState = CipherState(derivedKey: output[1])
    }

    /// MixHash(data): h = HASH(h || data).
    public mutating func mixHash(_ data: [UInt8]) {
        var hasher = SHA256Hasher()
        hasher.update(handshakeHash)
        hasher.update(data)
        handshakeHash = hasher.finalize()
    }

    /// MixKeyAndHash(input_key_material): for pre-shared keys.
    public mutating func mixKeyAndHash(_ inputKeyMaterial: [UInt8]) {
        let output = Self.hkdf(chainingKey: chainingKey, inputKeyMaterial: inputKeyMaterial, outputs: 3)
        chainingKey = output[0]
        mixHash(output[1])
        cipherState = CipherState(derivedKey: output[2])
    }

    /// EncryptAndHash(plaintext): encrypts with h as associated data (if a
    /// key is set), then mixes the ciphertext into h.
    public mutating func encryptAndHash(_ plaintext: [UInt8]) throws(NoiseError) -> [UInt8] {
        let ciphertext = try cipherState.encrypt(plaintext, associatedData: handshakeHash)
        mixHash(ciphertext)
        return ciphertext
    }

    /// DecryptAndHash(ciphertext). On failure nothing changes.
    public mutating func decryptAndHash(_ ciphertext: [UInt8]) throws(NoiseError) -> [UInt8] {
        let plaintext = try cipherState.decrypt(ciphertext, associatedData: handshakeHash)
        mixHash(ciphertext)
        return plaintext
    }

    /// Split(): the two transport CipherStates, initiator-to-responder first.
    public func split() -> (CipherState, CipherState) {
        let output = Self.hkdf(chainingKey: chainingKey, inputKeyMaterial: [], outputs: 2)
        return (CipherState(derivedKey: output[0]), CipherState(derivedKey: output[1]))
    }

    /// Noise section 4.3: HKDF(chaining_key, input_key_material, num_outputs),
    /// which is RFC 5869 HKDF with salt ck and empty info, cut into 32-byte
    /// outputs.
    static func hkdf(chainingKey: [UInt8], inputKeyMaterial: [UInt8], outputs: Int) -> [[UInt8]] {
        // At most 3 * 32 bytes, far below the HKDF limit: cannot throw.
        let bytes = try! HKDFSHA256.deriveKey(
            inputKeyMaterial: inputKeyMaterial, salt: chainingKey, info: [], outputByteCount: outputs * hashByteCount)
        return (0..<outputs).map { Array(bytes[($0 * hashByteCount)..<(($0 + 1) * hashByteCount)]) }
    }
}
