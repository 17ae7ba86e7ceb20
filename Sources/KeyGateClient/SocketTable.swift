import KeyGateSystem
import Glibc
import KeyGateSockets

/// The kernel's table of TCP sockets as Linux prints it in `/proc/net/tcp`
/// and `/proc/net/tcp6`: for each socket its two endpoints, its state, the
/// uid of the user who created it and its inode.
///
/// The FTP gateway reads it to learn who is at the other end of a loopback
/// connection: the client's socket is the row whose local endpoint is the
/// connection's remote one and whose remote endpoint is the gateway's.
///
/// Reading it is a blocking read(2) (from memory, but it can be long on a
/// busy machine): async callers run `owner(of:connectedTo:)` and
/// `verify(listener:uid:)` on a `BlockingLane`.
public struct SocketTable: Sendable {
    /// Where Linux shows the table of the process's network namespace.
    public static let procNet = "/proc/net"
    /// The largest table read (about 400,000 sockets).
    static let maximumByteCount = 64 << 20

    /// The folder holding `tcp` and `tcp6`.
    public let directory: String
    /// Whether the address words are printed as a little-endian machine
    /// prints them: this machine's order, except for fixtures.
    let littleEndianWords: Bool

    /// The table in `directory`: `/proc/net`, or a folder standing in for it.
    public init(directory: String = SocketTable.procNet) {
        self.init(directory: directory, littleEndianWords: Self.hostIsLittleEndian)
    }

    init(directory: String, littleEndianWords: Bool) {
        self.directory = directory
        self.littleEndianWords = littleEndianWords
    }

    /// The IPv4 table, which must be there.
    public var ipv4Path: String { directory + "/tcp" }
    /// The IPv6 table, missing on a kernel without IPv6.
    public var ipv6Path: String { directory + "/tcp6" }

    /// Why the table cannot tell who owns a socket.
    public enum ReadError: Error, Equatable, CustomStringConvertible {
        /// open or read of `path` failed with `errno`.
        case unreadable(path: String, errno: Int32)
        /// `path` is larger than `maximumByteCount`.
        case tooLarge(path: String)
        /// The table does not show the gateway's own listening socket
        /// with its uid: it is not the kernel's table, or not this
        /// namespace's, or it shows uids that cannot be trusted.
        case listenerNotShown(listener: String, path: String)
        /// `uid` is the kernel's overflow uid, which the table also shows
        /// for every user it cannot map into this user namespace.
        case ambiguousUID(uid: UInt32)

        public var description: String {
            switch self {
            case let .unreadable(path, code):
                return "cannot read \(path): \(String(cString: strerror(code)))"
            case let .tooLarge(path):
                return "\(path) is larger than \(SocketTable.maximumByteCount >> 20) MiB"
            case let .listenerNotShown(listener, path):
                return "\(path) does not show the gateway's own listening socket \(listener), so it cannot be trusted to name users"
            case let .ambiguousUID(uid):
                return "this user (uid \(uid)) is the kernel's overflow uid, which the socket table also shows for users "
                    + "outside this user namespace, so it cannot tell them apart"
            }
        }
    }

    /// TCP_LISTEN in the `st` column.
    static let listenState: UInt8 = 0x0A

    /// A socket's address and port; IPv4 addresses are kept IPv4-mapped
    /// (`::ffff:a.b.c.d`), so that an IPv6 socket connected to an IPv4
    /// address (a row of `tcp6`) and the IPv4 side of the same connection
    /// (in `tcp`) compare equal.
    struct Endpoint: Hashable, Sendable, CustomStringConvertible {
        /// The 16 bytes of the IPv6 (or IPv4-mapped) address, network order.
        let address: [UInt8]
        let port: UInt16

        init(address: [UInt8], port: UInt16) {
            precondition(address.count == 16 || address.count == 4)
            self.address = address.count == 4 ? Self.mappedPrefix + address : address
            self.port = port
        }

        /// The endpoint of a socket address; nil if its host is not numeric.
        init?(_ socketAddress: SocketAddress) {
            var bytes = [UInt8](repeating: 0, count: 16)
            let host = socketAddress.host
            let family = socketAddress.isIPv6 ? AF_INET6 : AF_INET
            guard bytes.withUnsafeMutableBytes({ inet_pton(family, host, $0.baseAddress) }) == 1 else { return nil }
            self.init(address: socketAddress.isIPv6 ? bytes : Array(bytes[0..<4]), port: socketAddress.port)
        }

        /// `ADDRESS:PORT` as the table prints it: the address as 32-bit
        /// words, each printed `%08X` from its bytes in memory, so on a
        /// little-endian machine 127.0.0.1 is `0100007F` and ::1 is
        /// `00000000000000000000000001000000`; the port `%04X` in host order.
        init?(tableText: Substring, littleEndianWords: Bool) {
            guard let colon = tableText.firstIndex(of: ":"),
                  let port = UInt16(tableText[tableText.index(after: colon)...], radix: 16)
            else { return nil }
            let hex = tableText[..<colon]
            guard hex.count == 8 || hex.count == 32 else { return nil }
            var bytes: [UInt8] = []
            var start = hex.startIndex
            while start < hex.endIndex {
                let end = hex.index(start, offsetBy: 8)
                guard let word = UInt32(hex[start..<end], radix: 16) else { return nil }
                // The word's bytes as they were in memory, in network order.
                let shifts: [UInt32] = littleEndianWords ? [0, 8, 16, 24] : [24, 16, 8, 0]
                bytes += shifts.map { UInt8(truncatingIfNeeded: word >> $0) }
                start = end
            }
            self.init(address: bytes, port: port)
        }

