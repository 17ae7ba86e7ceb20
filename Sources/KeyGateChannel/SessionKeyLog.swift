import KeyGateSystem
import Glibc

/// The lab keylog (`--keylog FILE` on `serve`, `chat` and `ftp`): a file to
/// which this process appends the transport keys of each session it makes,
/// so that `keygate decode --keylog FILE` can decrypt a capture of them,
/// as SSLKEYLOGFILE does for TLS. For labs only: whoever reads the file
/// reads those sessions. It never holds a static private key, nor an
/// ephemeral one: only the two cipher keys Split() gives, which open that
/// one session's transport messages and nothing else.
///
/// File format (PROTOCOL.md, "Lab keylog"): lines starting with `#` are
/// comments; every other line is one session:
///
///     KEYGATE_SESSION <protocol name> <initiator's ephemeral public key> <handshake hash> <initiator-to-responder key> <responder-to-initiator key>
///
/// in lowercase hex. The initiator's ephemeral key is the first token of
/// handshake message 1, which a capture shows in clear; each direction's
/// nonce starts at 0 at the end of the handshake.
public final class SessionKeyLog: Sendable {
    /// The first word of a session line.
    public static let label = "KEYGATE_SESSION"
    /// What the file says first, and what the commands print on standard error.
    public static let warning = "FOR LABS ONLY: this keylog holds the transport keys of every session of this process; anyone who reads it can decrypt captures of them"

    /// One session's line.
    public struct Entry: Sendable, Equatable {
        public let protocolName: String
        /// The `e` of handshake message 1, which identifies the session in a capture.
        public let initiatorEphemeralKey: [UInt8]
        public let handshakeHash: [UInt8]
        public let initiatorToResponderKey: [UInt8]
        public let responderToInitiatorKey: [UInt8]

        public init(protocolName: String, initiatorEphemeralKey: [UInt8], handshakeHash: [UInt8], initiatorToResponderKey: [UInt8], responderToInitiatorKey: [UInt8]) {
            self.protocolName = protocolName
            self.initiatorEphemeralKey = initiatorEphemeralKey
            self.handshakeHash = handshakeHash
            self.initiatorToResponderKey = initiatorToResponderKey
            self.responderToInitiatorKey = responderToInitiatorKey
        }

        /// The line, without its newline.
        public var line: String {
            [Self.hex(initiatorEphemeralKey), Self.hex(handshakeHash), Self.hex(initiatorToResponderKey), Self.hex(responderToInitiatorKey)]
                .reduce("\(SessionKeyLog.label) \(protocolName)") { $0 + " " + $1 }
        }

        /// Reads a session line.
        /// - Throws: `LineError` saying which field is wrong.
        public init(line: some StringProtocol) throws(LineError) {
            let fields = String(line).split(separator: " ", omittingEmptySubsequences: true)
            guard fields.first == Substring(SessionKeyLog.label) else {
                throw LineError(reason: "does not start with \(SessionKeyLog.label)")
            }
            guard fields.count == 6 else { throw LineError(reason: "has \(fields.count) fields, expected 6") }
            var values: [[UInt8]] = []
            for (name, field) in zip(["ephemeral key", "handshake hash", "initiator-to-responder key", "responder-to-initiator key"], fields[2...]) {
                guard let bytes = Self.bytes(fromHex: field) else { throw LineError(reason: "the \(name) is not hexadecimal") }
                values.append(bytes)
            }
            guard values[2].count == 32, values[3].count == 32 else { throw LineError(reason: "a cipher key is not 32 bytes") }
            self.init(
                protocolName: String(fields[1]), initiatorEphemeralKey: values[0], handshakeHash: values[1],
                initiatorToResponderKey: values[2], responderToInitiatorKey: values[3])
        }

        static func hex(_ bytes: [UInt8]) -> String {
            let digits = Array("0123456789abcdef".utf8)
            return String(decoding: bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }, as: UTF8.self)
        }

        static func bytes(fromHex text: Substring) -> [UInt8]? {
            let utf8 = Array(text.utf8)
            guard utf8.count % 2 == 0, !utf8.isEmpty else { return nil }
            var bytes: [UInt8] = []
            for index in stride(from: 0, to: utf8.count, by: 2) {
                guard let high = digit(utf8[index]), let low = digit(utf8[index + 1]) else { return nil }
                bytes.append(high << 4 | low)
            }
            return bytes
        }

        private static func digit(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
            default: return nil
            }
        }
    }

    /// Why a keylog line cannot be read.
    public struct LineError: Error, Equatable, Sendable, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    /// Why the keylog cannot be opened.
    public struct OpenError: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    public let path: String
    private let descriptor: FileDescriptor
    /// Writes go out one at a time, in order, off the cooperative pool.
    private let lane = BlockingExecutor.shared.lane()

    private init(path: String, descriptor: FileDescriptor) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit {
        descriptor.close()
    }

    /// Opens (or creates) the keylog at `path` for appending, with mode
    /// 0600, and writes the warning as its first line when it is new.
    /// Blocking: call it at start, before serving.
    /// - Throws: `OpenError` for a file that cannot be opened, that is not
    ///   a regular file, that is a symbolic link, or that others can read.
    public static func open(path: String) throws(OpenError) -> SessionKeyLog {
        let fail = { (call: String, code: Int32) in
            OpenError(description: "cannot open the keylog \(path): \(call): \(String(cString: strerror(code)))")
        }
        let flags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY
        let raw = try SystemCall.runNow({ Glibc.open(path, flags, 0o600) }) { fail("open", $0) }
        let descriptor = FileDescriptor(adopting: raw)
        var info = stat()
        do throws(OpenError) {
            _ = try SystemCall.runNow({ fstat(raw, &info) }) { fail("fstat", $0) }
            guard info.st_mode & S_IFMT == S_IFREG else {
                throw OpenError(description: "the keylog \(path) is not a regular file")
            }
            guard info.st_mode & 0o077 == 0 else {
                throw OpenError(description: "the keylog \(path) can be read by others (mode \(String(info.st_mode & 0o777, radix: 8))): chmod 600 \(path), or name a new file")
            }
        } catch {
            descriptor.close()
            throw error
        }
        let log = SessionKeyLog(path: path, descriptor: descriptor)
        if info.st_size == 0 {
            log.write("# KeyGate keylog. \(warning).\n# Format: \(label) <protocol> <initiator ephemeral> <handshake hash> <initiator-to-responder key> <responder-to-initiator key>\n")
        }
        return log
    }

    /// Appends `entry`'s line, on the blocking executor; returns once written.
    public func record(_ entry: Entry) async {
        let line = entry.line + "\n"
        await lane.run { self.write(line) }
    }

    /// One append (O_APPEND: whole lines, even with several processes).
    /// A failed write is reported on standard error, not thrown: losing a
    /// lab key must not end a session.
    private func write(_ text: String) {
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(descriptor.rawValue, $0.baseAddress! + written, bytes.count - written) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                Console.shared.err("keygate: cannot write the keylog \(path): \(String(cString: strerror(errno)))")
                return
            }
            written += count
        }
    }
}
