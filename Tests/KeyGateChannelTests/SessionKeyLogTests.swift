import Glibc
import KeyGateChannel
import KeyGateCrypto
import KeyGateNoise
import Testing

/// The lab keylog: its file's protection and its line format.
struct SessionKeyLogTests {
    /// A fresh folder under /tmp, removed by the caller.
    static func folder() -> String {
        var template = Array("/tmp/keygate-keylog-XXXXXX".utf8CString)
        let path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        return path
    }

    static func remove(_ folder: String, files: [String]) {
        for file in files { unlink(folder + "/" + file) }
        rmdir(folder)
    }

    static func contents(_ path: String) -> String {
        guard let file = fopen(path, "r") else { return "" }
        defer { fclose(file) }
        var text = ""
        var buffer = [CChar](repeating: 0, count: 4096)
        while fgets(&buffer, Int32(buffer.count), file) != nil {
            text += String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return text
    }

    static let entry = SessionKeyLog.Entry(
        protocolName: "Noise_XX_25519_ChaChaPoly_SHA256", initiatorEphemeralKey: Array(repeating: 0xab, count: 32),
        handshakeHash: Array(0..<32), initiatorToResponderKey: Array(repeating: 1, count: 32),
        responderToInitiatorKey: Array(repeating: 0xfe, count: 32))

    @Test func aNewKeylogIsPrivateAndStartsWithTheWarning() async throws {
        let folder = Self.folder()
        defer { Self.remove(folder, files: ["lab.keys"]) }
        let path = folder + "/lab.keys"
        let log = try SessionKeyLog.open(path: path)
        await log.record(Self.entry)
        var info = stat()
        #expect(stat(path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        let lines = Self.contents(path).split(separator: "\n")
        #expect(lines.first?.contains("FOR LABS ONLY") == true)
        #expect(lines.last.map(String.init) == Self.entry.line)
        // Opened again, it appends without a second warning.
        let again = try SessionKeyLog.open(path: path)
        await again.record(Self.entry)
        #expect(Self.contents(path).split(separator: "\n").filter { $0.hasPrefix("#") }.count == 2)
        #expect(Self.contents(path).split(separator: "\n").filter { $0.hasPrefix(SessionKeyLog.label) }.count == 2)
    }

    @Test func aKeylogOthersCanReadIsRefused() throws {
        let folder = Self.folder()
        defer { Self.remove(folder, files: ["open.keys"]) }
        let path = folder + "/open.keys"
        let descriptor = open(path, O_CREAT | O_WRONLY, 0o644)
        close(descriptor)
        chmod(path, 0o644)
        #expect(throws: SessionKeyLog.OpenError.self) { try SessionKeyLog.open(path: path) }
        do {
            _ = try SessionKeyLog.open(path: path)
        } catch {
            #expect(error.description.contains("chmod 600"))
        }
    }

    @Test func aSymbolicLinkOrAFolderIsRefused() throws {
        let folder = Self.folder()
        defer { Self.remove(folder, files: ["link.keys", "target.keys"]) }
        close(open(folder + "/target.keys", O_CREAT | O_WRONLY, 0o600))
        symlink(folder + "/target.keys", folder + "/link.keys")
        #expect(throws: SessionKeyLog.OpenError.self) { try SessionKeyLog.open(path: folder + "/link.keys") }
        #expect(throws: SessionKeyLog.OpenError.self) { try SessionKeyLog.open(path: folder) }
    }

    @Test func aLineReadsBackAsItsEntry() throws {
        #expect(try SessionKeyLog.Entry(line: Self.entry.line) == Self.entry)
        #expect(Self.entry.line.hasPrefix("KEYGATE_SESSION Noise_XX_25519_ChaChaPoly_SHA256 abab"))
    }

    @Test(arguments: [
        "", "KEYGATE_SESSION", "SESSION a b c d e",
        "KEYGATE_SESSION Noise_XX_25519_ChaChaPoly_SHA256 zz 00 \(String(repeating: "00", count: 32)) \(String(repeating: "00", count: 32))",
        "KEYGATE_SESSION Noise_XX_25519_ChaChaPoly_SHA256 ab 00 0011 \(String(repeating: "00", count: 32))",
        "KEYGATE_SESSION Noise_XX_25519_ChaChaPoly_SHA256 ab 00 \(String(repeating: "00", count: 32)) \(String(repeating: "00", count: 32)) extra",
        "KEYGATE_SESSION Noise_XX_25519_ChaChaPoly_SHA256 AB 00 \(String(repeating: "00", count: 32)) \(String(repeating: "00", count: 32))",
    ])
    func badLinesAreRefused(line: String) {
        #expect(throws: SessionKeyLog.LineError.self) { try SessionKeyLog.Entry(line: line) }
    }

    /// The driver writes the keys Split() gives, under message 1's e:
    /// opening a transport message with them is the proof.
    @Test func theDriverLogsTheTransportKeysOfBothSides() async throws {
        let folder = Self.folder()
        defer { Self.remove(folder, files: ["both.keys"]) }
        let path = folder + "/both.keys"
        let log = try SessionKeyLog.open(path: path)
        let dh = Curve25519()
        let clientStatic = try StaticKeyPair(privateKey: dh.generatePrivateKey(using: SystemRandomSource()), dh: dh)
        let serverStatic = try StaticKeyPair(privateKey: dh.generatePrivateKey(using: SystemRandomSource()), dh: dh)
        let suite = "Noise_XX_25519_ChaChaPoly_SHA256"
        let (a, b) = InMemoryByteStream.pair()
        var clientOptions = ClientHandshakeOptions(protocolName: suite, staticKeyPair: clientStatic, service: "chat")
        clientOptions.keyLog = log
        var serverOptions = ServerHandshakeOptions(acceptedSuites: [suite], staticKeyPair: { _ in serverStatic })
        serverOptions.keyLog = log
        async let client = SecureChannel.clientHandshake(over: a, clientOptions)
        let server = try await SecureChannel.serverHandshake(over: b, serverOptions)
        let channel = try await client
        let entries = try Self.contents(path).split(separator: "\n").filter { !$0.hasPrefix("#") }.map { try SessionKeyLog.Entry(line: $0) }
        #expect(entries.count == 2)
        #expect(entries[0] == entries[1])
        #expect(entries[0].handshakeHash == server.keys.handshakeHash)
        var sending = await channel.sessionKeys.sending
        let sealed = try SecureChannel.seal(Array("hello".utf8), with: &sending)
        let opened = try ChaChaPoly.open(
            Array(sealed.dropFirst(2)), key: entries[0].initiatorToResponderKey, nonce: Array(repeating: 0, count: 12),
            authenticating: [])
        #expect(opened == Array("hello".utf8))
        for secret in [clientStatic.privateKey, serverStatic.privateKey] {
            let hex = secret.withTemporaryArray { $0.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() }
            #expect(!Self.contents(path).contains(hex))
        }
    }
}
