/// Base64 with the standard alphabet (RFC 4648 section 4).
///
/// Key files are written padded; readers accept padded and unpadded text
/// (protocol-v1 section 9). Anything else is rejected: characters outside the
/// alphabet (whitespace included), padding in the middle or of the wrong
/// length, and non-zero unused bits in the last character (RFC 4648 section
/// 3.5), so that every key has exactly one spelling in each form.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// The value of each ASCII byte in the alphabet, or 0xFF.
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, character) in alphabet.enumerated() {
            table[Int(character)] = UInt8(value)
        }
        return table
    }()

    /// The base64 text of `bytes`, with `=` padding unless `padded` is false.
    public static func encode(_ bytes: [UInt8], padded: Bool = true) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= bytes.count {
            let group = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            for shift in [18, 12, 6, 0] as [UInt32] {
                output.append(alphabet[Int(group >> shift & 0x3F)])
            }
            index += 3
        }
        let remaining = bytes.count - index
        if remaining > 0 {
            var group = UInt32(bytes[index]) << 16
            if remaining == 2 { group |= UInt32(bytes[index + 1]) << 8 }
            // One byte gives two characters, two bytes give three.
            for shift in [18, 12, 6].prefix(remaining + 1) as ArraySlice<UInt32> {
                output.append(alphabet[Int(group >> shift & 0x3F)])
            }
            if padded {
                output.append(contentsOf: repeatElement(UInt8(ascii: "="), count: 3 - remaining))
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The bytes encoded by `text`, padded or unpadded, or nil if `text` is
    /// not canonical base64 (see the type's description).
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var characters = Array(text.utf8)
        if characters.count % 4 == 0, characters.last == UInt8(ascii: "=") {
            characters.removeLast()
            if characters.last == UInt8(ascii: "=") { characters.removeLast() }
        }
        // A lone character in the last group carries only 6 bits: never valid.
        guard characters.count % 4 != 1 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(characters.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bitCount = 0
        for character in characters {
            let value = values[Int(character)]
            guard value != 0xFF else { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            bitCount += 6
            if bitCount >= 8 {
                bitCount -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bitCount)))
                accumulator &= (1 << UInt32(bitCount)) - 1
            }
        }
        // The bits left over after the last whole byte must be zero.
        guard accumulator == 0 else { return nil }
        return output
    }
}
