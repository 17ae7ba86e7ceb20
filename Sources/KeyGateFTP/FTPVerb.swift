/// Every verb the server recognises, named as on the wire (RFC 959
/// section 4.1 and its extensions): the one list from which HELP, FEAT and
/// the split between "not implemented" (502) and "unknown" (500) follow.
///
/// Verbs not in it are unknown. Old aliases (`XPWD`, RFC 775) are not
/// cases of their own but other names of one (`aliases`).
enum FTPVerb: String, CaseIterable, Sendable {
    // Offered: HELP lists these.
    case abor, allo, appe, cdup, cwd, dele, epsv, feat, hash, help, list, mdtm, mfmt, mkd, mlsd, mlst, mode, nlst,
        noop, opts, pass, pasv, pwd, quit, rest, retr, rmd, rnfr, rnto, size, stat, stor, stru, syst, type, user
    // Recognised but not offered: 502.
    case acct, smnt, rein, stou, site, port, eprt, lprt, lpsv, auth, adat, pbsz, prot, ccc, mic, conf, enc, lang,
        mff, host

    /// The RFC 775 names of the directory commands, still sent by some clients.
    static let aliases: [String: FTPVerb] = [
        "XCUP": .cdup, "XCWD": .cwd, "XMKD": .mkd, "XPWD": .pwd, "XRMD": .rmd,
    ]

    /// The verb named `name` or by one of its aliases, in any case (RFC
    /// 959 section 5.3); nil for a verb the server does not know.
    init?(named name: String) {
        guard let verb = Self.aliases[name.uppercased()] ?? Self(rawValue: name.lowercased()) else { return nil }
        self = verb
    }

    /// The name on the wire (`RETR`).
    var name: String { rawValue.uppercased() }

    /// Whether the server carries the command out; the others get 502.
    /// Derived from the request the verb makes, so the two cannot disagree.
    var isOffered: Bool {
        switch FTPRequest(self, FTPCommand(verb: name)) {
        case .activeMode, .notImplemented: false
        default: true
        }
    }

    /// The FEAT line (RFC 2389) of the extension this verb brings, if any.
    var feature: String? {
        switch self {
        case .epsv: "EPSV"  // RFC 2428
        // draft-bryan-ftpext-hash section 3.1: the algorithms, the
        // selected one marked with `*`.
        case .hash: "HASH \(FileHashAlgorithm.sha256.name)*"
        case .mdtm: "MDTM"  // RFC 3659 section 3
        case .mfmt: "MFMT"  // draft-somers-ftp-mfxx section 3
        case .mlst: "MLST type*;size*;modify*;perm*;"  // RFC 3659 section 7, the facts `FileInfo` gives
        case .pasv: "PASV"
        case .rest: "REST STREAM"  // RFC 3659 section 5
        case .size: "SIZE"  // RFC 3659 section 4
        // RFC 3659 section 6: every path argument, first of all CWD's,
        // is a TVFS path (`FTPPath`).
        case .cwd: "TVFS"
        case .opts: "UTF8"  // RFC 2640 section 3.3, OPTS UTF8 ON
        default: nil
        }
    }

    /// The names HELP lists: the offered verbs and their aliases, sorted.
    static let helpNames: [String] =
        (allCases.filter(\.isOffered).map(\.name) + aliases.keys).sorted()

    /// The reply to HELP: the names, eight to a line.
    static let helpReply = FTPReply(.helpMessage, lines: ["The following commands are recognized:"]
        + stride(from: 0, to: helpNames.count, by: 8).map { start in
            " " + helpNames[start..<min(start + 8, helpNames.count)].joined(separator: " ")
        } + ["Help OK"])

    /// The reply to FEAT (RFC 2389 section 3.2): each extension on a line
    /// that starts with a space, sorted.
    static let featuresReply = FTPReply(.systemStatus, lines: ["Extensions supported:"]
        + allCases.filter(\.isOffered).compactMap(\.feature).sorted().map { " " + $0 } + ["End"])
}
