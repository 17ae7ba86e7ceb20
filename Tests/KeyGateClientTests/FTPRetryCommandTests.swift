import KeyGateSystem
import Foundation
import Glibc
import KeyGateChannel
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
    /// One row of /proc/net/tcp: addresses as the kernel writes them.
    struct SocketRow {
        let local: String, remote: String, established: Bool, inode: UInt64

        var remotePort: UInt16? { remote.split(separator: ":").last.flatMap { UInt16($0, radix: 16) } }
    }

    static func socketRows() -> [SocketRow] {
        var rows: [SocketRow] = []
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let text = readFile(table).map({ String(decoding: $0, as: UTF8.self) }) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                guard fields.count > 9, let inode = UInt64(fields[9]) else { continue }
                rows.append(SocketRow(local: String(fields[1]), remote: String(fields[2]), established: fields[3] == "01", inode: inode))
            }
        }
        return rows
    }

    /// The socket inodes of process `pid` ("self" for this one), with the
    /// descriptor of each.
    static func socketDescriptors(of pid: String) -> [UInt64: Int32] {
        var sockets: [UInt64: Int32] = [:]
        for entry in directoryEntries("/proc/\(pid)/fd") {
            var target = [CChar](repeating: 0, count: 256)
            let length = readlink("/proc/\(pid)/fd/" + entry, &target, target.count - 1)
            guard length > 0 else { continue }
            let link = String(decoding: target[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard link.hasPrefix("socket:["), let inode = UInt64(link.dropFirst(8).dropLast()), let descriptor = Int32(entry)
            else { continue }
            sockets[inode] = descriptor
        }
        return sockets
    }

    /// Shuts down both ways the server's end (in this process) of the FTP
    /// data connection of the client process `client`: its connection to
    /// a data port other than the session's own, which the client's trace
    /// file (`--trace-file`) names in the grant. Returns how many were cut
    /// (0 or 1).
    static func breakDataConnection(ofClient client: Process, trace: String) -> Int {
        let sessionPorts = Set(FTPReply.lines(of: readFile(trace) ?? []).compactMap { line in
            (try? JSONValue.parse(Array(line.utf8)))?["port"]?.intValue.flatMap(UInt16.init(exactly:))
        })
        guard !sessionPorts.isEmpty else { return 0 }
        let rows = socketRows()
        let clientSockets = socketDescriptors(of: String(client.processIdentifier))
        let candidates = rows.filter { row in
            guard row.established, clientSockets[row.inode] != nil, let port = row.remotePort else { return false }
            return TestServer.dataPorts.contains(port) && !sessionPorts.contains(port)
        }
        guard candidates.count == 1, let data = candidates.first,
              let serverEnd = rows.first(where: { $0.local == data.remote && $0.remote == data.local }),
              let descriptor = socketDescriptors(of: "self")[serverEnd.inode]
        else { return 0 }
        return shutdown(descriptor, Int32(SHUT_RDWR)) == 0 ? 1 : 0
    }

    /// The arguments of a client that writes its trace to `trace`.
    static func tracedArguments(_ server: FTPTestServer, trace: String) async throws -> [String] {
        try await FTPCommandTests.arguments(server) + ["--trace-file", trace]
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
        let trace = server.server.directory.appending("trace.jsonl")
        let bytes = SecureRandom.bytes(count: 2 << 20)
        try await server.write(bytes, to: "big.bin")
        let (process, stderr) = try KeygateBinary.start(try await Self.tracedArguments(server, trace: trace) + ["get", "big.bin"], in: local)
        let pid = String(process.processIdentifier)
        #expect(await eventually(timeout: .seconds(20)) { unnamedOpenFileSizes(in: local, process: pid).contains { $0 > 0 } })
        #expect(Self.breakDataConnection(ofClient: process, trace: trace) == 1)
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
        // The client holds itself back, so its end stays open while it sends.
        let server = try await FTPTestServer.start()
        let local = try FTPCommandTests.localFolder(server)
        let trace = server.server.directory.appending("trace.jsonl")
        let bytes = SecureRandom.bytes(count: 2 << 20)
        try writeFile(local + "/big.bin", bytes)
        let (process, stderr) = try KeygateBinary.start(
            try await Self.tracedArguments(server, trace: trace) + ["--limit-rate", "2M", "put", "big.bin"], in: local)
        #expect(await eventually(timeout: .seconds(20)) { unnamedOpenFileSizes(in: server.root).contains { $0 > 0 } })
        #expect(Self.breakDataConnection(ofClient: process, trace: trace) == 1)
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
        let trace = server.server.directory.appending("trace.jsonl")
        try await server.write(SecureRandom.bytes(count: 2 << 20), to: "big.bin")
        let (process, stderr) = try KeygateBinary.start(
            try await Self.tracedArguments(server, trace: trace) + ["--retries", "0", "get", "big.bin"], in: local)
        let pid = String(process.processIdentifier)
        #expect(await eventually(timeout: .seconds(20)) { unnamedOpenFileSizes(in: local, process: pid).contains { $0 > 0 } })
        #expect(Self.breakDataConnection(ofClient: process, trace: trace) == 1)
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
