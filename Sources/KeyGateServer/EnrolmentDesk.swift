import KeyGateChannel
import KeyGateKeys
import KeyGateSystem

/// The `enroll` service (PROTOCOL.md "Enrolment"): after a completed
/// handshake, a client whose key is not listed sends an invite's token; a
/// valid one puts the key in the allow-list under the invite's name and
/// options. One request per connection, then the connection is closed.
struct EnrolmentDesk: Sendable {
    let authorizedKeys: AuthorizedKeys
    let limiter: EnrolmentLimiter
    let wallClock: WallClock
    /// How long the client has to send its request.
    let requestTimeout: Duration
    /// What the server counts (`--metrics`).
    let metrics: ServerMetrics?

    /// Answers one enrolment request on `channel` from `key` at `source`.
    func serve(_ channel: SecureChannel, key: PublicKey, source: String, log: Log) async {
        func refuse(_ kind: RefusalKind, _ detail: String) {
            log.write(.warning, RefusalKind.event, fields: kind.fields(source: source, detail: detail))
            metrics?.denied(kind.rawValue)
        }
        let reply = await answer(channel, key: key, source: source, log: log, refuse: refuse)
        try? await channel.send(reply.bytes)
    }

    private func answer(
        _ channel: SecureChannel, key: PublicKey, source: String, log: Log, refuse: (RefusalKind, String) -> Void
    ) async -> EnrolmentMessage.Reply {
        typealias Reason = EnrolmentMessage.Reply.Reason
        switch await authorizedKeys.lookUpVerdict(for: key) {
        case let .allowed(entry):
            log.info("enrolment: key already allowed", ["name": entry.name])
            return .enrolled(name: entry.name, options: entry.options.description)
        case .notListed:
            break
        case let .failedClosed(line):
            refuse(.notPermitted, "enrolment of a key whose line \(authorizedKeys.path):\(line) fails closed")
            return .denied(reason: GrantReply.Reason.notPermitted, retry: false)
        case let .revoked(line):
            refuse(.revoked, "enrolment of a revoked key (\(authorizedKeys.revokedPath):\(line))")
            return .denied(reason: GrantReply.Reason.notPermitted, retry: false)
        case let .revocationsUnreadable(error):
            refuse(.notPermitted, "revocation list unreadable, every key is denied: \(error)")
            return .denied(reason: GrantReply.Reason.notPermitted, retry: false)
        }
        guard limiter.mayTry(from: source) else {
            refuse(.enrolmentLimit, "too many failed enrolments from \(source)")
            return .denied(reason: Reason.tooManyFailures, retry: true)
        }
        let request: [UInt8]?
        do {
            request = try await channel.receive(deadline: .now + requestTimeout)
        } catch {
            limiter.recordFailure(from: source)
            refuse(.badInvite, "enrolment without a request: \(error)")
            return .denied(reason: Reason.malformedRequest, retry: false)
        }
        guard let request, let token = EnrolmentMessage.token(in: request) else {
            limiter.recordFailure(from: source)
            refuse(.badInvite, "malformed enrolment request")
            return .denied(reason: Reason.malformedRequest, retry: false)
        }
        let authorizedKeys = self.authorizedKeys
        let now = Int64(wallClock.now() / 1_000_000)
        let outcome: AuthorizedKeys.Enrolment
        do {
            outcome = try await KeyFileIO.perform { () throws(KeyFileError) in
                try authorizedKeys.redeemInvite(token: token, for: key, now: now)
            }
        } catch {
            log.error("enrolment failed", ["reason": "cannot update the key lists: \(error)"])
            return .denied(reason: Reason.failed, retry: true)
        }
        switch outcome {
        case let .enrolled(entry):
            log.info("enrolled", ["name": entry.name, "file": authorizedKeys.path, "options": entry.options.description])
            return .enrolled(name: entry.name, options: entry.options.description)
        case .invalidToken:
            limiter.recordFailure(from: source)
            refuse(.badInvite, "unknown, used or expired invite token")
            return .denied(reason: Reason.invalidInvite, retry: false)
        case let .nameTaken(name):
            log.warning("enrolment failed", ["reason": "the invite's name '\(name)' is taken by another key"])
            return .denied(reason: Reason.nameTaken, retry: false)
        }
    }
}
