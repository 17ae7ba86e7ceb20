import KeyGateCrypto
import KeyGateNoise

/// `keygate lesson dh`: a finite-field Diffie-Hellman exchange with small
/// numbers worked out step by step, then real exchanges with RFC 7919's
/// ffdhe2048 group and with X25519 (RFC 7748) measured on this machine.
public struct DHLesson: Sendable {
    /// The textbook numbers: a prime p, a base g, Alice's secret a, Bob's secret b.
    public struct SmallNumbers: Sendable, Equatable {
        public let p: UInt64
        public let g: UInt64
        public let a: UInt64
        public let b: UInt64

        /// The classic example (p = 23, g = 5, a = 6, b = 15).
        public static let classic = SmallNumbers(checked: (23, 5, 6, 15))

        /// - Throws: `LabError.badLessonParameter` unless p is a prime
        ///   from 5 to 2^31, 1 < g < p-1 and 1 <= a, b <= p-2.
        public init(p: UInt64, g: UInt64, a: UInt64, b: UInt64) throws(LabError) {
            guard p >= 5, p <= SquareAndMultiply.maximumModulus, Self.isPrime(p) else {
                throw .badLessonParameter("p must be a prime from 5 to \(SquareAndMultiply.maximumModulus), got \(p)")
            }
            guard g > 1, g < p - 1 else { throw .badLessonParameter("g must be between 1 and p-1 (exclusive), got \(g)") }
            for (name, value) in [("a", a), ("b", b)] where value < 1 || value > p - 2 {
                throw .badLessonParameter("\(name) must be from 1 to p-2 = \(p - 2), got \(value)")
            }
            self.p = p
            self.g = g
            self.a = a
            self.b = b
        }

        /// Numbers known to be valid.
        private init(checked numbers: (p: UInt64, g: UInt64, a: UInt64, b: UInt64)) {
            (p, g, a, b) = numbers
        }

        /// Trial division: the lesson's primes are below 2^31.
        static func isPrime(_ n: UInt64) -> Bool {
            guard n >= 2 else { return false }
            var divisor: UInt64 = 2
            while divisor * divisor <= n {
                if n % divisor == 0 { return false }
                divisor += 1
            }
            return true
        }
    }

    /// The small-number exchange, worked out.
    public struct SmallExchange: Sendable {
        public let numbers: SmallNumbers
        /// A = g^a mod p (Alice sends it).
        public let alicePublic: SquareAndMultiply
        /// B = g^b mod p (Bob sends it).
        public let bobPublic: SquareAndMultiply
        /// B^a mod p: Alice's shared secret.
        public let aliceShared: SquareAndMultiply
        /// A^b mod p: Bob's shared secret.
        public let bobShared: SquareAndMultiply
        /// The smallest x >= 1 with g^x mod p = A: what an eavesdropper
        /// finds by trying; nil when `eavesdropperTries` tries do not find it.
        public let eavesdropperExponent: UInt64?
        /// How many powers the eavesdropper's search tries at most.
        public static let eavesdropperTries: UInt64 = 1_000_000

        init(_ numbers: SmallNumbers) {
            self.numbers = numbers
            alicePublic = SquareAndMultiply(base: numbers.g, exponent: numbers.a, modulus: numbers.p)
            bobPublic = SquareAndMultiply(base: numbers.g, exponent: numbers.b, modulus: numbers.p)
            aliceShared = SquareAndMultiply(base: bobPublic.result, exponent: numbers.a, modulus: numbers.p)
            bobShared = SquareAndMultiply(base: alicePublic.result, exponent: numbers.b, modulus: numbers.p)
            var power: UInt64 = 1
            var found: UInt64?
            for x in 1..<min(numbers.p, Self.eavesdropperTries + 1) {
                power = power * numbers.g % numbers.p
                if power == alicePublic.result {
                    found = x
                    break
                }
            }
            eavesdropperExponent = found
        }

        public var secretsAgree: Bool { aliceShared.result == bobShared.result }
    }

