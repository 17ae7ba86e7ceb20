import KeyGateSystem
import Glibc
import KeyGateChannel
import KeyGateClient
import KeyGateCrypto
import KeyGateFTP
import KeyGateTestSupport
import Testing

/// `--xferlog`: the wu-ftpd format, read back by the documented fields.
@Suite(.exclusiveNetwork)
struct TransferLogTests {
    /// One xferlog line split into its fields as README documents them:
    /// the first five words are current-time (ctime), then 13 fields.
    struct Line {
        let time: String, transferTime: Int, host: String, size: Int64, filename: String, type: String,
            action: String, direction: String, access: String, user: String, service: String,
            authentication: String, userID: String, status: String

        init?(_ text: String) {
            let words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard words.count == 18, let transferTime = Int(words[5]), let size = Int64(words[7]) else { return nil }
            time = words[0..<5].joined(separator: " ")
            self.transferTime = transferTime
            host = words[6]
            self.size = size
            (filename, type, action, direction, access, user) = (words[8], words[9], words[10], words[11], words[12], words[13])
            (service, authentication, userID, status) = (words[14], words[15], words[16], words[17])
        }
    }

    @Test func eachFileTransferCompletedOrFailedIsOneLine() async throws {
        let server = try await FTPTestServer.start(transferLog: true)
        let client = try await server.connect()
        let bytes = SecureRandom.bytes(count: 100_000)
        try await FTPServiceTests.upload(bytes, to: "up load.bin", with: client)
        #expect(try await FTPServiceTests.download("up load.bin", with: client) == bytes)
        _ = try await client.listing()
        #expect(try await client.request(FTPCommand(verb: "TYPE", argument: "A")).code == .commandOkay)
        #expect(try await FTPServiceTests.download("/up load.bin", with: client) == bytes)
        #expect(try await client.request(FTPCommand(verb: "TYPE", argument: "I")).code == .commandOkay)
        // A failed upload: the data connection ends without end-of-data
        // (the fifth passive listener: the client's own count does not
        // know this one, so it comes last).
        let port = try await FTPServiceTests.extendedPassive(client)
        #expect(try await client.request(FTPCommand(verb: "STOR", argument: "cut.bin")).code == .openingDataConnection)
        let data = try await client.connectData(port: port, passiveNumber: 5)
        try await data.sendData(Array(repeating: 7, count: 5000))
        await data.close()
        #expect(try await client.readReply().code == .transferAborted)
        await client.quit()
        let path = server.transferLogPath
        let lines = await eventually(timeout: .seconds(10)) {
            (readFile(path).map { FTPReply.lines(of: $0) } ?? []).count == 4
        } ? FTPReply.lines(of: readFile(path) ?? []) : []
        let parsed = lines.compactMap(Line.init)
        #expect(parsed.count == 4, "\(lines)")
        guard parsed.count == 4 else { return }
        // The listing is not a file transfer.
        #expect(parsed.map(\.filename) == ["/up_load.bin", "/up_load.bin", "/up_load.bin", "/cut.bin"])
        #expect(parsed.map(\.direction) == ["i", "o", "o", "i"])
        #expect(parsed.map(\.status) == ["c", "c", "c", "i"])
        #expect(parsed.map(\.size) == [100_000, 100_000, 100_000, 5000])
        #expect(parsed.map(\.type) == ["b", "b", "a", "b"])
        for line in parsed {
            #expect(line.host == "127.0.0.1" && line.user == "alice" && line.access == "r" && line.service == "ftp")
            #expect(line.action == "_" && line.authentication == "0" && line.userID == "*" && line.transferTime >= 1)
            #expect(line.time.wholeMatch(of: /[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]?\d \d\d:\d\d:\d\d \d{4}/) != nil, "\(line.time)")
        }
        await server.stopAndRemove()
    }

    @Test func fieldsNeverHoldSpacesOrControlCharacters() {
        let record = TransferLog.Record(
            ended: 0, seconds: 0.2, remoteHost: "::1", byteCount: 3, path: "/a b\tc\u{1b}d\u{00a0}e", binary: true,
            incoming: false, user: "eve smith", complete: true)
        let words = record.line.split(separator: " ", omittingEmptySubsequences: true)
        #expect(words.count == 18, "\(record.line)")
        #expect(words[8] == "/a_b_c_d_e" && words[13] == "eve_smith" && words[5] == "1")
    }
}
