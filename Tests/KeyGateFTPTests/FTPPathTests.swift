import KeyGateSystem
import KeyGateFTP
import Testing

/// The path resolver: everything stays inside the root, nothing is decoded.
struct FTPPathTests {
    static let folder = FTPPath(components: ["home", "alice"])

    @Test(arguments: [
        ("x", "/home/alice/x"),
        ("./x/./y", "/home/alice/x/y"),
        ("..", "/home"),
        ("../..", "/"),
        ("x/../y", "/home/alice/y"),
        ("/etc/passwd", "/etc/passwd"),
        ("//a///b/", "/a/b"),
        ("/", "/"),
        ("%2e%2e", "/home/alice/%2e%2e"),
        ("%2e%2e/%2e%2e/%2e%2e", "/home/alice/%2e%2e/%2e%2e/%2e%2e"),
        ("..%2f..%2f", "/home/alice/..%2f..%2f"),
        ("...", "/home/alice/..."),
        ("a b/c d", "/home/alice/a b/c d"),
        ("\\..\\..", "/home/alice/\\..\\.."),
    ])
    func resolution(text: String, expected: String) throws {
        #expect(try Self.folder.resolving(text).description == expected)
    }

    @Test(arguments: ["../../..", "/..", "/../etc", "../../../etc/passwd", "a/../../../..", "/a/../../b"])
    func climbingAboveTheRootIsRefused(text: String) {
        #expect(throws: FTPError.outsideRoot(text)) { try Self.folder.resolving(text) }
    }

    @Test(arguments: ["a\u{0}b", "x\r", "x\ny", "\r\n", "ok/\u{0}"])
    func nulCrAndLfAreRefused(text: String) {
        #expect {
            try Self.folder.resolving(text)
        } throws: { error in
            guard case FTPError.invalidName = error else { return false }
            return (error as! FTPError).replyCode == .fileNameNotAllowed
        }
    }

    /// A slash followed by a combining mark is one Character but still a
    /// separator for the file system: resolution splits on the byte, so no
    /// name ever holds a "/" that openat(2) would follow out of the root.
    @Test(arguments: ["../\u{301}x", "..\u{301}/../x", "a/\u{301}../../..", "/\u{353}etc/passwd", "..//\u{301}"])
    func slashesBeforeCombiningMarksStillSeparate(_ text: String) throws {
        let outcome = Result { () throws(FTPError) in try FTPPath.root.resolving(text) }
        if case let .success(path) = outcome {
            #expect(path.components.allSatisfy { !$0.utf8.contains(UInt8(ascii: "/")) }, "\(path.components)")
            #expect(!path.components.contains(".."))
        }
        #expect(throws: FTPError.self) { try FTPPath.root.resolving("../\u{301}x") }
        #expect(try FTPPath.root.resolving("a/\u{301}b").components == ["a", "\u{301}b"])
    }

    @Test func overLongNamesAndUploadFilesAreRefused() {
        #expect(throws: FTPError.self) { try FTPPath.root.resolving(String(repeating: "n", count: 256)) }
        #expect(throws: FTPError.self) { try FTPPath.root.resolving("d/.keygate-upload-12ab") }
        #expect(throws: Never.self) { try FTPPath.root.resolving(String(repeating: "n", count: 255)) }
    }

    @Test func errorTextsShowControlCharactersAsQuestionMarks() {
        #expect(throws: FTPError.invalidName("a?b")) { try FTPPath.root.resolving("a\nb") }
    }

    @Test func parentAndName() {
        #expect(Self.folder.parent == FTPPath(components: ["home"]))
        #expect(Self.folder.name == "alice")
        #expect(FTPPath.root.parent == nil)
        #expect(FTPPath.root.description == "/")
    }
}
