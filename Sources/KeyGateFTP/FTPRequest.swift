/// A command line as the server acts on it: parsed once from an
/// `FTPCommand`, one case per action, each with its argument in the form
/// the action needs. Paths stay text: they are resolved against the
/// current folder when the request runs.
enum FTPRequest: Equatable, Sendable {
    /// The representation TYPE selects (RFC 959 section 3.1.1).
    enum DataType: Sendable {
        /// `TYPE I` or `TYPE L 8`.
        case binary
        /// `TYPE A` or `TYPE A N`: accepted, bytes move unchanged.
        case ascii
    }

    /// The commands that move bytes over a data connection.
    enum TransferVerb: String, Sendable {
        case retrieve = "RETR", store = "STOR", append = "APPE"
        case list = "LIST", nameList = "NLST", machineList = "MLSD"

        /// Whether the argument names a folder to list (flags first).
        var isListing: Bool {
            switch self {
            case .list, .nameList, .machineList: true
            case .retrieve, .store, .append: false
            }
        }
    }

    /// USER or PASS: the key already logged the client in.
    case login
    /// SYST.
    case system
    /// FEAT.
    case features
    /// OPTS: UTF8 ON, or HASH with the algorithm asked for (nil: which one
    /// is selected), or an option not offered (nil).
    case options(FTPOption?)
    /// NOOP.
    case noop
    /// HELP (any argument is ignored).
    case help
    /// QUIT.
    case quit
    /// PWD, XPWD.
    case printDirectory
    /// CWD, XCWD; CDUP and XCUP as `..`.
    case changeDirectory(String)
    /// MKD, XMKD.
    case makeDirectory(String)
    /// RMD, XRMD.
    case removeDirectory(String)
    /// DELE.
    case delete(String)
    /// RNFR.
    case renameFrom(String)
    /// RNTO.
    case renameTo(String)
    /// SIZE.
    case size(String)
    /// MDTM.
    case modificationTime(String)
    /// MFMT (draft-somers-ftp-mfxx): set a modification time, seconds since
    /// 1970 (nil when the time is not `YYYYMMDDHHMMSS` in UTC).
    case setModificationTime(Int?, path: String)
    /// HASH (draft-bryan-ftpext-hash): the file's digest.
    case hash(String)
    /// MLST; an empty path means the current folder.
    case facts(String)
    /// STAT: of the session (nil) or of a path.
    case status(path: String?)
    /// TYPE; nil for a type that is not offered.
    case type(DataType?)
    /// MODE: whether it is S (stream), the only one offered.
    case mode(isStream: Bool)
    /// STRU: whether it is F (file), the only one offered.
    case structure(isFile: Bool)
    /// ALLO.
    case allocate
    /// REST; nil when the argument is not a whole number.
    case restart(at: Int64?)
    /// EPSV with its argument as sent (RFC 2428: none, a protocol, ALL).
    case extendedPassive(String)
    /// PASV.
    case passive
    /// ABOR.
    case abort
    /// RETR, STOR, APPE with a path; LIST, NLST, MLSD with the path after
    /// any `-flags` (empty: the current folder).
    case transfer(TransferVerb, path: String)
    /// PORT or EPRT: active mode, which is not offered.
    case activeMode
    /// A verb of RFC 959 or its extensions that the server knows but does not offer (502).
    case notImplemented(FTPVerb)
    /// A verb the server does not know (500).
    case unknown

    /// Whether the request changes files or folders: what a read-only key
    /// (`ftp="read-only"`) may not do.
    var writes: Bool {
        switch self {
        case .makeDirectory, .removeDirectory, .delete, .renameFrom, .renameTo, .setModificationTime: true
        case .transfer(.store, _), .transfer(.append, _): true
        default: false
        }
    }

    /// The request `command` makes.
    init(_ command: FTPCommand) {
        guard let verb = FTPVerb(named: command.verb) else {
            self = .unknown
            return
        }
        self.init(verb, command)
    }

    /// The request `verb` makes with `command`'s argument. Exhaustive over
    /// `FTPVerb`: a verb added there must be given its request here.
    init(_ verb: FTPVerb, _ command: FTPCommand) {
        let argument = command.argument
        switch verb {
        case .user, .pass: self = .login
        case .syst: self = .system
        case .feat: self = .features
        case .opts: self = .options(FTPOption(argument))
        case .noop: self = .noop
        case .help: self = .help
        case .quit: self = .quit
        case .pwd: self = .printDirectory
        case .cwd: self = .changeDirectory(argument)
        case .cdup: self = .changeDirectory("..")
        case .mkd: self = .makeDirectory(argument)
        case .rmd: self = .removeDirectory(argument)
        case .dele: self = .delete(argument)
        case .rnfr: self = .renameFrom(argument)
        case .rnto: self = .renameTo(argument)
        case .size: self = .size(argument)
        case .mdtm: self = .modificationTime(argument)
        case .hash: self = .hash(argument)
        case .mfmt:
            let time = argument.prefix { $0 != " " }
            let path = argument.dropFirst(time.count).drop { $0 == " " }
            self = .setModificationTime(FileInfo.seconds(fromTimestamp: String(time)), path: String(path))
        case .mlst: self = .facts(argument)
        case .stat: self = .status(path: argument.isEmpty ? nil : argument)
        case .type: self = .type(Self.dataType(argument))
        case .mode: self = .mode(isStream: argument.uppercased() == "S")
        case .stru: self = .structure(isFile: argument.uppercased() == "F")
        case .allo: self = .allocate
        case .rest: self = .restart(at: Int64(argument).flatMap { $0 >= 0 ? $0 : nil })
        case .epsv: self = .extendedPassive(argument)
        case .pasv: self = .passive
        case .abor: self = .abort
        case .retr: self = .transfer(.retrieve, path: argument)
        case .stor: self = .transfer(.store, path: argument)
        case .appe: self = .transfer(.append, path: argument)
        case .list: self = .transfer(.list, path: command.listingArguments.path)
        case .nlst: self = .transfer(.nameList, path: command.listingArguments.path)
        case .mlsd: self = .transfer(.machineList, path: command.listingArguments.path)
        case .port, .eprt: self = .activeMode
        case .acct, .smnt, .rein, .stou, .site, .lprt, .lpsv, .auth, .adat, .pbsz, .prot, .ccc, .mic, .conf, .enc,
             .lang, .mff, .host:
            self = .notImplemented(verb)
        }
    }

    private static func dataType(_ argument: String) -> DataType? {
        switch argument.uppercased() {
        case "I", "L 8": .binary
        case "A", "A N": .ascii
        default: nil
        }
    }
}
