import KeyGateSystem
import Foundation
import Glibc
import KeyGateCrypto
import KeyGateFTP
import KeyGateTestSupport
import Testing

/// `keygate ftp` resumes a transfer whose data connection breaks mid-file
/// (`--retries`), and the result verifies. The test server runs in this
/// process: the test cuts the server's end of the data connection with
/// shutdown(2), as a network failure would.
/// Serialized: each test cuts every data connection of this process.
@Suite(.exclusiveNetwork, .serialized)
struct FTPRetryCommandTests {
    /// Shuts down both ways the server's end of the newest established TCP
    /// connection of this process on a test data port: the FTP data
    /// connection of a transfer under way. (The session's own connection
    /// is on a data port too, but older: socket inode numbers grow.)
    /// Returns how many were cut (0 or 1).
    static func breakDataConnection(of server: FTPTestServer) -> Int {
        var inodes: Set<UInt64> = []
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let text = readFile(table).map({ String(decoding: $0, as: UTF8.self) }) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                guard fields.count > 9, fields[3] == "01", let colon = fields[1].lastIndex(of: ":"),
                      let port = UInt16(fields[1][fields[1].index(after: colon)...], radix: 16),
                      TestServer.dataPorts.contains(port), port != server.port, let inode = UInt64(fields[9])
                else { continue }
                inodes.insert(inode)
            }
        }
        var newest: (inode: UInt64, descriptor: Int32)?
        for entry in directoryEntries("/proc/self/fd") {
            var target = [CChar](repeating: 0, count: 256)
            let length = readlink("/proc/self/fd/" + entry, &target, target.count - 1)
            guard length > 0 else { continue }
            let link = String(decoding: target[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard link.hasPrefix("socket:["), let inode = UInt64(link.dropFirst(8).dropLast()), inodes.contains(inode),
                  let descriptor = Int32(entry)
            else { continue }
            if inode > newest?.inode ?? 0 { newest = (inode, descriptor) }
        }
        guard let newest, inodes.count >= 2 else { return 0 }
        return shutdown(newest.descriptor, Int32(SHUT_RDWR)) == 0 ? 1 : 0
    }

    /// A server that sends and takes 2 MiB/s, so a transfer of 2 MiB is
    /// still under way when the test cuts it.
    static func slowServer() async throws -> FTPTestServer {
        var limits = FTPService.Limits()
        limits.maximumRate = 2 << 20
        return try await FTPTestServer.start(limits: limits)
    }

    @Test func aDownloadWhoseDataConnectionBreaksIsResumedAndVerifies() async throws {
        let server = try await Self.slowServer()
        let local = try FTPCommandTests.localFolder(server)
        let bytes = SecureRandom.bytes(count: 2 << 20)
        try await server.write(bytes, to: "big.bin")
        let (process, stderr) = try KeygateBinary.start(try await FTPCommandTests.arguments(server) + ["get", "big.bin"], in: local)
        let pid = String(process.processIdentifier)
        #expect(await eventually(timeout: .seconds(20)) { unnamedOpenFileSizes(in: local, process: pid).contains { $0 > 0 } })
        #expect(Self.breakDataConnection(of: server) == 1)
        let resumed = await KeygateBinary.firstLine(containing: "keygate ftp", in: stderr)
        await KeygateBinary.waitForExit(process)
        let rest = await KeygateBinary.readAll(stderr)
        #expect(process.terminationStatus == 0, "\(String(describing: resumed)) \(rest)")
        #expect(resumed?.contains("get big.bin: the data connection broke") == true, "\(String(describing: resumed))")
        #expect(resumed?.contains("(retry 1 of 3)") == true)
        #expect(readFile(local + "/big.bin") == bytes)
        #expect(directoryEntries(local) == ["big.bin"])
        let retrievals = server.server.logLines(containing: "transfer command=RETR path=/big.bin")
        #expect(retrievals.count == 2 && retrievals[0].contains("outcome=\"failed") && retrievals[1].contains("outcome=complete"), "\(retrievals)")
        #expect(server.server.logLines(containing: "ftp command command=\"REST ").count == 1)
        #expect(server.server.logLines(containing: "ftp command command=\"HASH big.bin\"").count == 1)
        await server.stopAndRemove()
    }

    @Test func anUploadWhoseDataConnectionBreaksIsSentAgain() async throws {
        let server = try await Self.slowServer()
        let local = try FTPCommandTests.localFolder(server)
        let bytes = SecureRandom.bytes(count: 2 << 20)
        try writeFile(local + "/big.bin", bytes)
        let (process, stderr) = try KeygateBinary.start(try await FTPCommandTests.arguments(server) + ["put", "big.bin"], in: local)
        #expect(await eventually(timeout: .seconds(20)) { unnamedOpenFileSizes(in: server.root).contains { $0 > 0 } })
        #expect(Self.breakDataConnection(of: server) == 1)
        let resumed = await KeygateBinary.firstLine(containing: "resuming", in: stderr)
        await KeygateBinary.waitForExit(process)
        #expect(process.terminationStatus == 0)
        #expect(resumed?.contains("put big.bin: the data connection broke") == true, "\(String(describing: resumed))")
        #expect(try await server.read("big.bin") == bytes)
        #expect(try await server.entries() == ["big.bin"])
        await server.stopAndRemove()
    }

    @Test func withNoRetriesABrokenTransferFailsAndKeepsNothing() async throws {
        let server = try await Self.slowServer()
        let local = try FTPCommandTests.localFolder(server)
        try await server.write(SecureRandom.bytes(count: 2 << 20), to: "big.bin")
        let (process, stderr) = try KeygateBinary.start(
            try await FTPCommandTests.arguments(server) + ["--retries", "0", "get", "big.bin"], in: local)
        let pid = String(process.processIdentifier)
        #expect(await eventually(timeout: .seconds(20)) { unnamedOpenFileSizes(in: local, process: pid).contains { $0 > 0 } })
        #expect(Self.breakDataConnection(of: server) == 1)
        let failure = await KeygateBinary.firstLine(containing: "keygate ftp:", in: stderr)
        await KeygateBinary.waitForExit(process)
        #expect(process.terminationStatus == 1, "\(String(describing: failure))")
        #expect(failure?.contains("resuming") == false)
        #expect(directoryEntries(local) == [])
        let usage = try await KeygateBinary.run(try await FTPCommandTests.arguments(server) + ["--retries", "x", "ls"])
        #expect(usage.status == 2)
        await server.stopAndRemove()
    }
}
