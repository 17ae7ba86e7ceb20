import KeyGateSystem
import KeyGateChannel
import KeyGateFTP
import KeyGateSockets
import Synchronization

/// The client side of the FTP service (PROTOCOL.md section 6) over an
/// established session: commands and replies on the session's channel,
/// and one encrypted data connection per transfer, always in extended
/// passive mode (EPSV).
///
/// Meant for one task at a time: commands are sent one after the other,
/// each waiting for its reply (the channel refuses two concurrent readers
/// or writers).
public final class FTPClient: Sendable {
    public let session: GateSession
    /// Limit for each reply and each data-connection step.
    public let timeout: Duration
    /// Moves file bytes with bounded memory.
    public let mover: DataMover
    /// The server's greeting (220), the passive commands answered 229 so
    /// far (the psk counter), and whether SHA-256 was chosen for HASH.
    private let state = Mutex((greeting: FTPReply(.serviceReady, ""), passiveCount: UInt64(0), choseSHA256: false))

    /// The server's greeting (220).
    public var greeting: FTPReply { state.withLock { $0.greeting } }

    /// Why an FTP request did not succeed.
    public enum Failure: Error, CustomStringConvertible {
        /// The server refused with this reply.
        case refused(command: String, reply: FTPReply)
        /// The server sent something the protocol does not allow here.
        case protocolViolation(String)
        /// The control connection ended.
        case closed
        /// After a transfer the SHA-256 of the local file and the server's
        /// (HASH) differ; `kept` says what became of the local side.
        case checksumMismatch(command: String, path: String, local: String, remote: String, kept: String)

        public var description: String {
            switch self {
            case let .refused(command, reply): return "\(command): \(reply)"
            case let .protocolViolation(what): return "unexpected reply from the server: \(what)"
            case .closed: return "the server closed the connection"
            case let .checksumMismatch(command, path, local, remote, kept):
                return "\(command) \(path): verification failed: the SHA-256 here is \(local) but the server's is "
                    + "\(remote); the copies differ (changed during the transfer, or a resumed part that does not "
                    + "match). \(kept)"
            }
        }
    }

    private init(session: GateSession, timeout: Duration, mover: DataMover) {
        self.session = session
        self.timeout = timeout
        self.mover = mover
    }

    /// Reads the greeting of a session opened for the `ftp` service.
    /// - Throws: `Failure` when the first reply is not 220.
    public static func start(
        _ session: GateSession, timeout: Duration = .seconds(30), mover: DataMover = DataMover()
    ) async throws -> FTPClient {
        let client = FTPClient(session: session, timeout: timeout, mover: mover)
        let greeting = try await client.readReply()
        guard greeting.code == .serviceReady else {
            throw Failure.refused(command: "connect", reply: greeting)
        }
        client.state.withLock { $0.greeting = greeting }
        return client
    }

    // MARK: Control connection

    /// Reads one reply.
    public func readReply() async throws -> FTPReply {
        guard let message = try await session.channel.receive(deadline: .now + timeout) else { throw Failure.closed }
        return try FTPReply(parsing: message)
    }

    /// Sends one command line.
    public func send(_ command: FTPCommand) async throws {
        try await session.channel.send(command.line, deadline: .now + timeout)
    }

    /// Sends `command` and returns its reply, whatever the code.
    public func request(_ command: FTPCommand) async throws -> FTPReply {
        try await send(command)
        return try await readReply()
    }

    /// Sends `command` and returns its reply if its code is one of
    /// `expected`; throws `Failure.refused` otherwise.
    @discardableResult
    public func require(_ command: FTPCommand, _ expected: FTPReplyCode...) async throws -> FTPReply {
        let reply = try await request(command)
        guard expected.contains(reply.code) else { throw Failure.refused(command: command.description, reply: reply) }
        return reply
    }

    /// Ends the conversation (QUIT) and closes the session.
    public func quit() async {
        _ = try? await request(FTPCommand(verb: "QUIT"))
        await session.channel.close()
    }

    // MARK: Simple requests

    /// The current folder (PWD).
    public func currentDirectory() async throws -> String {
        let reply = try await require(FTPCommand(verb: "PWD"), .pathCreated)
        return Self.quotedPath(in: reply.text) ?? reply.text
    }

    /// The size of a file (SIZE).
    public func size(of path: String) async throws -> Int64 {
        let reply = try await require(FTPCommand(verb: "SIZE", argument: path), .fileStatus)
        guard let size = Int64(reply.text.trimmed()) else {
            throw Failure.protocolViolation("SIZE answered '\(reply.text)'")
        }
        return size
    }

