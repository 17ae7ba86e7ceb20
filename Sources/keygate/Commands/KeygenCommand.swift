import KeyGateSystem
import KeyGateClient
import KeyGateKeys

/// `keygate keygen`: creates a key pair in the key folder, like `ssh-keygen`.
struct KeygenCommand: Command {
    let spec = CommandSpec(
        name: "keygen",
        summary: "Create a key pair: a private NAME.key and a public NAME.pub.",
        usage: "[--keys DIR] [--name NAME] [--dh DH] [--force]",
        options: [
            .keys,
            .init("name", value: "NAME", help: "Name of the key pair and its files (default client)."),
            .dh,
            .init("force", help: "Replace an existing key pair of that name."),
        ],
        discussion: """
            Writes DIR/NAME.key, the private key (mode 0600: it never leaves
            this machine), and DIR/NAME.pub, the public key to share. FFDHE
            pairs are NAME-ffdhe2048.key/.pub and so on. Prints the public key
            line and its fingerprint.

            Servers and clients create their key pairs on first start anyway;
            keygen makes one ahead of time, for example to send NAME.pub to a
            server's administrator, who lets it in with 'keygate allow NAME.pub'.

            An existing key pair is only replaced with --force: servers that
            allowed the old public key will refuse the new one until they
            allow it too.
            """
    )

    func run(_ arguments: ParsedArguments) async throws -> ExitStatus {
        if let extra = arguments.positionals.first {
            throw UsageError("unexpected argument '\(extra)'; see 'keygate keygen --help'")
        }
        let algorithm = try arguments.keyAlgorithm()
        let name = arguments.value("name") ?? "client"
        do {
            try KeyStore.validateIdentityName(name)
        } catch {
            throw UsageError("--name: \(error)")
        }
        let store = KeyStore(directory: arguments.keysDirectory())
        let identity: Identity
        do throws(KeyFileError) {
            identity = try store.createIdentity(name: name, algorithm: algorithm, overwrite: arguments.flag("force"))
        } catch {
            guard case let .identityExists(path) = error else { throw error }
            Console.shared.err("""
                keygate keygen: \(path) already exists; nothing was changed. Use --force to replace it \
                (servers that allowed the old key will refuse the new one), or choose another --name.
                """)
            return .failure
        }
        Console.shared.out("Private key: \(identity.privateKeyPath) (mode 0600; keep it on this machine)")
        Console.shared.out("Public key:  \(identity.publicKeyPath) (share this one)")
        Console.shared.out(identity.publicKey.line(comment: name))
        Console.shared.out("\(identity.fingerprint) \(name) (\(algorithm))")
        return .success
    }
}
