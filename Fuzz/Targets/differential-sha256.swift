// fuzz-modules: CKeyGateSystem CKeyGateCrypto KeyGateCrypto
// fuzz-libraries: openssl
//
// SHA-256, HMAC-SHA256 and HKDF-SHA256 against OpenSSL (SHA256, HMAC,
// EVP_KDF "HKDF") on arbitrary messages, keys of any length (shorter than,
// equal to and longer than a block), salts, infos and output lengths (up
// to the RFC 5869 limit of 8160 bytes and past it, where both must refuse;
// OpenSSL has no answer for 0 bytes).
// The incremental forms, fed in two pieces split where the input says,
// must give the one-shot result.
import KeyGateCrypto

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSHA256(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    switch input.byte() % 3 {
    case 0:
        let split = Int(input.byte()) << 8 | Int(input.byte())
        let message = input.rest()
        let digest = SHA256.hash(message)
        fuzzCheck(digest == OpenSSL.sha256(message), "SHA-256 of \(message.hex)")
        var hasher = SHA256Hasher()
        let cut = message.isEmpty ? 0 : split % (message.count + 1)
        hasher.update(Array(message[..<cut]))
        hasher.update(Array(message[cut...]))
        fuzzCheck(hasher.finalize() == digest, "SHA-256 in two pieces at \(cut) of \(message.hex)")
    case 1:
        let key = input.bytes(Int(input.byte()) + Int(input.byte() & 1) * 64)
        let split = Int(input.byte())
        let message = input.rest()
        let tag = HMACSHA256.authenticate(key: key, message: message)
        fuzzCheck(tag == OpenSSL.hmacSHA256(key: key, message: message), "HMAC key \(key.hex) message \(message.hex)")
        var authenticator = HMACSHA256.Authenticator(key: key)
        let cut = message.isEmpty ? 0 : split % (message.count + 1)
        authenticator.update(Array(message[..<cut]))
        authenticator.update(Array(message[cut...]))
        fuzzCheck(authenticator.finalize() == tag, "HMAC in two pieces at \(cut): key \(key.hex) message \(message.hex)")
    default:
        let inputKeyMaterial = input.bytes(Int(input.byte()))
        let salt = input.bytes(Int(input.byte()))
        let info = input.bytes(Int(input.byte()))
        let count = (Int(input.byte()) << 8 | Int(input.byte())) % (HKDFSHA256.maximumOutputByteCount + 64)
        let ours = try? HKDFSHA256.deriveKey(inputKeyMaterial: inputKeyMaterial, salt: salt, info: info, outputByteCount: count)
        guard count > 0 else {
            // OpenSSL refuses to derive nothing; KeyGate documents 0...8160
            // and returns no bytes.
            fuzzCheck(ours == [], "HKDF of 0 bytes")
            return 0
        }
        let theirs = OpenSSL.hkdfSHA256(inputKeyMaterial: inputKeyMaterial, salt: salt, info: info, count: count)
        fuzzCheck(ours == theirs, "HKDF of \(count) bytes: ikm \(inputKeyMaterial.hex) salt \(salt.hex) info \(info.hex): ours \(ours?.hex ?? "refused"), OpenSSL \(theirs?.hex ?? "refused")")
    }
    return 0
}
