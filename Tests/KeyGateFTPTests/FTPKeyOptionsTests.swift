import KeyGateSystem
import KeyGateClient
import KeyGateFTP
import KeyGateKeys
import KeyGateTestSupport
import Testing

/// `ftp="read-only"` and `ftp-root` over real sessions.
@Suite(.exclusiveNetwork)
struct FTPKeyOptionsTests {
    @Test func aReadOnlyKeyReadsButEveryWritingCommandGets550() async throws {
        let server = try await FTPTestServer.start()
        try await server.write(Array("hello".utf8), to: "notes.txt")
        let client = try await server.connect("reader", keyOptions: try KeyOptions(parsing: #"ftp="read-only""#))
        #expect(try await FTPServiceTests.download("notes.txt", with: client) == Array("hello".utf8))
        for (verb, argument) in [
            ("STOR", "new.txt"), ("APPE", "notes.txt"), ("DELE", "notes.txt"), ("MKD", "folder"), ("RMD", "folder"),
            ("RNFR", "notes.txt"), ("RNTO", "renamed.txt"), ("MFMT", "20200101000000 notes.txt"),
        ] {
            let reply = try await client.request(FTPCommand(verb: verb, argument: argument))
            #expect(reply.code == .fileUnavailable, "\(verb) got \(reply.code)")
            #expect(reply.lines.joined().contains("read-only"), "\(verb): \(reply.lines)")
        }
        #expect(try await server.entries() == ["notes.txt"])
        #expect(try await server.read("notes.txt") == Array("hello".utf8))
        await client.quit()
        await server.stopAndRemove()
    }

    @Test func anFTPRootConfinesTheKeyBelowItsFolderAndIsCreatedIfMissing() async throws {
        let server = try await FTPTestServer.start(homePerClient: true)
        try await server.write(Array("secret".utf8), to: "outside.txt")
        let client = try await server.connect("alpha", keyOptions: try KeyOptions(parsing: #"ftp-root="projects/alpha""#))
        #expect(try await client.currentDirectory() == "/")
        try await FTPServiceTests.upload(Array("inside".utf8), to: "report.txt", with: client)
        #expect(try await server.read("projects/alpha/report.txt") == Array("inside".utf8))
        #expect(try await client.size(of: "report.txt") == 6)
        let escape = try await client.request(FTPCommand(verb: "SIZE", argument: "../../outside.txt"))
        #expect(escape.code == .fileUnavailable)
        #expect(try await server.entries() == ["outside.txt", "projects"])
        await client.quit()
        await server.stopAndRemove()
    }
}
