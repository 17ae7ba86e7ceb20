import KeyGateSystem
import Glibc
import KeyGateChannel
import KeyGateClient
import KeyGateCrypto
@testable import KeyGateFTP
import KeyGateTestSupport
import Testing

/// HASH and OPTS HASH (draft-bryan-ftpext-hash) over real sessions.
@Suite(.exclusiveNetwork)
struct FTPHashTests {
    /// 20 MiB and 3 bytes crosses the digest's job boundary (16 MiB).
    @Test(arguments: [0, 1, 100_000, (20 << 20) + 3])
    func hashAnswersTheSHA256OfTheWholeFile(size: Int) async throws {
        let server = try await FTPTestServer.start()
        let client = try await server.connect()
        let path = server.path("f i l e.bin")
        let expected = try await onFileThread { () throws -> [UInt8] in
            let bytes = SecureRandom.bytes(count: size)
            try writeFile(path, bytes)
            return SHA256.hash(bytes)
        }
        let reply = try await client.request(FTPCommand(verb: "HASH", argument: "f i l e.bin"))
        #expect(reply.code == .fileStatus)
        #expect(reply.text == "SHA-256 0-\(size) \(HexText.encode(expected)) /f i l e.bin")
        await client.quit()
        await server.stopAndRemove()
    }

    @Test func featListsHashAndOptsHashSelectsOnlySHA256() async throws {
        let server = try await FTPTestServer.start()
        let client = try await server.connect()
        let features = try await client.request(FTPCommand(verb: "FEAT"))
        #expect(features.lines.contains(" HASH SHA-256*"), "\(features)")
        let selected = try await client.request(FTPCommand(verb: "OPTS", argument: "HASH"))
        #expect(selected.code == .commandOkay && selected.text == "SHA-256")
        let chosen = try await client.request(FTPCommand(verb: "OPTS", argument: "HASH sha-256"))
        #expect(chosen.code == .commandOkay && chosen.text == "SHA-256")
        for other in ["MD5", "SHA-1", "SHA-512", "CRC32"] {
            let refused = try await client.request(FTPCommand(verb: "OPTS", argument: "HASH \(other)"))
            #expect(refused.code == .parameterNotImplemented, "\(other): \(refused)")
        }
        #expect(try await client.request(FTPCommand(verb: "OPTS", argument: "HASH SHA-256 MD5")).code == .argumentSyntaxError)
        // Still SHA-256 after the refusals.
        try await server.write(Array("abc".utf8), to: "abc.txt")
        let reply = try await client.request(FTPCommand(verb: "HASH", argument: "/abc.txt"))
        #expect(reply.text == "SHA-256 0-3 ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad /abc.txt")
        await client.quit()
        await server.stopAndRemove()
    }

    @Test func whatIsNotAFileInsideTheRootGets550() async throws {
        let server = try await FTPTestServer.start()
        let client = try await server.connect()
        mkdir(server.path("folder"), 0o755)
        try await server.write(Array("secret".utf8), to: "target.txt")
        symlink(server.path("target.txt"), server.path("link.txt"))
        symlink("/etc/passwd", server.path("outside"))
        for argument in ["missing.bin", "folder", "/", "../../etc/passwd", "/../x", "link.txt", "outside", "folder/../missing"] {
            let reply = try await client.request(FTPCommand(verb: "HASH", argument: argument))
            #expect(reply.code == .fileUnavailable, "\(argument): \(reply)")
            #expect(!reply.text.contains("SHA-256"), "\(argument): \(reply)")
        }
        #expect(try await client.request(FTPCommand(verb: "HASH")).code == .argumentSyntaxError)
        #expect(try await client.request(FTPCommand(verb: "HASH", argument: ".keygate-upload-x")).code == .fileNameNotAllowed)
        // The session goes on.
        #expect(try await client.request(FTPCommand(verb: "HASH", argument: "target.txt")).code == .fileStatus)
        await client.quit()
        await server.stopAndRemove()
    }

    // MARK: Digests computed during transfers

    /// Uploads `bytes` to `path` (STOR, after REST `restart` when given).
    static func store(_ bytes: [UInt8], to path: String, restart: Int64? = nil, on client: FTPClient) async throws {
        try await client.transfer(FTPCommand(verb: "STOR", argument: path), restart: restart) { data in
            try await client.mover.send(bytes, over: data, progress: TransferProgress())
        }
    }

    /// Downloads `path` (RETR).
    static func retrieve(_ path: String, on client: FTPClient) async throws -> [UInt8] {
        let gathered = Gathered()
        try await client.transfer(FTPCommand(verb: "RETR", argument: path)) { data in
            try await client.mover.receive(over: data, progress: TransferProgress()) { await gathered.append($0) }
        }
        return await gathered.bytes
    }

    actor Gathered {
        var bytes: [UInt8] = []
        func append(_ more: [UInt8]) { bytes += more }
    }

    static func hashReply(_ bytes: [UInt8], _ path: String) -> String {
        "SHA-256 0-\(bytes.count) \(HexText.encode(SHA256.hash(bytes))) \(path)"
    }

