@testable import KeyGateClient
import Glibc
import KeyGateFTP
import KeyGateSystem
import KeyGateTestSupport
import Testing

/// LocalTree's removals for mirror --delete never reach outside the tree:
/// no link is followed or removed, no `..` is walked.
struct LocalTreeTests {
    /// A tree `top` with `top/d/file`, `top/link` to a file outside and
    /// `top/folder-link` to a folder outside that holds `victim` (the
    /// caller removes `directory`).
    static func makeTree() throws -> (directory: TemporaryDirectory, top: String, outside: String) {
        let directory = TemporaryDirectory("keygate-local-tree")
        let top = directory.appending("top"), outside = directory.appending("outside")
        mkdir(top, 0o755)
        mkdir(top + "/d", 0o755)
        mkdir(outside, 0o755)
        try writeFile(top + "/d/file", [1])
        try writeFile(outside + "/victim", [2])
        symlink(outside + "/victim", top + "/link")
        symlink(outside, top + "/folder-link")
        return (directory, top, outside)
    }

    @Test func aFileAndThenItsEmptyFolderAreRemoved() async throws {
        let (directory, top, _) = try Self.makeTree()
        defer { directory.remove() }
        let io = BlockingExecutor.shared.lane()
        await #expect(throws: FTPError.directoryNotEmpty(top + "/d")) {
            try await LocalTree.remove("d", in: top, isDirectory: true, io: io)
        }
        try await LocalTree.remove("d/file", in: top, isDirectory: false, io: io)
        try await LocalTree.remove("d", in: top, isDirectory: true, io: io)
        #expect(directoryEntries(top) == ["folder-link", "link"])
    }

    @Test func linksAreNeitherRemovedNorFollowed() async throws {
        let (directory, top, outside) = try Self.makeTree()
        defer { directory.remove() }
        let io = BlockingExecutor.shared.lane()
        await #expect(throws: FTPError.symbolicLink(top + "/link")) {
            try await LocalTree.remove("link", in: top, isDirectory: false, io: io)
        }
        await #expect(throws: FTPError.self) {
            try await LocalTree.remove("folder-link/victim", in: top, isDirectory: false, io: io)
        }
        await #expect(throws: FTPError.symbolicLink(top + "/folder-link")) {
            try await LocalTree.remove("folder-link", in: top, isDirectory: true, io: io)
        }
        #expect(directoryEntries(outside) == ["victim"])
        #expect(directoryEntries(top) == ["d", "folder-link", "link"])
    }

    @Test(arguments: ["../outside/victim", "d/../../outside/victim", "", "d/", "./d/file"])
    func pathsThatAreNotPlainNamesAreRefused(path: String) async throws {
        let (directory, top, outside) = try Self.makeTree()
        defer { directory.remove() }
        await #expect(throws: FTPError.invalidName(top + "/" + path)) {
            try await LocalTree.remove(path, in: top, isDirectory: false, io: BlockingExecutor.shared.lane())
        }
        #expect(directoryEntries(outside) == ["victim"])
        #expect(directoryEntries(top + "/d") == ["file"])
    }
}
