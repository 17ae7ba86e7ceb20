// The ChaCha20-Poly1305 AEAD on the AVX2 kernels, or on the AVX-512 ones,
// in C so that a whole
// message goes through them without a return to Swift per chunk (see
// CKeyGateCrypto.h for why the kernels are C).
//
// The message goes in chunks of 16 KiB, which stay in the L1 cache between
// the two passes over them: sealing encrypts a chunk, then absorbs its
// ciphertext into Poly1305; opening absorbs first, then decrypts. Running
// the scalar Poly1305 between the ChaCha20 rounds instead (as the portable
// Swift does) measured no faster here: both kernels keep the vector ports
// busy, and mulx shares two of them. Block 0 gives the one-time key
// (section 2.6); the pass that computes it also makes the keystream of the
// first 448 bytes, XORed into a copy of them (the buffer itself must still
// hold the ciphertext when opening). Every branch and memory index depends
// on the lengths alone.
#include "ckg_chacha20_poly1305_avx2.h"
#include "ckg_chacha20_poly1305_avx512.h"

#if defined(__x86_64__)
#include <string.h>

#include "ckg_chacha20_avx2.h"
#include "ckg_chacha20_avx512.h"
#include "ckg_poly1305_avx2.h"
#include "ckg_poly1305_avx512.h"

#define CKG_AVX2_BMI2 __attribute__((target("avx2,bmi2")))

enum {
    /// Message bytes per chunk: a multiple of the 64-byte ChaCha20 block
    /// and of the eight Poly1305 blocks of the vector kernel.
    chunk_bytes = 16384,
    /// The most message bytes whose keystream comes from the pass of block
    /// 0: on AVX-512, fifteen blocks of a sixteen-block pass, and two more
    /// for a message that ends there (the pass's tail rows); seven blocks
    /// of an eight-block pass on the 256-bit kernels.
    maximum_head_bytes = 960 + 128,
};

static inline void wipe(void *bytes, size_t count) {
    memset(bytes, 0, count);
    __asm__ volatile("" : : "r"(bytes) : "memory");
}

/// The keystream XOR of one ChaCha20 kernel: AVX2 or AVX-512.
typedef void chacha20_xor(uint8_t *buffer, size_t count, const uint32_t key[8], const uint32_t nonce[3],
                          uint32_t counter);

/// The padded absorption of one Poly1305 kernel: AVX2 or AVX-512.
typedef void poly1305_update(ckg_poly1305_state *state, const uint8_t *bytes, size_t count);

/// The AEAD on the ChaCha20 kernel `xor`, whose widest pass makes block 0
/// and `head_bytes` of keystream (or all of a message of at most
/// `whole_head_bytes`), and the Poly1305 kernel `update`; inlined into each
/// entry point below, so the kernels are direct calls.
CKG_AVX2_BMI2 static inline void chacha20_poly1305(uint8_t *buffer, size_t count, const uint8_t *aad, size_t aad_count,
                                                   const uint32_t key[8], const uint32_t nonce[3], int sealing,
                                                   uint8_t tag[16], chacha20_xor *xor, size_t head_bytes,
                                                   size_t whole_head_bytes, poly1305_update *update) {
    _Alignas(64) uint8_t head[64 + maximum_head_bytes];
    const size_t head_count = count <= whole_head_bytes ? count : head_bytes;
    memset(head, 0, 64);
    if (head_count > 0) {
        memcpy(head + 64, buffer, head_count);
    }
    xor(head, 64 + head_count, key, nonce, 0);

    ckg_poly1305_state state;
    ckg_poly1305_bmi2_init(&state, head);
    if (aad_count > 0) {
        update(&state, aad, aad_count);
    }
    for (size_t offset = 0; offset < count;) {
        const size_t end = count - offset < chunk_bytes ? count : offset + chunk_bytes;
        if (!sealing) {
            update(&state, buffer + offset, end - offset);
        }
        size_t from = offset;
        if (offset == 0) {
            memcpy(buffer, head + 64, head_count);
            from = head_count;
        }
        if (end > from) {
            // Block 1 encrypts message byte 0.
            xor(buffer + from, end - from, key, nonce, (uint32_t)(1 + from / 64));
        }
        if (sealing) {
            update(&state, buffer + offset, end - offset);
        }
        offset = end;
    }
    uint8_t lengths[16];
    const uint64_t aad_length = aad_count, message_length = count;
    memcpy(lengths, &aad_length, 8);
    memcpy(lengths + 8, &message_length, 8);
    ckg_poly1305_bmi2_blocks(&state, lengths, 1, 1);
    ckg_poly1305_bmi2_finish(&state, tag);
    wipe(head, 64 + head_count);
    wipe(&state, sizeof state);
}

CKG_AVX2_BMI2 void ckg_chacha20_poly1305_avx2(uint8_t *buffer, size_t count, const uint8_t *aad, size_t aad_count,
                                              const uint32_t key[8], const uint32_t nonce[3], int sealing,
                                              uint8_t tag[16]) {
    chacha20_poly1305(buffer, count, aad, aad_count, key, nonce, sealing, tag, ckg_chacha20_avx2_xor, 448, 448,
                      ckg_poly1305_avx2_update_padded);
}

CKG_AVX2_BMI2 void ckg_chacha20_poly1305_avx512(uint8_t *buffer, size_t count, const uint8_t *aad, size_t aad_count,
                                                const uint32_t key[8], const uint32_t nonce[3], int sealing,
                                                uint8_t tag[16]) {
    chacha20_poly1305(buffer, count, aad, aad_count, key, nonce, sealing, tag, ckg_chacha20_avx512_xor, 960, 960 + 128,
                      ckg_poly1305_avx512_update_padded);
}

#else

void ckg_chacha20_poly1305_avx2(uint8_t *buffer, size_t count, const uint8_t *aad, size_t aad_count,
                                const uint32_t key[8], const uint32_t nonce[3], int sealing, uint8_t tag[16]) {
    (void)buffer, (void)count, (void)aad, (void)aad_count, (void)key, (void)nonce, (void)sealing, (void)tag;
    __builtin_trap();
}

void ckg_chacha20_poly1305_avx512(uint8_t *buffer, size_t count, const uint8_t *aad, size_t aad_count,
                                  const uint32_t key[8], const uint32_t nonce[3], int sealing, uint8_t tag[16]) {
    (void)buffer, (void)count, (void)aad, (void)aad_count, (void)key, (void)nonce, (void)sealing, (void)tag;
    __builtin_trap();
}

#endif
