import KeyGateSystem
import Glibc
@testable import KeyGateClient
import KeyGateSockets
import KeyGateTestSupport
import Testing

/// The socket table the FTP gateway reads to learn who connects:
/// /proc/net/tcp and tcp6 as fixed text and as the kernel shows them.
@Suite struct SocketTableTests {
    /// /proc/net/tcp of a little-endian machine (x86-64, arm64): a listener
    /// on 127.0.0.1:2121 (0x0849) of uid 1000; a connection to it from port
    /// 41712 (0xA2F0) of uid 65534, with the gateway's accepted end (uid
    /// 1000, the endpoints reversed); a closed client end in TIME_WAIT,
    /// printed with uid 0 and inode 0 as Linux's get_timewait4_sock does.
    static let tcp = """
          sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
           0: 0100007F:0849 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 23456 1 0000000000000000 100 0 0 10 0
           1: 0100007F:A2F0 0100007F:0849 01 00000000:00000000 00:00000000 00000000 65534        0 34567 1 0000000000000000 20 4 30 10 -1
           2: 0100007F:0849 0100007F:A2F0 01 00000000:00000000 00:00000000 00000000  1000        0 34568 1 0000000000000000 20 4 29 10 -1
           3: 0100007F:A2F2 0100007F:0849 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000
        """

    /// /proc/net/tcp6 of the same machine: a listener on [::1]:2121, a
    /// client from [::1]:45056 (0xB000) of uid 1001, and an IPv6 socket of
    /// uid 1002 connected to ::ffff:127.0.0.1:2121 from port 49152 (0xC000),
    /// which the IPv4 listener above sees as 127.0.0.1:49152.
    static let tcp6 = """
          sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
           0: 00000000000000000000000001000000:0849 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 45678 1 0000000000000000 100 0 0 10 0
           1: 00000000000000000000000001000000:B000 00000000000000000000000001000000:0849 01 00000000:00000000 00:00000000 00000000  1001        0 45679 1 0000000000000000 20 4 30 10 -1
           2: 0000000000000000FFFF00000100007F:C000 0000000000000000FFFF00000100007F:0849 01 00000000:00000000 00:00000000 00000000  1002        0 45680 1 0000000000000000 20 4 30 10 -1
        """

    static func endpoint(_ host: String, _ port: UInt16) throws -> SocketTable.Endpoint {
        try #require(SocketTable.Endpoint(try SocketAddress(host: host, port: port)))
    }

    /// A folder holding `files` (name: text), as a stand-in for /proc/net.
    static func fixtureTable(_ files: [String: String]) throws -> (SocketTable, TemporaryDirectory) {
        let directory = TemporaryDirectory("keygate-socket-table")
        for (name, text) in files {
            try writeFile(directory.appending(name), Array(text.utf8))
        }
        return (SocketTable(directory: directory.path, littleEndianWords: true), directory)
    }

