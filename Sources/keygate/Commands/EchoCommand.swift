import KeyGateSystem
import KeyGateClient
import Glibc
import KeyGateSockets

/// `keygate echo`: a plain TCP echo server, to test the network path and
/// the event loop without the handshake in the way.
struct EchoCommand: Command {
    static let defaultAddress = "127.0.0.1:7790"
    static let defaultPort: UInt16 = 7790
    /// Pause after accept fails for lack of descriptors, before trying again.
    static let descriptorExhaustionPause = Duration.milliseconds(100)

    let spec = CommandSpec(
        name: "echo",
        summary: "Run a plain TCP echo server (a diagnostic for the network path and the event loop).",
        usage: "[--listen HOST:PORT]",
        options: [
            .init("listen", value: "HOST:PORT", help: "Address to listen on (default \(EchoCommand.defaultAddress); port 0 picks a free port)."),
        ],
        discussion: """
            Sends back every byte it receives, on any number of connections at
            once, until each client closes. There is no handshake and no
            encryption: use it to check that a port is reachable through
            firewalls and NAT (connect with 'nc HOST PORT', type a line, see it
            back), and to load the socket layer alone (the script
            Benchmarks/idle-connections.py measures its memory per idle
            connection).
            It prints the address it listens on, raises its open-file limit to
            the hard limit, and runs until interrupted (Ctrl-C).
            """
    )

    func run(_ arguments: ParsedArguments) async throws -> ExitStatus {
        let text = arguments.value("listen") ?? Self.defaultAddress
        let address: SocketAddress
        do {
            address = try SocketAddress(parsing: text, defaultPort: Self.defaultPort)
        } catch {
            throw UsageError("--listen: \(error)")
        }
        raiseDescriptorLimit()
        let listener = try TCPListener.bind(to: address)
        Console.shared.out("keygate echo: listening on \(listener.localAddress)")
        fflush(nil)  // all streams: scripts wait for this line on a pipe
        try await withThrowingDiscardingTaskGroup { group in
            while true {
                let connection: TCPConnection
                do {
                    connection = try await listener.accept()
                } catch let error as SystemError where error.errno == EMFILE || error.errno == ENFILE {
                    // The connection stays queued; try again once some close.
                    Console.shared.err("keygate echo: \(error)")
                    try await Task.sleep(for: Self.descriptorExhaustionPause)
                    continue
                }
                group.addTask {
                    await Self.echo(connection)
                }
            }
        }
        return .success
    }

    /// Echoes until the peer closes or the connection fails.
    private static func echo(_ connection: TCPConnection) async {
        do {
            while let bytes = try await connection.read() {
                try await connection.write(bytes)
            }
        } catch {
            Console.shared.err("keygate echo: \(connection.remoteAddress): \(error)")
        }
        await connection.close()
    }

    /// An echo server may hold thousands of connections: use the hard limit.
    private func raiseDescriptorLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}
