import KeyGateSystem
import KeyGateCrypto

/// `--lab-fixed-ephemeral SEED`: ephemeral keys (and ftp grants'
/// `data_key`) derived from a number instead of the kernel's random
/// source, so that every XX and NNpsk0 handshake of a lab is the same,
/// byte for byte, and a class can compare its capture with a published
/// one. IK message 1 still differs: it carries the client's clock.
///
/// It destroys what ephemeral keys are for: every session's keys can be
/// worked out by anyone who knows the seed, and a recorded session gives
/// nothing forward secrecy would protect. So it is refused unless
/// `KEYGATE_LAB=1` is set, and every handshake that uses it is logged.
public struct LabFixedEphemeral: Sendable {
    /// The environment variable that must be `1` for the option to be accepted.
    public static let environmentVariable = "KEYGATE_LAB"
    /// What is logged at every handshake that uses it.
    public static let warning = "lab fixed ephemeral keys: this handshake is reproducible and has no forward secrecy; anyone who knows the seed can decrypt it"

    /// Whose keys: the two sides of a handshake get different ones.
    public enum Role: String, Sendable {
        case initiator
        case responder
    }

    public let seed: UInt64

    public init(seed: UInt64) {
        self.seed = seed
    }

    /// The random source of `role`'s handshakes: every request for n
    /// bytes returns the same n bytes. `onUse` runs at each request (once
    /// per handshake: its ephemeral key).
    public func source(for role: Role, onUse: @escaping @Sendable () -> Void = {}) -> any RandomSource {
        FixedSource(label: "ephemeral " + role.rawValue, seed: seed, onUse: onUse)
    }

    /// The `data_key` of every ftp grant (PROTOCOL.md section 3.5), so that
    /// the data connections' psk, and with it NNpsk0, repeat too.
    public var dataKey: [UInt8] {
        FixedSource.expand(label: "data_key", seed: seed, count: KeyGateWire.dataKeyByteCount)
    }

    /// SHA-256 in counter mode over a label and the seed.
    struct FixedSource: RandomSource {
        let label: String
        let seed: UInt64
        let onUse: @Sendable () -> Void

        func bytes(count: Int) -> [UInt8] {
            onUse()
            return Self.expand(label: label, seed: seed, count: count)
        }

        static func expand(label: String, seed: UInt64, count: Int) -> [UInt8] {
            var output: [UInt8] = []
            var block: UInt32 = 0
            let prefix = Array("KeyGate lab \(label) ".utf8) + (0..<8).map { UInt8(truncatingIfNeeded: seed >> (56 - 8 * $0)) }
            while output.count < count {
                output += SHA256.hash(prefix + (0..<4).map { UInt8(truncatingIfNeeded: block >> (24 - 8 * $0)) })
                block += 1
            }
            return Array(output.prefix(count))
        }
    }
}
