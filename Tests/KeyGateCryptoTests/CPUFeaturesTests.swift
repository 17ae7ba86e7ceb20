import Testing
@testable import KeyGateCrypto

struct CPUFeaturesTests {
    static let all: CPUFeatures = [.avx2, .bmi2, .adx, .sha, .avx512]

    @Test func unsetOrNativeKeepsWhatTheCPUHas() {
        #expect(CPUFeatures.selected(detected: Self.all, setting: nil) == Self.all)
        #expect(CPUFeatures.selected(detected: Self.all, setting: "") == Self.all)
        #expect(CPUFeatures.selected(detected: [.bmi2], setting: "native") == [.bmi2])
    }

    @Test func portableTurnsEveryFeatureOff() {
        #expect(CPUFeatures.selected(detected: Self.all, setting: "portable").isEmpty)
    }

    @Test func avx2LeavesOutAVX512Only() {
        #expect(CPUFeatures.selected(detected: Self.all, setting: "avx2") == [.avx2, .bmi2, .adx, .sha])
        #expect(CPUFeatures.selected(detected: [.bmi2], setting: "avx2") == [.bmi2])
    }

    @Test(arguments: ["Portable", "portabel", "AVX2", "avx512", "yes"])
    func anyOtherValueFailsSafeToPortable(setting: String) {
        #expect(CPUFeatures.selected(detected: Self.all, setting: setting).isEmpty)
    }

    @Test func enabledNeverExceedsDetected() {
        #expect(CPUFeatures.detected.isSuperset(of: CPUFeatures.enabled))
    }

    @Test func descriptionNamesEachFeature() {
        #expect(Self.all.description == "avx2,bmi2,adx,sha,avx512")
        #expect(CPUFeatures().description == "none")
    }

    #if !arch(x86_64)
    @Test func otherArchitecturesReportNoFeatures() {
        #expect(CPUFeatures.detected.isEmpty)
    }
    #endif
}
