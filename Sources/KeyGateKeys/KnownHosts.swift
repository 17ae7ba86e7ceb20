import KeyGateSystem
import Glibc

/// A client's record of the server keys it has seen, `DIR/known_hosts`.
///
/// Each line is `<host>:<port> <algorithm> <base64 public key>`, IPv6
/// addresses in brackets (`[::1]:7700`); `#` starts a comment line. There is
/// one entry per host, port and algorithm: a server may be known by an X25519
/// key and by an FFDHE key. Hosts are compared in a normal form: names in
/// lower case, IPv6 addresses in their shortest form.
///
/// The file is read on every call (it is small and a client checks once per
/// connection) and rewritten atomically by `remember`. Unusable lines are
/// skipped, reported to `onWarning`, and kept as they are on a rewrite.
public struct KnownHosts: Sendable {
    /// What the file says about a server's key.
    public enum Verdict: Equatable, Sendable {
        /// The file has this key for the host, port and algorithm.
        case trusted
        /// The file has no key for the host, port and algorithm: the caller
        /// decides (trust on first use means calling `remember`).
        case unknown
        /// The file has another key for the host, port and algorithm.
        case mismatch(known: PublicKey)
        /// The file has keys for the host and port, but none of this
        /// algorithm: as suspicious as a changed key (a server that is
        /// known need not be trusted afresh with whatever key it shows).
        case newAlgorithm(known: [PublicKey])
    }

    /// What `trustOnFirstUse` did.
    public enum TrustOutcome: Equatable, Sendable {
        /// The key was already known.
        case trusted
        /// The host was unknown; its key is now recorded.
        case remembered
    }

    /// One usable line.
    public struct Entry: Equatable, Sendable {
        /// The normal form `host:port` or `[v6]:port`.
        public let hostAndPort: String
        /// The server's key.
        public let key: PublicKey
        /// The line number, from 1.
        public let line: Int
    }

    /// The comment a new file starts with.
    public static let header = """
        # KeyGate known hosts: the server keys this client has seen, one per line:
        #   <host>:<port> <algorithm> <base64 public key>
        # If a server's key changed for a good reason, delete its line here.

        """

    /// The file, as given.
    public let path: String
    private let onWarning: (@Sendable (KeyFileError) -> Void)?

    /// The known hosts in `path` (read on each call; a missing file is empty).
    /// - Parameter onWarning: called with each unusable line found.
    public init(path: String, onWarning: (@Sendable (KeyFileError) -> Void)? = nil) {
        self.path = path
        self.onWarning = onWarning
    }

    /// Compares `key` with the entry for `host`, `port` and `key.algorithm`.
    /// - Throws: `KeyFileError.invalidHost`, or an error reading the file.
    public func check(host: String, port: Int, key: PublicKey) throws(KeyFileError) -> Verdict {
        let hostAndPort = try KnownHosts.hostAndPort(host: host, port: port)
        let known = try entries().filter { $0.hostAndPort == hostAndPort }
        guard let sameAlgorithm = known.first(where: { $0.key.algorithm == key.algorithm }) else {
            return known.isEmpty ? .unknown : .newAlgorithm(known: known.map(\.key))
        }
        return sameAlgorithm.key == key ? .trusted : .mismatch(known: sameAlgorithm.key)
    }

    /// Records `key` for `host`, `port` and `key.algorithm`, replacing any
    /// other key recorded for them, by rewriting the file atomically (its
    /// other lines and permissions are kept). Creates the file and its
    /// folder (mode 0700) if needed.
    /// - Throws: `KeyFileError.invalidHost`, or an error reading or writing.
    public func remember(host: String, port: Int, key: PublicKey) throws(KeyFileError) {
        let hostAndPort = try KnownHosts.hostAndPort(host: host, port: port)
        let newLine = Array((hostAndPort + " " + key.line()).utf8)
        let contents = try FileSystem.read(path, protection: .trusted)
        var output: [UInt8] = []
        var replaced = false
        if let bytes = contents?.bytes {
            var rawLines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            if bytes.last == UInt8(ascii: "\n") { rawLines.removeLast() }
            for raw in rawLines {
                let content = raw.last == UInt8(ascii: "\r") ? raw.dropLast() : raw
                let entry = String(validating: content, as: UTF8.self).flatMap { try? KnownHosts.parse($0) }
                if let entry, entry.hostAndPort == hostAndPort, entry.key.algorithm == key.algorithm {
                    // The first entry is replaced in place; later ones were
                    // ignored duplicates and go.
                    if !replaced { output += newLine + [UInt8(ascii: "\n")] }
                    replaced = true
                } else {
                    output += raw + [UInt8(ascii: "\n")]
                }
            }
        } else {
            output = Array(KnownHosts.header.utf8)
            try FileSystem.makeDirectory(FileSystem.directoryName(of: path), mode: KeyStore.directoryMode)
        }
        if !replaced { output += newLine + [UInt8(ascii: "\n")] }
        try FileSystem.writeAtomically(output, to: path, mode: KeyStore.publicFileMode, existing: .replaceKeepingPermissions)
    }

