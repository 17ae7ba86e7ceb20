import Testing
@testable import KeyGateCrypto

/// The SHA-NI compression function against the portable one: the same
/// digests and tags for every length and every way of feeding the message.
/// The FIPS vectors in SHA256Tests run on whichever path this process
/// selected; these run both paths explicitly.
struct SHA256ImplementationTests {
    static let hasSHAExtensions = CPUFeatures.detected.contains(.sha)

    static func digest(_ message: [UInt8], by implementation: SHA256.Implementation) -> [UInt8] {
        var hasher = SHA256Hasher(implementation: implementation)
        hasher.update(message)
        return hasher.finalize()
    }

    static func tag(key: [UInt8], message: [UInt8], by implementation: SHA256.Implementation) -> [UInt8] {
        var authenticator = key.withUnsafeBytes { HMACSHA256.Authenticator(key: $0, implementation: implementation) }
        authenticator.update(message)
        return authenticator.finalize()
    }

    /// Random test input, from the kernel's generator in one call (a
    /// byte-by-byte loop in the unoptimized test build costs seconds).
    static func randomBytes(_ count: Int) -> [UInt8] {
        SecureRandom.bytes(count: count)
    }

    @Test func stateIsEightContiguousWordsAsTheKernelReadsIt() {
        #expect(MemoryLayout<SHA256.State>.size == 32)
        #expect(MemoryLayout<SHA256.State>.offset(of: \SHA256.State.h0) == 0)
        #expect(MemoryLayout<SHA256.State>.offset(of: \SHA256.State.h4) == 16)
        #expect(MemoryLayout<SHA256.State>.offset(of: \SHA256.State.h7) == 28)
    }

    @Test func selectedImplementationFollowsTheEnabledFeatures() {
        let expected: SHA256.Implementation = CPUFeatures.enabled.contains(.sha) ? .shaExtensions : .portable
        #expect(SHA256.Implementation.selected == expected)
    }

    @Test(.enabled(if: hasSHAExtensions, "the CPU has no SHA extensions"))
    func everyLengthUpTo4096BytesMatchesPortable() {
        let message = Self.randomBytes(4096)
        for length in 0...4096 {
            let prefix = Array(message[..<length])
            #expect(Self.digest(prefix, by: .shaExtensions) == Self.digest(prefix, by: .portable), "length \(length)")
        }
    }

    @Test(.enabled(if: hasSHAExtensions, "the CPU has no SHA extensions"), arguments: [1 << 20, (1 << 20) + 7, 3 * 65_536 + 63])
    func largeMessagesMatchPortable(length: Int) {
        let message = Self.randomBytes(length)
        #expect(Self.digest(message, by: .shaExtensions) == Self.digest(message, by: .portable))
    }

    @Test(.enabled(if: hasSHAExtensions, "the CPU has no SHA extensions"))
    func updatesSplitAtRandomPointsMatchOneShotPortable() {
        for _ in 0..<200 {
            let message = Self.randomBytes(Int.random(in: 0...3000))
            var hasher = SHA256Hasher(implementation: .shaExtensions)
            var offset = 0
            while offset < message.count {
                let piece = Int.random(in: 0...min(200, message.count - offset))
                hasher.update(Array(message[offset..<(offset + piece)]))
                offset += piece
            }
            #expect(hasher.finalize() == Self.digest(message, by: .portable), "\(message.count) bytes")
        }
    }

    @Test(.enabled(if: hasSHAExtensions, "the CPU has no SHA extensions"))
    func hmacMatchesPortableForEveryMessageLengthAndKeySize() {
        let message = Self.randomBytes(4096)
        let keys = [0, 1, 16, 32, 63, 64, 65, 200].map(Self.randomBytes)
        for length in 0...4096 {
            let key = keys[length % keys.count]
            let prefix = Array(message[..<length])
            #expect(Self.tag(key: key, message: prefix, by: .shaExtensions) == Self.tag(key: key, message: prefix, by: .portable),
                    "key \(key.count) bytes, message \(length) bytes")
        }
    }

    @Test func portableMatchesTheFIPSVectors() {
        for vector in SHA256Tests.fipsVectors {
            #expect(Self.digest(vector.message, by: .portable) == vector.digest, "\(vector.name)")
        }
    }

    @Test(.enabled(if: hasSHAExtensions, "the CPU has no SHA extensions"))
    func shaExtensionsMatchTheFIPSVectors() {
        for vector in SHA256Tests.fipsVectors {
            #expect(Self.digest(vector.message, by: .shaExtensions) == vector.digest, "\(vector.name)")
        }
    }
}
