import KeyGateSystem
import KeyGateNoise

/// Frames and, once keys exist, encrypts messages over a `ByteStream`
/// (PROTOCOL.md sections 1 and 3-4).
///
/// An actor: one task may receive while another sends, but only one of
/// each at a time. Reads are buffered in chunks of up to 64 KiB, so a frame
/// costs one actor hop, not one per header and body.
public actor SecureChannel {
    public nonisolated let stream: any ByteStream
    private var inbound: [UInt8] = []
    private var inboundStart = 0
    private var keys: SessionKeys?
    private var receiving = false
    private var sending = false
    private var isClosed = false

    /// A channel without keys yet: frames travel in clear (negotiation and
    /// handshake messages).
    public init(stream: any ByteStream) {
        self.stream = stream
    }

    /// A channel continuing an established session on `stream` (the move to
    /// the data port, PROTOCOL.md section 4).
    public init(stream: any ByteStream, keys: SessionKeys) {
        self.stream = stream
        self.keys = keys
    }

    /// The session's keys, once the handshake is complete.
    public var sessionKeys: SessionKeys? { keys }

    /// Whether a handshake has completed (or keys were given).
    public var isHandshakeComplete: Bool { keys != nil }

    /// The peer's address, for logs.
    public nonisolated var peerDescription: String { stream.peerDescription }

    // MARK: Framing

    /// Reads one frame's payload.
    /// - Returns: the payload, or nil when the stream ends cleanly between frames.
    /// - Throws: `ChannelError.truncatedFrame` when it ends inside one,
    ///   `TimedOut` at the deadline.
    public func readFrame(deadline: Deadline? = nil) async throws -> [UInt8]? {
        guard !receiving else { throw ChannelError.misuse("two concurrent readers") }
        receiving = true
        defer { receiving = false }
        guard try await fill(2, deadline: deadline) else {
            if available == 0 { return nil }
            throw ChannelError.truncatedFrame(expected: 2, received: available)
        }
        let length = Int(inbound[inboundStart]) << 8 | Int(inbound[inboundStart + 1])
        guard try await fill(2 + length, deadline: deadline) else {
            throw ChannelError.truncatedFrame(expected: 2 + length, received: available)
        }
        let payload = Array(inbound[(inboundStart + 2)..<(inboundStart + 2 + length)])
        consume(2 + length)
        return payload
    }

    /// Writes `payload` as one frame.
    /// - Throws: `ChannelError.frameTooLarge` past 65535 bytes.
    public func writeFrame(_ payload: [UInt8]) async throws {
        guard payload.count <= KeyGateWire.maximumFrameByteCount else {
            throw ChannelError.frameTooLarge(payload.count)
        }
        var frame = [UInt8]()
        frame.reserveCapacity(payload.count + 2)
        frame.append(UInt8(payload.count >> 8))
        frame.append(UInt8(payload.count & 0xff))
        frame.append(contentsOf: payload)
        try await writeRaw(frame)
    }

    /// Waits until a whole frame has arrived, without consuming it: how a
    /// client learns that the server acknowledged its data connection
    /// (section 4.4) before any reader takes the message.
    /// - Returns: false when the stream ended first (or inside the frame).
    /// - Throws: `TimedOut` at the deadline, the stream's errors.
    public func awaitFrame(deadline: Deadline?) async throws -> Bool {
        guard !receiving else { throw ChannelError.misuse("two concurrent readers") }
        receiving = true
        defer { receiving = false }
        guard try await fill(2, deadline: deadline) else { return false }
        let length = Int(inbound[inboundStart]) << 8 | Int(inbound[inboundStart + 1])
        return try await fill(2 + length, deadline: deadline)
    }

    /// Writes a frame sealed earlier (`seal`), as it is.
    func writeSealedFrame(_ frame: [UInt8]) async throws {
        try await writeRaw(frame)
    }

    private var available: Int { inbound.count - inboundStart }

    /// Buffers at least `count` bytes; false if the stream ended first.
    private func fill(_ count: Int, deadline: Deadline?) async throws -> Bool {
        while available < count {
            if inboundStart > 0 && inboundStart == inbound.count {
                inbound.removeAll(keepingCapacity: true)
                inboundStart = 0
            }
            guard !isClosed else { throw ChannelError.closed }
            // Room for a whole frame: a stream that hands over whole frames
            // (the in-memory pipe) then passes its arrays without a copy.
            let wanted = max(2 + KeyGateWire.maximumFrameByteCount, count - available)
            guard let bytes = try await stream.read(upTo: wanted, deadline: deadline) else {
                return false
            }
            if available == 0 {
                // Nothing buffered: take the read's array as the buffer
                // instead of copying it.
                inbound = bytes
                inboundStart = 0
                continue
            }
            if inboundStart > 0 && inboundStart > inbound.count / 2 {
                inbound.removeSubrange(0..<inboundStart)
                inboundStart = 0
            }
            inbound.append(contentsOf: bytes)
        }
        return true
    }

    private func consume(_ count: Int) {
        inboundStart += count
        if inboundStart == inbound.count {
            inbound.removeAll(keepingCapacity: inbound.capacity <= 1 << 17)
            inboundStart = 0
        }
    }

    private func writeRaw(_ bytes: [UInt8], deadline: Deadline? = nil) async throws {
        guard !sending else { throw ChannelError.misuse("two concurrent writers") }
        guard !isClosed else { throw ChannelError.closed }
        sending = true
        defer { sending = false }
        try await stream.write(bytes, deadline: deadline)
    }

    // MARK: Transport

    /// Encrypts `message` (at most 65519 bytes) and sends it as one frame.
    /// - Throws: `ChannelError.frameTooLarge`, `ChannelError.misuse` before
    ///   the handshake, or the stream's error.
    /// - Parameter deadline: when the peer must have taken the frame
    ///   (`TimedOut` after it; the channel is then unusable).
    public func send(_ message: [UInt8], deadline: Deadline? = nil) async throws {
        guard message.count <= KeyGateWire.maximumPlaintextByteCount else {
            throw ChannelError.frameTooLarge(message.count + CipherState.tagByteCount)
        }
        guard var keys else { throw ChannelError.misuse("send before the handshake completed") }
        // Checked before sealing: a nonce must never be spent on a frame
        // that is not written.
        guard !sending else { throw ChannelError.misuse("two concurrent writers") }
        let frame = try Self.seal(message, with: &keys.sending)
        self.keys = keys
        try await writeRaw(frame, deadline: deadline)
    }

    /// Encrypts several messages and sends their frames in one write (a
    /// busy chat member's backlog goes out in one system call).
    public func send(contentsOf messages: [[UInt8]]) async throws {
        guard let first = messages.first else { return }
        guard messages.count > 1 else { return try await send(first) }
        guard var keys else { throw ChannelError.misuse("send before the handshake completed") }
        guard !sending else { throw ChannelError.misuse("two concurrent writers") }
        var frames: [UInt8] = []
        frames.reserveCapacity(messages.reduce(0) { $0 + $1.count + 2 + CipherState.tagByteCount })
        for message in messages {
            guard message.count <= KeyGateWire.maximumPlaintextByteCount else {
                throw ChannelError.frameTooLarge(message.count + CipherState.tagByteCount)
            }
            frames += try Self.seal(message, with: &keys.sending)
        }
        self.keys = keys
        try await writeRaw(frames)
    }

    /// Receives and decrypts one message.
    /// - Returns: the plaintext (possibly empty), or nil when the peer
    ///   closed the stream between messages.
    /// - Throws: `ChannelError.decryptionFailed` for a frame that does not
    ///   decrypt (the receiving nonce is unchanged), `truncatedFrame`,
    ///   `TimedOut`.
    public func receive(deadline: Deadline? = nil) async throws -> [UInt8]? {
        guard keys != nil else { throw ChannelError.misuse("receive before the handshake completed") }
        guard var frame = try await readFrame(deadline: deadline) else { return nil }
        guard var cipher = keys?.receiving else { throw ChannelError.closed }
        // Decrypting a copy: a failure leaves the stored nonce where it was.
        try Self.open(&frame, with: &cipher)
        keys?.receiving = cipher
        return frame
    }

    /// Builds the frame for `message`: header, ciphertext and tag in one
    /// buffer, encrypted in place.
    public static func seal(_ message: [UInt8], with cipher: inout CipherState) throws -> [UInt8] {
        let sealedLength = message.count + CipherState.tagByteCount
        // Every byte is written below: the length, the copied message
        // (encrypted in place) and the tag; no need to zero it first.
        return try [UInt8](unsafeUninitializedCapacity: 2 + sealedLength) { buffer, initializedCount in
            let frame = UnsafeMutableRawBufferPointer(buffer)
            frame[0] = UInt8(sealedLength >> 8)
            frame[1] = UInt8(sealedLength & 0xff)
            if !message.isEmpty {
                message.withUnsafeBytes { frame.baseAddress!.advanced(by: 2).copyMemory(from: $0.baseAddress!, byteCount: message.count) }
            }
            try cipher.encrypt(
                inPlace: UnsafeMutableRawBufferPointer(rebasing: frame[2..<(2 + message.count)]),
                tag: frame.baseAddress! + 2 + message.count)
            initializedCount = 2 + sealedLength
        }
    }

    /// Decrypts a frame payload in place, leaving the plaintext.
    /// - Throws: `ChannelError.decryptionFailed`; `cipher` is then unchanged.
    public static func open(_ payload: inout [UInt8], with cipher: inout CipherState) throws {
        guard payload.count >= CipherState.tagByteCount else { throw ChannelError.decryptionFailed }
        let bodyCount = payload.count - CipherState.tagByteCount
        do {
            try payload.withUnsafeMutableBytes { buffer in
                try cipher.decrypt(
                    inPlace: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<bodyCount]),
                    tag: UnsafeRawPointer(buffer.baseAddress!) + bodyCount)
            }
        } catch {
            throw ChannelError.decryptionFailed
        }
        payload.removeLast(CipherState.tagByteCount)
    }

    // MARK: Data streams (PROTOCOL.md section 6, end-of-data)

    /// Sends `bytes` cut into messages of at most 65519 bytes. Follow with
    /// `sendEndOfData()` when the stream is complete.
    ///
    /// All the frames are sealed into one buffer and handed to the stream
    /// in one write: a megabyte costs one actor hop and a few system calls,
    /// not one of each per frame.
    /// - Parameter deadline: when the peer must have taken the bytes.
    public func sendData(_ bytes: [UInt8], deadline: Deadline? = nil) async throws {
        guard !bytes.isEmpty else { return }
        guard var keys else { throw ChannelError.misuse("send before the handshake completed") }
        guard !sending else { throw ChannelError.misuse("two concurrent writers") }
        let pieceLength = KeyGateWire.maximumPlaintextByteCount
        let frameOverhead = 2 + CipherState.tagByteCount
        let frameCount = (bytes.count + pieceLength - 1) / pieceLength
        var failure: NoiseError?
        let frames = [UInt8](unsafeUninitializedCapacity: bytes.count + frameCount * frameOverhead) { buffer, initialized in
            let output = UnsafeMutableRawBufferPointer(buffer)
            bytes.withUnsafeBytes { input in
                var offset = 0
                var position = 0
                while offset < input.count {
                    let length = min(pieceLength, input.count - offset)
                    let sealedLength = length + CipherState.tagByteCount
                    output[position] = UInt8(sealedLength >> 8)
                    output[position + 1] = UInt8(sealedLength & 0xff)
                    let body = UnsafeMutableRawBufferPointer(rebasing: output[(position + 2)..<(position + 2 + length)])
                    body.copyMemory(from: UnsafeRawBufferPointer(rebasing: input[offset..<(offset + length)]))
                    do throws(NoiseError) {
                        try keys.sending.encrypt(inPlace: body, tag: body.baseAddress! + length)
                    } catch {
                        failure = error
                        return
                    }
                    offset += length
                    position += 2 + sealedLength
                }
                initialized = position
            }
        }
        if let failure { throw failure }
        self.keys = keys
        try await writeRaw(frames, deadline: deadline)
    }

    /// Sends the authenticated end-of-data marker: one empty message.
    public func sendEndOfData(deadline: Deadline? = nil) async throws {
        try await send([], deadline: deadline)
    }

    /// Receives the next piece of a data stream.
    /// - Returns: bytes, or nil at the authenticated end-of-data.
    /// - Throws: `ChannelError.missingEndOfData` when the stream closes
    ///   without it: a cut transfer is an error, never a short success.
    public func receiveData(deadline: Deadline? = nil) async throws -> [UInt8]? {
        guard let message = try await receive(deadline: deadline) else { throw ChannelError.missingEndOfData }
        return message.isEmpty ? nil : message
    }

    /// Receives data messages and appends their bytes to `batch`: every
    /// complete message already buffered, and at least one (waiting for it
    /// if need be). Bulk transfers call this instead of `receiveData` to
    /// decrypt in the receive buffer and copy each byte out once, with one
    /// actor hop for many messages.
    /// - Returns: false once the authenticated end-of-data has arrived (the
    ///   bytes before it are in `batch`).
    /// - Throws: `ChannelError.missingEndOfData` when the stream closes
    ///   without it, `decryptionFailed`, `truncatedFrame`, `TimedOut`.
    public func receiveData(into batch: inout [UInt8], deadline: Deadline? = nil) async throws -> Bool {
        guard keys != nil else { throw ChannelError.misuse("receive before the handshake completed") }
        guard !receiving else { throw ChannelError.misuse("two concurrent readers") }
        receiving = true
        defer { receiving = false }
        guard try await fill(2, deadline: deadline) else {
            if available == 0 { throw ChannelError.missingEndOfData }
            throw ChannelError.truncatedFrame(expected: 2, received: available)
        }
        let first = Int(inbound[inboundStart]) << 8 | Int(inbound[inboundStart + 1])
        guard try await fill(2 + first, deadline: deadline) else {
            throw ChannelError.truncatedFrame(expected: 2 + first, received: available)
        }
        while available >= 2 {
            let length = Int(inbound[inboundStart]) << 8 | Int(inbound[inboundStart + 1])
            guard available >= 2 + length else { break }
            guard length >= CipherState.tagByteCount, var cipher = keys?.receiving else {
                throw ChannelError.decryptionFailed
            }
            let bodyStart = inboundStart + 2
            let bodyCount = length - CipherState.tagByteCount
            do {
                // ChaChaPoly checks the tag before it decrypts: a failure
                // leaves the buffer and the nonce as they were.
                try inbound.withUnsafeMutableBytes { buffer in
                    try cipher.decrypt(
                        inPlace: UnsafeMutableRawBufferPointer(rebasing: buffer[bodyStart..<(bodyStart + bodyCount)]),
                        tag: UnsafeRawPointer(buffer.baseAddress!) + bodyStart + bodyCount)
                }
            } catch {
                throw ChannelError.decryptionFailed
            }
            keys?.receiving = cipher
            if bodyCount == 0 {
                consume(2 + length)
                return false
            }
            batch.append(contentsOf: inbound[bodyStart..<(bodyStart + bodyCount)])
            consume(2 + length)
        }
        return true
    }

    // MARK: Lifecycle

    /// Installs the keys of a completed handshake.
    func establish(_ keys: SessionKeys) {
        self.keys = keys
    }

    /// Closes the underlying stream. Idempotent.
    public func close() async {
        guard !isClosed else { return }
        isClosed = true
        await stream.close()
    }
}
