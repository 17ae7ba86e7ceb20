import KeyGateSystem
@testable import KeyGateClient
import Testing

/// Lines of a browser's cross-protocol request, which the FTP gateway
/// closes the connection on, and FTP command lines, which it must not.
@Suite struct HTTPRequestLineTests {
    @Test(arguments: [
        "POST / HTTP/1.1",
        "GET /x HTTP/1.0",
        "get /x http/1.1",
        "OPTIONS * HTTP/1.1",
        "PUT /upload?name=a HTTP/1.1",
        "PRI * HTTP/2.0",
        "GET / HTTP/2",
        "CUSTOM-METHOD /x HTTP/1.1",
        "Host: 127.0.0.1:2121",
        "host:127.0.0.1",
        "Content-Type: text/plain",
        "Origin: http://evil.example",
    ])
    func httpLinesAreRecognized(_ line: String) {
        #expect(HTTPRequestLine.matches(Array(line.utf8)))
    }

    @Test(arguments: [
        "USER anonymous",
        "PASS secret:with:colons",
        "USER name:x",
        "RETR HTTP/1.1",
        "STOR a b",
        "LIST",
        "EPSV",
        "PASV",
        "CWD /http:/x",
        "RETR  HTTP/1.1 x",
        "GET / HTTP/",
        "GET / HTTP/1.1.1",
        "GET / HTTPS/1.1",
        ": value",
        "",
    ])
    func ftpLinesAreNot(_ line: String) {
        #expect(!HTTPRequestLine.matches(Array(line.utf8)))
    }
}
