import Glibc
import KeyGateClient
import KeyGateKeys
import KeyGateSystem

/// `keygate revoke`: takes a client's key away for good.
struct RevokeCommand: Command {
    let spec = CommandSpec(
        name: "revoke",
        summary: "Take a client's key away: remove it from the allow-list and deny it from now on.",
        usage: "NAME|FINGERPRINT|PUBFILE [--keys DIR]",
        options: [.keys],
        discussion: """
            Names the key by the client's name in DIR/authorized_keys (every
            key of that name, one per algorithm), by its fingerprint
            (SHA256:...) or by its public key file (NAME.pub; the key is
            revoked even if it is not listed). Its lines are moved from
            DIR/authorized_keys to DIR/revoked_keys, the revocation written
            first, each file replaced atomically.

            A key in DIR/revoked_keys is denied even if a line in
            authorized_keys still lists it. A running server reads the change
            within a second and ends the sessions of the revoked key. If
            revoked_keys exists but cannot be read, every client is denied
            until it is fixed.

            Exits 0 when a key was revoked, 1 when nothing matched.
            """
    )

    func run(_ arguments: ParsedArguments) async throws -> ExitStatus {
        let target = try arguments.singlePositional("NAME|FINGERPRINT|PUBFILE", command: spec.name)
        let selector = try Self.selector(for: target)
        let list = AuthorizedKeys(path: KeyStore(directory: arguments.keysDirectory()).authorizedKeysPath)
        let earlier = list.revokedEntries.filter { Self.matches(selector, $0) }
        let revoked = try list.revoke(selector).filter { entry in !earlier.contains { $0.key == entry.key } }
        for entry in earlier {
            Console.shared.out("Already revoked: \(Self.label(entry)) is on line \(entry.line) of \(list.revokedPath); nothing changed")
        }
        guard !revoked.isEmpty || !earlier.isEmpty else {
            Console.shared.err("keygate revoke: no key in \(list.path) matches '\(target)'; 'keygate keys' lists them")
            return .failure
        }
        for entry in revoked {
            let listed = entry.line == 0 ? " (it was not in the allow-list)" : ""
            Console.shared.out("Revoked \(Self.label(entry))\(listed), now in \(list.revokedPath)")
        }
        return .success
    }

    private static func label(_ entry: AuthorizedKeys.Entry) -> String {
        entry.name == entry.key.fingerprint ? "\(entry.key)" : "\(entry.name): \(entry.key)"
    }

    private static func matches(_ selector: AuthorizedKeys.Selector, _ entry: AuthorizedKeys.Entry) -> Bool {
        switch selector {
        case let .name(name): return entry.name == name
        case let .fingerprint(fingerprint): return entry.key.fingerprint == fingerprint
        case let .key(key): return entry.key == key
        }
    }

    /// A fingerprint, a public key file, or else a client name.
    static func selector(for target: String) throws -> AuthorizedKeys.Selector {
        if target.hasPrefix("SHA256:") {
            return .fingerprint(target)
        }
        if target.contains("/") || target.hasSuffix(".pub") || target.hasSuffix(".key") || access(target, F_OK) == 0 {
            if target.hasSuffix(".key") {
                throw UsageError("\(target) is a private key; give the client's public key file (NAME.pub), its name or its fingerprint")
            }
            return .key(try KeyStore.loadPublicKey(path: target).0)
        }
        do {
            try AuthorizedKeys.validateName(target)
        } catch {
            throw UsageError("'\(target.prefix(60))' is neither a client name (\(error)), a fingerprint (SHA256:...) nor a public key file")
        }
        return .name(target)
    }
}
