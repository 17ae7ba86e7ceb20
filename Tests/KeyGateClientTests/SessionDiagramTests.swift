import Foundation
import FoundationXML
import KeyGateChannel
import KeyGateClient
import KeyGateKeys
import Testing

/// What `keygate trace` draws: the structure of its SVG and HTML, the
/// escaping of everything from the file, and refusing lines it cannot draw.
struct SessionDiagramTests {
    static func diagram(_ pattern: String = "XX", side: HandshakeRole = .responder, peer: String = "127.0.0.1:7700",
                        service: String = "chat") throws -> SessionDiagram {
        try SessionDiagram(TraceFixture.session(TraceFixture.records(pattern, side: side, peer: peer, service: service)),
                           path: "fixture.jsonl")
    }

    /// Whether `text` is well-formed XML (an SVG file must be).
    static func isWellFormedXML(_ text: String) -> Bool {
        XMLParser(data: Data(text.utf8)).parse()
    }

    static func count(_ needle: String, in text: String) -> Int {
        text.split(separator: needle, omittingEmptySubsequences: false).count - 1
    }

    @Test func theSVGHasBothPartiesEveryMessageTheGrantAndTheMove() throws {
        let svg = try Self.diagram().svg()
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"session-diagram\""))
        #expect(Self.isWellFormedXML(svg))
        #expect(Self.count("<g class=\"party initiator\">", in: svg) == 1)
        #expect(Self.count("<g class=\"party responder\">", in: svg) == 1)
        #expect(Self.count("class=\"lifeline\"", in: svg) == 2)
        #expect(Self.count("<g class=\"message\"", in: svg) == 3)
        #expect(svg.contains("XX message 1: e · 32 bytes"))
        #expect(svg.contains("XX message 2: e, ee, s, es · 96 bytes"))
        #expect(svg.contains("XX message 3: s, se · 68 bytes"))
        #expect(svg.contains("es: MixKey(DH(s, re)) = DH(client&#39;s e, server&#39;s s)"), "the responder's es, named both ways")
        #expect(svg.contains("Noise 7.7: source 2, destination 1"))
        #expect(Self.count("<g class=\"transport grant\">", in: svg) == 1)
        #expect(svg.contains("grant: data port 7742, service chat"))
        #expect(Self.count("<g class=\"transport data_port\">", in: svg) == 1)
        #expect(svg.contains("the session moves to data port 7742"))
        #expect(svg.contains("payload 20 B encrypted: the service name"), "what KeyGate sends, and that it is encrypted")
    }

    @Test func keysAreTracedToWhereTheyCameFrom() throws {
        let xx = try Self.diagram("XX")
        let client = xx.keySources(of: .initiator)
        #expect(client.contains { $0.hasPrefix("static key s") && $0.contains("sent in message 3, encrypted") }, "\(client)")
        #expect(client.contains { $0.hasPrefix("ephemeral key e: made for this handshake, sent in clear in message 1") })
        let server = xx.keySources(of: .responder)
        #expect(server.contains { $0.contains("sent in message 2, encrypted") && $0.contains(Fingerprint.prefix) }, "\(server)")
        let ik = try Self.diagram("IK")
        #expect(ik.keySources(of: .responder).contains { $0.contains("pinned with --server-key") })
        #expect(ik.keySources(of: .initiator).contains { $0.contains("sent in message 1, encrypted") })
        #expect(try Self.diagram("IK").svg().contains("(--server-key: IK&#39;s &lt;- s)"))
    }

    @Test func theHTMLIsOnePageWithoutScriptsOrAnythingFromTheNetwork() throws {
        let diagrams = [try Self.diagram("XX"), try Self.diagram("IK", side: .initiator)]
        let html = SessionDiagram.htmlDocument(diagrams, source: "trace.jsonl")
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">"))
        #expect(html.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"))
        #expect(Self.count("<section class=\"session\"", in: html) == 2)
        #expect(Self.count("<svg xmlns=", in: html) == 2)
        #expect(!html.lowercased().contains("<script"))
        #expect(!html.contains("src="))
        #expect(!html.contains("href"))
        // The only address: the SVG namespace, which loads nothing.
        #expect(Self.count("http", in: html) == Self.count("http://www.w3.org/2000/svg", in: html) + 1, "and http-equiv")
        #expect(html.contains("<tr class=\"grades-row\"><td>Noise 7.7</td><td colspan=\"3\" class=\"grades\">"
            + "source 2: Sender authentication resistant to key-compromise impersonation (KCI); "
            + "destination 1: Encryption to an ephemeral recipient</td></tr>"))
        #expect(Self.count("<tr class=\"token-row\">", in: html) == 7 + 7, "XX has 7 tokens, IK 7")
        #expect(Self.isWellFormedXML(html.replacing("<!DOCTYPE html>\n", with: "").replacing("<meta charset=\"utf-8\">", with: "<meta charset=\"utf-8\"/>")
            .replacing("style-src 'unsafe-inline'\">", with: "style-src 'unsafe-inline'\"/>")))
    }

    @Test func everythingFromTheFileIsEscaped() throws {
        let hostile = try Self.diagram(peer: "<script>alert(\"x\")</script>", service: "a&b\"'<img src=x>")
        let html = SessionDiagram.htmlDocument([hostile], source: "<b>file</b>.jsonl")
        let svg = hostile.svg()
        for text in [html, svg] {
            #expect(!text.contains("<script"))
            #expect(!text.contains("<img"))
            #expect(!text.contains("<b>"))
        }
        #expect(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"))
        #expect(html.contains("&lt;b&gt;file&lt;/b&gt;.jsonl"))
        #expect(svg.contains("service a&amp;b&quot;&#39;&lt;img src=x&gt;"))
        #expect(Self.isWellFormedXML(svg))
    }

    @Test func severalSessionsMakeOneSVGFile() throws {
        let document = SessionDiagram.svgDocument([try Self.diagram("XX"), try Self.diagram("IK")])
        #expect(document.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns="))
        #expect(Self.isWellFormedXML(document))
        #expect(document.contains("<svg x=\"0\" y=\"0\" xmlns="))
        #expect(Self.count("<svg x=\"0\" y=\"", in: document) == 2)
        #expect(document.contains("id=\"arrowhead-0\"") && document.contains("id=\"arrowhead-1\""), "ids kept apart")
    }

    @Test func ftpDataConnectionsAreDrawnAfterTheMove() throws {
        var records = try TraceFixture.records("XX", side: .initiator, service: "ftp")
        // An NNpsk0 message as a data connection traces it: payload only tokens psk, e.
        records.append(.object([
            ("session", .string("0123456789abcdef")), ("event", .string("message")), ("side", .string("initiator")),
            ("peer", .string("p")), ("protocol", .string("Noise_NNpsk0_25519_ChaChaPoly_SHA256")),
            ("pattern", .string("NNpsk0")), ("message", .integer(1)), ("sender", .string("initiator")),
            ("payload_size", .integer(48)), ("handshake_payload_size", .integer(16)), ("payload_encrypted", .bool(true)),
            ("payload", .string("nothing")), ("grades", .null),
        ]))
        let diagram = try SessionDiagram(TraceFixture.session(records), path: "f")
        #expect(diagram.controlMessages.count == 3, "NNpsk0 is not the control handshake")
        #expect(diagram.svg().contains("FTP data connection: NNpsk0 handshake"))
    }

    /// A line the diagram needs but cannot use, by what is wrong with it.
    @Test(arguments: [
        ("message", "payload_size", JSONValue.string("many"), "no count \"payload_size\""),
        ("message", "grades", .object([("source", .integer(3)), ("destination", .integer(0))]), "\"grades\" is not"),
        ("message", "sender", .string("bystander"), "\"sender\" is neither initiator nor responder"),
        ("token", "public_key", .string("ABCDEF"), "\"public_key\" is not lowercase hex"),
        ("token", "message", .integer(9), "a token line without its message line before it"),
    ])
    func aLineItCannotDrawIsRefusedWithItsNumber(event: String, key: String, value: JSONValue, reason: String) throws {
        var records = try TraceFixture.records("XX", side: .responder)
        let index = try #require(records.indices.first { records[$0]["event"] == .string(event) && (event != "token" || records[$0]["public_key"] != nil) })
        guard case var .object(members) = records[index] else { return }
        members = members.map { $0.0 == key ? (key, value) : $0 }
        records[index] = .object(members)
        do {
            _ = try SessionDiagram(TraceFixture.session(records), path: "f.jsonl")
            Issue.record("accepted a bad \(key)")
        } catch let error as TraceFileError {
            guard case let .notATraceFile(path, line, message) = error else { Issue.record("\(error)"); return }
            #expect(path == "f.jsonl")
            #expect(line == index + 1)
            #expect(message.hasPrefix(reason), "\(message)")
        }
    }
}
