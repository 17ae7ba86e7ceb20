import KeyGateSystem
import Foundation
import Glibc
import KeyGateCrypto
import KeyGateSockets
import KeyGateTestSupport
import Testing

/// Who may use `keygate ftp-proxy`: its owner by the socket table, never
/// a web page's HTTP request, and with --password-file only who logs in.
extension FTPProxyCommandTests {
    /// The uid (and gid) the tests switch to for "another user".
    static let strangerUID = 65534

    /// Runs a Python script as another user (uid 65534) with `arguments`;
    /// returns its status and output. Switching user needs root.
    static func runAsAnotherUser(_ script: String, _ arguments: [String]) async throws -> (Int32, String, String) {
        try await run("setpriv", [
            "--reuid=\(strangerUID)", "--regid=\(strangerUID)", "--clear-groups",
            // The system's python3: a user's own (pyenv under /root) is not
            // readable by the other user.
            "/usr/bin/env", "PATH=/usr/local/bin:/usr/bin:/bin", "python3", "-c", script,
        ] + arguments, in: "/")
    }

    /// Connects to the port in argv[1] and prints what it receives until
    /// the other side closes.
    static let receiveAllScript = """
        import socket, sys
        s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=20)
        data = b''
        while True:
            more = s.recv(65536)
            if not more:
                break
            data += more
        sys.stdout.write(repr(data))
        """

    /// Everything `connection` receives until the peer closes it (a reset
    /// counts as a close: the gateway closes with the client's bytes unread).
    static func receiveUntilClosed(_ connection: TCPConnection) async throws -> [UInt8] {
        var received: [UInt8] = []
        do {
            while let more = try await connection.read(deadline: .after(.seconds(20))) { received += more }
        } catch let error as SystemError where error.errno == ECONNRESET {
            return received
        }
        return received
    }

    /// The port of a 229 reply.
    static func extendedPassivePort(_ reply: String) throws -> UInt16 {
        let match = try #require(reply.firstMatch(of: /\(\|\|\|(\d+)\|\)/), "\(reply)")
        return try #require(UInt16(match.1))
    }

    // MARK: The owner check

