import KeyGateChannel
import KeyGateCrypto
import KeyGateLab
import KeyGateNoise
import KeyGateTestSupport
import Testing

/// `keygate decode` on captures of real in-process sessions, written by
/// the test as tcpdump writes them.
struct CaptureDecoderTests {
    /// A chat or FTP session with both sides' keylogs, and its capture.
    struct Recorded {
        let session: LabSession
        let clientKeyLog: [SessionKeyLog.Entry]
        let serverKeyLog: [SessionKeyLog.Entry]
        let directory: TemporaryDirectory

        func connections(ipv6: Bool = false) -> [PcapWriter.Connection] {
            var connections = [
                PcapWriter.Connection(session.control, clientPort: 40001, serverPort: 7700, ipv6: ipv6),
                PcapWriter.Connection(session.dataPort, clientPort: 40002, serverPort: 21042, ipv6: ipv6),
            ]
            if !session.ftpData.writes.isEmpty {
                connections.append(PcapWriter.Connection(session.ftpData, clientPort: 40003, serverPort: 21043, ipv6: ipv6))
            }
            return connections
        }
    }

    static func record(_ service: String, pattern: String = "XX", dh: any DiffieHellman = Curve25519()) async throws -> Recorded {
        let directory = TemporaryDirectory()
        let clientLog = try SessionKeyLog.open(path: directory.appending("client.keys"))
        let serverLog = try SessionKeyLog.open(path: directory.appending("server.keys"))
        let session = try await LabSession.run(
            service: service, pattern: pattern, dh: dh, clientKeyLog: clientLog, serverKeyLog: serverLog)
        return Recorded(
            session: session,
            clientKeyLog: try KeyLogFile.entries(in: try LabFile.read(directory.appending("client.keys"))),
            serverKeyLog: try KeyLogFile.entries(in: try LabFile.read(directory.appending("server.keys"))),
            directory: directory)
    }

    static func decode(_ bytes: [UInt8], keyLog: [SessionKeyLog.Entry] = []) throws -> CaptureReport {
        try CaptureDecoder(keyLog: keyLog).decode(try PcapFile(bytes: bytes))
    }

    static func transport(_ connection: CaptureReport.Connection, fromClient: Bool) -> [CaptureReport.Frame] {
        connection.frames.filter { frame in
            if case .transport = frame.role { return frame.fromClient == fromClient }
            return false
        }
    }

    @Test func aChatSessionIsDecryptedWithEitherSidesKeylog() async throws {
        let recorded = try await Self.record("chat")
        defer { recorded.directory.remove() }
        #expect(recorded.clientKeyLog == recorded.serverKeyLog)
        #expect(recorded.clientKeyLog.count == 1)
        let capture = PcapWriter().capture(recorded.connections())
        for keyLog in [recorded.clientKeyLog, recorded.serverKeyLog] {
            let report = try Self.decode(capture, keyLog: keyLog)
            #expect(report.connections.count == 2)
            let control = report.connections[0]
            #expect(control.kind == .control(protocolName: "Noise_XX_25519_ChaChaPoly_SHA256"))
            #expect(control.keyLogSession == 1)
            #expect(control.frames.map(\.role) == [.negotiation, .handshake(1), .handshake(2), .handshake(3), .transport(1)])
            // Message 1's e is the initiator's ephemeral key the keylog names.
            #expect(control.frames[1].publicKeys == [keyLog[0].initiatorEphemeralKey])
            #expect(control.frames[2].publicKeys.count == 1 && control.frames[2].payload.count == 96)
            #expect(control.frames[4].plaintext == recorded.session.grant)
            #expect(control.frames[4].nonce == 0)
            let data = report.connections[1]
            #expect(data.kind == .sessionData)
            #expect(data.keyLogSession == 1)
            let fromClient = Self.transport(data, fromClient: true)
            #expect(fromClient.first?.plaintext == KeyGateWire.resumeMessage)
            #expect(fromClient.first?.nonce == 0)
            let expected = recorded.session.messages
            #expect(fromClient.dropFirst().map(\.plaintext) == expected.filter(\.fromClient).map(\.plaintext))
            // The server's nonces go on from the grant's: 1, 2, ...
            let fromServer = Self.transport(data, fromClient: false)
            #expect(fromServer.map(\.plaintext) == expected.filter { !$0.fromClient }.map(\.plaintext))
            #expect(fromServer.map(\.nonce) == (1...UInt64(fromServer.count)).map { $0 })
            #expect(report.text.contains(#"chat message: "{"type":"say","text":"hello, Bob"}""#))
            #expect(report.text.contains("decrypted with the keylog: 5, not decrypted: 0"))
        }
    }

