@testable import KeyGateClient
import Testing

/// HASH replies as the client reads them, and the tally of a batch.
struct FTPClientDigestTests {
    static let hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

    @Test func aHashReplyGivesTheDigestAndItsRange() throws {
        let digest = try #require(FTPClient.parseDigest("SHA-256 0-3 \(Self.hex) /a b.txt"))
        #expect(digest.byteCount == 3)
        #expect(digest.digest.count == 32 && digest.digest.first == 0xba && digest.digest.last == 0xad)
        #expect(FTPClient.parseDigest("sha-256 0-0 \(Self.hex.uppercased()) x")?.byteCount == 0)
    }

    /// A server's reply that is not one is refused, never half-read.
    @Test(arguments: [
        "", "SHA-256", "SHA-1 0-3 \(hex) x", "SHA-256 3 \(hex) x", "SHA-256 1-3 \(hex) x", "SHA-256 0--3 \(hex) x",
        "SHA-256 0-x \(hex) x", "SHA-256 0-3 \(hex.dropLast()) x", "SHA-256 0-3 \(hex)00 x", "SHA-256 0-3 zz\(hex.dropFirst(2)) x",
    ])
    func malformedHashRepliesAreRefused(text: String) {
        #expect(FTPClient.parseDigest(text) == nil, "\(text)")
    }

    @Test func theProgressLineCountsFilesAndBytes() {
        let tally = TransferTally(command: "put -r", json: false)
        tally.expect([Int64?](repeating: nil, count: 10))
        tally.file("put", remote: "a", local: "a", bytes: 1_500_000, seconds: 0.1, verified: true, error: nil)
        tally.file("put", remote: "b", local: "b", bytes: 500_000, seconds: 0.1, verified: true, error: nil)
        #expect(tally.progressLine().hasPrefix("put -r  2/10 files  2.0 MB  "), "\(tally.progressLine())")
        #expect(tally.failures == 0)
    }
}
