// SHA-256 block compression with the SHA extensions (sha256rnds2,
// sha256msg1, sha256msg2).
//
// Why C and not Swift: Swift has no intrinsics for the SHA instructions or
// for pshufb, and no per-function target attribute; this function alone
// carries target("sha,sse4.1") so the rest of the binary stays baseline.
//
// How the instructions are used (Intel, "New Instructions Supporting the
// Secure Hash Algorithm on Intel Architecture Processors", 2013):
// sha256rnds2 performs two rounds on the state split as ABEF and CDGH, with
// the two K[t] + W[t] words in the low half of its implicit xmm0 operand;
// sha256msg1 and sha256msg2 compute the sigma0 and sigma1 parts of the
// message schedule four words at a time, the W[t-7] term added in between.
//
// Constant time: the only branch is the loop over the public block count;
// the round constants are loaded at fixed addresses. Benchmarks/ct-check.sh
// checks that in the disassembly, because valgrind cannot run this code.
#include "ckg_sha256_shani.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define CKG_SHANI __attribute__((target("sha,sse4.1")))

static const uint32_t ckg_sha256_k[64] __attribute__((aligned(16))) = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/// Four rounds, 4i to 4i+3, with the message words W[4i...4i+3] in w[i % 4].
/// Along the way it finishes the schedule words four groups ahead: w[(i+1)
/// % 4] gets its W[t-7] and sigma1 terms (sha256msg2) once the group before
/// it is known, and w[(i-1) % 4] its sigma0 term (sha256msg1). `i` is a
/// constant in every call, so the conditions fold away.
static inline __attribute__((always_inline)) CKG_SHANI void
four_rounds(int i, __m128i w[4], __m128i *abef, __m128i *cdgh) {
    __m128i kw = _mm_add_epi32(w[i & 3], _mm_load_si128((const __m128i *)(ckg_sha256_k + 4 * i)));
    *cdgh = _mm_sha256rnds2_epu32(*cdgh, *abef, kw);
    if (i >= 3 && i < 15) {
        __m128i previous = _mm_alignr_epi8(w[i & 3], w[(i - 1) & 3], 4);
        w[(i + 1) & 3] = _mm_add_epi32(w[(i + 1) & 3], previous);
        w[(i + 1) & 3] = _mm_sha256msg2_epu32(w[(i + 1) & 3], w[i & 3]);
    }
    *abef = _mm_sha256rnds2_epu32(*abef, *cdgh, _mm_shuffle_epi32(kw, 0x0e));
    if (i >= 1 && i < 13) {
        w[(i - 1) & 3] = _mm_sha256msg1_epu32(w[(i - 1) & 3], w[i & 3]);
    }
}

CKG_SHANI void ckg_sha256_compress_shani(uint32_t state[8], const uint8_t *blocks, size_t block_count) {
    // Each 32-bit word of the block is big-endian.
    const __m128i byte_swap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    // h0..h3 and h4..h7 into the instructions' ABEF and CDGH order.
    __m128i dcba = _mm_loadu_si128((const __m128i *)state);
    __m128i hgfe = _mm_loadu_si128((const __m128i *)(state + 4));
    __m128i cdab = _mm_shuffle_epi32(dcba, 0xb1);
    __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1b);
    __m128i abef = _mm_alignr_epi8(cdab, efgh, 8);
    __m128i cdgh = _mm_blend_epi16(efgh, cdab, 0xf0);

    for (size_t block = 0; block < block_count; block++) {
        const uint8_t *data = blocks + 64 * block;
        const __m128i abef_before = abef, cdgh_before = cdgh;
        __m128i w[4];
        w[0] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 0)), byte_swap);
        w[1] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16)), byte_swap);
        w[2] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 32)), byte_swap);
        w[3] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 48)), byte_swap);
        four_rounds(0, w, &abef, &cdgh);
        four_rounds(1, w, &abef, &cdgh);
        four_rounds(2, w, &abef, &cdgh);
        four_rounds(3, w, &abef, &cdgh);
        four_rounds(4, w, &abef, &cdgh);
        four_rounds(5, w, &abef, &cdgh);
        four_rounds(6, w, &abef, &cdgh);
        four_rounds(7, w, &abef, &cdgh);
        four_rounds(8, w, &abef, &cdgh);
        four_rounds(9, w, &abef, &cdgh);
        four_rounds(10, w, &abef, &cdgh);
        four_rounds(11, w, &abef, &cdgh);
        four_rounds(12, w, &abef, &cdgh);
        four_rounds(13, w, &abef, &cdgh);
        four_rounds(14, w, &abef, &cdgh);
        four_rounds(15, w, &abef, &cdgh);
        abef = _mm_add_epi32(abef, abef_before);
        cdgh = _mm_add_epi32(cdgh, cdgh_before);
    }

    // Back to h0..h3, h4..h7.
    __m128i feba = _mm_shuffle_epi32(abef, 0x1b);
    __m128i dchg = _mm_shuffle_epi32(cdgh, 0xb1);
    _mm_storeu_si128((__m128i *)state, _mm_blend_epi16(feba, dchg, 0xf0));
    _mm_storeu_si128((__m128i *)(state + 4), _mm_alignr_epi8(dchg, feba, 8));
}

#else

void ckg_sha256_compress_shani(uint32_t state[8], const uint8_t *blocks, size_t block_count) {
    (void)state; (void)blocks; (void)block_count;
    __builtin_trap();
}

#endif
