// The body of the ChaCha20 vector kernels, included by chacha20_avx2.c and
// chacha20_avx512vl.c, which define before including it:
//   CKG_CHACHA20_TARGET    the target attribute of every function here;
//   CKG_CHACHA20_XOR       the name of the public XOR function;
//   CKG_CHACHA20_ROTATE16, _ROTATE12, _ROTATE8, _ROTATE7
//                          32-bit left rotations of a __m256i.
// The two kernels are one source: the same passes, loads, stores and
// branches (all on the public length), and differ only in the
// instructions a rotation compiles to. So the constant-time check of the
// AVX2 kernel under valgrind, which cannot run AVX-512 code, also speaks
// for the control flow and memory accesses of the AVX-512VL one (see
// chacha20_avx512vl.c).
//
// Whole 512-byte pieces take an eight-block pass straight on the buffer:
// each of the sixteen state words is one 256-bit register whose eight
// 32-bit lanes belong to eight consecutive blocks, so one instruction
// advances eight blocks. After the rounds a transpose (unpack 32- and
// 64-bit lanes within each 128-bit half, then swap halves) turns lanes
// back into serialized blocks. Up to 256 bytes left over take a row pass:
// one 4-word row of two blocks in each register (one block per 128-bit
// half), two such pairs side by side, diagonals turned into columns by
// rotating rows with vpshufd. More than 256 left take one more eight-block
// pass, into a buffer. No table lookups and no branches on key or data;
// every branch is on the public length.
//
// Not a header of its own: no include guard, each kernel includes it once.
// Every function is inlined into the public one, so that each kernel's
// machine code is one symbol for Benchmarks/ct-check.sh to read.

#define CKG_CHACHA20_INLINE __attribute__((always_inline)) inline

static const uint32_t sigma[4] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};

#define QUARTER(a, b, c, d)                                                                             \
    do {                                                                                                \
        a = _mm256_add_epi32(a, b); d = CKG_CHACHA20_ROTATE16(_mm256_xor_si256(d, a));                  \
        c = _mm256_add_epi32(c, d); b = CKG_CHACHA20_ROTATE12(_mm256_xor_si256(b, c));                  \
        a = _mm256_add_epi32(a, b); d = CKG_CHACHA20_ROTATE8(_mm256_xor_si256(d, a));                   \
        c = _mm256_add_epi32(c, d); b = CKG_CHACHA20_ROTATE7(_mm256_xor_si256(b, c));                   \
    } while (0)

/// 4x4 transpose of 32-bit words within each 128-bit half: afterwards a, b,
/// c, d hold words 0-3 of blocks 0, 1, 2, 3 (low halves) and 4, 5, 6, 7
/// (high halves).
#define TRANSPOSE(a, b, c, d)                                                                           \
    do {                                                                                                \
        __m256i t0 = _mm256_unpacklo_epi32(a, b), t1 = _mm256_unpackhi_epi32(a, b);                     \
        __m256i t2 = _mm256_unpacklo_epi32(c, d), t3 = _mm256_unpackhi_epi32(c, d);                     \
        a = _mm256_unpacklo_epi64(t0, t2); b = _mm256_unpackhi_epi64(t0, t2);                           \
        c = _mm256_unpacklo_epi64(t1, t3); d = _mm256_unpackhi_epi64(t1, t3);                           \
    } while (0)

CKG_CHACHA20_TARGET static inline void xor32(uint8_t *out, __m256i keystream) {
    __m256i data = _mm256_loadu_si256((const __m256i *)out);
    _mm256_storeu_si256((__m256i *)out, _mm256_xor_si256(data, keystream));
}

