import KeyGateSystem
import KeyGateChannel
import KeyGateClient
import KeyGateSockets

/// `keygate probe`: is anything listening? For health checks; needs no key.
struct ProbeCommand: Command {
    let spec = CommandSpec(
        name: "probe",
        summary: "Check that a TCP port accepts connections (exit 0) or not (exit 1). Needs no key.",
        usage: "HOST[:PORT] [--timeout SECONDS]",
        options: [Self.timeout.option],
        discussion: "Made for container health checks: keygate probe 127.0.0.1:7700"
    )

    /// Shorter than a client's: a health check should answer quickly.
    static let timeout = TypedOption.seconds("timeout", help: "Limit for connecting", default: .seconds(3))

    func run(_ arguments: ParsedArguments) async throws -> ExitStatus {
        let target = try HostAndPort(parsing: try arguments.singlePositional("HOST[:PORT]", command: spec.name),
                                     defaultPort: KeyGateWire.defaultControlPort)
        let timeout = try Self.timeout.value(in: arguments)
        do {
            let addresses = try await SocketAddress.resolve(host: target.host, port: target.port)
            let connection = try await TCPConnection.connect(to: addresses[0], deadline: .after(timeout))
            await connection.close()
            Console.shared.out("\(target) is accepting connections")
            return .success
        } catch {
            Console.shared.err("keygate probe: \(error)")
            return .failure
        }
    }
}
