import KeyGateNoise
import KeyGateSystem
import KeyGateCrypto

/// The pre-shared key of an FTP data connection (PROTOCOL.md section 6):
/// HMAC-SHA256(key = the grant's 32-byte `data_key`, message = ASCII
/// `ftp-data` || the passive command's number as 8 bytes big-endian).
///
/// The `data_key` is random and travels only inside the encrypted grant, so
/// nobody who merely recorded the control handshake can compute the psk
/// (protocol version 1 keyed it with the handshake hash, which is public).
public enum DataConnectionKey {
    /// - Parameters:
    ///   - dataKey: the 32 bytes of the session's `data_key`.
    ///   - passiveNumber: 1 for the first passive command that opened a
    ///     listener in the session, 2 for the next, and so on.
    public static func presharedKey(dataKey: [UInt8], passiveNumber: UInt64) -> [UInt8] {
        presharedKey(dataKey: SecretBytes(dataKey), passiveNumber: passiveNumber)
    }

    /// The psk from the `data_key` as the session holds it.
    public static func presharedKey(dataKey: SecretBytes, passiveNumber: UInt64) -> [UInt8] {
        var message = KeyGateWire.ftpDataLabel
        for shift in stride(from: 56, through: 0, by: -8) {
            message.append(UInt8(truncatingIfNeeded: passiveNumber >> UInt64(shift)))
        }
        return dataKey.withUnsafeBytes { key in
            message.withUnsafeBytes { HMACSHA256.authenticate(key: key, message: $0) }
        }
    }

    /// The protocol name of a data connection for a session whose DH
    /// function is `diffieHellman` (`25519`, `FFDHE2048`).
    public static func protocolName(diffieHellman: any DiffieHellman) -> String {
        "Noise_NNpsk0_\(diffieHellman.name)_ChaChaPoly_SHA256"
    }
}
