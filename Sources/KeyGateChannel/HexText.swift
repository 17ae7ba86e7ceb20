import KeyGateSystem

/// Lowercase hexadecimal, the form traces give public values in.
public enum HexText {
    /// `bytes` as lowercase hex, two digits each.
    public static func encode(_ bytes: [UInt8]) -> String {
        Hex.encode(bytes)
    }

    /// The first and last 4 bytes, for a line a person reads: `8520f009...882b4f42`.
    public static func abbreviated(_ bytes: [UInt8]) -> String {
        guard bytes.count > 8 else { return encode(bytes) }
        return encode(Array(bytes.prefix(4))) + "..." + encode(Array(bytes.suffix(4)))
    }

    /// Whether `text` is lowercase hex of whole bytes.
    public static func isHex(_ text: String) -> Bool {
        text.utf8.count % 2 == 0 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
