import KeyGateCrypto

/// Noise section 5.2: the chaining key `ck`, the handshake hash `h`, and the
/// handshake's CipherState. A value type, so that a caller can try an
/// operation on a copy and keep the result only on success.
public struct SymmetricState: Sendable {
    /// HASHLEN for SHA-256.
    public static let hashByteCount = SHA256.byteCount

    /// ck: secret, wiped once no copy of this state holds it.
    public private(set) var chainingKey: SecretBytes
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
        chainingKey = SecretBytes(handshakeHash)
    }

    /// MixKey(input_key_material): ck, k = HKDF(ck, ikm, 2).
    public mutating func mixKey(_ inputKeyMaterial: [UInt8]) {
        mixKey(SecretBytes(inputKeyMaterial))
    }

    /// MixKey with a secret input (a DH output).
    public mutating func mixKey(_ inputKeyMaterial: SecretBytes) {
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
    public mutating func mixKeyAndHash(_ inputKeyMaterial: SecretBytes) {
        let output = Self.hkdf(chainingKey: chainingKey, inputKeyMaterial: inputKeyMaterial, outputs: 3)
        chainingKey = output[0]
        // temp_h is mixed into h, which is public.
        output[1].withUnsafeBytes { mixHash(Array($0)) }
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
        let output = Self.hkdf(chainingKey: chainingKey, inputKeyMaterial: SecretBytes([]), outputs: 2)
        return (CipherState(derivedKey: output[0]), CipherState(derivedKey: output[1]))
    }

    /// Noise section 4.3: HKDF(chaining_key, input_key_material, num_outputs),
    /// which is RFC 5869 HKDF with salt ck and empty info, cut into 32-byte
    /// outputs.
    /// The outputs are secrets; the arrays HKDF works in are wiped here.
    static func hkdf(chainingKey: SecretBytes, inputKeyMaterial: SecretBytes, outputs: Int) -> [SecretBytes] {
        // At most 3 * 32 bytes, far below the HKDF limit: cannot throw.
        var bytes = chainingKey.withTemporaryArray { salt in
            inputKeyMaterial.withTemporaryArray { ikm in
                try! HKDFSHA256.deriveKey(inputKeyMaterial: ikm, salt: salt, info: [], outputByteCount: outputs * hashByteCount)
            }
        }
        defer { SecretBytes.wipe(&bytes) }
        return (0..<outputs).map { index in
            SecretBytes(count: hashByteCount) { buffer in
                bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[(index * hashByteCount)..<((index + 1) * hashByteCount)])) }
            }
        }
    }
}
