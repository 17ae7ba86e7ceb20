import Glibc
@testable import KeyGateKeys
import Testing

struct FileSystemTests {
    @Test func atomicWriteLeavesNoTemporaryFile() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory + "/file"
            try FileSystem.writeAtomically(Array("one\n".utf8), to: path, mode: 0o644, existing: .replace)
            try FileSystem.writeAtomically(Array("two\n".utf8), to: path, mode: 0o644, existing: .replace)
            #expect(try readFile(path) == "two\n")
            #expect(try directoryEntries(directory) == ["file"])
        }
    }

    @Test func aFailureBeforeCommitLeavesTheOldFileIntact() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory + "/authorized_keys"
            try writeFile(path, "old contents\n")
            let simulated = KeyFileError.systemCallFailed(call: "rename", path: path, errno: EIO)
            #expect(throws: simulated) {
                try FileSystem.writeAtomically(Array("new contents\n".utf8), to: path, mode: 0o644, existing: .replace) { () throws(KeyFileError) in
                    throw simulated
                }
            }
            #expect(try readFile(path) == "old contents\n")
            #expect(try directoryEntries(directory) == ["authorized_keys"])
        }
    }

    // Root may write anywhere, so this runs only as an ordinary user; the
    // test above simulates the failure for everyone.
    @Test(.enabled(if: geteuid() != 0, "root ignores directory permissions"))
    func anUnwritableDirectoryLeavesTheOldFileIntact() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory + "/authorized_keys"
            try writeFile(path, "old contents\n")
            try setPermissions(directory, 0o500)
            defer { _ = chmod(directory, 0o700) }
            #expect(throws: KeyFileError.self) {
                try FileSystem.writeAtomically(Array("new contents\n".utf8), to: path, mode: 0o644, existing: .replace)
            }
            #expect(try readFile(path) == "old contents\n")
            #expect(try directoryEntries(directory) == ["authorized_keys"])
        }
    }

    @Test func failIfExistingKeepsTheOtherFile() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory + "/server.key"
            try writeFile(path, "theirs\n", mode: 0o600)
            #expect(throws: KeyFileError.systemCallFailed(call: "link", path: path, errno: EEXIST)) {
                try FileSystem.writeAtomically(Array("ours\n".utf8), to: path, mode: 0o600, existing: .fail)
            }
            #expect(try readFile(path) == "theirs\n")
            #expect(try directoryEntries(directory) == ["server.key"])
        }
    }

    @Test func newFilesGetTheirModeAndReplacementsCanKeepTheOldOne() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory + "/file"
            try FileSystem.writeAtomically([1], to: path, mode: 0o600, existing: .fail)
            #expect(try permissions(of: path) == 0o600)
            try setPermissions(path, 0o640)
            try FileSystem.writeAtomically([2], to: path, mode: 0o644, existing: .replaceKeepingPermissions)
            #expect(try permissions(of: path) == 0o640)
            try FileSystem.writeAtomically([3], to: path, mode: 0o600, existing: .replace)
            #expect(try permissions(of: path) == 0o600)
        }
    }

    @Test func readRefusesOversizedFiles() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory + "/big"
            try writeFile(path, bytes: [UInt8](repeating: 0x41, count: 100))
            #expect(throws: KeyFileError.fileTooLarge(path: path, byteCount: 100, limit: 99)) {
                try FileSystem.read(path, limit: 99)
            }
            #expect(try FileSystem.read(path, limit: 100)?.bytes.count == 100)
            #expect(try FileSystem.read(directory + "/absent") == nil)
        }
    }

    @Test func pathComponents() {
        #expect(FileSystem.directoryName(of: "keys/server.key") == "keys")
        #expect(FileSystem.directoryName(of: "server.key") == ".")
        #expect(FileSystem.directoryName(of: "/server.key") == "/")
        #expect(FileSystem.baseName(of: "/a/b/server.pub") == "server.pub")
    }
}
