// Poly1305 with AVX-512: the AVX2 kernel's method (poly1305_avx2.c) on
// eight lanes of 512-bit registers, sixteen blocks a step. In C for the
// reason every kernel is (CKeyGateCrypto.h).
//
// Two chains of eight lanes take the first and second eight of every
// sixteen blocks, acc = acc * r^16 + m; at the end each lane is multiplied
// by the power of r its blocks are short of, and the lanes are added.
// Limbs are 26 bits in the low half of 64-bit elements, so vpmuludq makes
// eight 26x26-bit products at once, with 5 * r^k for the limbs that wrap
// past 2^130.
//
// The powers r^2 .. r^16 are eight-lane products too, four deep. The
// scalar steps (r and the accumulator as limbs, the final carries) are
// the AVX2 kernel's functions, which the constant-time check runs under
// valgrind. The vector step,
// ckg_poly1305_avx512_lanes, which valgrind cannot run, is held to the
// register-only rules that Benchmarks/ct-check.sh checks in its machine
// code: the message, r and the accumulator enter only vector registers
// (loaded, or permuted with constant indexes), no vector value moves into
// a general-purpose register or the flags, and no general-purpose register
// is loaded from memory. The lanes' sums leave by a vector store.
#include "ckg_poly1305_avx512.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#include "ckg_poly1305_avx2.h"

#define CKG_AVX512 __attribute__((target("avx2,avx512f,avx512vl")))
#define CKG_AVX512_INLINE __attribute__((always_inline)) inline

/// Hides `x` from the optimizer, as `opaque` in poly1305_avx2.c does and
/// for the same reason: vpmuludq reads the low 32 bits of each element,
/// and a compiler that knows the high halves are zero may stop masking and
/// multiply all 64 bits in three instructions.
CKG_AVX512 static CKG_AVX512_INLINE __m512i opaque(__m512i x) {
    __asm__("" : "+v"(x));
    return x;
}

/// Eight 16-byte blocks (128 bytes) as limbs, with 2^128 added: elements
/// in the block order 0, 4, 1, 5, 2, 6, 3, 7, which unpacking two 64-byte
/// loads gives without a cross-lane shuffle.
CKG_AVX512 static CKG_AVX512_INLINE void load_blocks(const uint8_t *blocks, __m512i m[5]) {
    const __m512i mask = _mm512_set1_epi64((1 << 26) - 1);
    const __m512i a = _mm512_loadu_si512(blocks), b = _mm512_loadu_si512(blocks + 64);
    const __m512i low = _mm512_unpacklo_epi64(a, b), high = _mm512_unpackhi_epi64(a, b);
    m[0] = _mm512_and_si512(low, mask);
    m[1] = _mm512_and_si512(_mm512_srli_epi64(low, 26), mask);
    m[2] = _mm512_and_si512(_mm512_or_si512(_mm512_srli_epi64(low, 52), _mm512_slli_epi64(high, 12)), mask);
    m[3] = _mm512_and_si512(_mm512_srli_epi64(high, 14), mask);
    m[4] = _mm512_or_si512(_mm512_srli_epi64(high, 40), _mm512_set1_epi64(1 << 24));
}

/// d = h * r in every element, unreduced: s holds 5 * r (s[0] unused).
CKG_AVX512 static CKG_AVX512_INLINE void lanes_multiply(const __m512i limbs[5], const __m512i r[5], const __m512i s[5],
                                                        __m512i d[5]) {
    __m512i h[5];
    for (int index = 0; index < 5; index++) {
        h[index] = opaque(limbs[index]);
    }
#define MUL(x, y) _mm512_mul_epu32((x), (y))
#define ADD(x, y) _mm512_add_epi64((x), (y))
    d[0] = ADD(ADD(MUL(h[0], r[0]), MUL(h[1], s[4])), ADD(ADD(MUL(h[2], s[3]), MUL(h[3], s[2])), MUL(h[4], s[1])));
    d[1] = ADD(ADD(MUL(h[0], r[1]), MUL(h[1], r[0])), ADD(ADD(MUL(h[2], s[4]), MUL(h[3], s[3])), MUL(h[4], s[2])));
    d[2] = ADD(ADD(MUL(h[0], r[2]), MUL(h[1], r[1])), ADD(ADD(MUL(h[2], r[0]), MUL(h[3], s[4])), MUL(h[4], s[3])));
    d[3] = ADD(ADD(MUL(h[0], r[3]), MUL(h[1], r[2])), ADD(ADD(MUL(h[2], r[1]), MUL(h[3], r[0])), MUL(h[4], s[4])));
    d[4] = ADD(ADD(MUL(h[0], r[4]), MUL(h[1], r[3])), ADD(ADD(MUL(h[2], r[2]), MUL(h[3], r[1])), MUL(h[4], r[0])));
#undef MUL
#undef ADD
}

