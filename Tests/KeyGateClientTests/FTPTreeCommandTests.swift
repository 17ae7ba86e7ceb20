import KeyGateSystem
import Foundation
import Glibc
import KeyGateChannel
import KeyGateCrypto
import KeyGateTestSupport
import Testing

/// `keygate ftp` with trees and patterns: put -r, get -r, mget, mput, ls
/// and rm with globs, and --json events, against a real server.
@Suite(.exclusiveNetwork)
struct FTPTreeCommandTests {
    /// What a tree holds: each file's relative path, SHA-256 and
    /// modification time.
    struct Snapshot: Equatable, CustomStringConvertible {
        var files: [String: (hash: [UInt8], modified: Int)] = [:]

        static func == (lhs: Snapshot, rhs: Snapshot) -> Bool {
            lhs.files.count == rhs.files.count && lhs.files.allSatisfy { key, value in
                rhs.files[key].map { $0.hash == value.hash && $0.modified == value.modified } ?? false
            }
        }

        var description: String { "\(files.count) files" }

        /// The regular files under `top`, links not followed. Blocking.
        static func of(_ top: String) -> Snapshot {
            var snapshot = Snapshot()
            func walk(_ relative: String) {
                let folder = relative.isEmpty ? top : top + "/" + relative
                for name in directoryEntries(folder) {
                    let path = relative.isEmpty ? name : relative + "/" + name
                    var status = stat()
                    guard lstat(top + "/" + path, &status) == 0 else { continue }
                    switch status.st_mode & S_IFMT {
                    case S_IFDIR: walk(path)
                    case S_IFREG:
                        snapshot.files[path] = (SHA256.hash(readFile(top + "/" + path) ?? []), Int(status.st_mtim.tv_sec))
                    default: break
                    }
                }
            }
            walk("")
            return snapshot
        }
    }

