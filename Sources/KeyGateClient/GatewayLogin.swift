import KeyGateSystem
import KeyGateFTP

extension FTPReplyCode {
    /// "User name okay, need password." (RFC 959 section 4.2; the gateway's USER)
    static let needPassword = FTPReplyCode(331)
    /// "Not logged in." (the gateway's refusals)
    static let notLoggedIn = FTPReplyCode(530)
}

/// The FTP gateway's own side of a local conversation, before the
/// encrypted session opens: it decides, line by line, whether to answer,
/// to close, or to open the session. No I/O here.
///
/// Every line is first checked for HTTP (a browser's cross-protocol
/// request): such a line closes the connection, without a reply.
///
/// Without a password the first other line opens the session and is
/// forwarded as its first command (the key is the login).
///
/// With a password (`--password-file`), the gateway itself asks for
/// USER (any name) and PASS, and opens the session only after the right
/// password. Until then, as an RFC 959 server before login: USER gets
/// 331, PASS 230 or 530 (503 before USER), QUIT 221 and the connection
/// closes, NOOP 200, and every other command 530, FEAT and SYST included
/// (nothing about the server is told before login; clients such as lftp
/// ask FEAT again once logged in). After three wrong passwords the
/// connection is closed (421).
struct GatewayLogin {
    /// What to do with one line.
    enum Step: Equatable, Sendable {
        /// Answer it and read the next line.
        case reply(FTPReply)
        /// A wrong password: answer it; close after the answer if `closing`.
        case wrongPassword(FTPReply, closing: Bool)
        /// Answer it, then close (QUIT).
        case replyAndClose(FTPReply)
        /// An HTTP request: close at once, answering nothing.
        case closeHTTP
        /// Open the encrypted session, then go on as `Opening` says.
        case openSession(Opening)
    }

    /// How the conversation continues once the session is open.
    enum Opening: Equatable, Sendable {
        /// A right password: answer the client's PASS with this reply.
        case loggedIn(FTPReply)
        /// Forward this line as the session's first command.
        case forward([UInt8])
    }

    /// Wrong passwords allowed on one connection.
    static let maximumFailures = 3

    let password: GatewayPassword?
    private var user: String?
    private var failures = 0

    init(password: GatewayPassword?) {
        self.password = password
    }

    /// The gateway's greeting: standard clients wait for a 220 before
    /// their first command, and the server's own greeting comes only once
    /// the session is open (the gateway swallows it).
    var greeting: FTPReply {
        password == nil
            ? FTPReply(.serviceReady, "KeyGate FTP gateway ready")
            : FTPReply(.serviceReady, "KeyGate FTP gateway ready; log in with USER and PASS")
    }

    mutating func receive(_ line: [UInt8]) -> Step {
        if HTTPRequestLine.matches(line) { return .closeHTTP }
        guard let password else { return .openSession(.forward(line)) }
        let command: FTPCommand
        do {
            command = try FTPCommand(parsing: line)
        } catch {
            return .reply(error.reply)
        }
        switch command.verb {
        case "USER":
            user = command.argument
            return .reply(FTPReply(.needPassword, "Password required (any user name; the password of --password-file)"))
        case "PASS":
            guard user != nil else { return .reply(FTPReply(.badSequence, "Send USER first")) }
            if password.matches(Array(command.argument.utf8)) {
                return .openSession(.loggedIn(FTPReply(.loggedIn, "Logged in")))
            }
            user = nil
            failures += 1
            if failures >= Self.maximumFailures {
                return .wrongPassword(FTPReply(.serviceNotAvailable, "Login incorrect; too many failures, closing"), closing: true)
            }
            return .wrongPassword(FTPReply(.notLoggedIn, "Login incorrect"), closing: false)
        case "QUIT":
            return .replyAndClose(FTPReply(.closingControlConnection, "Goodbye"))
        case "NOOP":
            return .reply(FTPReply(.commandOkay, "NOOP ok"))
        default:
            return .reply(FTPReply(.notLoggedIn, "Please log in with USER and PASS"))
        }
    }
}
