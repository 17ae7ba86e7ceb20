import KeyGateKeys
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
}
