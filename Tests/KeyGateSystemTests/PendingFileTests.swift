import Foundation
import Glibc
import KeyGateSystem
import Testing

/// A pending file shows under its name whole or not at all, and leaves
/// nothing behind when it is discarded or forgotten.
struct PendingFileTests {
    static let storages: [PendingFile.Storage] = [.unnamedWherePossible, .named]

    @Test(arguments: storages)
    func aCommitReplacesTheFileUnderTheName(storage: PendingFile.Storage) throws {
        try withFolder { folder in
            try write("old", to: folder + "/target")
            let pending = try PendingFile.create(in: open(folder), prefix: ".p-", mode: 0o600, storage: storage)
            try pending.write(Array("new".utf8))
            #expect(try contents(folder + "/target") == "old")
            try pending.commit(as: "target")
            #expect(try contents(folder + "/target") == "new")
            #expect(try entries(folder) == ["target"])
        }
    }

    /// The status a commit returns is the placed file's, taken after the
    /// link and rename that changed its ctime.
    @Test(arguments: storages)
    func aCommitReturnsThePlacedFilesStatus(storage: PendingFile.Storage) throws {
        try withFolder { folder in
            let pending = try PendingFile.create(in: open(folder), prefix: ".p-", mode: 0o600, storage: storage)
            try pending.write(Array("12345".utf8))
            let placed = try #require(try pending.commit(as: "target"))
            var named = stat()
            #expect(stat(folder + "/target", &named) == 0)
            #expect(placed.st_ino == named.st_ino && placed.st_dev == named.st_dev && placed.st_size == 5)
            #expect(placed.st_ctim.tv_sec == named.st_ctim.tv_sec && placed.st_ctim.tv_nsec == named.st_ctim.tv_nsec)
        }
    }

    @Test(arguments: storages)
    func failIfExistsKeepsTheOtherFileAndLeavesNothing(storage: PendingFile.Storage) throws {
        try withFolder { folder in
            try write("theirs", to: folder + "/key")
            let pending = try PendingFile.create(in: open(folder), prefix: ".p-", mode: 0o600, storage: storage)
            try pending.write(Array("ours".utf8))
            #expect(throws: PendingFile.Failure(call: "link", code: EEXIST)) {
                try pending.commit(as: "key", placement: .failIfExists)
            }
            #expect(try contents(folder + "/key") == "theirs")
            #expect(try entries(folder) == ["key"])
        }
    }

    @Test(arguments: storages)
    func failIfExistsPlacesANewName(storage: PendingFile.Storage) throws {
        try withFolder { folder in
            let pending = try PendingFile.create(in: open(folder), prefix: ".p-", mode: 0o600, storage: storage)
            try pending.write(Array("ours".utf8))
            try pending.commit(as: "key", placement: .failIfExists)
            #expect(try contents(folder + "/key") == "ours")
            #expect(try entries(folder) == ["key"])
            var status = stat()
            #expect(stat(folder + "/key", &status) == 0 && status.st_mode & 0o777 == 0o600)
        }
    }

    @Test(arguments: storages)
    func aDiscardedOrForgottenFileLeavesNothing(storage: PendingFile.Storage) throws {
        try withFolder { folder in
            let pending = try PendingFile.create(in: open(folder), prefix: ".p-", mode: 0o600, storage: storage)
            try pending.write(Array("gone".utf8))
            pending.discard()
            pending.discard()
            #expect(throws: PendingFile.Failure(call: "rename", code: EBADF)) { try pending.commit(as: "target") }
            do {
                let forgotten = try PendingFile.create(in: open(folder), prefix: ".p-", mode: 0o600, storage: storage)
                try forgotten.write(Array("gone".utf8))
            }
            #expect(try entries(folder) == [])
        }
    }

    @Test func anUnnamedFileShowsNothingInTheFolderWhileItIsWritten() throws {
        try withFolder { folder in
            let pending = try PendingFile.create(in: open(folder), prefix: ".p-", mode: 0o600)
            try #require(pending.isUnnamed, "this file system has no O_TMPFILE")
            try pending.write(Array(repeating: 7, count: 100_000))
            #expect(try entries(folder) == [])
            try pending.commit(as: "done")
            #expect(try entries(folder) == ["done"])
        }
    }

    @Test(arguments: storages)
    func aFolderRemovedMeanwhileFailsWithOpen(storage: PendingFile.Storage) throws {
        try withFolder { folder in
            let gone = folder + "/gone"
            try #require(mkdir(gone, 0o700) == 0)
            let descriptor = try open(gone)
            try #require(rmdir(gone) == 0)
            #expect(throws: PendingFile.Failure(call: "open", code: ENOENT)) {
                try PendingFile.create(in: descriptor, prefix: ".p-", mode: 0o600, storage: storage)
            }
            #expect(!descriptor.isOpen)
        }
    }

    // MARK: Helpers

    private func withFolder(_ body: (String) throws -> Void) throws {
        let folder = NSTemporaryDirectory() + "pending-file-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try body(folder)
    }

    private func open(_ folder: String) throws -> FileDescriptor {
        let raw = Glibc.open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        try #require(raw >= 0)
        return FileDescriptor(adopting: raw)
    }

    private func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    private func contents(_ path: String) throws -> String {
        try String(contentsOfFile: path, encoding: .utf8)
    }

    private func entries(_ folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
    }
}
