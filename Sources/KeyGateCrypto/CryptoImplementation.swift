/// Which code path each primitive takes in this process, for `keygate
/// speed` and the logs: "portable" or the name of the fast path that
/// `CPUFeatures.enabled` selected.
public enum CryptoImplementation {
    /// Each primitive with the path it uses, in a fixed order.
    public static var paths: [(primitive: String, path: String)] {
        [
            ("chacha20", ChaChaPolyKernel.selected.chaCha20Path),
            ("poly1305", ChaChaPolyKernel.selected.poly1305Path),
            ("sha256", SHA256.Implementation.selected.name),
            ("x25519", X25519.Implementation.selected.name),
            ("ffdhe", FFDHEGroup.ffdhe2048.arithmetic.implementation.name),
        ]
    }
}
