import KeyGateSystem
import Foundation
import Glibc
import KeyGateCrypto
import KeyGateTestSupport
import Testing

/// `keygate ftp` as scripts use it: the real binary, exit statuses, files.
@Suite(.exclusiveNetwork)
struct FTPCommandTests {
    /// The arguments for client `name` of `server`.
    static func arguments(_ server: FTPTestServer, _ name: String = "alice") async throws -> [String] {
        let options = try await server.options(name)
        return ["ftp", "127.0.0.1:\(server.port)", "--keys", options.keys.directory, "--name", name]
    }

    /// A folder for the client's local files.
    static func localFolder(_ server: FTPTestServer) throws -> String {
        let folder = server.server.directory.appending("local")
        mkdir(folder, 0o755)
        return folder
    }

    @Test func aScriptRunsItsCommandsInOrder() async throws {
        let server = try await FTPTestServer.start()
        let local = try Self.localFolder(server)
        let bytes = SecureRandom.bytes(count: 100_000)
        try writeFile(local + "/local.bin", bytes)
        let script = """
            mkdir d
            cd d
            put local.bin
            ls
            size local.bin
            get local.bin "copy of.bin"
            mv local.bin renamed.bin
            pwd

            """
        let outcome = try await KeygateBinary.run(try await Self.arguments(server), input: script, in: local)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.lines.count == 3, "\(outcome.stdout)")
        #expect(outcome.lines.first?.wholeMatch(of: /-rw-r--r-- 1 ftp ftp 100000 \w{3} [ \d]\d \d\d:\d\d local.bin/) != nil)
        #expect(outcome.lines.dropFirst().elementsEqual(["100000", "/d"]))
        #expect(try await server.read("d/renamed.bin") == bytes)
        #expect(readFile(local + "/copy of.bin") == bytes)
        #expect(directoryEntries(local) == ["copy of.bin", "local.bin"], "no temporary file left")
        await server.stopAndRemove()
    }

    @Test func oneCommandOnTheCommandLineAndGetIntoAFolder() async throws {
        let server = try await FTPTestServer.start()
        let local = try Self.localFolder(server)
        let bytes = SecureRandom.bytes(count: 70_000)
        try await server.write(bytes, to: "remote.bin")
        mkdir(local + "/into", 0o755)
        let outcome = try await KeygateBinary.run(try await Self.arguments(server) + ["get", "/remote.bin", "into"], in: local)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(readFile(local + "/into/remote.bin") == bytes)
        let listing = try await KeygateBinary.run(try await Self.arguments(server) + ["ls", "/"], in: local)
        #expect(listing.status == 0 && listing.lines.count == 1 && listing.lines[0].hasSuffix(" remote.bin"))
        await server.stopAndRemove()
    }

    @Test func theFirstFailureStopsAScriptWithExit1AndLeavesNoLocalFile() async throws {
        let server = try await FTPTestServer.start()
        let local = try Self.localFolder(server)
        try writeFile(local + "/local.bin", Array("never sent".utf8))
        let outcome = try await KeygateBinary.run(
            try await Self.arguments(server), input: "get missing.bin\nput local.bin\n", in: local)
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("550"), "\(outcome.stderr)")
        #expect(directoryEntries(local) == ["local.bin"])
        #expect(try await server.entries() == [], "the command after the failure did not run")
        await server.stopAndRemove()
    }

    @Test func resumeContinuesDownloadsAndUploads() async throws {
        let server = try await FTPTestServer.start()
        let local = try Self.localFolder(server)
        let bytes = SecureRandom.bytes(count: 1 << 20)
        // A download that stopped after 300000 bytes, continued.
        try await server.write(bytes, to: "whole.bin")
        try writeFile(local + "/whole.bin", Array(bytes[..<300_000]))
        let download = try await KeygateBinary.run(try await Self.arguments(server) + ["get", "--resume", "whole.bin"], in: local)
        #expect(download.status == 0, "\(download.stderr)")
        #expect(readFile(local + "/whole.bin") == bytes)
        // An upload that stopped after 500000 bytes, continued.
        try await server.write(Array(bytes[..<500_000]), to: "up.bin")
        try writeFile(local + "/up.bin", bytes)
        let upload = try await KeygateBinary.run(try await Self.arguments(server) + ["put", "up.bin", "--resume"], in: local)
        #expect(upload.status == 0, "\(upload.stderr)")
        #expect(try await server.read("up.bin") == bytes)
        #expect(server.server.logLines(containing: "command=STOR path=/up.bin bytes=\((1 << 20) - 500_000) ").count == 1)
        await server.stopAndRemove()
    }

    @Test func everyGetAndPutIsVerifiedWithTheServersHash() async throws {
        let server = try await FTPTestServer.start()
        let local = try Self.localFolder(server)
        let bytes = SecureRandom.bytes(count: 200_000)
        try writeFile(local + "/a.bin", bytes)
        let outcome = try await KeygateBinary.run(
            try await Self.arguments(server), input: "put a.bin\nget a.bin b.bin\nput --no-verify a.bin c.bin\n", in: local)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(readFile(local + "/b.bin") == bytes)
        // One HASH after the put and one after the get; none for --no-verify.
        #expect(server.server.logLines(containing: "ftp command command=\"HASH a.bin\"").count == 2)
        #expect(server.server.logLines(containing: "HASH c.bin").isEmpty)
        // SHA-256 chosen once, before the first transfer: the server hashed
        // the upload as it stored it, and answered its HASH from that.
        #expect(server.server.logLines(containing: "ftp command command=\"OPTS HASH SHA-256\"").count == 1)
        #expect(server.server.logLines(containing: "ftp hash from the transfer path=/a.bin").count >= 1)
        await server.stopAndRemove()
    }

    /// The server's copy changed behind the client's back: the first part
    /// of a file is not what the client holds, so a resumed transfer makes
    /// a file that is neither; its hash tells.
    @Test func aFileChangedOnTheServerFailsVerificationWithExit1() async throws {
        let server = try await FTPTestServer.start()
        let local = try Self.localFolder(server)
        let bytes = SecureRandom.bytes(count: 1 << 20)
        // Download: the server's first 300000 bytes are no longer the
        // ones the local part came from.
        var changed = bytes
        changed[1000] ^= 0xff
        try await server.write(changed, to: "whole.bin")
        try writeFile(local + "/whole.bin", Array(bytes[..<300_000]))
        let download = try await KeygateBinary.run(try await Self.arguments(server) + ["get", "--resume", "whole.bin"], in: local)
        #expect(download.status == 1, "\(download.stderr)")
        #expect(download.stderr.contains("get whole.bin: verification failed: the SHA-256 here is "), "\(download.stderr)")
        #expect(download.stderr.contains("Nothing was kept"), "\(download.stderr)")
        #expect(readFile(local + "/whole.bin") == Array(bytes[..<300_000]), "the local part is as it was")
        #expect(directoryEntries(local) == ["whole.bin"], "no temporary file left")
        // Upload: the server's partial file was changed behind the client's back.
        var partial = Array(bytes[..<500_000])
        partial[7] ^= 0x01
        try await server.write(partial, to: "up.bin")
        try writeFile(local + "/up.bin", bytes)
        let upload = try await KeygateBinary.run(try await Self.arguments(server) + ["put", "--resume", "up.bin"], in: local)
        #expect(upload.status == 1, "\(upload.stderr)")
        #expect(upload.stderr.contains("put up.bin: verification failed"), "\(upload.stderr)")
        // --no-verify takes the server's word.
        let unverified = try await KeygateBinary.run(
            try await Self.arguments(server) + ["get", "--resume", "--no-verify", "whole.bin"], in: local)
        #expect(unverified.status == 0, "\(unverified.stderr)")
        #expect(readFile(local + "/whole.bin")?.count == 1 << 20)
        await server.stopAndRemove()
    }

    @Test func limitRateHoldsADownloadBackAndBadRatesAreUsageErrors() async throws {
        let server = try await FTPTestServer.start()
        let local = try Self.localFolder(server)
        let bytes = SecureRandom.bytes(count: 256 << 10)
        try await server.write(bytes, to: "a.bin")
        let started = ContinuousClock.now
        let outcome = try await KeygateBinary.run(
            try await Self.arguments(server) + ["--limit-rate", "256K", "get", "a.bin"], in: local)
        let elapsed = ContinuousClock.now - started
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(readFile(local + "/a.bin") == bytes)
        // 256 KiB at 256 KiB/s: at least 0.9 s (the process's own start
        // makes any upper bound meaningless here).
        #expect(elapsed >= .milliseconds(900), "\(elapsed)")
        for bad in ["10X", "0", "-5", "", "1e6"] {
            let refused = try await KeygateBinary.run(try await Self.arguments(server) + ["--limit-rate", bad, "ls"])
            #expect(refused.status == 2, "\(bad): \(refused.stderr)")
            #expect(refused.stderr.contains("--limit-rate must be a positive number of bytes"), "\(refused.stderr)")
        }
        await server.stopAndRemove()
    }

    @Test func usageDenialAndUnknownCommandsHaveTheirExitStatuses() async throws {
        let server = try await FTPTestServer.start()
        #expect(try await KeygateBinary.run(["ftp"]).status == 2)
        #expect(try await KeygateBinary.run(try await Self.arguments(server) + ["dance"]).status == 2)
        #expect(try await KeygateBinary.run(try await Self.arguments(server) + ["get"]).status == 2)
        let stranger = try await server.server.client("mallory", allowed: false)
        let denied = try await KeygateBinary.run(
            ["ftp", "127.0.0.1:\(server.port)", "--keys", stranger.keys.directory, "--name", "mallory", "ls"])
        #expect(denied.status == 3)
        await server.stopAndRemove()
    }

    @Test func aClientKilledMidUploadLeavesNoPartialFile() async throws {
        let server = try await FTPTestServer.start()
        let local = try Self.localFolder(server)
        // A large sparse file: reading it costs no disk.
        let big = local + "/big.bin"
        let descriptor = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        #expect(ftruncate(descriptor, 8 << 30) == 0)
        close(descriptor)
        let (process, _) = try KeygateBinary.start(try await Self.arguments(server) + ["put", "big.bin"], in: local)
        // Killed once data has reached the server's pending file.
        let uploading = await eventually(timeout: .seconds(20)) {
            unnamedOpenFileSizes(in: server.root).contains { $0 > 0 }
        }
        #expect(uploading, "the upload started")
        kill(process.processIdentifier, SIGKILL)
        await KeygateBinary.waitForExit(process)
        #expect(await eventually { unnamedOpenFileSizes(in: server.root).isEmpty }, "the pending file was freed")
        #expect(try await server.entries() == [], "no partial file, no temporary file")
        #expect(await eventually { server.server.logLines(containing: "command=STOR path=/big.bin").first?.contains("outcome=\"failed") == true })
        await server.stopAndRemove()
    }

    @Test func aClientKilledMidDownloadLeavesNoLocalFile() async throws {
        let server = try await FTPTestServer.start()
        let local = try Self.localFolder(server)
        // A large sparse file on the server: reading it costs no disk.
        let descriptor = open(server.path("big.bin"), O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        #expect(ftruncate(descriptor, 8 << 30) == 0)
        close(descriptor)
        let (process, _) = try KeygateBinary.start(try await Self.arguments(server) + ["get", "big.bin"], in: local)
        let pid = String(process.processIdentifier)
        // Killed once data has reached the client's pending file.
        let downloading = await eventually(timeout: .seconds(20)) {
            unnamedOpenFileSizes(in: local, process: pid).contains { $0 > 0 }
        }
        #expect(downloading, "the download started")
        #expect(directoryEntries(local) == [], "the pending file has no name")
        kill(process.processIdentifier, SIGKILL)
        await KeygateBinary.waitForExit(process)
        #expect(directoryEntries(local) == [], "no partial file, no temporary file")
        #expect(await eventually { server.server.logLines(containing: "command=RETR path=/big.bin").first?.contains("outcome=\"failed") == true })
        await server.stopAndRemove()
    }
}
