import KeyGateSystem
import Foundation
import Glibc
import KeyGateChannel
import KeyGateCrypto
import KeyGateFTP
import KeyGateTestSupport
import Testing

/// `keygate ftp mirror --delete` against a real server: after the copy, the
/// destination loses what the source does not hold, and nothing else: not
/// what a link points to, not anything when a transfer failed, nothing at
/// all without --delete.
@Suite(.exclusiveNetwork)
struct FTPMirrorCommandTests {
    typealias Snapshot = FTPTreeCommandTests.Snapshot

    /// Extra files and folders in the tree `top` that a source made by
    /// `FTPTreeCommandTests.makeTree` does not hold, a link to the file
    /// `outside` and a link to the folder of `outside`.
    static func addExtras(to top: String, outside: String) throws {
        try writeFile(top + "/extra.txt", Array("extra".utf8))
        try writeFile(top + "/d1/extra.bin", [1, 2, 3])
        mkdir(top + "/gone", 0o755)
        mkdir(top + "/gone/sub", 0o755)
        try writeFile(top + "/gone/sub/deep.txt", [4])
        mkdir(top + "/empty", 0o755)
        mkdir(top + "/holds-link", 0o755)
        symlink(outside, top + "/holds-link/to-outside")
        symlink(outside, top + "/d3/to-outside")
        symlink((outside as NSString).deletingLastPathComponent, top + "/d4/to-outside-folder")
    }

    static let extras = ["extra.txt", "d1/extra.bin", "gone", "empty"]

    /// The events of a --json run.
    static func events(_ outcome: KeygateBinary.Outcome) throws -> [JSONValue] {
        try outcome.lines.map { try JSONValue.parse(Array($0.utf8)) }
    }

