import KeyGateCrypto

/// Base64 with the standard alphabet (RFC 4648 section 4).
///
/// Key files are written padded; readers accept padded and unpadded text
/// (PROTOCOL.md sections 8 and 9). Anything else is rejected: characters outside the
/// alphabet (whitespace included), padding in the middle or of the wrong
/// length, and non-zero unused bits in the last character (RFC 4648 section
/// 3.5), so that every key has exactly one spelling in each form.
///
/// Constant time, because private keys are base64 text: no branch and no
/// memory index depends on the value of a byte of the data or the text. A
/// character's value is computed from range tests done with arithmetic (as
/// in BoringSSL's constant-time base64 and libsodium's sodium_base642bin),
/// not looked up in a table, and a bad character is noted in an accumulator
/// rather than ending the loop. What may be public is declassified for the
/// constant-time checker: the number of `=` at the end (it only tells the
/// decoded length, which is public) and whether the text was accepted.
public enum Base64 {
    /// The base64 text of `bytes`, with `=` padding unless `padded` is false.
    public static func encode(_ bytes: [UInt8], padded: Bool = true) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= bytes.count {
            let group = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            output.append(character(of: group >> 18))
            output.append(character(of: group >> 12))
            output.append(character(of: group >> 6))
            output.append(character(of: group))
            index += 3
        }
        let remaining = bytes.count - index
        if remaining > 0 {
            var group = UInt32(bytes[index]) << 16
            if remaining == 2 { group |= UInt32(bytes[index + 1]) << 8 }
            // One byte gives two characters, two bytes give three.
            output.append(character(of: group >> 18))
            output.append(character(of: group >> 12))
            if remaining == 2 { output.append(character(of: group >> 6)) }
            if padded {
                output.append(contentsOf: repeatElement(UInt8(ascii: "="), count: 3 - remaining))
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The bytes encoded by `text`, padded or unpadded, or nil if `text` is
    /// not canonical base64 (see the type's description).
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        // Straight from the string's own storage: copying it into a String
        // first would scan the secret text for non-ASCII bytes.
        if let decoded = text.utf8.withContiguousStorageIfAvailable({ decode(utf8: UnsafeRawBufferPointer($0)) }) {
            return decoded
        }
        return Array(text.utf8).withUnsafeBytes { decode(utf8: $0) }
    }

    /// `decode` of the UTF-8 bytes of the text.
    static func decode(utf8 characters: UnsafeRawBufferPointer) -> [UInt8]? {
        var count = characters.count
        if count % 4 == 0 && count > 0 {
            // Up to two `=` end a padded text: counted without a branch.
            let last = ByteMask.isEqual(characters[count - 1], UInt8(ascii: "="))
            let both = last & ByteMask.isEqual(characters[count - 2], UInt8(ascii: "="))
            count -= Int(ConstantTimeValidation.declassify((last & 1) + (both & 1)))
        }
        // A lone character in the last group carries only 6 bits: never valid.
        guard count % 4 != 1 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(count * 3 / 4)
        var invalid: UInt32 = 0
        var accumulator: UInt32 = 0
        var bitCount = 0
        for index in 0..<count {
            let (value, isInvalid) = value(of: characters[index])
            invalid |= isInvalid
            accumulator = accumulator << 6 | value
            bitCount += 6
            if bitCount >= 8 {
                bitCount -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bitCount)))
                accumulator &= (1 << UInt32(bitCount)) - 1
            }
        }
        // The bits left over after the last whole byte must be zero.
        invalid |= ByteMask.isNonZero(accumulator)
        guard ConstantTimeValidation.declassify(invalid) == 0 else { return nil }
        return output
    }

    /// The character for the low six bits of `sextet`: A-Z a-z 0-9 + /,
    /// each range selected by a mask.
    @inline(__always)
    static func character(of sextet: UInt32) -> UInt8 {
        let x = sextet & 0x3F
        var character = ByteMask.isLess(x, 26) & (x &+ UInt32(UInt8(ascii: "A")))
        character |= ByteMask.isInRange(x, 26, 51) & (x &+ (UInt32(UInt8(ascii: "a")) &- 26))
        character |= ByteMask.isInRange(x, 52, 61) & (x &- (52 &- UInt32(UInt8(ascii: "0"))))
        character |= ByteMask.isEqual(UInt8(x), 62) & UInt32(UInt8(ascii: "+"))
        character |= ByteMask.isEqual(UInt8(x), 63) & UInt32(UInt8(ascii: "/"))
        // Every character is ASCII: saying so with a mask (which changes no
        // value) lets memcheck see that the top bit holds no secret, so the
        // ASCII check String(decoding:) makes is not reported as a leak.
        return UInt8(truncatingIfNeeded: character) & 0x7F
    }

    /// The six-bit value of `character`, and 0xFF if it is not in the
    /// alphabet (its value is then 0).
    @inline(__always)
    static func value(of character: UInt8) -> (value: UInt32, invalid: UInt32) {
        let c = UInt32(character)
        let upper = ByteMask.isInRange(c, UInt32(UInt8(ascii: "A")), UInt32(UInt8(ascii: "Z")))
        let lower = ByteMask.isInRange(c, UInt32(UInt8(ascii: "a")), UInt32(UInt8(ascii: "z")))
        let digit = ByteMask.isInRange(c, UInt32(UInt8(ascii: "0")), UInt32(UInt8(ascii: "9")))
        let plus = ByteMask.isEqual(character, UInt8(ascii: "+"))
        let slash = ByteMask.isEqual(character, UInt8(ascii: "/"))
        var value = upper & (c &- UInt32(UInt8(ascii: "A")))
        value |= lower & (c &- (UInt32(UInt8(ascii: "a")) &- 26))
        value |= digit & (c &+ (52 &- UInt32(UInt8(ascii: "0"))))
        value |= plus & 62
        value |= slash & 63
        let valid = upper | lower | digit | plus | slash
        return (value & 0x3F, valid ^ 0xFF)
    }
}
