import KeyGateSystem
import Foundation
import Glibc
import KeyGateChannel
import KeyGateCrypto
import KeyGateSockets
import KeyGateTestSupport
import Testing

/// `keygate ftp-proxy` with standard FTP clients: curl and Python's ftplib.
@Suite(.exclusiveNetwork)
struct FTPProxyCommandTests {
    /// A running gateway for client `name` of `server`, and its local port.
    struct Gateway {
        let process: Process
        let port: UInt16
        /// The gateway's log (warnings and errors), after its first line.
        let stderr: FileHandle

        func stop() async {
            process.terminate()
            await KeygateBinary.waitForExit(process)
        }
    }

    /// A running gateway; `arguments` are added to its command line and
    /// `environment` to its environment.
    static func gateway(
        _ server: FTPTestServer, name: String = "alice", allowed: Bool = true, arguments: [String] = [],
        environment: [String: String] = [:]
    ) async throws -> Gateway {
        let options = try await server.server.client(name, allowed: allowed, service: "ftp")
        let (process, stderr) = try KeygateBinary.start([
            "ftp-proxy", "127.0.0.1:\(server.port)", "--listen", "127.0.0.1:0", "--keys", options.keys.directory,
            "--name", name, "--log-level", "warning",
        ] + arguments, environment: environment)
        let line = try #require(await KeygateBinary.firstLine(containing: "listening on", in: stderr))
        let match = try #require(line.firstMatch(of: /listening on 127\.0\.0\.1:(\d+)/))
        return Gateway(process: process, port: try #require(UInt16(match.1)), stderr: stderr)
    }

    /// Runs `tool` with `arguments`; returns its status and output.
    static func run(_ tool: String, _ arguments: [String], in folder: String) async throws -> (Int32, String, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        let stdout = KeygateBinary.pipe(), stderr = KeygateBinary.pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        async let out = KeygateBinary.readAll(stdout.fileHandleForReading)
        async let err = KeygateBinary.readAll(stderr.fileHandleForReading)
        let (outText, errText) = await (out, err)
        await KeygateBinary.waitForExit(process)
        return (process.terminationStatus, outText, errText)
    }

    static func localFolder(_ server: FTPTestServer) -> String {
        let folder = server.server.directory.appending("local")
        mkdir(folder, 0o755)
        return folder
    }

    @Test(.enabled(if: KeygateBinary.toolExists("curl"), "curl is not installed"))
    func curlDownloadsUploadsAndLists() async throws {
        let server = try await FTPTestServer.start()
        let gateway = try await Self.gateway(server)
        let local = Self.localFolder(server)
        let bytes = SecureRandom.bytes(count: 3 << 20)
        try await server.write(bytes, to: "a.bin")
        let url = "ftp://127.0.0.1:\(gateway.port)"
        var (status, _, error) = try await Self.run("curl", ["-sS", "--max-time", "20", "\(url)/a.bin", "-o", "down.bin"], in: local)
        #expect(status == 0, "\(error)")
        #expect(readFile(local + "/down.bin") == bytes)
        // PASV instead of EPSV.
        (status, _, error) = try await Self.run(
            "curl", ["-sS", "--max-time", "20", "--disable-epsv", "\(url)/a.bin", "-o", "pasv.bin"], in: local)
        #expect(status == 0, "\(error)")
        #expect(readFile(local + "/pasv.bin") == bytes)
        (status, _, error) = try await Self.run("curl", ["-sS", "--max-time", "20", "-T", "down.bin", "\(url)/up.bin"], in: local)
        #expect(status == 0, "\(error)")
        #expect(try await server.read("up.bin") == bytes)
        let listing: String
        (status, listing, error) = try await Self.run("curl", ["-sS", "--max-time", "20", "\(url)/"], in: local)
        #expect(status == 0, "\(error)")
        // (curl turns the CR LF of an ASCII listing into LF.)
        let names = listing.split(whereSeparator: \.isNewline).map { $0.split(separator: " ").last.map(String.init) ?? "" }
        #expect(names == ["a.bin", "up.bin"], "\(listing)")
        // Resuming a download (REST) from the bytes already there.
        try writeFile(local + "/resumed.bin", Array(bytes[..<1_000_000]))
        (status, _, error) = try await Self.run(
            "curl", ["-sS", "--max-time", "20", "-C", "-", "\(url)/a.bin", "-o", "resumed.bin"], in: local)
        #expect(status == 0, "\(error)")
        #expect(readFile(local + "/resumed.bin") == bytes)
        // A missing file is an error, not an empty download.
        (status, _, _) = try await Self.run("curl", ["-sS", "--max-time", "20", "\(url)/missing.bin", "-o", "m.bin"], in: local)
        #expect(status != 0)
        await gateway.stop()
        await server.stopAndRemove()
    }

    static let ftplibScript = """
        import ftplib, sys
        ftp = ftplib.FTP()
        ftp.connect('127.0.0.1', int(sys.argv[1]), timeout=20)
        ftp.login()
        lines = []
        ftp.retrlines('LIST', lines.append)
        print('LIST', '|'.join(lines))
        with open('down.bin', 'wb') as f:
            ftp.retrbinary('RETR a.bin', f.write)
        with open('down.bin', 'rb') as f:
            ftp.storbinary('STOR b.bin', f)
        print('NLST', '|'.join(ftp.nlst()))
        print('SIZE', ftp.size('b.bin'))
        ftp.quit()
        """

    @Test(.enabled(if: KeygateBinary.toolExists("python3"), "python3 is not installed"))
    func pythonFtplibListsDownloadsAndUploads() async throws {
        let server = try await FTPTestServer.start()
        let gateway = try await Self.gateway(server)
        let local = Self.localFolder(server)
        let bytes = SecureRandom.bytes(count: 1 << 20)
        try await server.write(bytes, to: "a.bin")
        try writeFile(local + "/script.py", Array(Self.ftplibScript.utf8))
        let (status, output, error) = try await Self.run("python3", ["script.py", "\(gateway.port)"], in: local)
        #expect(status == 0, "\(error)")
        let lines = output.split(separator: "\n")
        #expect(lines.count == 3, "\(output)")
        #expect(lines.first?.wholeMatch(of: /LIST -rw-r--r-- 1 ftp ftp 1048576 .* a.bin/) != nil, "\(output)")
        #expect(lines.dropFirst().elementsEqual(["NLST a.bin|b.bin", "SIZE 1048576"]), "\(output)")
        #expect(readFile(local + "/down.bin") == bytes)
        #expect(try await server.read("b.bin") == bytes)
        await gateway.stop()
        await server.stopAndRemove()
    }

    static let ftplibHashScript = """
        import ftplib, sys
        ftp = ftplib.FTP()
        ftp.connect('127.0.0.1', int(sys.argv[1]), timeout=20)
        ftp.login()
        print('FEAT', '|'.join(l.strip() for l in ftp.sendcmd('FEAT').splitlines()[1:-1]))
        print('OPTS', ftp.sendcmd('OPTS HASH SHA-256'))
        try:
            ftp.sendcmd('OPTS HASH MD5')
        except ftplib.error_perm as e:
            print('MD5', str(e)[:3])
        print('HASH', ftp.sendcmd('HASH a.bin'))
        try:
            ftp.sendcmd('HASH missing.bin')
        except ftplib.error_perm as e:
            print('MISSING', str(e)[:3])
        ftp.quit()
        """

    /// HASH and OPTS HASH pass through the gateway, and FEAT shows HASH, so
    /// standard clients can verify their transfers.
    @Test(.enabled(if: KeygateBinary.toolExists("python3"), "python3 is not installed"))
    func pythonFtplibAsksForHashesThroughTheGateway() async throws {
        let server = try await FTPTestServer.start()
        let gateway = try await Self.gateway(server)
        let local = Self.localFolder(server)
        let bytes = SecureRandom.bytes(count: 200_000)
        try await server.write(bytes, to: "a.bin")
        try writeFile(local + "/script.py", Array(Self.ftplibHashScript.utf8))
        let (status, output, error) = try await Self.run("python3", ["script.py", "\(gateway.port)"], in: local)
        #expect(status == 0, "\(error)")
        let lines = output.split(separator: "\n").map(String.init)
        #expect(lines.count == 5, "\(output)")
        #expect(lines.first?.hasPrefix("FEAT ") == true && lines[0].split(separator: "|").contains("HASH SHA-256*"), "\(output)")
        #expect(lines.dropFirst().elementsEqual([
            "OPTS 200 SHA-256", "MD5 504",
            "HASH 213 SHA-256 0-200000 \(HexText.encode(SHA256.hash(bytes))) /a.bin", "MISSING 550",
        ]), "\(output)")
        await gateway.stop()
        await server.stopAndRemove()
    }

    /// Reads CRLF-terminated reply lines from a plain FTP connection.
    struct PlainControl {
        let connection: TCPConnection
        var buffer: [UInt8] = []

        mutating func line() async throws -> String {
            while true {
                if let end = buffer.firstIndex(of: 10) {
                    defer { buffer.removeSubrange(...end) }
                    return String(decoding: buffer[..<end].filter { $0 != 13 }, as: UTF8.self)
                }
                guard let more = try await connection.read(deadline: .after(.seconds(20))) else { return "" }
                buffer += more
            }
        }

        mutating func command(_ text: String) async throws -> String {
            try await connection.write(Array((text + "\r\n").utf8))
            return try await line()
        }
    }

    @Test func everyPassiveFormIsBridgedThroughTheGateway() async throws {
        let server = try await FTPTestServer.start()
        let gateway = try await Self.gateway(server)
        try await server.write(Array("bridged".utf8), to: "a.txt")
        let local = try SocketAddress(host: "127.0.0.1", port: gateway.port)
        var control = PlainControl(connection: try await TCPConnection.connect(to: local))
        #expect(try await control.line().hasPrefix("220 "))
        for passive in ["EPSV", "EPSV 1", "PASV"] {
            let reply = try await control.command(passive)
            let port: UInt16
            if passive == "PASV" {
                let match = try #require(reply.firstMatch(of: /\(127,0,0,1,(\d+),(\d+)\)/), "\(reply)")
                port = UInt16(Int(match.1)! * 256 + Int(match.2)!)
            } else {
                let match = try #require(reply.firstMatch(of: /\(\|\|\|(\d+)\|\)/), "\(reply)")
                port = try #require(UInt16(match.1))
            }
            // The gateway's own port, never the server's.
            #expect(!TestServer.dataPorts.contains(port), "\(passive): \(reply)")
            let data = try await TCPConnection.connect(to: local.withPort(port))
            #expect(try await control.command("RETR a.txt").hasPrefix("150 "))
            var received: [UInt8] = []
            while let more = try await data.read(deadline: .after(.seconds(20))) { received += more }
            #expect(received == Array("bridged".utf8), "\(passive)")
            #expect(try await control.line().hasPrefix("226 "))
            await data.close()
        }
        #expect(try await control.command("QUIT").hasPrefix("221 "))
        await control.connection.close()
        await gateway.stop()
        await server.stopAndRemove()
    }

    @Test func aDeniedKeyGets421AndTheLocalClientIsDisconnected() async throws {
        let server = try await FTPTestServer.start()
        let gateway = try await Self.gateway(server, name: "mallory", allowed: false)
        let connection = try await TCPConnection.connect(to: try SocketAddress(host: "127.0.0.1", port: gateway.port))
        // The gateway greets at once; the session (and its denial) comes
        // with the first command.
        var control = PlainControl(connection: connection)
        #expect(try await control.line().hasPrefix("220 "))
        try await connection.write(Array("USER anonymous\r\n".utf8))
        var received = control.buffer
        while let more = try await connection.read(deadline: .after(.seconds(20))) { received += more }
        let text = String(decoding: received, as: UTF8.self)
        #expect(text.hasPrefix("421 ") && text.hasSuffix("\r\n") && text.contains("allow-list"), "\(text)")
        await connection.close()
        await gateway.stop()
        await server.stopAndRemove()
    }

    @Test func aListenAddressOffThisMachineIsAUsageError() async throws {
        let outcome = try await KeygateBinary.run(["ftp-proxy", "127.0.0.1:7700", "--listen", "0.0.0.0:2121"])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("not a loopback address"), "\(outcome.stderr)")
    }
}
