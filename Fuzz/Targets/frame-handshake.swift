// fuzz-modules: CKeyGateSystem KeyGateSystem CKeyGateCrypto KeyGateCrypto KeyGateNoise KeyGateKeys KeyGateSockets KeyGateChannel KeyGateServer
//
// The frame reader, the server side of the control-port handshake and the
// transport (PROTOCOL.md sections 1, 3 and 4) fed arbitrary bytes through
// an in-memory stream, as a client would send them.
//
// Input: one byte, then the bytes the "client" sends. The byte's low two
// bits choose the mode, its upper six bits how many bytes each stream read
// returns at most (0: all there is), so frames arrive cut anywhere.
//   0  SecureChannel.serverHandshake with fixed server keys, the default suites and
//      fixed ephemeral randomness (recorded handshakes replay), then
//      receive() on the keyed channel until the input ends;
//   1  receive() on a channel keyed with fixed keys;
//   2  SecureChannel.acceptResume with those keys, then receive();
//   3  records (flags, length, plaintext) that the harness seals with the
//      client's key, or forges (sealed without advancing the sender, one
//      byte flipped); the channel must return exactly the genuine ones and
//      reject each forgery without losing its place (Noise 5.1).
// Set KEYGATE_FUZZ_WRITE_SEEDS=DIR to write seeds recorded from real
// handshakes into DIR instead of fuzzing; KEYGATE_FUZZ_VERBOSE=1 to print
// what each input did (run it on single files).
import KeyGateChannel
import KeyGateSystem
import KeyGateCrypto
import KeyGateNoise
import KeyGateServer
import Glibc
import Synchronization

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFrameHandshake(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    let control = input.byte()
    let chunk = Int(control >> 2)
    let bytes = input.rest()
    runToCompletion {
        switch control & 3 {
        case 0: await fuzzServerHandshake(bytes, chunk: chunk)
        case 1: await fuzzReceive(bytes, chunk: chunk)
        case 2: await fuzzAcceptResume(bytes, chunk: chunk)
        default: await fuzzSealedRecords(bytes, chunk: chunk)
        }
    }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func initializeFrameHandshake(_ argc: UnsafeMutablePointer<Int32>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> Int32 {
    if let variable = getenv("KEYGATE_FUZZ_WRITE_SEEDS") {
        let directory = String(cString: variable)
        runToCompletion { await writeSeeds(to: directory) }
        exit(0)
    }
    return 0
}

/// Whether to print what each input did.
let verbose = getenv("KEYGATE_FUZZ_VERBOSE") != nil

// MARK: Fixed keys

/// The server's static keys, one per DH function of the default suites.
let serverStaticKeys: [String: [UInt8]] = [
    "25519": (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 1) },
    "FFDHE2048": (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 11 &+ 3) },
]

/// The same keys as pairs, their public keys computed once.
let serverKeyPairs: [String: StaticKeyPair] = serverStaticKeys.reduce(into: [:]) { pairs, entry in
    pairs[entry.key] = try! StaticKeyPair(privateKey: entry.value, dh: DiffieHellmanFunctions.named(entry.key)!)
}

/// Transport keys of a session (client-to-server, server-to-client).
let clientToServerKey = [UInt8](repeating: 0x42, count: 32)
let serverToClientKey = [UInt8](repeating: 0x24, count: 32)

/// The server's keys for a session with fixed transport keys.
func fixedServerKeys() -> SessionKeys {
    SessionKeys(
        suite: try! NoiseProtocolName(KeyGateWire.suiteName(pattern: "XX", dh: "25519")), handshakeHash: [UInt8](repeating: 7, count: 32),
        sending: try! CipherState(key: serverToClientKey), receiving: try! CipherState(key: clientToServerKey),
        remoteStaticKey: [UInt8](repeating: 9, count: 32))
}

/// The same bytes on every call: the server's ephemeral key is always the
/// same, so a client's recorded messages replay. Never for real use.
struct FixedRandomSource: RandomSource {
    func bytes(count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 151 &+ 17) }
    }
}

/// Options like `GateServer.handshakeOptions`, with the keys above.
func serverOptions() -> ServerHandshakeOptions {
    ServerHandshakeOptions(
        acceptedSuites: ServerConfiguration.defaultSuites, staticKeyPair: { serverKeyPairs[$0] },
        deadline: .now + .seconds(5), random: FixedRandomSource())
}

