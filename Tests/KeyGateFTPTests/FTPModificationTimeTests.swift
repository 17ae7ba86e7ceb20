import KeyGateSystem
import Glibc
import KeyGateChannel
import KeyGateClient
import KeyGateFTP
import KeyGateTestSupport
import Testing

/// MFMT (draft-somers-ftp-mfxx) over real sessions: what trees keep.
@Suite(.exclusiveNetwork)
struct FTPModificationTimeTests {
    static func modified(_ path: String) -> Int? {
        var status = stat()
        guard lstat(path, &status) == 0 else { return nil }
        return Int(status.st_mtim.tv_sec)
    }

    @Test func mfmtSetsTheTimeOfAFileOrFolderAndMDTMShowsIt() async throws {
        let server = try await FTPTestServer.start()
        let client = try await server.connect()
        try await server.write(Array("x".utf8), to: "a file.txt")
        mkdir(server.path("folder"), 0o755)
        let reply = try await client.request(FTPCommand(verb: "MFMT", argument: "20200229123456 a file.txt"))
        #expect(reply.code == .fileStatus && reply.text == "Modify=20200229123456; /a file.txt", "\(reply)")
        #expect(Self.modified(server.path("a file.txt")) == 1_582_979_696)
        #expect(try await client.request(FTPCommand(verb: "MDTM", argument: "a file.txt")).text == "20200229123456")
        // Fractions are accepted and dropped (RFC 3659 section 2.3).
        #expect(try await client.request(FTPCommand(verb: "MFMT", argument: "19991231235959.250 folder")).code == .fileStatus)
        #expect(Self.modified(server.path("folder")) == 946_684_799)
        await client.quit()
        await server.stopAndRemove()
    }

    @Test func badTimesGet501AndBadPaths550() async throws {
        let server = try await FTPTestServer.start()
        let client = try await server.connect()
        try await server.write(Array("x".utf8), to: "target.txt")
        symlink(server.path("target.txt"), server.path("link"))
        let before = Self.modified(server.path("target.txt"))
        for argument in ["2020 target.txt", "20200230000000 target.txt", "20201301000000 target.txt", "x target.txt",
                         "20200101000000", "", "20200101000000. target.txt", "2020010100000a target.txt"] {
            let reply = try await client.request(FTPCommand(verb: "MFMT", argument: argument))
            #expect(reply.code == .argumentSyntaxError, "\(argument): \(reply)")
        }
        for path in ["missing", "link", "../../etc/passwd", "/"] {
            let reply = try await client.request(FTPCommand(verb: "MFMT", argument: "20200101000000 \(path)"))
            #expect(reply.code == .fileUnavailable, "\(path): \(reply)")
        }
        #expect(Self.modified(server.path("target.txt")) == before)
        await client.quit()
        await server.stopAndRemove()
    }
}
