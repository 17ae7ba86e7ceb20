import KeyGateSystem
import Glibc
import KeyGateFTP
import KeyGateTestSupport
import Testing

/// Uploads land whole or not at all, and never leave a temporary file.
struct FileUploadTests {
    static func folder() -> TemporaryDirectory { TemporaryDirectory("keygate-upload-test") }

    static let storages: [FileUpload.PendingStorage] = [.unnamedWherePossible, .named]

    @Test(arguments: storages)
    func aCommittedUploadReplacesTheTargetInOneStep(storage: FileUpload.PendingStorage) async throws {
        let folder = Self.folder()
        defer { folder.remove() }
        try writeFile(folder.appending("target"), Array("old".utf8))
        let io = FileIO()
        let upload = try await FileUpload.beginLocal(
            directory: folder.path, targetName: "target", keepExisting: false, io: io, storage: storage)
        try await upload.write(Array("new ".utf8))
        // Until the commit, readers see the old file.
        #expect(readFile(folder.appending("target")) == Array("old".utf8))
        #expect(directoryEntries(folder.path).count == (upload.isUnnamed ? 1 : 2))
        try await upload.write(Array("content".utf8))
        try await upload.commit()
        #expect(readFile(folder.appending("target")) == Array("new content".utf8))
        #expect(directoryEntries(folder.path) == ["target"])
    }

    @Test(arguments: storages)
    func aDiscardedOrForgottenUploadLeavesNothing(storage: FileUpload.PendingStorage) async throws {
        let folder = Self.folder()
        defer { folder.remove() }
        let io = FileIO()
        let discarded = try await FileUpload.beginLocal(
            directory: folder.path, targetName: "a", keepExisting: false, io: io, storage: storage)
        try await discarded.write([1, 2, 3])
        await discarded.discard()
        await discarded.discard()
        #expect(directoryEntries(folder.path) == [])
        #expect(unnamedOpenFileSizes(in: folder.path) == [])
        // Released without commit or discard: the last reference removes it.
        var forgotten: FileUpload? = try await FileUpload.beginLocal(
            directory: folder.path, targetName: "b", keepExisting: false, io: io, storage: storage)
        try await forgotten?.write([4])
        #expect(directoryEntries(folder.path).count == (storage == .named ? 1 : 0))
        forgotten = nil
        #expect(directoryEntries(folder.path) == [])
        #expect(unnamedOpenFileSizes(in: folder.path) == [])
    }

    /// A process killed mid-upload cannot clean up; an unnamed file needs
    /// no cleaning: it is nowhere in the folder, only open.
    @Test func pendingBytesHaveNoNameInTheFolderUntilTheCommit() async throws {
        let folder = Self.folder()
        defer { folder.remove() }
        let upload = try await FileUpload.beginLocal(
            directory: folder.path, targetName: "target", keepExisting: false, io: FileIO())
        #expect(upload.isUnnamed, "the file system of /tmp supports O_TMPFILE")
        try await upload.write([UInt8](repeating: 7, count: 1000))
        #expect(directoryEntries(folder.path) == [])
        #expect(unnamedOpenFileSizes(in: folder.path) == [1000])
        try await upload.commit()
        #expect(directoryEntries(folder.path) == ["target"])
        #expect(readFile(folder.appending("target")) == [UInt8](repeating: 7, count: 1000))
        #expect(unnamedOpenFileSizes(in: folder.path) == [])
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
