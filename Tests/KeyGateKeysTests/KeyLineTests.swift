@testable import KeyGateKeys
import Testing

struct KeyLineTests {
    @Test func parsesAlgorithmKeyAndCommentWithSpaces() throws {
        let line = try KeyLine(parsing: "x25519 \(TestKeys.alicePublicBase64)   alice at the\tlaptop  ")
        #expect(line.algorithm == .x25519)
        #expect(line.keyBytes == TestKeys.alicePublic)
        #expect(line.comment == "alice at the\tlaptop")
    }

    @Test func toleratesTabsAndLeadingWhitespace() throws {
        let line = try KeyLine(parsing: "\t x25519\t\(TestKeys.alicePublicBase64)")
        #expect(line.keyBytes == TestKeys.alicePublic)
        #expect(line.comment == nil)
    }

    @Test func acceptsUnpaddedBase64() throws {
        let unpadded = String(TestKeys.alicePublicBase64.dropLast())
        let line = try KeyLine(parsing: "x25519 \(unpadded) alice")
        #expect(line.keyBytes == TestKeys.alicePublic)
        // ...and writes it padded again.
        #expect(line.text == "x25519 \(TestKeys.alicePublicBase64) alice")
    }

    @Test func rejectsUnknownAlgorithm() {
        #expect(throws: KeyLineProblem.unknownAlgorithm("ed25519")) {
            try KeyLine(parsing: "ed25519 \(TestKeys.alicePublicBase64) alice")
        }
        // Names are case-sensitive, as in the protocol.
        #expect(throws: KeyLineProblem.unknownAlgorithm("X25519")) {
            try KeyLine(parsing: "X25519 \(TestKeys.alicePublicBase64)")
        }
    }

    @Test func rejectsMissingFields() {
        #expect(throws: KeyLineProblem.missingFields(expected: KeyLine.format)) { try KeyLine(parsing: "x25519") }
        #expect(throws: KeyLineProblem.missingFields(expected: KeyLine.format)) { try KeyLine(parsing: "x25519   ") }
        #expect(throws: KeyLineProblem.missingFields(expected: KeyLine.format)) { try KeyLine(parsing: "") }
    }

    @Test func rejectsBadBase64AndTrailingGarbageInTheKey() {
        #expect(throws: KeyLineProblem.invalidBase64) { try KeyLine(parsing: "x25519 not*base64 alice") }
        #expect(throws: KeyLineProblem.invalidBase64) { try KeyLine(parsing: "x25519 \(TestKeys.alicePublicBase64)xyz!") }
    }

    @Test func rejectsControlCharactersButNotTabs() {
        #expect(throws: KeyLineProblem.controlCharacter(0x1B)) {
            try KeyLine(parsing: "x25519 \(TestKeys.alicePublicBase64) \u{1B}[2Jalice")
        }
        #expect(throws: KeyLineProblem.controlCharacter(0x0D)) {
            try KeyLine(parsing: "x25519 \(TestKeys.alicePublicBase64)\ralice")
        }
        #expect(throws: Never.self) { try KeyLine(parsing: "x25519\t\(TestKeys.alicePublicBase64)\talice") }
    }

    @Test func keySizeIsCheckedWhenTheKeyIsTaken() throws {
        let short = Base64.encode(Array(TestKeys.alicePublic.dropLast()))
        let line = try KeyLine(parsing: "x25519 \(short)")
        #expect(throws: KeyLineProblem.wrongKeySize(algorithm: .x25519, isPrivate: false, expected: 32, actual: 31)) {
            try line.publicKey()
        }
        let ffdhe = try KeyLine(parsing: "ffdhe2048 \(TestKeys.alicePublicBase64)")
        #expect(throws: KeyLineProblem.wrongKeySize(algorithm: .ffdhe2048, isPrivate: false, expected: 256, actual: 32)) {
            try ffdhe.publicKey()
        }
    }

    @Test func controlCharactersInAWrittenCommentBecomeSpaces() {
        let line = KeyLine(algorithm: .x25519, keyBytes: TestKeys.alicePublic, comment: "evil\nx25519 AAAA\r")
        #expect(line.text == "x25519 \(TestKeys.alicePublicBase64) evil x25519 AAAA")
        #expect(!line.text.contains("\n"))
        #expect(KeyLine(algorithm: .x25519, keyBytes: [], comment: "  ").comment == nil)
    }

    /// Found by fuzzing (Fuzz/Crashes/key-files/crash-6c577d27...): a
    /// comment starting with a combining mark (U+0353) joined the space
    /// before it into one Character, so the written line's key field ran on
    /// into the comment and the line no longer parsed. A valid allow-list
    /// name can start with such a mark.
    @Test func commentStartingWithACombiningMarkReadsBack() throws {
        for comment in ["\u{353}", "\u{301}alice", "alice \u{301}bob"] {
            let written = KeyLine(algorithm: .x25519, keyBytes: TestKeys.alicePublic, comment: comment)
            let parsed = try KeyLine(parsing: written.text)
            #expect(parsed == written, "comment \(comment.debugDescription)")
            #expect(parsed.keyBytes == TestKeys.alicePublic)
        }
    }

    @Test func blankAndCommentLinesAreIgnorable() {
        #expect(KeyLine.isIgnorable(""))
        #expect(KeyLine.isIgnorable(" \t "))
        #expect(KeyLine.isIgnorable("# x25519 AAAA"))
        #expect(KeyLine.isIgnorable("   # indented comment"))
        #expect(!KeyLine.isIgnorable("x25519 AAAA"))
    }

    @Test func describesUnknownAlgorithmWithTheAlternatives() {
        #expect(KeyLineProblem.unknownAlgorithm("ed25519").description
            == "unknown algorithm 'ed25519' (expected x25519, ffdhe2048, ffdhe3072 or ffdhe4096)")
    }

    // MARK: The constant-time split

    /// The parse KeyLine used before its split became constant time: on
    /// Unicode scalars, with the general category for control characters.
    /// The byte-class parse must give the same line or the same problem.
    static func scalarParse(_ line: String) -> Result<KeyLine, KeyLineProblem> {
        func isSeparator(_ scalar: Unicode.Scalar) -> Bool { scalar == " " || scalar == "\t" }
        func nextField(_ text: Substring) -> (Substring, Substring) {
            let scalars = text.unicodeScalars
            let start = scalars.firstIndex { !isSeparator($0) } ?? scalars.endIndex
            let end = scalars[start...].firstIndex(where: isSeparator) ?? scalars.endIndex
            return (Substring(scalars[start..<end]), Substring(scalars[end...]))
        }
        func trimmed(_ text: Substring) -> Substring {
            let scalars = text.unicodeScalars
            guard let first = scalars.firstIndex(where: { !isSeparator($0) }),
                  let last = scalars.lastIndex(where: { !isSeparator($0) })
            else { return Substring(scalars[scalars.endIndex...]) }
            return Substring(scalars[first...last])
        }
        let text = Substring(line)
        if let control = text.unicodeScalars.first(where: { $0.properties.generalCategory == .control && $0 != "\t" }) {
            return .failure(.controlCharacter(control.value))
        }
        let (first, afterFirst) = nextField(text)
        guard !first.isEmpty else { return .failure(.missingFields(expected: KeyLine.format)) }
        guard let algorithm = KeyAlgorithm(rawValue: String(first)) else { return .failure(.unknownAlgorithm(String(first))) }
        let (second, afterSecond) = nextField(afterFirst)
        guard !second.isEmpty else { return .failure(.missingFields(expected: KeyLine.format)) }
        guard let bytes = Base64.decode(second) else { return .failure(.invalidBase64) }
        let comment = trimmed(afterSecond)
        var parsed = KeyLine(algorithm: algorithm, keyBytes: bytes)
        parsed.comment = comment.isEmpty ? nil : String(comment)
        return .success(parsed)
    }

    static func parse(_ line: String) -> Result<KeyLine, KeyLineProblem> {
        Result { () throws(KeyLineProblem) in try KeyLine(parsing: line) }
    }

    /// Lines put together from separators, algorithm names, keys (valid,
    /// unpadded, corrupted), comments with Unicode and control characters:
    /// every one parses exactly as the scalar parse did.
    @Test func splitsExactlyAsTheScalarParseDid() {
        let pieces = [
            " ", "\t", "  \t ", "x25519", "ffdhe2048", "X25519", TestKeys.alicePublicBase64,
            String(TestKeys.alicePublicBase64.dropLast()), "Zh==", "not*base64", "alice", "alice at\tthe laptop",
            "\u{E9}t\u{E9}", "\u{301}alice", "\u{A0}", "a\u{85}b", "\u{7F}", "\u{1B}[2J", "\u{9F}", "\u{10FFFF}", "#",
        ]
        // Every line of up to three pieces, and of four from a smaller set
        // (some 14,000 lines: the test must not hold a runner thread long).
        let fourPieceSet = [" ", "\t", "x25519", TestKeys.alicePublicBase64, "Zh==", "alice", "\u{301}alice", "a\u{85}b"]
        func lines(of count: Int, from set: [String]) -> [String] {
            (0..<count).reduce([""]) { prefixes, _ in prefixes.flatMap { prefix in set.map { prefix + $0 } } }
        }
        for line in (0...3).flatMap({ lines(of: $0, from: pieces) }) + lines(of: 4, from: fourPieceSet) {
            let parsed = Self.parse(line), expected = Self.scalarParse(line)
            #expect(parsed == expected, "\(line.debugDescription)")
            if parsed != expected { return }
            #expect(KeyLine.isIgnorable(line) == KeyLine.isIgnorable(Substring(line)))
        }
    }

    /// Unicode fixes the general category Cc forever: U+0000-U+001F and
    /// U+007F-U+009F. The byte classes find exactly those, for every scalar
    /// of one, two and three bytes and for four-byte ones with every value
    /// of each continuation byte.
    @Test func byteClassesFindExactlyTheControlCharacters() {
        var fourByteScalars: [UInt32] = []
        for plane: UInt32 in 1...16 {
            for byte: UInt32 in 0..<64 {
                let base = plane << 16
                fourByteScalars += [base | byte << 12, base | byte << 6, base | byte]
            }
        }
        for value in Array(UInt32(0)...0xFFFF) + fourByteScalars + [0x10FFFF] {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let isControl = scalar.properties.generalCategory == .control && scalar != "\t"
            var text = "a" + String(scalar) + "b"
            let classes = text.withUTF8 { KeyLine.classify(UnsafeRawBufferPointer($0)) }
            let found = classes.contains(.control)
            #expect(found == isControl, "U+\(String(value, radix: 16))")
            if found != isControl { return }
            #expect(found ? classes[1] == .control : true)
        }
    }

    @Test func reportsTheFirstControlCharacterWhereverItIs() {
        #expect(Self.parse("x25519 AAAA\u{85}") == .failure(.controlCharacter(0x85)))
        #expect(Self.parse("x25519 AA\u{7F}AA \u{1B}") == .failure(.controlCharacter(0x7F)))
        #expect(Self.parse("x25519 AAAA \u{9F}\u{0}") == .failure(.controlCharacter(0x9F)))
        #expect(Self.parse("\u{1}x25519 AAAA") == .failure(.controlCharacter(1)))
        // Not controls: no-break space, the last scalar, a combining mark.
        #expect((try? Self.parse("x25519 \(TestKeys.alicePublicBase64) \u{A0}\u{10FFFF}\u{301}").get())?.comment == "\u{A0}\u{10FFFF}\u{301}")
    }

    @Test func aKeyFieldWithNonASCIICharactersIsInvalidBase64() {
        #expect(Self.parse("x25519 AA\u{E9}A alice") == .failure(.invalidBase64))
        #expect(Self.parse("x25519 \u{A0}") == .failure(.invalidBase64))
    }

    @Test func parsesASubstringOfALongerText() throws {
        let text = "[::1]:7700 x25519 \(TestKeys.alicePublicBase64) server"
        let line = try KeyLine(parsing: text.dropFirst(11))
        #expect(line.keyBytes == TestKeys.alicePublic)
        #expect(line.comment == "server")
    }
}
