import KeyGateSystem
import KeyGateCrypto
import KeyGateNoise
import KeyGateChannel
import KeyGateKeys

/// A real KeyGate session run in this process over recorded in-memory
/// streams, with the real handshake, channel and keylog code: the control
/// connection (negotiation, XX, grant), the data-port connection (RESUME,
/// then the service) and, for FTP, one NNpsk0 data connection. The
/// service's messages are written by the test (the services themselves
/// are tested elsewhere); their framing and encryption are KeyGate's own.
public struct LabSession: Sendable {
    public let control = ConnectionTranscript()
    public let dataPort = ConnectionTranscript()
    /// The FTP data connection (empty for chat).
    public let ftpData = ConnectionTranscript()
    /// What the server sent first on the control connection.
    public let grant: [UInt8]
    /// The messages on the data port after RESUME, in order: (from client, plaintext).
    public let messages: [(fromClient: Bool, plaintext: [UInt8])]
    /// The file bytes sent on the FTP data connection.
    public let fileBytes: [UInt8]
    /// The client's and the server's static private keys (which no keylog may hold).
    public let staticPrivateKeys: [[UInt8]]

    /// Runs a session of `service` (`chat` or `ftp`) with the `pattern`
    /// (`XX` or `IK`) and DH function `dh`; each side appends its keys to
    /// its keylog when one is given.
    public static func run(
        service: String, pattern: String = "XX", dh: any DiffieHellman = Curve25519(),
        clientKeyLog: SessionKeyLog?, serverKeyLog: SessionKeyLog?
    ) async throws -> LabSession {
        let clientStatic = try StaticKeyPair(privateKey: dh.generatePrivateKey(using: SystemRandomSource()), dh: dh)
        let serverStatic = try StaticKeyPair(privateKey: dh.generatePrivateKey(using: SystemRandomSource()), dh: dh)
        let suite = KeyGateWire.suiteName(pattern: pattern, dh: dh.name)
        let session = LabSession(
            grant: Array((service == "ftp"
                ? #"{"ok":true,"port":21042,"name":"alice","data_key":"\#(Base64.encode(SecureRandom.bytes(count: 32)))"}"#
                : #"{"ok":true,"port":21042,"name":"alice"}"#).utf8),
            messages: service == "ftp"
                ? [(false, Array("220 KeyGate FTP ready".utf8)), (true, Array("EPSV".utf8)),
                   (false, Array("229 Entering Extended Passive Mode (|||21043|)".utf8)), (true, Array("RETR hello.txt".utf8)),
                   (false, Array("150 Opening data connection for hello.txt".utf8)), (false, Array("226 Transfer complete".utf8))]
                : [(false, Array(#"{"type":"joined","name":"alice","room":"lobby"}"#.utf8)),
                   (true, Array(#"{"type":"say","text":"hello, Bob"}"#.utf8)),
                   (false, Array(#"{"type":"msg","from":"alice","text":"hello, Bob","seq":1,"room":"lobby"}"#.utf8))],
            fileBytes: service == "ftp" ? Array("hello world\n".utf8) : [],
            staticPrivateKeys: [clientStatic.privateKey, serverStatic.privateKey].map { $0.withTemporaryArray { Array($0) } })

        // The control connection.
        let (clientEnd, serverEnd) = session.control.pair()
        var clientOptions = ClientHandshakeOptions(
            protocolName: suite, staticKeyPair: clientStatic, pinnedServerKey: pattern == "IK" ? serverStatic.publicKey : nil,
            service: service)
        clientOptions.keyLog = clientKeyLog
        var serverOptions = ServerHandshakeOptions(acceptedSuites: [suite], staticKeyPair: { _ in serverStatic })
        serverOptions.keyLog = serverKeyLog
        async let clientSide = SecureChannel.clientHandshake(over: clientEnd, clientOptions)
        let serverResult = try await SecureChannel.serverHandshake(over: serverEnd, serverOptions)
        let clientChannel = try await clientSide
        try await serverResult.channel.send(session.grant)
        _ = try await clientChannel.receive()
        var clientKeys = await clientChannel.sessionKeys
        let serverKeys = await serverResult.channel.sessionKeys
        await clientChannel.close()
        await serverResult.channel.close()

        // The data port: RESUME, then the service's messages.
        let (dataClientEnd, dataServerEnd) = session.dataPort.pair()
        try await dataClientEnd.write(try SecureChannel.resumeFrame(advancing: &clientKeys))
        let serverData = try await SecureChannel.acceptResume(over: dataServerEnd, keys: serverKeys, deadline: nil)
        let clientData = SecureChannel(stream: dataClientEnd, keys: clientKeys)
        for (index, message) in session.messages.enumerated() {
            let (sender, receiver) = message.fromClient ? (clientData, serverData) : (serverData, clientData)
            try await sender.send(message.plaintext)
            _ = try await receiver.receive()
            if service == "ftp" && index == 4 {
                try await session.transferFile(dataKey: session.grantDataKey, dh: dh, clientKeyLog: clientKeyLog, serverKeyLog: serverKeyLog)
            }
        }
        await clientData.close()
        await serverData.close()
        return session
    }

    /// The `data_key` of an FTP grant.
    private var grantDataKey: [UInt8] {
        let text = String(decoding: grant, as: UTF8.self)
        guard let start = text.range(of: #""data_key":""#)?.upperBound else { return [] }
        return Base64.decode(String(text[start...].prefix(44))) ?? []
    }

    /// One NNpsk0 data connection (passive command 1), the server sending the file.
    private func transferFile(dataKey: [UInt8], dh: any DiffieHellman, clientKeyLog: SessionKeyLog?, serverKeyLog: SessionKeyLog?) async throws {
        let (clientEnd, serverEnd) = ftpData.pair()
        var clientAuthority = DataConnectionAuthority(dataKey: SecretBytes(dataKey), diffieHellman: dh)
        clientAuthority.keyLog = clientKeyLog
        var serverAuthority = DataConnectionAuthority(dataKey: SecretBytes(dataKey), diffieHellman: dh)
        serverAuthority.keyLog = serverKeyLog
        async let clientSide = clientAuthority.connect(clientEnd, passiveNumber: 1, deadline: nil)
        let server = try await serverAuthority.accept(serverEnd, passiveNumber: 1, deadline: nil)
        let client = try await clientSide
        try await server.sendData(fileBytes)
        try await server.sendEndOfData()
        while try await client.receiveData() != nil {}
        await client.close()
        await server.close()
    }
}
