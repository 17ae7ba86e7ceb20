// Poly1305 on 64-bit limbs, in C for the same reason as every kernel here
// (CKeyGateCrypto.h): compiled for BMI2, the 64x64->128 products of the
// __int128 arithmetic become mulx, which leaves the flags alone. It is the
// arithmetic of the portable Swift (Poly1305.swift): the accumulator
// h0 + h1*2^64 + h2*2^128 with h2 small, 2^130 = 5 (mod p) folding the high
// bits back in. Every block takes the same instructions whatever its value,
// and the final "subtract p if h >= p" is a mask select, not a branch.
#include "ckg_poly1305_bmi2.h"

#if defined(__x86_64__)

#define CKG_BMI2 __attribute__((target("bmi2")))

typedef unsigned __int128 poly1305_u128;

static inline uint64_t poly1305_load64(const uint8_t *p) {
    uint64_t value;
    __builtin_memcpy(&value, p, 8);
    return value; // x86-64 is little-endian, as RFC 8439 reads the words.
}

/// h *= r, partially reduced. r1 has its low two bits clamped to zero, so
/// h1*r1*2^128 = h1*(r1/4)*2^130 = h1*(r1 + r1/4) (mod p): rr1.
CKG_BMI2 static inline void poly1305_multiply(uint64_t *h0, uint64_t *h1, uint64_t *h2, uint64_t r0, uint64_t r1,
                                              uint64_t rr1) {
    poly1305_u128 d0 = (poly1305_u128)*h0 * r0 + (poly1305_u128)*h1 * rr1;
    poly1305_u128 d1 = (poly1305_u128)*h0 * r1 + (poly1305_u128)*h1 * r0 + (poly1305_u128)(*h2 * rr1);
    uint64_t d2 = *h2 * r0;
    d1 += d0 >> 64;
    uint64_t top = d2 + (uint64_t)(d1 >> 64);
    // The bits above 2^130, times 5: (top >> 2) * 5 = (top >> 2) + (top & ~3).
    uint64_t fold = (top >> 2) + (top & ~(uint64_t)3);
    poly1305_u128 f0 = (poly1305_u128)(uint64_t)d0 + fold;
    poly1305_u128 f1 = (poly1305_u128)(uint64_t)d1 + (f0 >> 64);
    *h0 = (uint64_t)f0;
    *h1 = (uint64_t)f1;
    *h2 = (top & 3) + (uint64_t)(f1 >> 64);
}

/// h = (h + block + high_bit * 2^128) * r. The carries of the sum go
/// through 128-bit additions (add, adc), never a branch on a carry.
CKG_BMI2 static inline void poly1305_absorb_block(uint64_t *h0, uint64_t *h1, uint64_t *h2, const uint8_t *block,
                                                  uint64_t high_bit, uint64_t r0, uint64_t r1, uint64_t rr1) {
    poly1305_u128 sum0 = (poly1305_u128)*h0 + poly1305_load64(block);
    poly1305_u128 sum1 = (poly1305_u128)*h1 + poly1305_load64(block + 8) + (sum0 >> 64);
    *h0 = (uint64_t)sum0;
    *h1 = (uint64_t)sum1;
    *h2 += (uint64_t)(sum1 >> 64) + high_bit;
    poly1305_multiply(h0, h1, h2, r0, r1, rr1);
}


typedef poly1305_u128 u128;

static inline void store64(uint8_t *p, uint64_t value) {
    __builtin_memcpy(p, &value, 8);
}

CKG_BMI2 void ckg_poly1305_bmi2_init(ckg_poly1305_state *state, const uint8_t key[32]) {
    state->h[0] = state->h[1] = state->h[2] = 0;
    state->r[0] = poly1305_load64(key) & 0x0ffffffc0fffffffULL;
    state->r[1] = poly1305_load64(key + 8) & 0x0ffffffc0ffffffcULL;
    state->s[0] = poly1305_load64(key + 16);
    state->s[1] = poly1305_load64(key + 24);
}

CKG_BMI2 void ckg_poly1305_bmi2_blocks(ckg_poly1305_state *state, const uint8_t *blocks, size_t count, uint64_t high_bit) {
    const uint64_t r0 = state->r[0], r1 = state->r[1], rr1 = r1 + (r1 >> 2);
    uint64_t h0 = state->h[0], h1 = state->h[1], h2 = state->h[2];
    for (size_t index = 0; index < count; index++, blocks += 16) {
        poly1305_absorb_block(&h0, &h1, &h2, blocks, high_bit, r0, r1, rr1);
    }
    state->h[0] = h0, state->h[1] = h1, state->h[2] = h2;
}

CKG_BMI2 void ckg_poly1305_bmi2_multiply(uint64_t h[3], const uint64_t r[2]) {
    poly1305_multiply(&h[0], &h[1], &h[2], r[0], r[1], r[1] + (r[1] >> 2));
}

CKG_BMI2 void ckg_poly1305_bmi2_finish(const ckg_poly1305_state *state, uint8_t tag[16]) {
    const uint64_t h0 = state->h[0], h1 = state->h[1], h2 = state->h[2];
    // Fold what is above 2^130 first, so that h < 2^130 + 5*8 and one
    // conditional subtraction of p is enough.
    const uint64_t fold = (h2 >> 2) + (h2 & ~(uint64_t)3);
    u128 t0 = (u128)h0 + fold;
    u128 t1 = (u128)h1 + (t0 >> 64);
    const uint64_t a0 = (uint64_t)t0, a1 = (uint64_t)t1, a2 = (h2 & 3) + (uint64_t)(t1 >> 64);
    // g = h + 5 - 2^130: if that does not borrow (bit 130 of h + 5 set),
    // h >= p and g is the result. use_g is all ones or zero, by arithmetic.
    u128 g0 = (u128)a0 + 5;
    u128 g1 = (u128)a1 + (g0 >> 64);
    const uint64_t g2 = a2 + (uint64_t)(g1 >> 64);
    const uint64_t use_g = (uint64_t)0 - (g2 >> 2);
    const uint64_t v0 = (a0 & ~use_g) | ((uint64_t)g0 & use_g);
    const uint64_t v1 = (a1 & ~use_g) | ((uint64_t)g1 & use_g);
    u128 out0 = (u128)v0 + state->s[0];
    const uint64_t out1 = v1 + state->s[1] + (uint64_t)(out0 >> 64);
    store64(tag, (uint64_t)out0);
    store64(tag + 8, out1);
}

#else

void ckg_poly1305_bmi2_init(ckg_poly1305_state *state, const uint8_t key[32]) {
    (void)state, (void)key;
    __builtin_trap();
}

void ckg_poly1305_bmi2_blocks(ckg_poly1305_state *state, const uint8_t *blocks, size_t count, uint64_t high_bit) {
    (void)state, (void)blocks, (void)count, (void)high_bit;
    __builtin_trap();
}

void ckg_poly1305_bmi2_multiply(uint64_t h[3], const uint64_t r[2]) {
    (void)h, (void)r;
    __builtin_trap();
}

void ckg_poly1305_bmi2_finish(const ckg_poly1305_state *state, uint8_t tag[16]) {
    (void)state, (void)tag;
    __builtin_trap();
}

#endif
