/// How much `--trace-handshake` prints for each handshake message.
public enum HandshakeTraceDetail: String, Sendable, Equatable {
    /// Tokens, sizes, fingerprints and the handshake hash.
    case tokens
    /// Also what each token does to the Noise state and the payload's
    /// security grades (`--trace-handshake=explain`).
    case explained = "explain"
}
