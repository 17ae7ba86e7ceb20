import KeyGateSystem
import KeyGateKeys

/// Who a session belongs to: what services and logs may know about a client.
public struct PeerIdentity: Sendable, CustomStringConvertible {
    /// The client's name in the allow-list.
    public let name: String
    /// The fingerprint of the client's static key (`SHA256:...`).
    public let fingerprint: String
    /// The client's address on the control connection (`127.0.0.1:53122`).
    public let address: String
    /// The IP address alone (`127.0.0.1`): data listeners give its
    /// connections a share of their own (PROTOCOL.md section 4.3).
    public let host: String
    /// What the allow-list lets this client do in file services.
    public let fileAccess: FileAccess

    public init(name: String, fingerprint: String, address: String, host: String, fileAccess: FileAccess = FileAccess()) {
        self.name = name
        self.fingerprint = fingerprint
        self.address = address
        self.host = host
        self.fileAccess = fileAccess
    }

    public var description: String { "\(name) (\(fingerprint)) from \(address)" }
}
