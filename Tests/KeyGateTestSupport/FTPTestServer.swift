import KeyGateSystem
import Glibc
import KeyGateChannel
import KeyGateClient
import KeyGateFTP
import KeyGateKeys
import KeyGateServer

/// A real server on 127.0.0.1 offering the FTP service on a temporary
/// root folder, for integration tests.
public final class FTPTestServer: Sendable {
    public let server: TestServer
    /// The service root on disk.
    public let root: String

    private init(server: TestServer, root: String) {
        self.server = server
        self.root = root
    }

    /// Starts a server whose FTP root is `ftp-root` in its temporary folder.
    /// With `transferLog`, the service writes `xferlog` in its temporary
    /// folder (`transferLogPath`).
    public static func start(
        homePerClient: Bool = false, limits: FTPService.Limits = FTPService.Limits(), transferLog: Bool = false,
        configure: (inout ServerConfiguration) -> Void = { _ in }
    ) async throws -> FTPTestServer {
        let directory = TemporaryDirectory("keygate-ftp-test")
        let root = directory.appending("ftp-root")
        let log = transferLog ? try await TransferLog.open(path: directory.appending("xferlog"), log: Log(level: .error, destination: .memory)) : nil
        let service = try FTPService(root: root, homePerClient: homePerClient, limits: limits, transferLog: log)
        let server = try await TestServer.start(services: [service], directory: directory, configure: configure)
        return FTPTestServer(server: server, root: root)
    }

    public var port: UInt16 { server.port }

    /// Where the transfer log is written when asked for.
    public var transferLogPath: String { server.directory.appending("xferlog") }

    /// Options for an allowed client `name` asking for the FTP service.
    public func options(_ name: String = "alice", keyOptions: KeyOptions = KeyOptions()) async throws -> GateClientOptions {
        try await server.client(name, service: KeyGateWire.ftpService, options: keyOptions)
    }

    /// A session of client `name` (allowed with `keyOptions`), greeting read.
    public func connect(
        _ name: String = "alice", keyOptions: KeyOptions = KeyOptions(), pieceByteCount: Int = 1 << 20
    ) async throws -> FTPClient {
        let session = try await GateClient.connect(try await options(name, keyOptions: keyOptions))
        return try await FTPClient.start(session, timeout: .seconds(20), mover: DataMover(pieceByteCount: pieceByteCount))
    }

    /// The path on disk of `name` inside the root.
    public func path(_ name: String) -> String { root + "/" + name }

    /// Writes `bytes` to `name` inside the root (off the cooperative pool).
    public func write(_ bytes: [UInt8], to name: String) async throws {
        let path = self.path(name)
        try await onFileThread { try writeFile(path, bytes) }
    }

    /// The bytes of `name` inside the root, nil when missing.
    public func read(_ name: String) async throws -> [UInt8]? {
        let path = self.path(name)
        return try await onFileThread { readFile(path) }
    }

    /// The names in `folder` (relative to the root), hidden ones included.
    public func entries(_ folder: String = "") async throws -> [String] {
        let path = folder.isEmpty ? root : self.path(folder)
        return try await onFileThread { directoryEntries(path) }
    }

    public func stopAndRemove() async {
        await server.stopAndRemove()
    }
}

/// Writes `bytes` to `path`, replacing it.
public func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else { throw TestFileError(path: path, errno: errno) }
    defer { close(descriptor) }
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + offset, bytes.count - offset) }
        guard written > 0 else { throw TestFileError(path: path, errno: errno) }
        offset += written
    }
}

/// The bytes of `path`, or nil when it cannot be opened.
public func readFile(_ path: String) -> [UInt8]? {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return nil }
    defer { close(descriptor) }
    var result: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress!, $0.count) }
        guard count > 0 else { break }
        result += buffer[0..<count]
    }
    return result
}

/// The names in the folder `path` (without `.` and `..`).
public func directoryEntries(_ path: String) -> [String] {
    guard let stream = opendir(path) else { return [] }
    defer { closedir(stream) }
    var names: [String] = []
    while let entry = readdir(stream) {
        let name = withUnsafePointer(to: &entry.pointee.d_name) {
            String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
}

/// A test fixture file could not be written.
public struct TestFileError: Error, CustomStringConvertible {
    public let path: String
    public let errno: Int32
    public var description: String { "\(path): \(String(cString: strerror(errno)))" }
}

/// The sizes of the files that process `process` ("self", or a pid) holds
/// open in `folder` without a name there: unnamed (O_TMPFILE) or deleted
/// files, as /proc/PID/fd shows them (`/folder/#123 (deleted)`).
public func unnamedOpenFileSizes(in folder: String, process: String = "self") -> [Int64] {
    let descriptors = "/proc/\(process)/fd"
    var sizes: [Int64] = []
    for entry in directoryEntries(descriptors) {
        let link = descriptors + "/" + entry
        var target = [CChar](repeating: 0, count: 4096)
        let count = readlink(link, &target, target.count - 1)
        guard count > 0 else { continue }
        let path = String(decoding: target[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard path.hasPrefix(folder + "/"), path.hasSuffix(" (deleted)") else { continue }
        var status = stat()
        if stat(link, &status) == 0 { sizes.append(Int64(status.st_size)) }
    }
    return sizes
}
