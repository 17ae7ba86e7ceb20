// swift-tools-version:6.2
//
// KeyGate: an encrypted chat and file-transfer server on a Noise handshake.
//
// The targets below are the layers of the design, lowest first. Each layer
// depends only on layers above it in this list:
//
//   CKeyGateSystem  C shim for the system calls Glibc does not export to Swift
//   KeyGateCrypto   SHA-256, HMAC, HKDF, ChaCha20-Poly1305, X25519, FFDHE
//   KeyGateNoise    Noise Protocol Framework rev 34: patterns as data, states
//   KeyGateSockets  non-blocking TCP on one epoll thread: async accept,
//                   connect, read, write, with deadlines. No crypto.
//   keygate         the command-line tool: argument parsing and wiring only
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
]

let package = Package(
    name: "KeyGate",
    products: [
        .library(name: "KeyGateCrypto", targets: ["KeyGateCrypto"]),
        .library(name: "KeyGateNoise", targets: ["KeyGateNoise"]),
        .library(name: "KeyGateSockets", targets: ["KeyGateSockets"]),
        .executable(name: "keygate", targets: ["keygate"]),
    ],
    targets: [
        .target(name: "CKeyGateSystem"),
        .target(
            name: "KeyGateCrypto",
            dependencies: ["CKeyGateSystem"],
            swiftSettings: swiftSettings + [
                // Unoptimized SIMD and 128-bit arithmetic is 100 times
                // slower, which would make every test that runs a handshake
                // or moves a file crawl: the primitives are always optimized.
                .unsafeFlags(["-O"], .when(configuration: .debug)),
            ]
        ),
        .target(
            name: "KeyGateNoise",
            dependencies: ["KeyGateCrypto"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "KeyGateSockets",
            dependencies: ["CKeyGateSystem"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "keygate",
            dependencies: ["KeyGateCrypto", "KeyGateNoise", "KeyGateSockets"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KeyGateCryptoTests",
            dependencies: ["KeyGateCrypto"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KeyGateNoiseTests",
            dependencies: ["KeyGateNoise", "KeyGateCrypto"],
            resources: [.copy("Resources/noise-25519-chachapoly-sha256.json")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KeyGateSocketsTests",
            dependencies: ["KeyGateSockets"],
            swiftSettings: swiftSettings
        ),
    ]
)
