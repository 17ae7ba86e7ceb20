import Glibc
import KeyGateClient
import KeyGateFTP
import KeyGateTestSupport
import Testing

/// `--ftp-umask`: what it accepts, and the modes uploads and folders get
/// from it on a real server.
@Suite(.exclusiveNetwork)
struct FileModeMaskTests {
    // MARK: Parsing

    @Test(arguments: [("022", 0o022), ("0022", 0o022), ("22", 0o022), ("077", 0o077), ("0", 0), ("000", 0), ("777", 0o777)] as [(String, mode_t)])
    func octalMasksAreAccepted(text: String, bits: mode_t) throws {
        let mask = try FileModeMask(octal: text)
        #expect(mask.bits == bits)
        #expect(mask.fileMode == 0o666 & ~bits && mask.folderMode == 0o777 & ~bits)
    }

    @Test(arguments: ["8", "0999", "01000", "1000", "", "-22", "+22", "0o22", "0x12", "22 ", " 22", "abc", "٢٢"])
    func anythingElseIsRefusedWithTheFix(text: String) {
        #expect(throws: FTPError.invalidUmask(text)) { try FileModeMask(octal: text) }
        let message = FTPError.invalidUmask(text).description
        #expect(message.contains("octal digits from 000 to 777") && message.contains("022"))
    }

    @Test func theDefaultIs022() {
        #expect(FileModeMask.standard.description == "022")
        #expect(FTPService.Limits().umask == .standard)
        #expect(FileModeMask.standard.fileMode == 0o644 && FileModeMask.standard.folderMode == 0o755)
        #expect(FileModeMask(bits: 0o1000) == nil && FileModeMask(bits: 0o7)?.description == "007")
    }

    // MARK: Modes on the server

    /// Every way a file or folder comes to be: STOR, APPE onto an existing
    /// file, STOR after REST, MKD, and STOR inside the new folder. The
    /// process's umask (022 in tests) differs from 077 and 000, so those
    /// show that it does not decide.
    @Test(arguments: [0o022, 0o077, 0o000] as [mode_t])
    func uploadsAndNewFoldersGetTheirModesFromTheUmask(bits: mode_t) async throws {
        var limits = FTPService.Limits()
        limits.umask = try #require(FileModeMask(bits: bits))
        let server = try await FTPTestServer.start(limits: limits)
        let client = try await server.connect()
        try await server.write(Array("existing".utf8), to: "appended.bin")
        try await server.write(Array("existing".utf8), to: "restarted.bin")
        try await FTPServiceTests.upload(Array("new".utf8), to: "stored.bin", with: client)
        try await FTPServiceTests.upload(Array(" more".utf8), to: "appended.bin", with: client, verb: "APPE")
        try await FTPServiceTests.upload(Array("X".utf8), to: "restarted.bin", with: client, restart: 4)
        #expect(try await client.request(FTPCommand(verb: "MKD", argument: "folder")).code == .pathCreated)
        try await FTPServiceTests.upload(Array("inside".utf8), to: "folder/inside.bin", with: client)
        let fileMode = 0o666 & ~bits, folderMode = 0o777 & ~bits
        for name in ["stored.bin", "appended.bin", "restarted.bin", "folder/inside.bin"] {
            let found = try await Self.mode(of: server.path(name))
            #expect(found == fileMode, "\(name): \(String(found, radix: 8)) with umask \(String(bits, radix: 8))")
        }
        let folder = try await Self.mode(of: server.path("folder"))
        #expect(folder == folderMode, "folder: \(String(folder, radix: 8)) with umask \(String(bits, radix: 8))")
        #expect(try await server.read("appended.bin") == Array("existing more".utf8))
        #expect(try await server.read("restarted.bin") == Array("exisX".utf8))
        // The listing shows the same modes.
        let list = String(decoding: try await client.listing("LIST", path: "folder"), as: UTF8.self)
        #expect(list.hasPrefix("-" + Self.symbolic(fileMode) + " "), "\(list)")
        await client.quit()
        await server.stopAndRemove()
    }

    /// `rw-r--r--` for 0o644.
    static func symbolic(_ mode: mode_t) -> String {
        var text = ""
        for shift in stride(from: 6, through: 0, by: -3) {
            let bits = (mode >> mode_t(shift)) & 7
            text += (bits & 4 != 0 ? "r" : "-") + (bits & 2 != 0 ? "w" : "-") + (bits & 1 != 0 ? "x" : "-")
        }
        return text
    }

    /// The permission bits of `path` (not following a link).
    static func mode(of path: String) async throws -> mode_t {
        try await onFileThread {
            var status = stat()
            guard lstat(path, &status) == 0 else { throw FixtureError(path: path, errno: errno) }
            return status.st_mode & 0o7777
        }
    }
}
