/// The constants of KeyGate protocol version 1 (`protocol-v1.md`), in one place.
public enum KeyGateWire {
    /// Section 1: the largest frame payload.
    public static let maximumFrameByteCount = 65535
    /// Section 1: the largest plaintext of one transport message.
    public static let maximumPlaintextByteCount = 65535 - 16
    /// Section 3.2: the prologue is this, a zero byte, then the protocol name.
    public static let prologuePrefix: [UInt8] = Array("KeyGate/1".utf8) + [0]
    /// Section 6: the prologue of FTP data connections.
    public static let ftpDataPrologue: [UInt8] = Array("KeyGate/1 ftp-data".utf8)
    /// Section 4.1: the first message on the data port.
    public static let resumeMessage: [UInt8] = Array("RESUME".utf8)
    /// Section 3.3: service names.
    public static let chatService = "chat"
    public static let ftpService = "ftp"
    /// Section 3: default ports.
    public static let defaultControlPort: UInt16 = 7700
    public static let defaultDataPorts: ClosedRange<UInt16> = 7701...7799

    /// The prologue for a negotiated protocol name (section 3.2).
    public static func prologue(for protocolName: String) -> [UInt8] {
        prologuePrefix + Array(protocolName.utf8)
    }

    /// The suites of section 2 for a DH function name (`25519`, `FFDHE2048`).
    public static func suiteName(pattern: String, dh: String) -> String {
        "Noise_\(pattern)_\(dh)_ChaChaPoly_SHA256"
    }
}

/// Protocol timeouts (protocol-v1 sections 4 and 9, and the server's defaults).
public enum Timeouts {
    /// Default limit for a whole control-port handshake.
    public static let handshake: Duration = .seconds(10)
    /// Section 4.2: a data-port connection must send its first frame within this.
    public static let firstFrameOnDataPort: Duration = .seconds(5)
    /// Section 4.2: a granted session expires if not resumed within this.
    public static let resumeAfterGrant: Duration = .seconds(30)
    /// Section 6: an FTP passive listener expires after this.
    public static let passiveListener: Duration = .seconds(30)
    /// Section 9: how long a busy server waits for a free data port.
    public static let waitForDataPort: Duration = .seconds(2)
}
