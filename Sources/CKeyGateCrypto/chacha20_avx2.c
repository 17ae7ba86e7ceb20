// ChaCha20 with AVX2, in C because the kernel needs AVX2 instructions in a
// binary that otherwise targets baseline x86-64 (see CKeyGateCrypto.h).
// The passes are in chacha20_vector_body.h, shared with the AVX-512VL
// kernel; here the rotations by 16 and 8 are byte shuffles (vpshufb), by
// 12 and 7 two shifts and an OR.
#include "ckg_chacha20_avx2.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#define CKG_CHACHA20_TARGET __attribute__((target("avx2")))
#define CKG_CHACHA20_XOR ckg_chacha20_avx2_xor

/// vpshufb as an asm statement. With the intrinsic, the compiler rewrites
/// the rotation by 16 as two shuffles (vpshuflw and vpshufhw) and moves the
/// rotation by 8 ahead of the XOR before it, shuffling both operands: four
/// shuffles where the rounds need two, on the one port that runs them.
CKG_CHACHA20_TARGET static inline __m256i shuffle_bytes(__m256i x, __m256i pattern) {
    __m256i shuffled;
    __asm__("vpshufb %2, %1, %0" : "=x"(shuffled) : "x"(x), "xm"(pattern));
    return shuffled;
}

static const uint8_t rotate16_pattern[32] __attribute__((aligned(32))) = {
    2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13};
static const uint8_t rotate8_pattern[32] __attribute__((aligned(32))) = {
    3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14, 3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14};

CKG_CHACHA20_TARGET static inline __m256i rotate16(__m256i x) {
    return shuffle_bytes(x, _mm256_load_si256((const __m256i *)rotate16_pattern));
}

CKG_CHACHA20_TARGET static inline __m256i rotate8(__m256i x) {
    return shuffle_bytes(x, _mm256_load_si256((const __m256i *)rotate8_pattern));
}

CKG_CHACHA20_TARGET static inline __m256i rotate_shifting(__m256i x, int count) {
    return _mm256_or_si256(_mm256_slli_epi32(x, count), _mm256_srli_epi32(x, 32 - count));
}

#define CKG_CHACHA20_ROTATE16(x) rotate16(x)
#define CKG_CHACHA20_ROTATE8(x) rotate8(x)
#define CKG_CHACHA20_ROTATE12(x) rotate_shifting((x), 12)
#define CKG_CHACHA20_ROTATE7(x) rotate_shifting((x), 7)

#include "chacha20_vector_body.h"

#else

void ckg_chacha20_avx2_xor(uint8_t *buffer, size_t count, const uint32_t key[8], const uint32_t nonce[3],
                           uint32_t counter) {
    (void)buffer, (void)count, (void)key, (void)nonce, (void)counter;
    __builtin_trap();
}

#endif
