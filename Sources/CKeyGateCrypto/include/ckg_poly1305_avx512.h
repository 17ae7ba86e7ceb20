// Poly1305 (RFC 8439 section 2.5) with AVX-512: sixteen blocks a step in
// eight lanes of radix 2^26, with the AVX2 and BMI2 kernels for what is
// left. Called only when CKG_CPU_AVX512 and CKG_CPU_BMI2 are reported.
#ifndef CKG_POLY1305_AVX512_H
#define CKG_POLY1305_AVX512_H

#include <stddef.h>
#include <stdint.h>

#include "ckg_poly1305_bmi2.h"

/// The fewest whole blocks the sixteen-block kernel takes: below that the
/// table of sixteen powers of r costs more than it saves.
static const size_t CKG_POLY1305_AVX512_MINIMUM_BLOCKS = 32;

/// The vector step alone: `count` full blocks (a multiple of 16, at least
/// 16) absorbed into the accumulator whose limbs are `start`, under the r
/// whose limbs are `r` (both as ckg_poly1305_limbs makes them); writes each
/// limb's sum over the lanes to `sums`, for ckg_poly1305_fold_limbs.
void ckg_poly1305_avx512_lanes(const uint64_t r[5], const uint64_t start[5], const uint8_t *blocks, size_t count,
                               uint64_t sums[5]);

/// Absorbs `count` full 16-byte blocks (each with 2^128 added), `count` a
/// multiple of 16, at least 16.
void ckg_poly1305_avx512_blocks(ckg_poly1305_state *state, const uint8_t *blocks, size_t count);

/// As ckg_poly1305_avx2_update_padded, sixteen blocks at a time.
void ckg_poly1305_avx512_update_padded(ckg_poly1305_state *state, const uint8_t *bytes, size_t count);

/// As ckg_poly1305_avx2_authenticate, sixteen blocks at a time.
void ckg_poly1305_avx512_authenticate(const uint8_t key[32], const uint8_t *message, size_t count, uint8_t tag[16]);

#endif
