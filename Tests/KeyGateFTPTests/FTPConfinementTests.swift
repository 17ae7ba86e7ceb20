import KeyGateSystem
import Glibc
import KeyGateClient
import KeyGateCrypto
import KeyGateFTP
import KeyGateTestSupport
import Testing

/// Every way out of the root is refused: `..`, absolute paths, encoded
/// names, control characters, and symbolic links of every kind.
@Suite(.exclusiveNetwork)
struct FTPConfinementTests {
    /// A server whose root holds `inside.txt`, a folder `sub`, and links
    /// that lead out: `outside-file` → a file beside the root,
    /// `outside-dir` → the folder beside the root, `passwd` → /etc/passwd,
    /// `etc` → /etc; the folder beside the root holds `secret.txt`.
    static func server() async throws -> (FTPTestServer, String) {
        let server = try await FTPTestServer.start()
        let outside = server.root + "/../outside"
        try await onFileThread {
            mkdir(outside, 0o755)
            try writeFile(outside + "/secret.txt", Array("secret".utf8))
            try writeFile(server.root + "/inside.txt", Array("inside".utf8))
            mkdir(server.root + "/sub", 0o755)
            symlink(outside + "/secret.txt", server.root + "/outside-file")
            symlink(outside, server.root + "/outside-dir")
            symlink("/etc/passwd", server.root + "/passwd")
            symlink("/etc", server.root + "/etc")
        }
        return (server, outside)
    }

    static let hostilePaths = [
        "..", "../..", "../../..", "/..", "/../outside/secret.txt", "../outside/secret.txt", "sub/../../outside",
        "/etc/passwd", "%2e%2e/outside/secret.txt", "%2e%2e/%2e%2e/etc/passwd", "a\u{0}b", "inside.txt\u{0}", "x\r",
        "x\nDELE inside.txt", "outside-file", "outside-dir", "outside-dir/secret.txt", "passwd", "etc", "etc/passwd",
    ]

    @Test func everyHostilePathIsRefusedByEveryCommand() async throws {
        let (server, outside) = try await Self.server()
        let client = try await server.connect()
        for path in Self.hostilePaths {
            for verb in ["RETR", "SIZE", "MDTM", "CWD", "LIST", "NLST", "MLSD", "MLST", "DELE", "RMD", "RNFR", "STOR", "APPE"] {
                var reply = try await client.request(FTPCommand(verb: "EPSV"))
                #expect(reply.code == .enteringExtendedPassiveMode)
                reply = try await client.request(FTPCommand(verb: verb, argument: path))
                #expect([.fileUnavailable, .fileNameNotAllowed].contains(reply.code), "\(verb) \(path): \(reply)")
            }
        }
        // Encoded names are literal names inside the root, never decoded.
        #expect(try await client.request(FTPCommand(verb: "SIZE", argument: "%2e%2e")).code == .fileUnavailable)
        #expect(try await client.request(FTPCommand(verb: "MKD", argument: "%2e%2e")).code == .pathCreated)
        #expect(try await client.request(FTPCommand(verb: "RMD", argument: "%2e%2e")).code == .fileActionOkay)
        // Renaming onto a path outside, and MKD through a link, fail too.
        #expect(try await client.request(FTPCommand(verb: "RNFR", argument: "inside.txt")).code == .pendingFurtherInformation)
        #expect(try await client.request(FTPCommand(verb: "RNTO", argument: "../stolen.txt")).code == .fileUnavailable)
        #expect(try await client.request(FTPCommand(verb: "MKD", argument: "outside-dir/new")).code == .fileUnavailable)
        #expect(try await client.request(FTPCommand(verb: "CWD", argument: "/")).code == .fileActionOkay)
        #expect(try await client.currentDirectory() == "/")
        // Nothing outside changed, and the links are still links.
        #expect(readFile(outside + "/secret.txt") == Array("secret".utf8))
        #expect(directoryEntries(outside) == ["secret.txt"])
        #expect(try await server.read("inside.txt") == Array("inside".utf8))
        #expect(try await server.entries() == ["etc", "inside.txt", "outside-dir", "outside-file", "passwd", "sub"])
        await client.quit()
        await server.stopAndRemove()
    }

    @Test func aStorOntoASymlinkIsRefusedAndTheTargetUntouched() async throws {
        let (server, outside) = try await Self.server()
        let client = try await server.connect()
        let mover = client.mover
        for name in ["outside-file", "outside-dir/secret.txt", "passwd"] {
            await #expect(throws: FTPClient.Failure.self) {
                try await client.transfer(FTPCommand(verb: "STOR", argument: name)) { data in
                    try await mover.send(Array("pwned".utf8), over: data, progress: TransferProgress())
                }
            }
        }
        #expect(readFile(outside + "/secret.txt") == Array("secret".utf8))
        var status = stat()
        #expect(lstat(server.root + "/outside-file", &status) == 0 && status.st_mode & S_IFMT == S_IFLNK)
        await client.quit()
        await server.stopAndRemove()
    }

    @Test func aLinkSwappedInAfterTheFolderWasCheckedIsStillNotFollowed() async throws {
        let (server, outside) = try await Self.server()
        let client = try await server.connect()
        #expect(try await client.request(FTPCommand(verb: "CWD", argument: "sub")).code == .fileActionOkay)
        // Replace the current folder by a link to the outside.
        try await onFileThread {
            rmdir(server.root + "/sub")
            symlink(outside, server.root + "/sub")
        }
        #expect(try await client.request(FTPCommand(verb: "SIZE", argument: "secret.txt")).code == .fileUnavailable)
        #expect(try await client.request(FTPCommand(verb: "DELE", argument: "secret.txt")).code == .fileUnavailable)
        #expect(readFile(outside + "/secret.txt") == Array("secret".utf8))
        await client.quit()
        await server.stopAndRemove()
    }
}
