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
