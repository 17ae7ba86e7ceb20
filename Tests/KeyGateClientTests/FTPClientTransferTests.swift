import KeyGateSystem
import KeyGateFTP
import KeyGateTestSupport
import Testing

@testable import KeyGateClient

/// `FTPClient.transfer` against a real server: the data connection is
/// dialled while the transfer command travels, and a refused command
/// leaves neither a half-made connection nor a stranger in the server's
/// log.
@Suite(.exclusiveNetwork)
struct FTPClientTransferTests {
    @Test func refusedTransfersLeaveNoStrangerAndTheSessionGoesOn() async throws {
        let server = try await FTPTestServer.start()
        let client = try await server.connect()
        try await server.write(Array("kept".utf8), to: "here.txt")
        for round in 0..<20 {
            do {
                _ = try await client.listing("RETR", path: "missing-\(round).txt")
                Issue.record("RETR of a missing file succeeded")
            } catch let FTPClient.Failure.refused(command, reply) {
                #expect(command == "RETR missing-\(round).txt")
                #expect(reply.code == .fileUnavailable, "\(reply)")
            }
        }
        // Each refused RETR's connection was made and closed unused; the
        // next passive command replaced it, and the session works on.
        #expect(try await client.listing("RETR", path: "here.txt") == Array("kept".utf8))
        #expect(server.server.logLines(containing: "stranger on passive port").isEmpty,
                "\(server.server.logLines(containing: "stranger"))")
        await client.quit()
        await server.stopAndRemove()
    }

    @Test func uploadsAndDownloadsMoveTheirBytesWithTheEarlyConnection() async throws {
        let server = try await FTPTestServer.start()
        let client = try await server.connect(pieceByteCount: 4096)
        let bytes = (0..<50_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        for round in 0..<10 {
            let name = "file-\(round).bin"
            try await client.transfer(FTPCommand(verb: "STOR", argument: name)) { data in
                try await data.sendData(bytes, deadline: .after(.seconds(20)))
                try await data.sendEndOfData(deadline: .after(.seconds(20)))
            }
            #expect(try await server.read(name) == bytes)
            #expect(try await client.listing("RETR", path: name) == bytes)
        }
        await client.quit()
        await server.stopAndRemove()
    }
}
