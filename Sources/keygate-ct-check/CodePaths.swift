import KeyGateCrypto

/// The ways a primitive can compute its result, and the inputs that take
/// each one, so that every code path that handles secrets is checked.
///
/// The path is chosen by the input length, and at run time by CPU
/// features (an AVX2 ChaCha20 or a SHA-NI SHA-256). A path chosen at run
/// time gets its own entry here, with whatever forces it (an override of
/// the dispatch, a process started with the feature masked), and every
/// check of that primitive then runs once per entry.
///
/// The C kernels of ChaCha20, Poly1305 and the AEAD (AVX2 and BMI2, which
/// valgrind 3.19's synthetic CPU reports) run when the checker runs with
/// KEYGATE_CPU=native, the portable Swift with KEYGATE_CPU=portable;
/// Benchmarks/ct-check.sh runs both. Their entries are named "avx2 ...":
/// in the portable run the same lengths go through the portable code. The
/// AVX-512 kernels (ChaCha20 in sixteen-block passes, for tails the AVX2
/// kernel's source with one-instruction rotations; Poly1305 in eight
/// lanes, around the AVX2 kernel's scalar steps) are never selected under
/// valgrind, which has no AVX-512; the script checks their machine code
/// instead.
struct CodePath: Sendable {
    let name: String
    /// Input lengths, in bytes, that take this path.
    let lengths: [Int]
    /// Associated-data lengths to combine with each (the AEAD only).
    var aadLengths: [Int] = [0, 13]
}

enum CodePaths {
    /// ChaCha20.xorKeyStream: 256-byte chunks in four-block passes; a chunk
    /// of at most 128 bytes (a short message, or the tail of a long one) in
    /// a two-block pass (ChaCha20+TwoBlocks.swift).
    static let chaCha20 = [
        CodePath(name: "two-block", lengths: [1, 63, 64, 65, 127, 128]),
        CodePath(name: "four-block", lengths: [129, 200, 256, 512 + 64, 1000]),
        // chacha20_avx2.c: whole 512-byte eight-block passes, then a row
        // pass for up to 256 bytes left, one more eight-block pass into a
        // buffer for more.
        CodePath(name: "avx2 eight-block passes", lengths: [512, 1024, 4096]),
        CodePath(name: "avx2 row-pass tail", lengths: [1, 100, 256, 512 + 1, 512 + 255, 1024 + 256]),
        CodePath(name: "avx2 eight-block tail", lengths: [257, 511, 512 + 257, 1024 + 511]),
    ]

    /// ChaChaPoly.crypt: the pass that makes the one-time key also covers
    /// up to 192 bytes (two blocks side by side up to 64 bytes, four above);
    /// then 256-byte chunks with Poly1305 interleaved in the rounds (the
    /// unrolled path for whole chunks, the general one for the last), each
    /// in both directions.
    static let chaChaPoly = [
        CodePath(name: "key pass, two blocks", lengths: [0, 1, 15, 16, 17, 64]),
        CodePath(name: "key pass, four blocks", lengths: [65, 128, 129, 191, 192]),
        CodePath(name: "whole 256-byte chunks", lengths: [192 + 256, 192 + 512]),
        CodePath(name: "last partial chunk", lengths: [193, 192 + 100, 192 + 256 + 129, 4096 + 7]),
        // chacha20_poly1305_avx2.c: block 0 with the keystream of up to 448
        // bytes, in a buffer; then 16 KiB chunks, each encrypted by the
        // ChaCha20 kernel and absorbed by the Poly1305 one (vector lanes
        // from 256 bytes of whole blocks, scalar below and for the rest,
        // padded); AAD long enough for the vector lanes too.
        CodePath(name: "avx2 head only", lengths: [0, 1, 64, 447, 448], aadLengths: [0, 13, 300]),
        CodePath(name: "avx2 head and chunks", lengths: [449, 448 + 512, 1024, 4096 + 7], aadLengths: [0, 13, 300]),
        CodePath(name: "avx2 several chunks", lengths: [16 * 1024, 16 * 1024 + 449, 32 * 1024 + 1]),
    ]

    /// Poly1305.authenticate: whole 16-byte blocks and a padded final block.
    static let poly1305 = [
        CodePath(name: "whole blocks", lengths: [0, 16, 64, 1024]),
        CodePath(name: "partial final block", lengths: [1, 15, 17, 100]),
        // poly1305_avx2.c: two chains of four lanes for whole groups of
        // eight blocks from sixteen blocks on, the scalar kernel
        // (poly1305_bmi2.c) below that and for the blocks and bytes left.
        CodePath(name: "avx2 scalar, short", lengths: [16 * 15, 16 * 15 + 9]),
        CodePath(name: "avx2 vector lanes", lengths: [256, 1024, 4096]),
        CodePath(name: "avx2 vector lanes and scalar rest", lengths: [256 + 16 * 7 + 15, 1000, 4096 + 7]),
    ]

    /// SHA256Hasher: a short message finished in one padded block, one that
    /// needs a second padding block, whole blocks straight from the input,
    /// and input that first completes a pending block.
    ///
    /// These run the portable compression function in both of the script's
    /// runs: valgrind's synthetic CPU has no SHA extensions, so the SHA-NI
    /// kernel (sha256_shani.c) is never selected under memcheck, which
    /// could not execute it anyway. Benchmarks/ct-check.sh checks that
    /// kernel's machine code instead (check_vector_kernel): data only in xmm
    /// registers, nothing moved from them into an address or a branch, and
    /// no conditional branch but the loop over the block count.
    static let sha256 = [
        CodePath(name: "one padding block", lengths: [0, 1, 55]),
        CodePath(name: "two padding blocks", lengths: [56, 63]),
        CodePath(name: "whole blocks", lengths: [64, 128, 1000]),
    ]

    /// HMAC-SHA256 keys: shorter than a block (zero-padded), exactly a
    /// block, and longer (hashed first, RFC 2104 section 2).
    static let hmacKeys = [
        CodePath(name: "short key", lengths: [1, 16, 32]),
        CodePath(name: "block-sized key", lengths: [64]),
        CodePath(name: "long key, hashed", lengths: [65, 200]),
    ]

    /// X25519 and FFDHE take one path per CPU setting, whatever the input:
    /// the mulx kernels of CKeyGateCrypto when BMI2 is enabled, which
    /// valgrind's synthetic CPU reports, so the script's KEYGATE_CPU=native
    /// run checks them; the portable Swift code in its KEYGATE_CPU=portable
    /// run. The DH checks first confirm that the process took the path
    /// listed here, so that neither run silently checks the other's code.
    static var diffieHellman: [(primitive: String, path: String)] {
        let mulx = CPUFeatures.enabled.contains(.bmi2)
        return [("x25519", mulx ? "mulx" : "portable"), ("ffdhe", mulx ? "mulx" : "portable")]
    }
}
