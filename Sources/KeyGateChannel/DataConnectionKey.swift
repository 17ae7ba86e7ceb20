import KeyGateCrypto

/// The pre-shared key of an FTP data connection (protocol-v1 section 6):
/// HMAC-SHA256(key = the session's handshake hash, message = ASCII
/// `ftp-data` || the passive command's number as 8 bytes big-endian).
public enum DataConnectionKey {
    /// - Parameters:
    ///   - handshakeHash: the session's Noise handshake hash h.
    ///   - passiveNumber: 1 for the first passive command that opened a
    ///     listener in the session, 2 for the next, and so on.
    public static func presharedKey(handshakeHash: [UInt8], passiveNumber: UInt64) -> [UInt8] {
        var message = Array("ftp-data".utf8)
        for shift in stride(from: 56, through: 0, by: -8) {
            message.append(UInt8(truncatingIfNeeded: passiveNumber >> UInt64(shift)))
        }
        return HMACSHA256.authenticate(key: handshakeHash, message: message)
    }

    /// The protocol name of a data connection for a session whose DH
    /// function is `diffieHellmanName` (`25519`, `FFDHE2048`).
    public static func protocolName(diffieHellmanName: String) -> String {
        "Noise_NNpsk0_\(diffieHellmanName)_ChaChaPoly_SHA256"
    }
}
