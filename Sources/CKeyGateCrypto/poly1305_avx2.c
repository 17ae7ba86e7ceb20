// Poly1305 with AVX2, in C because it needs AVX2 instructions in a binary
// that otherwise targets baseline x86-64 (see CKeyGateCrypto.h).
//
// Lanes of four: a lane absorbs every fourth block of a chain as
// acc = acc * r^k + m, and at the end each lane is multiplied by the power
// of r its blocks are short of and the lanes are added, which is the same
// polynomial in r as one block after the other. There are two chains of
// four lanes, the first and second four of every eight blocks (k = 8), so
// that one chain multiplies while the other carries: a single chain waits
// on its own carries. Each lane holds five 26-bit limbs in the low half of
// a 64-bit element, so vpmuludq makes four 26x26-bit products at once;
// limbs above the fifth wrap around times 5 (2^130 = 5 mod p), with 5*r^k
// precomputed. Carries are propagated partially after each multiply: limbs
// stay a little above 2^26, far from overflowing 64 bits. The powers of r
// come from the scalar kernel (poly1305_bmi2.c) on each call, which also
// takes inputs of fewer than CKG_POLY1305_AVX2_MINIMUM_BLOCKS blocks and
// what is left after the last eight. Every step is the same sequence of
// instructions whatever the key and message: no branches or indexes on
// secrets, branches only on the public length.
#include "ckg_poly1305_avx2.h"

#if defined(__x86_64__)
#include <string.h>

#define CKG_AVX2_BMI2 __attribute__((target("avx2,bmi2")))

#include <immintrin.h>

static const uint64_t mask26 = (1u << 26) - 1;

void ckg_poly1305_limbs(const uint64_t h[3], uint64_t limbs[5]) {
    limbs[0] = h[0] & mask26;
    limbs[1] = (h[0] >> 26) & mask26;
    limbs[2] = ((h[0] >> 52) | (h[1] << 12)) & mask26;
    limbs[3] = (h[1] >> 14) & mask26;
    limbs[4] = (h[1] >> 40) | (h[2] << 24);
}

/// Sixteen-byte blocks m0..m3 as limbs, with 2^128 added: lanes in the
/// order m0, m2, m1, m3, which unpacking two 32-byte loads gives without a
/// cross-lane shuffle (the final powers of r follow the same order).
CKG_AVX2_BMI2 static inline void load_blocks(const uint8_t *blocks, __m256i m[5]) {
    const __m256i mask = _mm256_set1_epi64x((long long)mask26);
    const __m256i a = _mm256_loadu_si256((const __m256i *)blocks);
    const __m256i b = _mm256_loadu_si256((const __m256i *)(blocks + 32));
    const __m256i low = _mm256_unpacklo_epi64(a, b), high = _mm256_unpackhi_epi64(a, b);
    m[0] = _mm256_and_si256(low, mask);
    m[1] = _mm256_and_si256(_mm256_srli_epi64(low, 26), mask);
    m[2] = _mm256_and_si256(_mm256_or_si256(_mm256_srli_epi64(low, 52), _mm256_slli_epi64(high, 12)), mask);
    m[3] = _mm256_and_si256(_mm256_srli_epi64(high, 14), mask);
    m[4] = _mm256_or_si256(_mm256_srli_epi64(high, 40), _mm256_set1_epi64x(1 << 24));
}

/// Hides `x` from the optimizer: an empty asm statement, no instruction.
///
/// vpmuludq multiplies the low 32 bits of each 64-bit lane; to the compiler
/// the intrinsic is an AND with 2^32 - 1 and a 64-bit multiply. Where it
/// knows the limbs are below 2^27 (they were just masked, or built from
/// masked scalars) it drops the ANDs, and across the loop its code
/// generator then no longer sees that the high halves are zero and
/// multiplies all 64 bits: three vpmuludq and shifts per product. With both
/// operands opaque the ANDs stay and each product is one vpmuludq.
CKG_AVX2_BMI2 static inline __m256i opaque(__m256i x) {
    __asm__("" : "+x"(x));
    return x;
}

