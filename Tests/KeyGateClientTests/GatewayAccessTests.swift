import KeyGateSystem
import Glibc
@testable import KeyGateClient
import KeyGateSockets
import KeyGateTestSupport
import Testing

/// The FTP gateway's owner check on real loopback connections, against
/// the kernel's socket table and against tables that name other owners.
@Suite struct GatewayAccessTests {
    /// A connection accepted on 127.0.0.1, with its client end.
    struct Connection {
        let listener: TCPListener
        let client: TCPConnection
        let accepted: TCPConnection

        static func open() async throws -> Connection {
            let listener = try TCPListener.bind(to: try SocketAddress(host: "127.0.0.1", port: 0))
            let client = try await TCPConnection.connect(to: listener.localAddress, deadline: .after(.seconds(10)))
            return Connection(listener: listener, client: client, accepted: try await listener.accept(deadline: .after(.seconds(10))))
        }

        func close() async {
            await client.close()
            await accepted.close()
            await listener.close()
        }
    }

    /// `ADDRESS:PORT` of an IPv4 endpoint as a little-endian machine prints it.
    static func tableText(_ address: SocketAddress) -> String {
        let octets = address.host.split(separator: ".").map { UInt8($0)! }
        let word = octets.reversed().map { String($0, radix: 16, uppercase: true).leftPadded(to: 2) }.joined()
        return word + ":" + String(address.port, radix: 16, uppercase: true).leftPadded(to: 4)
    }

    /// A table whose only row is the client end of `connection`, owned by `uid`.
    static func table(for connection: Connection, uid: UInt32, inode: UInt64 = 4711) throws -> (SocketTable, TemporaryDirectory) {
        let directory = TemporaryDirectory("keygate-access")
        let row = "   0: \(tableText(connection.accepted.remoteAddress)) \(tableText(connection.accepted.localAddress)) 01 "
            + "00000000:00000000 00:00000000 00000000 \(uid) 0 \(inode) 1 0000000000000000 20 4 30 10 -1\n"
        try writeFile(directory.appending("tcp"), Array(("  sl  local_address rem_address   st\n" + row).utf8))
        return (SocketTable(directory: directory.path, littleEndianWords: true), directory)
    }

    /// A uid that is neither this process's nor root's.
    static let otherUID: UInt32 = geteuid() == 4242 ? 4243 : 4242

    @Test func theOwnersOwnConnectionIsAdmitted() async throws {
        let connection = try await Connection.open()
        let access = GatewayAccess(socketTable: SocketTable(), password: nil)
        let verdict = await access.check(connection.accepted)
        #expect(verdict == .admitted(uid: geteuid()))
        #expect(access.refusal(for: verdict) == nil)
        await connection.close()
    }

    @Test func aConnectionOfAnotherUserIsRefusedWith530() async throws {
        let connection = try await Connection.open()
        let (table, directory) = try Self.table(for: connection, uid: Self.otherUID)
        defer { directory.remove() }
        let access = GatewayAccess(ownerUID: geteuid(), socketTable: table, password: nil)
        let verdict = await access.check(connection.accepted)
        #expect(verdict == .stranger(uid: Self.otherUID))
        let refusal = try #require(access.refusal(for: verdict))
        #expect(refusal.description
                == "530 This gateway serves only its owner (uid \(geteuid())); connection from uid \(Self.otherUID) refused")
        await connection.close()
    }

    @Test func rootIsAdmitted() async throws {
        let connection = try await Connection.open()
        let (table, directory) = try Self.table(for: connection, uid: 0)
        defer { directory.remove() }
        let access = GatewayAccess(ownerUID: Self.otherUID, socketTable: table, password: nil)
        #expect(await access.check(connection.accepted) == .admitted(uid: 0))
        await connection.close()
    }

    @Test func aClientEndNoProcessHoldsIsRefused() async throws {
        let connection = try await Connection.open()
        // A closed socket is printed with uid 0 and inode 0: not root's.
        let (table, directory) = try Self.table(for: connection, uid: 0, inode: 0)
        defer { directory.remove() }
        let access = GatewayAccess(ownerUID: geteuid(), socketTable: table, password: nil)
        let verdict = await access.check(connection.accepted)
        guard case .unidentified = verdict else {
            Issue.record("\(verdict)")
            return
        }
        #expect(access.refusal(for: verdict)?.code == .notLoggedIn)
        await connection.close()
    }

    @Test func anUnreadableTableRefusesEveryone() async throws {
        let connection = try await Connection.open()
        let access = GatewayAccess(socketTable: SocketTable(directory: "/nonexistent-keygate"), password: nil)
        let verdict = await access.check(connection.accepted)
        #expect(verdict == .unidentified(reason: "cannot read /nonexistent-keygate/tcp: No such file or directory"))
        await connection.close()
    }

    @Test func withoutATableThePasswordDecides() async throws {
        let connection = try await Connection.open()
        let access = GatewayAccess(socketTable: nil, password: GatewayPassword(Array("secret".utf8)))
        #expect(await access.check(connection.accepted) == .admitted(uid: nil))
        await connection.close()
    }
}

private extension String {
    func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
