import KeyGateSystem
import Glibc
import KeyGateChannel
import KeyGateClient
import KeyGateCrypto
import KeyGateFTP
import KeyGateServer
import KeyGateSockets
import KeyGateTestSupport
import Testing

/// The FTP service over real sessions on 127.0.0.1: transfers, replies,
/// confinement, failures.
@Suite(.exclusiveNetwork)
struct FTPServiceTests {
    // MARK: Helpers

    static func upload(_ bytes: [UInt8], to name: String, with client: FTPClient, verb: String = "STOR", restart: Int64? = nil) async throws {
        let mover = client.mover
        try await client.transfer(FTPCommand(verb: verb, argument: name), restart: restart) { data in
            try await mover.send(bytes, over: data, progress: TransferProgress())
        }
    }

    static func download(_ name: String, with client: FTPClient, restart: Int64? = nil) async throws -> [UInt8] {
        let mover = client.mover
        return try await client.transfer(FTPCommand(verb: "RETR", argument: name), restart: restart) { data in
            let gathered = Gathered()
            try await mover.receive(over: data, progress: TransferProgress()) { await gathered.append($0) }
            return await gathered.bytes
        }
    }

    actor Gathered {
        var bytes: [UInt8] = []
        func append(_ more: [UInt8]) { bytes += more }
    }

    /// EPSV by hand: the port, with the caller counting passive numbers.
    static func extendedPassive(_ client: FTPClient) async throws -> UInt16 {
        let reply = try await client.request(FTPCommand(verb: "EPSV"))
        #expect(reply.code == .enteringExtendedPassiveMode)
        return try #require(FTPReply.extendedPassivePort(in: reply.text))
    }

    static func text(_ reply: FTPReply) -> String { String(decoding: reply.message, as: UTF8.self) }

    // MARK: Transfers

    @Test(arguments: [0, 1, 65519, 65520, 10 << 20])
    func randomFilesRoundTripWithEqualHashes(size: Int) async throws {
        let server = try await FTPTestServer.start()
        let client = try await server.connect()
        let bytes = SecureRandom.bytes(count: size)
        try await Self.upload(bytes, to: "file.bin", with: client)
        let stored = try #require(try await server.read("file.bin"))
        #expect(SHA256.hash(stored) == SHA256.hash(bytes))
        let downloaded = try await Self.download("file.bin", with: client)
        #expect(downloaded.count == size)
        #expect(SHA256.hash(downloaded) == SHA256.hash(bytes))
        #expect(try await client.size(of: "file.bin") == Int64(size))
        #expect(try await server.entries() == ["file.bin"])
        await client.quit()
        #expect(server.server.logLines(containing: "transfer command=STOR path=/file.bin bytes=\(size)").count == 1)
        #expect(server.server.logLines(containing: "transfer command=RETR").first?.contains("outcome=complete") == true)
        await server.stopAndRemove()
    }

    @Test func restartResumesDownloadsAndUploads() async throws {
        let server = try await FTPTestServer.start()
        let client = try await server.connect(pieceByteCount: 64 << 10)
        let bytes = SecureRandom.bytes(count: 300_000)
        try await server.write(bytes, to: "whole.bin")
        // Download: an interrupted transfer kept 123457 bytes; fetch the rest.
        let tail = try await Self.download("whole.bin", with: client, restart: 123_457)
        #expect(tail == Array(bytes[123_457...]))
        // Upload: the server holds the first part; send the rest after REST.
        try await server.write(Array(bytes[..<100_000]), to: "partial.bin")
        try await Self.upload(Array(bytes[100_000...]), to: "partial.bin", with: client, restart: 100_000)
        #expect(try await server.read("partial.bin") == bytes)
        // APPE appends.
        try await Self.upload(Array("more".utf8), to: "partial.bin", with: client, verb: "APPE")
        #expect(try await server.read("partial.bin") == bytes + Array("more".utf8))
        // The marker waits for the transfer command across EPSV and SIZE
        // (the order curl and FileZilla use), and is used up by it.
        #expect(try await client.request(FTPCommand(verb: "REST", argument: "299990")).code == .pendingFurtherInformation)
        let tailPort = try await Self.extendedPassive(client)
        #expect(try await client.size(of: "whole.bin") == 300_000)
        #expect(try await client.request(FTPCommand(verb: "RETR", argument: "whole.bin")).code == .openingDataConnection)
        let tail10 = try await client.connectData(port: tailPort, passiveNumber: 4)
        #expect(try await tail10.receiveData() == Array(bytes[299_990...]))
        #expect(try await tail10.receiveData() == nil)
        #expect(try await client.readReply().code == .transferComplete)
        // Past the end: 554, before any 150.
        #expect(try await Self.extendedPassive(client) > 0)
        #expect(try await client.request(FTPCommand(verb: "REST", argument: "999999")).code == .pendingFurtherInformation)
        #expect(try await client.request(FTPCommand(verb: "RETR", argument: "whole.bin")).code == .invalidRestartPosition)
        #expect(try await client.request(FTPCommand(verb: "REST", argument: "-1")).code == .argumentSyntaxError)
        #expect(try await server.entries() == ["partial.bin", "whole.bin"])
        await client.quit()
        await server.stopAndRemove()
    }

