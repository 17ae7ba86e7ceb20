// swift-tools-version:6.2
//
// KeyGate: an encrypted chat and file-transfer server on a Noise handshake.
//
// The targets below are the layers of the design, lowest first. Each layer
// depends only on layers above it in this list:
//
//   CKeyGateSystem  C shim for the system calls Glibc does not export to Swift,
//                   the value barrier of constant-time masks, and the
//                   constant-time checker's valgrind hooks (empty by default)
//   KeyGateSystem   the Swift base: the system-call helper, FileDescriptor,
//                   the blocking executor and its lanes, the thread spawner,
//                   the signal watcher, Deadline, the waiter primitive
//                   (EventCount, Latch), Log, FailureLog, Console
//   CKeyGateCrypto  C kernels of the primitives for AVX2, SHA-NI and mulx,
//                   each with its own per-function target; CPUID detection
//   KeyGateCrypto   SHA-256, HMAC, HKDF, ChaCha20-Poly1305, X25519, FFDHE:
//                   portable Swift, and the kernels where the CPU has them
//   KeyGateNoise    Noise Protocol Framework rev 34: patterns as data, states
//   KeyGateKeys     key text files, key store, allow-list, known hosts
//   KeyGateSockets  non-blocking TCP on one epoll thread: async accept,
//                   connect, read, write, with deadlines. No crypto.
//   KeyGateChannel  the session seam: the frame codec, the one Noise
//                   handshake driver, SecureChannel (built only from session
//                   keys), the data-port move, the service protocol
//                   (GateService, ServiceContext), peer identity, grants,
//                   JSON, data ports and the data listener that admits by proof
//   KeyGateServer   GateServer, HandshakeAdmission, HandshakeActor, SessionActor, limits
//   KeyGateChat     the chat room service
//   KeyGateFTP      the FTP service: RFC 959 commands, passive data
//                   connections, file store confined to its root
//   KeyGateClient   gate client, chat client, FTP client and gateway,
//                   console and terminal
//   KeyGateLab      the learning tools, on Channel and below: the
//                   Diffie-Hellman lesson, and the capture decoder (libpcap
//                   files, TCP reassembly, KeyGate frames, keylog decryption)
//   KeyGateBenchmarks  what `keygate speed` and `keygate bench` measure: the
//                   primitives, handshakes and sockets in this process, and
//                   many real clients against a running server
//   keygate         the command-line tool: argument parsing and wiring only
//
// Server, Chat, FTP and Lab build on Channel and the layers below it; nothing
// but the command-line tool imports KeyGateServer. SwiftPM lets a
// module import whatever its dependencies depend on, so LayeringTests reads
// every import in Sources and fails when one breaks this graph.
//
// Beside the layers, a tool that no layer depends on:
//
//   keygate-ct-check  the constant-time checker: runs Crypto, Noise and the
//                     key-line code on secrets watched by valgrind's memcheck
//                     (Benchmarks/ct-check.sh)
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
]

/// A library target for the layer `name`.
func layer(_ name: String, dependencies: [Target.Dependency], settings: [SwiftSetting] = []) -> Target {
    .target(name: name, dependencies: dependencies, swiftSettings: swiftSettings + settings)
}

/// The tests of a layer, in Tests/<name>Tests.
func tests(_ name: String, dependencies: [Target.Dependency], resources: [Resource]? = nil) -> Target {
    let system: [Target.Dependency] = name == "KeyGateSystem" ? [] : ["KeyGateSystem"]
    return .testTarget(
        name: name + "Tests", dependencies: [.target(name: name)] + system + dependencies, resources: resources,
        swiftSettings: swiftSettings)
}

/// Every library layer is also a product of the same name, so other
/// packages can depend on any of them.
let layers = ["CKeyGateSystem", "KeyGateSystem", "CKeyGateCrypto", "KeyGateCrypto", "KeyGateNoise", "KeyGateKeys", "KeyGateSockets", "KeyGateChannel", "KeyGateServer", "KeyGateChat", "KeyGateFTP", "KeyGateClient", "KeyGateLab", "KeyGateBenchmarks"]