/// A short limit for each read after the handshake.
func shortDeadline() -> Deadline { .now + .seconds(2) }

// MARK: Modes

/// A stream whose peer has sent `bytes` and closed its side.
func streamReceiving(_ bytes: [UInt8], chunk: Int) async -> ChunkedStream {
    let (local, peer) = InMemoryByteStream.pair()
    try! await peer.write(bytes)
    peer.closeWrite()
    return ChunkedStream(local, chunk: chunk)
}

func fuzzServerHandshake(_ bytes: [UInt8], chunk: Int) async {
    let stream = await streamReceiving(bytes, chunk: chunk)
    do {
        let result = try await SecureChannel.serverHandshake(over: stream, serverOptions())
        fuzzCheck(ServerConfiguration.defaultSuites.contains(result.protocolName), "accepted \(result.protocolName)")
        let dh = try! NoiseProtocolName(result.protocolName).diffieHellman
        fuzzCheck(result.clientStaticKey.count == dh.publicKeyByteCount, "client key of \(result.clientStaticKey.count) bytes")
        fuzzCheck(result.keys.handshakeHash.count == 32, "handshake hash of \(result.keys.handshakeHash.count) bytes")
        let channelHash = await result.channel.sessionKeys.handshakeHash
        fuzzCheck(channelHash == result.keys.handshakeHash, "the channel continues another session than the handshake's")
        if verbose { print("handshake: \(result.protocolName), service \(result.service.debugDescription)") }
        await receiveUntilEnd(result.channel, limit: bytes.count)
    } catch {
        if verbose { print("handshake failed: \(error)") }
        checkExpected(error, "handshake")
    }
    await stream.close()
}

func fuzzReceive(_ bytes: [UInt8], chunk: Int) async {
    let channel = SecureChannel(stream: await streamReceiving(bytes, chunk: chunk), keys: fixedServerKeys())
    await receiveUntilEnd(channel, limit: bytes.count)
    await channel.close()
}

func fuzzAcceptResume(_ bytes: [UInt8], chunk: Int) async {
    let stream = await streamReceiving(bytes, chunk: chunk)
    let keys = fixedServerKeys()
    do {
        let channel = try await SecureChannel.acceptResume(over: stream, keys: keys, deadline: shortDeadline())
        let adopted = await channel.sessionKeys
        fuzzCheck(adopted.receiving.nonce == keys.receiving.nonce + 1, "RESUME accepted with nonce \(adopted.receiving.nonce)")
        await receiveUntilEnd(channel, limit: bytes.count)
    } catch {
        checkExpected(error, "acceptResume")
    }
    await stream.close()
}

/// Receives until the stream ends or a frame is refused; at most `limit`
/// messages (each takes at least two bytes, so the input ends first).
func receiveUntilEnd(_ channel: SecureChannel, limit: Int) async {
    for _ in 0...limit {
        do {
            guard let message = try await channel.receive(deadline: shortDeadline()) else { return }
            fuzzCheck(message.count <= KeyGateWire.maximumPlaintextByteCount, "message of \(message.count) bytes")
            if verbose { print("received \(message.count) bytes") }
        } catch {
            if verbose { print("receive failed: \(error)") }
            checkExpected(error, "receive")
            return
        }
    }
    fuzzCheck(false, "more messages than the input could hold")
}

/// A hostile stream may fail a channel only in the ways its contract names.
func checkExpected(_ error: any Error, _ operation: String) {
    if error is TimedOut { return }
    guard let error = error as? ChannelError else {
        fuzzCheck(false, "\(operation) threw \(type(of: error)): \(error)")
        return
    }
    switch error {
    case .truncatedFrame, .unexpectedEndOfStream, .unsupportedSuite, .handshakeFailed, .unexpectedPayload,
         .decryptionFailed, .firstMessageRefused:
        return
    case .frameTooLarge, .serverKeyRejected, .missingEndOfData, .closed, .misuse:
        fuzzCheck(false, "\(operation) threw \(error)")
    }
}

// MARK: Sealed records

/// One message of mode 3 as the harness sends it.
struct Record {
    var plaintext: [UInt8]
    /// Sealed with a copy of the sender's state and one byte flipped.
    var forged: Bool
    var flipOffset: Int
    var flipMask: UInt8
}

