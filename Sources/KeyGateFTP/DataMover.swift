import KeyGateSystem
import KeyGateChannel

/// Moves a file's bytes over an FTP data connection (PROTOCOL.md section
/// 6), for the server and the client alike: the sender ends with the empty
/// end-of-data message, and a receiver that sees the connection end
/// without it fails (`ChannelError.missingEndOfData`).
///
/// Both directions overlap file and network work with bounded memory: at
/// most two pieces of `pieceByteCount` bytes are held at a time.
public struct DataMover: Sendable {
    /// Files are read and written in pieces of this size.
    public var pieceByteCount: Int
    /// A peer that neither sends nor takes data for this long fails the transfer.
    public var timeout: Duration
    /// The most bytes per second a file transfer moves (`TransferPacer`),
    /// either way; nil for no limit. Listings are not held back.
    public var bytesPerSecond: Int64?

    /// Pieces of 1 MiB, a 60 s stall limit and no rate limit unless told
    /// otherwise.
    public init(pieceByteCount: Int = 1 << 20, timeout: Duration = .seconds(60), bytesPerSecond: Int64? = nil) {
        self.pieceByteCount = pieceByteCount
        self.timeout = timeout
        self.bytesPerSecond = bytesPerSecond
    }

    /// A pacer for a transfer beginning now, when there is a limit.
    private func pacer() -> TransferPacer? {
        bytesPerSecond.map { TransferPacer(bytesPerSecond: max(1, $0)) }
    }

    /// Sends the file from `offset` to its end, then end-of-data. The next
    /// piece is read while the current one is sent. Each piece is added to
    /// `digest` as it is read.
    /// - Throws: `FTPError` from reading, `ChannelError` or `SystemError`
    ///   from the connection.
    public func send(
        _ reader: FileReader, from offset: Int64, over data: SecureChannel, progress: TransferProgress,
        digest: StreamingDigest? = nil
    ) async throws {
        var pacer = self.pacer()
        let pieceByteCount = pacer?.pieceByteCount(atMost: self.pieceByteCount) ?? self.pieceByteCount
        var position = offset
        var piece = try await reader.read(at: position, count: pieceByteCount, digest: digest)
        while !piece.isEmpty {
            position += Int64(piece.count)
            let nextPosition = position
            async let next = reader.read(at: nextPosition, count: pieceByteCount, digest: digest)
            try await data.sendData(piece, deadline: .now + timeout)
            progress.add(piece.count)
            try await pacer?.pace(piece.count)
            piece = try await next
        }
        try await data.sendEndOfData(deadline: .now + timeout)
    }

    /// Sends `bytes` (a listing), then end-of-data.
    public func send(_ bytes: [UInt8], over data: SecureChannel, progress: TransferProgress) async throws {
        try await data.sendData(bytes, deadline: .now + timeout)
        progress.add(bytes.count)
        try await data.sendEndOfData(deadline: .now + timeout)
    }

    /// Sends a folder's listing as `format` says, then end-of-data. The
    /// next batch is read and formatted while the current one is sent, and
    /// no further: reading keeps to the data connection's pace, holding at
    /// most two batches (`DirectoryListing.batchEntryCount` entries each).
    /// The caller closes the listing.
    /// - Throws: `FTPError` from reading the folder, `ChannelError` or
    ///   `SystemError` from the connection.
    public func send(
        _ listing: DirectoryListing, format: DirectoryListing.Format, over data: SecureChannel,
        progress: TransferProgress
    ) async throws {
        var text = try await listing.nextText(format)
        while !text.isEmpty {
            async let next = listing.nextText(format)
            try await data.sendData(text, deadline: .now + timeout)
            progress.add(text.count)
            text = try await next
        }
        try await data.sendEndOfData(deadline: .now + timeout)
    }

    /// Receives into `upload` until end-of-data; pieces are gathered into
    /// large writes, one of which runs while the next piece arrives. The
    /// caller commits or discards the upload.
    /// - Throws: `ChannelError.missingEndOfData` when the connection ends
    ///   first, `FTPError` from writing, other connection errors.
    /// - Parameters:
    ///   - byteLimit: the size the file may reach (a quota): a batch that
    ///     would take it further is not written, and the receive fails
    ///     with `FTPError.quotaExceeded`.
    ///   - digest: each batch is added to it as it is written.
    public func receive(
        into upload: AtomicFileWriter, over data: SecureChannel, progress: TransferProgress, byteLimit: Int64? = nil,
        digest: StreamingDigest? = nil
    ) async throws {
        try await receive(over: data, progress: progress) { bytes in
            if let byteLimit, upload.byteCount + Int64(bytes.count) > byteLimit {
                throw FTPError.quotaExceeded(path: upload.path, quota: byteLimit)
            }
            try await upload.write(bytes, digest: digest)
        }
    }

    /// Receives until end-of-data, handing `consume` batches of about
    /// `pieceByteCount` bytes, one call at a time and in order, while the
    /// next batch arrives.
    ///
    /// Two batch buffers take turns: the one just consumed comes back and
    /// is filled again, so a transfer of any size allocates (and the
    /// kernel zeroes) no new memory after its first two batches.
    public func receive(
        over data: SecureChannel, progress: TransferProgress,
        consume: @escaping @Sendable ([UInt8]) async throws -> Void
    ) async throws {
        var pacer = self.pacer()
        let pieceByteCount = pacer?.pieceByteCount(atMost: self.pieceByteCount) ?? self.pieceByteCount
        let timeout = self.timeout
        // Room for a full batch plus the messages of one more receive.
        let capacity = pieceByteCount + 2 * 65536
        try await withThrowingTaskGroup(of: [UInt8].self) { writes in
            var batch: [UInt8] = []
            batch.reserveCapacity(capacity)
            var spare: [UInt8]?
            var writing = false
            var more = true
            while more {
                let before = batch.count
                more = try await data.receiveData(into: &batch, deadline: .now + timeout)
                progress.add(batch.count - before)
                try await pacer?.pace(batch.count - before)
                guard batch.count >= pieceByteCount else { continue }
                if writing { spare = try await writes.next() }
                let full = batch
                writes.addTask {
                    try await consume(full)
                    return full
                }
                writing = true
                if var reused = spare.take() {
                    reused.removeAll(keepingCapacity: true)
                    batch = reused
                } else {
                    batch = []
                    batch.reserveCapacity(capacity)
                }
            }
            try await writes.waitForAll()
            if !batch.isEmpty { try await consume(batch) }
        }
    }
}
