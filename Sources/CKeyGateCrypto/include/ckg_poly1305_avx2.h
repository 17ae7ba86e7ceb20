// Poly1305 (RFC 8439 section 2.5) with AVX2: eight blocks at a time in
// radix 2^26, with the 64-bit-limb BMI2 kernel (ckg_poly1305_bmi2.h) for
// short inputs and tails. Called only when CKG_CPU_AVX2 and CKG_CPU_BMI2
// are both reported.
#ifndef CKG_POLY1305_AVX2_H
#define CKG_POLY1305_AVX2_H

#include <stddef.h>
#include <stdint.h>

#include "ckg_poly1305_bmi2.h"

/// The fewest whole blocks the vector kernel takes: below that, setting up
/// the powers of r costs more than it saves, and the scalar kernel runs.
static const size_t CKG_POLY1305_AVX2_MINIMUM_BLOCKS = 16;

/// Absorbs `count` full 16-byte blocks (each with 2^128 added), `count` a
/// multiple of 8, at least 8: two chains of four lanes.
void ckg_poly1305_avx2_blocks(ckg_poly1305_state *state, const uint8_t *blocks, size_t count);

/// Absorbs `count` bytes, zero-padding a final partial block to 16 bytes
/// (the AEAD's padding, section 2.8): vector for at least
/// CKG_POLY1305_AVX2_MINIMUM_BLOCKS whole blocks, scalar for the rest.
void ckg_poly1305_avx2_update_padded(ckg_poly1305_state *state, const uint8_t *bytes, size_t count);

/// The shared steps of the vector kernels (AVX2 and AVX-512), scalar code
/// that runs on both, so that the constant-time check of the AVX2 kernel
/// under valgrind also checks them for the AVX-512 one.
///
/// The five 26-bit limbs of h0 + h1*2^64 + h2*2^128 (the last one takes
/// what is above 2^104, a little more than 26 bits when h2 is not reduced).
void ckg_poly1305_limbs(const uint64_t h[3], uint64_t limbs[5]);

/// r^1 ... r^count as 26-bit limbs, limb by limb: limb i of r^p at
/// table[i * count + p - 1].
void ckg_poly1305_power_table(const ckg_poly1305_state *state, size_t count, uint64_t *table);

/// The lanes' sums of each 26-bit limb, carried through and packed into
/// the accumulator of `state`.
void ckg_poly1305_fold_limbs(ckg_poly1305_state *state, const uint64_t sums[5]);

/// Absorbs the last `count` bytes of a message (section 2.5: a final
/// partial block gets a 0x01 byte after the data and no 2^128), writes the
/// tag and wipes `state`.
void ckg_poly1305_avx2_finish_message(ckg_poly1305_state *state, const uint8_t *message, size_t count, uint8_t tag[16]);

/// The tag of `count` bytes under the one-time `key` (section 2.5: a final
/// partial block gets a 0x01 byte after the data and no 2^128).
void ckg_poly1305_avx2_authenticate(const uint8_t key[32], const uint8_t *message, size_t count, uint8_t tag[16]);

#endif
