import KeyGateSystem
import KeyGateChannel
import KeyGateClient
import KeyGateCrypto
import KeyGateFTP
import KeyGateTestSupport
import Testing

/// Rate limits (`--ftp-max-rate` on the service, `--limit-rate` on the
/// client) hold: a transfer's measured rate is within 10% of the limit.
/// The limit is low and the file small, so each transfer takes a second.
@Suite(.exclusiveNetwork)
struct FTPRateLimitTests {
    static let rate: Int64 = 256 << 10
    static let size = 256 << 10

    /// The measured rate of `bytes` moved in `elapsed`, as a fraction of the limit.
    static func ratio(_ bytes: Int, _ elapsed: Duration) -> Double {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return Double(bytes) / seconds / Double(rate)
    }

    @Test func theServersLimitHoldsForDownloadsAndUploads() async throws {
        var limits = FTPService.Limits()
        limits.maximumRate = Self.rate
        let server = try await FTPTestServer.start(limits: limits)
        let client = try await server.connect()
        let bytes = SecureRandom.bytes(count: Self.size)
        try await server.write(bytes, to: "a.bin")
        let mover = client.mover
        // Download: timed from the data connection to end-of-data.
        let clock = ContinuousClock()
        let (received, downloadTime) = try await client.transfer(FTPCommand(verb: "RETR", argument: "a.bin")) { data in
            let started = clock.now
            var received: [UInt8] = []
            while let piece = try await data.receiveData(deadline: .now + .seconds(20)) { received += piece }
            return (received, clock.now - started)
        }
        #expect(received == bytes)
        let download = Self.ratio(Self.size, downloadTime)
        #expect(download > 0.9 && download < 1.1, "download at \(download) of the limit in \(downloadTime)")
        // Upload: the server takes the bytes at the limit; timed to its 226.
        let started = clock.now
        try await client.transfer(FTPCommand(verb: "STOR", argument: "b.bin")) { data in
            try await mover.send(bytes, over: data, progress: TransferProgress())
        }
        let upload = Self.ratio(Self.size, clock.now - started)
        #expect(upload > 0.9 && upload < 1.1, "upload at \(upload) of the limit")
        #expect(try await server.read("b.bin") == bytes)
        await client.quit()
        await server.stopAndRemove()
    }

    @Test func theClientsLimitHoldsForItsUploads() async throws {
        let server = try await FTPTestServer.start()
        let session = try await GateClient.connect(try await server.options())
        let client = try await FTPClient.start(session, timeout: .seconds(20), mover: DataMover(bytesPerSecond: Self.rate))
        let path = server.server.directory.appending("local.bin")
        let bytes = SecureRandom.bytes(count: Self.size)
        try await onFileThread { try writeFile(path, bytes) }
        let reader = try await FileReader.open(localPath: path, io: BlockingExecutor.shared.lane())
        defer { reader.close() }
        let mover = client.mover
        let clock = ContinuousClock()
        let elapsed = try await client.transfer(FTPCommand(verb: "STOR", argument: "up.bin")) { data in
            let started = clock.now
            try await mover.send(reader, from: 0, over: data, progress: TransferProgress())
            return clock.now - started
        }
        let ratio = Self.ratio(Self.size, elapsed)
        #expect(ratio > 0.9 && ratio < 1.1, "upload at \(ratio) of the limit in \(elapsed)")
        #expect(try await server.read("up.bin") == bytes)
        await client.quit()
        await server.stopAndRemove()
    }
}
