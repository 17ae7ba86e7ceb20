/// An FTP reply code (RFC 959 section 4.2), with a name for every code this
/// project sends or expects, in one place.
public struct FTPReplyCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int

    public init(rawValue: Int) {
        self.rawValue = rawValue
    }

    public init(_ rawValue: Int) {
        self.rawValue = rawValue
    }

    public var description: String { String(rawValue) }

    /// 1yz: the command was accepted, another reply follows.
    public var isPreliminary: Bool { (100..<200).contains(rawValue) }
    /// 2yz: done.
    public var isCompletion: Bool { (200..<300).contains(rawValue) }
    /// 3yz: accepted, waiting for the next command of a sequence (RNFR, REST).
    public var isIntermediate: Bool { (300..<400).contains(rawValue) }
    /// 4yz or 5yz: failed.
    public var isFailure: Bool { rawValue >= 400 }

    // MARK: 1yz
    /// "File status okay; about to open data connection."
    public static let openingDataConnection = FTPReplyCode(150)

    // MARK: 2yz
    public static let commandOkay = FTPReplyCode(200)
    /// "Command not implemented, superfluous at this site." (ALLO)
    public static let superfluous = FTPReplyCode(202)
    /// System status, or help (STAT without argument, FEAT).
    public static let systemStatus = FTPReplyCode(211)
    /// File status (SIZE, MDTM, STAT with a path).
    public static let fileStatus = FTPReplyCode(213)
    public static let helpMessage = FTPReplyCode(214)
    /// NAME system type (SYST).
    public static let systemType = FTPReplyCode(215)
    public static let serviceReady = FTPReplyCode(220)
    /// Service closing control connection (QUIT).
    public static let closingControlConnection = FTPReplyCode(221)
    /// Data connection open, no transfer in progress (ABOR with nothing to abort).
    public static let noTransferInProgress = FTPReplyCode(225)
    /// Closing data connection; requested file action successful.
    public static let transferComplete = FTPReplyCode(226)
    /// Entering Passive Mode (h1,h2,h3,h4,p1,p2).
    public static let enteringPassiveMode = FTPReplyCode(227)
    /// Entering Extended Passive Mode (|||port|) (RFC 2428).
    public static let enteringExtendedPassiveMode = FTPReplyCode(229)
    public static let loggedIn = FTPReplyCode(230)
    /// Requested file action okay, completed.
    public static let fileActionOkay = FTPReplyCode(250)
    /// "PATHNAME" created (MKD, PWD).
    public static let pathCreated = FTPReplyCode(257)

    // MARK: 3yz
    /// Requested file action pending further information (RNFR, REST).
    public static let pendingFurtherInformation = FTPReplyCode(350)

    // MARK: 4yz
    /// Service not available, closing control connection.
    public static let serviceNotAvailable = FTPReplyCode(421)
    public static let cannotOpenDataConnection = FTPReplyCode(425)
    /// Connection closed; transfer aborted.
    public static let transferAborted = FTPReplyCode(426)
    /// Requested file action not taken (RFC 959 names it among STAT's
    /// replies): STAT of a folder whose listing does not fit one reply.
    public static let fileActionNotTaken = FTPReplyCode(450)
    /// Requested action aborted: local error in processing.
    public static let localError = FTPReplyCode(451)
    /// Requested action not taken: insufficient storage space.
    public static let insufficientStorage = FTPReplyCode(452)

    // MARK: 5yz
    /// Syntax error, command unrecognized (or the line is too long).
    public static let syntaxError = FTPReplyCode(500)
    public static let argumentSyntaxError = FTPReplyCode(501)
    public static let notImplemented = FTPReplyCode(502)
    public static let badSequence = FTPReplyCode(503)
    public static let parameterNotImplemented = FTPReplyCode(504)
    /// Network protocol not supported (RFC 2428, EPSV with the wrong family).
    public static let networkProtocolNotSupported = FTPReplyCode(522)
    /// File unavailable (not found, no access, outside the root).
    public static let fileUnavailable = FTPReplyCode(550)
    /// Exceeded storage allocation.
    public static let exceededStorage = FTPReplyCode(552)
    /// File name not allowed.
    public static let fileNameNotAllowed = FTPReplyCode(553)
    /// Invalid REST parameter (RFC 3659 section 5.5).
    public static let invalidRestartPosition = FTPReplyCode(554)
}