    static func setModified(_ path: String, _ seconds: Int) {
        var times = [timespec(tv_sec: seconds, tv_nsec: 0), timespec(tv_sec: seconds, tv_nsec: 0)]
        _ = utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW)
    }

    /// A tree of `count` small files in ten folders (one nested), each
    /// with its own time, a link to a file outside and a link to a folder.
    static func makeTree(at top: String, count: Int) throws {
        mkdir(top, 0o755)
        for folder in 0..<10 {
            let path = folder == 9 ? top + "/d8/deeper" : top + "/d\(folder)"
            mkdir(path, 0o755)
        }
        for index in 0..<count {
            let folder = index % 10 == 9 ? "d8/deeper" : "d\(index % 10)"
            let path = top + "/\(folder)/file \(index).bin"
            try writeFile(path, SecureRandom.bytes(count: 1 + index % 700))
            setModified(path, 1_500_000_000 + index * 37)
        }
        symlink("/etc/passwd", top + "/d0/outside-link")
        symlink("../d1", top + "/d2/folder-link")
    }

    @Test func aTreeOf1000FilesRoundTripsWithIdenticalHashesAndTimes() async throws {
        let server = try await FTPTestServer.start()
        let local = try FTPCommandTests.localFolder(server)
        try Self.makeTree(at: local + "/tree", count: 1000)
        let original = Snapshot.of(local + "/tree")
        #expect(original.files.count == 1000)
        let arguments = try await FTPCommandTests.arguments(server)
        let up = try await KeygateBinary.run(arguments + ["put", "-r", "tree", "up"], in: local)
        #expect(up.status == 0, "\(up.stderr)")
        #expect(up.stderr.contains("skipped tree/d0/outside-link"), "\(up.stderr)")
        #expect(up.stderr.contains("skipped tree/d2/folder-link"), "\(up.stderr)")
        #expect(up.stderr.contains("put -r: 1000 files (0 failed, 2 skipped)"), "\(up.stderr)")
        let root = server.root
        #expect(try await onFileThread { Snapshot.of(root + "/up") } == original)
        #expect(try await server.entries("up/d0").contains("outside-link") == false)
        let down = try await KeygateBinary.run(arguments + ["get", "-r", "up", "copy"], in: local)
        #expect(down.status == 0, "\(down.stderr)")
        #expect(down.stderr.contains("get -r: 1000 files (0 failed, 0 skipped)"), "\(down.stderr)")
        #expect(try await onFileThread { Snapshot.of(local + "/copy") } == original)
        await server.stopAndRemove()
    }

    @Test func mirrorMovesOnlyWhatDiffersBySizeOrTime() async throws {
        let server = try await FTPTestServer.start()
        let local = try FTPCommandTests.localFolder(server)
        try Self.makeTree(at: local + "/tree", count: 20)
        let arguments = try await FTPCommandTests.arguments(server)
        // Local to remote: everything the first time, nothing the second.
        let first = try await KeygateBinary.run(arguments + ["mirror", "-R", "tree", "remote"], in: local)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("mirror -R: 20 files (0 failed, 2 skipped)"), "\(first.stderr)")
        let again = try await KeygateBinary.run(arguments + ["mirror", "-R", "tree", "remote"], in: local)
        #expect(again.stderr.contains("mirror -R: 0 files (0 failed, 2 skipped, 20 unchanged)"), "\(again.stderr)")
        // One file changed (same size, new time): only it moves.
        try writeFile(local + "/tree/d3/file 3.bin", SecureRandom.bytes(count: 4))
        let changed = try await KeygateBinary.run(arguments + ["--json", "mirror", "-R", "tree", "remote"], in: local)
        let events = try changed.lines.map { try JSONValue.parse(Array($0.utf8)) }
        #expect(events.filter { $0["event"]?.stringValue == "file" }.map { $0["remote"]?.stringValue } == ["remote/d3/file 3.bin"])
        #expect(events.last?["unchanged"]?.intValue == 19)
        let root = server.root
        #expect(try await onFileThread { Snapshot.of(root + "/remote") } == Snapshot.of(local + "/tree"))
        // Remote to local, the same way.
        let down = try await KeygateBinary.run(arguments + ["mirror", "remote", "copy"], in: local)
        #expect(down.stderr.contains("mirror: 20 files (0 failed, 0 skipped)"), "\(down.stderr)")
        try await server.write(Array("new".utf8), to: "remote/d0/file 0.bin")
        let downAgain = try await KeygateBinary.run(arguments + ["mirror", "remote", "copy"], in: local)
        #expect(downAgain.status == 0, "\(downAgain.stderr)")
        #expect(downAgain.stderr.contains("mirror: 1 files (0 failed, 0 skipped, 19 unchanged)"), "\(downAgain.stderr)")
        #expect(try await onFileThread { Snapshot.of(root + "/remote") } == Snapshot.of(local + "/copy"))
        await server.stopAndRemove()
    }

    /// The sessions (`session=N`) that ran the transfer log lines with `text`.
    static func sessions(_ server: FTPTestServer, _ text: String) -> Set<String> {
        Set(server.server.logLines(containing: text).compactMap { line in
            line.firstMatch(of: /session=(\d+)/).map { String($0.1) }
        })
    }

    @Test func parallelSessionsMoveATreeEachWay() async throws {
        let server = try await FTPTestServer.start()
        let local = try FTPCommandTests.localFolder(server)
        try Self.makeTree(at: local + "/tree", count: 60)
        let arguments = try await FTPCommandTests.arguments(server)
        // In a folder of the session's: the other sessions start there too.
        let up = try await KeygateBinary.run(arguments, input: "mkdir in\ncd in\nput -r -P 4 tree up\n", in: local)
        #expect(up.status == 0, "\(up.stderr)")
        #expect(up.stderr.contains("put -r: 60 files (0 failed, 2 skipped)"), "\(up.stderr)")
        #expect(Self.sessions(server, "transfer command=STOR path=\"/in/up/").count == 4)
        let root = server.root, original = Snapshot.of(local + "/tree")
        #expect(try await onFileThread { Snapshot.of(root + "/in/up") } == original)
        let down = try await KeygateBinary.run(arguments + ["--parallel", "3", "get", "-r", "in/up", "copy"], in: local)
        #expect(down.status == 0, "\(down.stderr)")
        #expect(Self.sessions(server, "transfer command=RETR path=\"/in/up/").count == 3)
        #expect(Snapshot.of(local + "/copy") == original)
        try await server.write(Array("x".utf8), to: "file.txt")
        let notAFolder = try await KeygateBinary.run(arguments + ["get", "-r", "file.txt"], in: local)
        #expect(notAFolder.status == 2 && notAFolder.stderr.contains("'file.txt' is not a folder on the server"), "\(notAFolder.stderr)")
        let missing = try await KeygateBinary.run(arguments + ["put", "-r", "no-such-folder"], in: local)
        #expect(missing.status == 1 && missing.stderr.contains("no-such-folder: no such file or directory"), "\(missing.stderr)")
        let bad = try await KeygateBinary.run(arguments + ["put", "-r", "-P", "0", "tree"], in: local)
        #expect(bad.status == 2 && bad.stderr.contains("-P takes a number of sessions"), "\(bad.stderr)")
        await server.stopAndRemove()
    }

    @Test func jsonPrintsOneEventPerFileAndASummary() async throws {
        let server = try await FTPTestServer.start()
        let local = try FTPCommandTests.localFolder(server)
        try Self.makeTree(at: local + "/tree", count: 12)
        let outcome = try await KeygateBinary.run(
            try await FTPCommandTests.arguments(server) + ["--json", "put", "-r", "tree"], in: local)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let events = try outcome.lines.map { try JSONValue.parse(Array($0.utf8)) }
        let files = events.filter { $0["event"]?.stringValue == "file" }
        #expect(files.count == 12)
        #expect(files.allSatisfy { $0["ok"]?.boolValue == true && $0["verified"]?.boolValue == true && $0["command"]?.stringValue == "put" })
        #expect(files.contains { $0["remote"]?.stringValue == "tree/d3/file 3.bin" && $0["bytes"]?.intValue == 4 })
        #expect(events.filter { $0["event"]?.stringValue == "skipped" }.count == 2)
        let summary = try #require(events.last)
        #expect(summary["event"]?.stringValue == "summary" && summary["files"]?.intValue == 12)
        #expect(summary["failed"]?.intValue == 0 && summary["skipped"]?.intValue == 2)
        #expect(summary["bytes"]?.intValue == (0..<12).reduce(0) { $0 + 1 + $1 % 700 })
        // A single get is one event, without a summary.
        let single = try await KeygateBinary.run(
            try await FTPCommandTests.arguments(server) + ["--json", "get", "tree/d0/file 0.bin", "one.bin"], in: local)
        #expect(single.status == 0, "\(single.stderr)")
        #expect(single.lines.count == 1 && single.lines[0].contains(#""event":"file","command":"get""#), "\(single.stdout)")
        await server.stopAndRemove()
    }

    @Test func globsSelectFilesForMputMgetLsAndRm() async throws {
        let server = try await FTPTestServer.start()
        let local = try FTPCommandTests.localFolder(server)
        for name in ["a.txt", "b.txt", "c.log", ".hidden.txt", "d[1].txt"] {
            try writeFile(local + "/" + name, Array(name.utf8))
        }
        let arguments = try await FTPCommandTests.arguments(server)
        let put = try await KeygateBinary.run(arguments, input: "mkdir in\ncd in\nmput *.txt c.*\n", in: local)
        #expect(put.status == 0, "\(put.stderr)")
        // `*` does not match a leading dot; `[` starts a set, so `d[1].txt`
        // is matched by `*.txt`, not by its own name.
        #expect(try await server.entries("in") == ["a.txt", "b.txt", "c.log", "d[1].txt"])
        let listed = try await KeygateBinary.run(arguments + ["ls", "in/?.txt"], in: local)
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.lines.compactMap { $0.split(separator: " ").last }.map(String.init) == ["a.txt", "b.txt"], "\(listed.stdout)")
        mkdir(local + "/out", 0o755)
        let get = try await KeygateBinary.run(arguments, input: "mget in/[ab].txt in/*.log\n", in: local + "/out")
        #expect(get.status == 0, "\(get.stderr)")
        #expect(directoryEntries(local + "/out") == ["a.txt", "b.txt", "c.log"])
        #expect(readFile(local + "/out/c.log") == Array("c.log".utf8))
        let removed = try await KeygateBinary.run(arguments + ["rm", "in/*.txt"], in: local)
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(try await server.entries("in") == ["c.log"])
        // A pattern that matches nothing fails, and says so.
        let nothing = try await KeygateBinary.run(arguments + ["mget", "in/*.pdf"], in: local + "/out")
        #expect(nothing.status == 1, "\(nothing.stderr)")
        #expect(nothing.stderr.contains("mget: no file matches 'in/*.pdf'"), "\(nothing.stderr)")
        let noRemove = try await KeygateBinary.run(arguments + ["rm", "in/*.pdf"], in: local)
        #expect(noRemove.status == 2 && noRemove.stderr.contains("no file matches"), "\(noRemove.stderr)")
        await server.stopAndRemove()
    }
}
