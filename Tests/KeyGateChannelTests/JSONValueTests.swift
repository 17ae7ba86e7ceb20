import KeyGateChannel
import Testing

/// RFC 8259 at its edges, as `JSONValue` documents it: a strict parser
/// (no trailing data, no duplicate member names, at most 32 levels, valid
/// UTF-8 and escapes only) and a compact serializer that keeps member order.
struct JSONValueTests {
    static func parse(_ text: String) throws -> JSONValue {
        try JSONValue.parse(Array(text.utf8))
    }

    // MARK: Strings (RFC 8259 section 7)

    @Test func everyShortEscapeParses() throws {
        #expect(try Self.parse(#""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{08}\u{0C}\n\r\t"))
    }

    @Test(arguments: [
        (#""\u0041""#, "A"), (#""\u00e9""#, "é"), (#""\u00E9""#, "é"), (#""\u0000""#, "\u{0}"),
        (#""\u2028""#, "\u{2028}"), (#""\ud83d\ude00""#, "😀"), (#""\uD83D\uDE00""#, "😀"),
        (#""a\u0062c""#, "abc"), (#""\uffff""#, "\u{FFFF}"),
    ])
    func unicodeEscapesParse(text: String, expected: String) throws {
        #expect(try Self.parse(text) == .string(expected))
    }

    /// Section 8.2: a lone surrogate is no character; the parser refuses it.
    @Test(arguments: [
        #""\ud83d""#, #""\ud83dx""#, #""\ud83d\u0041""#, #""\ud83d\ud83d""#, #""\ude00""#, #""\udfff\ud800""#,
        #""\ud83d\""#, #""\ud83d\n""#,
    ])
    func loneSurrogatesAreRefused(text: String) {
        #expect(throws: JSONParseError.self) { try Self.parse(text) }
    }

    @Test(arguments: [#""\x""#, #""\u12""#, #""\u12g4""#, #""\U0041""#, #""\""#, #""abc"#, #"""#, #""\'""#])
    func badEscapesAndUnterminatedStringsAreRefused(text: String) {
        #expect(throws: JSONParseError.self) { try Self.parse(text) }
    }

    @Test(arguments: [UInt8(0x00), 0x01, 0x09, 0x0a, 0x1f])
    func rawControlCharactersInAStringAreRefused(byte: UInt8) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse([0x22, byte, 0x22]) }
    }

    @Test func delAndNonASCIIInAStringAreText() throws {
        #expect(try JSONValue.parse([0x22, 0x7f, 0xc3, 0xa9, 0x22]) == .string("\u{7f}é"))
    }

    /// Section 8.1: JSON text is UTF-8; a string that is not is refused.
    @Test(arguments: [
        [UInt8(0x22), 0xff, 0x22], [0x22, 0xc3, 0x22], [0x22, 0xc0, 0x80, 0x22], [0x22, 0xed, 0xa0, 0x80, 0x22],
        [0x22, 0xf4, 0x90, 0x80, 0x80, 0x22], [0x22, 0x80, 0x22],
    ])
    func invalidUTF8IsRefused(bytes: [UInt8]) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(bytes) }
    }

    // MARK: Numbers (section 6)

    @Test(arguments: [
        ("0", JSONValue.integer(0)), ("-0", .integer(0)), ("42", .integer(42)), ("-12", .integer(-12)),
        ("9223372036854775807", .integer(Int.max)), ("-9223372036854775808", .integer(Int.min)),
        ("9223372036854775808", .double(9223372036854775808)), ("1.5", .double(1.5)), ("-0.25", .double(-0.25)),
        ("1e3", .double(1000)), ("1E+2", .double(100)), ("25e-2", .double(0.25)), ("0.0", .double(0)),
    ])
    func numbersParse(text: String, expected: JSONValue) throws {
        #expect(try Self.parse(text) == expected)
    }

    @Test(arguments: ["01", "-01", "+1", ".5", "1.", "1.e2", "1e", "1e+", "-", "--1", "0x10", "1e400", "-1e400", "NaN", "Infinity", "1_000"])
    func malformedOrInfiniteNumbersAreRefused(text: String) {
        #expect(throws: JSONParseError.self) { try Self.parse(text) }
    }

    // MARK: Structure

    @Test func whitespaceIsTheFourCharactersOfSection2() throws {
        let value = try Self.parse(" \t\r\n{ \"a\" :\t[ 1 ,\r\n2 ] , \"b\" : { } }\n")
        #expect(value == .object([("a", .array([.integer(1), .integer(2)])), ("b", .object([]))]))
    }

    @Test(arguments: ["\u{0C}1", "1\u{0B}", "\u{A0}1", "\u{FEFF}1", "\u{2028}1"])
    func otherWhitespaceIsRefused(text: String) {
        #expect(throws: JSONParseError.self) { try Self.parse(text) }
    }

    @Test(arguments: ["true", "false", "null"])
    func literalsParse(text: String) throws {
        #expect(try Self.parse(text).description == text)
    }

    @Test(arguments: [
        "", " ", "tru", "nul", "True", "NULL", "[1,]", "{\"a\":1,}", "[,1]", "{\"a\" 1}", "{1:2}", "{'a':1}",
        "[1 2]", "{\"a\":1 \"b\":2}", "[", "{", "]", "{\"a\"}", "{} {}", "1 2", "[1],", "\"a\"x",
    ])
    func malformedStructureIsRefused(text: String) {
        #expect(throws: JSONParseError.self) { try Self.parse(text) }
    }

    /// Only arrays and objects count: 32 of them may nest, whatever the
    /// innermost holds.
    @Test func thirtyTwoLevelsParseAndThirtyThreeDoNot() throws {
        let deepest = String(repeating: "[", count: 32) + String(repeating: "]", count: 32)
        #expect(throws: Never.self) { try Self.parse(deepest) }
        let deepestWithAScalar = String(repeating: "[", count: 32) + "1" + String(repeating: "]", count: 32)
        #expect(throws: Never.self) { try Self.parse(deepestWithAScalar) }
        let tooDeep = String(repeating: "[", count: 33) + String(repeating: "]", count: 33)
        #expect(throws: JSONParseError.self) { try Self.parse(tooDeep) }
        let mixed = String(repeating: "{\"a\":[", count: 16) + "0" + String(repeating: "]}", count: 16)
        #expect(throws: Never.self) { try Self.parse(mixed) }
        let mixedTooDeep = "[" + mixed + "]"
        #expect(throws: JSONParseError.self) { try Self.parse(mixedTooDeep) }
        #expect(JSONValue.maximumDepth == 32)
    }

    @Test func hostileNestingEndsWithAnErrorNotACrash() {
        #expect(throws: JSONParseError.self) { try Self.parse(String(repeating: "[", count: 100_000)) }
    }

    /// Section 4 leaves duplicate names to the implementation: this one
    /// refuses them, also when escapes spell the same name.
    @Test func duplicateMemberNamesAreRefused() throws {
        #expect(throws: JSONParseError.self) { try Self.parse(#"{"a":1,"a":2}"#) }
        #expect(throws: JSONParseError.self) { try Self.parse(#"{"a":1,"\u0061":2}"#) }
        #expect(try Self.parse(#"{"a":{"a":1},"b":[{"a":2}]}"#)["a"]?["a"] == .integer(1), "the same name at another level is fine")
    }

    @Test func errorsNameWhereAndWhy() {
        let duplicate = #expect(throws: JSONParseError.self) { try Self.parse(#"{"a":1, "a":2}"#) }
        #expect(duplicate?.offset == 11 && duplicate?.reason == "duplicate member \"a\"")
        let trailing = #expect(throws: JSONParseError.self) { try Self.parse("{} x") }
        #expect(trailing?.offset == 3 && trailing?.reason == "unexpected data after the value")
    }

    // MARK: Serialization

    @Test func membersKeepTheirOrderAndTheOutputIsCompact() {
        let value = JSONValue.object([
            ("ok", .bool(true)), ("port", .integer(7742)), ("name", .string("alice")), ("list", .array([.null, .double(1.5)])),
        ])
        #expect(value.description == #"{"ok":true,"port":7742,"name":"alice","list":[null,1.5]}"#)
    }

    @Test func stringsAreEscapedAsDocumented() {
        let value = JSONValue.string("q\" b\\ n\n r\r t\t \u{1} \u{7f} \u{2028}\u{2029} é😀 /")
        #expect(value.description == #""q\" b\\ n\n r\r t\t \u0001 \u007f \u2028\u2029 é😀 /""#)
    }

    @Test func nonFiniteDoublesBecomeNull() {
        #expect(JSONValue.array([.double(.infinity), .double(-.infinity), .double(.nan)]).description == "[null,null,null]")
    }

    @Test func serializedValuesParseBackToThemselves() throws {
        let value = JSONValue.object([
            ("text", .string("\u{0}\u{1f}\"\\\u{2028}é😀")), ("n", .integer(-3)), ("x", .double(0.1)),
            ("nested", .array([.object([("k", .bool(false))]), .array([]), .null])),
        ])
        #expect(try JSONValue.parse(value.bytes) == value)
    }
}