let package = Package(
    name: "KeyGate",
    products: layers.map { .library(name: $0, targets: [$0]) } + [
        .executable(name: "keygate", targets: ["keygate"]),
    ],
    targets: [
        .target(name: "CKeyGateSystem"),
        layer("KeyGateSystem", dependencies: ["CKeyGateSystem"]),
        // Optimized in every configuration, like KeyGateCrypto below; no
        // target-wide -m flags: each kernel names its own instructions.
        .target(name: "CKeyGateCrypto", cSettings: [.unsafeFlags(["-O3"])]),
        layer("KeyGateCrypto", dependencies: ["CKeyGateSystem", "CKeyGateCrypto"], settings: [
            // Unoptimized SIMD and 128-bit arithmetic is 100 times slower,
            // which would make every test that runs a handshake or moves a
            // file crawl: the primitives are always optimized.
            .unsafeFlags(["-O"], .when(configuration: .debug)),
        ]),
        layer("KeyGateNoise", dependencies: ["KeyGateCrypto"]),
        layer("KeyGateKeys", dependencies: ["KeyGateSystem", "KeyGateCrypto", "KeyGateNoise"]),
        layer("KeyGateSockets", dependencies: ["CKeyGateSystem", "KeyGateSystem"]),
        layer("KeyGateChannel", dependencies: ["KeyGateSystem", "KeyGateCrypto", "KeyGateNoise", "KeyGateKeys", "KeyGateSockets"]),
        layer("KeyGateServer", dependencies: ["KeyGateSystem", "KeyGateCrypto", "KeyGateKeys", "KeyGateNoise", "KeyGateSockets", "KeyGateChannel"]),
        layer("KeyGateChat", dependencies: ["KeyGateSystem", "KeyGateCrypto", "KeyGateChannel"]),
        layer("KeyGateFTP", dependencies: ["KeyGateSystem", "CKeyGateSystem", "KeyGateCrypto", "KeyGateChannel", "KeyGateSockets"]),
        layer("KeyGateClient", dependencies: ["KeyGateSystem", "KeyGateCrypto", "KeyGateKeys", "KeyGateNoise", "KeyGateSockets", "KeyGateChannel", "KeyGateChat", "KeyGateFTP"]),
        layer("KeyGateLab", dependencies: ["KeyGateSystem", "KeyGateCrypto", "KeyGateNoise", "KeyGateChannel"]),
        layer("KeyGateBenchmarks", dependencies: ["KeyGateSystem", "KeyGateCrypto", "KeyGateKeys", "KeyGateNoise", "KeyGateSockets", "KeyGateChannel", "KeyGateChat", "KeyGateFTP", "KeyGateClient"]),
        .executableTarget(
            name: "keygate",
            dependencies: ["KeyGateSystem", "KeyGateCrypto", "KeyGateNoise", "KeyGateKeys", "KeyGateSockets", "KeyGateChannel", "KeyGateServer", "KeyGateChat", "KeyGateFTP", "KeyGateClient", "KeyGateLab", "KeyGateBenchmarks"],
            swiftSettings: swiftSettings
        ),
        // Built with the valgrind client requests compiled in
        // (-Xcc -DKEYGATE_CONSTANT_TIME_VALIDATION) by Benchmarks/ct-check.sh;
        // any other build of it refuses to run.
        .executableTarget(
            name: "keygate-ct-check",
            dependencies: ["KeyGateCrypto", "KeyGateNoise", "KeyGateKeys"],
            swiftSettings: swiftSettings
        ),
        // Shared helpers of the integration tests (a real server in a
        // temporary folder); not a product.
        .target(
            name: "KeyGateTestSupport",
            dependencies: ["KeyGateSystem", "KeyGateKeys", "KeyGateSockets", "KeyGateChannel", "KeyGateServer", "KeyGateFTP", "KeyGateClient"],
            path: "Tests/KeyGateTestSupport",
            swiftSettings: swiftSettings
        ),
        // Hexadecimal fixtures for the tests of every layer; not a product.
        .target(name: "KeyGateFixtures", path: "Tests/KeyGateFixtures", swiftSettings: swiftSettings),
        // The layer graph above, checked against every import in Sources.
        .testTarget(name: "LayeringTests", swiftSettings: swiftSettings),
        tests("KeyGateSystem", dependencies: []),
        tests("KeyGateCrypto", dependencies: ["KeyGateFixtures"]),
        tests("KeyGateNoise", dependencies: ["KeyGateCrypto", "KeyGateFixtures"], resources: [.copy("Resources/noise-25519-chachapoly-sha256.json")]),
        tests("KeyGateKeys", dependencies: ["KeyGateNoise", "KeyGateCrypto", "KeyGateFixtures"]),
        tests("KeyGateSockets", dependencies: ["KeyGateTestSupport"]),
        tests("KeyGateChannel", dependencies: ["KeyGateNoise", "KeyGateCrypto", "KeyGateFixtures"], resources: [.copy("Resources/keygate-v2-vectors.json")]),
        tests("KeyGateServer", dependencies: ["KeyGateTestSupport", "KeyGateChannel", "KeyGateSockets", "KeyGateKeys", "KeyGateNoise", "KeyGateCrypto", "KeyGateClient", "KeyGateChat", "KeyGateFTP"]),
        tests("KeyGateChat", dependencies: ["KeyGateTestSupport", "KeyGateServer", "KeyGateClient"]),
        tests("KeyGateFTP", dependencies: ["KeyGateTestSupport", "KeyGateServer", "KeyGateClient", "KeyGateChannel", "KeyGateSockets", "KeyGateCrypto"]),
        tests("KeyGateBenchmarks", dependencies: []),
        tests("KeyGateLab", dependencies: ["KeyGateTestSupport", "KeyGateChannel", "KeyGateNoise", "KeyGateCrypto"]),
        tests("KeyGateClient", dependencies: ["KeyGateTestSupport", "KeyGateServer", "KeyGateChat", "KeyGateFTP", "KeyGateKeys", "KeyGateNoise", "KeyGateChannel", "KeyGateSockets", "KeyGateCrypto"]),
    ]
)