/// d = h * r in every lane, unreduced: r holds the limbs of r, s holds
/// 5 * r (s[0] unused).
CKG_AVX2_BMI2 static inline void lanes_multiply(const __m256i limbs[5], const __m256i r[5], const __m256i s[5], __m256i d[5]) {
    __m256i h[5];
    for (int index = 0; index < 5; index++) {
        h[index] = opaque(limbs[index]);
    }
#define MUL(x, y) _mm256_mul_epu32((x), (y))
#define ADD(x, y) _mm256_add_epi64((x), (y))
    d[0] = ADD(ADD(MUL(h[0], r[0]), MUL(h[1], s[4])), ADD(ADD(MUL(h[2], s[3]), MUL(h[3], s[2])), MUL(h[4], s[1])));
    d[1] = ADD(ADD(MUL(h[0], r[1]), MUL(h[1], r[0])), ADD(ADD(MUL(h[2], s[4]), MUL(h[3], s[3])), MUL(h[4], s[2])));
    d[2] = ADD(ADD(MUL(h[0], r[2]), MUL(h[1], r[1])), ADD(ADD(MUL(h[2], r[0]), MUL(h[3], s[4])), MUL(h[4], s[3])));
    d[3] = ADD(ADD(MUL(h[0], r[3]), MUL(h[1], r[2])), ADD(ADD(MUL(h[2], r[1]), MUL(h[3], r[0])), MUL(h[4], s[4])));
    d[4] = ADD(ADD(MUL(h[0], r[4]), MUL(h[1], r[3])), ADD(ADD(MUL(h[2], r[2]), MUL(h[3], r[1])), MUL(h[4], r[0])));
#undef MUL
#undef ADD
}

/// Partial carry propagation, two chains interleaved: every limb ends
/// below 2^26 but limbs 1 and 4, which end a little above.
CKG_AVX2_BMI2 static inline void lanes_carry(__m256i d[5], __m256i h[5]) {
    const __m256i mask = _mm256_set1_epi64x((long long)mask26);
    __m256i c;
    c = _mm256_srli_epi64(d[0], 26); d[0] = _mm256_and_si256(d[0], mask); d[1] = _mm256_add_epi64(d[1], c);
    c = _mm256_srli_epi64(d[3], 26); d[3] = _mm256_and_si256(d[3], mask); d[4] = _mm256_add_epi64(d[4], c);
    c = _mm256_srli_epi64(d[1], 26); d[1] = _mm256_and_si256(d[1], mask); d[2] = _mm256_add_epi64(d[2], c);
    c = _mm256_srli_epi64(d[4], 26); d[4] = _mm256_and_si256(d[4], mask);
    d[0] = _mm256_add_epi64(d[0], _mm256_add_epi64(c, _mm256_slli_epi64(c, 2)));
    c = _mm256_srli_epi64(d[2], 26); d[2] = _mm256_and_si256(d[2], mask); d[3] = _mm256_add_epi64(d[3], c);
    c = _mm256_srli_epi64(d[0], 26); d[0] = _mm256_and_si256(d[0], mask); d[1] = _mm256_add_epi64(d[1], c);
    c = _mm256_srli_epi64(d[3], 26); d[3] = _mm256_and_si256(d[3], mask); d[4] = _mm256_add_epi64(d[4], c);
    for (int index = 0; index < 5; index++) {
        h[index] = d[index];
    }
}

CKG_AVX2_BMI2 static inline uint64_t lane_sum(__m256i x) {
    const __m128i pair = _mm_add_epi64(_mm256_castsi256_si128(x), _mm256_extracti128_si256(x, 1));
    return (uint64_t)_mm_cvtsi128_si64(_mm_add_epi64(pair, _mm_unpackhi_epi64(pair, pair)));
}

CKG_AVX2_BMI2 void ckg_poly1305_power_table(const ckg_poly1305_state *state, size_t count, uint64_t *table) {
    uint64_t power[3] = {state->r[0], state->r[1], 0};
    for (size_t index = 0; index < count; index++) {
        if (index > 0) {
            ckg_poly1305_bmi2_multiply(power, state->r);
        }
        uint64_t limbs[5];
        ckg_poly1305_limbs(power, limbs);
        for (int limb = 0; limb < 5; limb++) {
            table[limb * count + index] = limbs[limb];
        }
    }
}

