import KeyGateChannel
import KeyGateClient
import KeyGateKeys
import KeyGateSystem

/// `keygate invite`: a single-use token that lets a new client enrol its
/// own key.
struct InviteCommand: Command {
    let spec = CommandSpec(
        name: "invite",
        summary: "Invite a client: a single-use token with which it adds its own key to the allow-list.",
        usage: "--name NAME [--expires WHEN] [--keys DIR] [--server HOST[:PORT]] [--json] [key options]",
        options: [
            .keys,
            .init("name", value: "NAME", help: "Name the enrolled key gets in the allow-list (required)."),
            .init("expires", value: "WHEN", help: "The invite can be used until WHEN: \(KeyOptionFlags.whenHelp) (default 24h)."),
            .init("server", value: "HOST[:PORT]", help: "How the client reaches this server, for the command printed (default SERVER)."),
            .init("json", help: "Print one JSON object: token, name, expiry, options, command."),
        ] + KeyOptionFlags.options(expiryFlag: "key-expires"),
        discussion: """
            Prints the token alone on the first line, then the command to give
            the client, for example:

              keygate chat SERVER --invite TOKEN --keys bob

            The client connects with the 'enroll' service, its key created if
            missing; the server checks the token, appends the key to
            DIR/authorized_keys with this name and these options, and the
            client goes on as that name. The token has 160 random bits and
            works once; the server keeps only its SHA-256, in DIR/invites
            (mode 0600). Give it to one person over a channel you trust: who
            holds it can enrol one key.

            The other options are those of 'keygate allow' and go on the
            enrolled key's line; --key-expires is the key's own expiry
            (expiry-time), --expires the invite's.
            """
    )

    static let defaultValidity: Int64 = 86_400

    func run(_ arguments: ParsedArguments) async throws -> ExitStatus {
        if let extra = arguments.positionals.first {
            throw UsageError("unexpected argument '\(extra)'; see 'keygate invite --help'")
        }
        guard let name = arguments.value("name") else {
            throw UsageError("--name NAME is required: the name the enrolled key gets")
        }
        do {
            try AuthorizedKeys.validateName(name)
        } catch {
            throw UsageError("--name: \(error)")
        }
        let now = KeyOptionFlags.now()
        let options = try KeyOptionFlags.keyOptions(in: arguments, now: now, expiryFlag: "key-expires")
        let expires = try KeyOptionFlags.expiry(in: arguments, flag: "expires", now: now)?.secondsSince1970
            ?? now + Self.defaultValidity
        guard expires > now else {
            throw UsageError("--expires is in the past: the invite could never be used")
        }
        let list = AuthorizedKeys(path: KeyStore(directory: arguments.keysDirectory()).authorizedKeysPath)
        let token: String
        do throws(KeyFileError) {
            token = try list.invite(name: name, options: options, expires: expires, now: now)
        } catch {
            guard case let .nameTaken(_, path, line, holder) = error else { throw error }
            Console.shared.err("keygate invite: the name '\(name)' is taken (\(holder) on \(path):\(line)); choose another with --name NAME")
            return .failure
        }
        let server = arguments.value("server") ?? "SERVER"
        let command = "keygate chat \(server) --invite \(token) --keys \(name)"
        let expiry = LastSeenFile.timestamp(expires)
        if arguments.flag("json") {
            var members: [(String, JSONValue)] = [
                ("token", .string(token)), ("name", .string(name)), ("expires", .string(expiry)),
                ("command", .string(command)),
            ]
            if !options.isEmpty { members.append(("options", .string(options.description))) }
            Console.shared.out(JSONValue.object(members).description)
        } else {
            Console.shared.out(token)
            Console.shared.out("Give \(name) this command (the invite works once, until \(expiry)): \(command)")
        }
        return .success
    }
}
