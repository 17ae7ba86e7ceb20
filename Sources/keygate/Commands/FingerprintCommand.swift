import KeyGateSystem
import KeyGateClient
import KeyGateKeys

/// `keygate fingerprint`: the fingerprint of a key file, to compare keys by
/// eye or over the phone.
struct FingerprintCommand: Command {
    let spec = CommandSpec(
        name: "fingerprint",
        summary: "Show the fingerprint of a public (.pub) or private (.key) key file.",
        usage: "FILE",
        options: [],
        discussion: """
            Prints one line: SHA256:<base64> NAME (ALGORITHM), where NAME is the
            comment of the key line, or the file name without .pub/.key if the
            line has none. For a .key file the public key is derived from the
            private key (which must have mode 0600); the private key itself is
            never printed.

            The fingerprint is the SHA-256 of the raw public key in unpadded
            base64, as OpenSSH shows fingerprints. Compare a server's with
            'keygate fingerprint keys/server.pub' run on the server.
            """
    )

    func run(_ arguments: ParsedArguments) async throws -> ExitStatus {
        let path = try arguments.singlePositional("FILE", command: spec.name)
        let (key, comment) = try KeyStore.loadPublicKey(path: path)
        Console.shared.out("\(key.fingerprint) \(comment ?? FingerprintCommand.fileStem(path)) (\(key.algorithm))")
        return .success
    }

    /// The last component of `path` without a `.pub` or `.key` extension.
    static func fileStem(_ path: String) -> String {
        var name = Substring(path.split(separator: "/").last ?? Substring(path))
        for suffix in [".pub", ".key"] where name.hasSuffix(suffix) && name.count > suffix.count {
            name = name.dropLast(suffix.count)
        }
        return String(name)
    }
}
