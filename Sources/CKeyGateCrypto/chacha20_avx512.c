// ChaCha20 with AVX-512 on 512-bit registers: sixteen blocks per pass.
// In C for the reason every kernel is (CKeyGateCrypto.h).
//
// Each of the sixteen state words is one 512-bit register whose sixteen
// 32-bit lanes belong to sixteen consecutive blocks; every rotation is one
// vprold. After the rounds, a 4x4 transpose of 32-bit words within each
// 128-bit lane (as in the AVX2 kernel) and then a 4x4 transpose of the
// 128-bit lanes (vshufi32x4) turn the lanes back into serialized blocks,
// XORed straight into the buffer. Up to 128 bytes after the last whole
// 1 KiB piece take two more blocks in the same pass, a row pass on
// 256-bit registers interleaved with its rounds, and masked byte loads and
// stores. A longer rest (up to 1023 bytes, or a message shorter than
// 1 KiB) goes to the AVX-512VL kernel on 256-bit registers
// (chacha20_avx512vl.c), whose eight-block and row passes waste less on it
// than a sixteen-block pass would.
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

#define CKG_AVX512 __attribute__((target("avx2,avx512f,avx512vl,avx512bw")))
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

/// A quarter round on the rows of two blocks side by side (one per 128-bit
/// half), as the AVX2 kernel's row pass does it.
#define ROW_QUARTER(a, b, c, d)                                                                         \
    do {                                                                                                \
        a = _mm256_add_epi32(a, b); d = _mm256_rol_epi32(_mm256_xor_si256(d, a), 16);                   \
        c = _mm256_add_epi32(c, d); b = _mm256_rol_epi32(_mm256_xor_si256(b, c), 12);                   \
        a = _mm256_add_epi32(a, b); d = _mm256_rol_epi32(_mm256_xor_si256(d, a), 8);                    \
        c = _mm256_add_epi32(c, d); b = _mm256_rol_epi32(_mm256_xor_si256(b, c), 7);                    \
    } while (0)

/// XORs the `count` (at most 32) bytes at `out` with the first bytes of
/// `keystream`: a masked load and store, no byte loop.
CKG_AVX512 static CKG_AVX512_INLINE void xor_partial32(uint8_t *out, __m256i keystream, size_t count) {
    const __mmask32 mask = (__mmask32)((UINT64_C(1) << count) - 1);
    const __m256i data = _mm256_maskz_loadu_epi8(mask, out);
    _mm256_mask_storeu_epi8(out, mask, _mm256_xor_si256(data, keystream));
}

/// The bytes of `count` (0 ... 128) past `from`, clamped to one 32-byte
/// piece: what piece `from` / 32 of a tail holds.
static inline size_t piece(size_t count, size_t from) {
    const size_t left = count > from ? count - from : 0;
    return left < 32 ? left : 32;
}

/// Blocks counter ..< counter + 16 XORed into the 1024 bytes at `out`;
/// with `with_tail` (a constant at each call, so that the pass without it
/// has no trace of it), also blocks counter + 16 and + 17, in a row pass
/// whose instructions run between the sixteen-block rounds, XORed into the
/// `tail` bytes (1 ... 128) after them. The sixteen-block pass alone leaves
/// most execution ports idle while each of its rounds waits on the one
/// before, so the two extra blocks cost far less than a pass of their own.
CKG_AVX512 static CKG_AVX512_INLINE void sixteen_blocks(uint8_t *out, const uint32_t key[8], const uint32_t nonce[3],
                                                        uint32_t counter, int with_tail, size_t tail) {
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

    const __m256i row0 = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)sigma));
    const __m256i row1 = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)key));
    const __m256i row2 = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(key + 4)));
    // Row 3: the counter, then the nonce's three words (a masked load of
    // exactly twelve bytes, moved up one word).
    const __m128i nonce_words = _mm_slli_si128(_mm_maskz_loadu_epi32(0x7, nonce), 4);
    const __m256i counters = _mm256_add_epi32(_mm256_set1_epi32((int)(counter + 16)), _mm256_setr_epi32(0, 0, 0, 0, 1, 0, 0, 0));
    const __m256i row3 = _mm256_blend_epi32(_mm256_broadcastsi128_si256(nonce_words), counters, 0x11);

    __m512i x0 = s0, x1 = s1, x2 = s2, x3 = s3, x4 = k0, x5 = k1, x6 = k2, x7 = k3;
    __m512i x8 = k4, x9 = k5, x10 = k6, x11 = k7, x12 = ctr, x13 = n0, x14 = n1, x15 = n2;
    __m256i a = row0, b = row1, c = row2, d = row3;
    for (int round = 0; round < 10; round++) {
        QUARTER(x0, x4, x8, x12);
        QUARTER(x1, x5, x9, x13);
        if (with_tail) {
            ROW_QUARTER(a, b, c, d);
        }
        QUARTER(x2, x6, x10, x14);
        QUARTER(x3, x7, x11, x15);
        if (with_tail) {
            b = _mm256_shuffle_epi32(b, 0x39); c = _mm256_shuffle_epi32(c, 0x4e); d = _mm256_shuffle_epi32(d, 0x93);
        }
        QUARTER(x0, x5, x10, x15);
        QUARTER(x1, x6, x11, x12);
        if (with_tail) {
            ROW_QUARTER(a, b, c, d);
        }
        QUARTER(x2, x7, x8, x13);
        QUARTER(x3, x4, x9, x14);
        if (with_tail) {
            b = _mm256_shuffle_epi32(b, 0x93); c = _mm256_shuffle_epi32(c, 0x4e); d = _mm256_shuffle_epi32(d, 0x39);
        }
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

    if (with_tail) {
        a = _mm256_add_epi32(a, row0); b = _mm256_add_epi32(b, row1);
        c = _mm256_add_epi32(c, row2); d = _mm256_add_epi32(d, row3);
        uint8_t *rest = out + 1024;
        xor_partial32(rest, _mm256_permute2x128_si256(a, b, 0x20), piece(tail, 0));
        xor_partial32(rest + 32, _mm256_permute2x128_si256(c, d, 0x20), piece(tail, 32));
        xor_partial32(rest + 64, _mm256_permute2x128_si256(a, b, 0x31), piece(tail, 64));
        xor_partial32(rest + 96, _mm256_permute2x128_si256(c, d, 0x31), piece(tail, 96));
    }
}

CKG_AVX512 void ckg_chacha20_avx512_xor(uint8_t *buffer, size_t count, const uint32_t key[8], const uint32_t nonce[3],
                                        uint32_t counter) {
    while (count >= 1024) {
        // Up to 128 bytes after the last whole kilobyte ride on its pass.
        if (count > 1024 && count <= 1024 + 128) {
            sixteen_blocks(buffer, key, nonce, counter, 1, count - 1024);
            return;
        }
        sixteen_blocks(buffer, key, nonce, counter, 0, 0);
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
