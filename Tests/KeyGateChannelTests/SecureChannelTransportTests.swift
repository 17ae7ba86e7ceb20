import KeyGateSystem
import KeyGateFixtures
import KeyGateChannel
import KeyGateCrypto
import KeyGateNoise
import Testing

struct SecureChannelTransportTests {
    /// Two channels keyed like a client and a server, without a handshake.
    static func keyedPair() -> (SecureChannel, SecureChannel, InMemoryByteStream, InMemoryByteStream) {
        let k1 = SecureRandom.bytes(count: 32), k2 = SecureRandom.bytes(count: 32)
        let hash = SecureRandom.bytes(count: 32)
        let clientKeys = SessionKeys(
            suite: try! NoiseProtocolName("Noise_XX_25519_ChaChaPoly_SHA256"), handshakeHash: hash,
            sending: try! CipherState(key: k1), receiving: try! CipherState(key: k2), remoteStaticKey: [])
        let serverKeys = SessionKeys(
            suite: try! NoiseProtocolName("Noise_XX_25519_ChaChaPoly_SHA256"), handshakeHash: hash,
            sending: try! CipherState(key: k2), receiving: try! CipherState(key: k1), remoteStaticKey: [])
        let (a, b) = InMemoryByteStream.pair()
        return (SecureChannel(stream: a, keys: clientKeys), SecureChannel(stream: b, keys: serverKeys), a, b)
    }

    @Test func messagesOfEverySizeArrive() async throws {
        let (client, server, _, _) = Self.keyedPair()
        for size in [0, 1, 15, 16, 17, 1000, 65518, 65519] {
            let message = SecureRandom.bytes(count: size)
            try await client.send(message)
            #expect(try await server.receive() == message, "size \(size)")
        }
    }

    @Test func oversizeMessageIsRefusedWithoutSpendingANonce() async throws {
        let (client, server, _, _) = Self.keyedPair()
        await #expect(throws: ChannelError.frameTooLarge(65536)) { try await client.send([UInt8](repeating: 0, count: 65520)) }
        try await client.send([1])
        #expect(try await server.receive() == [1])
    }

    @Test func tamperedFrameFailsAndTheNextGenuineOneStillDecrypts() async throws {
        let (_, server, a, _) = Self.keyedPair()
        var sender = await server.sessionKeys.receiving  // same key as the client's sending cipher
        let genuine = try SecureChannel.seal(Array("genuine".utf8), with: &sender)
        var forged = genuine
        forged[5] ^= 0x20
        try await a.write(forged)
        await #expect(throws: ChannelError.decryptionFailed) { try await server.receive() }
        try await a.write(genuine)
        #expect(try await server.receive() == Array("genuine".utf8))
    }

    @Test func replayedFrameFails() async throws {
        let (_, server, a, _) = Self.keyedPair()
        var sender = await server.sessionKeys.receiving
        let first = try SecureChannel.seal([1], with: &sender)
        try await a.write(first)
        #expect(try await server.receive() == [1])
        try await a.write(first)
        await #expect(throws: ChannelError.decryptionFailed) { try await server.receive() }
    }

    @Test func droppedOrReorderedFramesFail() async throws {
        let (_, server, a, _) = Self.keyedPair()
        var sender = await server.sessionKeys.receiving
        let first = try SecureChannel.seal([1], with: &sender)
        let second = try SecureChannel.seal([2], with: &sender)
        try await a.write(second)
        await #expect(throws: ChannelError.decryptionFailed) { try await server.receive() }
        try await a.write(first)
        #expect(try await server.receive() == [1])
        _ = second
    }

    @Test func streamEndingInsideAFrameIsAnError() async throws {
        let (_, server, a, _) = Self.keyedPair()
        try await a.write([0, 40, 1, 2, 3])
        a.closeWrite()
        await #expect(throws: ChannelError.truncatedFrame(expected: 42, received: 5)) { try await server.receive() }
    }

    @Test func streamEndingInsideAHeaderIsAnError() async throws {
        let (_, server, a, _) = Self.keyedPair()
        try await a.write([0])
        a.closeWrite()
        await #expect(throws: ChannelError.truncatedFrame(expected: 2, received: 1)) { try await server.receive() }
    }

    @Test func cleanEndBetweenFramesIsNil() async throws {
        let (client, server, a, _) = Self.keyedPair()
        try await client.send([9])
        a.closeWrite()
        #expect(try await server.receive() == [9])
        #expect(try await server.receive() == nil)
    }

    @Test func shortFrameThatCannotHoldATagFails() async throws {
        let (_, server, a, _) = Self.keyedPair()
        try await a.write([0, 3, 1, 2, 3])
        await #expect(throws: ChannelError.decryptionFailed) { try await server.receive() }
    }

    @Test func dataStreamsEndWithAnAuthenticatedMarker() async throws {
        let (client, server, _, _) = Self.keyedPair()
        let data = SecureRandom.bytes(count: 200_000)
        let sender = Task {
            try await client.sendData(data)
            try await client.sendEndOfData()
        }
        var received: [UInt8] = []
        while let piece = try await server.receiveData() {
            #expect(piece.count <= KeyGateWire.maximumPlaintextByteCount)
            received += piece
        }
        try await sender.value
        #expect(received == data)
    }