/// Records: flags (bit 0 forged, bit 1 start with acceptResume), a length
/// byte, then that many plaintext bytes ("RESUME" when flags bit 2 is set).
func parseRecords(_ bytes: [UInt8]) -> (records: [Record], resumeFirst: Bool) {
    var input = bytes[...]
    var records: [Record] = []
    var resumeFirst = false
    while input.count >= 2 {
        let flags = input.removeFirst()
        let length = Int(input.removeFirst())
        if records.isEmpty { resumeFirst = flags & 2 != 0 }
        var plaintext = Array(input.prefix(length))
        input = input.dropFirst(length)
        if flags & 4 != 0 { plaintext = KeyGateWire.resumeMessage }
        records.append(Record(plaintext: plaintext, forged: flags & 1 != 0, flipOffset: Int(flags >> 3), flipMask: UInt8(max(1, length))))
    }
    return (records, resumeFirst)
}

func fuzzSealedRecords(_ bytes: [UInt8], chunk: Int) async {
    let (records, resumeFirst) = parseRecords(bytes)
    var sender = try! CipherState(key: clientToServerKey)
    var wire: [UInt8] = []
    for record in records {
        if record.forged {
            var copy = sender
            var frame = try! SecureChannel.seal(record.plaintext, with: &copy)
            // Never the 2-byte length: a forgery keeps the framing intact.
            frame[2 + record.flipOffset % (frame.count - 2)] ^= record.flipMask
            wire += frame
        } else {
            wire += try! SecureChannel.seal(record.plaintext, with: &sender)
        }
    }
    let keys = fixedServerKeys()
    let stream = await streamReceiving(wire, chunk: chunk)
    let channel: SecureChannel
    var remaining = records[...]
    if resumeFirst, let first = remaining.popFirst() {
        let accepted = !first.forged && first.plaintext == KeyGateWire.resumeMessage
        do {
            channel = try await SecureChannel.acceptResume(over: stream, keys: keys, deadline: shortDeadline())
            fuzzCheck(accepted, "acceptResume took a \(first.forged ? "forged" : "genuine") \(first.plaintext)")
        } catch {
            fuzzCheck(!accepted, "acceptResume refused a genuine RESUME: \(error)")
            fuzzCheck(error as? ChannelError == (first.forged ? .decryptionFailed : .unexpectedPayload("first data-port message is not RESUME")),
                      "acceptResume threw \(error)")
            await stream.close()
            return
        }
    } else {
        channel = SecureChannel(stream: stream, keys: keys)
    }
    var expectedNonce = records.count - remaining.count
    for record in remaining {
        do {
            let message = try await channel.receive(deadline: shortDeadline())
            fuzzCheck(!record.forged, "a forged frame was accepted: \(String(describing: message))")
            fuzzCheck(message == record.plaintext, "received \(String(describing: message)), sent \(record.plaintext)")
            expectedNonce += 1
        } catch {
            fuzzCheck(record.forged, "a genuine frame was refused: \(error)")
            fuzzCheck(error as? ChannelError == .decryptionFailed, "a forged frame gave \(error)")
        }
        let nonce = await channel.sessionKeys.receiving.nonce
        fuzzCheck(nonce == UInt64(expectedNonce), "receiving nonce \(nonce), expected \(expectedNonce)")
    }
    do {
        let end = try await channel.receive(deadline: shortDeadline())
        fuzzCheck(end == nil, "a message after the last record")
    } catch {
        fuzzCheck(false, "the end of the stream gave \(error)")
    }
    await channel.close()
}

// MARK: Stream

/// Hands out what the inner stream delivers in pieces of at most `chunk`
/// bytes (0: no limit), so the frame reader sees every kind of cut. Reads
/// the inner stream only when its buffer is empty.
final class ChunkedStream: ByteStream {
    let inner: InMemoryByteStream
    let chunk: Int
    private let pending = Mutex<[UInt8]>([])

    init(_ inner: InMemoryByteStream, chunk: Int) {
        self.inner = inner
        self.chunk = chunk
    }

    var peerDescription: String { inner.peerDescription }

