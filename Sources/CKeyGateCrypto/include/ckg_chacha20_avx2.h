// ChaCha20 (RFC 8439 section 2.4) with AVX2: eight blocks per pass in
// 256-bit registers. Called only when CKG_CPU_AVX2 is reported.
#ifndef CKG_CHACHA20_AVX2_H
#define CKG_CHACHA20_AVX2_H

#include <stddef.h>
#include <stdint.h>

/// XORs the `count` bytes at `buffer` in place with the keystream that
/// starts at block `counter`, for the key's eight words and the nonce's
/// three (host order, as RFC 8439 section 2.3 reads them). The counter
/// wraps modulo 2^32 with the nonce unchanged, as the portable code does;
/// callers keep within one nonce's 2^32 blocks.
void ckg_chacha20_avx2_xor(uint8_t *buffer, size_t count, const uint32_t key[8], const uint32_t nonce[3],
                           uint32_t counter);

#endif
