import KeyGateFixtures
import KeyGateCrypto
@testable import KeyGateKeys

/// Keys with published values (RFC 7748 section 6.1), and a random-source
/// double, shared by the tests.
enum TestKeys {
    /// Alice's X25519 private key, RFC 7748 section 6.1.
    static let alicePrivate: [UInt8] = [UInt8](hex: "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
    /// Alice's X25519 public key, RFC 7748 section 6.1.
    static let alicePublic: [UInt8] = [UInt8](hex: "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
    /// Bob's X25519 public key, RFC 7748 section 6.1.
    static let bobPublic: [UInt8] = [UInt8](hex: "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")

    /// Alice's public key in a key file, padded base64 (computed with
    /// Python's base64 module).
    static let alicePublicBase64 = "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo="
    static let alicePrivateBase64 = "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo="
    static let bobPublicBase64 = "3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08="

    static var alice: PublicKey { get throws { try PublicKey(algorithm: .x25519, bytes: alicePublic) } }
    static var bob: PublicKey { get throws { try PublicKey(algorithm: .x25519, bytes: bobPublic) } }

    /// A fresh random public key of `algorithm`.
    static func random(_ algorithm: KeyAlgorithm = .x25519) -> PublicKey {
        PrivateKey.generate(algorithm: algorithm).publicKey
    }
}

/// A "random" source that returns the same byte over and over.
struct RepeatingRandomSource: RandomSource {
    let byte: UInt8
    func bytes(count: Int) -> [UInt8] { [UInt8](repeating: byte, count: count) }
}