    /// APPE and STOR after REST keep the existing bytes with
    /// copy_file_range(2): none of the 64 MiB passes through the server.
    @Test func appendAndRestartOntoALargeFileCopyTheExistingBytesInTheKernel() async throws {
        let server = try await FTPTestServer.start()
        let client = try await server.connect()
        let size = 64 << 20, offset = (40 << 20) + 3
        let tail = SecureRandom.bytes(count: 100_000)
        // 64 MiB are made, written and hashed on a thread of their own:
        // the cooperative threads stay free for the sessions.
        let path = server.path("large.bin")
        let (appendedHash, restartedHash) = try await onFileThread { () throws -> ([UInt8], [UInt8]) in
            let existing = SecureRandom.bytes(count: size)
            try writeFile(path, existing)
            var appended = SHA256Hasher(), restarted = SHA256Hasher()
            appended.update(existing)
            appended.update(tail)
            existing.withUnsafeBytes { restarted.update(UnsafeRawBufferPointer(rebasing: $0[..<offset])) }
            restarted.update(tail)
            return (appended.finalize(), restarted.finalize())
        }
        let started = ContinuousClock.now
        try await Self.upload(tail, to: "large.bin", with: client, verb: "APPE")
        let appendTime = ContinuousClock.now - started
        #expect(try await Self.sizeAndHash(of: path) == (Int64(size + tail.count), appendedHash))
        #expect(server.server.logLines(
            containing: "upload keeps the existing bytes path=/large.bin in_kernel=\(size) through_user_space=0").count == 1)
        // REST keeps the first 40 MiB and 3 bytes, then the new bytes.
        try await Self.upload(tail, to: "large.bin", with: client, restart: Int64(offset))
        #expect(try await Self.sizeAndHash(of: path) == (Int64(offset + tail.count), restartedHash))
        #expect(server.server.logLines(
            containing: "upload keeps the existing bytes path=/large.bin in_kernel=\(offset) through_user_space=0").count == 1)
        #expect(try await server.entries() == ["large.bin"])
        print("APPE of 100000 bytes onto 64 MiB took \(appendTime)")
        await client.quit()
        await server.stopAndRemove()
    }

    /// The size and SHA-256 of the file `path`, read a piece at a time on
    /// a thread of its own.
    static func sizeAndHash(of path: String) async throws -> (Int64, [UInt8]) {
        try await onFileThread {
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw FixtureError(path: path, errno: errno) }
            defer { close(descriptor) }
            var hasher = SHA256Hasher()
            var size: Int64 = 0
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
                guard count > 0 else { break }
                buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
                size += Int64(count)
            }
            return (size, hasher.finalize())
        }
    }

    @Test func tenClientsTransferAtOnce() async throws {
        let server = try await FTPTestServer.start()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<10 {
                let client = try await server.connect("user\(index)")
                group.addTask {
                    let bytes = SecureRandom.bytes(count: (1 << 20) + index)
                    try await Self.upload(bytes, to: "file\(index)", with: client)
                    let back = try await Self.download("file\(index)", with: client)
                    #expect(SHA256.hash(back) == SHA256.hash(bytes))
                    await client.quit()
                }
            }
            try await group.waitForAll()
        }
        #expect(try await server.entries().count == 10)
        await server.stopAndRemove()
    }

    @Test func twoClientsStoringOneNameLeaveOneWholeFile() async throws {
        let server = try await FTPTestServer.start()
        let first = SecureRandom.bytes(count: 3 << 20), second = SecureRandom.bytes(count: 3 << 20)
        let alice = try await server.connect("alice"), bob = try await server.connect("bob")
        async let a: Void = Self.upload(first, to: "same.bin", with: alice)
        async let b: Void = Self.upload(second, to: "same.bin", with: bob)
        _ = try await (a, b)
        let stored = try #require(try await server.read("same.bin"))
        #expect(stored == first || stored == second)
        #expect(try await server.entries() == ["same.bin"])
        await alice.quit()
        await bob.quit()
        await server.stopAndRemove()
    }

    // MARK: Failed transfers

    @Test func aDataConnectionCutBeforeEndOfDataGets426AndLeavesNoFile() async throws {
        let server = try await FTPTestServer.start()
        let client = try await server.connect()
        let port = try await Self.extendedPassive(client)
        let opening = try await client.request(FTPCommand(verb: "STOR", argument: "cut.bin"))
        #expect(opening.code == .openingDataConnection)
        let data = try await client.connectData(port: port, passiveNumber: 1)
        try await data.sendData(SecureRandom.bytes(count: 200_000))
        await data.close()
        let final = try await client.readReply()
        #expect(final.code == .transferAborted)
        #expect(final.text.contains("end-of-data"))
        #expect(try await server.entries() == [], "neither the file nor a temporary file")
        // The session goes on.
        #expect(try await client.request(FTPCommand(verb: "NOOP")).code == .commandOkay)
        await client.quit()
        await server.stopAndRemove()
    }

    @Test func aCutDownloadIsNeverComplete() async throws {
        let server = try await FTPTestServer.start()
        let client = try await server.connect()
        try await server.write(SecureRandom.bytes(count: 4 << 20), to: "big.bin")
        let port = try await Self.extendedPassive(client)
        #expect(try await client.request(FTPCommand(verb: "RETR", argument: "big.bin")).code == .openingDataConnection)
        let data = try await client.connectData(port: port, passiveNumber: 1)
        _ = try await data.receiveData()
        await data.close()
        #expect(try await client.readReply().code == .transferAborted)
        await client.quit()
        await server.stopAndRemove()
    }

    @Test func aSessionEndingMidUploadLeavesNoTemporaryFile() async throws {
        let server = try await FTPTestServer.start()
        let client = try await server.connect()
        try await server.write(Array("old".utf8), to: "target.bin")
        let port = try await Self.extendedPassive(client)
        #expect(try await client.request(FTPCommand(verb: "STOR", argument: "target.bin")).code == .openingDataConnection)
        let data = try await client.connectData(port: port, passiveNumber: 1)
        try await data.sendData(SecureRandom.bytes(count: 500_000))
        // The bytes are arriving in an unnamed file, not under any name.
        #expect(await eventually { !unnamedOpenFileSizes(in: server.root).isEmpty })
        #expect(try await server.entries() == ["target.bin"])
        await client.session.channel.close()
        await data.close()
        #expect(await eventually { unnamedOpenFileSizes(in: server.root).isEmpty }, "the pending file was freed")
        #expect(try await server.entries() == ["target.bin"])
        #expect(try await server.read("target.bin") == Array("old".utf8))
        await server.stopAndRemove()
    }

    // MARK: Reply formats

    @Test func passiveRepliesFollowRFC959AndRFC2428() async throws {
        let server = try await FTPTestServer.start()
        let client = try await server.connect()
        #expect(client.greeting.code == .serviceReady)
        let extended = Self.text(try await client.request(FTPCommand(verb: "EPSV")))
        #expect(extended.wholeMatch(of: /229 Entering Extended Passive Mode \(\|\|\|2[01]\d\d\d\|\)/) != nil, "\(extended)")
        let classic = Self.text(try await client.request(FTPCommand(verb: "PASV")))
        let match = try #require(classic.wholeMatch(of: /227 Entering Passive Mode \(127,0,0,1,(\d+),(\d+)\)/), "\(classic)")
        let port = Int(match.1)! * 256 + Int(match.2)!
        #expect(TestServer.dataPorts.contains(UInt16(port)))
        #expect(try await client.request(FTPCommand(verb: "EPSV", argument: "2")).code == .networkProtocolNotSupported)
        #expect(try await client.request(FTPCommand(verb: "EPSV", argument: "ALL")).code == .commandOkay)
        #expect(try await client.request(FTPCommand(verb: "PORT", argument: "127,0,0,1,4,1")).code == .notImplemented)
        #expect(try await client.request(FTPCommand(verb: "EPRT", argument: "|1|127.0.0.1|1025|")).code == .notImplemented)
        await client.quit()
        await server.stopAndRemove()
    }

    @Test func aTransferWithoutPassiveGets425AtOnceWithout150() async throws {
        let server = try await FTPTestServer.start()
        let client = try await server.connect()
        for verb in ["RETR", "STOR", "APPE", "LIST", "NLST", "MLSD"] {
            let reply = try await client.request(FTPCommand(verb: verb, argument: "x"))
            #expect(reply.code == .cannotOpenDataConnection, "\(verb): \(reply)")
        }
        // No 150 was queued: the next reply answers the next command.
        #expect(try await client.request(FTPCommand(verb: "NOOP")).code == .commandOkay)
        #expect(try await server.entries() == [])
        await client.quit()
        await server.stopAndRemove()
    }

    @Test func theDataConnectionMayComeBeforeTheTransferCommand() async throws {
        let server = try await FTPTestServer.start()
        let client = try await server.connect()
        try await server.write(Array("early bird".utf8), to: "a.txt")
        let port = try await Self.extendedPassive(client)
        let data = try await client.connectData(port: port, passiveNumber: 1)
        #expect(Self.text(try await client.request(FTPCommand(verb: "RETR", argument: "a.txt")))
            == "150 Opening BINARY mode data connection for /a.txt (10 bytes)")
        #expect(try await data.receiveData() == Array("early bird".utf8))
        #expect(try await data.receiveData() == nil)
        #expect(Self.text(try await client.readReply()) == "226 Transfer complete: /a.txt, 10 bytes")
        await client.quit()
        await server.stopAndRemove()
    }

    @Test func abortRepliesFollowTheProtocol() async throws {
        let server = try await FTPTestServer.start()
        let client = try await server.connect()
        // Nothing in progress: 225.
        #expect(try await client.request(FTPCommand(verb: "ABOR")).code == .noTransferInProgress)
        // Waiting for the data connection: 426, then 226.
        try await server.write(SecureRandom.bytes(count: 16 << 20), to: "big.bin")
        _ = try await Self.extendedPassive(client)
        #expect(try await client.request(FTPCommand(verb: "RETR", argument: "big.bin")).code == .openingDataConnection)
        #expect(try await client.request(FTPCommand(verb: "ABOR")).code == .transferAborted)
        #expect(try await client.readReply().code == .transferComplete)
        // Moving bytes (the client does not read): 426, then 226.
        let port = try await Self.extendedPassive(client)
        #expect(try await client.request(FTPCommand(verb: "RETR", argument: "big.bin")).code == .openingDataConnection)
        let data = try await client.connectData(port: port, passiveNumber: 2)
        _ = try await data.receiveData()
        let aborted = try await client.request(FTPCommand(verb: "ABOR"))
        #expect(aborted.code == .transferAborted, "\(aborted)")
        #expect(try await client.readReply().code == .transferComplete)
        await data.close()
        // An aborted upload keeps nothing.
        let uploadPort = try await Self.extendedPassive(client)
        #expect(try await client.request(FTPCommand(verb: "STOR", argument: "up.bin")).code == .openingDataConnection)
        let upload = try await client.connectData(port: uploadPort, passiveNumber: 3)
        try await upload.sendData(SecureRandom.bytes(count: 100_000))
        #expect(try await client.request(FTPCommand(verb: "ABOR")).code == .transferAborted)
        #expect(try await client.readReply().code == .transferComplete)
        await upload.close()
        #expect(try await server.entries() == ["big.bin"])
        #expect(try await client.request(FTPCommand(verb: "NOOP")).code == .commandOkay)
        await client.quit()
        await server.stopAndRemove()
    }

    @Test func strangersOnAPassivePortAreClosedAndTheClientStillGetsIn() async throws {
        let server = try await FTPTestServer.start()
        let client = try await server.connect()
        try await server.write(Array("payload".utf8), to: "a.txt")
        let port = try await Self.extendedPassive(client)
        let address = client.session.dataAddress.withPort(port)
        // Garbage, then a connection that knows the session but not this
        // passive number, then silence.
        let garbage = try await TCPConnection.connect(to: address)
        try await garbage.write(Array(repeating: 0x41, count: 100))
        await #expect(throws: (any Error).self) {
            // One attempt: a client would reconnect to a connection cut
            // like this one for 30 seconds (PROTOCOL.md section 6).
            try await client.session.dataConnections?.dial(
                address, passiveNumber: 2, timeout: .seconds(10), reconnection: .never)
        }
        let silent = try await TCPConnection.connect(to: address)
        let data = try await client.connectData(port: port, passiveNumber: 1)
        #expect(try await client.request(FTPCommand(verb: "RETR", argument: "a.txt")).code == .openingDataConnection)
        #expect(try await data.receiveData() == Array("payload".utf8))
        #expect(try await client.readReply().code == .transferComplete)
        // The wrong number was turned away; the others were closed when
        // the rightful connection won.
        #expect(await eventually { server.server.logLines(containing: "stranger on passive port closed").count >= 1 })
        #expect(try await garbage.read(deadline: .after(.seconds(10))) == nil)
        await garbage.close()
        await silent.close()
        await client.quit()
        await server.stopAndRemove()
    }

    // MARK: Commands

    @Test func simpleCommandsAnswerAsTheRFCsSay() async throws {
        let server = try await FTPTestServer.start()
        let client = try await server.connect()
        #expect(try await client.request(FTPCommand(verb: "USER", argument: "anonymous")).code == .loggedIn)
        #expect(try await client.request(FTPCommand(verb: "PASS", argument: "x")).code == .loggedIn)
        #expect(Self.text(try await client.request(FTPCommand(verb: "SYST"))) == "215 UNIX Type: L8")
        let features = try await client.request(FTPCommand(verb: "FEAT"))
        #expect(features.code == .systemStatus && features.lines.contains(" EPSV") && features.lines.contains(" REST STREAM"))
        #expect(try await client.request(FTPCommand(verb: "OPTS", argument: "UTF8 ON")).code == .commandOkay)
        #expect(try await client.request(FTPCommand(verb: "TYPE", argument: "I")).code == .commandOkay)
        #expect(try await client.request(FTPCommand(verb: "TYPE", argument: "A")).code == .commandOkay)
        #expect(try await client.request(FTPCommand(verb: "TYPE", argument: "E")).code == .parameterNotImplemented)
        #expect(try await client.request(FTPCommand(verb: "MODE", argument: "S")).code == .commandOkay)
        #expect(try await client.request(FTPCommand(verb: "MODE", argument: "B")).code == .parameterNotImplemented)
        #expect(try await client.request(FTPCommand(verb: "STRU", argument: "F")).code == .commandOkay)
        #expect(try await client.request(FTPCommand(verb: "STRU", argument: "R")).code == .parameterNotImplemented)
        #expect(try await client.request(FTPCommand(verb: "HELP")).code == .helpMessage)
        #expect(try await client.request(FTPCommand(verb: "STAT")).code == .systemStatus)
        #expect(try await client.request(FTPCommand(verb: "XYZZ")).code == .syntaxError)
        #expect(try await client.request(FTPCommand(verb: "SITE", argument: "CHMOD 777 x")).code == .notImplemented)
        #expect(try await client.request(FTPCommand(verb: "RNTO", argument: "x")).code == .badSequence)
        // Directories, with a quote in a name doubled in 257 replies.
        #expect(Self.text(try await client.request(FTPCommand(verb: "MKD", argument: "say \"hi\""))) == "257 \"/say \"\"hi\"\"\" created")
        #expect(try await client.request(FTPCommand(verb: "CWD", argument: "say \"hi\"")).code == .fileActionOkay)
        #expect(try await client.currentDirectory() == "/say \"hi\"")
        #expect(try await client.request(FTPCommand(verb: "CDUP")).code == .fileActionOkay)
        #expect(try await client.currentDirectory() == "/")
        #expect(try await client.request(FTPCommand(verb: "RMD", argument: "say \"hi\"")).code == .fileActionOkay)
        // Files: rename, size, modification time, delete.
        try await server.write(Array("12345".utf8), to: "f.txt")
        #expect(try await client.request(FTPCommand(verb: "RNFR", argument: "f.txt")).code == .pendingFurtherInformation)
        #expect(try await client.request(FTPCommand(verb: "RNTO", argument: "g.txt")).code == .fileActionOkay)
        #expect(try await client.size(of: "g.txt") == 5)
        let modified = try await client.request(FTPCommand(verb: "MDTM", argument: "g.txt"))
        #expect(modified.code == .fileStatus && modified.text.wholeMatch(of: /20\d{12}/) != nil)
        let facts = try await client.request(FTPCommand(verb: "MLST", argument: "g.txt"))
        #expect(facts.code == .fileActionOkay && facts.lines[1].hasPrefix(" type=file;size=5;modify="), "\(facts)")
        #expect(try await client.request(FTPCommand(verb: "DELE", argument: "g.txt")).code == .fileActionOkay)
        #expect(try await client.request(FTPCommand(verb: "SIZE", argument: "g.txt")).code == .fileUnavailable)
        #expect(try await client.request(FTPCommand(verb: "MKD", argument: "d")).code == .pathCreated)
        #expect(try await client.request(FTPCommand(verb: "DELE", argument: "d")).code == .fileUnavailable)
        #expect(try await client.request(FTPCommand(verb: "SIZE", argument: "d")).code == .fileUnavailable)
        #expect(Self.text(try await client.request(FTPCommand(verb: "QUIT"))) == "221 Goodbye")
        await server.stopAndRemove()
    }

    @Test func overLongAndMalformedLinesAreRefusedAndTheSessionGoesOn() async throws {
        let server = try await FTPTestServer.start()
        let client = try await server.connect()
        try await client.session.channel.send(Array(repeating: UInt8(ascii: "A"), count: 60_000))
        #expect(try await client.readReply().code == .syntaxError)
        try await client.session.channel.send([])
        #expect(try await client.readReply().code == .syntaxError)
        try await client.session.channel.send(Array("RETR ".utf8) + [0xff])
        #expect(try await client.readReply().code == .argumentSyntaxError)
        #expect(try await client.request(FTPCommand(verb: "NOOP")).code == .commandOkay)
        await client.quit()
        await server.stopAndRemove()
    }

    @Test func listingsShowEntriesButNeverUploadFiles() async throws {
        let server = try await FTPTestServer.start()
        let client = try await server.connect()
        #expect(try await client.request(FTPCommand(verb: "MKD", argument: "my folder")).code == .pathCreated)
        try await server.write(Array("abc".utf8), to: "my folder/a file.txt")
        try await server.write([], to: ".keygate-upload-0123")
        let list = String(decoding: try await client.listing("LIST", path: "-la my folder"), as: UTF8.self)
        #expect(list.wholeMatch(of: /-rw-r--r-- 1 ftp ftp 3 [A-Z][a-z][a-z] [ \d]\d \d\d:\d\d a file.txt\r\n/) != nil, "\(list)")
        let root = String(decoding: try await client.listing("LIST"), as: UTF8.self)
        #expect(root.hasPrefix("drwx") && root.hasSuffix(" my folder\r\n") && !root.contains("keygate"))
        #expect(try await client.listing("LIST") == Array(root.utf8), "the root lists the same every time")
        #expect(try await client.listing("NLST", path: "my folder") == Array("a file.txt\r\n".utf8))
        let facts = String(decoding: try await client.listing("MLSD"), as: UTF8.self)
        #expect(facts.hasPrefix("type=dir;modify=") && facts.hasSuffix("; my folder\r\n"), "\(facts)")
        #expect(try await client.listing("LIST", path: "my folder/a file.txt").count > 0)
        await #expect(throws: FTPClient.Failure.self) { try await client.listing("NLST", path: "my folder/nothing") }
        #expect(try await client.request(FTPCommand(verb: "MKD", argument: "empty")).code == .pathCreated)
        #expect(try await client.listing("NLST", path: "empty") == [], "an empty folder is an empty listing")
        await client.quit()
        await server.stopAndRemove()
    }

    @Test func eachClientGetsItsOwnHomeWhenAsked() async throws {
        let server = try await FTPTestServer.start(homePerClient: true)
        let alice = try await server.connect("alice")
        try await Self.upload(Array("alice's".utf8), to: "/note.txt", with: alice)
        let bob = try await server.connect("bob")
        #expect(try await bob.request(FTPCommand(verb: "SIZE", argument: "note.txt")).code == .fileUnavailable)
        #expect(try await bob.request(FTPCommand(verb: "CWD", argument: "../alice")).code == .fileUnavailable)
        #expect(try await server.read("alice/note.txt") == Array("alice's".utf8))
        #expect(try await server.entries() == ["alice", "bob"])
        await alice.quit()
        await bob.quit()
        await server.stopAndRemove()
    }
}
