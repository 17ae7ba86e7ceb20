// ChaCha20 with AVX-512 on 512-bit registers: sixteen blocks per pass.
// In C for the reason every kernel is (CKeyGateCrypto.h).
//
// Each of the sixteen state words is one 512-bit register whose sixteen
// 32-bit lanes belong to sixteen consecutive blocks; every rotation is one
// vprold. After the rounds, a 4x4 transpose of 32-bit words within each
// 128-bit lane (as in the AVX2 kernel) and then a 4x4 transpose of the
// 128-bit lanes (vshufi32x4) turn the lanes back into serialized blocks,
// XORed straight into the buffer. What is left after the whole 1 KiB
// pieces (up to 1008 bytes: the tail of any message, most of a short
// one) goes to the AVX-512VL kernel on 256-bit registers
// (chacha20_avx512vl.c), whose eight-block and row passes waste less on a
// short tail than a sixteen-block pass would.
//
// Benchmarks/ct-check.sh checks this function's machine code, since
// valgrind cannot run AVX-512: the key, the keystream and the data live
// only in vector registers (broadcast from memory, XORed in memory), no
// vector value moves into a general-purpose register or the flags, no
// general-purpose register is loaded from memory, and the only call is to
// the AVX-512VL kernel, checked in turn. Every branch is on the public
// length.
#include "ckg_chacha20_avx512.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include "ckg_chacha20_avx512vl.h"

#define CKG_AVX512 __attribute__((target("avx2,avx512f,avx512vl")))
#define CKG_AVX512_INLINE __attribute__((always_inline)) inline

static const uint32_t sigma[4] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};

#define QUARTER(a, b, c, d)                                                                             \
    do {                                                                                                \
        a = _mm512_add_epi32(a, b); d = _mm512_rol_epi32(_mm512_xor_si512(d, a), 16);                   \
        c = _mm512_add_epi32(c, d); b = _mm512_rol_epi32(_mm512_xor_si512(b, c), 12);                   \
        a = _mm512_add_epi32(a, b); d = _mm512_rol_epi32(_mm512_xor_si512(d, a), 8);                    \
        c = _mm512_add_epi32(c, d); b = _mm512_rol_epi32(_mm512_xor_si512(b, c), 7);                    \
    } while (0)

/// 4x4 transpose of 32-bit words within each 128-bit lane: afterwards a,
/// b, c, d hold, in lane L, words 0-3 of blocks 4L, 4L+1, 4L+2, 4L+3.
#define TRANSPOSE_WORDS(a, b, c, d)                                                                     \
    do {                                                                                                \
        __m512i t0 = _mm512_unpacklo_epi32(a, b), t1 = _mm512_unpackhi_epi32(a, b);                     \
        __m512i t2 = _mm512_unpacklo_epi32(c, d), t3 = _mm512_unpackhi_epi32(c, d);                     \
        a = _mm512_unpacklo_epi64(t0, t2); b = _mm512_unpackhi_epi64(t0, t2);                           \
        c = _mm512_unpacklo_epi64(t1, t3); d = _mm512_unpackhi_epi64(t1, t3);                           \
    } while (0)

CKG_AVX512 static CKG_AVX512_INLINE void xor64(uint8_t *out, __m512i keystream) {
    _mm512_storeu_si512(out, _mm512_xor_si512(_mm512_loadu_si512(out), keystream));
}

/// Words 0-3, 4-7, 8-11 and 12-15 (lane L of w0, w4, w8, w12: block 4L + k
/// after TRANSPOSE_WORDS) made into the four blocks k, 4 + k, 8 + k and
/// 12 + k, XORed into `out` + 64 k: a 4x4 transpose of 128-bit lanes.
CKG_AVX512 static CKG_AVX512_INLINE void xor_lanes(uint8_t *out, __m512i w0, __m512i w4, __m512i w8, __m512i w12) {
    const __m512i t0 = _mm512_shuffle_i32x4(w0, w4, 0x44), t1 = _mm512_shuffle_i32x4(w0, w4, 0xee);
    const __m512i t2 = _mm512_shuffle_i32x4(w8, w12, 0x44), t3 = _mm512_shuffle_i32x4(w8, w12, 0xee);
    xor64(out + 0 * 256, _mm512_shuffle_i32x4(t0, t2, 0x88));
    xor64(out + 1 * 256, _mm512_shuffle_i32x4(t0, t2, 0xdd));
    xor64(out + 2 * 256, _mm512_shuffle_i32x4(t1, t3, 0x88));
    xor64(out + 3 * 256, _mm512_shuffle_i32x4(t1, t3, 0xdd));
}

