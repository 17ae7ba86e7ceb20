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
//   KeyGateCrypto   SHA-256, HMAC, HKDF, ChaCha20-Poly1305, X25519, FFDHE
//   KeyGateNoise    Noise Protocol Framework rev 34: patterns as data, states
//   KeyGateKeys     key text files, key store, allow-list, known hosts
//   KeyGateSockets  non-blocking TCP on one epoll thread: async accept,
//                   connect, read, write, with deadlines. No crypto.
//   KeyGateChannel  framing, the KeyGate/1 handshake, SecureChannel, data-port move
//   KeyGateServer   GateServer, HandshakeActor, SessionActor, grants, limits, logs
//   KeyGateChat     the chat room service
//   KeyGateFTP      the FTP service: RFC 959 commands, passive data
//                   connections, file store confined to its root
//   KeyGateClient   gate client, chat client, FTP client and gateway,
//                   console and terminal
//   keygate         the command-line tool: argument parsing and wiring only
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
    .testTarget(name: name + "Tests", dependencies: [.target(name: name)] + dependencies, resources: resources, swiftSettings: swiftSettings)
}

/// Every library layer is also a product of the same name, so other
/// packages can depend on any of them.
let layers = ["CKeyGateSystem", "KeyGateCrypto", "KeyGateNoise", "KeyGateKeys", "KeyGateSockets", "KeyGateChannel", "KeyGateServer", "KeyGateChat", "KeyGateFTP", "KeyGateClient"]

let package = Package(
    name: "KeyGate",
    products: layers.map { .library(name: $0, targets: [$0]) } + [
        .executable(name: "keygate", targets: ["keygate"]),
    ],
    targets: [
        .target(name: "CKeyGateSystem"),
        layer("KeyGateCrypto", dependencies: ["CKeyGateSystem"], settings: [
            // Unoptimized SIMD and 128-bit arithmetic is 100 times slower,
            // which would make every test that runs a handshake or moves a
            // file crawl: the primitives are always optimized.
            .unsafeFlags(["-O"], .when(configuration: .debug)),
        ]),
        layer("KeyGateNoise", dependencies: ["KeyGateCrypto"]),
        layer("KeyGateKeys", dependencies: ["KeyGateCrypto", "KeyGateNoise"]),
        layer("KeyGateSockets", dependencies: ["CKeyGateSystem"]),
        layer("KeyGateChannel", dependencies: ["KeyGateCrypto", "KeyGateNoise", "KeyGateKeys", "KeyGateSockets"]),
        layer("KeyGateServer", dependencies: ["KeyGateKeys", "KeyGateNoise", "KeyGateSockets", "KeyGateChannel"]),
        layer("KeyGateChat", dependencies: ["KeyGateChannel", "KeyGateServer"]),
        layer("KeyGateFTP", dependencies: ["CKeyGateSystem", "KeyGateServer", "KeyGateChannel", "KeyGateSockets"]),
        layer("KeyGateClient", dependencies: ["KeyGateKeys", "KeyGateNoise", "KeyGateSockets", "KeyGateChannel", "KeyGateServer", "KeyGateChat", "KeyGateFTP"]),
        .executableTarget(
            name: "keygate",
            dependencies: ["KeyGateCrypto", "KeyGateNoise", "KeyGateKeys", "KeyGateSockets", "KeyGateChannel", "KeyGateServer", "KeyGateChat", "KeyGateFTP", "KeyGateClient"],
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
            dependencies: ["KeyGateKeys", "KeyGateSockets", "KeyGateChannel", "KeyGateServer", "KeyGateFTP", "KeyGateClient"],
            path: "Tests/KeyGateTestSupport",
            swiftSettings: swiftSettings
        ),
        // Hexadecimal fixtures for the tests of every layer; not a product.
        .target(name: "KeyGateFixtures", path: "Tests/KeyGateFixtures", swiftSettings: swiftSettings),
        tests("KeyGateCrypto", dependencies: ["KeyGateFixtures"]),
        tests("KeyGateNoise", dependencies: ["KeyGateCrypto", "KeyGateFixtures"], resources: [.copy("Resources/noise-25519-chachapoly-sha256.json")]),
        tests("KeyGateKeys", dependencies: ["KeyGateNoise", "KeyGateCrypto", "KeyGateFixtures"]),
        tests("KeyGateSockets", dependencies: ["KeyGateTestSupport"]),
        tests("KeyGateChannel", dependencies: ["KeyGateNoise", "KeyGateCrypto", "KeyGateFixtures"]),
        tests("KeyGateServer", dependencies: ["KeyGateTestSupport", "KeyGateChannel", "KeyGateSockets", "KeyGateKeys", "KeyGateClient", "KeyGateChat"]),
        tests("KeyGateChat", dependencies: ["KeyGateTestSupport", "KeyGateServer", "KeyGateClient"]),
        tests("KeyGateFTP", dependencies: ["KeyGateTestSupport", "KeyGateServer", "KeyGateClient", "KeyGateChannel", "KeyGateSockets", "KeyGateCrypto"]),
        tests("KeyGateClient", dependencies: ["KeyGateTestSupport", "KeyGateServer", "KeyGateChat", "KeyGateFTP", "KeyGateKeys", "KeyGateSockets", "KeyGateCrypto"]),
    ]
)
