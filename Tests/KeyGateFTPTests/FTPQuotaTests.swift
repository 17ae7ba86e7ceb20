import KeyGateSystem
import Glibc
import KeyGateChannel
import KeyGateClient
import KeyGateCrypto
import KeyGateFTP
import KeyGateTestSupport
import Testing

/// `--ftp-quota` over real sessions: an upload that would take the home
/// past its quota gets 552 and leaves nothing behind.
@Suite(.exclusiveNetwork)
struct FTPQuotaTests {
    static func refusal(_ upload: () async throws -> Void) async -> FTPReply? {
        do {
            try await upload()
            return nil
        } catch let FTPClient.Failure.refused(_, reply) {
            return reply
        } catch {
            return FTPReply(.syntaxError, "unexpected \(error)")
        }
    }

    @Test func uploadsPastTheQuotaGet552AndLeaveNothing() async throws {
        var limits = FTPService.Limits()
        limits.quota = 100_000
        let server = try await FTPTestServer.start(homePerClient: true, limits: limits)
        let client = try await server.connect(pieceByteCount: 16 << 10)
        let first = SecureRandom.bytes(count: 60_000)
        try await FTPServiceTests.upload(first, to: "first.bin", with: client)
        // 60000 + 60000 > 100000: refused while it arrives, nothing kept.
        let second = await Self.refusal {
            try await FTPServiceTests.upload(SecureRandom.bytes(count: 60_000), to: "second.bin", with: client)
        }
        #expect(second?.code == .exceededStorage, "\(String(describing: second))")
        #expect(second?.text.contains("quota") == true)
        #expect(try await server.entries("alice") == ["first.bin"])
        #expect(await eventually { unnamedOpenFileSizes(in: server.path("alice")).isEmpty }, "no pending file left")
        // Replacing a file frees what it held: 90000 fits.
        let replacement = SecureRandom.bytes(count: 90_000)
        try await FTPServiceTests.upload(replacement, to: "first.bin", with: client)
        #expect(try await server.read("alice/first.bin") == replacement)
        // APPE keeps the old bytes: 90000 + 20000 does not fit, and the file is as it was.
        let appended = await Self.refusal {
            try await FTPServiceTests.upload(SecureRandom.bytes(count: 20_000), to: "first.bin", with: client, verb: "APPE")
        }
        #expect(appended?.code == .exceededStorage)
        #expect(try await server.read("alice/first.bin") == replacement)
        // Up to the quota exactly is fine.
        try await FTPServiceTests.upload(SecureRandom.bytes(count: 10_000), to: "last.bin", with: client)
        // A full home refuses at once, before any 150 or data connection.
        _ = try await FTPServiceTests.extendedPassive(client)
        let full = try await client.request(FTPCommand(verb: "STOR", argument: "one-more.bin"))
        #expect(full.code == .exceededStorage, "\(full)")
        #expect(try await server.entries("alice") == ["first.bin", "last.bin"])
        // Other clients have homes of their own.
        let bob = try await server.connect("bob")
        try await FTPServiceTests.upload(SecureRandom.bytes(count: 50_000), to: "b.bin", with: bob)
        await bob.quit()
        await client.quit()
        await server.stopAndRemove()
    }
}
