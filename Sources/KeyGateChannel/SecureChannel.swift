import KeyGateSystem
import KeyGateNoise

/// Encrypts messages over a `ByteStream` with the keys of a completed
/// handshake (PROTOCOL.md sections 1 and 4-6).
///
/// It exists only with session keys: a handshake (`clientHandshake`,
/// `serverHandshake`, `dataConnectionHandshake`) or the move to the data
/// port (`resume`, `acceptResume`) makes one, and before that the frames
/// travel in clear on a `FramedStream`.
///
/// An actor: one task may receive while another sends, but only one of
/// each at a time. Reads are buffered in chunks of up to 64 KiB, so a frame
/// costs one actor hop, not one per header and body.
public actor SecureChannel {
    /// Open with one reader and one writer at most, or closed for good.
    private enum Phase {
        case open(reading: Bool, writing: Bool)
        case closed
    }

    public nonisolated let stream: any ByteStream
    /// Bytes read and not yet taken as frames.
    private var frames: FrameCodec
    private var keys: SessionKeys
    private var phase = Phase.open(reading: false, writing: false)
    /// Counts the payload bytes from `count(with:)` on.
    private var meter: PayloadMeter?

    /// A channel continuing an established session on `stream` (the move to
    /// the data port, PROTOCOL.md section 4).
    public init(stream: any ByteStream, keys: SessionKeys) {
        self.init(continuing: FramedStream(stream: stream), keys: keys)
    }

    /// The channel a handshake on `framed` made, with the bytes it read past
    /// the handshake.
    init(continuing framed: FramedStream, keys: SessionKeys) {
        stream = framed.stream
        frames = framed.frames
        self.keys = keys
    }

    /// The session's keys, with the nonces as far as this channel has used them.
    public var sessionKeys: SessionKeys { keys }

    /// The peer's address, for logs.
    public nonisolated var peerDescription: String { stream.peerDescription }

    // MARK: Phase

    /// Marks the reading side busy.
    /// - Throws: `ChannelError.misuse` for a second reader, `.closed`.
    private func beginReading() throws {
        guard case let .open(reading, writing) = phase else { throw ChannelError.closed }
        guard !reading else { throw ChannelError.misuse("two concurrent readers") }
        phase = .open(reading: true, writing: writing)
    }

    private func endReading() {
        if case let .open(_, writing) = phase { phase = .open(reading: false, writing: writing) }
    }

    /// Checks that a write may start now: before a nonce is spent on it.
    private func checkWritable() throws {
        guard case let .open(_, writing) = phase else { throw ChannelError.closed }
        guard !writing else { throw ChannelError.misuse("two concurrent writers") }
    }

    // MARK: Framing

    /// Waits until a whole frame has arrived, without consuming it: how a
    /// client learns that the server acknowledged its data connection
    /// (section 4.4) before any reader takes the message.
    /// - Returns: false when the stream ended first (or inside the frame).
    /// - Throws: `TimedOut` at the deadline, the stream's errors.
    public func awaitFrame(deadline: Deadline?) async throws -> Bool {
        try beginReading()
        defer { endReading() }
        return try await fillFrame(deadline: deadline)
    }

    /// Reads until a whole frame is buffered; false if the stream ended first.
    private func fillFrame(deadline: Deadline?) async throws -> Bool {
        while !frames.hasWholeFrame {
            guard case .open = phase else { throw ChannelError.closed }
            guard let bytes = try await stream.read(completing: frames, deadline: deadline) else { return false }
            frames.append(bytes)
        }
        return true
    }

    /// Reads one frame's payload; nil when the stream ends between frames.
    private func readFrame(deadline: Deadline?) async throws -> [UInt8]? {
        guard try await fillFrame(deadline: deadline) else {
            try frames.endOfStream()
            return nil
        }
        return frames.nextFrame()
    }

    /// Writes frames sealed with the keys as they are now.
    func writeSealed(_ bytes: [UInt8], deadline: Deadline? = nil) async throws {
        try checkWritable()
        if case let .open(reading, _) = phase { phase = .open(reading: reading, writing: true) }
        defer {
            if case let .open(reading, _) = phase { phase = .open(reading: reading, writing: false) }
        }
        try await stream.write(bytes, deadline: deadline)
    }

    // MARK: Transport

    /// Counts this channel's payload bytes in `meter` from now on.
    public func count(with meter: PayloadMeter) {
        self.meter = meter
    }

    /// Encrypts `message` (at most 65519 bytes) and sends it as one frame.
    /// - Throws: `ChannelError.frameTooLarge`, `ChannelError.misuse` for a
    ///   second writer, `.closed`, or the stream's error.
    /// - Parameter deadline: when the peer must have taken the frame
    ///   (`TimedOut` after it; the channel is then unusable).
    public func send(_ message: [UInt8], deadline: Deadline? = nil) async throws {
        guard message.count <= KeyGateWire.maximumPlaintextByteCount else {
            throw ChannelError.frameTooLarge(message.count + CipherState.tagByteCount)
        }
        // Checked before sealing: a nonce must never be spent on a frame
        // that is not written.
        try checkWritable()
        var keys = self.keys
        let frame = try Self.seal(message, with: &keys.sending)
        self.keys = keys
        try await writeSealed(frame, deadline: deadline)
        meter?.add(sent: message.count)
    }

    /// Encrypts several messages and sends their frames in one write (a
    /// busy chat member's backlog goes out in one system call).
    public func send(contentsOf messages: [[UInt8]]) async throws {
        guard let first = messages.first else { return }
        guard messages.count > 1 else { return try await send(first) }
        try checkWritable()
        var keys = self.keys
        var sealed: [UInt8] = []
        sealed.reserveCapacity(messages.reduce(0) { $0 + $1.count + 2 + CipherState.tagByteCount })
        for message in messages {
            guard message.count <= KeyGateWire.maximumPlaintextByteCount else {
                throw ChannelError.frameTooLarge(message.count + CipherState.tagByteCount)
            }
            sealed += try Self.seal(message, with: &keys.sending)
        }
        self.keys = keys
        try await writeSealed(sealed)
        meter?.add(sent: messages.reduce(0) { $0 + $1.count })
    }

    /// Receives and decrypts one message.
    /// - Returns: the plaintext (possibly empty), or nil when the peer
    ///   closed the stream between messages.
    /// - Throws: `ChannelError.decryptionFailed` for a frame that does not
    ///   decrypt (the receiving nonce is unchanged), `truncatedFrame`,
    ///   `TimedOut`.
    public func receive(deadline: Deadline? = nil) async throws -> [UInt8]? {
        try beginReading()
        defer { endReading() }
        guard var frame = try await readFrame(deadline: deadline) else { return nil }
        // Decrypting a copy: a failure leaves the stored nonce where it was.
        var cipher = keys.receiving
        try Self.open(&frame, with: &cipher)
        keys.receiving = cipher
        meter?.add(received: frame.count)
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
            FrameCodec.writeHeader(length: sealedLength, into: frame, at: 0)
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
        let bodyCount = try payload.withUnsafeMutableBytes { (buffer) throws(ChannelError) in
            try open(inPlace: buffer, with: &cipher)
        }
        payload.removeSubrange(bodyCount...)
    }

    /// Decrypts the frame payload `payload` (ciphertext, then tag) in place.
    /// - Returns: the plaintext's length; it fills the start of `payload`.
    /// - Throws: `ChannelError.decryptionFailed` (also for a payload shorter
    ///   than a tag); `cipher` and `payload` are then unchanged.
    static func open(inPlace payload: UnsafeMutableRawBufferPointer, with cipher: inout CipherState) throws(ChannelError) -> Int {
        guard payload.count >= CipherState.tagByteCount else { throw .decryptionFailed }
        let bodyCount = payload.count - CipherState.tagByteCount
        do {
            try cipher.decrypt(
                inPlace: UnsafeMutableRawBufferPointer(rebasing: payload[0..<bodyCount]),
                tag: UnsafeRawPointer(payload.baseAddress!) + bodyCount)
        } catch {
            throw .decryptionFailed
        }
        return bodyCount
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
        try checkWritable()
        var keys = self.keys
        let pieceLength = KeyGateWire.maximumPlaintextByteCount
        let frameOverhead = 2 + CipherState.tagByteCount
        let frameCount = (bytes.count + pieceLength - 1) / pieceLength
        var failure: NoiseError?
        let sealed = [UInt8](unsafeUninitializedCapacity: bytes.count + frameCount * frameOverhead) { buffer, initialized in
            let output = UnsafeMutableRawBufferPointer(buffer)
            bytes.withUnsafeBytes { input in
                var offset = 0
                var position = 0
                while offset < input.count {
                    let length = min(pieceLength, input.count - offset)
                    let sealedLength = length + CipherState.tagByteCount
                    FrameCodec.writeHeader(length: sealedLength, into: output, at: position)
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
        try await writeSealed(sealed, deadline: deadline)
        meter?.add(sent: bytes.count)
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
        try beginReading()
        defer { endReading() }
        guard try await fillFrame(deadline: deadline) else {
            try frames.endOfStream()
            throw ChannelError.missingEndOfData
        }
        while true {
            var cipher = keys.receiving
            // ChaChaPoly checks the tag before it decrypts: a failure
            // leaves the buffer and the nonce as they were.
            let opened = try frames.withNextFrame { (payload) throws(ChannelError) -> Int in
                let count = try Self.open(inPlace: payload, with: &cipher)
                batch.append(contentsOf: UnsafeRawBufferPointer(rebasing: payload[0..<count]))
                return count
            }
            guard let bodyCount = opened else { return true }
            keys.receiving = cipher
            meter?.add(received: bodyCount)
            if bodyCount == 0 { return false }
        }
    }

    // MARK: Lifecycle

    /// Closes the underlying stream. Idempotent.
    public func close() async {
        guard case .open = phase else { return }
        phase = .closed
        await stream.close()
    }
}
