import KeyGateSystem
import Testing

@testable import KeyGateSockets

/// A deadline for every wait in the tests: long enough for a loaded
/// two-core machine, short enough that a lost wakeup fails instead of
/// hanging the suite.
let testTimeout = Duration.seconds(30)

/// 127.0.0.1 with port 0: an ephemeral port.
func loopback(port: UInt16 = 0) throws -> SocketAddress {
    try SocketAddress(host: "127.0.0.1", port: port)
}

/// A listener on 127.0.0.1 and a connection to it, from both ends.
struct ConnectedPair {
    let listener: TCPListener
    let client: TCPConnection
    let server: TCPConnection

    init(on address: SocketAddress? = nil) async throws {
        let listener = try TCPListener.bind(to: address ?? loopback())
        async let accepted = listener.accept(deadline: .after(testTimeout))
        client = try await TCPConnection.connect(to: listener.localAddress, deadline: .after(testTimeout))
        server = try await accepted
        self.listener = listener
    }

    func close() async {
        await client.close()
        await server.close()
        await listener.close()
    }
}

/// Polls `condition`, yielding between tries, until it holds or `limit`
/// passes. For states with no event to await, such as "the read is now
/// suspended".
func eventually(within limit: Duration = .seconds(10), _ condition: () async -> Bool) async -> Bool {
    let clock = ContinuousClock()
    let end = clock.now + limit
    while clock.now < end {
        if await condition() { return true }
        await Task.yield()
    }
    return await condition()
}

/// Echoes every byte on `connection` until the peer closes it.
func echo(_ connection: TCPConnection) async throws {
    while let bytes = try await connection.read(deadline: .after(testTimeout)) {
        try await connection.write(bytes, deadline: .after(testTimeout))
    }
    await connection.close()
}

extension TCPConnection {
    /// Whether a task is suspended in a read (or write) of this connection.
    func isWaiting(for direction: Registration.Direction) -> Bool {
        socket.registration.isWaiting(for: direction)
    }
}

extension TCPListener {
    /// Whether a task is suspended in `accept`.
    var isWaitingToAccept: Bool {
        socket.registration.isWaiting(for: .read)
    }
}