    @Test func dataStreamCutBeforeTheMarkerIsAnError() async throws {
        let (client, server, a, _) = Self.keyedPair()
        try await client.sendData([1, 2, 3])
        a.closeWrite()
        #expect(try await server.receiveData() == [1, 2, 3])
        await #expect(throws: ChannelError.missingEndOfData) { try await server.receiveData() }
    }

    @Test(arguments: [0, 1, 65519, 65520, 1_000_000])
    func batchedReceivesGatherEveryByteAndStopAtTheMarker(size: Int) async throws {
        let (client, server, _, _) = Self.keyedPair()
        let data = SecureRandom.bytes(count: size)
        try await client.sendData(data)
        try await client.sendEndOfData()
        try await client.send(Array("after".utf8))
        var received: [UInt8] = []
        while try await server.receiveData(into: &received) {}
        #expect(received == data)
        // What follows the marker is left for the next reader.
        #expect(try await server.receive() == Array("after".utf8))
    }

    @Test func batchedReceivesFailOnACutOrATamperedStream() async throws {
        let (client, server, a, _) = Self.keyedPair()
        try await client.sendData([1, 2, 3])
        a.closeWrite()
        var received: [UInt8] = []
        #expect(try await server.receiveData(into: &received))
        #expect(received == [1, 2, 3])
        await #expect(throws: ChannelError.missingEndOfData) { try await server.receiveData(into: &received) }

        let (_, other, b, _) = Self.keyedPair()
        var sender = await other.sessionKeys.receiving
        var forged = try SecureChannel.seal([9, 9], with: &sender)
        forged[3] ^= 1
        try await b.write(forged)
        var nothing: [UInt8] = []
        await #expect(throws: ChannelError.decryptionFailed) { try await other.receiveData(into: &nothing) }
        #expect(nothing.isEmpty)
    }

    @Test func concurrentReadersAreRefused() async throws {
        let (_, server, _, _) = Self.keyedPair()
        let first = Task { try await server.receive() }
        // Give the first reader time to start waiting, then try a second.
        try await Task.sleep(for: .milliseconds(50))
        await #expect(throws: ChannelError.misuse("two concurrent readers")) { try await server.receive() }
        first.cancel()
        _ = await first.result
    }

    /// Closed is final: every use afterwards throws `closed`, and the keys
    /// stay readable for the move to the data port.
    @Test func aClosedChannelRefusesEveryUseButKeepsItsKeys() async throws {
        let (client, server, _, _) = Self.keyedPair()
        try await client.send([1])
        #expect(try await server.receive() == [1])
        await server.close()
        await server.close()
        await #expect(throws: ChannelError.closed) { try await server.send([2]) }
        await #expect(throws: ChannelError.closed) { try await server.sendData([2]) }
        await #expect(throws: ChannelError.closed) { try await server.receive() }
        var batch: [UInt8] = []
        await #expect(throws: ChannelError.closed) { try await server.receiveData(into: &batch) }
        await #expect(throws: ChannelError.closed) { try await server.awaitFrame(deadline: nil) }
        #expect(await server.sessionKeys.receiving.nonce == 1)
        #expect(await server.sessionKeys.sending.nonce == 0, "no nonce spent on a refused send")
    }
}

struct SecureChannelResumeTests {
    /// Bytes that arrive in one piece with the proof belong to the channel
    /// the proof makes: nothing read before the keys existed is lost.
    @Test func framesReadWithTheResumeStayWithTheChannel() async throws {
        let fixture = try ChannelFixture()
        let (client, server, _, _) = try await fixture.handshake("XX")
        var clientKeys = await client.sessionKeys
        let serverKeys = await server.sessionKeys
        let resume = try SecureChannel.resumeFrame(advancing: &clientKeys)
        let next = try SecureChannel.seal(Array("first".utf8), with: &clientKeys.sending)
        let (a, b) = InMemoryByteStream.pair()
        try await a.write(resume + next)
        let dataServer = try await SecureChannel.acceptResume(over: b, keys: serverKeys, deadline: .now + .seconds(60))
        #expect(try await dataServer.receive(deadline: .now + .seconds(60)) == Array("first".utf8))
    }

    @Test func keysMoveToTheDataConnection() async throws {
        let fixture = try ChannelFixture()
        let (client, server, clientKeys, result) = try await fixture.handshake("XX")
        try await server.send(Array("{\"ok\":true}".utf8))
        #expect(try await client.receive() == Array("{\"ok\":true}".utf8))
        let clientAfterGrant = await client.sessionKeys
        let serverAfterGrant = await server.sessionKeys
        _ = clientKeys
        _ = result
        let (a, b) = InMemoryByteStream.pair()
        let dataClient = try await SecureChannel.resume(over: a, keys: clientAfterGrant)
        let dataServer = try await SecureChannel.acceptResume(over: b, keys: serverAfterGrant, deadline: .now + .seconds(60))
        let adopted = await dataServer.sessionKeys
        #expect(adopted.receiving.nonce == serverAfterGrant.receiving.nonce + 1)
        try await dataServer.send([7])
        #expect(try await dataClient.receive() == [7])
        try await dataClient.send([8])
        #expect(try await dataServer.receive() == [8])
    }

