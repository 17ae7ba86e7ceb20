import KeyGateChannel
import KeyGateClient
import KeyGateKeys
import KeyGateSystem

/// `keygate keys`: the server's key lists as an operator reads them.
struct KeysCommand: Command {
    let spec = CommandSpec(
        name: "keys",
        summary: "List the allowed, revoked and invited client keys, with options, expiry and last login.",
        usage: "[--keys DIR] [--json]",
        options: [
            .keys,
            .init("json", help: "Print one JSON object with the three lists."),
        ],
        discussion: """
            Reads DIR/authorized_keys, DIR/revoked_keys, DIR/invites and
            DIR/last_seen, where a running server records each key's latest
            login (within 10 seconds of it, and when it stops). Times are UTC.
            Problems found in the files are listed on standard error.
            """
    )

    func run(_ arguments: ParsedArguments) async throws -> ExitStatus {
        if let extra = arguments.positionals.first {
            throw UsageError("unexpected argument '\(extra)'; see 'keygate keys --help'")
        }
        let store = KeyStore(directory: arguments.keysDirectory())
        let list = AuthorizedKeys(path: store.authorizedKeysPath)
        let allowed = list.entries
        let revoked = list.revokedEntries
        for warning in list.warnings {
            Console.shared.err("keygate keys: warning: \(warning)")
        }
        let invites: [InviteList.Invite]
        do throws(KeyFileError) {
            let read = try list.readInvites()
            invites = read.invites
            for problem in read.problems {
                Console.shared.err("keygate keys: warning: \(list.invitesPath):\(problem.line): \(problem.reason); the invite cannot be used")
            }
        } catch {
            Console.shared.err("keygate keys: warning: \(error)")
            invites = []
        }
        let lastSeen: [String: Int64]
        do throws(KeyFileError) {
            lastSeen = try LastSeenFile(path: store.lastSeenPath).read()
        } catch {
            Console.shared.err("keygate keys: warning: \(error)")
            lastSeen = [:]
        }
        let now = KeyOptionFlags.now()
        if arguments.flag("json") {
            Console.shared.out(Self.json(allowed: allowed, revoked: revoked, invites: invites, lastSeen: lastSeen, now: now).description)
        } else {
            Console.shared.out(Self.table(
                allowed: allowed, revoked: revoked, invites: invites, lastSeen: lastSeen, now: now, list: list))
        }
        return .success
    }

    // MARK: Output

    static func json(
        allowed: [AuthorizedKeys.Entry], revoked: [AuthorizedKeys.Entry], invites: [InviteList.Invite],
        lastSeen: [String: Int64], now: Int64
    ) -> JSONValue {
        func key(_ entry: AuthorizedKeys.Entry) -> JSONValue {
            var members: [(String, JSONValue)] = [
                ("name", .string(entry.name)), ("algorithm", .string(entry.key.algorithm.rawValue)),
                ("fingerprint", .string(entry.key.fingerprint)), ("options", .string(entry.options.description)),
            ]
            if let expiry = entry.options.expiry {
                members.append(("expires", .string(LastSeenFile.timestamp(expiry.secondsSince1970))))
                members.append(("expired", .bool(now >= expiry.secondsSince1970)))
            }
            members.append(("last_login", lastSeen[entry.key.fingerprint].map { .string(LastSeenFile.timestamp($0)) } ?? .null))
            return .object(members)
        }
        let invited = invites.map { invite -> JSONValue in
            .object([
                ("name", .string(invite.name)), ("expires", .string(LastSeenFile.timestamp(invite.expires))),
                ("expired", .bool(now >= invite.expires)), ("options", .string(invite.options.description)),
            ])
        }
        return .object([
            ("allowed", .array(allowed.map(key))), ("revoked", .array(revoked.map(key))), ("invited", .array(invited)),
        ])
    }

    static func table(
        allowed: [AuthorizedKeys.Entry], revoked: [AuthorizedKeys.Entry], invites: [InviteList.Invite],
        lastSeen: [String: Int64], now: Int64, list: AuthorizedKeys
    ) -> String {
        func expiry(_ seconds: Int64?) -> String {
            guard let seconds else { return "never" }
            return LastSeenFile.timestamp(seconds) + (now >= seconds ? " (expired)" : "")
        }
        func keyRows(_ entries: [AuthorizedKeys.Entry]) -> [[String]] {
            [["NAME", "ALGORITHM", "FINGERPRINT", "LAST LOGIN", "EXPIRES", "OPTIONS"]] + entries.map { entry in
                [
                    entry.name, entry.key.algorithm.rawValue, entry.key.fingerprint,
                    lastSeen[entry.key.fingerprint].map(LastSeenFile.timestamp) ?? "never",
                    expiry(entry.options.expiry?.secondsSince1970), entry.options.isEmpty ? "-" : entry.options.description,
                ]
            }
        }
        var sections = ["Allowed: \(allowed.count) in \(list.path)"]
        if !allowed.isEmpty { sections.append(columns(keyRows(allowed))) }
        sections.append("Revoked: \(revoked.count) in \(list.revokedPath)")
        if !revoked.isEmpty { sections.append(columns(keyRows(revoked))) }
        sections.append("Invited: \(invites.count) in \(list.invitesPath)")
        if !invites.isEmpty {
            sections.append(columns([["NAME", "INVITE EXPIRES", "OPTIONS"]] + invites.map { invite in
                [invite.name, expiry(invite.expires), invite.options.isEmpty ? "-" : invite.options.description]
            }))
        }
        return sections.joined(separator: "\n")
    }

    /// Rows as left-aligned columns, two spaces apart, indented by two.
    static func columns(_ rows: [[String]]) -> String {
        let count = rows.map(\.count).max() ?? 0
        let widths = (0..<count).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            "  " + row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(to: widths[index] + 2)
            }.joined()
        }.joined(separator: "\n")
    }
}
