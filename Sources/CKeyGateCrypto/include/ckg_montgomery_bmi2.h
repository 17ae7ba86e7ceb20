// Montgomery multiplication for the FFDHE moduli, with BMI2's mulx.
#ifndef CKG_MONTGOMERY_BMI2_H
#define CKG_MONTGOMERY_BMI2_H

#include <stddef.h>
#include <stdint.h>

/// r = a * b * 2^(-64 n) mod p for n-limb little-endian numbers a, b < p,
/// with p odd and k0 = -p^-1 mod 2^64. n must be 32, 48 or 64 (the RFC 7919
/// groups' sizes); r may alias a or b. Uses mulx: call only when
/// ckg_cpu_features() reports CKG_CPU_BMI2. A trap on other architectures.
void ckg_montgomery_multiply_bmi2(uint64_t *r, const uint64_t *a, const uint64_t *b,
                                  const uint64_t *p, uint64_t k0, size_t n);

/// r = a * a * 2^(-64 n) mod p, as ckg_montgomery_multiply_bmi2(r, a, a, ...)
/// but with each cross product computed once. Same conditions.
void ckg_montgomery_square_bmi2(uint64_t *r, const uint64_t *a, const uint64_t *p, uint64_t k0, size_t n);

#endif
