// The ChaCha20-Poly1305 AEAD (RFC 8439 section 2.8) on the AVX-512
// ChaCha20 and Poly1305 kernels. Called only when
// CKG_CPU_AVX512 and CKG_CPU_BMI2 are both reported.
#ifndef CKG_CHACHA20_POLY1305_AVX512_H
#define CKG_CHACHA20_POLY1305_AVX512_H

#include <stddef.h>
#include <stdint.h>

/// As ckg_chacha20_poly1305_avx2 (ckg_chacha20_poly1305_avx2.h), with the
/// keystream from ckg_chacha20_avx512_xor and the tag from
/// ckg_poly1305_avx512_update_padded.
void ckg_chacha20_poly1305_avx512(uint8_t *buffer, size_t count, const uint8_t *aad, size_t aad_count,
                                  const uint32_t key[8], const uint32_t nonce[3], int sealing, uint8_t tag[16]);

#endif
