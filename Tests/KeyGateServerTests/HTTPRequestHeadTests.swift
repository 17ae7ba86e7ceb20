@testable import KeyGateServer
import Testing

/// The metrics endpoint's reading of a request head, on good and hostile input.
struct HTTPRequestHeadTests {
    @Test(arguments: [
        ("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", "GET", "/metrics"),
        ("HEAD /metrics?name=a HTTP/1.0\n\n", "HEAD", "/metrics"),
        ("POST /other HTTP/1.1\r\n\r\n", "POST", "/other"),
    ])
    func aRequestLineGivesItsMethodAndPath(head: String, method: String, path: String) throws {
        let parsed = try #require(HTTPRequestHead(parsing: Array(head.utf8)))
        #expect(parsed.method == method && parsed.path == path)
    }

    @Test(arguments: [
        "", "\r\n\r\n", "get /metrics HTTP/1.1\r\n\r\n", "GET metrics HTTP/1.1\r\n\r\n", "GET /metrics HTTP/2.0\r\n\r\n",
        "GET  /metrics HTTP/1.1\r\n\r\n", "GET /metrics\r\n\r\n", "GET /me trics HTTP/1.1\r\n\r\n",
        "GET /metrics HTTP/1.1 extra\r\n\r\n", "GET /m\u{7f} HTTP/1.1\r\n\r\n", "\u{0}\u{1}\u{2}\r\n\r\n",
    ])
    func anythingElseIsNoRequest(head: String) {
        #expect(HTTPRequestHead(parsing: Array(head.utf8)) == nil)
    }

    @Test func theHeadEndsAtTheFirstBlankLine() {
        #expect(HTTPRequestHead.end(of: Array("GET / HTTP/1.1\r\nA: b\r\n".utf8)) == nil)
        #expect(HTTPRequestHead.end(of: Array("GET / HTTP/1.1\r\nA: b\r\n\r\nbody".utf8)) == 24)
        #expect(HTTPRequestHead.end(of: Array("GET / HTTP/1.1\n\nbody".utf8)) == 16)
        #expect(HTTPRequestHead.end(of: Array("\r\n".utf8)) == nil)
        #expect(HTTPRequestHead.end(of: []) == nil)
    }
}
