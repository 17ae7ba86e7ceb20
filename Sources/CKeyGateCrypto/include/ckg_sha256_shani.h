// SHA-256 block compression with the x86 SHA extensions.
#ifndef CKG_SHA256_SHANI_H
#define CKG_SHA256_SHANI_H

#include <stddef.h>
#include <stdint.h>

/// FIPS 180-4 section 6.2.2 over `block_count` consecutive 64-byte blocks
/// at `blocks`, updating the eight state words h0...h7 in `state` (host
/// order). Uses sha256rnds2, sha256msg1/2, SSSE3 and SSE4.1: call only when
/// ckg_cpu_features() reports CKG_CPU_SHA. A trap on other architectures.
void ckg_sha256_compress_shani(uint32_t state[8], const uint8_t *blocks, size_t block_count);

#endif