/// Blocks counter ..< counter + 8 XORed into the 512 bytes at `out`.
CKG_CHACHA20_TARGET CKG_CHACHA20_INLINE static void eight_blocks(uint8_t *out, const uint32_t key[8], const uint32_t nonce[3], uint32_t counter) {
    const __m256i s0 = _mm256_set1_epi32((int)sigma[0]), s1 = _mm256_set1_epi32((int)sigma[1]);
    const __m256i s2 = _mm256_set1_epi32((int)sigma[2]), s3 = _mm256_set1_epi32((int)sigma[3]);
    const __m256i k0 = _mm256_set1_epi32((int)key[0]), k1 = _mm256_set1_epi32((int)key[1]);
    const __m256i k2 = _mm256_set1_epi32((int)key[2]), k3 = _mm256_set1_epi32((int)key[3]);
    const __m256i k4 = _mm256_set1_epi32((int)key[4]), k5 = _mm256_set1_epi32((int)key[5]);
    const __m256i k6 = _mm256_set1_epi32((int)key[6]), k7 = _mm256_set1_epi32((int)key[7]);
    const __m256i ctr = _mm256_add_epi32(_mm256_set1_epi32((int)counter), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    const __m256i n0 = _mm256_set1_epi32((int)nonce[0]), n1 = _mm256_set1_epi32((int)nonce[1]);
    const __m256i n2 = _mm256_set1_epi32((int)nonce[2]);

    __m256i x0 = s0, x1 = s1, x2 = s2, x3 = s3, x4 = k0, x5 = k1, x6 = k2, x7 = k3;
    __m256i x8 = k4, x9 = k5, x10 = k6, x11 = k7, x12 = ctr, x13 = n0, x14 = n1, x15 = n2;
    for (int round = 0; round < 10; round++) {
        QUARTER(x0, x4, x8, x12);
        QUARTER(x1, x5, x9, x13);
        QUARTER(x2, x6, x10, x14);
        QUARTER(x3, x7, x11, x15);
        QUARTER(x0, x5, x10, x15);
        QUARTER(x1, x6, x11, x12);
        QUARTER(x2, x7, x8, x13);
        QUARTER(x3, x4, x9, x14);
    }
    x0 = _mm256_add_epi32(x0, s0); x1 = _mm256_add_epi32(x1, s1);
    x2 = _mm256_add_epi32(x2, s2); x3 = _mm256_add_epi32(x3, s3);
    x4 = _mm256_add_epi32(x4, k0); x5 = _mm256_add_epi32(x5, k1);
    x6 = _mm256_add_epi32(x6, k2); x7 = _mm256_add_epi32(x7, k3);
    x8 = _mm256_add_epi32(x8, k4); x9 = _mm256_add_epi32(x9, k5);
    x10 = _mm256_add_epi32(x10, k6); x11 = _mm256_add_epi32(x11, k7);
    x12 = _mm256_add_epi32(x12, ctr); x13 = _mm256_add_epi32(x13, n0);
    x14 = _mm256_add_epi32(x14, n1); x15 = _mm256_add_epi32(x15, n2);

    TRANSPOSE(x0, x1, x2, x3);
    TRANSPOSE(x4, x5, x6, x7);
    TRANSPOSE(x8, x9, x10, x11);
    TRANSPOSE(x12, x13, x14, x15);
    // Block j is (words 0-3, 4-7) then (8-11, 12-15) of row j's halves.
    xor32(out + 0 * 64, _mm256_permute2x128_si256(x0, x4, 0x20));
    xor32(out + 0 * 64 + 32, _mm256_permute2x128_si256(x8, x12, 0x20));
    xor32(out + 1 * 64, _mm256_permute2x128_si256(x1, x5, 0x20));
    xor32(out + 1 * 64 + 32, _mm256_permute2x128_si256(x9, x13, 0x20));
    xor32(out + 2 * 64, _mm256_permute2x128_si256(x2, x6, 0x20));
    xor32(out + 2 * 64 + 32, _mm256_permute2x128_si256(x10, x14, 0x20));
    xor32(out + 3 * 64, _mm256_permute2x128_si256(x3, x7, 0x20));
    xor32(out + 3 * 64 + 32, _mm256_permute2x128_si256(x11, x15, 0x20));
    xor32(out + 4 * 64, _mm256_permute2x128_si256(x0, x4, 0x31));
    xor32(out + 4 * 64 + 32, _mm256_permute2x128_si256(x8, x12, 0x31));
    xor32(out + 5 * 64, _mm256_permute2x128_si256(x1, x5, 0x31));
    xor32(out + 5 * 64 + 32, _mm256_permute2x128_si256(x9, x13, 0x31));
    xor32(out + 6 * 64, _mm256_permute2x128_si256(x2, x6, 0x31));
    xor32(out + 6 * 64 + 32, _mm256_permute2x128_si256(x10, x14, 0x31));
    xor32(out + 7 * 64, _mm256_permute2x128_si256(x3, x7, 0x31));
    xor32(out + 7 * 64 + 32, _mm256_permute2x128_si256(x11, x15, 0x31));
}

/// Rows 1, 2, 3 rotated left by one, two, three words: diagonals become
/// columns (and the inverse with the shuffles swapped).
#define TO_DIAGONALS(b, c, d)                                                                           \
    do {                                                                                                \
        b = _mm256_shuffle_epi32(b, 0x39); c = _mm256_shuffle_epi32(c, 0x4e); d = _mm256_shuffle_epi32(d, 0x93); \
    } while (0)
#define TO_COLUMNS(b, c, d)                                                                             \
    do {                                                                                                \
        b = _mm256_shuffle_epi32(b, 0x93); c = _mm256_shuffle_epi32(c, 0x4e); d = _mm256_shuffle_epi32(d, 0x39); \
    } while (0)

/// Blocks counter ..< counter + 4 written to the 256 bytes at `out`, in
/// rows: each register is one row of two blocks.
CKG_CHACHA20_TARGET CKG_CHACHA20_INLINE static void four_blocks_rows(uint8_t *out, const uint32_t key[8], const uint32_t nonce[3], uint32_t counter) {
    const __m256i row0 = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)sigma));
    const __m256i row1 = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)key));
    const __m256i row2 = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(key + 4)));
    const __m256i row3a = _mm256_setr_epi32((int)counter, (int)nonce[0], (int)nonce[1], (int)nonce[2],
                                            (int)(counter + 1), (int)nonce[0], (int)nonce[1], (int)nonce[2]);
    const __m256i row3b = _mm256_add_epi32(row3a, _mm256_setr_epi32(2, 0, 0, 0, 2, 0, 0, 0));
    __m256i a0 = row0, b0 = row1, c0 = row2, d0 = row3a;
    __m256i a1 = row0, b1 = row1, c1 = row2, d1 = row3b;
    for (int round = 0; round < 10; round++) {
        QUARTER(a0, b0, c0, d0);
        QUARTER(a1, b1, c1, d1);
        TO_DIAGONALS(b0, c0, d0);
        TO_DIAGONALS(b1, c1, d1);
        QUARTER(a0, b0, c0, d0);
        QUARTER(a1, b1, c1, d1);
        TO_COLUMNS(b0, c0, d0);
        TO_COLUMNS(b1, c1, d1);
    }
    a0 = _mm256_add_epi32(a0, row0); b0 = _mm256_add_epi32(b0, row1);
    c0 = _mm256_add_epi32(c0, row2); d0 = _mm256_add_epi32(d0, row3a);
    a1 = _mm256_add_epi32(a1, row0); b1 = _mm256_add_epi32(b1, row1);
    c1 = _mm256_add_epi32(c1, row2); d1 = _mm256_add_epi32(d1, row3b);
    _mm256_storeu_si256((__m256i *)(out + 0), _mm256_permute2x128_si256(a0, b0, 0x20));
    _mm256_storeu_si256((__m256i *)(out + 32), _mm256_permute2x128_si256(c0, d0, 0x20));
    _mm256_storeu_si256((__m256i *)(out + 64), _mm256_permute2x128_si256(a0, b0, 0x31));
    _mm256_storeu_si256((__m256i *)(out + 96), _mm256_permute2x128_si256(c0, d0, 0x31));
    _mm256_storeu_si256((__m256i *)(out + 128), _mm256_permute2x128_si256(a1, b1, 0x20));
    _mm256_storeu_si256((__m256i *)(out + 160), _mm256_permute2x128_si256(c1, d1, 0x20));
    _mm256_storeu_si256((__m256i *)(out + 192), _mm256_permute2x128_si256(a1, b1, 0x31));
    _mm256_storeu_si256((__m256i *)(out + 224), _mm256_permute2x128_si256(c1, d1, 0x31));
}

