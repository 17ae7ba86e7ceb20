import KeyGateSystem
import KeyGateChannel
import KeyGateSockets

/// Everything a `GateServer` needs to know besides its keys and services.
/// The defaults are the documented ones of `keygate serve`.
public struct ServerConfiguration: Sendable {
    /// The control port's address (`0.0.0.0:7700`).
    public var listenAddress: SocketAddress
    /// Where session and FTP data listeners are opened (PROTOCOL.md section 4).
    public var dataPorts: ClosedRange<UInt16>
    /// The protocol names accepted on the control port.
    public var acceptedSuites: Set<String>
    /// Limit for a whole handshake, from accept to the grant.
    public var handshakeTimeout: Duration
    /// At most this many handshakes run at once; further connections are
    /// accepted and closed at once, so a flood cannot exhaust memory or
    /// descriptors.
    public var maximumHandshakes: Int
    /// At the handshake limit, a handshake older than this is cut to make
    /// room for a new connection (see `HandshakeAdmission`).
    public var staleHandshakeAge: Duration
    /// At most this many sessions (granted or running) at once.
    public var maximumSessions: Int
    /// At most this many of them for one client key; nil: half of
    /// `maximumSessions`, so one key cannot take every session.
    public var maximumSessionsPerKey: Int?
    /// At most this many data ports (unresumed sessions and FTP passive
    /// listeners) held at once by one client key; nil: half the range.
    public var maximumDataPortsPerKey: Int?
    /// A granted session is dropped if not resumed within this.
    public var resumeTimeout: Duration
    /// A data-port connection must send its first frame within this.
    public var firstFrameTimeout: Duration
    /// How long a grant waits for a free data port before denying with
    /// `busy` (`"retry":true`).
    public var dataPortWait: Duration
    /// Unverified connections examined at once on one data or passive port,
    /// in each of its two shares (the handshake's address, all others;
    /// PROTOCOL.md section 4.3): a newer one replaces the oldest.
    public var pendingDataConnectionsPerShare: Int
    /// Per-source-address limits on the control port.
    public var sourceLimits: SourceLimits
    /// The largest accepted difference between an IK message 1's timestamp
    /// and the server's clock (section 3.3).
    public var clockSkew: Duration
    /// The server's real-time clock (tests move it).
    public var wallClock: WallClock
    /// How a resumed session notices a client that vanished without
    /// closing; nil leaves it to the kernel's defaults (hours).
    public var deadPeerDetection: TCPConnection.DeadPeerDetection? = ServerConfiguration.defaultDeadPeerDetection

    /// Probes after 60 s of silence, every 10 s, 3 of them: a vanished
    /// client is gone from the chat within 90 s.
    public static let defaultDeadPeerDetection = TCPConnection.DeadPeerDetection(
        idle: .seconds(60), interval: .seconds(10), probes: 3)
    /// Print every handshake message token by token (public values only).
    public var traceHandshakes: Bool
    /// How much `traceHandshakes` logs (`--trace-handshake=explain`).
    public var traceDetail: HandshakeTraceDetail = .tokens
    /// Where each session's handshake messages, tokens and grant are
    /// appended as JSON lines (`--trace-file`); nil for nowhere.
    public var traceFile: HandshakeTraceFile?
    /// The lab keylog that receives every session's transport keys
    /// (`--keylog`, for labs only); nil, the default: none.
    public var keyLog: SessionKeyLog?
    /// `--lab-fixed-ephemeral`: reproducible ephemeral keys and data keys,
    /// for labs only; nil, the default: the kernel's random source.
    public var labFixedEphemeral: LabFixedEphemeral?

    /// Where the time of each key's latest login is kept for `keygate
    /// keys` (`DIR/last_seen`); nil, the default: not kept.
    public var lastSeenPath: String?

    /// The suites accepted by default: XX and IK with X25519 and FFDHE2048.
    public static let defaultSuites: Set<String> = [
        KeyGateWire.suiteName(pattern: "XX", dh: "25519"), KeyGateWire.suiteName(pattern: "IK", dh: "25519"),
        KeyGateWire.suiteName(pattern: "XX", dh: "FFDHE2048"), KeyGateWire.suiteName(pattern: "IK", dh: "FFDHE2048"),
    ]

    /// Every suite of PROTOCOL.md section 2 (XX and IK with each DH function).
    public static let allSuites: Set<String> = Set(["25519", "FFDHE2048", "FFDHE3072", "FFDHE4096"].flatMap { dh in
        ["XX", "IK"].map { KeyGateWire.suiteName(pattern: $0, dh: dh) }
    })

    public init(
        listenAddress: SocketAddress,
        dataPorts: ClosedRange<UInt16> = KeyGateWire.defaultDataPorts,
        acceptedSuites: Set<String> = ServerConfiguration.defaultSuites,
        handshakeTimeout: Duration = Timeouts.handshake,
        maximumHandshakes: Int = 256,
        staleHandshakeAge: Duration = .seconds(1),
        maximumSessions: Int = 10_000,
        resumeTimeout: Duration = Timeouts.resumeAfterGrant,
        firstFrameTimeout: Duration = Timeouts.firstFrameOnDataPort,
        dataPortWait: Duration = Timeouts.waitForDataPort,
        pendingDataConnectionsPerShare: Int = 8,
        sourceLimits: SourceLimits = .defaults,
        clockSkew: Duration = Timeouts.clockSkew,
        wallClock: WallClock = .system,
        traceHandshakes: Bool = false
    ) {
        self.listenAddress = listenAddress
        self.dataPorts = dataPorts
        self.acceptedSuites = acceptedSuites
        self.handshakeTimeout = handshakeTimeout
        self.maximumHandshakes = maximumHandshakes
        self.staleHandshakeAge = staleHandshakeAge
        self.maximumSessions = maximumSessions
        maximumSessionsPerKey = nil
        maximumDataPortsPerKey = nil
        self.resumeTimeout = resumeTimeout
        self.firstFrameTimeout = firstFrameTimeout
        self.dataPortWait = dataPortWait
        self.pendingDataConnectionsPerShare = pendingDataConnectionsPerShare
        self.sourceLimits = sourceLimits
        self.clockSkew = clockSkew
        self.wallClock = wallClock
        self.traceHandshakes = traceHandshakes
    }

    /// The session limit of one key in effect.
    public var sessionsPerKey: Int { maximumSessionsPerKey ?? Self.defaultSessionsPerKey(maximumSessions) }

    /// The data-port limit of one key in effect.
    public var dataPortsPerKey: Int { maximumDataPortsPerKey ?? DataPortAllocator.defaultPerKeyLimit(for: dataPorts) }

    /// Half the sessions (at least one): the default share of one key.
    public static func defaultSessionsPerKey(_ maximumSessions: Int) -> Int { max(1, maximumSessions / 2) }

    /// The DH function names (`25519`, `FFDHE2048`) of the accepted suites.
    public var diffieHellmanNames: Set<String> {
        Set(acceptedSuites.compactMap { $0.split(separator: "_").dropFirst(2).first.map(String.init) })
    }
}
