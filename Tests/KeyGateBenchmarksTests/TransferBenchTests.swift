@testable import KeyGateBenchmarks
import Testing

struct TransferBenchTests {
    @Test func sizesAreBytesOrPowersOf1024() {
        #expect(TransferBench.byteCount(parsing: "0") == 0)
        #expect(TransferBench.byteCount(parsing: "1073741824") == 1 << 30)
        #expect(TransferBench.byteCount(parsing: "512k") == 512 << 10)
        #expect(TransferBench.byteCount(parsing: "256M") == 256 << 20)
        #expect(TransferBench.byteCount(parsing: "1G") == 1 << 30)
        for wrong in ["", "M", "-1", "1.5G", "1T", "99999999999999999999G"] {
            #expect(TransferBench.byteCount(parsing: wrong) == nil, "\(wrong)")
        }
    }
}