    /// One real exchange and its timing.
    public struct Measurement: Sendable {
        /// `ffdhe2048` or `x25519`.
        public let name: String
        /// The Noise suite that uses this DH function.
        public let protocolName: String
        public let privateKeyByteCount: Int
        public let publicKeyByteCount: Int
        public let sharedSecretByteCount: Int
        /// The sizes of the three XX messages of a chat handshake in this suite.
        public let handshakeMessageSizes: [Int]
        /// Alice's and Bob's public values and shared secrets of the last exchange.
        public let alicePublic: [UInt8]
        public let bobPublic: [UInt8]
        public let aliceShared: [UInt8]
        public let bobShared: [UInt8]
        /// How many exchanges were timed.
        public let rounds: Int
        /// Microseconds per exchange: both key pairs and both shared secrets.
        public let microsecondsPerExchange: Double
        /// Microseconds of one side's work (one key pair, one shared secret).
        public var microsecondsPerSide: Double { microsecondsPerExchange / 2 }
        /// Whether every timed exchange gave both sides the same secret.
        public let secretsAgree: Bool
    }

    public let small: SmallExchange
    public let measurements: [Measurement]

    /// Works out `numbers` and runs `rounds` exchanges of each real group.
    /// - Throws: `CryptoError` if the primitives refuse their own keys (a bug).
    public init(numbers: SmallNumbers = .classic, rounds: Int = 20, random: any RandomSource = SystemRandomSource()) throws(CryptoError) {
        small = SmallExchange(numbers)
        let ffdhe = FFDHEGroup.ffdhe2048
        measurements = [
            try Self.measure(
                name: ffdhe.name, dh: "FFDHE2048", privateKeyByteCount: ffdhe.privateKeyByteCount,
                publicKeyByteCount: ffdhe.byteCount, rounds: rounds,
                generate: { ffdhe.generatePrivateKey(using: random) },
                publicKey: { (key: [UInt8]) throws(CryptoError) in try ffdhe.publicKey(privateKey: key) },
                agree: { (key: [UInt8], peer: [UInt8]) throws(CryptoError) in try ffdhe.sharedSecret(privateKey: key, publicKey: peer) }),
            try Self.measure(
                name: "x25519", dh: "25519", privateKeyByteCount: X25519.keyByteCount,
                publicKeyByteCount: X25519.keyByteCount, rounds: rounds,
                generate: { random.bytes(count: X25519.keyByteCount) },
                publicKey: { (key: [UInt8]) throws(CryptoError) in try X25519.publicKey(privateKey: key) },
                agree: { (key: [UInt8], peer: [UInt8]) throws(CryptoError) in try X25519.sharedSecret(privateKey: key, publicKey: peer) }),
        ]
    }

    private static func measure(
        name: String, dh: String, privateKeyByteCount: Int, publicKeyByteCount: Int, rounds: Int,
        generate: () -> [UInt8],
        publicKey: ([UInt8]) throws(CryptoError) -> [UInt8],
        agree: ([UInt8], [UInt8]) throws(CryptoError) -> [UInt8]
    ) throws(CryptoError) -> Measurement {
        var agreeing = true
        var last: (alicePublic: [UInt8], bobPublic: [UInt8], aliceShared: [UInt8], bobShared: [UInt8]) = ([], [], [], [])
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<max(1, rounds) {
            let alice = generate(), bob = generate()
            let alicePublic = try publicKey(alice), bobPublic = try publicKey(bob)
            let aliceShared = try agree(alice, bobPublic), bobShared = try agree(bob, alicePublic)
            agreeing = agreeing && aliceShared == bobShared
            last = (alicePublic, bobPublic, aliceShared, bobShared)
        }
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let protocolName = "Noise_XX_\(dh)_ChaChaPoly_SHA256"
        // Force-unwrapped: the name is built from a suite KeyGate speaks.
        let layout = HandshakeLayout(protocolName: try! NoiseProtocolName(protocolName))
        let service = "chat".utf8.count
        return Measurement(
            name: name, protocolName: protocolName, privateKeyByteCount: privateKeyByteCount,
            publicKeyByteCount: publicKeyByteCount, sharedSecretByteCount: last.aliceShared.count,
            handshakeMessageSizes: [
                layout.size(ofMessage: 0, payloadByteCount: 0), layout.size(ofMessage: 1, payloadByteCount: 0),
                layout.size(ofMessage: 2, payloadByteCount: service),
            ],
            alicePublic: last.alicePublic, bobPublic: last.bobPublic, aliceShared: last.aliceShared,
            bobShared: last.bobShared, rounds: max(1, rounds),
            microsecondsPerExchange: seconds * 1e6 / Double(max(1, rounds)), secretsAgree: agreeing)
    }
}
