/// Finite-field Diffie-Hellman over the RFC 7919 groups, as a Noise DH
/// function (KeyGate protocol v1, section 7): g = 2, private keys are
/// random big-endian exponents, public keys and results are byteCount bytes
/// big-endian.
///
/// Constant time: exponentiation is a fixed-window Montgomery ladder whose
/// table lookups read every entry (see `MontgomeryModulus.power`).
public struct FFDHEGroup: Sendable, Equatable {
    /// The group's name as it appears in key files and protocol names (`ffdhe2048`).
    public let name: String
    /// Bytes of p, and of every public key and shared secret (256, 384, 512).
    public let byteCount: Int
    /// Bytes of a private exponent (32, 48, 64).
    public let privateKeyByteCount: Int
    /// p, big-endian, byteCount bytes.
    public let prime: [UInt8]
    let arithmetic: MontgomeryModulus

    /// RFC 7919 appendix A.1, with 256-bit exponents.
    public static let ffdhe2048 = FFDHEGroup(name: "ffdhe2048", primeHex: ffdhe2048PrimeHex, privateKeyByteCount: 32)
    /// RFC 7919 appendix A.2, with 384-bit exponents.
    public static let ffdhe3072 = FFDHEGroup(name: "ffdhe3072", primeHex: ffdhe3072PrimeHex, privateKeyByteCount: 48)
    /// RFC 7919 appendix A.3, with 512-bit exponents.
    public static let ffdhe4096 = FFDHEGroup(name: "ffdhe4096", primeHex: ffdhe4096PrimeHex, privateKeyByteCount: 64)

    /// The three groups, smallest first.
    public static let all: [FFDHEGroup] = [.ffdhe2048, .ffdhe3072, .ffdhe4096]

    init(name: String, primeHex: String, privateKeyByteCount: Int) {
        self.name = name
        self.privateKeyByteCount = privateKeyByteCount
        prime = FFDHEGroup.bytes(fromHex: primeHex)
        byteCount = prime.count
        arithmetic = MontgomeryModulus(modulus: FFDHEGroup.limbs(fromBigEndian: prime))
    }

    public static func == (lhs: FFDHEGroup, rhs: FFDHEGroup) -> Bool {
        lhs.name == rhs.name
    }

    /// A fresh random private exponent.
    public func generatePrivateKey(using random: RandomSource = SystemRandomSource()) -> [UInt8] {
        while true {
            let candidate = random.bytes(count: privateKeyByteCount)
            if !ConstantTimeValidation.declassify(ConstantTime.isAllZero(candidate)) { return candidate }
        }
    }

    /// g^x mod p for the private exponent x.
    /// - Throws: `CryptoError.invalidLength` unless the key has
    ///   `privateKeyByteCount` bytes; `CryptoError.invalidPrivateKey` for zero.
    public func publicKey(privateKey: [UInt8]) throws(CryptoError) -> [UInt8] {
        try validatePrivateKey(privateKey)
        var generator = [UInt64](repeating: 0, count: arithmetic.limbCount)
        generator[0] = 2
        let result = privateKey.withUnsafeBytes { arithmetic.power(base: generator, exponent: $0) }
        let publicKey = FFDHEGroup.bigEndianBytes(fromLimbs: result)
        ConstantTimeValidation.declassify(publicKey)
        return publicKey
    }

    /// y^x mod p for our private exponent x and the peer's public value y.
    /// - Throws: `CryptoError.invalidLength` for wrong sizes;
    ///   `CryptoError.invalidPublicKey` unless 1 < y < p-1 (PROTOCOL.md
    ///   section 7); `CryptoError.degenerateSharedSecret` if the result is 1.
    public func sharedSecret(privateKey: [UInt8], publicKey: [UInt8]) throws(CryptoError) -> [UInt8] {
        try validatePrivateKey(privateKey)
        let y = try validatedPublicKey(publicKey)
        let z = privateKey.withUnsafeBytes { arithmetic.power(base: y, exponent: $0) }
        // z == 1, tested by folding all limbs (constant time); only the
        // outcome is public.
        var difference = z[0] ^ 1
        for limb in z.dropFirst() { difference |= limb }
        guard ConstantTimeValidation.declassify(ConstantTime.equalMask(difference, 0)) == 0 else {
            throw .degenerateSharedSecret
        }
        return FFDHEGroup.bigEndianBytes(fromLimbs: z)
    }

    /// Checks 1 < y < p-1, in constant time: a peer's static value arrives
    /// encrypted in Noise (XX hides the initiator's identity from onlookers),
    /// so the value is not treated as public; only the outcome is.
    func validatedPublicKey(_ publicKey: [UInt8]) throws(CryptoError) -> [UInt64] {
        try CryptoError.requireLength("public key", publicKey.count, byteCount)
        let y = FFDHEGroup.limbs(fromBigEndian: publicKey)
        var one = [UInt64](repeating: 0, count: y.count)
        one[0] = 1
        var pMinusOne = arithmetic.modulus
        pMinusOne[0] -= 1 // p is odd: no borrow
        guard ConstantTimeValidation.declassify(MontgomeryModulus.lessMask(one, y)) != 0 else {
            throw .invalidPublicKey(reason: "value must be greater than 1")
        }
        guard ConstantTimeValidation.declassify(MontgomeryModulus.lessMask(y, pMinusOne)) != 0 else {
            throw .invalidPublicKey(reason: "value must be less than p - 1")
        }
        return y
    }

    func validatePrivateKey(_ privateKey: [UInt8]) throws(CryptoError) {
        try CryptoError.requireLength("private key", privateKey.count, privateKeyByteCount)
        // Whether the exponent is zero is public (the key is refused).
        guard !ConstantTimeValidation.declassify(ConstantTime.isAllZero(privateKey)) else {
            throw .invalidPrivateKey(reason: "exponent is zero")
        }
    }

    static func limbs(fromBigEndian bytes: [UInt8]) -> [UInt64] {
        precondition(bytes.count % 8 == 0)
        let count = bytes.count / 8
        return (0..<count).map { limb in
            var value: UInt64 = 0
            let start = bytes.count - 8 * (limb + 1)
            for byte in bytes[start..<(start + 8)] { value = value << 8 | UInt64(byte) }
            return value
        }
    }

    static func bigEndianBytes(fromLimbs limbs: [UInt64]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(limbs.count * 8)
        for limb in limbs.reversed() {
            for shift in stride(from: 56, through: 0, by: -8) {
                bytes.append(UInt8(truncatingIfNeeded: limb >> UInt64(shift)))
            }
        }
        return bytes
    }

    static func bytes(fromHex hex: String) -> [UInt8] {
        let digits = hex.utf8.compactMap { character -> UInt8? in
            switch character {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return character - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return character - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return character - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        precondition(digits.count % 2 == 0, "hex constant has an odd number of digits")
        return stride(from: 0, to: digits.count, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
    }
}
