// fuzz-modules: CKeyGateSystem CKeyGateCrypto KeyGateCrypto
// fuzz-libraries: openssl
//
// FFDHE modular exponentiation against OpenSSL's BN_mod_exp, in the three
// RFC 7919 groups, on arbitrary bases below p and arbitrary exponents of
// 0 to 255 bytes (MontgomeryModulus.power: Montgomery multiplication and
// reduction, the 4-bit window table). Through the public API too: the
// public key of a private exponent, and the shared secret with an
// arbitrary public value, whose validation (1 < y < p-1) must agree with
// OpenSSL's comparisons and whose result must be BN_mod_exp's.
@testable import KeyGateCrypto

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFFDHE(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    let group = FFDHEGroup.all[Int(input.byte()) % FFDHEGroup.all.count]
    let exponent = input.bytes(Int(input.byte()))
    var base = input.bytes(exactly: group.byteCount)
    let context = "\(group.name) base \(base.hex) exponent \(exponent.hex)"

    // Public values as received: validated, then raised to a private key.
    let privateKey = Array((exponent + [UInt8](repeating: 1, count: group.privateKeyByteCount)).prefix(group.privateKeyByteCount))
    let ours = try? group.sharedSecret(privateKey: privateKey, publicKey: base)
    var one = [UInt8](repeating: 0, count: group.byteCount)
    one[one.count - 1] = 1
    var pMinusOne = group.prime
    pMinusOne[pMinusOne.count - 1] -= 1
    let valid = OpenSSL.isLess(one, base) && OpenSSL.isLess(base, pMinusOne)
    if valid {
        let expected = OpenSSL.modularExponentiation(base: base, exponent: privateKey, modulus: group.prime)
        let degenerate = expected == one
        fuzzCheck(ours == (degenerate ? nil : expected), "shared secret \(ours?.hex ?? "refused"): \(context)")
    } else {
        fuzzCheck(ours == nil, "accepted the public value \(base.hex) outside 1 < y < p - 1")
    }

    // The exponentiation itself, on any base below p: p's top 64 bits are
    // all ones, so a base of p or more becomes one below p without its top bit.
    if !OpenSSL.isLess(base, group.prime) { base[0] &= 0x7F }
    let result = exponent.withUnsafeBytes { group.arithmetic.power(base: FFDHEGroup.limbs(fromBigEndian: base), exponent: $0) }
    let expected = OpenSSL.modularExponentiation(base: base, exponent: exponent, modulus: group.prime)
    fuzzCheck(FFDHEGroup.bigEndianBytes(fromLimbs: result) == expected, "power differs: \(context)")

    // The public key: 2^x mod p, or a refusal for x = 0.
    let publicKey = try? group.publicKey(privateKey: privateKey)
    let two = [UInt8](repeating: 0, count: group.byteCount - 1) + [2]
    let zero = privateKey.allSatisfy { $0 == 0 }
    fuzzCheck(publicKey == (zero ? nil : OpenSSL.modularExponentiation(base: two, exponent: privateKey, modulus: group.prime)),
              "public key differs: \(group.name) private key \(privateKey.hex)")
    return 0
}
