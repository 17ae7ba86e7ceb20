import KeyGateSystem
import Glibc
import KeyGateChannel
import KeyGateClient
import KeyGateFTP
import KeyGateServer

/// `keygate bench --service ftp --size BYTES`: one upload and one download
/// through a real session.
extension BenchCommand {
    /// Uploads and downloads one file of `size` bytes through one session.
    func runTransfer(_ arguments: ParsedArguments, server: HostAndPort, size: Int64) async throws -> ExitStatus {
        let folder = arguments.value("dir") ?? "/tmp"
        let log = Log(level: .warning)
        let options = try arguments.gateClientOptions(server: server, service: KeyGateWire.ftpService, log: log)
        let name = "keygate-bench-\(UInt32.random(in: 0...UInt32.max)).bin"
        let local = folder + "/" + name, copy = folder + "/" + name + ".copy"
        let io = BlockingExecutor.shared.lane()
        defer {
            unlink(local)
            unlink(copy)
        }
        do {
            try await Self.writeRandomFile(local, size: size, io: io)
            let session = try await GateClient.connect(options)
            let client = try await FTPClient.start(session, timeout: options.timeout)
            let shell = FTPShell(client: client, options: FTPShell.Options())
            let upload = try await Self.seconds { try await shell.put(local, to: name) }
            let download = try await Self.seconds { try await shell.get(name, to: copy) }
            try await client.require(KeyGateFTP.FTPCommand(verb: "DELE", argument: name), .fileActionOkay)
            await client.quit()
            var status = stat()
            guard stat(copy, &status) == 0, Int64(status.st_size) == size else {
                printError("keygate bench: the downloaded copy has the wrong size")
                return .failure
            }
            let up = Double(size) / upload / 1e6, down = Double(size) / download / 1e6
            if arguments.flag("json") {
                print("{\"bytes\": \(size), \"upload_mb_per_s\": \(Self.rounded(up)), \"download_mb_per_s\": \(Self.rounded(down))}")
            } else {
                print("ftp upload   \(size) bytes in \(Self.rounded(upload)) s: \(Self.rounded(up)) MB/s")
                print("ftp download \(size) bytes in \(Self.rounded(download)) s: \(Self.rounded(down)) MB/s")
            }
            return .success
        } catch let error as ClientError {
            printError("keygate bench: \(error)")
            return error.exitStatus
        } catch {
            printError("keygate bench: \(error)")
            return .failure
        }
    }

    /// `1073741824`, `512K`, `256M`, `1G` (powers of 1024); 0 allowed.
    static func parseSize(_ text: String) throws(UsageError) -> Int64 {
        let units: [Character: Int64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        var digits = Substring(text.uppercased())
        var multiplier: Int64 = 1
        if let last = digits.last, let unit = units[last] {
            multiplier = unit
            digits = digits.dropLast()
        }
        guard let count = Int64(digits), count >= 0, count <= Int64.max / multiplier else {
            throw UsageError("--size must be a number of bytes (K, M, G allowed), got '\(text)'")
        }
        return count * multiplier
    }

    /// Writes `size` pseudo-random bytes (xorshift: nothing along the way
    /// can compress them) to `path`.
    static func writeRandomFile(_ path: String, size: Int64, io: BlockingLane) async throws {
        let upload = try await FileUpload.beginLocal(
            directory: String(path[..<path.lastIndex(of: "/")!]), targetName: String(path.split(separator: "/").last!),
            keepExisting: false, io: io)
        var state = UInt64.random(in: 1...UInt64.max)
        var written: Int64 = 0
        do {
            while written < size {
                let count = Int(min(Int64(1 << 20), size - written))
                let piece = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                    let words = UnsafeMutableRawBufferPointer(buffer)
                    var offset = 0
                    while offset < count {
                        state ^= state << 13
                        state ^= state >> 7
                        state ^= state << 17
                        withUnsafeBytes(of: state) { bytes in
                            for index in 0..<min(8, count - offset) { words[offset + index] = bytes[index] }
                        }
                        offset += 8
                    }
                    initialized = count
                }
                try await upload.write(piece)
                written += Int64(count)
            }
            try await upload.commit()
        } catch {
            await upload.discard()
            throw error
        }
    }

    static func seconds(_ work: () async throws -> Void) async throws -> Double {
        let started = ContinuousClock.now
        try await work()
        let elapsed = ContinuousClock.now - started
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    static func rounded(_ value: Double) -> String {
        String((value * 100).rounded() / 100)
    }
}
