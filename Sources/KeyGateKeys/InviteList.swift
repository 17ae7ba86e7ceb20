import KeyGateCrypto
import KeyGateSystem

/// `DIR/invites`: the invites not used yet (PROTOCOL.md "Enrolment"). One
/// line per invite: the SHA-256 of its token, when it expires, the name the
/// enrolled key gets and the options of its allow-list line:
///
///     sha256:9f86d0...0a08 2026-12-03T17:40:00Z bob services="chat"
///
/// Only the hash is kept, so the file alone does not let anyone enrol. Mode
/// 0600; rewritten whole and atomically; expired and used lines are dropped
/// at each rewrite. A line that does not parse is skipped (and reported):
/// an invite that cannot be read cannot be used, which fails closed.
public struct InviteList: Sendable {
    /// One invite.
    public struct Invite: Equatable, Sendable {
        /// SHA-256 of the token's UTF-8 bytes.
        public let tokenHash: [UInt8]
        /// Seconds since 1970 from which the invite can no longer be used.
        public let expires: Int64
        /// The allow-list name the enrolled key gets.
        public let name: String
        /// The options of the enrolled key's allow-list line.
        public let options: KeyOptions
        /// The line number in the file (0 for one not read from a file).
        public let line: Int

        public init(tokenHash: [UInt8], expires: Int64, name: String, options: KeyOptions, line: Int = 0) {
            self.tokenHash = tokenHash
            self.expires = expires
            self.name = name
            self.options = options
            self.line = line
        }
    }

    /// The name of the file beside the allow-list.
    public static let fileName = "invites"

    /// The comment the file starts with.
    static let header = """
        # KeyGate invites not used yet: SHA-256 of the token, expiry (UTC), name, key options.
        # Written by 'keygate invite'; a used or expired invite is removed. Tokens are never stored.

        """

    /// The invites, in file order.
    public let invites: [Invite]
    /// Lines that could not be read, as (line number, why).
    public let problems: [(line: Int, reason: String)]

    init(invites: [Invite]) {
        self.invites = invites
        problems = []
    }

    /// Parses the file's bytes.
    init(parsing bytes: [UInt8]) {
        var invites: [Invite] = []
        var problems: [(Int, String)] = []
        var number = 0
        for raw in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            guard let text = String(validating: raw, as: UTF8.self) else {
                problems.append((number, "not UTF-8"))
                continue
            }
            let line = String(KeyLine.trimmed(text[...]))
            if line.isEmpty || line.hasPrefix("#") { continue }
            switch Self.invite(from: line, number: number) {
            case let .success(invite): invites.append(invite)
            case let .failure(problem): problems.append((number, problem.reason))
            }
        }
        self.invites = invites
        self.problems = problems
    }

    private struct LineProblem: Error {
        let reason: String
    }

    private static func invite(from line: String, number: Int) -> Result<Invite, LineProblem> {
        let fields = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true)
        guard fields.count >= 3 else { return .failure(LineProblem(reason: "expected: sha256:HEX EXPIRY NAME [OPTIONS]")) }
        guard fields[0].hasPrefix("sha256:"), let hash = Hex.decode(fields[0].dropFirst(7)), hash.count == 32 else {
            return .failure(LineProblem(reason: "the first field must be sha256: and 64 hex digits"))
        }
        guard let expires = LastSeenFile.seconds(fromTimestamp: String(fields[1])) else {
            return .failure(LineProblem(reason: "the expiry must be a UTC time like 2026-12-03T17:40:00Z"))
        }
        let name = String(fields[2])
        if let problem = AuthorizedKeys.problem(withName: name) {
            return .failure(LineProblem(reason: "invalid name: \(problem)"))
        }
        var options = KeyOptions()
        if fields.count == 4 {
            do {
                options = try KeyOptions(parsing: fields[3])
            } catch {
                return .failure(LineProblem(reason: error.description))
            }
        }
        return .success(Invite(tokenHash: hash, expires: expires, name: name, options: options, line: number))
    }

    /// The file's bytes for `invites`.
    static func format(_ invites: [Invite]) -> [UInt8] {
        var text = header
        for invite in invites {
            text += "sha256:" + Hex.encode(invite.tokenHash) + " " + LastSeenFile.timestamp(invite.expires) + " " + invite.name
            if !invite.options.isEmpty { text += " " + invite.options.description }
            text += "\n"
        }
        return Array(text.utf8)
    }

    /// The invite whose token is `token`, if any: every stored hash is
    /// compared, in constant time, whatever matches first.
    func match(token: String) -> Invite? {
        let hash = SHA256.hash(Array(token.utf8))
        var found: Invite?
        for invite in invites {
            let equal = ConstantTime.equals(invite.tokenHash, hash)
            if equal && found == nil { found = invite }
        }
        return found
    }
}
