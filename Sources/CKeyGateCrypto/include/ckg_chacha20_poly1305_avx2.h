// The ChaCha20-Poly1305 AEAD (RFC 8439 section 2.8) on the AVX2 ChaCha20
// and the AVX2/BMI2 Poly1305 kernels. Called only when CKG_CPU_AVX2 and
// CKG_CPU_BMI2 are both reported.
#ifndef CKG_CHACHA20_POLY1305_AVX2_H
#define CKG_CHACHA20_POLY1305_AVX2_H

#include <stddef.h>
#include <stdint.h>

/// XORs the `count` bytes at `buffer` in place with the keystream from
/// block 1 and writes to `tag` the Poly1305 tag over aad, pad16, ciphertext,
/// pad16 and the two lengths, the one-time key being block 0. The
/// ciphertext is what `buffer` holds afterwards when `sealing` is nonzero,
/// before the call otherwise (then `tag` is the expected tag, for the
/// caller to compare). `aad` may be null when `aad_count` is 0, `buffer`
/// when `count` is 0. Key and nonce words as for ckg_chacha20_avx2_xor.
void ckg_chacha20_poly1305_avx2(uint8_t *buffer, size_t count, const uint8_t *aad, size_t aad_count,
                                const uint32_t key[8], const uint32_t nonce[3], int sealing, uint8_t tag[16]);

#endif