    /// Once a session has asked for a digest, a file it uploads whole is
    /// hashed as it is stored, and the HASH after it answers from that
    /// digest, once; a session that never asked pays for no hashing.
    @Test func hashAfterAWholeUploadAnswersFromTheDigestOfTheTransfer() async throws {
        let server = try await FTPTestServer.start()
        let client = try await server.connect()
        let first = SecureRandom.bytes(count: 300_000), second = SecureRandom.bytes(count: (3 << 20) + 7)
        try await Self.store(first, to: "first.bin", on: client)
        #expect(try await client.request(FTPCommand(verb: "HASH", argument: "first.bin")).text == Self.hashReply(first, "/first.bin"))
        #expect(server.server.logLines(containing: "ftp hash from the transfer").isEmpty, "not hashed before HASH was asked for")
        try await Self.store(second, to: "second.bin", on: client)
        #expect(try await client.request(FTPCommand(verb: "HASH", argument: "second.bin")).text == Self.hashReply(second, "/second.bin"))
        #expect(server.server.logLines(containing: "ftp hash from the transfer path=/second.bin").count == 1)
        // Asked again: the file was written under two seconds ago, when a
        // change might keep its ctime, so the digest answered only the
        // first HASH and the file is read now.
        #expect(try await client.request(FTPCommand(verb: "HASH", argument: "/second.bin")).text == Self.hashReply(second, "/second.bin"))
        #expect(server.server.logLines(containing: "ftp hash from the transfer path=/second.bin").count == 1)
        await client.quit()
        await server.stopAndRemove()
    }

    /// Changed behind the server's back to the same size, with its
    /// modification time put back (utimensat): the ctime moved on, so HASH
    /// reads the file and reports the new digest.
    @Test func aFileChangedAfterItsUploadWithItsTimeRestoredIsHashedAgain() async throws {
        let server = try await FTPTestServer.start()
        let client = try await server.connect()
        try await client.require(FTPCommand(verb: "OPTS", argument: "HASH SHA-256"), .commandOkay)
        let bytes = SecureRandom.bytes(count: 1 << 20)
        try await Self.store(bytes, to: "up.bin", on: client)
        #expect(try await client.request(FTPCommand(verb: "HASH", argument: "up.bin")).text == Self.hashReply(bytes, "/up.bin"))
        #expect(server.server.logLines(containing: "ftp hash from the transfer path=/up.bin").count == 1)
        let path = server.path("up.bin")
        var before = stat()
        #expect(stat(path, &before) == 0)
        // So that the change cannot fall into the same tick of the file
        // system clock as the upload's last change.
        #expect(await FileSystemClock.passes(FileIdentity(before).changedNanoseconds))
        var changed = bytes
        changed[123_456] ^= 0x20
        try writeFile(path, changed)
        #expect(utimensat(AT_FDCWD, path, [before.st_atim, before.st_mtim], 0) == 0)
        var after = stat()
        #expect(stat(path, &after) == 0)
        #expect(after.st_size == before.st_size && after.st_mtim.tv_nsec == before.st_mtim.tv_nsec
            && after.st_mtim.tv_sec == before.st_mtim.tv_sec)
        #expect(try await client.request(FTPCommand(verb: "HASH", argument: "up.bin")).text == Self.hashReply(changed, "/up.bin"))
        #expect(server.server.logLines(containing: "ftp hash from the transfer").count == 1, "read, not from the cache")
        await client.quit()
        await server.stopAndRemove()
    }

    /// A whole download is hashed as it is read; one from an offset, or an
    /// upload that keeps bytes of the old file (REST, APPE), is not, and
    /// HASH reads those files (with the right digest either way).
    @Test func aWholeDownloadIsHashedAsItIsSentButPartsAreNot() async throws {
        let server = try await FTPTestServer.start()
        let client = try await server.connect()
        try await client.require(FTPCommand(verb: "OPTS", argument: "HASH"), .commandOkay)
        let bytes = SecureRandom.bytes(count: (2 << 20) + 1)
        try await server.write(bytes, to: "down.bin")
        var status = stat()
        #expect(stat(server.path("down.bin"), &status) == 0)
        #expect(await FileSystemClock.passes(FileIdentity(status).changedNanoseconds))
        #expect(try await Self.retrieve("down.bin", on: client) == bytes)
        #expect(try await client.request(FTPCommand(verb: "HASH", argument: "down.bin")).text == Self.hashReply(bytes, "/down.bin"))
        #expect(server.server.logLines(containing: "ftp hash from the transfer path=/down.bin").count == 1)
        // STOR after REST keeps the first 1000 bytes of down.bin.
        let tail = SecureRandom.bytes(count: 5000)
        try await Self.store(tail, to: "down.bin", restart: 1000, on: client)
        let resumed = Array(bytes[..<1000]) + tail
        #expect(try await client.request(FTPCommand(verb: "HASH", argument: "down.bin")).text == Self.hashReply(resumed, "/down.bin"))
        #expect(server.server.logLines(containing: "ftp hash from the transfer path=/down.bin").count == 1)
        // APPE.
        try await client.transfer(FTPCommand(verb: "APPE", argument: "down.bin")) { data in
            try await client.mover.send(tail, over: data, progress: TransferProgress())
        }
        #expect(try await client.request(FTPCommand(verb: "HASH", argument: "down.bin")).text
            == Self.hashReply(resumed + tail, "/down.bin"))
        #expect(server.server.logLines(containing: "ftp hash from the transfer path=/down.bin").count == 1)
        await client.quit()
        await server.stopAndRemove()
    }
}
