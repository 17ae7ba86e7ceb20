import KeyGateCrypto

extension AuthorizedKeys {
    /// `DIR/invites`, beside the allow-list (`InviteList`).
    public var invitesPath: String { FileSystem.directoryName(of: path) + "/" + InviteList.fileName }

    /// How an invite token is written: lowercase base32 (RFC 4648
    /// alphabet) of 20 random bytes, 160 bits in 32 characters.
    public static let inviteTokenByteCount = 20

    /// What `redeemInvite` did.
    public enum Enrolment: Equatable, Sendable {
        /// The key was added under this name; the invite is used up.
        case enrolled(Entry)
        /// No unused, unexpired invite has this token.
        case invalidToken
        /// The invite's name is taken by another key of the same algorithm
        /// (the invite stays unused).
        case nameTaken(name: String)
    }

    /// Creates an invite for a key to be named `name`, with `options`,
    /// usable until `expires` (seconds since 1970): one line appended to
    /// `invites`, holding only the token's hash.
    /// - Returns: the token, to give to the person being invited.
    /// - Throws: `KeyFileError.invalidName`; `.nameTaken` when a listed key
    ///   or another invite already has the name; `.systemCallFailed`.
    public func invite(name: String, options: KeyOptions, expires: Int64, now: Int64) throws(KeyFileError) -> String {
        try Self.validateName(name)
        return try withFileLock { () throws(KeyFileError) -> String in
            let allowed = AuthorizedKeysList(parsing: try FileSystem.read(path, protection: .trusted)?.bytes ?? [], path: path)
            if let taken = allowed.entries.first(where: { $0.name == name }) {
                throw .nameTaken(name: name, path: path, line: taken.line, fingerprint: taken.key.fingerprint)
            }
            var invites = try readInvites().invites.filter { $0.expires > now }
            if let taken = invites.first(where: { $0.name == name }) {
                throw .nameTaken(name: name, path: invitesPath, line: taken.line, fingerprint: "an unused invite")
            }
            let token = Self.newInviteToken()
            invites.append(InviteList.Invite(tokenHash: SHA256.hash(Array(token.utf8)), expires: expires, name: name, options: options))
            try writeInvites(invites)
            return token
        }
    }

    /// Uses the invite whose token is `token` for `key`: under the lists'
    /// lock, the invite is removed first (so it can never be used twice,
    /// even across a crash), then the key is appended to the allow-list
    /// with the invite's name and options.
    /// - Throws: `KeyFileError.systemCallFailed` when a file cannot be read
    ///   or written.
    public func redeemInvite(token: String, for key: PublicKey, now: Int64) throws(KeyFileError) -> Enrolment {
        try withFileLock { () throws(KeyFileError) -> Enrolment in
            let list = try readInvites()
            guard let invite = list.match(token: token), invite.expires > now else { return .invalidToken }
            let allowed = AuthorizedKeysList(parsing: try FileSystem.read(path, protection: .trusted)?.bytes ?? [], path: path)
            if allowed.entry(named: invite.name, algorithm: key.algorithm) != nil {
                return .nameTaken(name: invite.name)
            }
            try writeInvites(list.invites.filter { $0.tokenHash != invite.tokenHash && $0.expires > now })
            switch try addWhileLocked(key, name: invite.name, options: invite.options) {
            case .added:
                let line = AuthorizedKeysList(parsing: try FileSystem.read(path, protection: .trusted)?.bytes ?? [], path: path)
                    .entriesByKey[key]?.line ?? 0
                return .enrolled(Entry(key: key, name: invite.name, line: line, options: invite.options))
            case let .alreadyPresent(existing):
                return .enrolled(Entry(key: key, name: existing, line: 0, options: invite.options))
            }
        }
    }

    /// The invites not used yet (expired ones included until the next
    /// rewrite), with the lines that could not be read.
    /// - Throws: `KeyFileError` when the file exists but cannot be read.
    public func readInvites() throws(KeyFileError) -> InviteList {
        guard let contents = try FileSystem.read(invitesPath, protection: .secret) else { return InviteList(invites: []) }
        return InviteList(parsing: contents.bytes)
    }

    private func writeInvites(_ invites: [InviteList.Invite]) throws(KeyFileError) {
        try FileSystem.writeAtomically(InviteList.format(invites), to: invitesPath, mode: 0o600, existing: .replace)
    }

    /// A fresh token from the kernel's random source.
    static func newInviteToken() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)
        let bytes = SecureRandom.bytes(count: inviteTokenByteCount)
        var result: [UInt8] = []
        var buffer: UInt64 = 0
        var bits = 0
        for byte in bytes {
            buffer = buffer << 8 | UInt64(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                result.append(alphabet[Int((buffer >> UInt64(bits)) & 31)])
            }
        }
        return String(decoding: result, as: UTF8.self)
    }
}
