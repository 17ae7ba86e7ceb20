// Poly1305 (RFC 8439 section 2.5) on 64-bit limbs with mulx (BMI2): the
// state shared with the AVX2 kernel, short messages and the tails of long
// ones. Called only when CKG_CPU_BMI2 is reported.
#ifndef CKG_POLY1305_BMI2_H
#define CKG_POLY1305_BMI2_H

#include <stddef.h>
#include <stdint.h>

/// One authentication: the accumulator h0 + h1*2^64 + h2*2^128 (h2 small,
/// partially reduced modulo 2^130 - 5), the clamped r and s.
typedef struct {
    uint64_t h[3];
    uint64_t r[2];
    uint64_t s[2];
} ckg_poly1305_state;

/// Section 2.5: r is the clamped first half of the 32-byte key, s the second.
void ckg_poly1305_bmi2_init(ckg_poly1305_state *state, const uint8_t key[32]);

/// Absorbs `count` 16-byte blocks, each with 2^128 added when `high_bit` is
/// 1 (full blocks) or not when 0 (a final block already padded with 0x01).
void ckg_poly1305_bmi2_blocks(ckg_poly1305_state *state, const uint8_t *blocks, size_t count, uint64_t high_bit);

/// h = h * r modulo 2^130 - 5, partially reduced; h[2] must be small (below
/// 8), as it is in a state. Used for the powers of r of the AVX2 kernel.
void ckg_poly1305_bmi2_multiply(uint64_t h[3], const uint64_t r[2]);

/// Writes the tag (h mod p) + s mod 2^128 to `tag`.
void ckg_poly1305_bmi2_finish(const ckg_poly1305_state *state, uint8_t tag[16]);

#endif
