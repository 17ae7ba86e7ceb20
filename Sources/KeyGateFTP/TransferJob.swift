import KeyGateSystem
import KeyGateChannel

/// One transfer command (RETR, STOR, APPE, LIST, NLST, MLSD) from its 150
/// reply to its final reply.
struct TransferJob: Sendable, Identifiable {
    /// What moves, and the file it moves from or to.
    enum Payload: Sendable {
        /// RETR: the file, from an offset (REST).
        case download(FileReader, offset: Int64)
        /// LIST, NLST, MLSD: the folder, read and formatted as it is sent.
        case listing(DirectoryListing, DirectoryListing.Format)
        /// STOR, APPE: the file being written under a temporary name.
        case upload(AtomicFileWriter)

        /// Closes the file or removes the unfinished upload: for a
        /// transfer that never got its data connection.
        func release() async {
            switch self {
            case let .download(reader, _): reader.close()
            case let .listing(listing, _): await listing.close()
            case let .upload(upload): await upload.discard()
            }
        }

        var isUpload: Bool {
            if case .upload = self { return true }
            return false
        }
    }

    /// A file a transfer moved whole from offset 0, unchanged meanwhile:
    /// what it is afterwards, and the SHA-256 of the bytes that moved.
    struct MovedFile: Sendable, Equatable {
        let identity: FileIdentity
        let digest: [UInt8]
        /// The file system clock (`FileIdentity.coarseNow`) read after the
        /// fstat that gave `identity`.
        let recordedAt: Int64
    }

    /// How the moving of bytes ended.
    enum Outcome: Sendable {
        /// With the file and its digest when the whole file moved.
        case completed(bytes: Int64, movedFile: MovedFile?)
        /// With the reply that says why.
        case failed(bytes: Int64, reply: FTPReply)
    }

    let id: Int
    /// `RETR`, `STOR`, ...
    let verb: FTPRequest.TransferVerb
    /// The path for replies and logs.
    let path: String
    let payload: Payload
    /// The size an upload may reach before it is stopped (a quota).
    var byteLimit: Int64?
    let progress = TransferProgress()
    /// When the 150 was sent.
    let started = ContinuousClock.now
}
