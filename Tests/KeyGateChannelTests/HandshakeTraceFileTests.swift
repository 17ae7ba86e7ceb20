import Glibc
import KeyGateSystem
import KeyGateChannel
import Testing

/// The `--trace-file` writer: lines appended in order, mode 0600.
struct HandshakeTraceFileTests {
    /// A new empty folder under /tmp.
    static func folder() throws -> String {
        var template = Array("/tmp/keygate-trace-XXXXXX".utf8CString)
        let path = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        return String(cString: try #require(path))
    }

    static func contents(_ path: String) async throws -> TraceFileContents {
        try await TraceFileContents.read(path: path)
    }

    @Test func linesAreAppendedInOrderToAFileOnlyItsOwnerCanRead() async throws {
        let path = try Self.folder() + "/trace.jsonl"
        let file = try await HandshakeTraceFile.open(path: path, log: .silent)
        let session = HandshakeTraceSession(file: file, side: .responder, peer: "127.0.0.1:9", id: "abc")
        file.append([.object([("session", .string("abc")), ("event", .string("first"))])])
        session.recordGrant(protocolName: "Noise_IK_25519_ChaChaPoly_SHA256", port: 7742, service: "ftp", size: 99)
        session.recordDataPortMove(protocolName: "Noise_IK_25519_ChaChaPoly_SHA256", port: 7742, service: "ftp", size: 22)
        await file.close()
        var info = stat()
        #expect(stat(path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        let records = try await Self.contents(path).sessions[0].records.map(\.value)
        #expect(records.map { $0["event"]?.stringValue } == ["first", "grant", "data_port"])
        let grant = records[1]
        #expect(grant["side"] == .string("responder"))
        #expect(grant["pattern"] == .string("IK"))
        #expect(grant["port"] == .integer(7742))
        #expect(grant["service"] == .string("ftp"))
        #expect(grant["payload_size"] == .integer(99))
        // Noise 7.7: an IK responder's first transport payload keeps message 2's grades.
        #expect(grant["grades"] == .object([("source", .integer(2)), ("destination", .integer(4))]))
        #expect(records[2]["grades"] == .object([("source", .integer(2)), ("destination", .integer(5))]))
    }

    @Test func anExistingFileIsAppendedToAndMadePrivate() async throws {
        let path = try Self.folder() + "/trace.jsonl"
        let descriptor = open(path, O_WRONLY | O_CREAT, 0o644)
        #expect(fchmod(descriptor, 0o644) == 0)
        let old = Array("{\"session\":\"old\",\"event\":\"message\"}\n".utf8)
        #expect(old.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) } == old.count)
        close(descriptor)
        let file = try await HandshakeTraceFile.open(path: path, log: .silent)
        file.append([.object([("session", .string("new")), ("event", .string("message"))])])
        await file.close()
        var info = stat()
        #expect(stat(path, &info) == 0 && info.st_mode & 0o777 == 0o600)
        #expect(try await Self.contents(path).sessions.map(\.id) == ["old", "new"])
    }

    @Test func aFileInAMissingFolderCannotBeOpened() async {
        await #expect(throws: TraceFileError.system(path: "/nonexistent/x.jsonl", call: "open", errno: ENOENT)) {
            try await HandshakeTraceFile.open(path: "/nonexistent/x.jsonl", log: .silent)
        }
    }

    @Test func sessionIDsAreSixteenHexDigitsAndDiffer() {
        let ids = (0..<100).map { _ in HandshakeTraceSession.newID() }
        #expect(ids.allSatisfy { $0.count == 16 && HexText.isHex($0) })
        #expect(Set(ids).count == 100)
    }
}
