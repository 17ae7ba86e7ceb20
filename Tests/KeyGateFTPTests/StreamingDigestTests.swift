import KeyGateSystem
import Glibc
import KeyGateCrypto
@testable import KeyGateFTP
import KeyGateTestSupport
import Testing

/// The SHA-256 computed while a transfer reads or writes a file: the
/// digest of the whole file, kept prefix included, or none at all.
struct StreamingDigestTests {
    static func folder() -> TemporaryDirectory { TemporaryDirectory("keygate-digest-test") }

    /// Pieces of 1 MiB and 1 byte less, so reads do not fall on block or
    /// piece boundaries; the prefix lengths cross 64-byte blocks and the
    /// 16 MiB digest job.
    static let cases: [(size: Int, prefix: Int)] = [
        (0, 0), (1, 0), (1, 1), (100_000, 0), (100_000, 63), (100_000, 100_000), ((17 << 20) + 5, (16 << 20) + 1),
    ]

    @Test func piecesAddedInOrderGiveTheDigestOfTheWhole() {
        let bytes = SecureRandom.bytes(count: 300_001)
        let digest = StreamingDigest()
        var offset = 0
        for length in [0, 1, 63, 64, 65, 100_000, 199_808] {
            bytes.withUnsafeBytes { digest.add(UnsafeRawBufferPointer(rebasing: $0[offset..<offset + length]), at: Int64(offset)) }
            offset += length
        }
        #expect(offset == bytes.count)
        let finished = digest.finish()
        #expect(finished?.digest == SHA256.hash(bytes))
        #expect(finished?.byteCount == Int64(bytes.count))
        // finish leaves it usable.
        #expect(digest.finish()?.digest == SHA256.hash(bytes))
    }

    @Test func aGapOrARepeatedPieceSpoilsItForGood() {
        let bytes = SecureRandom.bytes(count: 1000)
        for wrongOffset: Int64 in [99, 101, 0] {
            let digest = StreamingDigest()
            bytes.withUnsafeBytes { digest.add(UnsafeRawBufferPointer(rebasing: $0[0..<100]), at: 0) }
            bytes.withUnsafeBytes { digest.add(UnsafeRawBufferPointer(rebasing: $0[100...]), at: wrongOffset) }
            #expect(digest.isSpoiled, "offset \(wrongOffset)")
            #expect(digest.finish() == nil)
            // Even the right piece afterwards does not mend it.
            bytes.withUnsafeBytes { digest.add(UnsafeRawBufferPointer(rebasing: $0[100...]), at: 100) }
            #expect(digest.finish() == nil)
        }
        let failed = StreamingDigest()
        failed.spoil()
        #expect(failed.finish() == nil)
    }

    @Test func aCopyGoesOnApart() {
        let bytes = SecureRandom.bytes(count: 200)
        let prefix = StreamingDigest()
        bytes.withUnsafeBytes { prefix.add(UnsafeRawBufferPointer(rebasing: $0[..<50]), at: 0) }
        let first = prefix.copy(), second = prefix.copy()
        bytes.withUnsafeBytes { first.add(UnsafeRawBufferPointer(rebasing: $0[50...]), at: 50) }
        #expect(first.finish()?.digest == SHA256.hash(bytes))
        #expect(second.byteCount == 50 && second.finish()?.digest == SHA256.hash(Array(bytes[..<50])))
        #expect(prefix.byteCount == 50)
    }

    /// An upload resumed at `prefix`: the file's first bytes are hashed
    /// from the file, the rest as the mover reads them.
    @Test(arguments: cases)
    func aPrefixReadFromTheFileAndThePiecesSentGiveTheFilesDigest(size: Int, prefix: Int) async throws {
        let folder = Self.folder()
        defer { folder.remove() }
        let bytes = SecureRandom.bytes(count: size)
        try writeFile(folder.appending("file"), bytes)
        let io = BlockingExecutor.shared.lane()
        let reader = try await FileReader.open(localPath: folder.appending("file"), io: io)
        defer { reader.close() }
        let digest = try await reader.digest(ofFirst: Int64(prefix))
        #expect(digest.byteCount == Int64(prefix))
        var position = Int64(prefix)
        while true {
            let piece = try await reader.read(at: position, count: (1 << 20) - 1, digest: digest)
            if piece.isEmpty { break }
            position += Int64(piece.count)
        }
        let finished = try #require(digest.finish())
        #expect(finished.digest == SHA256.hash(bytes))
        #expect(finished.byteCount == Int64(size))
        #expect(try await reader.sha256().digest == finished.digest)
    }

    /// A download resumed at `prefix`: the kept local bytes are copied
    /// into the pending file and hashed from it, the rest as written.
    @Test(arguments: cases)
    func aKeptPrefixAndTheBatchesWrittenGiveThePendingFilesDigest(size: Int, prefix: Int) async throws {
        let folder = Self.folder()
        defer { folder.remove() }
        let bytes = SecureRandom.bytes(count: size)
        try writeFile(folder.appending("file"), Array(bytes[..<prefix]))
        let io = BlockingExecutor.shared.lane()
        let upload = try await AtomicFileWriter.beginLocal(directory: folder.path, targetName: "file", keepExisting: true, io: io)
        let digest = try await upload.digestSoFar()
        #expect(digest.byteCount == Int64(prefix))
        var offset = prefix
        while offset < size {
            let end = min(size, offset + (1 << 20) - 1)
            try await upload.write(Array(bytes[offset..<end]), digest: digest)
            offset = end
        }
        let finished = try #require(digest.finish())
        #expect(finished.digest == SHA256.hash(bytes))
        #expect(finished.byteCount == Int64(size))
        #expect(try await upload.sha256().digest == finished.digest)
        await upload.discard()
    }

    @Test func aPrefixLongerThanTheFileIsRefused() async throws {
        let folder = Self.folder()
        defer { folder.remove() }
        try writeFile(folder.appending("short"), Array("short".utf8))
        let reader = try await FileReader.open(localPath: folder.appending("short"), io: BlockingExecutor.shared.lane())
        defer { reader.close() }
        await #expect(throws: FTPError.invalidRestartPosition(path: folder.appending("short"), offset: 6, size: 5)) {
            _ = try await reader.digest(ofFirst: 6)
        }
    }
}
