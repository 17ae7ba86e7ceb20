// CPU features the cryptographic kernels can use, read once with CPUID.
// Constants rather than macros, so that Swift imports them.
#ifndef CKG_CPU_FEATURES_H
#define CKG_CPU_FEATURES_H

#include <stdint.h>

/// 256-bit integer vectors (AVX2), with the operating system saving the
/// YMM registers (OSXSAVE and XCR0).
static const uint32_t CKG_CPU_AVX2 = 1;
/// BMI2: mulx, the flag-preserving 64x64->128 multiply, and shrx/rorx.
static const uint32_t CKG_CPU_BMI2 = 2;
/// ADX: adcx/adox, two independent carry chains.
static const uint32_t CKG_CPU_ADX = 4;
/// The SHA extensions (sha256rnds2, sha256msg1/2), with SSSE3 and SSE4.1.
static const uint32_t CKG_CPU_SHA = 8;
/// AVX-512 Foundation, BW and VL (512-bit registers, byte masks, and the
/// same instructions on 256-bit ones), with
/// AVX2 and the operating system saving the opmask and ZMM registers.
static const uint32_t CKG_CPU_AVX512 = 16;

/// The features of the CPU this process runs on, as CKG_CPU_* bits: zero
/// on anything but x86-64. Under valgrind the answer is valgrind's
/// synthetic CPU (3.19 reports AVX2 and BMI2, not ADX, SHA or AVX-512).
uint32_t ckg_cpu_features(void);

#endif