/// The lanes of `powers` (each 1 ... 8, one per lane) from the table of
/// r^1 .. r^8, and 5 times each, hidden from the optimizer (see `opaque`).
CKG_AVX2_BMI2 static inline void lanes_of_powers(const uint64_t table[5 * 8], const int powers[4], __m256i r[5],
                                                 __m256i s[5]) {
    for (int index = 0; index < 5; index++) {
        const uint64_t *limbs = table + 8 * index;
        const __m256i lanes = _mm256_setr_epi64x((long long)limbs[powers[0] - 1], (long long)limbs[powers[1] - 1],
                                                 (long long)limbs[powers[2] - 1], (long long)limbs[powers[3] - 1]);
        r[index] = opaque(lanes);
        s[index] = opaque(_mm256_add_epi64(lanes, _mm256_slli_epi64(lanes, 2)));
    }
}

CKG_AVX2_BMI2 void ckg_poly1305_avx2_blocks(ckg_poly1305_state *state, const uint8_t *blocks, size_t count) {
    // Two sets of lanes, for the first and second four of each eight blocks,
    // each a chain of its own: acc = acc * r^8 + m. Lanes hold blocks 0, 2,
    // 1, 3 of their four (see load_blocks); at the end they are multiplied
    // by r^8, r^6, r^7, r^5 (first set) and r^4, r^2, r^3, r^1 (second).
    uint64_t table[5 * 8], start[5];
    ckg_poly1305_power_table(state, 8, table);
    ckg_poly1305_limbs(state->h, start);
    __m256i r8[5], s8[5], first_r[5], first_s[5], second_r[5], second_s[5];
    lanes_of_powers(table, (const int[4]){8, 8, 8, 8}, r8, s8);
    lanes_of_powers(table, (const int[4]){8, 6, 7, 5}, first_r, first_s);
    lanes_of_powers(table, (const int[4]){4, 2, 3, 1}, second_r, second_s);

    __m256i a[5], b[5], m[5], d[5];
    load_blocks(blocks, a);
    load_blocks(blocks + 64, b);
    for (int index = 0; index < 5; index++) {
        a[index] = _mm256_add_epi64(a[index], _mm256_setr_epi64x((long long)start[index], 0, 0, 0));
    }
    blocks += 128;
    for (size_t remaining = count - 8; remaining >= 8; remaining -= 8, blocks += 128) {
        lanes_multiply(a, r8, s8, d);
        load_blocks(blocks, m);
        for (int index = 0; index < 5; index++) {
            d[index] = _mm256_add_epi64(d[index], m[index]);
        }
        lanes_carry(d, a);
        lanes_multiply(b, r8, s8, d);
        load_blocks(blocks + 64, m);
        for (int index = 0; index < 5; index++) {
            d[index] = _mm256_add_epi64(d[index], m[index]);
        }
        lanes_carry(d, b);
    }
    lanes_multiply(a, first_r, first_s, d);
    lanes_multiply(b, second_r, second_s, m);
    for (int index = 0; index < 5; index++) {
        d[index] = _mm256_add_epi64(d[index], m[index]);
    }
    lanes_carry(d, a);

    uint64_t sums[5];
    for (int index = 0; index < 5; index++) {
        sums[index] = lane_sum(a[index]);
    }
    ckg_poly1305_fold_limbs(state, sums);
}

void ckg_poly1305_fold_limbs(ckg_poly1305_state *state, const uint64_t sums[5]) {
    // Carried through completely (twice round, so that limbs 0-3 end below
    // 2^26) and packed into 64-bit limbs.
    uint64_t l[5] = {sums[0], sums[1], sums[2], sums[3], sums[4]};
    for (int pass = 0; pass < 2; pass++) {
        uint64_t c;
        c = l[0] >> 26; l[0] &= mask26; l[1] += c;
        c = l[1] >> 26; l[1] &= mask26; l[2] += c;
        c = l[2] >> 26; l[2] &= mask26; l[3] += c;
        c = l[3] >> 26; l[3] &= mask26; l[4] += c;
        if (pass == 0) {
            c = l[4] >> 26; l[4] &= mask26; l[0] += c * 5;
        }
    }
    state->h[0] = l[0] | (l[1] << 26) | (l[2] << 52);
    state->h[1] = (l[2] >> 12) | (l[3] << 14) | (l[4] << 40);
    state->h[2] = l[4] >> 24;
}

