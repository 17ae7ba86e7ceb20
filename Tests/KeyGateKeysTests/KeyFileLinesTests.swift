@testable import KeyGateKeys
import Testing

struct KeyFileLinesTests {
    @Test func numbersLinesAndStripsLineBreaks() {
        let lines = KeyFileLines.split(Array("one\r\ntwo\n\nfour".utf8))
        #expect(lines.map(\.number) == [1, 2, 3, 4])
        #expect(lines.map(\.text) == ["one", "two", "", "four"])
    }

    @Test func aFinalNewlineDoesNotStartALine() {
        #expect(KeyFileLines.split(Array("one\n".utf8)).map(\.text) == ["one"])
        #expect(KeyFileLines.split([]).isEmpty)
    }

    @Test func invalidUTF8IsMarkedPerLine() {
        let lines = KeyFileLines.split(Array("good\n".utf8) + [0xC3, 0x28] + Array("\nalso good".utf8))
        #expect(lines.map(\.text) == ["good", nil, "also good"])
    }

    @Test func singleKeyLineSkipsCommentsAndRejectsASecondKey() throws {
        let path = "keys/x.pub"
        let one = Array("# header\n\nx25519 \(TestKeys.alicePublicBase64) alice\n# trailer\n".utf8)
        let found = try KeyFileLines.singleKeyLine(in: one, path: path)
        #expect(found.number == 3)
        #expect(found.line.comment == "alice")
        let two = Array("x25519 \(TestKeys.alicePublicBase64)\nx25519 \(TestKeys.bobPublicBase64)\n".utf8)
        #expect(throws: KeyFileError.invalidKeyFile(path: path, line: 2, problem: .secondKey)) {
            try KeyFileLines.singleKeyLine(in: two, path: path)
        }
        #expect(throws: KeyFileError.noKeyInFile(path: path)) {
            try KeyFileLines.singleKeyLine(in: Array("# nothing\n".utf8), path: path)
        }
    }
}