/// Partial carry propagation, as in the AVX2 kernel: every limb ends below
/// 2^26 but limbs 1 and 4, which end a little above.
CKG_AVX512 static CKG_AVX512_INLINE void lanes_carry(__m512i d[5], __m512i h[5]) {
    const __m512i mask = _mm512_set1_epi64((1 << 26) - 1);
    __m512i c;
    c = _mm512_srli_epi64(d[0], 26); d[0] = _mm512_and_si512(d[0], mask); d[1] = _mm512_add_epi64(d[1], c);
    c = _mm512_srli_epi64(d[3], 26); d[3] = _mm512_and_si512(d[3], mask); d[4] = _mm512_add_epi64(d[4], c);
    c = _mm512_srli_epi64(d[1], 26); d[1] = _mm512_and_si512(d[1], mask); d[2] = _mm512_add_epi64(d[2], c);
    c = _mm512_srli_epi64(d[4], 26); d[4] = _mm512_and_si512(d[4], mask);
    d[0] = _mm512_add_epi64(d[0], _mm512_add_epi64(c, _mm512_slli_epi64(c, 2)));
    c = _mm512_srli_epi64(d[2], 26); d[2] = _mm512_and_si512(d[2], mask); d[3] = _mm512_add_epi64(d[3], c);
    c = _mm512_srli_epi64(d[0], 26); d[0] = _mm512_and_si512(d[0], mask); d[1] = _mm512_add_epi64(d[1], c);
    c = _mm512_srli_epi64(d[3], 26); d[3] = _mm512_and_si512(d[3], mask); d[4] = _mm512_add_epi64(d[4], c);
    for (int index = 0; index < 5; index++) {
        h[index] = d[index];
    }
}

/// 5 * x in every element, hidden from the optimizer.
CKG_AVX512 static CKG_AVX512_INLINE void times_five(const __m512i x[5], __m512i s[5]) {
    for (int index = 0; index < 5; index++) {
        s[index] = opaque(_mm512_add_epi64(x[index], _mm512_slli_epi64(x[index], 2)));
    }
}

/// d = x * y, carried partially (limbs a little above 2^26 multiply as
/// well as the accumulator does).
CKG_AVX512 static CKG_AVX512_INLINE void lanes_product(const __m512i x[5], const __m512i y[5], __m512i d[5]) {
    __m512i s[5], t[5];
    times_five(y, s);
    lanes_multiply(x, y, s, t);
    lanes_carry(t, d);
}

/// Per limb, the elements `indexes` picks from x (0-7) and y (8-15).
CKG_AVX512 static CKG_AVX512_INLINE void lanes_pick(const __m512i x[5], const __m512i y[5], __m512i indexes, __m512i d[5]) {
    for (int index = 0; index < 5; index++) {
        d[index] = _mm512_permutex2var_epi64(x[index], indexes, y[index]);
    }
}