/// The whole blocks at `bytes`: vector for enough of them, scalar for the
/// rest. Returns how many bytes it absorbed.
CKG_AVX2_BMI2 static size_t absorb_whole_blocks(ckg_poly1305_state *state, const uint8_t *bytes, size_t count) {
    size_t whole = count / 16, done = 0;
    if (whole >= CKG_POLY1305_AVX2_MINIMUM_BLOCKS) {
        done = whole & ~(size_t)7;
        ckg_poly1305_avx2_blocks(state, bytes, done);
    }
    if (whole > done) {
        ckg_poly1305_bmi2_blocks(state, bytes + done * 16, whole - done, 1);
    }
    return whole * 16;
}

/// Wipes `count` bytes that held secrets, in a way the compiler keeps.
static inline void wipe(void *bytes, size_t count) {
    memset(bytes, 0, count);
    __asm__ volatile("" : : "r"(bytes) : "memory");
}

CKG_AVX2_BMI2 void ckg_poly1305_avx2_update_padded(ckg_poly1305_state *state, const uint8_t *bytes, size_t count) {
    const size_t done = absorb_whole_blocks(state, bytes, count);
    if (done < count) {
        uint8_t block[16] = {0};
        memcpy(block, bytes + done, count - done);
        ckg_poly1305_bmi2_blocks(state, block, 1, 1);
        wipe(block, sizeof block);
    }
}

CKG_AVX2_BMI2 void ckg_poly1305_avx2_finish_message(ckg_poly1305_state *state, const uint8_t *message, size_t count,
                                                    uint8_t tag[16]) {
    const size_t done = absorb_whole_blocks(state, message, count);
    if (done < count) {
        uint8_t block[16] = {0};
        memcpy(block, message + done, count - done);
        block[count - done] = 1;
        ckg_poly1305_bmi2_blocks(state, block, 1, 0);
        wipe(block, sizeof block);
    }
    ckg_poly1305_bmi2_finish(state, tag);
    wipe(state, sizeof *state);
}

CKG_AVX2_BMI2 void ckg_poly1305_avx2_authenticate(const uint8_t key[32], const uint8_t *message, size_t count,
                                                  uint8_t tag[16]) {
    ckg_poly1305_state state;
    ckg_poly1305_bmi2_init(&state, key);
    ckg_poly1305_avx2_finish_message(&state, message, count, tag);
}

#else

void ckg_poly1305_limbs(const uint64_t h[3], uint64_t limbs[5]) {
    (void)h, (void)limbs;
    __builtin_trap();
}

void ckg_poly1305_power_table(const ckg_poly1305_state *state, size_t count, uint64_t *table) {
    (void)state, (void)count, (void)table;
    __builtin_trap();
}

void ckg_poly1305_fold_limbs(ckg_poly1305_state *state, const uint64_t sums[5]) {
    (void)state, (void)sums;
    __builtin_trap();
}

void ckg_poly1305_avx2_blocks(ckg_poly1305_state *state, const uint8_t *blocks, size_t count) {
    (void)state, (void)blocks, (void)count;
    __builtin_trap();
}

void ckg_poly1305_avx2_update_padded(ckg_poly1305_state *state, const uint8_t *bytes, size_t count) {
    (void)state, (void)bytes, (void)count;
    __builtin_trap();
}

void ckg_poly1305_avx2_authenticate(const uint8_t key[32], const uint8_t *message, size_t count, uint8_t tag[16]) {
    (void)key, (void)message, (void)count, (void)tag;
    __builtin_trap();
}

void ckg_poly1305_avx2_finish_message(ckg_poly1305_state *state, const uint8_t *message, size_t count, uint8_t tag[16]) {
    (void)state, (void)message, (void)count, (void)tag;
    __builtin_trap();
}

#endif