    /// IK: two handshake messages, the clock and service in message 1.
    @Test func anIKSessionIsDecoded() async throws {
        let recorded = try await Self.record("chat", pattern: "IK")
        defer { recorded.directory.remove() }
        let report = try Self.decode(PcapWriter().capture(recorded.connections()), keyLog: recorded.serverKeyLog)
        let control = report.connections[0]
        #expect(control.kind == .control(protocolName: "Noise_IK_25519_ChaChaPoly_SHA256"))
        #expect(control.frames.map(\.role) == [.negotiation, .handshake(1), .handshake(2), .transport(1)])
        #expect(control.frames[1].publicKeys == [recorded.serverKeyLog[0].initiatorEphemeralKey])
        // e (32), s (32 + 16), payload: 8-byte clock + "chat" + 16.
        let messageOneSize = 32 + 48 + 8 + 4 + 16
        #expect(control.frames[1].payload.count == messageOneSize)
        #expect(control.frames[1].details.last == "payload: encrypted (28 bytes: 12 + 16-byte tag); the client's clock (8 bytes) and the service name, 'chat' by its length")
        #expect(control.frames[3].plaintext == recorded.session.grant)
        #expect(report.connections[1].frames.compactMap(\.plaintext).count == 1 + recorded.session.messages.count)
    }

