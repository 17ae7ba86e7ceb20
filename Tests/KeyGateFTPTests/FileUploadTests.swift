import Glibc
import KeyGateFTP
import KeyGateTestSupport
import Testing

/// Uploads land whole or not at all, and never leave a temporary file.
struct FileUploadTests {
    static func folder() -> TemporaryDirectory { TemporaryDirectory("keygate-upload-test") }

    @Test func aCommittedUploadReplacesTheTargetInOneStep() async throws {
        let folder = Self.folder()
        defer { folder.remove() }
        try writeFile(folder.appending("target"), Array("old".utf8))
        let io = FileIO()
        let upload = try await FileUpload.beginLocal(directory: folder.path, targetName: "target", keepExisting: false, io: io)
        try await upload.write(Array("new ".utf8))
        // Until the commit, readers see the old file.
        #expect(readFile(folder.appending("target")) == Array("old".utf8))
        #expect(directoryEntries(folder.path).count == 2)
        try await upload.write(Array("content".utf8))
        try await upload.commit()
        #expect(readFile(folder.appending("target")) == Array("new content".utf8))
        #expect(directoryEntries(folder.path) == ["target"])
    }

    @Test func aDiscardedOrForgottenUploadLeavesNothing() async throws {
        let folder = Self.folder()
        defer { folder.remove() }
        let io = FileIO()
        let discarded = try await FileUpload.beginLocal(directory: folder.path, targetName: "a", keepExisting: false, io: io)
        try await discarded.write([1, 2, 3])
        await discarded.discard()
        await discarded.discard()
        #expect(directoryEntries(folder.path) == [])
        // Released without commit or discard: the last reference removes it.
        var forgotten: FileUpload? = try await FileUpload.beginLocal(
            directory: folder.path, targetName: "b", keepExisting: false, io: io)
        try await forgotten?.write([4])
        #expect(directoryEntries(folder.path).count == 1)
        forgotten = nil
        #expect(directoryEntries(folder.path) == [])
    }

    @Test func keepingTheExistingBytesAppendsAfterThem() async throws {
        let folder = Self.folder()
        defer { folder.remove() }
        try writeFile(folder.appending("partial"), Array("first half, ".utf8))
        let upload = try await FileUpload.beginLocal(
            directory: folder.path, targetName: "partial", keepExisting: true, io: FileIO())
        #expect(upload.byteCount == 12)
        try await upload.write(Array("second half".utf8))
        try await upload.commit()
        #expect(readFile(folder.appending("partial")) == Array("first half, second half".utf8))
    }

    @Test func aMissingFolderIsAnErrorThatSaysSo() async {
        await #expect(throws: FTPError.notFound("/nonexistent/folder")) {
            try await FileUpload.beginLocal(directory: "/nonexistent/folder", targetName: "x", keepExisting: false, io: FileIO())
        }
    }
}
