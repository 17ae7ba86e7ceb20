import KeyGateSystem
import KeyGateChannel
import KeyGateClient
import KeyGateKeys
import KeyGateServer
import KeyGateSockets

/// A real server on 127.0.0.1 (an ephemeral control port) with its own key
/// folder, for integration tests.
public final class TestServer: Sendable {
    public let directory: TemporaryDirectory
    public let server: GateServer
    public let log: Log
    public let keys: KeyStore
    public let authorizedKeys: AuthorizedKeys
    public let identities: [Identity]
    private let runTask: Task<Void, Never>

    /// The data port range used by test servers (random ports, shared safely).
    public static let dataPorts: ClosedRange<UInt16> = 21000...21999

    private init(directory: TemporaryDirectory, server: GateServer, log: Log, keys: KeyStore,
                 authorizedKeys: AuthorizedKeys, identities: [Identity]) {
        self.directory = directory
        self.server = server
        self.log = log
        self.keys = keys
        self.authorizedKeys = authorizedKeys
        self.identities = identities
        runTask = Task { await server.run() }
    }

    /// Starts a server offering `services`.
    public static func start(
        services: [any GateService], directory: TemporaryDirectory = TemporaryDirectory(), logFormat: Log.Format = .text,
        configure: (inout ServerConfiguration) -> Void = { _ in }
    ) async throws -> TestServer {
        var configuration = ServerConfiguration(
            listenAddress: try SocketAddress(host: "127.0.0.1", port: 0), dataPorts: dataPorts)
        configure(&configuration)
        let keys = KeyStore(directory: directory.appending("server-keys"))
        let authorizedKeys = AuthorizedKeys(path: keys.authorizedKeysPath)
        // Key files are fsynced: off the cooperative threads, so a slow
        // disk never holds them up.
        let identities = try await onFileThread { [configuration] in
            let identities = try configuration.loadOrCreateIdentities(in: keys, name: "server").map(\.identity)
            _ = try authorizedKeys.createIfMissing()
            return identities
        }
        let log = Log(level: .debug, destination: .memory, format: logFormat)
        let server = try await GateServer.start(
            configuration: configuration, identities: identities, authorizedKeys: authorizedKeys,
            services: services, log: log)
        return TestServer(directory: directory, server: server, log: log, keys: keys,
                          authorizedKeys: authorizedKeys, identities: identities)
    }

    public var port: UInt16 { server.controlAddress.port }

    /// The server's public key for `algorithm`.
    public func publicKey(_ algorithm: KeyAlgorithm = .x25519) -> PublicKey {
        identities.first { $0.algorithm == algorithm }!.publicKey
    }

    /// Options for a client called `name` with its own key folder; the key
    /// is created and, if `allowed`, added to the allow-list with `options`.
    ///
    /// The key files are written on a Dispatch thread: they fsync, which
    /// must not hold up the cooperative threads other tests run on.
    public func client(
        _ name: String, allowed: Bool = true, algorithm: KeyAlgorithm = .x25519, service: String = "chat",
        pinned: Bool = false, options: KeyOptions = KeyOptions()
    ) async throws -> GateClientOptions {
        let store = KeyStore(directory: directory.appending("client-\(name)"))
        let authorizedKeys = self.authorizedKeys
        try await onFileThread {
            let (identity, _) = try store.loadOrCreateIdentity(name: name, algorithm: algorithm)
            if allowed {
                _ = try authorizedKeys.add(identity.publicKey, name: name, options: options)
            }
        }
        return GateClientOptions(
            host: "127.0.0.1", port: port, keys: store, identityName: name, algorithm: algorithm,
            pinnedServerKey: pinned ? publicKey(algorithm) : nil, service: service, timeout: .seconds(20),
            log: Log(level: .error, destination: .memory))
    }

    /// Options for `count` allowed clients named `prefix0`, `prefix1`, ...
    public func clients(_ count: Int, prefix: String = "user") async throws -> [GateClientOptions] {
        var options: [GateClientOptions] = []
        for index in 0..<count {
            options.append(try await client("\(prefix)\(index)"))
        }
        return options
    }

    /// Stops the server and waits until it has stopped.
    public func stop() async {
        await server.shutdown()
        await runTask.value
    }

    /// Stops the server and deletes its files.
    public func stopAndRemove() async {
        await stop()
        directory.remove()
    }

    /// Log lines containing `text`.
    public func logLines(containing text: String) -> [String] {
        log.lines.filter { $0.contains(text) }
    }
}

/// Runs blocking work (file I/O that fsyncs, a blocking read, waiting for
/// a process) on a thread of its own, off the cooperative pool.
///
/// A new thread per call rather than a worker of the shared
/// `BlockingExecutor`: some of this work waits for a child process that
/// waits for the server under test, whose own file work needs the
/// executor's workers; a handful of such waits must not be able to take
/// every worker.
public func onFileThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await SystemThread.run(name: "keygate-test", work)
}