    @Test func ipv4RowsAreReadAsALittleEndianMachinePrintsThem() throws {
        let rows = SocketTable.rows(in: Array(Self.tcp.utf8), littleEndianWords: true)
        #expect(rows.count == 4)
        #expect(rows[0] == SocketTable.Row(
            local: try Self.endpoint("127.0.0.1", 2121), remote: try Self.endpoint("0.0.0.0", 0),
            state: SocketTable.listenState, uid: 1000, inode: 23456))
        #expect(rows[1].local == (try Self.endpoint("127.0.0.1", 41712)))
        #expect(rows[1].remote == (try Self.endpoint("127.0.0.1", 2121)))
        #expect(rows[1].uid == 65534 && rows[1].state == 1 && rows[1].isHeld)
        #expect(rows[3].state == 6 && rows[3].uid == 0 && !rows[3].isHeld)
    }

    @Test func addressWordsAreInTheByteOrderOfTheMachineThatPrintedThem() throws {
        let littleEndian = try #require(SocketTable.Endpoint(tableText: "0100007F:0849", littleEndianWords: true))
        let bigEndian = try #require(SocketTable.Endpoint(tableText: "0100007F:0849", littleEndianWords: false))
        #expect(littleEndian == (try Self.endpoint("127.0.0.1", 2121)))
        #expect(bigEndian == (try Self.endpoint("1.0.0.127", 2121)))
        let loopback6 = try #require(SocketTable.Endpoint(
            tableText: "00000000000000000000000001000000:0015", littleEndianWords: true))
        #expect(loopback6 == (try Self.endpoint("::1", 21)))
        let bigEndian6 = try #require(SocketTable.Endpoint(
            tableText: "00000000000000000000000000000001:0015", littleEndianWords: false))
        #expect(bigEndian6 == (try Self.endpoint("::1", 21)))
    }

    @Test func ipv6AndIPv4MappedRows() throws {
        let rows = SocketTable.rows(in: Array(Self.tcp6.utf8), littleEndianWords: true)
        #expect(rows.count == 3)
        #expect(rows[0].local == (try Self.endpoint("::1", 2121)) && rows[0].state == SocketTable.listenState)
        #expect(rows[1].local == (try Self.endpoint("::1", 45056)) && rows[1].uid == 1001)
        // IPv4-mapped: equal to the plain IPv4 endpoint, as the IPv4 side sees it.
        #expect(rows[2].local == (try Self.endpoint("::ffff:127.0.0.1", 49152)))
        #expect(rows[2].local == (try Self.endpoint("127.0.0.1", 49152)))
        #expect(rows[2].remote == (try Self.endpoint("127.0.0.1", 2121)))
        #expect(rows[2].local.description == "127.0.0.1:49152")
        #expect(rows[1].local.description == "[::1]:45056")
    }

    @Test func linesThatAreNotRowsAreSkipped() {
        let text = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 0100007F:0849 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 23456
               1: 0100007:0849 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 23456
               2: 0100007F:0849 00000000:0000 0A 00000000:00000000 00:00000000 00000000  -1        0 23456
               3: 0100007F:0849 00000000:0000 0A
            garbage
            """
        let rows = SocketTable.rows(in: Array(text.utf8), littleEndianWords: true)
        #expect(rows.count == 1)
        #expect(rows.first?.inode == 23456)
    }

    @Test func theOwnerIsTheClientEndNotTheGatewaysAcceptedEnd() throws {
        let (table, directory) = try Self.fixtureTable(["tcp": Self.tcp, "tcp6": Self.tcp6])
        defer { directory.remove() }
        let gateway = try SocketAddress(host: "127.0.0.1", port: 2121)
        let stranger = try SocketAddress(host: "127.0.0.1", port: 41712)
        #expect(try table.owner(of: stranger, connectedTo: gateway) == 65534)
        // The IPv4 connection from an IPv6 socket is found in tcp6.
        #expect(try table.owner(of: try SocketAddress(host: "127.0.0.1", port: 49152), connectedTo: gateway) == 1002)
        let gateway6 = try SocketAddress(host: "::1", port: 2121)
        #expect(try table.owner(of: try SocketAddress(host: "::1", port: 45056), connectedTo: gateway6) == 1001)
        // A port nobody holds, and a wrong gateway end.
        #expect(try table.owner(of: try SocketAddress(host: "127.0.0.1", port: 5), connectedTo: gateway) == nil)
        #expect(try table.owner(of: stranger, connectedTo: gateway.withPort(2122)) == nil)
    }

    @Test func aSocketInTimeWaitDoesNotPassForRoot() throws {
        let (table, directory) = try Self.fixtureTable(["tcp": Self.tcp])
        defer { directory.remove() }
        let closed = try SocketAddress(host: "127.0.0.1", port: 41714)
        #expect(try table.owner(of: closed, connectedTo: try SocketAddress(host: "127.0.0.1", port: 2121)) == nil)
    }

    @Test func aMissingIPv6TableIsNoErrorButAMissingIPv4TableIs() throws {
        let (table, directory) = try Self.fixtureTable(["tcp": Self.tcp])
        defer { directory.remove() }
        let gateway = try SocketAddress(host: "127.0.0.1", port: 2121)
        #expect(try table.owner(of: try SocketAddress(host: "127.0.0.1", port: 49152), connectedTo: gateway) == nil)
        let (empty, emptyDirectory) = try Self.fixtureTable([:])
        defer { emptyDirectory.remove() }
        #expect(throws: SocketTable.ReadError.unreadable(path: empty.ipv4Path, errno: ENOENT)) {
            try empty.owner(of: gateway.withPort(41712), connectedTo: gateway)
        }
    }

    @Test func verifyWantsTheListenerShownWithTheGatewaysUID() throws {
        let (table, directory) = try Self.fixtureTable(["tcp": Self.tcp, "tcp6": Self.tcp6])
        defer { directory.remove() }
        let listener = try SocketAddress(host: "127.0.0.1", port: 2121)
        try table.verify(listener: listener, uid: 1000)
        try table.verify(listener: try SocketAddress(host: "::1", port: 2121), uid: 1000)
        #expect(throws: SocketTable.ReadError.listenerNotShown(listener: "127.0.0.1:2121", path: table.ipv4Path)) {
            try table.verify(listener: listener, uid: 1001)
        }
        // A connected socket on the port is not a listener.
        let client6 = try SocketAddress(host: "::1", port: 45056)
        #expect(throws: SocketTable.ReadError.listenerNotShown(listener: "[::1]:45056", path: table.ipv6Path)) {
            try table.verify(listener: client6, uid: 1001)
        }
        #expect(throws: SocketTable.ReadError.ambiguousUID(uid: SocketTable.overflowUID())) {
            try table.verify(listener: listener, uid: SocketTable.overflowUID())
        }
    }

    // MARK: The kernel's table

    /// A connection to a listener on `listenHost` from a socket connected
    /// to `connectHost`; the lookup of its client end in /proc/net.
    static func ownerInTheRealTable(listenHost: String, connectHost: String) async throws -> UInt32? {
        let listener = try TCPListener.bind(to: try SocketAddress(host: listenHost, port: 0))
        let client = try await TCPConnection.connect(
            to: try SocketAddress(host: connectHost, port: listener.localAddress.port), deadline: .after(.seconds(10)))
        let accepted = try await listener.accept(deadline: .after(.seconds(10)))
        let table = SocketTable()
        let peer = accepted.remoteAddress, local = accepted.localAddress
        let owner = try await onFileThread { try table.owner(of: peer, connectedTo: local) }
        try await onFileThread { try table.verify(listener: listener.localAddress, uid: geteuid()) }
        await client.close()
        await accepted.close()
        await listener.close()
        return owner
    }

    @Test func theKernelsTableNamesThisProcessForItsIPv4Connection() async throws {
        #expect(try await Self.ownerInTheRealTable(listenHost: "127.0.0.1", connectHost: "127.0.0.1") == geteuid())
    }

    @Test func theKernelsTableNamesThisProcessForItsIPv6Connection() async throws {
        #expect(try await Self.ownerInTheRealTable(listenHost: "::1", connectHost: "::1") == geteuid())
    }

    @Test func theKernelsTableNamesThisProcessForAnIPv6SocketConnectedToAnIPv4MappedAddress() async throws {
        #expect(try await Self.ownerInTheRealTable(listenHost: "127.0.0.1", connectHost: "::ffff:127.0.0.1") == geteuid())
    }
}
