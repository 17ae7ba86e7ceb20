import KeyGateSystem
import Glibc
import KeyGateFTP
import KeyGateSockets

/// Who may use an FTP gateway: the user it runs as (and root), told by the
/// kernel's socket table for every connection, control and data; with
/// `--password-file`, also only a client that gives the password.
public struct GatewayAccess: Sendable {
    /// The gateway's effective uid.
    public let ownerUID: UInt32
    /// The table that names the owner of each connection; nil where none
    /// can be trusted, and then `password` is set.
    public let socketTable: SocketTable?
    /// Required before anything is forwarded, when set.
    public let password: GatewayPassword?
    /// The socket table is read with blocking reads, on this queue of its
    /// own rather than the cooperative pool. One serial queue per gateway
    /// also bounds the threads a flood of connections can occupy.
    let io: BlockingLane

    public init(ownerUID: UInt32 = geteuid(), socketTable: SocketTable?, password: GatewayPassword?) {
        precondition(socketTable != nil || password != nil, "a gateway needs the socket table, a password or both")
        self.ownerUID = ownerUID
        self.socketTable = socketTable
        self.password = password
        io = BlockingExecutor.shared.lane()
    }

    /// What the owner check found for one connection.
    enum Verdict: Equatable, Sendable {
        /// The owner or root (`uid`), or nil without a socket table.
        case admitted(uid: UInt32?)
        /// A process of another user.
        case stranger(uid: UInt32)
        /// The table has no socket held by a process at the other end
        /// (it was closed at once), or could not be read.
        case unidentified(reason: String)
    }

    /// Looks up the owner of the other end of `connection`, off the
    /// cooperative pool.
    func check(_ connection: TCPConnection) async -> Verdict {
        guard let socketTable else { return .admitted(uid: nil) }
        let peer = connection.remoteAddress
        let local = connection.localAddress
        let owner: UInt32?
        do {
            owner = try await io.run { () throws(SocketTable.ReadError) -> UInt32? in
                try socketTable.owner(of: peer, connectedTo: local)
            }
        } catch {
            return .unidentified(reason: error.description)
        }
        guard let owner else {
            return .unidentified(reason: "no open socket at \(peer) connected to \(local) in \(socketTable.directory)/tcp or tcp6")
        }
        return owner == ownerUID || owner == 0 ? .admitted(uid: owner) : .stranger(uid: owner)
    }

    /// The reply that refuses a control connection, nil when admitted.
    func refusal(for verdict: Verdict) -> FTPReply? {
        let serves = "This gateway serves only its owner (uid \(ownerUID))"
        switch verdict {
        case .admitted:
            return nil
        case let .stranger(uid):
            return FTPReply(.notLoggedIn, "\(serves); connection from uid \(uid) refused")
        case .unidentified:
            return FTPReply(.notLoggedIn, "\(serves); the owner of this connection cannot be identified")
        }
    }

    /// Log fields naming who was refused.
    func refusalFields(_ verdict: Verdict, client: SocketAddress) -> KeyValuePairs<String, String> {
        switch verdict {
        case let .stranger(uid):
            return ["client": client.description, "uid": "\(uid)", "owner": "\(ownerUID)"]
        case let .unidentified(reason):
            return ["client": client.description, "reason": reason, "owner": "\(ownerUID)"]
        case .admitted:
            return ["client": client.description]
        }
    }
}
