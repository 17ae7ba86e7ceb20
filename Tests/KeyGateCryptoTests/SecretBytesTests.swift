import KeyGateCrypto
import Testing

/// Secrets live in storage of their own, wiped when the last owner goes.
struct SecretBytesTests {
    /// Reads the freed buffer through a pointer kept past the object's life:
    /// undefined behaviour in general, but the allocator here keeps small
    /// freed blocks mapped, and what matters is that the bytes were zeroed
    /// before the memory went back. Only the bytes past the allocator's own
    /// bookkeeping (the first 16 of a freed block) are looked at.
    @Test func theStorageIsWipedWhenTheLastOwnerLetsGo() {
        var pointer: UnsafeRawPointer?
        do {
            let secret = SecretBytes(count: 64) { buffer in
                for index in buffer.indices { buffer[index] = 0xA5 }
            }
            pointer = secret.withUnsafeBytes { $0.baseAddress }
            #expect(secret.withUnsafeBytes { $0.allSatisfy { $0 == 0xA5 } })
        }
        let after = UnsafeRawBufferPointer(start: pointer! + 16, count: 48)
        #expect(!after.contains(0xA5), "no byte of the secret is left where it was")
    }

    @Test func wipingAnArrayZeroesItsBufferAndEmptiesIt() {
        var bytes = [UInt8](repeating: 0x5A, count: 32)
        let secret = SecretBytes(wiping: &bytes)
        #expect(bytes.isEmpty)
        #expect(secret.withUnsafeBytes { Array($0) } == [UInt8](repeating: 0x5A, count: 32))
    }

    @Test func equalityIsOfContentsAndDescriptionsHideThem() {
        let a = SecretBytes([1, 2, 3])
        #expect(a.isEqual(to: SecretBytes([1, 2, 3])))
        #expect(!a.isEqual(to: SecretBytes([1, 2, 4])))
        #expect(!a.isEqual(to: SecretBytes([1, 2])))
        #expect("\(a)" == "<3 secret bytes>")
        #expect(SecretBytes.random(count: 32).count == 32)
        #expect(SecretBytes([]).count == 0)
    }
}
