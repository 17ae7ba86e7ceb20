import Glibc
import KeyGateChannel
import KeyGateClient
import KeyGateFTP
import KeyGateTestSupport
import Testing

/// Listings of very large folders stream with bounded memory, and STAT
/// of a folder answers in one reply message or refuses cleanly. One test
/// at a time: the memory figures are the process's.
@Suite(.exclusiveNetwork, .serialized)
struct DirectoryListingTests {
    /// A folder this large would take tens of megabytes to list at once.
    static let largeFolderEntryCount = 200_000
    /// The server may grow by less than this while it lists the folder.
    static let memoryGrowthLimit = 64 << 20

    /// The name of entry `index`: 50 bytes, the index in six digits.
    static func entryName(_ index: Int) -> String {
        let digits = String(index)
        return "entry-" + String(repeating: "0", count: 6 - digits.count) + digits + "-"
            + String(repeating: "n", count: 37)
    }

    /// The index in an entry's name, at the end of a listing line.
    static func entryIndex(inLine line: UnsafeBufferPointer<UInt8>) -> Int? {
        let nameLength = 50
        guard line.count >= nameLength else { return nil }
        var index = 0
        for position in (line.count - nameLength + 6)..<(line.count - nameLength + 12) {
            let digit = Int(line[position]) - Int(UInt8(ascii: "0"))
            guard (0...9).contains(digit) else { return nil }
            index = index * 10 + digit
        }
        return index
    }

    // MARK: Listings

    @Test func listingTwoHundredThousandEntriesStreamsWithBoundedMemory() async throws {
        let server = try await FTPTestServer.start()
        let folder = server.path("large")
        let count = Self.largeFolderEntryCount
        do {
            try await Self.createLinkedEntries(count: count, in: folder)
            let client = try await server.connect()
            for verb in ["NLST", "LIST", "MLSD"] {
                let before = try await ResidentMemory.resetPeak()
                let seen = try await Self.streamListing(verb, of: "large", with: client, expecting: count)
                let after = try await ResidentMemory.read()
                let growth = after.peak - before.resident
                #expect(seen.lines == count, "\(verb)")
                #expect(seen.distinctEntries == count, "\(verb): every entry once")
                #expect(seen.malformedLines == 0, "\(verb): \(seen.firstLine)")
                #expect(growth < Self.memoryGrowthLimit, "\(verb): resident memory grew by \(growth >> 20) MiB")
                print("\(verb) of \(count) entries (\(seen.bytes) bytes): resident memory grew by \(growth >> 10) KiB at most")
            }
            // STAT of the same folder cannot fit one reply: refused, the
            // session goes on.
            let status = try await client.request(FTPCommand(verb: "STAT", argument: "large"))
            #expect(status.code == .fileActionNotTaken, "\(status)")
            #expect(status.text.contains("too large for STAT; use LIST"), "\(status)")
            #expect(try await client.request(FTPCommand(verb: "NOOP")).code == .commandOkay)
            await client.quit()
        } catch {
            await Self.remove(folder, entryCount: count)
            await server.stopAndRemove()
            throw error
        }
        await Self.remove(folder, entryCount: count)
        await server.stopAndRemove()
    }

    /// What a streamed listing held, counted as it arrived.
    struct Seen: Sendable {
        var lines = 0
        var bytes = 0
        var distinctEntries = 0
        var malformedLines = 0
        var firstLine = ""
    }

    /// Runs `verb` on `folder` and counts its lines as they arrive,
    /// without keeping the listing.
    static func streamListing(_ verb: String, of folder: String, with client: FTPClient, expecting count: Int) async throws -> Seen {
        let mover = client.mover
        return try await client.transfer(FTPCommand(verb: verb, argument: folder)) { data in
            let counter = LineCounter(entryCount: count)
            try await mover.receive(over: data, progress: TransferProgress()) { await counter.take($0) }
            return await counter.seen
        }
    }

