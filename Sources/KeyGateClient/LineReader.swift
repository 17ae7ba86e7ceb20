import KeyGateSystem
import KeyGateSockets

/// Reads CRLF- (or LF-) terminated lines from a connection, each at most
/// `maximumByteCount` bytes: a longer line is cut after one more byte
/// (which the server refuses as too long) and the rest of it skipped.
struct LineReader {
    let maximumByteCount: Int
    private var buffer: [UInt8] = []
    private var skippingRest = false

    init(maximumByteCount: Int) {
        self.maximumByteCount = maximumByteCount
    }

    /// The next line without its line end, or nil at the end of the stream.
    mutating func next(from connection: TCPConnection, timeout: Duration) async throws -> [UInt8]? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                if skippingRest {
                    skippingRest = false
                    continue
                }
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                return line
            }
            if buffer.count > maximumByteCount {
                if skippingRest {
                    buffer.removeAll()
                } else {
                    let line = Array(buffer.prefix(maximumByteCount + 1))
                    buffer.removeAll()
                    skippingRest = true
                    return line
                }
            }
            guard let more = try await connection.read(upTo: 65536, deadline: .after(timeout)) else { return nil }
            buffer += more
        }
    }
}