/// r^1 .. r^8 (`low`, element p - 1 holds r^p) and r^9 .. r^16 (`high`)
/// from the limbs of r, by four rounds of eight-lane products: r^2; r^3
/// and r^4; r^5 .. r^8; r^9 .. r^16. Four multiplications deep where the
/// powers one after the other would be fifteen.
CKG_AVX512 static CKG_AVX512_INLINE void powers_of_r(const uint64_t r[5], __m512i low[5], __m512i high[5]) {
    __m512i one[5], two[5], four[5], eight[5], x[5], y[5];
    for (int index = 0; index < 5; index++) {
        one[index] = _mm512_broadcastq_epi64(_mm_loadl_epi64((const __m128i *)(r + index)));
    }
    lanes_product(one, one, two);                                             // r^2 everywhere
    lanes_pick(one, two, _mm512_setr_epi64(0, 8, 0, 0, 0, 0, 0, 0), x);       // r, r^2
    lanes_product(x, two, y);                                                 // r^3, r^4
    lanes_pick(x, y, _mm512_setr_epi64(0, 1, 8, 9, 0, 0, 0, 0), x);           // r .. r^4
    lanes_pick(y, y, _mm512_set1_epi64(1), four);                             // r^4 everywhere
    lanes_product(x, four, y);                                                // r^5 .. r^8
    lanes_pick(x, y, _mm512_setr_epi64(0, 1, 2, 3, 8, 9, 10, 11), low);       // r .. r^8
    lanes_pick(y, y, _mm512_set1_epi64(3), eight);                            // r^8 everywhere
    lanes_product(low, eight, high);                                          // r^9 .. r^16
}

/// The lanes of the powers of r that `indexes` picks (p - 1 for r^p) from
/// r^1 .. r^8 in `low` and r^9 .. r^16 in `high`, and 5 times each.
CKG_AVX512 static CKG_AVX512_INLINE void lanes_of_powers(const __m512i low[5], const __m512i high[5], __m512i indexes,
                                                         __m512i r[5], __m512i s[5]) {
    for (int index = 0; index < 5; index++) {
        r[index] = opaque(_mm512_permutex2var_epi64(low[index], indexes, high[index]));
    }
    times_five(r, s);
}

/// The sum of the eight elements, stored at `sum`.
CKG_AVX512 static CKG_AVX512_INLINE void store_lane_sum(__m512i x, uint64_t *sum) {
    const __m256i quad = _mm256_add_epi64(_mm512_castsi512_si256(x), _mm512_extracti64x4_epi64(x, 1));
    const __m128i pair = _mm_add_epi64(_mm256_castsi256_si128(quad), _mm256_extracti128_si256(quad, 1));
    _mm_storel_epi64((__m128i *)sum, _mm_add_epi64(pair, _mm_unpackhi_epi64(pair, pair)));
}

CKG_AVX512 void ckg_poly1305_avx512_lanes(const uint64_t r[5], const uint64_t start[5], const uint8_t *blocks,
                                          size_t count, uint64_t sums[5]) {
    // Lanes hold blocks 0, 4, 1, 5, 2, 6, 3, 7 of their eight (see
    // load_blocks); at the end the first chain's are multiplied by r^16,
    // r^12, r^15, r^11, r^14, r^10, r^13, r^9 and the second's by r^8,
    // r^4, r^7, r^3, r^6, r^2, r^5, r^1.
    __m512i low[5], high[5], r16[5], s16[5], first_r[5], first_s[5], second_r[5], second_s[5];
    powers_of_r(r, low, high);
    lanes_of_powers(low, high, _mm512_set1_epi64(15), r16, s16);
    lanes_of_powers(low, high, _mm512_setr_epi64(15, 11, 14, 10, 13, 9, 12, 8), first_r, first_s);
    lanes_of_powers(low, high, _mm512_setr_epi64(7, 3, 6, 2, 5, 1, 4, 0), second_r, second_s);

    __m512i a[5], b[5], m[5], d[5];
    load_blocks(blocks, a);
    load_blocks(blocks + 128, b);
    for (int index = 0; index < 5; index++) {
        // The accumulator joins block 0, element 0.
        a[index] = _mm512_add_epi64(a[index], _mm512_zextsi128_si512(_mm_loadl_epi64((const __m128i *)(start + index))));
    }
    blocks += 256;
    for (size_t remaining = count - 16; remaining >= 16; remaining -= 16, blocks += 256) {
        lanes_multiply(a, r16, s16, d);
        load_blocks(blocks, m);
        for (int index = 0; index < 5; index++) {
            d[index] = _mm512_add_epi64(d[index], m[index]);
        }
        lanes_carry(d, a);
        lanes_multiply(b, r16, s16, d);
        load_blocks(blocks + 128, m);
        for (int index = 0; index < 5; index++) {
            d[index] = _mm512_add_epi64(d[index], m[index]);
        }
        lanes_carry(d, b);
    }
    lanes_multiply(a, first_r, first_s, d);
    lanes_multiply(b, second_r, second_s, m);
    for (int index = 0; index < 5; index++) {
        d[index] = _mm512_add_epi64(d[index], m[index]);
    }
    lanes_carry(d, a);
    for (int index = 0; index < 5; index++) {
        store_lane_sum(a[index], sums + index);
    }
}

