import KeyGateSystem
import Glibc
import KeyGateChannel

/// The FTP service (PROTOCOL.md section 6): RFC 959 with EPSV, SIZE, MDTM,
/// MLSD/MLST and REST over a KeyGate session, every transfer on its own
/// encrypted data connection, every path confined to the service root.
public final class FTPService: GateService {
    /// Timeouts and sizes of a session, and the permissions of what it
    /// creates; the defaults are the documented ones.
    public struct Limits: Sendable {
        /// A session with no command for this long is closed (421).
        public var idleTimeout: Duration = .seconds(900)
        /// A passive listener waits this long for its data connection.
        public var passiveLifetime: Duration = Timeouts.passiveListener
        /// A data connection must finish its handshake within this.
        public var dataHandshakeTimeout: Duration = Timeouts.firstFrameOnDataPort
        /// A transfer whose peer neither sends nor takes data for this long fails.
        public var dataTimeout: Duration = .seconds(60)
        /// A client that does not take a reply within this loses its session.
        public var replyTimeout: Duration = .seconds(60)
        /// Files are read and written in pieces of this size.
        public var pieceByteCount = 1 << 20
        /// Commands queued behind a transfer before reading pauses.
        public var maximumDeferredCommands = 32
        /// Unverified connections examined at once on a passive port, in
        /// each of its two shares (PROTOCOL.md sections 4.3 and 6).
        public var pendingDataConnectionsPerShare = 8
        /// The permissions uploaded files (0666 & ~umask) and MKD folders
        /// (0777 & ~umask) do not get, whatever the process's umask
        /// (`--ftp-umask`).
        public var umask = FileModeMask.standard
        /// The most bytes per second one session's file transfers move,
        /// each way (`--ftp-max-rate`); nil for no limit.
        public var maximumRate: Int64?
        /// The most bytes of regular files a session's root (each client's
        /// home with `homePerClient`) may hold (`--ftp-quota`); an upload
        /// that would pass it gets 552 and is not kept. nil for no quota.
        public var quota: Int64?

        /// The defaults.
        public init() {}
    }

    public let name = KeyGateWire.ftpService
    /// Passive data connections are keyed by the grant's `data_key`.
    public var usesDataConnections: Bool { true }
    /// The service root, as given.
    public let rootPath: String
    private let root: FileDescriptor
    private let homePerClient: Bool
    private let limits: Limits
    /// The xferlog, if any (`--xferlog`).
    public let transferLog: TransferLog?

    /// Opens (creating if missing) the root folder.
    /// - Parameters:
    ///   - homePerClient: each client works in its own folder under the
    ///     root, named after its allow-list name.
    ///   - transferLog: where each file transfer is recorded (xferlog).
    /// - Throws: `FTPError.unusableRoot`.
    public init(
        root: String, homePerClient: Bool = false, limits: Limits = Limits(), transferLog: TransferLog? = nil
    ) throws(FTPError) {
        rootPath = root
        self.root = try FileStore.openRoot(path: root)
        self.homePerClient = homePerClient
        self.limits = limits
        self.transferLog = transferLog
    }

    deinit {
        root.close()
    }

    /// Runs one FTP session in the client's root: the key's `ftp-root`
    /// if it has one, else its home with `homePerClient`, else the root;
    /// a folder that cannot be opened gets 421.
    public func serve(_ context: ServiceContext) async {
        // The session's file work, in the order asked for, on a lane of its
        // own: one slow disk operation holds up only this session.
        let io = BlockingExecutor.shared.lane()
        let root = self.root
        let home = homePerClient ? Self.homeName(for: context.peer.name) : nil
        let keyRoot = context.peer.fileAccess.root
        let sessionRoot: FileDescriptor
        do {
            sessionRoot = try await io.run { () throws(FTPError) -> FileDescriptor in
                if let keyRoot { return try FileStore.openFolder(keyRoot, in: root) }
                if let home { return try FileStore.openHome(named: home, in: root) }
                let raw = dup(root.rawValue)
                guard raw >= 0 else { throw .from(errno: errno, call: "dup", path: "/") }
                return FileDescriptor(adopting: raw)
            }
        } catch {
            context.log.error("ftp home unusable", ["reason": error.description])
            try? await context.channel.send(FTPReply(.serviceNotAvailable, "Home folder unusable; ask the operator").message)
            return
        }
        let store = FileStore(root: sessionRoot, io: io, umask: limits.umask)
        await FTPSession(context: context, store: store, limits: limits, transferLog: transferLog).run()
        store.close()
    }

    /// Nothing to announce: sessions end with their tasks, and every
    /// unfinished upload is discarded on the way out. The transfer log's
    /// lines so far are written.
    public func prepareForShutdown() async {
        await transferLog?.flush()
    }

    /// The folder name for a client: its allow-list name with `%`, `/`,
    /// control characters and a leading dot percent-encoded, so that every
    /// name maps to one plain folder directly under the root (a
    /// fingerprint name holds `/`).
    public static func homeName(for clientName: String) -> String {
        var bytes: [UInt8] = []
        for (index, byte) in clientName.utf8.enumerated() {
            let mustEncode = byte == UInt8(ascii: "%") || byte == UInt8(ascii: "/") || byte < 0x20 || byte == 0x7f
                || (index == 0 && byte == UInt8(ascii: "."))
            if mustEncode {
                let hex = String(byte, radix: 16, uppercase: true)
                bytes += Array(("%" + (hex.count == 1 ? "0" : "") + hex).utf8)
            } else {
                bytes.append(byte)
            }
        }
        let result = String(decoding: bytes, as: UTF8.self)
        return result.isEmpty ? "%00" : result
    }
}