    /// FFDHE2048: 256-byte public values, and its NNpsk0 data connection.
    @Test func anFFDHEFTPSessionIsDecoded() async throws {
        let recorded = try await Self.record("ftp", dh: FiniteFieldDH(group: .ffdhe2048))
        defer { recorded.directory.remove() }
        let report = try Self.decode(PcapWriter().capture(recorded.connections()), keyLog: recorded.clientKeyLog)
        #expect(report.connections.map(\.kind) == [
            .control(protocolName: "Noise_XX_FFDHE2048_ChaChaPoly_SHA256"), .sessionData,
            .ftpData(protocolName: "Noise_NNpsk0_FFDHE2048_ChaChaPoly_SHA256"),
        ])
        #expect(report.connections[0].frames[1].publicKeys.first?.count == 256)
        let messageTwoSize = 256 + 272 + 16, dataMessageOneSize = 256 + 16
        #expect(report.connections[0].frames[2].payload.count == messageTwoSize)
        #expect(report.connections[2].frames[0].payload.count == dataMessageOneSize)
        #expect(Self.transport(report.connections[2], fromClient: false).map(\.plaintext) == [recorded.session.fileBytes, []])
    }

    @Test func withoutAKeylogFramesAreCiphertextWithTheReason() async throws {
        let recorded = try await Self.record("chat")
        defer { recorded.directory.remove() }
        let report = try Self.decode(PcapWriter().capture(recorded.connections()))
        #expect(report.keyGateConnections.count == 2)
        let frames = report.connections.flatMap(\.frames)
        let transport = frames.filter { if case .transport = $0.role { return true } else { return false } }
        #expect(!transport.isEmpty)
        #expect(transport.allSatisfy { $0.plaintext == nil && $0.undecrypted == "no keylog given (--keylog FILE)" })
        // The grant is 16 bytes longer than its JSON: the tag.
        #expect(transport.first?.payload.count == recorded.session.grant.count + 16)
        #expect(report.text.contains("decrypt them with --keylog FILE"))
        #expect(!report.text.contains(String(decoding: recorded.session.grant, as: UTF8.self)))
    }

    @Test func anFTPSessionShowsCommandsAndTheDataConnection() async throws {
        let recorded = try await Self.record("ftp")
        defer { recorded.directory.remove() }
        // The control session and the NNpsk0 data connection.
        #expect(recorded.serverKeyLog.count == 2)
        #expect(recorded.serverKeyLog[1].protocolName == "Noise_NNpsk0_25519_ChaChaPoly_SHA256")
        let report = try Self.decode(PcapWriter().capture(recorded.connections()), keyLog: recorded.clientKeyLog)
        #expect(report.connections.count == 3)
        let data = report.connections[1]
        let commands = Self.transport(data, fromClient: true).dropFirst().compactMap(\.plaintext)
        #expect(commands == [Array("EPSV".utf8), Array("RETR hello.txt".utf8)])
        #expect(report.text.contains(#"FTP command: "RETR hello.txt""#))
        #expect(report.text.contains(#"FTP reply: "226 Transfer complete""#))
        let transfer = report.connections[2]
        #expect(transfer.kind == .ftpData(protocolName: "Noise_NNpsk0_25519_ChaChaPoly_SHA256"))
        #expect(transfer.keyLogSession == 2)
        #expect(transfer.frames.prefix(2).map(\.role) == [.handshake(1), .handshake(2)])
        let sent = Self.transport(transfer, fromClient: false)
        #expect(sent.map(\.plaintext) == [recorded.session.fileBytes, []])
        #expect(report.text.contains("end-of-data"))
    }

    @Test func theKeylogHoldsNoStaticPrivateKey() async throws {
        let recorded = try await Self.record("ftp")
        defer { recorded.directory.remove() }
        for path in ["client.keys", "server.keys"] {
            let text = String(decoding: try LabFile.read(recorded.directory.appending(path)), as: UTF8.self)
            #expect(text.hasPrefix("# KeyGate keylog. FOR LABS ONLY"))
            for key in recorded.session.staticPrivateKeys {
                let hex = key.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
                #expect(!text.contains(hex))
            }
        }
    }

    /// IPv6, every link type, both byte orders, both resolutions.
    @Test(arguments: [PcapWriter.Link.ethernet, .null, .raw, .linuxCooked, .linuxCooked2])
    func everyLinkTypeAndFileFormatDecodes(link: PcapWriter.Link) async throws {
        let recorded = try await Self.record("chat")
        defer { recorded.directory.remove() }
        for (ipv6, bigEndian, nanoseconds) in [(false, false, false), (true, true, true), (true, false, true), (false, true, false)] {
            var writer = PcapWriter()
            writer.link = link
            writer.bigEndian = bigEndian
            writer.nanoseconds = nanoseconds
            let report = try Self.decode(writer.capture(recorded.connections(ipv6: ipv6)), keyLog: recorded.clientKeyLog)
            #expect(report.linkType.rawValue == link.rawValue)
            #expect(report.connections.count == 2, "\(link) ipv6=\(ipv6)")
            #expect(report.connections.first?.client.description == (ipv6 ? "[::1]:40001" : "127.0.0.1:40001"))
            let decrypted = report.connections.flatMap(\.frames).compactMap(\.plaintext)
            #expect(decrypted.count == 1 + 1 + recorded.session.messages.count)
        }
    }

    /// Small segments, some sent twice and some late: the streams come out whole.
    @Test func retransmittedAndReorderedSegmentsAreReassembled() async throws {
        let recorded = try await Self.record("chat")
        defer { recorded.directory.remove() }
        var writer = PcapWriter()
        writer.maximumSegment = 7
        writer.retransmit = [0, 3, 10, 25]
        writer.delay = [2, 5, 12, 30]
        let report = try Self.decode(writer.capture(recorded.connections()), keyLog: recorded.clientKeyLog)
        let decrypted = report.connections.flatMap(\.frames).compactMap(\.plaintext)
        #expect(decrypted.count == 1 + 1 + recorded.session.messages.count)
        #expect(report.connections[0].notes.contains { $0.contains("retransmitted segment") })
        #expect(report.connections[0].notes.contains { $0.contains("out of order") })
    }

    @Test func anotherSessionsKeylogDecryptsNothingAndSaysWhy() async throws {
        let recorded = try await Self.record("chat")
        let other = try await Self.record("chat")
        defer {
            recorded.directory.remove()
            other.directory.remove()
        }
        let report = try Self.decode(PcapWriter().capture(recorded.connections()), keyLog: other.clientKeyLog)
        #expect(report.connections.flatMap(\.frames).allSatisfy { $0.plaintext == nil })
        #expect(report.connections[0].frames.last?.undecrypted == "the session (its message 1 ephemeral key) is not in the keylog")
        #expect(report.connections[1].frames.first?.undecrypted == "no session in the keylog opens its RESUME: the session is not in the keylog")
        #expect(report.text.contains("not decrypted:"))
    }

    @Test func aTamperedFrameIsReportedNotDecrypted() async throws {
        let recorded = try await Self.record("chat")
        defer { recorded.directory.remove() }
        var connections = recorded.connections()
        // Flip a bit of the last ciphertext the server sent on the data port.
        let last = connections[1].writes.lastIndex { !$0.fromClient }!
        connections[1].writes[last].bytes[5] ^= 1
        let report = try Self.decode(PcapWriter().capture(connections), keyLog: recorded.clientKeyLog)
        let failed = report.connections[1].frames.filter { $0.undecrypted != nil }
        #expect(failed.count == 1)
        #expect(failed.first?.undecrypted?.contains("altered, or not this session's") == true)
    }

    @Test func trafficThatIsNotKeyGateIsSaidToBeSo() throws {
        let http = PcapWriter.Connection(
            clientAddress: [10, 0, 0, 1], clientPort: 50000, serverAddress: [10, 0, 0, 2], serverPort: 80,
            writes: [(true, Array("GET / HTTP/1.1\r\nHost: example\r\n\r\n".utf8)), (false, Array("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".utf8))])
        let report = try Self.decode(PcapWriter().capture([http]))
        #expect(report.connections.count == 1)
        #expect(report.keyGateConnections.isEmpty)
        guard case let .other(reason) = report.connections[0].kind else {
            Issue.record("HTTP taken for KeyGate")
            return
        }
        #expect(reason.contains("no whole frame"))
        #expect(report.text.contains("no KeyGate traffic in this capture"))
    }

    @Test func aCaptureWithNoPacketsHasNoKeyGateTraffic() throws {
        let report = try Self.decode(PcapWriter().capture([]))
        #expect(report.packetCount == 0)
        #expect(report.text.contains("no KeyGate traffic"))
    }

    @Test func anUnsupportedLinkTypeIsRefused() throws {
        var bytes = PcapWriter().capture([])
        bytes[20] = 105 // IEEE 802.11
        #expect(throws: LabError.unsupportedLinkType(105)) { try Self.decode(bytes) }
    }

    @Test func aCaptureCutShortIsTruncated() async throws {
        let recorded = try await Self.record("chat")
        defer { recorded.directory.remove() }
        let capture = PcapWriter().capture(recorded.connections())
        for cut in [10, 24 + 8, capture.count - 5] {
            #expect(throws: LabError.self) { try PcapFile(bytes: Array(capture.prefix(cut))) }
            do {
                _ = try PcapFile(bytes: Array(capture.prefix(cut)))
            } catch {
                guard case .truncatedCapture = error else {
                    Issue.record("cut at \(cut): \(error)")
                    continue
                }
            }
        }
    }
}
