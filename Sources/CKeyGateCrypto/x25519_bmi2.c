// X25519 (RFC 7748): the Montgomery ladder over GF(2^255 - 19) in five
// 51-bit limbs with 64x64->128 products.
//
// Why C and not Swift: the field products are mulx (BMI2), which Swift
// could only use with the whole module compiled for BMI2, and the ladder
// step is written so that the independent field operations of one step
// sit side by side for the compiler to interleave, with no limb carried
// where the bounds below allow it (Swift's Field25519 carries after every
// subtraction). Same representation and formulas as Field25519.swift; the
// portable path stays there.
//
// Bounds: mul and sq accept limbs below 2^54: a column is then below
// 5 * 19 * 2^108 < 2^115, so its carry, column >> 51, fits in 64 bits. They
// return limbs below 2^51 + 2^13 (the carry into limb 1 may exceed 51 bits
// by a little). Sums of two such outputs are below 2^53; differences are
// computed as f + 4p - g, below 2^54, and need g's limbs below 4p's
// (2^53 - 76), which holds for every subtrahend in the ladder, each a
// product or a square.
//
// Constant time: the ladder visits every bit position; the swap is a mask
// computed from the bit, with a barrier so that it stays arithmetic; the
// inversion is a fixed chain; no branch or address depends on the scalar
// or u (keygate-ct-check runs this code under memcheck).
#include "ckg_x25519_bmi2.h"

#if defined(__x86_64__)

#define CKG_BMI2 __attribute__((target("bmi2")))
#define INLINE static inline __attribute__((always_inline)) CKG_BMI2

typedef unsigned __int128 u128;
typedef struct {
    uint64_t v[5];
} fe;

static const uint64_t mask51 = (1ULL << 51) - 1;

/// Each column sum is carried into the next as soon as both exist, so that
/// at most two 128-bit sums are live at a time: the x86 code generator
/// keeps source order, and five live sums (ten registers) made it spill
/// a third of the ladder step to the stack.
#define CARRY_INTO(next, column, limb) \
    do { \
        next += (uint64_t)(column >> 51); \
        limb = (uint64_t)column & mask51; \
    } while (0)

/// The top column's carry folded back into limb 0 (times 19: 2^255 = 19
/// mod p) and on into limb 1.
#define FINISH(h, r4) \
    do { \
        h.v[4] = (uint64_t)r4 & mask51; \
        h.v[0] += (uint64_t)(r4 >> 51) * 19; \
        h.v[1] += h.v[0] >> 51; \
        h.v[0] &= mask51; \
    } while (0)

INLINE fe mul(fe f, fe g) {
    // 2^255 = 19 (mod p): products landing at 2^255 and above fold back
    // multiplied by 19.
    const uint64_t *a = f.v, *b = g.v;
    const uint64_t g1 = b[1] * 19, g2 = b[2] * 19, g3 = b[3] * 19, g4 = b[4] * 19;
    fe h;
    u128 r0 = (u128)a[0] * b[0] + (u128)a[1] * g4 + (u128)a[2] * g3 + (u128)a[3] * g2 + (u128)a[4] * g1;
    u128 r1 = (u128)a[0] * b[1] + (u128)a[1] * b[0] + (u128)a[2] * g4 + (u128)a[3] * g3 + (u128)a[4] * g2;
    CARRY_INTO(r1, r0, h.v[0]);
    u128 r2 = (u128)a[0] * b[2] + (u128)a[1] * b[1] + (u128)a[2] * b[0] + (u128)a[3] * g4 + (u128)a[4] * g3;
    CARRY_INTO(r2, r1, h.v[1]);
    u128 r3 = (u128)a[0] * b[3] + (u128)a[1] * b[2] + (u128)a[2] * b[1] + (u128)a[3] * b[0] + (u128)a[4] * g4;
    CARRY_INTO(r3, r2, h.v[2]);
    u128 r4 = (u128)a[0] * b[4] + (u128)a[1] * b[3] + (u128)a[2] * b[2] + (u128)a[3] * b[1] + (u128)a[4] * b[0];
    CARRY_INTO(r4, r3, h.v[3]);
    FINISH(h, r4);
    return h;
}