        static let mappedPrefix: [UInt8] = Array(repeating: 0, count: 10) + [0xff, 0xff]

        var isIPv4: Bool { address.starts(with: Self.mappedPrefix) }

        var description: String {
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            let family = isIPv4 ? AF_INET : AF_INET6
            let raw = isIPv4 ? Array(address[12...]) : address
            _ = raw.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &text, socklen_t(text.count)) }
            let host = text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            return isIPv4 ? "\(host):\(port)" : "[\(host)]:\(port)"
        }
    }

    /// One row of the table.
    struct Row: Equatable, Sendable {
        let local: Endpoint
        let remote: Endpoint
        /// The TCP state (`st`): 01 established, 0A listen, 06 time-wait...
        let state: UInt8
        let uid: UInt32
        let inode: UInt64

        /// Whether a process still holds the socket. A socket in TIME_WAIT
        /// (or one its process closed while it was still sending) is
        /// printed with uid 0 and inode 0: it belongs to nobody, and must
        /// not pass for root's.
        var isHeld: Bool { inode != 0 }
    }

    /// Whether this machine stores integers little-endian, as the table's
    /// address words are printed from memory.
    static let hostIsLittleEndian = UInt32(1).littleEndian == 1

    /// The rows of one table file's text; the header and lines that are
    /// not rows are skipped.
    ///
    /// Columns (`sl local_address rem_address st tx_queue:rx_queue tr:when
    /// retrnsmt uid timeout inode ...`), as in Linux's `tcp4_seq_show`.
    static func rows(in text: [UInt8], littleEndianWords: Bool) -> [Row] {
        String(decoding: text, as: UTF8.self).split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 10, fields[0].hasSuffix(":"),
                  let local = Endpoint(tableText: fields[1], littleEndianWords: littleEndianWords),
                  let remote = Endpoint(tableText: fields[2], littleEndianWords: littleEndianWords),
                  let state = UInt8(fields[3], radix: 16),
                  let uid = UInt32(fields[7]),
                  let inode = UInt64(fields[9])
            else { return nil }
            return Row(local: local, remote: remote, state: state, uid: uid, inode: inode)
        }
    }

    /// The uid of the held socket whose local endpoint is `peer` and whose
    /// remote endpoint is `local`: the owner of the client end of a
    /// connection accepted at `local` from `peer`. Nil when the table has
    /// no such socket held by a process (the client has closed it already,
    /// or it is in another network namespace). Blocking.
    /// - Throws: `ReadError.unreadable` or `.tooLarge`.
    func owner(of peer: SocketAddress, connectedTo local: SocketAddress) throws(ReadError) -> UInt32? {
        guard let peerEndpoint = Endpoint(peer), let localEndpoint = Endpoint(local) else { return nil }
        // An IPv4 connection is in `tcp`, unless the client's socket is an
        // IPv6 one connected to an IPv4-mapped address: then in `tcp6`.
        var paths = [ipv6Path]
        if peerEndpoint.isIPv4 { paths.insert(ipv4Path, at: 0) }
        for (index, path) in paths.enumerated() {
            guard let text = try Self.read(path, required: index == 0) else { continue }
            let match = Self.rows(in: text, littleEndianWords: littleEndianWords).first { row in
                row.isHeld && row.local == peerEndpoint && row.remote == localEndpoint
            }
            if let match { return match.uid }
        }
        return nil
    }

    /// Checks that the table can be trusted to name the owners of
    /// connections to `listener`: it is readable, it shows `listener`
    /// listening with `uid`, and `uid` is not the overflow uid. Blocking.
    /// - Throws: `ReadError`.
    func verify(listener: SocketAddress, uid: UInt32) throws(ReadError) {
        if uid == Self.overflowUID() { throw .ambiguousUID(uid: uid) }
        let path = listener.isIPv6 ? ipv6Path : ipv4Path
        let text = try Self.read(path, required: true) ?? []
        let rows = Self.rows(in: text, littleEndianWords: littleEndianWords)
        guard let endpoint = Endpoint(listener), rows.contains(where: { row in
            row.local == endpoint && row.state == Self.listenState && row.uid == uid && row.isHeld
        }) else {
            throw .listenerNotShown(listener: listener.description, path: path)
        }
    }

    /// The uid the kernel shows for users it cannot map into this user
    /// namespace (`/proc/sys/kernel/overflowuid`, 65534 unless changed).
    static func overflowUID() -> UInt32 {
        let text = (try? read("/proc/sys/kernel/overflowuid", required: false)) ?? nil
        return text.flatMap { UInt32(String(decoding: $0, as: UTF8.self).filter(\.isNumber)) } ?? 65534
    }

    /// The bytes of `path`; nil when it does not exist and is not `required`.
    /// procfs files report a size of 0, so this reads to the end.
    static func read(_ path: String, required: Bool) throws(ReadError) -> [UInt8]? {
        let descriptor: Int32
        do {
            descriptor = try SystemCall.runNow({ open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK) }, failure: Errno.init)
        } catch {
            if error.code == ENOENT && !required { return nil }
            throw .unreadable(path: path, errno: error.code)
        }
        defer { _ = close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = try SystemCall.runNow({ buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) } }) {
                ReadError.unreadable(path: path, errno: $0)
            }
            if count == 0 { return bytes }
            bytes += buffer[..<count]
            guard bytes.count <= maximumByteCount else { throw .tooLarge(path: path) }
        }
    }
}