    // Root only: the test switches to another user with setpriv.
    @Test(.enabled(if: getuid() == 0, "switching to another user needs root"), arguments: [false, true])
    func aControlConnectionOfAnotherUserGets530(withPassword: Bool) async throws {
        let server = try await FTPTestServer.start()
        var arguments: [String] = []
        if withPassword {
            let file = server.server.directory.appending("password")
            try writeFile(file, Array("secret\n".utf8))
            #expect(chmod(file, 0o600) == 0)
            arguments = ["--password-file", file]
        }
        let gateway = try await Self.gateway(server, arguments: arguments)
        let (status, output, error) = try await Self.runAsAnotherUser(Self.receiveAllScript, ["\(gateway.port)"])
        #expect(status == 0, "\(error)")
        #expect(output == "b'530 This gateway serves only its owner (uid \(geteuid())); connection from uid 65534 refused\\r\\n'",
                "\(output)")
        let logged = await KeygateBinary.firstLine(containing: "connection refused", in: gateway.stderr)
        #expect(logged?.contains("uid=65534") == true && logged?.contains("client=127.0.0.1:") == true, "\(logged ?? "")")
        // No session was opened with the owner's key.
        #expect(server.server.logLines(containing: "granted").isEmpty)
        await gateway.stop()
        await server.stopAndRemove()
    }

    /// Connects to the port in argv[1], reads until the gateway closes,
    /// and prints how many bytes came.
    static let takeDataScript = """
        import socket, sys
        s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=20)
        total = 0
        while True:
            more = s.recv(65536)
            if not more:
                break
            total += len(more)
        print('received', total)
        """

    // Root only: the test switches to another user with setpriv.
    @Test(.enabled(if: getuid() == 0, "switching to another user needs root"))
    func aDataConnectionOfAnotherUserCannotTakeTheTransfer() async throws {
        let server = try await FTPTestServer.start()
        let gateway = try await Self.gateway(server)
        let contents = Array("for the owner only".utf8)
        try await server.write(contents, to: "a.txt")
        let local = try SocketAddress(host: "127.0.0.1", port: gateway.port)
        var control = PlainControl(connection: try await TCPConnection.connect(to: local))
        #expect(try await control.line().hasPrefix("220 "))
        let port = try Self.extendedPassivePort(try await control.command("EPSV"))
        // The stranger is first on the gateway's data port: closed, with nothing.
        let (status, output, error) = try await Self.runAsAnotherUser(Self.takeDataScript, ["\(port)"])
        #expect(status == 0, "\(error)")
        #expect(output == "received 0\n")
        let logged = await KeygateBinary.firstLine(containing: "data connection refused", in: gateway.stderr)
        #expect(logged?.contains("uid=65534") == true, "\(logged ?? "")")
        // The listener still waits for the owner, whose transfer completes.
        let data = try await TCPConnection.connect(to: local.withPort(port))
        #expect(try await control.command("RETR a.txt").hasPrefix("150 "))
        var received: [UInt8] = []
        while let more = try await data.read(deadline: .after(.seconds(20))) { received += more }
        #expect(received == contents)
        #expect(try await control.line().hasPrefix("226 "))
        #expect(try await control.command("QUIT").hasPrefix("221 "))
        await data.close()
        await control.connection.close()
        await gateway.stop()
        await server.stopAndRemove()
    }

    // MARK: HTTP

    @Test(arguments: [
        "POST / HTTP/1.1\r\nHost: 127.0.0.1:2121\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\nDELE a.txt\r\n",
        "GET /DELE%20a.txt HTTP/1.0\r\nHost: 127.0.0.1:2121\r\n\r\n",
        "Host: 127.0.0.1:2121\r\nDELE a.txt\r\n",
    ])
    func anHTTPRequestIsClosedWithoutExecutingAnything(_ request: String) async throws {
        let server = try await FTPTestServer.start()
        let gateway = try await Self.gateway(server)
        try await server.write(Array("kept".utf8), to: "a.txt")
        let connection = try await TCPConnection.connect(to: try SocketAddress(host: "127.0.0.1", port: gateway.port))
        var control = PlainControl(connection: connection)
        #expect(try await control.line().hasPrefix("220 "))
        try await connection.write(Array(request.utf8))
        // Closed, with no reply at all.
        #expect(try await control.buffer + Self.receiveUntilClosed(connection) == [])
        await connection.close()
        let logged = await KeygateBinary.firstLine(containing: "HTTP request closed", in: gateway.stderr)
        #expect(logged != nil)
        #expect(try await server.read("a.txt") == Array("kept".utf8))
        #expect(server.server.logLines(containing: "granted").isEmpty, "no session was opened")
        await gateway.stop()
        await server.stopAndRemove()
    }

    // MARK: --password-file

    /// A password file holding `password`, with `mode`.
    static func passwordFile(_ server: FTPTestServer, _ password: String, mode: mode_t = 0o600) throws -> String {
        let file = server.server.directory.appending("password")
        try writeFile(file, Array("\(password)\n".utf8))
        #expect(chmod(file, mode) == 0)
        return file
    }

    /// The environment that hides the socket table from the gateway, as a
    /// sandbox without /proc would.
    static func withoutSocketTable(_ server: FTPTestServer) -> [String: String] {
        let folder = server.server.directory.appending("no-proc-net")
        mkdir(folder, 0o755)
        return ["KEYGATE_TEST_PROC_NET": folder]
    }

    @Test(.enabled(if: KeygateBinary.toolExists("curl"), "curl is not installed"), arguments: [false, true])
    func withAPasswordFileOnlyTheRightPasswordGetsIn(socketTableReadable: Bool) async throws {
        let server = try await FTPTestServer.start()
        let file = try Self.passwordFile(server, "s3cret")
        let gateway = try await Self.gateway(
            server, arguments: ["--password-file", file],
            environment: socketTableReadable ? [:] : Self.withoutSocketTable(server))
        let local = Self.localFolder(server)
        let bytes = SecureRandom.bytes(count: 1 << 20)
        try await server.write(bytes, to: "a.bin")
        let url = "127.0.0.1:\(gateway.port)"
        var (status, _, error) = try await Self.run(
            "curl", ["-sS", "--max-time", "20", "ftp://user:s3cret@\(url)/a.bin", "-o", "down.bin"], in: local)
        #expect(status == 0, "\(error)")
        #expect(readFile(local + "/down.bin") == bytes)
        (status, _, error) = try await Self.run(
            "curl", ["-sS", "--max-time", "20", "-T", "down.bin", "ftp://user:s3cret@\(url)/up.bin"], in: local)
        #expect(status == 0, "\(error)")
        #expect(try await server.read("up.bin") == bytes)
        // curl's exit status 67: "the remote server denied curl to login".
        for credentials in ["user:wrong@", "user:s3cre@", ""] {
            (status, _, error) = try await Self.run(
                "curl", ["-sS", "--max-time", "20", "ftp://\(credentials)\(url)/a.bin", "-o", "denied.bin"], in: local)
            #expect(status == 67 && error.contains("530"), "\(credentials): \(status) \(error)")
        }
        #expect(readFile(local + "/denied.bin") == nil)
        let logged = await KeygateBinary.firstLine(containing: "wrong password", in: gateway.stderr)
        #expect(logged != nil)
        await gateway.stop()
        await server.stopAndRemove()
    }

    @Test func beforeTheLoginEveryCommandButUSERPASSQUITAndNOOPGets530() async throws {
        let server = try await FTPTestServer.start()
        let file = try Self.passwordFile(server, "s3cret")
        let gateway = try await Self.gateway(server, arguments: ["--password-file", file])
        try await server.write(Array("kept".utf8), to: "a.txt")
        var control = PlainControl(connection: try await TCPConnection.connect(
            to: try SocketAddress(host: "127.0.0.1", port: gateway.port)))
        #expect(try await control.line().hasPrefix("220 "))
        for command in ["DELE a.txt", "EPSV", "PASV", "LIST", "FEAT", "SYST", "PWD"] {
            #expect(try await control.command(command).hasPrefix("530 "), "\(command)")
        }
        #expect(try await control.command("NOOP").hasPrefix("200 "))
        #expect(try await control.command("PASS s3cret").hasPrefix("503 "))
        #expect(try await control.command("USER me").hasPrefix("331 "))
        #expect(try await control.command("PASS nope").hasPrefix("530 "))
        #expect(server.server.logLines(containing: "granted").isEmpty, "no session before the login")
        #expect(try await control.command("USER me").hasPrefix("331 "))
        #expect(try await control.command("PASS s3cret").hasPrefix("230 "))
        #expect(try await control.command("SIZE a.txt") == "213 4")
        #expect(try await control.command("QUIT").hasPrefix("221 "))
        await control.connection.close()
        #expect(try await server.read("a.txt") == Array("kept".utf8))
        await gateway.stop()
        await server.stopAndRemove()
    }

    /// Starts a gateway expected not to start; returns its status and the
    /// first line of its error output.
    static func failedStart(
        _ server: FTPTestServer, arguments: [String], environment: [String: String]
    ) async throws -> (Int32, String) {
        let (process, stderr) = try KeygateBinary.start([
            "ftp-proxy", "127.0.0.1:\(server.port)", "--listen", "127.0.0.1:0",
            "--keys", server.server.directory.appending("gateway-keys"),
        ] + arguments, environment: environment)
        let line = await KeygateBinary.firstLine(containing: "keygate ftp-proxy:", in: stderr)
        // A gateway that started after all (or said nothing) is stopped,
        // and the test fails on its status and message.
        if line?.contains("listening on") ?? true { process.terminate() }
        await KeygateBinary.waitForExit(process)
        return (process.terminationStatus, line ?? "")
    }

    @Test func withoutASocketTableTheGatewayNeedsAPasswordFile() async throws {
        let server = try await FTPTestServer.start()
        let (status, message) = try await Self.failedStart(
            server, arguments: [], environment: Self.withoutSocketTable(server))
        #expect(status == 1)
        #expect(message.contains("cannot tell who connects") && message.contains("/tcp")
                && message.contains("--password-file"), "\(message)")
        await server.stopAndRemove()
    }

    @Test(arguments: [0o640, 0o604] as [mode_t])
    func aPasswordFileThatOthersCanReadIsRefused(_ mode: mode_t) async throws {
        let server = try await FTPTestServer.start()
        let file = try Self.passwordFile(server, "s3cret", mode: mode)
        let (status, message) = try await Self.failedStart(
            server, arguments: ["--password-file", file], environment: Self.withoutSocketTable(server))
        #expect(status == 1)
        #expect(message.contains("readable by group or others") && message.contains("chmod 600 \(file)"), "\(message)")
        await server.stopAndRemove()
    }
}
