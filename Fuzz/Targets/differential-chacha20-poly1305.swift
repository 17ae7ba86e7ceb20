// fuzz-modules: CKeyGateSystem CKeyGateCrypto KeyGateCrypto
// fuzz-libraries: openssl
//
// ChaCha20-Poly1305 against OpenSSL (EVP_chacha20_poly1305) on the same
// arbitrary key, nonce, AAD and plaintext of any length up to the fuzzer's
// limit (every ChaCha20 and one-pass AEAD code path): the sealed bytes must
// be identical, each side must open the other's, and after a one-bit
// change anywhere in the ciphertext, the tag or the AAD, or a truncation,
// both must refuse. The plaintext bytes read as a sealed message must get
// the same verdict from both.
import KeyGateCrypto

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzChaCha20Poly1305(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    let key = input.bytes(exactly: 32), nonce = input.bytes(exactly: 12)
    let aad = input.bytes(Int(input.byte()))
    let tamper = Int(input.byte()) << 8 | Int(input.byte())
    let plaintext = input.rest()
    let context = "key \(key.hex) nonce \(nonce.hex) aad \(aad.hex) plaintext \(plaintext.hex)"

    guard let sealed = try? ChaChaPoly.seal(plaintext, key: key, nonce: nonce, authenticating: aad) else {
        fuzzCheck(false, "seal threw: \(context)")
        return 0
    }
    let reference = OpenSSL.chaCha20Poly1305Seal(key: key, nonce: nonce, aad: aad, plaintext: plaintext)
    fuzzCheck(sealed == reference, "sealed \(sealed.hex), OpenSSL \(reference.hex): \(context)")
    fuzzCheck((try? ChaChaPoly.open(reference, key: key, nonce: nonce, authenticating: aad)) == plaintext, "open of OpenSSL's seal: \(context)")
    fuzzCheck(OpenSSL.chaCha20Poly1305Open(key: key, nonce: nonce, aad: aad, sealed: sealed) == plaintext, "OpenSSL open of our seal: \(context)")
    checkInPlace(sealed, plaintext: plaintext, key: key, nonce: nonce, aad: aad, context: context)

    // One change, chosen by the input: a bit of the sealed message, a bit
    // of the AAD, or the last byte cut off.
    var changedSealed = sealed, changedAAD = aad
    let bits = (sealed.count + aad.count) * 8
    let choice = tamper % (bits + 1)
    if choice == bits {
        changedSealed.removeLast()
    } else if choice < sealed.count * 8 {
        changedSealed[choice / 8] ^= 1 << (choice % 8)
    } else {
        let bit = choice - sealed.count * 8
        changedAAD[bit / 8] ^= 1 << (bit % 8)
    }
    let ours = try? ChaChaPoly.open(changedSealed, key: key, nonce: nonce, authenticating: changedAAD)
    fuzzCheck(ours == nil, "opened a message with change \(choice): \(context)")
    if changedSealed.count >= 16 {
        let theirs = OpenSSL.chaCha20Poly1305Open(key: key, nonce: nonce, aad: changedAAD, sealed: changedSealed)
        fuzzCheck(theirs == nil, "OpenSSL opened a message with change \(choice): \(context)")
    }

    // Arbitrary bytes as a sealed message: the same verdict and plaintext.
    if plaintext.count >= 16 {
        let ours = try? ChaChaPoly.open(plaintext, key: key, nonce: nonce, authenticating: aad)
        let theirs = OpenSSL.chaCha20Poly1305Open(key: key, nonce: nonce, aad: aad, sealed: plaintext)
        fuzzCheck(ours == theirs, "verdicts differ on arbitrary sealed bytes: \(context)")
    }
    return 0
}

/// The in-place forms (as the Noise transport calls them) give the same
/// bytes and open again.
private func checkInPlace(_ sealed: [UInt8], plaintext: [UInt8], key: [UInt8], nonce: [UInt8], aad: [UInt8], context: String) {
    guard let cipherKey = try? ChaCha20.Key(key), let cipherNonce = try? ChaCha20.Nonce(nonce) else {
        fuzzCheck(false, "key or nonce refused: \(context)")
        return
    }
    var buffer = plaintext + [UInt8](repeating: 0, count: 16)
    buffer.withUnsafeMutableBytes { buffer in
        aad.withUnsafeBytes { aad in
            ChaChaPoly.seal(UnsafeMutableRawBufferPointer(rebasing: buffer[0..<plaintext.count]), tag: buffer.baseAddress! + plaintext.count,
                            key: cipherKey, nonce: cipherNonce, aad: aad)
        }
    }
    fuzzCheck(buffer == sealed, "in-place seal differs: \(context)")
    let opened = buffer.withUnsafeMutableBytes { buffer in
        aad.withUnsafeBytes { aad in
            (try? ChaChaPoly.open(UnsafeMutableRawBufferPointer(rebasing: buffer[0..<plaintext.count]),
                                  tag: UnsafeRawPointer(buffer.baseAddress! + plaintext.count),
                                  key: cipherKey, nonce: cipherNonce, aad: aad)) != nil
        }
    }
    fuzzCheck(opened && Array(buffer.prefix(plaintext.count)) == plaintext, "in-place open failed: \(context)")
}