/// Blocks counter ..< counter + 16 XORed into the 1024 bytes at `out`.
CKG_AVX512 static CKG_AVX512_INLINE void sixteen_blocks(uint8_t *out, const uint32_t key[8], const uint32_t nonce[3],
                                                        uint32_t counter) {
    const __m512i s0 = _mm512_set1_epi32((int)sigma[0]), s1 = _mm512_set1_epi32((int)sigma[1]);
    const __m512i s2 = _mm512_set1_epi32((int)sigma[2]), s3 = _mm512_set1_epi32((int)sigma[3]);
    const __m512i k0 = _mm512_set1_epi32((int)key[0]), k1 = _mm512_set1_epi32((int)key[1]);
    const __m512i k2 = _mm512_set1_epi32((int)key[2]), k3 = _mm512_set1_epi32((int)key[3]);
    const __m512i k4 = _mm512_set1_epi32((int)key[4]), k5 = _mm512_set1_epi32((int)key[5]);
    const __m512i k6 = _mm512_set1_epi32((int)key[6]), k7 = _mm512_set1_epi32((int)key[7]);
    const __m512i ctr = _mm512_add_epi32(_mm512_set1_epi32((int)counter),
                                         _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    const __m512i n0 = _mm512_set1_epi32((int)nonce[0]), n1 = _mm512_set1_epi32((int)nonce[1]);
    const __m512i n2 = _mm512_set1_epi32((int)nonce[2]);

    __m512i x0 = s0, x1 = s1, x2 = s2, x3 = s3, x4 = k0, x5 = k1, x6 = k2, x7 = k3;
    __m512i x8 = k4, x9 = k5, x10 = k6, x11 = k7, x12 = ctr, x13 = n0, x14 = n1, x15 = n2;
    for (int round = 0; round < 10; round++) {
        QUARTER(x0, x4, x8, x12);
        QUARTER(x1, x5, x9, x13);
        QUARTER(x2, x6, x10, x14);
        QUARTER(x3, x7, x11, x15);
        QUARTER(x0, x5, x10, x15);
        QUARTER(x1, x6, x11, x12);
        QUARTER(x2, x7, x8, x13);
        QUARTER(x3, x4, x9, x14);
    }
    x0 = _mm512_add_epi32(x0, s0); x1 = _mm512_add_epi32(x1, s1);
    x2 = _mm512_add_epi32(x2, s2); x3 = _mm512_add_epi32(x3, s3);
    x4 = _mm512_add_epi32(x4, k0); x5 = _mm512_add_epi32(x5, k1);
    x6 = _mm512_add_epi32(x6, k2); x7 = _mm512_add_epi32(x7, k3);
    x8 = _mm512_add_epi32(x8, k4); x9 = _mm512_add_epi32(x9, k5);
    x10 = _mm512_add_epi32(x10, k6); x11 = _mm512_add_epi32(x11, k7);
    x12 = _mm512_add_epi32(x12, ctr); x13 = _mm512_add_epi32(x13, n0);
    x14 = _mm512_add_epi32(x14, n1); x15 = _mm512_add_epi32(x15, n2);

    TRANSPOSE_WORDS(x0, x1, x2, x3);
    TRANSPOSE_WORDS(x4, x5, x6, x7);
    TRANSPOSE_WORDS(x8, x9, x10, x11);
    TRANSPOSE_WORDS(x12, x13, x14, x15);
    xor_lanes(out + 0 * 64, x0, x4, x8, x12);
    xor_lanes(out + 1 * 64, x1, x5, x9, x13);
    xor_lanes(out + 2 * 64, x2, x6, x10, x14);
    xor_lanes(out + 3 * 64, x3, x7, x11, x15);
}

CKG_AVX512 void ckg_chacha20_avx512_xor(uint8_t *buffer, size_t count, const uint32_t key[8], const uint32_t nonce[3],
                                        uint32_t counter) {
    while (count >= 1024) {
        sixteen_blocks(buffer, key, nonce, counter);
        buffer += 1024;
        count -= 1024;
        counter += 16;
    }
    if (count > 0) {
        ckg_chacha20_avx512vl_xor(buffer, count, key, nonce, counter);
    }
}

#else

void ckg_chacha20_avx512_xor(uint8_t *buffer, size_t count, const uint32_t key[8], const uint32_t nonce[3],
                             uint32_t counter) {
    (void)buffer, (void)count, (void)key, (void)nonce, (void)counter;
    __builtin_trap();
}

#endif
