import KeyGateSystem
import KeyGateChannel
import KeyGateFTP
import KeyGateSockets

/// One passive data connection of the FTP gateway: the local client's
/// plain TCP connection on one side, an encrypted data connection to the
/// server's passive port on the other.
///
/// End-of-data carries over faithfully both ways: the server's
/// authenticated end-of-data becomes a clean close for the local client,
/// and a server connection that ends without it becomes a reset, so a cut
/// download never looks complete; the local client's clean close becomes
/// end-of-data upstream, and a reset becomes a close without it (the
/// server then answers 426 and keeps nothing).
///
/// Only the owner's connection is bridged: the local listener is open to
/// every process of the machine, so each connection it accepts goes
/// through the owner check, and a stranger's is logged and closed while
/// the listener keeps waiting for the rightful one, until its deadline. A
/// stranger can neither take the transfer nor block it.
struct DataBridge: Sendable {
    let listener: TCPListener
    let session: GateSession
    let upstreamPort: UInt16
    let passiveNumber: UInt64
    /// When the server's 229 reply came (the reconnection window starts there).
    let repliedAt: Deadline
    let access: GatewayAccess
    /// Opened once the owner's connection is admitted or the wait for it
    /// is over: the session holds the transfer's 150 until then.
    let settled: Latch
    let timeout: Duration
    let log: Log
    /// The local side is read in pieces of this size.
    static let pieceByteCount = 1 << 18

    /// Accepts the owner's connection, learns the direction from the
    /// transfer command, connects upstream and moves the bytes.
    func run(directions: AsyncStream<FTPClient.Direction>) async {
        let accepted = await acceptOwnersConnection(until: .now + Timeouts.passiveListener)
        settled.open()
        await listener.close()
        guard let local = accepted else { return }
        guard let direction = await Self.first(of: directions, within: timeout) else {
            // Replaced by another passive command, no transfer command in
            // time, or the session ended.
            await local.abort()
            return
        }
        let upstream: SecureChannel
        do {
            upstream = try await session.dialData(
                port: upstreamPort, passiveNumber: passiveNumber, timeout: timeout, repliedAt: repliedAt)
        } catch {
            log.info("ftp gateway: data connection to the server failed", ["reason": "\(error)"])
            await local.abort()
            return
        }
        switch direction {
        case .download: await download(from: upstream, to: local)
        case .upload: await upload(from: local, to: upstream)
        }
        await upstream.close()
    }

    /// The first connection from the owner (or root) before `deadline`;
    /// nil when none came, the listener failed or the task was cancelled.
    private func acceptOwnersConnection(until deadline: Deadline) async -> TCPConnection? {
        while true {
            let remaining = deadline - .now
            guard remaining > .zero else { return nil }
            let connection: TCPConnection
            do {
                connection = try await listener.accept(deadline: .after(remaining))
            } catch {
                return nil
            }
            let verdict = await access.check(connection)
            if case .admitted = verdict { return connection }
            log.with(["passive": "\(passiveNumber)"]).warning(
                "ftp gateway: data connection refused, not the owner's",
                access.refusalFields(verdict, client: connection.remoteAddress))
            await connection.close()
        }
    }

    /// The first direction announced within `timeout`, or nil.
    private static func first(
        of directions: AsyncStream<FTPClient.Direction>, within timeout: Duration
    ) async -> FTPClient.Direction? {
        let direction = try? await withDeadline(.now + timeout, while: "waiting for the transfer command") {
            for await direction in directions { return direction }
            return nil
        }
        return direction ?? nil
    }

    private func download(from upstream: SecureChannel, to local: TCPConnection) async {
        do {
            while let bytes = try await upstream.receiveData(deadline: .now + timeout) {
                try await local.write(bytes, deadline: .after(timeout))
            }
            await local.close()
        } catch {
            await local.abort()
        }
    }

    private func upload(from local: TCPConnection, to upstream: SecureChannel) async {
        do {
            while let bytes = try await local.read(upTo: Self.pieceByteCount, deadline: .after(timeout)) {
                try await upstream.sendData(bytes, deadline: .now + timeout)
            }
            try await upstream.sendEndOfData(deadline: .now + timeout)
        } catch {
            log.info("ftp gateway: upload cut, no end-of-data sent", ["reason": "\(error)"])
        }
        await local.close()
    }
}
