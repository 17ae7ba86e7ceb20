import KeyGateSystem
import KeyGateChannel
import KeyGateClient
import KeyGateKeys
import KeyGateServer

extension CommandSpec.Option {
    static let serverKey = CommandSpec.Option(
        "server-key", value: "PUBFILE",
        help: "Pin the server's public key and use the IK handshake (otherwise XX, trusting the key on first use).")
    static let clientName = CommandSpec.Option(
        "name", value: "NAME", help: "Client identity: DIR/NAME.key (default client; created if missing).")
    static let traceHandshake = CommandSpec.Option(
        "trace-handshake", value: "explain", optionalValue: true,
        help: "Print each handshake message token by token (public values only); =explain also says what each "
            + "token does to the Noise state and the payload's security grades (Noise 7.7).")
    static let traceFile = CommandSpec.Option(
        "trace-file", value: "FILE",
        help: "Append each handshake message, token, grant and data-port move to FILE as JSON lines (mode 0600), "
            + "for 'keygate trace FILE --html OUT.html'.")
    static let acceptNewHostKey = CommandSpec.Option(
        "accept-new-host-key",
        help: "Trust a known server's key of an algorithm not seen with it before (never a changed key of a known one).")
    static var timeout: CommandSpec.Option { TypedOption.clientTimeout.option }
    static let invite = CommandSpec.Option(
        "invite", value: "TOKEN",
        help: "Redeem an invite from the server's operator ('keygate invite') first: the server adds this client's key "
            + "(created if missing) to its allow-list, then the session starts as usual.")
}

extension TypedOption where Value == Duration {
    /// `--timeout` of the client commands: parser, default and help in one.
    static let clientTimeout = TypedOption.seconds(
        "timeout", help: "Limit for connecting and for each protocol step", default: Timeouts.clientStep)
}

extension ParsedArguments {
    /// The client options shared by `chat`, `ftp`, `ftp-proxy` and `bench`.
    func gateClientOptions(server: HostAndPort, service: String, log: Log) throws -> GateClientOptions {
        var algorithm = try keyAlgorithm()
        var pinned: PublicKey?
        if let path = value("server-key") {
            let (key, _) = try KeyStore.loadPublicKey(path: path)
            if value("dh") == nil {
                algorithm = key.algorithm
            } else if key.algorithm != algorithm {
                throw UsageError("--server-key \(path) is an \(key.algorithm) key but --dh is \(algorithm)")
            }
            pinned = key
        }
        let name = value("name") ?? "client"
        var options = GateClientOptions(
            host: server.host, port: server.port, keys: KeyStore(directory: keysDirectory()), identityName: name,
            algorithm: algorithm, pinnedServerKey: pinned, service: service,
            timeout: try TypedOption.clientTimeout.value(in: self), log: log)
        options.acceptNewHostKeyAlgorithm = flag("accept-new-host-key")
        options.keyLog = try labKeyLog()
        options.labFixedEphemeral = try labFixedEphemeral()
        if flag("trace-handshake") {
            options.trace = { Console.shared.err($0) }
            options.traceDetail = try traceDetail()
        }
        return options
    }

    /// With `--invite TOKEN`, redeems the invite before the session's own
    /// connection (said on standard error); without it, nothing.
    func redeemInvite(_ options: GateClientOptions) async throws(ClientError) {
        guard let token = value("invite") else { return }
        let name = try await GateClient.enroll(options, token: token)
        Console.shared.err("enrolled on \(options.host):\(options.port) as \(name)")
    }

    /// `--trace-handshake` alone or `--trace-handshake=explain`.
    func traceDetail() throws(UsageError) -> HandshakeTraceDetail {
        guard let text = value("trace-handshake") else { return .tokens }
        guard let detail = HandshakeTraceDetail(rawValue: text), detail == .explained else {
            throw UsageError("--trace-handshake takes no value or =explain, got '\(text)'")
        }
        return detail
    }

    /// The file of `--trace-file`, opened for appending, or nil.
    /// - Throws: `TraceFileError` when it cannot be opened.
    func openTraceFile(log: Log) async throws -> HandshakeTraceFile? {
        guard let path = value("trace-file") else { return nil }
        return try await HandshakeTraceFile.open(path: path, log: log)
    }
}
