import KeyGateSystem
import Glibc
import KeyGateChannel
import KeyGateClient
import KeyGateFTP

/// One upload and one download of a file through a real FTP session
/// (`keygate bench --service ftp --size BYTES`).
public enum TransferBench {
    /// The figures of one run: seconds from the passive command to the
    /// final 226, each way.
    public struct Report: Sendable {
        public let bytes: Int64
        public let uploadSeconds: Double, downloadSeconds: Double

        public var uploadMegabytesPerSecond: Double { Double(bytes) / uploadSeconds / 1e6 }
        public var downloadMegabytesPerSecond: Double { Double(bytes) / downloadSeconds / 1e6 }

        /// One JSON object with the figures.
        public var json: String {
            JSONValue.object([
                ("bytes", .integer(Int(bytes))),
                ("upload_mb_per_s", .double((uploadMegabytesPerSecond * 100).rounded() / 100)),
                ("download_mb_per_s", .double((downloadMegabytesPerSecond * 100).rounded() / 100)),
            ]).description
        }

        /// One line each way, for people.
        public var table: String {
            """
            ftp upload   \(bytes) bytes in \(rounded(uploadSeconds)) s: \(rounded(uploadMegabytesPerSecond)) MB/s
            ftp download \(bytes) bytes in \(rounded(downloadSeconds)) s: \(rounded(downloadMegabytesPerSecond)) MB/s
            """
        }

        private func rounded(_ value: Double) -> String {
            String((value * 100).rounded() / 100)
        }
    }

    /// Why a run failed.
    public enum Failure: Error, CustomStringConvertible {
        /// The session or a command failed.
        case client(ClientError)
        /// A local file could not be written or read.
        case localFile(any Error)
        /// The copy that came back has another size.
        case wrongSize(expected: Int64, got: Int64)

        public var description: String {
            switch self {
            case let .client(error): "\(error)"
            case let .localFile(error): "\(error)"
            case let .wrongSize(expected, got): "the downloaded copy has the wrong size (\(got) bytes, not \(expected))"
            }
        }
    }

    /// Uploads and downloads one file of `size` pseudo-random bytes made in
    /// `folder`, then removes both local copies and the remote file.
    /// With `verify` (the default, as in `keygate ftp`) each figure includes
    /// the check of the file's SHA-256 against the server's (HASH).
    public static func run(
        options: GateClientOptions, folder: String, size: Int64, verify: Bool = true
    ) async throws(Failure) -> Report {
        let name = "keygate-bench-\(UInt32.random(in: 0...UInt32.max)).bin"
        let local = folder + "/" + name, copy = folder + "/" + name + ".copy"
        let io = BlockingExecutor.shared.lane()
        defer {
            unlink(local)
            unlink(copy)
        }
        do {
            try await writeRandomFile(local, size: size, io: io)
        } catch {
            throw .localFile(error)
        }
        let upload: Double, download: Double
        do {
            let session = try await GateClient.connect(options)
            let client = try await FTPClient.start(session, timeout: options.timeout)
            let shell = FTPShell(client: client, options: FTPShell.Options(verify: verify))
            upload = try await seconds { try await shell.put(local, to: name) }
            download = try await seconds { try await shell.get(name, to: copy) }
            try await client.require(FTPCommand(verb: "DELE", argument: name), .fileActionOkay)
            await client.quit()
        } catch let error as ClientError {
            throw .client(error)
        } catch {
            throw .localFile(error)
        }
        let copied = await io.run { () -> Int64 in
            var status = stat()
            return stat(copy, &status) == 0 ? Int64(status.st_size) : -1
        }
        guard copied == size else { throw .wrongSize(expected: size, got: copied) }
        return Report(bytes: size, uploadSeconds: upload, downloadSeconds: download)
    }

    /// `1073741824`, `512K`, `256M`, `1G` (powers of 1024); 0 allowed. Nil
    /// for anything else.
    public static func byteCount(parsing text: String) -> Int64? {
        let units: [Character: Int64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        var digits = Substring(text.uppercased())
        var multiplier: Int64 = 1
        if let last = digits.last, let unit = units[last] {
            multiplier = unit
            digits = digits.dropLast()
        }
        guard let count = Int64(digits), count >= 0, count <= Int64.max / multiplier else { return nil }
        return count * multiplier
    }

    /// Writes `size` pseudo-random bytes (xorshift: nothing along the way
    /// can compress them) to `path`.
    static func writeRandomFile(_ path: String, size: Int64, io: BlockingLane) async throws {
        let upload = try await AtomicFileWriter.beginLocal(
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

    private static func seconds(_ work: () async throws -> Void) async throws -> Double {
        let started = ContinuousClock.now
        try await work()
        let elapsed = ContinuousClock.now - started
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
