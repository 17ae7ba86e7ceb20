/// One HTTP/1.1 response of the metrics endpoint; every response closes
/// the connection (`Connection: close`).
struct HTTPResponse {
    let status: Int
    let reason: String
    var headers: [(String, String)] = []
    var contentType = "text/plain; charset=utf-8"
    var body: String
    /// A HEAD request's answer: the headers of the GET, no body.
    var bodyOmitted = false

    init(status: Int, reason: String, headers: [(String, String)] = [], contentType: String? = nil, body: String? = nil,
         bodyOmitted: Bool = false) {
        self.status = status
        self.reason = reason
        self.headers = headers
        if let contentType { self.contentType = contentType }
        self.body = body ?? "\(status) \(reason)\n"
        self.bodyOmitted = bodyOmitted
    }

    /// The status line, the headers and the body.
    var bytes: [UInt8] {
        let content = Array(body.utf8)
        var head = "HTTP/1.1 \(status) \(reason)\r\nContent-Type: \(contentType)\r\nContent-Length: \(content.count)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        return Array((head + "\r\n").utf8) + (bodyOmitted ? [] : content)
    }
}
