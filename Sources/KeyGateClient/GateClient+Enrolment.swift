import KeyGateChannel
import KeyGateKeys
import KeyGateSockets
import KeyGateSystem

extension GateClient {
    /// Redeems an invite (PROTOCOL.md "Enrolment"): a handshake for the
    /// `enroll` service with the client's key (created if missing), the
    /// token, the server's answer. The server's key is checked as for any
    /// connection (pinned, or trusted on first use and recorded), so the
    /// token only ever goes to the server it was meant for.
    /// - Returns: the name the server's allow-list gives the key.
    /// - Throws: `ClientError.denied` for an invalid, used or expired
    ///   invite, or as `connect` does.
    public static func enroll(_ options: GateClientOptions, token: String) async throws(ClientError) -> String {
        let identity = try await loadIdentity(options, enrolling: true)
        var enrolment = options
        enrolment.service = KeyGateWire.enrollService
        do {
            return try await redeem(enrolment, identity: identity, token: token)
        } catch {
            throw error as? ClientError ?? .failed("\(error)")
        }
    }

    private static func redeem(_ options: GateClientOptions, identity: Identity, token: String) async throws -> String {
        let (control, _) = try await dialControl(options)
        let answer: Result<EnrolmentMessage.Reply, ClientError>
        do {
            let channel = try await handshake(control, options: options, identity: identity, trace: nil)
            try await channel.send(EnrolmentMessage.request(token: token), deadline: .now + options.timeout)
            guard let bytes = try await channel.receive(deadline: .now + options.timeout) else {
                throw ClientError.failed("the server closed the connection without answering the enrolment")
            }
            answer = .success(try EnrolmentMessage.Reply(parsing: bytes))
        } catch let error as ClientError {
            answer = .failure(error)
        } catch {
            answer = .failure(classify(error, options: options))
        }
        await control.close()
        switch try answer.get() {
        case let .enrolled(name, options: keyOptions):
            let limits = keyOptions.isEmpty ? "" : " with \(keyOptions)"
            options.log.info("enrolled", ["server": "\(options.host):\(options.port)", "name": name + limits])
            return name
        case let .denied(reason, retry):
            throw ClientError.denied(reason: "enrolment refused: \(reason)", retry: retry)
        }
    }
}
