// ChaCha20 with AVX-512VL on 256-bit registers: the AVX2 kernel's passes
// (chacha20_vector_body.h) with every rotation one vprold instead of a
// byte shuffle or two shifts and an OR, and with sixteen more vector
// registers (ymm16-31) for the compiler, so that the eight-block pass no
// longer spills. It stays at 256 bits: the same eight blocks per pass and
// the same transposes, hence the same source as the AVX2 kernel, which
// the constant-time check runs under valgrind (valgrind has no AVX-512).
// What only this kernel executes, vprold, takes the same time whatever
// its operand. In C for the reason every kernel is (CKeyGateCrypto.h).
#include "ckg_chacha20_avx512vl.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#define CKG_CHACHA20_TARGET __attribute__((target("avx2,avx512f,avx512vl")))
#define CKG_CHACHA20_XOR ckg_chacha20_avx512vl_xor
#define CKG_CHACHA20_ROTATE16(x) _mm256_rol_epi32((x), 16)
#define CKG_CHACHA20_ROTATE8(x) _mm256_rol_epi32((x), 8)
#define CKG_CHACHA20_ROTATE12(x) _mm256_rol_epi32((x), 12)
#define CKG_CHACHA20_ROTATE7(x) _mm256_rol_epi32((x), 7)

#include "chacha20_vector_body.h"

#else

void ckg_chacha20_avx512vl_xor(uint8_t *buffer, size_t count, const uint32_t key[8], const uint32_t nonce[3],
                               uint32_t counter) {
    (void)buffer, (void)count, (void)key, (void)nonce, (void)counter;
    __builtin_trap();
}

#endif
