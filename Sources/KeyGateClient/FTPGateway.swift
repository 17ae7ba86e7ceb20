import KeyGateChannel
import KeyGateFTP
import KeyGateServer
import KeyGateSockets

/// `keygate ftp-proxy`: a local gateway that lets standard FTP clients
/// (curl, lftp, Python's ftplib, FileZilla) use a KeyGate FTP service.
///
/// It accepts plain FTP on a loopback address only. For each local client
/// it opens one encrypted session, relays the control conversation (lines
/// ending in CRLF on the local side, one transport message each on the
/// KeyGate side), and bridges each passive data connection to an
/// encrypted one: it answers the local PASV (227 with its own address) or
/// EPSV (229) with a listener of its own, while upstream it always uses
/// EPSV.
public struct FTPGateway: Sendable {
    /// How to reach the KeyGate server, and as whom.
    public let options: GateClientOptions
    public let listener: TCPListener
    public let log: Log
    /// Waits on the local side and upstream are bounded by this.
    public let timeout: Duration

    /// Why the gateway cannot start.
    public enum StartError: Error, CustomStringConvertible {
        case notLoopback(String)

        public var description: String {
            switch self {
            case let .notLoopback(address):
                return "--listen \(address) is not a loopback address: plain FTP must not leave this machine; "
                    + "use 127.0.0.1:PORT or [::1]:PORT"
            }
        }
    }

    private init(options: GateClientOptions, listener: TCPListener, log: Log, timeout: Duration) {
        self.options = options
        self.listener = listener
        self.log = log
        self.timeout = timeout
    }

    /// Binds the local listener.
    /// - Throws: `StartError.notLoopback` for any other address,
    ///   `SystemError` when it cannot be bound.
    public static func bind(
        _ address: SocketAddress, options: GateClientOptions, log: Log, timeout: Duration = .seconds(60)
    ) throws -> FTPGateway {
        guard address.isLoopback else { throw StartError.notLoopback(address.description) }
        return FTPGateway(options: options, listener: try TCPListener.bind(to: address), log: log, timeout: timeout)
    }

    /// Serves local clients until the task is cancelled or the listener
    /// fails.
    public func run() async {
        log.info("ftp gateway listening", [
            "local": listener.localAddress.description, "server": "\(options.host):\(options.port)",
        ])
        await withDiscardingTaskGroup { group in
            while true {
                let connection: TCPConnection
                do {
                    connection = try await listener.accept()
                } catch {
                    if !(error is CancellationError) { log.error("ftp gateway stopped", ["reason": "\(error)"]) }
                    break
                }
                group.addTask {
                    await FTPGatewaySession(local: connection, gateway: self).run()
                }
            }
            group.cancelAll()
        }
        await listener.close()
    }
}
