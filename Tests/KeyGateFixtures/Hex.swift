// Test-only helpers for writing byte fixtures as hexadecimal text, shared
// by the test targets of every layer.

extension Array where Element == UInt8 {
    /// Decodes hexadecimal text (upper or lower case). Spaces, tabs and line
    /// breaks are ignored so long fixtures can be wrapped. Any other
    /// character, or an odd number of digits, traps: fixtures are constants.
    public init(hex: String) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(hex.utf8.count / 2)
        var high: UInt8?
        for character in hex.utf8 {
            let nibble: UInt8
            switch character {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                nibble = character - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"):
                nibble = character - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"):
                nibble = character - UInt8(ascii: "A") + 10
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                continue
            default:
                preconditionFailure("invalid hex character \(Unicode.Scalar(character)) in a test fixture")
            }
            if let pending = high {
                bytes.append(pending << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        precondition(high == nil, "odd number of hex digits in a test fixture")
        self = bytes
    }

    /// Lower-case hexadecimal rendering, two digits per byte, no separators.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(count * 2)
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