    /// Trust on first use: `.trusted` for the known key, records the key of
    /// an unknown host (`.remembered`), refuses a changed one, and refuses a
    /// known host's key of a new algorithm unless `acceptNewAlgorithm`.
    /// - Throws: `KeyFileError.serverKeyChanged` (showing both fingerprints
    ///   and the line to delete) on a mismatch, `.serverKeyNewAlgorithm` for
    ///   a new algorithm; errors of `check`/`remember`.
    public func trustOnFirstUse(
        host: String, port: Int, key: PublicKey, acceptNewAlgorithm: Bool = false
    ) throws(KeyFileError) -> TrustOutcome {
        switch try check(host: host, port: port, key: key) {
        case .trusted:
            return .trusted
        case .unknown:
            try remember(host: host, port: port, key: key)
            return .remembered
        case let .newAlgorithm(known):
            guard acceptNewAlgorithm else {
                throw .serverKeyNewAlgorithm(
                    hostAndPort: try KnownHosts.hostAndPort(host: host, port: port), knownHostsPath: path,
                    known: known, presented: key)
            }
            try remember(host: host, port: port, key: key)
            return .remembered
        case let .mismatch(known):
            throw .serverKeyChanged(hostAndPort: try KnownHosts.hostAndPort(host: host, port: port),
                                    knownHostsPath: path, known: known, presented: key)
        }
    }

    /// The usable entries, in file order; the first of several for the same
    /// host, port and algorithm. Problems go to `onWarning`.
    /// - Throws: an error reading the file (a missing file has no entries).
    public func entries() throws(KeyFileError) -> [Entry] {
        guard let contents = try FileSystem.read(path, protection: .trusted) else { return [] }
        var entries: [Entry] = []
        for line in KeyFileLines.split(contents.bytes) {
            guard let text = line.text else {
                onWarning?(.skippedLine(path: path, line: line.number, problem: .invalidUTF8))
                continue
            }
            if KeyLine.isIgnorable(text) { continue }
            do {
                let (hostAndPort, key) = try KnownHosts.parse(text)
                if let first = entries.first(where: { $0.hostAndPort == hostAndPort && $0.key.algorithm == key.algorithm }) {
                    onWarning?(.duplicateHost(path: path, line: line.number, firstLine: first.line, hostAndPort: hostAndPort))
                    continue
                }
                entries.append(Entry(hostAndPort: hostAndPort, key: key, line: line.number))
            } catch {
                onWarning?(.skippedLine(path: path, line: line.number, problem: error))
            }
        }
        return entries
    }

    /// The normal form of `host` and `port` in the file: `example.org:7700`,
    /// `127.0.0.1:7700`, `[::1]:7700`. Host names are lower-cased, IPv6
    /// addresses (with or without brackets) shortened as inet_ntop(3) does.
    /// - Throws: `KeyFileError.invalidHost` for an empty host, whitespace or
    ///   control characters, brackets around something other than an IPv6
    ///   address, or a port outside 1...65535.
    public static func hostAndPort(host: String, port: Int) throws(KeyFileError) -> String {
        func fail(_ reason: String) -> KeyFileError { .invalidHost(host: host, port: port, reason: reason) }
        guard (1...65535).contains(port) else { throw fail("the port must be in 1...65535") }
        var name = Substring(host)
        let bracketed = name.hasPrefix("[") && name.hasSuffix("]") && name.count >= 2
        if bracketed { name = name.dropFirst().dropLast() }
        guard !name.isEmpty else { throw fail("the host is empty") }
        for scalar in name.unicodeScalars {
            if scalar.properties.isWhitespace || scalar.properties.generalCategory == .control {
                throw fail("the host contains whitespace or a control character")
            }
            if "[]/#".unicodeScalars.contains(scalar) { throw fail("the host contains '\(scalar)'") }
        }
        if name.contains(":") {
            guard let address = canonicalIPv6(name) else { throw fail("it is not an IPv6 address") }
            return "[\(address)]:\(port)"
        }
        guard !bracketed else { throw fail("only IPv6 addresses are written in brackets") }
        return "\(name.lowercased()):\(port)"
    }

    /// A line's host and port (in normal form) and key.
    static func parse(_ text: String) throws(KeyLineProblem) -> (hostAndPort: String, key: PublicKey) {
        let format = "<host>:<port> <algorithm> <base64 key>"
        let (first, rest) = KeyLine.nextField(Substring(text))
        guard !first.isEmpty, !KeyLine.trimmed(rest).isEmpty else { throw .missingFields(expected: format) }
        let parts: HostPortText
        do {
            parts = try HostPortText(first)
        } catch {
            throw .invalidHostAndPort(String(first), reason: "expected [IPv6 address]:port")
        }
        guard let portText = parts.port else {
            let reason = parts.bracketed ? "expected [IPv6 address]:port"
                : parts.hostHasColon ? "an IPv6 address must be in brackets, as in [::1]:7700" : "the port is missing"
            throw .invalidHostAndPort(String(first), reason: reason)
        }
        let host = parts.bracketed ? "[\(parts.host)]" : String(parts.host)
        guard let port = Int(portText) else {
            throw .invalidHostAndPort(String(first), reason: "the port is not a number")
        }
        let hostAndPort: String
        do {
            hostAndPort = try KnownHosts.hostAndPort(host: String(host), port: port)
        } catch {
            if case let .invalidHost(_, _, reason) = error {
                throw .invalidHostAndPort(String(first), reason: reason)
            }
            throw .invalidHostAndPort(String(first), reason: "\(error)")
        }
        let line = try KeyLine(parsing: rest)
        if let comment = line.comment { throw .unexpectedText(comment) }
        return (hostAndPort, try line.publicKey())
    }

    /// `text` as inet_ntop(3) writes it, keeping a `%zone` suffix; nil if
    /// it is not an IPv6 address.
    private static func canonicalIPv6(_ text: Substring) -> String? {
        let parts = text.split(separator: "%", maxSplits: 1, omittingEmptySubsequences: false)
        var address = in6_addr()
        guard inet_pton(AF_INET6, String(parts[0]), &address) == 1 else { return nil }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count)) != nil else { return nil }
        let canonical = String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return parts.count == 2 ? canonical + "%" + parts[1] : canonical
    }
}
