// fuzz-modules: CKeyGateSystem CKeyGateCrypto KeyGateCrypto
// fuzz-libraries: openssl
//
// X25519 against OpenSSL (EVP_PKEY_derive) on arbitrary scalars and
// u-coordinates: non-canonical ones (p and above, the top bit set) and,
// chosen by the input, the low-order points and their non-canonical forms,
// for which both must refuse the all-zero result. The public key of every
// scalar (edwards25519 table in KeyGate, OpenSSL's own) must agree too, and
// with the ladder on u = 9.
import KeyGateCrypto

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzX25519(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    let scalar = input.bytes(exactly: 32)
    let selector = input.byte()
    var u = input.bytes(exactly: 32)
    if selector < 2 * UInt8(specialPoints.count) {
        // A special point, with the top bit (which X25519 ignores) set for odd selectors.
        u = specialPoints[Int(selector) / 2]
        if selector & 1 == 1 { u[31] |= 0x80 }
    }
    let context = "scalar \(scalar.hex) u \(u.hex)"

    let ours = try? X25519.sharedSecret(privateKey: scalar, publicKey: u)
    let theirs = OpenSSL.x25519(scalar: scalar, u: u)
    fuzzCheck(ours == theirs, "X25519 \(ours?.hex ?? "refused"), OpenSSL \(theirs?.hex ?? "refused"): \(context)")

    let publicKey = try? X25519.publicKey(privateKey: scalar)
    let reference = OpenSSL.x25519PublicKey(scalar: scalar)
    fuzzCheck(publicKey == reference, "public key \(publicKey?.hex ?? "refused"), OpenSSL \(reference.hex): scalar \(scalar.hex)")
    var nine = [UInt8](repeating: 0, count: 32)
    nine[0] = 9
    fuzzCheck((try? X25519.sharedSecret(privateKey: scalar, publicKey: nine)) == reference, "ladder on 9 differs: scalar \(scalar.hex)")
    return 0
}

/// Points of small order (libsodium's list: RFC 7748 section 6.1 says to
/// refuse their all-zero result), p - 1, and the non-canonical p, p + 1,
/// 2^255 - 1 and 2^255 - 20 + 19k forms that reduce to small values.
private let specialPoints: [[UInt8]] = [
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "0900000000000000000000000000000000000000000000000000000000000000",
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "f6ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
].map { hex in
    let digits = Array(hex.utf8).map { $0 <= 0x39 ? $0 - 0x30 : $0 - 0x57 }
    return stride(from: 0, to: digits.count, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
}
