// ChaCha20 (RFC 8439 section 2.4) with AVX-512: sixteen blocks per pass in
// 512-bit registers, the tail on the AVX-512VL kernel. Called only when
// CKG_CPU_AVX512 is reported.
#ifndef CKG_CHACHA20_AVX512_H
#define CKG_CHACHA20_AVX512_H

#include <stddef.h>
#include <stdint.h>

/// As ckg_chacha20_avx2_xor (ckg_chacha20_avx2.h): XORs the `count` bytes
/// at `buffer` in place with the keystream from block `counter`.
void ckg_chacha20_avx512_xor(uint8_t *buffer, size_t count, const uint32_t key[8], const uint32_t nonce[3],
                             uint32_t counter);

#endif