INLINE fe sq(fe f) {
    const uint64_t *a = f.v;
    const uint64_t d0 = a[0] * 2, d1 = a[1] * 2, d2 = a[2] * 2 * 19, d4 = a[4] * 19, d3 = a[3] * 19;
    fe h;
    u128 r0 = (u128)a[0] * a[0] + (u128)d1 * d4 + (u128)d2 * a[3];
    u128 r1 = (u128)d0 * a[1] + (u128)d2 * a[4] + (u128)a[3] * d3;
    CARRY_INTO(r1, r0, h.v[0]);
    u128 r2 = (u128)d0 * a[2] + (u128)a[1] * a[1] + (u128)(a[3] * 2) * d4;
    CARRY_INTO(r2, r1, h.v[1]);
    u128 r3 = (u128)d0 * a[3] + (u128)d1 * a[2] + (u128)a[4] * d4;
    CARRY_INTO(r3, r2, h.v[2]);
    u128 r4 = (u128)d0 * a[4] + (u128)d1 * a[3] + (u128)a[2] * a[2];
    CARRY_INTO(r4, r3, h.v[3]);
    FINISH(h, r4);
    return h;
}

/// f * 121665, the curve constant (A - 2) / 4.
INLINE fe mul_a24(fe f) {
    const uint64_t a24 = 121665;
    fe h;
    u128 r0 = (u128)f.v[0] * a24, r1 = (u128)f.v[1] * a24;
    CARRY_INTO(r1, r0, h.v[0]);
    u128 r2 = (u128)f.v[2] * a24;
    CARRY_INTO(r2, r1, h.v[1]);
    u128 r3 = (u128)f.v[3] * a24;
    CARRY_INTO(r3, r2, h.v[2]);
    u128 r4 = (u128)f.v[4] * a24;
    CARRY_INTO(r4, r3, h.v[3]);
    FINISH(h, r4);
    return h;
}

INLINE fe sq_times(fe f, int count) {
    for (int i = 0; i < count; i++) {
        f = sq(f);
    }
    return f;
}

INLINE fe add(fe f, fe g) {
    fe h;
    for (int i = 0; i < 5; i++) {
        h.v[i] = f.v[i] + g.v[i];
    }
    return h;
}

/// f - g as f + 4p - g, not carried (see the bounds above).
INLINE fe sub(fe f, fe g) {
    const uint64_t four_p0 = 0x1fffffffffffb4ULL, four_p = 0x1ffffffffffffcULL;
    fe h;
    h.v[0] = f.v[0] + four_p0 - g.v[0];
    for (int i = 1; i < 5; i++) {
        h.v[i] = f.v[i] + four_p - g.v[i];
    }
    return h;
}

/// Swaps f and g when swap is 1, leaves them when 0, with masks only.
INLINE void cswap(fe *f, fe *g, uint64_t swap) {
    uint64_t mask = 0 - swap;
    // Opaque to the optimizer, which could otherwise branch on the bit.
    __asm__("" : "+r"(mask));
    for (int i = 0; i < 5; i++) {
        const uint64_t t = mask & (f->v[i] ^ g->v[i]);
        f->v[i] ^= t;
        g->v[i] ^= t;
    }
}

/// 1/z = z^(p - 2), by the fixed chain for 2^255 - 21 (254 squarings,
/// 11 multiplications), as Field25519.inverted().
INLINE fe invert(fe z) {
    const fe z2 = sq(z);
    const fe z9 = mul(sq_times(z2, 2), z);
    const fe z11 = mul(z9, z2);
    const fe z2_5_0 = mul(sq(z11), z9);
    const fe z2_10_0 = mul(sq_times(z2_5_0, 5), z2_5_0);
    const fe z2_20_0 = mul(sq_times(z2_10_0, 10), z2_10_0);
    const fe z2_40_0 = mul(sq_times(z2_20_0, 20), z2_20_0);
    const fe z2_50_0 = mul(sq_times(z2_40_0, 10), z2_10_0);
    const fe z2_100_0 = mul(sq_times(z2_50_0, 50), z2_50_0);
    const fe z2_200_0 = mul(sq_times(z2_100_0, 100), z2_100_0);
    const fe z2_250_0 = mul(sq_times(z2_200_0, 50), z2_50_0);
    return mul(sq_times(z2_250_0, 5), z11);
}

