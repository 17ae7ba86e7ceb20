#include "ckg_cpu_features.h"

#if defined(__x86_64__)
#include <cpuid.h>

/// XCR0, the state components the operating system saves on a context
/// switch (xgetbv with ECX = 0). Read only when CPUID reports OSXSAVE.
static uint64_t read_xcr0(void) {
    uint32_t low, high;
    __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    return ((uint64_t)high << 32) | low;
}

uint32_t ckg_cpu_features(void) {
    unsigned int eax, ebx, ecx, edx;
    if (__get_cpuid_max(0, 0) < 7) {
        return 0;
    }
    __cpuid(1, eax, ebx, ecx, edx);
    const int ssse3 = (ecx >> 9) & 1, sse41 = (ecx >> 19) & 1;
    const int osxsave = (ecx >> 27) & 1, avx = (ecx >> 28) & 1;
    // XMM (bit 1) and YMM (bit 2) state saved by the kernel.
    const uint64_t xcr0 = osxsave ? read_xcr0() : 0;
    const int ymmSaved = (xcr0 & 6) == 6;
    // And the opmask (bit 5) and upper ZMM (bits 6, 7) state, which every
    // AVX-512 instruction needs, even on 256-bit registers.
    const int avx512Saved = ymmSaved && (xcr0 & 0xe0) == 0xe0;

    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    uint32_t features = 0;
    if (avx && ymmSaved && ((ebx >> 5) & 1)) {
        features |= CKG_CPU_AVX2;
    }
    // AVX-512 Foundation (bit 16), Byte and Word (bit 30) and Vector
    // Length extensions (bit 31).
    if ((features & CKG_CPU_AVX2) && avx512Saved && ((ebx >> 16) & 1) && ((ebx >> 30) & 1) && ((ebx >> 31) & 1)) {
        features |= CKG_CPU_AVX512;
    }
    if ((ebx >> 8) & 1) {
        features |= CKG_CPU_BMI2;
    }
    if ((ebx >> 19) & 1) {
        features |= CKG_CPU_ADX;
    }
    if (((ebx >> 29) & 1) && ssse3 && sse41) {
        features |= CKG_CPU_SHA;
    }
    return features;
}

#else

uint32_t ckg_cpu_features(void) {
    return 0;
}

#endif