    @Test func strangerOnTheDataPortDoesNotHarmTheSession() async throws {
        let fixture = try ChannelFixture()
        let (client, server, _, _) = try await fixture.handshake("XX")
        let clientKeys = await client.sessionKeys
        let serverKeys = await server.sessionKeys
        // A stranger with other keys.
        let stranger = try ChannelFixture()
        let (strangerClient, _, _, _) = try await stranger.handshake("XX")
        let strangerKeys = await strangerClient.sessionKeys
        let (s1, s2) = InMemoryByteStream.pair()
        _ = try await SecureChannel.resume(over: s1, keys: strangerKeys)
        await #expect(throws: ChannelError.decryptionFailed) {
            try await SecureChannel.acceptResume(over: s2, keys: serverKeys, deadline: .now + .seconds(60))
        }
        // Garbage.
        let (g1, g2) = InMemoryByteStream.pair()
        try await g1.write([0, 20] + [UInt8](repeating: 0x41, count: 20))
        await #expect(throws: ChannelError.decryptionFailed) {
            try await SecureChannel.acceptResume(over: g2, keys: serverKeys, deadline: .now + .seconds(60))
        }
        // The rightful client still resumes with nonce 0.
        let (a, b) = InMemoryByteStream.pair()
        _ = try await SecureChannel.resume(over: a, keys: clientKeys)
        let adopted = try await SecureChannel.acceptResume(over: b, keys: serverKeys, deadline: .now + .seconds(60)).sessionKeys
        #expect(adopted.receiving.nonce == 1)
    }

    @Test func decryptingButWrongFirstMessageIsRefused() async throws {
        let fixture = try ChannelFixture()
        let (client, server, _, _) = try await fixture.handshake("XX")
        let clientKeys = await client.sessionKeys
        let serverKeys = await server.sessionKeys
        let (a, b) = InMemoryByteStream.pair()
        let impostor = SecureChannel(stream: a, keys: clientKeys)
        try await impostor.send(Array("RESUMF".utf8))
        await #expect(throws: ChannelError.self) {
            try await SecureChannel.acceptResume(over: b, keys: serverKeys, deadline: .now + .seconds(60))
        }
    }

    @Test func silentDataConnectionTimesOut() async throws {
        let fixture = try ChannelFixture()
        let (_, server, _, _) = try await fixture.handshake("XX")
        let serverKeys = await server.sessionKeys
        let (_, b) = InMemoryByteStream.pair()
        await #expect(throws: TimedOut(while: "reading from memory:a")) {
            try await SecureChannel.acceptResume(over: b, keys: serverKeys, deadline: .now + .milliseconds(100))
        }
    }
}

struct DataConnectionKeyTests {
    /// PROTOCOL.md section 6, for a `data_key` of bytes 0...31. Expected
    /// values computed independently with Python:
    /// hmac.new(bytes(range(32)), b'ftp-data' + n.to_bytes(8, 'big'), hashlib.sha256).hexdigest()
    @Test func pskMatchesAnIndependentComputation() {
        let dataKey = (0..<32).map { UInt8($0) }
        #expect(DataConnectionKey.presharedKey(dataKey: dataKey, passiveNumber: 1)
            == [UInt8](hex: "d538c79e29330704bacbc22ebc90c6830c50b2d7974b8214ee1a6b732c9d39f4"))
        #expect(DataConnectionKey.presharedKey(dataKey: dataKey, passiveNumber: 258)
            == [UInt8](hex: "d86a0e2d2e08755fd7ea99b279c7e6286e6e7e7f6a429d45e60c92305a85d76f"))
    }

    @Test(arguments: [true, false])
    func dataConnectionHandshakeNeedsTheRightPsk(samePsk: Bool) async throws {
        let (a, b) = InMemoryByteStream.pair()
        let psk = SecureRandom.bytes(count: 32)
        let serverPsk = samePsk ? psk : SecureRandom.bytes(count: 32)
        let serverKeys = Task {
            try await SecureChannel.dataConnectionHandshake(
                over: b, initiator: false, diffieHellman: Curve25519(), presharedKey: serverPsk, deadline: .now + .seconds(60))
        }
        if samePsk {
            let client = try await SecureChannel.dataConnectionHandshake(
                over: a, initiator: true, diffieHellman: Curve25519(), presharedKey: psk, deadline: .now + .seconds(60))
            let server = try await serverKeys.value
            try await client.sendData([1, 2, 3])
            try await client.sendEndOfData()
            #expect(try await server.receiveData() == [1, 2, 3])
            #expect(try await server.receiveData() == nil)
        } else {
            let clientTask = Task {
                try await SecureChannel.dataConnectionHandshake(
                    over: a, initiator: true, diffieHellman: Curve25519(), presharedKey: psk, deadline: .now + .seconds(60))
            }
            await #expect(throws: ChannelError.self) { try await serverKeys.value }
            await b.close()
            _ = await clientTask.result
        }
    }
}