    @Test func getDirectionDeletesWhatTheServerDoesNotHoldAndNothingWithoutDelete() async throws {
        let server = try await FTPTestServer.start()
        let local = try FTPCommandTests.localFolder(server)
        try Self.makeTree(at: local + "/tree")
        let arguments = try await FTPCommandTests.arguments(server)
        let up = try await KeygateBinary.run(arguments + ["put", "-r", "tree", "remote"], in: local)
        #expect(up.status == 0, "\(up.stderr)")
        let first = try await KeygateBinary.run(arguments + ["mirror", "remote", "copy"], in: local)
        #expect(first.status == 0, "\(first.stderr)")
        try writeFile(local + "/outside.txt", Array("keep me".utf8))
        try Self.addExtras(to: local + "/copy", outside: local + "/outside.txt")
        // Without --delete nothing goes.
        let plain = try await KeygateBinary.run(arguments + ["mirror", "remote", "copy"], in: local)
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(!plain.stderr.contains("deleted"), "\(plain.stderr)")
        for extra in Self.extras { #expect(access(local + "/copy/" + extra, F_OK) == 0, "\(extra)") }
        // With it, in parallel and with JSON: one event per removal, files
        // before their folders, deepest first.
        let deleting = try await KeygateBinary.run(arguments + ["--json", "mirror", "--delete", "-P", "3", "remote", "copy"], in: local)
        #expect(deleting.status == 0, "\(deleting.stderr)")
        let events = try Self.events(deleting)
        let deleted = events.filter { $0["event"]?.stringValue == "deleted" }
        #expect(deleted.map { $0["path"]?.stringValue } == [
            "copy/d1/extra.bin", "copy/extra.txt", "copy/gone/sub/deep.txt", "copy/gone/sub", "copy/empty", "copy/gone",
        ])
        #expect(deleted.allSatisfy { $0["ok"]?.boolValue == true })
        let kept = Set(events.filter { $0["event"]?.stringValue == "skipped" }.compactMap { $0["path"]?.stringValue })
        #expect(kept == ["copy/d3/to-outside", "copy/d4/to-outside-folder", "copy/holds-link/to-outside", "copy/holds-link"])
        let summary = try #require(events.last)
        #expect(summary["event"]?.stringValue == "summary" && summary["deleted"]?.intValue == 6, "\(summary)")
        #expect(summary["deletionsFailed"]?.intValue == 0 && summary["unchanged"]?.intValue == 20)
        // The copy is the server's tree again; the links stay, and so does
        // what they point to.
        let root = server.root
        #expect(try await onFileThread { Snapshot.of(root + "/remote") } == Snapshot.of(local + "/copy"))
        #expect(readFile(local + "/outside.txt") == Array("keep me".utf8))
        #expect(directoryEntries(local + "/copy/holds-link") == ["to-outside"])
        #expect(directoryEntries(local) == ["copy", "outside.txt", "tree"])
        // As text: a line per removal and the count in the summary.
        try writeFile(local + "/copy/d2/late.txt", [5])
        let text = try await KeygateBinary.run(arguments + ["mirror", "remote", "copy", "--delete"], in: local)
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stderr.contains("mirror: deleted copy/d2/late.txt"), "\(text.stderr)")
        #expect(text.stderr.contains("mirror: 0 files (0 failed, 4 skipped, 20 unchanged, 1 deleted)"), "\(text.stderr)")
        await server.stopAndRemove()
    }

    @Test func putDirectionDeletesWhatTheLocalTreeDoesNotHold() async throws {
        let server = try await FTPTestServer.start()
        let local = try FTPCommandTests.localFolder(server)
        try Self.makeTree(at: local + "/tree")
        let arguments = try await FTPCommandTests.arguments(server)
        let first = try await KeygateBinary.run(arguments + ["mirror", "-R", "tree", "remote"], in: local)
        #expect(first.status == 0, "\(first.stderr)")
        let root = server.root
        try writeFile(root + "/outside.txt", Array("keep me".utf8))
        try Self.addExtras(to: root + "/remote", outside: root + "/outside.txt")
        let plain = try await KeygateBinary.run(arguments + ["mirror", "-R", "tree", "remote"], in: local)
        #expect(plain.status == 0 && !plain.stderr.contains("deleted"), "\(plain.stderr)")
        for extra in Self.extras { #expect(access(root + "/remote/" + extra, F_OK) == 0, "\(extra)") }
        // --delete before or after -R, over several sessions; here in a
        // script, where the shell reads it (on the command line the
        // option parser takes it for every mirror).
        let deleting = try await KeygateBinary.run(arguments, input: "mirror --delete -R -P 2 tree remote\n", in: local)
        #expect(deleting.status == 0, "\(deleting.stderr)")
        for extra in Self.extras {
            #expect(deleting.stderr.contains("mirror -R: deleted remote/\(extra)\n"), "\(extra): \(deleting.stderr)")
            #expect(access(root + "/remote/" + extra, F_OK) != 0, "\(extra)")
        }
        #expect(deleting.stderr.contains("skipped remote/d3/to-outside: a link or special file, not deleted"), "\(deleting.stderr)")
        #expect(deleting.stderr.contains("mirror -R: 0 files (0 failed, 6 skipped, 20 unchanged, 6 deleted)"), "\(deleting.stderr)")
        #expect(try await onFileThread { Snapshot.of(root + "/remote") } == Snapshot.of(local + "/tree"))
        #expect(readFile(root + "/outside.txt") == Array("keep me".utf8))
        let again = try await KeygateBinary.run(arguments + ["mirror", "-R", "--delete", "tree", "remote"], in: local)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains(", 0 deleted)"), "\(again.stderr)")
        await server.stopAndRemove()
    }

    /// The local tree holds `linked` as a link, which mirror -R does not
    /// follow; the server holds a real folder of that name. Its files are
    /// below what the source did not show, so --delete leaves them.
    @Test func nothingIsDeletedBelowALinkOfTheSource() async throws {
        let server = try await FTPTestServer.start()
        let local = try FTPCommandTests.localFolder(server)
        try Self.makeTree(at: local + "/tree")
        let arguments = try await FTPCommandTests.arguments(server)
        let first = try await KeygateBinary.run(arguments + ["mirror", "-R", "tree", "remote"], in: local)
        #expect(first.status == 0, "\(first.stderr)")
        let root = server.root
        #expect(mkdir(root + "/remote/linked", 0o755) == 0)
        try writeFile(root + "/remote/linked/kept.txt", Array("still here".utf8))
        try writeFile(root + "/remote/extra.txt", [1])
        #expect(symlink(local + "/tree/d1", local + "/tree/linked") == 0)
        let deleting = try await KeygateBinary.run(arguments + ["mirror", "-R", "--delete", "tree", "remote"], in: local)
        #expect(deleting.status == 0, "\(deleting.stderr)")
        #expect(readFile(root + "/remote/linked/kept.txt") == Array("still here".utf8))
        #expect(deleting.stderr.contains("remote/linked/kept.txt: below what the source holds as a link"), "\(deleting.stderr)")
        #expect(access(root + "/remote/extra.txt", F_OK) != 0, "an extra file elsewhere still goes")
        await server.stopAndRemove()
    }

    @Test func nothingIsDeletedWhenAFileOfTheMirrorFails() async throws {
        var limits = FTPService.Limits()
        limits.quota = 100_000
        let server = try await FTPTestServer.start(limits: limits)
        let local = try FTPCommandTests.localFolder(server)
        try Self.makeTree(at: local + "/tree")
        let arguments = try await FTPCommandTests.arguments(server)
        let first = try await KeygateBinary.run(arguments + ["mirror", "-R", "tree", "remote"], in: local)
        #expect(first.status == 0, "\(first.stderr)")
        let root = server.root
        try writeFile(root + "/remote/extra.txt", [1])
        // Put: the server refuses a file past its quota (552).
        try writeFile(local + "/tree/d0/big.bin", SecureRandom.bytes(count: 200_000))
        let put = try await KeygateBinary.run(arguments + ["--json", "mirror", "-R", "--delete", "tree", "remote"], in: local)
        #expect(put.status == 1, "\(put.stderr)")
        #expect(put.stderr.contains("mirror -R: 1 file failed, so nothing was deleted"), "\(put.stderr)")
        let putEvents = try Self.events(put)
        #expect(putEvents.contains { $0["event"]?.stringValue == "file" && $0["ok"]?.boolValue == false })
        #expect(!putEvents.contains { $0["event"]?.stringValue == "deleted" })
        #expect(putEvents.last?["deleted"]?.intValue == 0 && putEvents.last?["failed"]?.intValue == 1)
        #expect(access(root + "/remote/extra.txt", F_OK) == 0)
        // Get: a folder where a file must land.
        unlink(root + "/remote/extra.txt")
        let down = try await KeygateBinary.run(arguments + ["mirror", "remote", "copy"], in: local)
        #expect(down.status == 0, "\(down.stderr)")
        try writeFile(local + "/copy/extra.txt", [1])
        unlink(local + "/copy/d0/file 0.bin")
        mkdir(local + "/copy/d0/file 0.bin", 0o755)
        try writeFile(local + "/copy/d0/file 0.bin/inside", [2])
        let get = try await KeygateBinary.run(arguments + ["mirror", "--delete", "remote", "copy"], in: local)
        #expect(get.status == 1, "\(get.stderr)")
        #expect(get.stderr.contains("mirror: 1 file failed, so nothing was deleted"), "\(get.stderr)")
        #expect(get.stderr.contains("mirror: 1 file failed (see above)"), "\(get.stderr)")
        #expect(readFile(local + "/copy/extra.txt") == [1])
        #expect(readFile(local + "/copy/d0/file 0.bin/inside") == [2])
        await server.stopAndRemove()
    }

    @Test func deleteIsForMirrorOnly() async throws {
        let server = try await FTPTestServer.start()
        let local = try FTPCommandTests.localFolder(server)
        let outcome = try await KeygateBinary.run(try await FTPCommandTests.arguments(server), input: "put --delete a\n", in: local)
        #expect(outcome.status == 2 && outcome.stderr.contains("put: --delete is for mirror only"), "\(outcome.stderr)")
        await server.stopAndRemove()
    }

    /// The tree of `FTPTreeCommandTests.makeTree` with 20 files.
    static func makeTree(at top: String) throws {
        try FTPTreeCommandTests.makeTree(at: top, count: 20)
    }
}