    /// Splits a listing into lines as it arrives and marks which entries
    /// it named; keeps only an unfinished line between batches.
    actor LineCounter {
        private var partial: [UInt8] = []
        private var marks: [Bool]
        private(set) var seen = Seen()

        init(entryCount: Int) {
            marks = Array(repeating: false, count: entryCount)
        }

        func take(_ batch: [UInt8]) {
            seen.bytes += batch.count
            batch.withUnsafeBufferPointer { bytes in
                guard let base = bytes.baseAddress else { return }
                var start = 0
                // memchr finds the line ends: tens of megabytes go by, and
                // a byte loop in a debug build would hold a thread for seconds.
                while start < bytes.count, let found = memchr(base + start, Int32(UInt8(ascii: "\n")), bytes.count - start) {
                    let end = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                    if partial.isEmpty {
                        line(UnsafeBufferPointer(rebasing: bytes[start..<end]))
                    } else {
                        partial += bytes[start..<end]
                        let whole = partial
                        partial = []
                        whole.withUnsafeBufferPointer { line($0) }
                    }
                    start = end + 1
                }
                partial += bytes[start...]
            }
        }

        private func line(_ text: UnsafeBufferPointer<UInt8>) {
            seen.lines += 1
            guard text.last == UInt8(ascii: "\r") else {
                seen.malformedLines += 1
                return
            }
            let line = UnsafeBufferPointer(rebasing: text.dropLast())
            if seen.lines == 1 { seen.firstLine = String(decoding: line, as: UTF8.self) }
            guard let index = DirectoryListingTests.entryIndex(inLine: line), index < marks.count else {
                seen.malformedLines += 1
                return
            }
            if !marks[index] {
                marks[index] = true
                seen.distinctEntries += 1
            }
        }
    }

    // MARK: STAT

    @Test func statOfAFolderAnswersInOneReplyWhenItFitsAndRefusesCleanlyOtherwise() async throws {
        let server = try await FTPTestServer.start()
        do {
            try await Self.statAnswersOrRefuses(on: server)
        } catch {
            await server.stopAndRemove()
            throw error
        }
        await server.stopAndRemove()
    }

    private static func statAnswersOrRefuses(on server: FTPTestServer) async throws {
        // A LIST line of these entries is about 90 bytes: 500 fit in one
        // transport message (65519 bytes), 1000 do not.
        try await createEmptyFiles(count: 500, in: server.path("fits"))
        try await createEmptyFiles(count: 1000, in: server.path("too-large"))
        let client = try await server.connect()
        let status = try await client.request(FTPCommand(verb: "STAT", argument: "fits"))
        #expect(status.code == .fileStatus, "\(status)")
        #expect(status.lines.count == 502, "a first line, 500 entries, a last line")
        #expect(status.lines[1].hasPrefix(" -rw-") && status.lines[1].hasSuffix(" " + entryName(0)), "sorted by name")
        #expect(status.lines[500].hasSuffix(" " + entryName(499)))
        #expect(status.message.count <= KeyGateWire.maximumPlaintextByteCount)
        let refused = try await client.request(FTPCommand(verb: "STAT", argument: "too-large"))
        #expect(refused.code == .fileActionNotTaken, "\(refused)")
        #expect(refused.lines.count == 1 && refused.text.contains("too large for STAT; use LIST"), "\(refused)")
        // The session goes on, and LIST still lists the folder.
        #expect(try await client.request(FTPCommand(verb: "NOOP")).code == .commandOkay)
        let seen = try await streamListing("LIST", of: "too-large", with: client, expecting: 1000)
        #expect(seen.lines == 1000 && seen.distinctEntries == 1000)
        // A file is one line, as before.
        try await server.write(Array("x".utf8), to: "one.txt")
        let file = try await client.request(FTPCommand(verb: "STAT", argument: "one.txt"))
        #expect(file.code == .fileStatus && file.lines.count == 3 && file.lines[1].hasSuffix(" one.txt"), "\(file)")
        await client.quit()
    }

    // MARK: Fixtures