static uint64_t load64(const uint8_t *p) {
    uint64_t x = 0;
    for (int i = 7; i >= 0; i--) {
        x = x << 8 | p[i];
    }
    return x;
}

static void store64(uint8_t *p, uint64_t x) {
    for (int i = 0; i < 8; i++) {
        p[i] = (uint8_t)(x >> (8 * i));
    }
}

/// Decodes 32 little-endian bytes, ignoring the top bit.
static fe decode(const uint8_t *s) {
    const uint64_t w0 = load64(s), w1 = load64(s + 8), w2 = load64(s + 16), w3 = load64(s + 24);
    fe h = {{w0 & mask51, (w0 >> 51 | w1 << 13) & mask51, (w1 >> 38 | w2 << 26) & mask51, (w2 >> 25 | w3 << 39) & mask51,
             (w3 >> 12) & mask51}};
    return h;
}

/// Writes the canonical encoding: reduced below p.
static void encode(uint8_t *s, fe f) {
    uint64_t *h = f.v;
    // Carry to limbs below 2^51 (the top one possibly 2^51 + small).
    for (int round = 0; round < 2; round++) {
        h[1] += h[0] >> 51; h[0] &= mask51;
        h[2] += h[1] >> 51; h[1] &= mask51;
        h[3] += h[2] >> 51; h[2] &= mask51;
        h[4] += h[3] >> 51; h[3] &= mask51;
        h[0] += 19 * (h[4] >> 51); h[4] &= mask51;
    }
    // q = 1 exactly when h >= p: add 19 and look at the carry out of bit 255.
    uint64_t q = (h[0] + 19) >> 51;
    q = (h[1] + q) >> 51;
    q = (h[2] + q) >> 51;
    q = (h[3] + q) >> 51;
    q = (h[4] + q) >> 51;
    h[0] += 19 * q;
    h[1] += h[0] >> 51; h[0] &= mask51;
    h[2] += h[1] >> 51; h[1] &= mask51;
    h[3] += h[2] >> 51; h[2] &= mask51;
    h[4] += h[3] >> 51; h[3] &= mask51;
    h[4] &= mask51;
    store64(s, h[0] | h[1] << 51);
    store64(s + 8, h[1] >> 13 | h[2] << 38);
    store64(s + 16, h[2] >> 26 | h[3] << 25);
    store64(s + 24, h[3] >> 39 | h[4] << 12);
}

CKG_BMI2 void ckg_x25519_bmi2(uint8_t out[32], const uint8_t scalar[32], const uint8_t u[32]) {
    const fe x1 = decode(u);
    fe x2 = {{1, 0, 0, 0, 0}}, z2 = {{0, 0, 0, 0, 0}};
    fe x3 = x1, z3 = {{1, 0, 0, 0, 0}};
    uint64_t swap = 0;
    for (int t = 254; t >= 0; t--) {
        const uint64_t bit = (scalar[t >> 3] >> (t & 7)) & 1;
        swap ^= bit;
        cswap(&x2, &x3, swap);
        cswap(&z2, &z3, swap);
        swap = bit;

        const fe a = add(x2, z2), b = sub(x2, z2);
        const fe c = add(x3, z3), d = sub(x3, z3);
        const fe aa = sq(a), bb = sq(b);
        const fe da = mul(d, a), cb = mul(c, b);
        x3 = sq(add(da, cb));
        z3 = mul(x1, sq(sub(da, cb)));
        x2 = mul(aa, bb);
        const fe e = sub(aa, bb);
        z2 = mul(e, add(aa, mul_a24(e)));
    }
    cswap(&x2, &x3, swap);
    cswap(&z2, &z3, swap);
    encode(out, mul(x2, invert(z2)));
}

#else

void ckg_x25519_bmi2(uint8_t out[32], const uint8_t scalar[32], const uint8_t u[32]) {
    (void)out; (void)scalar; (void)u;
    __builtin_trap();
}

#endif
