import KeyGateSystem
import Glibc
import KeyGateChannel
import KeyGateClient
import KeyGateCrypto
import KeyGateFTP
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
}