    /// Creates `folder` holding `count` empty files named by `entryName`,
    /// on a thread of its own (openat(2) relative to the folder, no path
    /// walk per file).
    static func createEmptyFiles(count: Int, in folder: String) async throws {
        try await onFileThread {
            guard mkdir(folder, 0o755) == 0 else { throw FixtureError(path: folder, errno: errno) }
            let directory = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard directory >= 0 else { throw FixtureError(path: folder, errno: errno) }
            defer { close(directory) }
            for index in 0..<count {
                let name = entryName(index)
                let file = openat(directory, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
                guard file >= 0 else { throw FixtureError(path: folder + "/" + name, errno: errno) }
                close(file)
            }
        }
    }

    /// Creates `folder` holding `count` entries named by `entryName`: a
    /// few empty files and hard links to them, on a thread of its own. A
    /// listing costs the same for them as for as many files (each entry is
    /// read, examined with fstatat and formatted), and linking is fast
    /// where allocating inodes is slow: on some file systems 200,000
    /// creat(2) calls take most of a minute.
    static func createLinkedEntries(count: Int, in folder: String) async throws {
        // ext4 allows 65,000 links to a file.
        let linksPerFile = 50_000
        try await onFileThread {
            guard mkdir(folder, 0o755) == 0 else { throw FixtureError(path: folder, errno: errno) }
            let directory = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard directory >= 0 else { throw FixtureError(path: folder, errno: errno) }
            defer { close(directory) }
            for index in 0..<count {
                let name = entryName(index)
                if index % linksPerFile == 0 {
                    let file = openat(directory, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
                    guard file >= 0 else { throw FixtureError(path: folder + "/" + name, errno: errno) }
                    close(file)
                } else if linkat(directory, entryName(index - index % linksPerFile), directory, name, 0) != 0 {
                    throw FixtureError(path: folder + "/" + name, errno: errno)
                }
            }
        }
    }

    /// Removes a folder made by `createEmptyFiles` or `createLinkedEntries`
    /// (or the part of it that was made), one name at a time: faster than
    /// a recursive removal that examines each entry.
    static func remove(_ folder: String, entryCount: Int) async {
        _ = try? await onFileThread {
            let directory = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard directory >= 0 else { return }
            for index in 0..<entryCount {
                unlinkat(directory, entryName(index), 0)
            }
            close(directory)
            rmdir(folder)
        }
    }
}

/// The test process's resident memory (it hosts the server), from
/// /proc/self/status.
enum ResidentMemory {
    /// VmRSS and VmHWM (the peak since the last reset), in bytes.
    struct Figures: Sendable {
        let resident: Int
        let peak: Int
    }

    /// The current figures.
    static func read() async throws -> Figures {
        try await onFileThread { try figuresNow() }
    }

    /// Hands the heap's free memory back to the system, so that what other
    /// tests freed cannot hide growth, then resets the peak to the current
    /// resident size (writing 5 to /proc/self/clear_refs, Linux 4.0 and
    /// later) and returns the figures.
    static func resetPeak() async throws -> Figures {
        try await onFileThread {
            trimHeap()
            let path = "/proc/self/clear_refs"
            let descriptor = open(path, O_WRONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw FixtureError(path: path, errno: errno) }
            defer { close(descriptor) }
            guard write(descriptor, "5", 1) == 1 else { throw FixtureError(path: path, errno: errno) }
            return try figuresNow()
        }
    }

    /// malloc_trim(0) of glibc, which the Glibc module does not export:
    /// found by name in the process.
    private static func trimHeap() {
        typealias MallocTrim = @convention(c) (Int) -> Int32
        guard let process = dlopen(nil, RTLD_NOW) else { return }
        defer { dlclose(process) }
        guard let symbol = dlsym(process, "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
    }

    private static func figuresNow() throws -> Figures {
        let path = "/proc/self/status"
        guard let bytes = readFile(path) else { throw FixtureError(path: path, errno: errno) }
        var values: [String: Int] = [:]
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            // `VmRSS:\t   12345 kB`
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.count == 3, fields[2] == "kB", let value = Int(fields[1]) {
                values[String(fields[0].dropLast())] = value * 1024
            }
        }
        guard let resident = values["VmRSS"], let peak = values["VmHWM"] else {
            throw FixtureError(path: path, errno: ENODATA)
        }
        return Figures(resident: resident, peak: peak)
    }
}

/// A fixture file or folder could not be made, read or removed.
struct FixtureError: Error, CustomStringConvertible {
    let path: String
    let errno: Int32
    var description: String { "\(path): \(String(cString: strerror(errno)))" }
}
