import KeyGateCrypto
import Testing

/// In a normal build the checker's client requests are compiled out: the
/// calls change nothing and report nothing.
struct ConstantTimeValidationTests {
    @Test func normalBuildsCarryNoClientRequests() {
        #expect(!ConstantTimeValidation.isEnabled)
        #expect(!ConstantTimeValidation.isRunningUnderValgrind)
        #expect(ConstantTimeValidation.errorCount == 0)
    }

    @Test func markingAndDeclassifyingChangeNoValue() {
        let bytes: [UInt8] = [1, 2, 3, 250]
        ConstantTimeValidation.markSecret(bytes)
        #expect(!ConstantTimeValidation.isSecret(bytes))
        ConstantTimeValidation.declassify(bytes)
        #expect(bytes == [1, 2, 3, 250])
        #expect(ConstantTimeValidation.declassify(true))
        #expect(ConstantTimeValidation.declassify(UInt64(0xDEAD_BEEF)) == 0xDEAD_BEEF)
        var value: UInt32 = 7
        ConstantTimeValidation.markSecret(&value)
        #expect(value == 7)
    }
}