    func read(upTo maxByteCount: Int, deadline: Deadline?) async throws -> [UInt8]? {
        if pending.withLock({ $0.isEmpty }) {
            guard let bytes = try await inner.read(upTo: 1 << 20, deadline: deadline) else { return nil }
            pending.withLock { $0 = bytes }
        }
        let limit = chunk == 0 ? maxByteCount : min(chunk, maxByteCount)
        return pending.withLock { buffer in
            let piece = Array(buffer.prefix(limit))
            buffer.removeFirst(piece.count)
            return piece
        }
    }

    func write(_ bytes: [UInt8], deadline: Deadline?) async throws {
        try await inner.write(bytes)
    }

    func close() async {
        await inner.close()
    }
}

// MARK: Seeds

/// Records what a client writes.
final class RecordingStream: ByteStream {
    let inner: InMemoryByteStream
    let written = Mutex<[UInt8]>([])

    init(_ inner: InMemoryByteStream) {
        self.inner = inner
    }

    var peerDescription: String { inner.peerDescription }

    func read(upTo maxByteCount: Int, deadline: Deadline?) async throws -> [UInt8]? {
        try await inner.read(upTo: maxByteCount, deadline: deadline)
    }

    func write(_ bytes: [UInt8], deadline: Deadline?) async throws {
        written.withLock { $0 += bytes }
        try await inner.write(bytes)
    }

    func close() async {
        await inner.close()
    }
}

/// The client's bytes of a real handshake against the fuzzed server, and
/// one transport message after it.
func recordHandshake(pattern: String, dh: String, service: String, message: [UInt8]) async -> [UInt8] {
    let (a, b) = InMemoryByteStream.pair()
    let recorder = RecordingStream(a)
    let clientKey = (0..<32).map { UInt8(truncatingIfNeeded: $0 &+ 100) }
    let serverKey = serverStaticKeys[dh]!
    let function = DiffieHellmanFunctions.named(dh)!
    async let result = SecureChannel.serverHandshake(over: b, serverOptions())
    do {
        let client = try await SecureChannel.clientHandshake(over: recorder, ClientHandshakeOptions(
            protocolName: KeyGateWire.suiteName(pattern: pattern, dh: dh),
            staticKeyPair: try StaticKeyPair(privateKey: clientKey, dh: function),
            pinnedServerKey: pattern == "IK" ? try function.publicKey(privateKey: serverKey) : nil, service: service))
        _ = try await result
        try await client.send(message)
    } catch {
        fatalError("recording \(pattern) \(dh): \(error)")
    }
    return recorder.written.withLock { $0 }
}

func writeSeeds(to directory: String) async {
    func save(_ name: String, _ bytes: [UInt8]) {
        let path = directory + "/" + name
        guard let file = fopen(path, "wb") else { fatalError("cannot write \(path)") }
        _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        fclose(file)
    }
    let say = Array(#"{"type":"say","text":"hello"}"#.utf8)
    save("handshake-xx-25519", [0] + (await recordHandshake(pattern: "XX", dh: "25519", service: "chat", message: say)))
    save("handshake-ik-25519-cut", [7 << 2] + (await recordHandshake(pattern: "IK", dh: "25519", service: "ftp", message: [])))
    save("handshake-xx-ffdhe2048", [0] + (await recordHandshake(pattern: "XX", dh: "FFDHE2048", service: "chat", message: say)))
    save("handshake-ik-ffdhe2048", [0] + (await recordHandshake(pattern: "IK", dh: "FFDHE2048", service: "chat", message: say)))
    let name = Array(KeyGateWire.suiteName(pattern: "XX", dh: "25519").utf8)
    save("name-only", [0, 0, UInt8(name.count)] + name)
    var sender = try! CipherState(key: clientToServerKey)
    let frames = try! SecureChannel.seal(say, with: &sender) + SecureChannel.seal([], with: &sender)
    save("transport", [1] + frames)
    var resumer = try! CipherState(key: clientToServerKey)
    save("resume", [2] + (try! SecureChannel.seal(KeyGateWire.resumeMessage, with: &resumer) + SecureChannel.seal(say, with: &resumer)))
    save("records", [3 | 5 << 2, 6, 6] + Array("RESUME".utf8) + [0, 2, 0x68, 0x69, 9, 3, 0x61, 0x62, 0x63, 0, 0])
}
