@testable import KeyGateFTP
import Testing

/// The verb list: names, aliases, and the HELP and FEAT replies made from it.
struct FTPVerbTests {
    @Test(arguments: FTPVerb.allCases)
    func everyVerbIsFoundByItsNameInAnyCase(verb: FTPVerb) {
        #expect(FTPVerb(named: verb.name) == verb)
        #expect(FTPVerb(named: verb.name.lowercased()) == verb)
        #expect(verb.name == verb.name.uppercased() && (3...4).contains(verb.name.count))
    }

    @Test func theRFC775AliasesNameTheDirectoryCommands() {
        #expect(FTPVerb(named: "XPWD") == .pwd)
        #expect(FTPVerb(named: "XCWD") == .cwd)
        #expect(FTPVerb(named: "XCUP") == .cdup)
        #expect(FTPVerb(named: "XMKD") == .mkd)
        #expect(FTPVerb(named: "xrmd") == .rmd)
    }

    @Test func verbsTheServerDoesNotKnowHaveNoCase() {
        for name in ["XYZZ", "RETRX", "", "X", "XSEN", "MLS"] {
            #expect(FTPVerb(named: name) == nil, "\(name)")
        }
    }

    @Test func activeModeAndTheSecurityExtensionsAreKnownButNotOffered() {
        let notOffered = Set(FTPVerb.allCases.filter { !$0.isOffered }.map(\.name))
        #expect(notOffered == [
            "ACCT", "SMNT", "REIN", "STOU", "SITE", "PORT", "EPRT", "LPRT", "LPSV", "AUTH", "ADAT", "PBSZ", "PROT",
            "CCC", "MIC", "CONF", "ENC", "LANG", "MFF", "HOST",
        ])
    }

    /// HELP lists exactly the offered verbs and their aliases, sorted,
    /// eight to a line.
    @Test func helpListsTheOfferedVerbsAndAliases() {
        #expect(FTPVerb.helpNames == [
            "ABOR", "ALLO", "APPE", "CDUP", "CWD", "DELE", "EPSV", "FEAT", "HASH", "HELP", "LIST", "MDTM", "MFMT", "MKD",
            "MLSD",
            "MLST", "MODE", "NLST", "NOOP", "OPTS", "PASS", "PASV", "PWD", "QUIT", "REST", "RETR", "RMD", "RNFR",
            "RNTO", "SIZE", "STAT", "STOR", "STRU", "SYST", "TYPE", "USER", "XCUP", "XCWD", "XMKD", "XPWD", "XRMD",
        ])
        let reply = FTPVerb.helpReply
        #expect(reply.code == .helpMessage)
        #expect(reply.lines.first == "The following commands are recognized:")
        #expect(reply.lines.last == "Help OK")
        let listed = reply.lines.dropFirst().dropLast()
        #expect(listed.count == 6)
        #expect(listed.first == " ABOR ALLO APPE CDUP CWD DELE EPSV FEAT")
        #expect(listed.flatMap { $0.split(separator: " ").map(String.init) } == FTPVerb.helpNames)
        for verb in FTPVerb.allCases where !verb.isOffered {
            #expect(!FTPVerb.helpNames.contains(verb.name), "\(verb.name) is not offered")
        }
    }

    @Test func featListsTheExtensionsOfTheOfferedVerbs() {
        let reply = FTPVerb.featuresReply
        #expect(reply.code == .systemStatus)
        #expect(reply.lines == [
            "Extensions supported:", " EPSV", " HASH SHA-256*", " MDTM", " MFMT", " MLST type*;size*;modify*;perm*;", " PASV", " REST STREAM",
            " SIZE", " TVFS", " UTF8", "End",
        ])
    }
}