/// Wipes `count` bytes that held secrets, in a way the compiler keeps.
static inline void wipe(void *bytes, size_t count) {
    memset(bytes, 0, count);
    __asm__ volatile("" : : "r"(bytes) : "memory");
}

CKG_AVX512 void ckg_poly1305_avx512_blocks(ckg_poly1305_state *state, const uint8_t *blocks, size_t count) {
    const uint64_t key[3] = {state->r[0], state->r[1], 0};
    uint64_t r[5], start[5], sums[5];
    ckg_poly1305_limbs(key, r);
    ckg_poly1305_limbs(state->h, start);
    ckg_poly1305_avx512_lanes(r, start, blocks, count, sums);
    ckg_poly1305_fold_limbs(state, sums);
    wipe(r, sizeof r);
    wipe(start, sizeof start);
    wipe(sums, sizeof sums);
}

/// Absorbs the longest run of whole blocks at `bytes` that the
/// sixteen-block kernel takes (none below its minimum); returns its length
/// in bytes, for the AVX2 kernel's functions to take the rest.
CKG_AVX512 static size_t absorb_sixteens(ckg_poly1305_state *state, const uint8_t *bytes, size_t count) {
    const size_t whole = count / 16;
    if (whole < CKG_POLY1305_AVX512_MINIMUM_BLOCKS) {
        return 0;
    }
    const size_t blocks = whole & ~(size_t)15;
    ckg_poly1305_avx512_blocks(state, bytes, blocks);
    return blocks * 16;
}

CKG_AVX512 void ckg_poly1305_avx512_update_padded(ckg_poly1305_state *state, const uint8_t *bytes, size_t count) {
    const size_t done = absorb_sixteens(state, bytes, count);
    ckg_poly1305_avx2_update_padded(state, bytes + done, count - done);
}

CKG_AVX512 void ckg_poly1305_avx512_authenticate(const uint8_t key[32], const uint8_t *message, size_t count,
                                                 uint8_t tag[16]) {
    ckg_poly1305_state state;
    ckg_poly1305_bmi2_init(&state, key);
    const size_t done = absorb_sixteens(&state, message, count);
    ckg_poly1305_avx2_finish_message(&state, message + done, count - done, tag);
}

#else

void ckg_poly1305_avx512_lanes(const uint64_t r[5], const uint64_t start[5], const uint8_t *blocks,
                               size_t count, uint64_t sums[5]) {
    (void)r, (void)start, (void)blocks, (void)count, (void)sums;
    __builtin_trap();
}

void ckg_poly1305_avx512_blocks(ckg_poly1305_state *state, const uint8_t *blocks, size_t count) {
    (void)state, (void)blocks, (void)count;
    __builtin_trap();
}

void ckg_poly1305_avx512_update_padded(ckg_poly1305_state *state, const uint8_t *bytes, size_t count) {
    (void)state, (void)bytes, (void)count;
    __builtin_trap();
}

void ckg_poly1305_avx512_authenticate(const uint8_t key[32], const uint8_t *message, size_t count, uint8_t tag[16]) {
    (void)key, (void)message, (void)count, (void)tag;
    __builtin_trap();
}

#endif
