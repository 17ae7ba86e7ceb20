import KeyGateFTP
import Testing

/// Sizes and rates as command lines give them: K, M, G, T are powers of 1024.
struct ByteSizeTests {
    @Test(arguments: [
        ("0", Int64(0)), ("1048576", 1 << 20), ("512K", 512 << 10), ("512k", 512 << 10), ("10M", 10 << 20),
        ("1.5K", 1536), ("2G", 2 << 30), ("1t", 1 << 40), ("0.5", 0), ("3.", 3),
    ])
    func sizesWithSuffixesArePowersOf1024(text: String, bytes: Int64) {
        #expect(ByteSize.parse(text) == bytes)
    }

    @Test(arguments: ["", "K", "-1", "1e3", "10MB", "1 K", " 1", "0x10", "1.2.3", "nan", "inf", "99999999999T", "１０"])
    func otherTextIsNotASize(text: String) {
        #expect(ByteSize.parse(text) == nil)
    }

    @Test func sizesAreShownWithTheLargestExactSuffix() {
        #expect(ByteSize.format(10 << 20) == "10M")
        #expect(ByteSize.format(1536 << 10) == "1536K")
        #expect(ByteSize.format(1000) == "1000")
        #expect(ByteSize.format(0) == "0")
    }
}
