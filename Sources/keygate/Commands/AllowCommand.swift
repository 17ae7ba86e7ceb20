import KeyGateSystem
import KeyGateClient
import KeyGateKeys

/// `keygate allow`: adds a client's public key to the server's allow-list.
struct AllowCommand: Command {
    let spec = CommandSpec(
        name: "allow",
        summary: "Let a client in: add its public key to the server's allow-list.",
        usage: "PUBFILE [--keys DIR] [--name NAME] [--services LIST] [--read-only] [--ftp-root DIR] [--from LIST] [--expires WHEN]",
        options: [
            .keys,
            .init("name", value: "NAME", help: "Name the client is known by (default: the key line's comment, else the key's fingerprint)."),
        ] + KeyOptionFlags.options(),
        discussion: """
            Appends the key in PUBFILE (a client's NAME.pub) to DIR/authorized_keys,
            creating the file if needed. A running server reads the file again
            on the next connection: no restart is needed. A key that is already
            allowed is reported and not added twice.

            A name is one word without spaces or control characters; other users
            see it in chat. Each name belongs to one key per algorithm.

            The other options limit what the key may do; they are written
            before the key on its line, as OpenSSH writes them
            (from="10.0.0.0/8",services="ftp",ftp="read-only" x25519 AAAA... carol).
            A key already allowed keeps its line: to change its options, edit
            the line or revoke the key and allow it again.

            To take a client's key away, 'keygate revoke NAME': its sessions
            end within a second.
            """
    )

    func run(_ arguments: ParsedArguments) async throws -> ExitStatus {
        let path = try arguments.singlePositional("PUBFILE", command: spec.name)
        if path.hasSuffix(".key") {
            throw UsageError("\(path) is a private key; give the client's public key file (NAME.pub). A private key never leaves the machine it belongs to.")
        }
        let (key, comment) = try KeyStore.loadPublicKey(path: path)
        let name = try chosenName(given: arguments.value("name"), comment: comment, path: path)
        let options = try KeyOptionFlags.keyOptions(in: arguments, now: KeyOptionFlags.now())
        let list = AuthorizedKeys(path: KeyStore(directory: arguments.keysDirectory()).authorizedKeysPath)
        let result: AuthorizedKeys.AddResult
        do throws(KeyFileError) {
            result = try list.add(key, name: name, options: options)
        } catch {
            guard case let .nameTaken(name, listPath, line, fingerprint) = error else { throw error }
            Console.shared.err("keygate allow: the name '\(name)' is already given to key \(fingerprint) on \(listPath):\(line); choose another with --name NAME")
            return .failure
        }
        let limits = options.isEmpty ? "" : " with \(options)"
        switch result {
        case let .added(added) where added == key.fingerprint:
            Console.shared.out("Allowed \(key)\(limits), added to \(list.path) without a name: others see its fingerprint (to name it, edit its line)")
        case let .added(added):
            Console.shared.out("Allowed \(added)\(limits): \(key) added to \(list.path)")
        case let .alreadyPresent(existing):
            let known = existing == key.fingerprint ? "without a name" : "as \(existing)"
            var message = "Already allowed \(known): \(key) is in \(list.path); nothing changed"
            if let name, name != existing {
                message += " (to rename it, edit its line)"
            } else if !options.isEmpty {
                message += " (its options stay as they are; to change them, edit its line)"
            }
            Console.shared.out(message)
        }
        for warning in list.warnings {
            Console.shared.err("keygate allow: warning: \(warning)")
        }
        return .success
    }

    /// `--name` if given, else the key line's comment, else nil (the list
    /// then uses the fingerprint).
    private func chosenName(given: String?, comment: String?, path: String) throws(UsageError) -> String? {
        if let given {
            do {
                try AuthorizedKeys.validateName(given)
            } catch {
                throw UsageError("--name: \(error)")
            }
            return given
        }
        guard let comment else { return nil }
        do {
            try AuthorizedKeys.validateName(comment)
        } catch {
            throw UsageError("the comment of \(path) cannot be a client name (\(error)); give one with --name NAME")
        }
        return comment
    }
}