    /// What HASH answered (draft-bryan-ftpext-hash): the digest and the
    /// number of bytes it covers.
    public struct RemoteDigest: Sendable, Equatable {
        public let digest: [UInt8]
        public let byteCount: Int64
    }

    /// The server's SHA-256 of the file `path` (`OPTS HASH` is not sent:
    /// SHA-256 is the default); nil when the server does not offer HASH
    /// (500 or 502).
    /// - Throws: `Failure.refused` for any other refusal (550: no such
    ///   file), `Failure.protocolViolation` for a reply not of the form
    ///   `213 SHA-256 0-SIZE HEX PATH`.
    public func sha256(of path: String) async throws -> RemoteDigest? {
        let command = FTPCommand(verb: "HASH", argument: path)
        let reply = try await request(command)
        if reply.code == .syntaxError || reply.code == .notImplemented { return nil }
        guard reply.code == .fileStatus else { throw Failure.refused(command: command.description, reply: reply) }
        guard let digest = Self.parseDigest(reply.text) else {
            throw Failure.protocolViolation("HASH answered '\(reply.text)'")
        }
        return digest
    }

    /// Chooses SHA-256 for HASH (`OPTS HASH SHA-256`, draft-bryan-ftpext-hash
    /// section 3.3), once per session, before the first transfer that is
    /// to be verified: HASH then answers SHA-256 whatever the server's
    /// default, and a KeyGate server takes it as the sign that this
    /// session verifies, and hashes the files of its later transfers as
    /// they move, so that its HASH answers without reading them again.
    /// A refusal (a server without HASH, or without SHA-256) is left for
    /// `sha256(of:)` to find.
    public func chooseSHA256() async throws {
        guard !state.withLock({ $0.choseSHA256 }) else { return }
        _ = try await request(FTPCommand(verb: "OPTS", argument: "HASH SHA-256"))
        state.withLock { $0.choseSHA256 = true }
    }

    /// `SHA-256 0-SIZE HEX PATH` → the digest; nil when it is not that.
    static func parseDigest(_ text: String) -> RemoteDigest? {
        let words = text.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
        guard words.count >= 3, words[0].uppercased() == "SHA-256" else { return nil }
        let range = words[1].split(separator: "-", omittingEmptySubsequences: false)
        guard range.count == 2, range[0] == "0", let byteCount = Int64(range[1]), byteCount >= 0 else { return nil }
        guard words[2].utf8.count == 64, let digest = Hex.decode(words[2]) else { return nil }
        return RemoteDigest(digest: digest, byteCount: byteCount)
    }

    /// The path inside the first pair of quotes of a 257 reply, with
    /// doubled quotes undone (RFC 959 section 7).
    static func quotedPath(in text: String) -> String? {
        guard let open = text.firstIndex(of: "\"") else { return nil }
        var result = ""
        var index = text.index(after: open)
        while index < text.endIndex {
            let character = text[index]
            let next = text.index(after: index)
            if character == "\"" {
                guard next < text.endIndex, text[next] == "\"" else { return result }
                result.append("\"")
                index = text.index(after: next)
            } else {
                result.append(character)
                index = next
            }
        }
        return nil
    }

    // MARK: Transfers

    /// The direction of a transfer's bytes.
    public enum Direction: Sendable {
        /// RETR, LIST, NLST, MLSD: the server sends.
        case download
        /// STOR, APPE: the client sends.
        case upload
    }

