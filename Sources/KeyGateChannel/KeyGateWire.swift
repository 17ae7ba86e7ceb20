import KeyGateSystem

/// The constants of KeyGate protocol version 2 (PROTOCOL.md), in one place.
public enum KeyGateWire {
    /// The protocol version this implementation speaks, as the prologues
    /// spell it (section 3.2).
    public static let protocolVersion = "KeyGate/2"
    /// Section 1: the largest frame payload.
    public static let maximumFrameByteCount = 65535
    /// Section 1: the largest plaintext of one transport message.
    public static let maximumPlaintextByteCount = 65535 - 16
    /// Section 3.2: the prologue is this, a zero byte, then the protocol name.
    public static let prologuePrefix: [UInt8] = Array(protocolVersion.utf8) + [0]
    /// Section 6: the prologue of FTP data connections.
    public static let ftpDataPrologue: [UInt8] = Array("\(protocolVersion) ftp-data".utf8)
    /// Section 6: the HMAC message of a data connection's psk starts with this.
    public static let ftpDataLabel: [UInt8] = Array("ftp-data".utf8)
    /// Section 4.1: the first message on the data port.
    public static let resumeMessage: [UInt8] = Array("RESUME".utf8)
    /// Section 3.3: service names.
    public static let chatService = "chat"
    public static let ftpService = "ftp"
    /// The service an unknown key uses to redeem an invite (PROTOCOL.md
    /// "Enrolment"); it gets no data port.
    public static let enrollService = "enroll"
    /// Section 3.3: the IK message 1 payload starts with the client's clock,
    /// microseconds since 1970 as 8 bytes big-endian.
    public static let timestampByteCount = 8
    /// Section 3.5: the bytes of an ftp grant's `data_key`.
    public static let dataKeyByteCount = 32
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

/// Protocol timeouts (sections 3, 4, 6 and 9, and the server's defaults).
public enum Timeouts {
    /// Default limit for a whole control-port handshake.
    public static let handshake: Duration = .seconds(10)
    /// Default client limit for connecting and for each protocol step.
    public static let clientStep: Duration = .seconds(10)
    /// Section 4.2: a data-port connection must send its first frame within this.
    public static let firstFrameOnDataPort: Duration = .seconds(5)
    /// Section 4.2: a granted session expires if not resumed within this.
    public static let resumeAfterGrant: Duration = .seconds(30)
    /// Section 6: an FTP passive listener expires after this.
    public static let passiveListener: Duration = .seconds(30)
    /// Section 9: how long a busy server waits for a free data port.
    public static let waitForDataPort: Duration = .seconds(2)
    /// Section 3.3: the default limit on the difference between an IK
    /// message 1's timestamp and the server's clock.
    public static let clockSkew: Duration = .seconds(120)
    /// Sections 4.4 and 6: a client whose data connection is cut before it
    /// is acknowledged waits at least this long before it connects again.
    public static let reconnectPause: Duration = .milliseconds(100)
    /// Sections 4.4 and 6: clients reconnect for at most this long after
    /// the grant (or the 227/229 reply).
    public static let reconnectWindow: Duration = .seconds(30)
    /// Section 4.4: a data connection that stays open this long without an
    /// acknowledgement is a failure, not a reason to reconnect.
    public static let acknowledgement: Duration = .seconds(5)
}
