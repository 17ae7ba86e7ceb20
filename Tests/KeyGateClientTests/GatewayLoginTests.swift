import KeyGateSystem
import KeyGateFTP
@testable import KeyGateClient
import Testing

/// The FTP gateway's conversation before the encrypted session opens.
@Suite struct GatewayLoginTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func withoutAPasswordTheFirstCommandOpensTheSessionAndIsForwarded() {
        var login = GatewayLogin(password: nil)
        #expect(login.greeting.code == .serviceReady)
        #expect(login.receive(Self.bytes("USER anonymous")) == .openSession(.forward(Self.bytes("USER anonymous"))))
    }

    @Test(arguments: [nil, GatewayPassword(Array("secret".utf8))])
    func anHTTPLineClosesTheConnection(_ password: GatewayPassword?) {
        var login = GatewayLogin(password: password)
        #expect(login.receive(Self.bytes("POST / HTTP/1.1")) == .closeHTTP)
        var other = GatewayLogin(password: password)
        #expect(other.receive(Self.bytes("Host: 127.0.0.1:2121")) == .closeHTTP)
    }

    @Test func withAPasswordOnlyTheRightPasswordOpensTheSession() {
        var login = GatewayLogin(password: GatewayPassword(Array("secret".utf8)))
        #expect(login.receive(Self.bytes("PASS secret")).replyCode == .badSequence)
        #expect(login.receive(Self.bytes("USER me")).replyCode == .needPassword)
        #expect(login.receive(Self.bytes("PASS wrong")) == .wrongPassword(FTPReply(.notLoggedIn, "Login incorrect"), closing: false))
        // After a failure the sequence starts again with USER.
        #expect(login.receive(Self.bytes("PASS secret")).replyCode == .badSequence)
        #expect(login.receive(Self.bytes("USER me")).replyCode == .needPassword)
        #expect(login.receive(Self.bytes("PASS secret")) == .openSession(.loggedIn(FTPReply(.loggedIn, "Logged in"))))
    }

    @Test func beforeLoginCommandsGet530ButNOOPAndQUITAreAnswered() {
        var login = GatewayLogin(password: GatewayPassword(Array("secret".utf8)))
        for command in ["LIST", "RETR a.txt", "DELE a.txt", "PASV", "EPSV", "FEAT", "SYST", "CWD /", "AUTH TLS"] {
            #expect(login.receive(Self.bytes(command)).replyCode == .notLoggedIn, "\(command)")
        }
        #expect(login.receive(Self.bytes("NOOP")).replyCode == .commandOkay)
        #expect(login.receive(Self.bytes("QUIT")) == .replyAndClose(FTPReply(.closingControlConnection, "Goodbye")))
    }

    @Test func aMalformedLineGetsTheServersSyntaxReply() {
        var login = GatewayLogin(password: GatewayPassword(Array("secret".utf8)))
        #expect(login.receive(Self.bytes("X")).replyCode == .syntaxError)
    }

    @Test func threeWrongPasswordsCloseTheConnection() {
        var login = GatewayLogin(password: GatewayPassword(Array("secret".utf8)))
        for attempt in 1...GatewayLogin.maximumFailures {
            #expect(login.receive(Self.bytes("USER me")).replyCode == .needPassword)
            let step = login.receive(Self.bytes("PASS guess\(attempt)"))
            guard case let .wrongPassword(_, closing) = step else {
                Issue.record("\(step)")
                return
            }
            #expect(closing == (attempt == GatewayLogin.maximumFailures))
        }
    }
}

extension GatewayLogin.Step {
    /// The code of a `.reply` step, nil for the others.
    var replyCode: FTPReplyCode? {
        if case let .reply(reply) = self { return reply.code }
        return nil
    }
}
