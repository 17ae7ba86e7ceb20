// X25519 scalar multiplication with BMI2's mulx.
#ifndef CKG_X25519_BMI2_H
#define CKG_X25519_BMI2_H

#include <stdint.h>

/// RFC 7748 section 5: out = X25519(scalar, u), the Montgomery ladder over
/// bits 254 down to 0 of `scalar` (clamped by the caller), u decoded with
/// its top bit masked and values of p and above reduced; out is the
/// canonical encoding. Uses mulx: call only when ckg_cpu_features()
/// reports CKG_CPU_BMI2. A trap on other architectures.
void ckg_x25519_bmi2(uint8_t out[32], const uint8_t scalar[32], const uint8_t u[32]);

#endif
