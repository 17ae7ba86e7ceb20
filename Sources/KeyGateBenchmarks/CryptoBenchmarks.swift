import KeyGateSystem
import KeyGateCrypto

/// The primitive benchmarks, named like `openssl speed`'s figures so the two
/// can be compared side by side.
enum CryptoBenchmarks {
    static var all: [SpeedBenchmark] {
        [
            sha256(byteCount: 16 * 1024, name: "sha256-16k"),
            hmac(byteCount: 1024, name: "hmac-sha256-1k"),
            chaChaPoly(byteCount: 1024, name: "chacha20poly1305-1k"),
            chaChaPoly(byteCount: 16 * 1024, name: "chacha20poly1305-16k"),
            chaChaPoly(byteCount: 65519, name: "chacha20poly1305-64k"),
            chaCha20(byteCount: 16 * 1024, name: "chacha20-16k"),
            poly1305(byteCount: 16 * 1024, name: "poly1305-16k"),
            x25519(),
            ffdhe(.ffdhe2048),
            ffdhe(.ffdhe3072),
        ]
    }

    static func sha256(byteCount: Int, name: String) -> SpeedBenchmark {
        SpeedBenchmark.direct(name: name, unit: .megabytesPerSecond(bytesPerOperation: byteCount)) {
            let message = SecureRandom.bytes(count: byteCount)
            return { consume(SHA256.hash(message)) }
        }
    }

    static func hmac(byteCount: Int, name: String) -> SpeedBenchmark {
        SpeedBenchmark.direct(name: name, unit: .megabytesPerSecond(bytesPerOperation: byteCount)) {
            let key = SecureRandom.bytes(count: 32)
            let message = SecureRandom.bytes(count: byteCount)
            return { consume(HMACSHA256.authenticate(key: key, message: message)) }
        }
    }

    /// Seals in place, as a transport would: no allocation per message.
    static func chaChaPoly(byteCount: Int, name: String) -> SpeedBenchmark {
        SpeedBenchmark.direct(name: name, unit: .megabytesPerSecond(bytesPerOperation: byteCount)) {
            let key = try ChaCha20.Key(SecureRandom.bytes(count: 32))
            let buffer = SealBuffer(byteCount: byteCount)
            return {
                buffer.counter &+= 1
                ChaChaPoly.seal(
                    buffer.body, tag: buffer.tag, key: key,
                    nonce: ChaCha20.Nonce(noiseCounter: buffer.counter), aad: UnsafeRawBufferPointer(start: nil, count: 0))
            }
        }
    }

    static func chaCha20(byteCount: Int, name: String) -> SpeedBenchmark {
        SpeedBenchmark.direct(name: name, unit: .megabytesPerSecond(bytesPerOperation: byteCount)) {
            let key = try ChaCha20.Key(SecureRandom.bytes(count: 32))
            let buffer = SealBuffer(byteCount: byteCount)
            return {
                ChaCha20.xorKeyStream(buffer.body, key: key, nonce: ChaCha20.Nonce(noiseCounter: 1), counter: 1)
            }
        }
    }

    static func poly1305(byteCount: Int, name: String) -> SpeedBenchmark {
        SpeedBenchmark.direct(name: name, unit: .megabytesPerSecond(bytesPerOperation: byteCount)) {
            let key = SecureRandom.bytes(count: 32)
            let message = SecureRandom.bytes(count: byteCount)
            return { consume(try Poly1305.authenticate(message: message, key: key)) }
        }
    }

    static func x25519() -> SpeedBenchmark {
        SpeedBenchmark.direct(name: "x25519", unit: .operationsPerSecond(label: "shared secrets/s")) {
            let privateKey = SecureRandom.bytes(count: 32)
            let peer = try X25519.publicKey(privateKey: SecureRandom.bytes(count: 32))
            return { consume(try X25519.sharedSecret(privateKey: privateKey, publicKey: peer)) }
        }
    }

    static func ffdhe(_ group: FFDHEGroup) -> SpeedBenchmark {
        SpeedBenchmark.direct(name: group.name, unit: .operationsPerSecond(label: "shared secrets/s")) {
            let privateKey = group.generatePrivateKey()
            let peer = try group.publicKey(privateKey: group.generatePrivateKey())
            return { consume(try group.sharedSecret(privateKey: privateKey, publicKey: peer)) }
        }
    }
}

/// A reusable message buffer with room for the tag, for in-place sealing.
final class SealBuffer: @unchecked Sendable {
    // Unchecked: used by one benchmark loop at a time, never concurrently.
    let storage: UnsafeMutableRawBufferPointer
    let byteCount: Int
    var counter: UInt64 = 0

    init(byteCount: Int) {
        self.byteCount = byteCount
        storage = .allocate(byteCount: byteCount + ChaChaPoly.tagByteCount, alignment: 16)
        storage.initializeMemory(as: UInt8.self, repeating: 0x5a)
    }

    deinit { storage.deallocate() }

    var body: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(rebasing: storage[0..<byteCount]) }
    var tag: UnsafeMutableRawPointer { storage.baseAddress! + byteCount }
}
