import KeyGateCrypto
@testable import KeyGateNoise
import Testing

struct CipherStateTests {
    let key = [UInt8](repeating: 7, count: 32)

    @Test func roundTripAdvancesBothNonces() throws {
        var sender = try CipherState(key: key)
        var receiver = try CipherState(key: key)
        for index in 0..<5 {
            let message = Array("message \(index)".utf8)
            let sealed = try sender.encrypt(message, associatedData: [1, 2])
            #expect(sealed.count == message.count + 16)
            #expect(try receiver.decrypt(sealed, associatedData: [1, 2]) == message)
        }
        #expect(sender.nonce == 5)
        #expect(receiver.nonce == 5)
    }

    @Test func nonceDoesNotAdvanceOnFailedDecrypt() throws {
        var sender = try CipherState(key: key)
        var receiver = try CipherState(key: key)
        let genuine = try sender.encrypt(Array("hello".utf8), associatedData: [])
        var forged = genuine
        forged[0] ^= 1
        #expect(throws: NoiseError.decryptionFailed) { try receiver.decrypt(forged, associatedData: []) }
        #expect(receiver.nonce == 0)
        // The genuine message still decrypts after the failure.
        #expect(try receiver.decrypt(genuine, associatedData: []) == Array("hello".utf8))
        #expect(receiver.nonce == 1)
    }

    @Test func failedInPlaceDecryptLeavesBufferAndNonceUntouched() throws {
        var sender = try CipherState(key: key)
        var receiver = try CipherState(key: key)
        let sealed = try sender.encrypt(Array("in place".utf8), associatedData: [])
        var body = Array(sealed.dropLast(16))
        var tag = Array(sealed.suffix(16))
        tag[3] ^= 0x80
        let before = body
        #expect(throws: NoiseError.decryptionFailed) {
            try body.withUnsafeMutableBytes { body in
                try tag.withUnsafeBytes { tag in try receiver.decrypt(inPlace: body, tag: tag.baseAddress!) }
            }
        }
        #expect(body == before)
        #expect(receiver.nonce == 0)
    }

    @Test func replayedMessageFails() throws {
        var sender = try CipherState(key: key)
        var receiver = try CipherState(key: key)
        let first = try sender.encrypt([1], associatedData: [])
        _ = try receiver.decrypt(first, associatedData: [])
        #expect(throws: NoiseError.decryptionFailed) { try receiver.decrypt(first, associatedData: []) }
    }

    @Test func reorderedMessagesFail() throws {
        var sender = try CipherState(key: key)
        var receiver = try CipherState(key: key)
        let first = try sender.encrypt([1], associatedData: [])
        let second = try sender.encrypt([2], associatedData: [])
        #expect(throws: NoiseError.decryptionFailed) { try receiver.decrypt(second, associatedData: []) }
        #expect(try receiver.decrypt(first, associatedData: []) == [1])
        #expect(try receiver.decrypt(second, associatedData: []) == [2])
    }

    @Test func nonceNeverWrapsEncrypting() throws {
        var sender = try CipherState(key: key)
        sender.setNonce(CipherState.maximumNonce)
        _ = try sender.encrypt([1], associatedData: [])
        #expect(sender.nonce == UInt64.max)
        #expect(throws: NoiseError.nonceExhausted) { try sender.encrypt([2], associatedData: []) }
        #expect(sender.nonce == UInt64.max)
    }

    @Test func reservedNonceIsRefusedDecrypting() throws {
        var receiver = try CipherState(key: key)
        receiver.setNonce(.max)
        #expect(throws: NoiseError.nonceExhausted) { try receiver.decrypt([UInt8](repeating: 0, count: 16), associatedData: []) }
    }

    @Test func withoutKeyEncryptionIsIdentity() throws {
        var state = CipherState()
        #expect(!state.hasKey)
        #expect(try state.encrypt([1, 2, 3], associatedData: [9]) == [1, 2, 3])
        #expect(try state.decrypt([4, 5], associatedData: []) == [4, 5])
        #expect(state.nonce == 0)
    }

    @Test func wrongKeyLengthIsRejected() {
        #expect(throws: NoiseError.self) { try CipherState(key: [1, 2, 3]) }
    }

    @Test func messagesShorterThanTheTagFail() throws {
        var receiver = try CipherState(key: key)
        #expect(throws: NoiseError.decryptionFailed) { try receiver.decrypt([1, 2, 3], associatedData: []) }
        #expect(receiver.nonce == 0)
    }

    @Test func oversizeMessagesAreRefused() throws {
        var sender = try CipherState(key: key)
        let tooLong = [UInt8](repeating: 0, count: 65535 - 16 + 1)
        #expect(throws: NoiseError.messageTooLong(65536)) { try sender.encrypt(tooLong, associatedData: []) }
        #expect(sender.nonce == 0)
        let largest = [UInt8](repeating: 0, count: 65535 - 16)
        #expect(try sender.encrypt(largest, associatedData: []).count == 65535)
    }

    @Test func rekeyChangesTheKeyOnBothSidesAlike() throws {
        var sender = try CipherState(key: key)
        var receiver = try CipherState(key: key)
        try sender.rekey()
        let sealed = try sender.encrypt([42], associatedData: [])
        #expect(throws: NoiseError.decryptionFailed) { try receiver.decrypt(sealed, associatedData: []) }
        try receiver.rekey()
        #expect(try receiver.decrypt(sealed, associatedData: []) == [42])
    }
}
