import KeyGateCrypto
import KeyGateNoise
import KeyGateChannel

/// Finds the KeyGate frames in a capture (PROTOCOL.md sections 1, 3, 4 and
/// 6) and, with a keylog, decrypts the transport messages.
///
/// What a connection is comes from its first frames: a Noise protocol
/// name opens a control connection; a 22-byte first frame (a sealed
/// `RESUME`) a session's data-port connection; a first frame of DHLEN + 16
/// bytes an FTP data connection (NNpsk0 message 1). A keylog session is
/// found by the initiator's ephemeral key in message 1, or, on the data
/// port, by the key that opens `RESUME` at nonce 0. Each direction's nonce
/// starts at 0 after the handshake and goes on across the session's
/// control and data-port connections; a frame that does not open at the
/// expected nonce is tried at the nonces around it, and reported.
public struct CaptureDecoder: Sendable {
    /// How many nonces past the expected one a frame is tried at.
    public static let nonceWindow: UInt64 = 64
    /// Sizes of a sealed RESUME frame and of NNpsk0 message 1 by DH function.
    static let resumeFrameByteCount = KeyGateWire.resumeMessage.count + 16
    static let dataHandshakeDH: [Int: String] = [48: "25519", 272: "FFDHE2048", 400: "FFDHE3072", 528: "FFDHE4096"]

    public let keyLog: [SessionKeyLog.Entry]

    public init(keyLog: [SessionKeyLog.Entry] = []) {
        self.keyLog = keyLog
    }

    /// The state shared by the connections of one keylog session.
    struct SessionState {
        var nextNonce: (fromInitiator: UInt64, fromResponder: UInt64) = (0, 0)
        /// `chat` or `ftp` once the grant shows it.
        var service: String?
    }

    /// Decodes every packet of `file`.
    /// - Throws: `LabError.unsupportedLinkType`.
    public func decode(_ file: PcapFile) throws(LabError) -> CaptureReport {
        guard let linkType = PacketDissector.LinkType(rawValue: file.linkType) else {
            throw .unsupportedLinkType(file.linkType)
        }
        var reassembler = TCPReassembler()
        var skipped: [(reason: String, count: Int)] = []
        for packet in file.packets {
            switch PacketDissector.dissect(packet, linkType: linkType) {
            case let .segment(segment): reassembler.add(segment)
            case let .skipped(reason):
                if let index = skipped.firstIndex(where: { $0.reason == reason }) {
                    skipped[index].count += 1
                } else {
                    skipped.append((reason, 1))
                }
            }
        }
        let start = file.packets.first?.time ?? 0
        var sessions = [SessionState](repeating: SessionState(), count: keyLog.count)
        let connections = reassembler.connections.enumerated().map { index, connection in
            decode(connection, number: index + 1, captureStart: start, sessions: &sessions)
        }
        return CaptureReport(
            linkType: linkType, packetCount: file.packets.count, skippedPackets: skipped, connections: connections,
            usedKeyLog: !keyLog.isEmpty)
    }

    /// One frame of one direction, with where it ended.
    struct RawFrame {
        let payload: [UInt8]
        let time: Double
        let packetNumber: Int
    }

    /// The frames of `stream`, and a note when it ends inside one.
    static func frames(of stream: CapturedStream, captureStart: Double) -> (frames: [RawFrame], note: String?) {
        var codec = FrameCodec()
        codec.append(stream.bytes)
        var frames: [RawFrame] = []
        var consumed = 0
        while let payload = codec.nextFrame() {
            consumed += FrameCodec.headerByteCount + payload.count
            let (time, packet) = stream.time(ofByte: consumed - 1)
            frames.append(RawFrame(payload: payload, time: time - captureStart, packetNumber: packet))
        }
        var note: String?
        do {
            try codec.endOfStream()
        } catch {
            note = "\(stream.sender) stops inside a frame: \(codec.bufferedByteCount) of \(codec.bufferedByteCount + codec.missingByteCount) bytes captured"
        }
        return (frames, note)
    }

    private func decode(_ connection: CapturedConnection, number: Int, captureStart: Double, sessions: inout [SessionState]) -> CaptureReport.Connection {
        var notes: [String] = []
        let client = Self.frames(of: connection.fromClient, captureStart: captureStart)
        let server = Self.frames(of: connection.fromServer, captureStart: captureStart)
        notes += [client.note, server.note].compactMap { $0 }
        for stream in [connection.fromClient, connection.fromServer] {
            notes += Self.streamNotes(stream)
        }
        if !connection.clientIsKnown {
            notes.append("the capture has no SYN: \(connection.client) is taken as the client because it sent first")
        }
        var decoding = ConnectionDecoding(decoder: self, client: client.frames, server: server.frames)
        let kind = decoding.run(sessions: &sessions)
        let frames = decoding.frames.sorted { ($0.time, $0.packetNumber) < ($1.time, $1.packetNumber) }
        return CaptureReport.Connection(
            number: number, client: connection.client, server: connection.server, kind: kind,
            keyLogSession: decoding.session.map { $0 + 1 }, frames: kind.isKeyGate ? frames : [], notes: notes,
            bytesFromClient: connection.fromClient.bytes.count, bytesFromServer: connection.fromServer.bytes.count)
    }

    private static func streamNotes(_ stream: CapturedStream) -> [String] {
        var notes: [String] = []
        if stream.retransmittedSegments > 0 {
            notes.append("\(stream.sender): \(stream.retransmittedSegments) retransmitted segment(s) ignored")
        }
        if stream.outOfOrderSegments > 0 {
            notes.append("\(stream.sender): \(stream.outOfOrderSegments) segment(s) arrived out of order, put back in sequence")
        }
        if stream.conflictingBytes > 0 {
            notes.append("\(stream.sender): \(stream.conflictingBytes) retransmitted byte(s) differ from the first copy; the first copy was kept")
        }
        if let hole = stream.hole {
            notes.append("\(stream.sender): the capture lost bytes at stream offset \(hole.offset); \(hole.bytesBeyond) captured byte(s) after the hole are not decoded")
        }
        if !stream.sawStart && !stream.bytes.isEmpty {
            notes.append("\(stream.sender): the capture starts after the connection did; frames may be misaligned")
        }
        return notes
    }

    /// Opens `frame` with `key`, trying `expected` first, then the nonces
    /// below it and up to `nonceWindow` above it.
    static func open(_ frame: [UInt8], key: [UInt8], expected: UInt64) -> (plaintext: [UInt8], nonce: UInt64)? {
        guard frame.count >= ChaChaPoly.tagByteCount else { return nil }
        let candidates = [expected] + (0..<(expected + nonceWindow)).filter { $0 != expected }
        for nonce in candidates {
            var bytes = [UInt8](repeating: 0, count: 4)
            for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: nonce >> UInt64(shift))) }
            if let plaintext = try? ChaChaPoly.open(frame, key: key, nonce: bytes, authenticating: []) {
                return (plaintext, nonce)
            }
        }
        return nil
    }
}