/// XORs `count` bytes of `keystream` into `out`.
CKG_CHACHA20_TARGET CKG_CHACHA20_INLINE static void xor_bytes(uint8_t *out, const uint8_t *keystream, size_t count) {
    size_t index = 0;
    for (; index + 32 <= count; index += 32) {
        xor32(out + index, _mm256_loadu_si256((const __m256i *)(keystream + index)));
    }
    for (; index < count; index++) {
        out[index] ^= keystream[index];
    }
}

CKG_CHACHA20_TARGET void CKG_CHACHA20_XOR(uint8_t *buffer, size_t count, const uint32_t key[8], const uint32_t nonce[3],
                                    uint32_t counter) {
    while (count >= 512) {
        eight_blocks(buffer, key, nonce, counter);
        buffer += 512;
        count -= 512;
        counter += 8;
    }
    if (count == 0) {
        return;
    }
    _Alignas(32) uint8_t keystream[512];
    if (count > 256) {
        memset(keystream, 0, sizeof keystream);
        eight_blocks(keystream, key, nonce, counter);
    } else {
        four_blocks_rows(keystream, key, nonce, counter);
    }
    xor_bytes(buffer, keystream, count);
    // The keystream is as secret as the key: not left on the stack.
    memset(keystream, 0, sizeof keystream);
    __asm__ volatile("" : : "r"(keystream) : "memory");
}