    /// Runs one transfer: EPSV, REST when `restart` is given, the command,
    /// its 150, the data connection (handed to `body`, closed afterwards),
    /// then the final reply, which must be 226.
    ///
    /// The data connection's first attempt starts as soon as the command
    /// is sent: its TCP and NNpsk0 handshakes run while the command and
    /// its 150 travel (PROTOCOL.md section 9: a client may connect before
    /// or after sending the transfer command), not one round trip later.
    /// - Throws: `Failure.refused` for any refusal (a data connection
    ///   already made is then closed unused), or the error of `body` after
    ///   the server's final reply has been read.
    public func transfer<T: Sendable>(
        _ command: FTPCommand, restart: Int64? = nil, body: (SecureChannel) async throws -> T
    ) async throws -> T {
        let (port, number, repliedAt) = try await extendedPassive()
        if let restart {
            try await require(FTPCommand(verb: "REST", argument: "\(restart)"), .pendingFurtherInformation)
        }
        try await send(command)
        // One attempt only, so that a refused command does not leave it
        // reconnecting to a listener the server may have closed; a cut
        // attempt is dialled again below once the 150 is in.
        async let attempt = firstDataAttempt(port: port, passiveNumber: number, repliedAt: repliedAt)
        let preliminary: FTPReply
        do {
            preliminary = try await readReply()
        } catch {
            if case let .success(unused) = await attempt { await unused.close() }
            throw error
        }
        guard preliminary.code == .openingDataConnection else {
            if case let .success(unused) = await attempt { await unused.close() }
            throw preliminary.code.isFailure
                ? Failure.refused(command: command.description, reply: preliminary)
                : Failure.protocolViolation("\(command.verb) answered \(preliminary) instead of 150")
        }
        let data: SecureChannel
        do {
            data = try await dataConnection(after: await attempt, port: port, passiveNumber: number, repliedAt: repliedAt)
        } catch {
            // Without ABOR the server would wait for the connection until
            // its passive listener expires: 426 for the transfer, then 226.
            try await send(FTPCommand(verb: "ABOR"))
            _ = try await readReply()
            _ = try await readReply()
            throw error
        }
        let result: Result<T, any Error>
        do {
            result = .success(try await body(data))
        } catch {
            result = .failure(error)
        }
        await data.close()
        let final = try await readReply()
        // A server that stopped the transfer (552: over quota) says why
        // better than the connection it closed.
        if case .failure = result, final.code.isFailure {
            throw Failure.refused(command: command.description, reply: final)
        }
        let value = try result.get()
        guard final.code == .transferComplete else { throw Failure.refused(command: command.description, reply: final) }
        return value
    }

    /// One attempt at a transfer's data connection, without reconnecting.
    private func firstDataAttempt(
        port: UInt16, passiveNumber: UInt64, repliedAt: Deadline
    ) async -> Result<SecureChannel, any Error> {
        do {
            return .success(try await session.dialData(
                port: port, passiveNumber: passiveNumber, timeout: timeout, repliedAt: repliedAt, reconnecting: false))
        } catch {
            return .failure(error)
        }
    }

    /// The data connection of a transfer whose first attempt ended with
    /// `first`: that connection, or, when it was cut, a new one after the
    /// reconnection pause, reconnecting as `connectData` does.
    private func dataConnection(
        after first: Result<SecureChannel, any Error>, port: UInt16, passiveNumber: UInt64, repliedAt: Deadline
    ) async throws -> SecureChannel {
        switch first {
        case let .success(channel):
            return channel
        case let .failure(error):
            guard Reconnection.isCut(error), Deadline.now + Timeouts.reconnectPause < repliedAt + Timeouts.reconnectWindow
            else { throw error }
            try await Task.sleep(for: Timeouts.reconnectPause)
            return try await connectData(port: port, passiveNumber: passiveNumber, repliedAt: repliedAt)
        }
    }

    /// EPSV: the port of the server's new passive listener, its number,
    /// and when the reply came.
    func extendedPassive() async throws -> (port: UInt16, number: UInt64, repliedAt: Deadline) {
        let reply = try await require(FTPCommand(verb: "EPSV"), .enteringExtendedPassiveMode)
        let repliedAt = Deadline.now
        guard let port = FTPReply.extendedPassivePort(in: reply.text) else {
            throw Failure.protocolViolation("EPSV answered '\(reply.text)'")
        }
        let number = state.withLock { state in
            state.passiveCount += 1
            return state.passiveCount
        }
        return (port, number, repliedAt)
    }

    /// Connects to the passive port on the server's address and runs the
    /// data connection's NNpsk0 handshake for `passiveNumber`, reconnecting
    /// while a connection is cut (`GateSession.dialData`).
    public func connectData(
        port: UInt16, passiveNumber: UInt64, repliedAt: Deadline = .now
    ) async throws -> SecureChannel {
        try await session.dialData(port: port, passiveNumber: passiveNumber, timeout: timeout, repliedAt: repliedAt)
    }

    /// The bytes a LIST, NLST or MLSD sends.
    public func listing(_ verb: String = "LIST", path: String = "") async throws -> [UInt8] {
        try await transfer(FTPCommand(verb: verb, argument: path)) { data in
            let gathered = Gathered()
            try await mover.receive(over: data, progress: TransferProgress()) { await gathered.append($0) }
            return await gathered.bytes
        }
    }

    /// Bytes collected by a receive.
    private actor Gathered {
        var bytes: [UInt8] = []

        func append(_ more: [UInt8]) {
            bytes += more
        }
    }
}
