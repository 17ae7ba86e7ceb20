#!/usr/bin/env bash
# Constant-time check of KeyGate's cryptography under valgrind's memcheck.
#
#   Benchmarks/ct-check.sh                   build keygate-ct-check, run every check
#   Benchmarks/ct-check.sh --prove-it-fails  build the deliberately broken variants and
#                                            show that memcheck reports each one
#   Benchmarks/ct-check.sh --build-only      only build (either mode: add it after the mode)
#   Benchmarks/ct-check.sh --no-build        only run what an earlier build left
#
# The checker (Sources/keygate-ct-check) runs every primitive and every code
# path that handles secrets with the secrets marked undefined; memcheck then
# reports each branch, memory index or system call argument that depends on
# them. It is built in release, with the client requests compiled in
# (-Xcc -DKEYGATE_CONSTANT_TIME_VALIDATION), in its own scratch path
# (.build-ct; the broken variants in .build-ct-broken), so that the
# package's other builds are untouched. Nothing may be reported: the run
# passes only with zero errors (Benchmarks/ct-check.supp holds the few
# suppressions, each with its reason). Exit status: 0 when clean, 1 when
# anything is reported or a result is wrong, 2 for a usage or setup error.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
    sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

mode=check build=yes run=yes
for argument in "$@"; do
    case "$argument" in
        --prove-it-fails) mode=prove ;;
        --build-only) run=no ;;
        --no-build) build=no ;;
        *) usage ;;
    esac
done

scratch=.build-ct
flags=(-Xcc -DKEYGATE_CONSTANT_TIME_VALIDATION)
if [[ $mode == prove ]]; then
    scratch=.build-ct-broken
    flags+=(-Xswiftc -DKEYGATE_CONSTANT_TIME_BROKEN_VARIANTS)
fi
# valgrind 3.19 cannot read DWARF 5, the toolchain's default: without
# version 4 its reports would have no file and line.
flags+=(-Xswiftc -dwarf-version=4 -Xcc -gdwarf-4)
checker="$scratch/release/keygate-ct-check"

# valgrind and its headers (memcheck.h, for the client requests).
if [[ ! -f /usr/include/valgrind/memcheck.h ]] || ! command -v valgrind > /dev/null; then
    echo "ct-check: installing valgrind" >&2
    if [[ $(id -u) -eq 0 ]]; then sudo=(); else sudo=(sudo); fi
    "${sudo[@]}" apt-get install -y valgrind > /dev/null || {
        "${sudo[@]}" apt-get update > /dev/null && "${sudo[@]}" apt-get install -y valgrind > /dev/null
    }
fi

if [[ $build == yes ]]; then
    echo "ct-check: building $checker" >&2
    swift build -c release --scratch-path "$scratch" --product keygate-ct-check "${flags[@]}" >&2 \
        || { echo "ct-check: the build failed" >&2; exit 2; }
fi
[[ $run == yes ]] || exit 0

# The SHA-NI kernel (Sources/CKeyGateCrypto/sha256_shani.c) cannot run under
# valgrind: 3.19 hides the SHA extensions from its synthetic CPU, so memcheck
# checks only the portable SHA-256, and would stop at sha256rnds2 with
# SIGILL. Its substitute is a check of the kernel's machine code, in the
# binary that runs: every instruction must come from a short allow-list of
# SSE/SHA vector instructions (on xmm registers and memory) and of
# general-purpose bookkeeping (pointer and counter arithmetic, branches),
# none of which loads memory into a general-purpose register or moves an
# xmm register into one (no movd/movq/pextr/pmovmskb/ptest). The message and
# the state then live only in xmm registers, so no address and no branch
# condition can depend on them; and at most two conditional branches are
# allowed, the test for zero blocks and the loop over the public block
# count. check_vector_kernel BINARY SYMBOL prints what breaks these rules.
check_vector_kernel() {
    local binary=$1 symbol=$2 listing
    listing=$(objdump -d --no-show-raw-insn --disassemble="$symbol" "$binary" \
        | sed -n 's/^ *[0-9a-f]*:\t\([^<#]*\).*/\1/p' | sed 's/ *$//')
    [[ -n $listing ]] || { echo "no code for $symbol in $binary"; return 1; }
    awk -v symbol="$symbol" '
        { mnemonic = $1; operands = $2 }
        mnemonic ~ /^(sha256rnds2|sha256msg1|sha256msg2|movdqa|movdqu|movaps|movups|pshufd|pshufb|paddd|palignr|pblendw|punpck[lh](dq|qdq)|pxor)$/ {
            if (operands ~ /%[re]?[a-ds][xil]|%r[0-9]/ && operands !~ /\(/) { print "a vector instruction on a general-purpose register: " $0; bad++ }
            if (mnemonic == "sha256rnds2") rounds++
            next
        }
        mnemonic ~ /^(j[a-z]+)$/ && mnemonic != "jmp" { branches++; next }
        mnemonic ~ /^(jmp|ret|nop|nopw|nopl|data16|cs|endbr64|push|pop)$/ { next }
        mnemonic ~ /^(test|cmp|add|sub|inc|dec|lea|mov|shl|xor)$/ {
            if (mnemonic != "lea" && operands ~ /\(/ && operands !~ /^%[a-z0-9]+,/) { print "a load into a general-purpose register: " $0; bad++ }
            next
        }
        { print "an instruction outside the allow-list: " $0; bad++ }
        END {
            if (rounds < 32) { print symbol ": " rounds + 0 " sha256rnds2, expected the 32 of a fully unrolled block"; bad++ }
            if (branches > 2) { print symbol ": " branches " conditional branches, at most 2 allowed (zero blocks, the block loop)"; bad++ }
            exit bad > 0
        }' <<< "$listing"
}

# The AVX-512VL ChaCha20 kernel (Sources/CKeyGateCrypto/chacha20_avx512vl.c)
# cannot run under valgrind either: 3.19 has no AVX-512. It is the AVX2
# kernel's source (chacha20_vector_body.h) with each rotation one vprold,
# and memcheck checks the AVX2 kernel; what remains to check is that the
# compiler gave the AVX-512VL code no branch or data flow the AVX2 code
# lacks. check_same_source_kernel BINARY SYMBOL REFERENCE_BINARY
# REFERENCE_SYMBOL prints what breaks these rules: SYMBOL's machine code
# moves nothing from a vector or mask register into a general-purpose
# register or the flags (no vmovd/vmovq/vpextr to a register, no kmov to
# one, no ptest, kortest, movmsk or comis), so the keystream and the state
# never reach an address or a branch condition; it calls nothing; and its
# conditional branches are, mnemonic for mnemonic, those of the reference
# (the AVX2 kernel, which memcheck ran), all on the public length.
check_same_source_kernel() {
    local binary=$1 symbol=$2 reference_binary=$3 reference_symbol=$4 listing reference
    listing=$(objdump -d --no-show-raw-insn --disassemble="$symbol" "$binary" \
        | sed -n 's/^ *[0-9a-f]*:\t\([^<#]*\).*/\1/p' | sed 's/ *$//')
    reference=$(objdump -d --no-show-raw-insn --disassemble="$reference_symbol" "$reference_binary" \
        | sed -n 's/^ *[0-9a-f]*:\t\([^<#]*\).*/\1/p' | sed 's/ *$//')
    [[ -n $listing ]] || { echo "no code for $symbol in $binary"; return 1; }
    [[ -n $reference ]] || { echo "no code for $reference_symbol in $reference_binary"; return 1; }
    local bad=0
    awk '
        { mnemonic = $1; operands = $2 }
        mnemonic ~ /^(vp?test|ptest|kortest|ktest|v?p?movmsk|v?u?comis|kmov)/ { print "a vector or mask value into the flags or a register: " $0; bad++; next }
        mnemonic ~ /^v/ && operands ~ /(^|,)%([re]?[a-ds][xil]l?|[re]?[sb]p|r[0-9]+[dwb]?)$/ { print "a vector value into a general-purpose register: " $0; bad++; next }
        mnemonic ~ /^call/ { print "a call: " $0; bad++ }
        END { exit bad > 0 }' <<< "$listing" || bad=1
    local branches reference_branches
    branches=$(awk '$1 ~ /^j/ && $1 != "jmp" { print $1 }' <<< "$listing" | sort | uniq -c | tr -s ' ' | tr '\n' ' ')
    reference_branches=$(awk '$1 ~ /^j/ && $1 != "jmp" { print $1 }' <<< "$reference" | sort | uniq -c | tr -s ' ' | tr '\n' ' ')
    if [[ $branches != "$reference_branches" ]]; then
        echo "$symbol: conditional branches [$branches] differ from $reference_symbol's [$reference_branches]"
        bad=1
    fi
    return $bad
}

# The AVX-512 kernels of ChaCha20 (Sources/CKeyGateCrypto/chacha20_avx512.c,
# sixteen blocks per pass) and Poly1305 (poly1305_avx512.c, its vector
# step and the function around it) have sources of their own, and
# valgrind cannot run them. check_register_only_kernel BINARY SYMBOL
# CALLEES prints what breaks the rules that keep their secrets out of
# every address and branch: key, keystream, message and accumulator enter
# only vector registers (loaded or broadcast from memory); no vector or
# mask value moves into a general-purpose register or the flags; no
# general-purpose register is loaded from memory (general-purpose code is
# pointer and counter bookkeeping from an allow-list); and nothing outside
# the function is called or jumped to but the CALLEES (a space-separated
# list: the AVX-512VL ChaCha20 for tails, checked by
# check_same_source_kernel; the scalar Poly1305 steps shared with the AVX2
# kernel, which memcheck runs).
check_register_only_kernel() {
    local binary=$1 symbol=$2 callees=$3 listing
    listing=$(objdump -d --no-show-raw-insn --disassemble="$symbol" "$binary" \
        | sed -n 's/^ *[0-9a-f]*:\t\([^#]*\).*/\1/p' | sed 's/ *$//')
    [[ -n $listing ]] || { echo "no code for $symbol in $binary"; return 1; }
    awk -v symbol="$symbol" -v callees="$callees" '
        BEGIN { split(callees, list, " "); for (i in list) allowed[list[i]] = 1; allowed[symbol] = 1 }
        { mnemonic = $1; operands = $2 }
        mnemonic ~ /^(vp?test|ptest|kortest|ktest|v?p?movmsk|v?u?comis)/ { print "a vector or mask value into the flags or a register: " $0; bad++; next }
        mnemonic ~ /^kmov/ {
            # Into a mask register (a byte mask made from the public length) only.
            if (operands !~ /,%k[0-7]$/ || operands ~ /^%k/) { print "a mask value out of a mask register: " $0; bad++ }
            next
        }
        mnemonic ~ /^v/ {
            if (operands ~ /(^|,)%([re]?[a-ds][xil]l?|[re]?[sb]p|r[0-9]+[dwb]?)$/) { print "a vector value into a general-purpose register: " $0; bad++ }
            next
        }
        mnemonic ~ /^(call|jmp|j[a-z]+)$/ {
            target = $0; sub(/^[^<]*</, "", target); sub(/[+>].*$/, "", target)
            if (!(target in allowed)) { print "a call or jump out of the kernel: " $0; bad++ }
            next
        }
        mnemonic ~ /^(ret|nop|nopw|nopl|data16|cs|endbr64|push|pop)$/ { next }
        mnemonic ~ /^(test|cmp|add|sub|inc|dec|neg|not|lea|mov[bwlq]?|movabs|movz[bw][wlq]?|movs[bwl][wlq]|cmov[a-z]+|set[a-z]+|shl|shr|sar|and|or|xor)$/ {
            if (mnemonic != "lea" && operands ~ /\(/ && operands !~ /^(%[a-z0-9]+|\$[-0-9a-fx]+),/) { print "a load into a general-purpose register: " $0; bad++ }
            next
        }
        { print "an instruction outside the allow-list: " $0; bad++ }
        END { exit bad > 0 }' <<< "$listing"
}

memcheck=(valgrind --tool=memcheck --error-exitcode=1 --track-origins=yes --num-callers=30
          --suppressions=Benchmarks/ct-check.supp)

if [[ $mode == check ]]; then
    echo "ct-check: SHA-NI kernel: machine code of ckg_sha256_compress_shani in $checker" >&2
    if ! check_vector_kernel "$checker" ckg_sha256_compress_shani >&2; then
        echo "ct-check: FAILED: the SHA-NI kernel's machine code may branch on or index by data (above)" >&2
        exit 1
    fi
    echo "ct-check: AVX-512VL ChaCha20 kernel: machine code of ckg_chacha20_avx512vl_xor against ckg_chacha20_avx2_xor" >&2
    if ! check_same_source_kernel "$checker" ckg_chacha20_avx512vl_xor "$checker" ckg_chacha20_avx2_xor >&2; then
        echo "ct-check: FAILED: the AVX-512VL kernel's machine code may branch on or index by data (above)" >&2
        exit 1
    fi
    echo "ct-check: AVX-512 ChaCha20 kernel: machine code of ckg_chacha20_avx512_xor" >&2
    if ! check_register_only_kernel "$checker" ckg_chacha20_avx512_xor ckg_chacha20_avx512vl_xor >&2; then
        echo "ct-check: FAILED: the AVX-512 kernel's machine code may branch on or index by data (above)" >&2
        exit 1
    fi
    echo "ct-check: AVX-512 Poly1305 kernel: machine code of ckg_poly1305_avx512_lanes and ckg_poly1305_avx512_blocks" >&2
    if ! check_register_only_kernel "$checker" ckg_poly1305_avx512_lanes "" >&2 \
        || ! check_register_only_kernel "$checker" ckg_poly1305_avx512_blocks \
            "ckg_poly1305_limbs ckg_poly1305_avx512_lanes ckg_poly1305_fold_limbs" >&2; then
        echo "ct-check: FAILED: the AVX-512 Poly1305 kernel's machine code may branch on or index by data (above)" >&2
        exit 1
    fi
    # Once with the fast paths the CPU offers (under valgrind: what its
    # synthetic CPU reports, AVX2 and BMI2 in 3.19, not ADX or SHA-NI), once
    # with the portable paths forced, so that every path that can run here
    # is checked.
    for cpu in native portable; do
        start=$SECONDS
        status=0
        echo "ct-check: KEYGATE_CPU=$cpu" >&2
        KEYGATE_CPU=$cpu "${memcheck[@]}" "$checker" || status=$?
        echo "ct-check: KEYGATE_CPU=$cpu: $((SECONDS - start)) s under memcheck, exit status $status" >&2
        if [[ $status -ne 0 ]]; then
            echo "ct-check: FAILED: memcheck reported a secret-dependent branch or index (the stacks above say where), or a check failed" >&2
            exit 1
        fi
    done
    echo "ct-check: passed: no branch, memory index or system call depends on a secret" >&2
    exit 0
fi

# --prove-it-fails, first for the machine-code checks: a SHA-NI function
# that branches on a hashed word and one that indexes a table by one must
# both be refused, and so must an AVX-512VL function that branches on a
# vector lane and one with a conditional branch the AVX2 kernel lacks, and
# AVX-512 functions that index a table by a data byte or branch on a lane.
broken_kernels=$(mktemp -d)
trap 'rm -rf "$broken_kernels"' EXIT
cat > "$broken_kernels/broken.c" <<'C'
#include <immintrin.h>
#include <stdint.h>
static const uint32_t table[256] = {1, 2, 3};
#define SHANI __attribute__((target("sha,sse4.1")))
#define ROUNDS(x, y, k) for (int i = 0; i < 16; i++) { y = _mm_sha256rnds2_epu32(y, x, k); x = _mm_sha256rnds2_epu32(x, y, k); }
SHANI void branches_on_data(uint32_t state[8], const uint8_t *blocks, long count) {
    __m128i a = _mm_loadu_si128((const __m128i *)state), b = _mm_loadu_si128((const __m128i *)(state + 4));
    for (long n = 0; n < count; n++) {
        __m128i k = _mm_loadu_si128((const __m128i *)(blocks + 64 * n));
        ROUNDS(a, b, k)
        if (_mm_cvtsi128_si32(a) & 1) b = _mm_add_epi32(b, k);
    }
    _mm_storeu_si128((__m128i *)state, a); _mm_storeu_si128((__m128i *)(state + 4), b);
}
SHANI void indexes_by_data(uint32_t state[8], const uint8_t *blocks, long count) {
    __m128i a = _mm_loadu_si128((const __m128i *)state), b = _mm_loadu_si128((const __m128i *)(state + 4));
    for (long n = 0; n < count; n++) {
        __m128i k = _mm_add_epi32(_mm_loadu_si128((const __m128i *)(blocks + 64 * n)), _mm_set1_epi32((int)table[blocks[64 * n]]));
        ROUNDS(a, b, k)
    }
    _mm_storeu_si128((__m128i *)state, a); _mm_storeu_si128((__m128i *)(state + 4), b);
}
#define VL __attribute__((target("avx2,avx512f,avx512vl")))
VL void rotates_then_branches_on_keystream(uint8_t *out, const uint32_t key[8], long count) {
    __m256i x = _mm256_set1_epi32((int)key[0]);
    for (long n = 0; n < count; n++) {
        x = _mm256_rol_epi32(_mm256_add_epi32(x, _mm256_loadu_si256((const __m256i *)(out + 32 * n))), 7);
        if (_mm256_extract_epi32(x, 3) & 1) x = _mm256_xor_si256(x, _mm256_set1_epi32(1));
        _mm256_storeu_si256((__m256i *)(out + 32 * n), x);
    }
}
VL void rotates_with_an_extra_branch(uint8_t *out, const uint32_t key[8], long count) {
    __m256i x = _mm256_set1_epi32((int)key[0]);
    for (long n = 0; n < count; n++) {
        x = _mm256_rol_epi32(_mm256_add_epi32(x, _mm256_loadu_si256((const __m256i *)(out + 32 * n))), 7);
        _mm256_storeu_si256((__m256i *)(out + 32 * n), x);
        if (n == 7) break;
    }
}
VL void sixteen_lanes_index_a_table(uint8_t *out, const uint32_t key[8], long count) {
    for (long n = 0; n < count; n++) {
        __m512i x = _mm512_rol_epi32(_mm512_add_epi32(_mm512_set1_epi32((int)table[out[64 * n]]), _mm512_set1_epi32((int)key[0])), 7);
        _mm512_storeu_si512(out + 64 * n, _mm512_xor_si512(_mm512_loadu_si512(out + 64 * n), x));
    }
}
VL void sixteen_lanes_branch_on_a_lane(uint8_t *out, const uint32_t key[8], long count) {
    __m512i x = _mm512_set1_epi32((int)key[0]);
    for (long n = 0; n < count; n++) {
        x = _mm512_rol_epi32(_mm512_add_epi32(x, _mm512_loadu_si512(out + 64 * n)), 7);
        if (_mm_cvtsi128_si32(_mm512_castsi512_si128(x)) & 1) x = _mm512_xor_si512(x, _mm512_set1_epi32(1));
        _mm512_storeu_si512(out + 64 * n, x);
    }
}
C
clang -O3 -c "$broken_kernels/broken.c" -o "$broken_kernels/broken.o"
missed=0
# expect_refused VARIANT CHECK ARGUMENTS...: CHECK (one of the machine-code
# checks, on the broken object's VARIANT) must report something.
expect_refused() {
    local variant=$1 check=$2 report
    shift 2
    if report=$("$check" "$broken_kernels/broken.o" "$variant" "$@"); then
        echo "NOT REPORTED machine-code/$variant"
        missed=$((missed + 1))
    else
        echo "reported     machine-code/$variant: $(head -1 <<< "$report")"
    fi
}
expect_refused branches_on_data check_vector_kernel
expect_refused indexes_by_data check_vector_kernel
expect_refused rotates_then_branches_on_keystream check_same_source_kernel "$checker" ckg_chacha20_avx2_xor
expect_refused rotates_with_an_extra_branch check_same_source_kernel "$checker" ckg_chacha20_avx2_xor
expect_refused sixteen_lanes_index_a_table check_register_only_kernel ""
expect_refused sixteen_lanes_branch_on_a_lane check_register_only_kernel ""

# Then under memcheck: each broken variant alone must make memcheck report an
# error, and the report's stack must lead into the variant's own code
# (Sources/keygate-ct-check/BrokenVariants.swift), not somewhere else.
log=$(mktemp)
trap 'rm -f "$log"; rm -rf "$broken_kernels"' EXIT
variants=$("$checker" --list-broken)
[[ -n $variants ]] || { echo "ct-check: this build has no broken variants" >&2; exit 2; }
while read -r variant; do
    status=0
    "${memcheck[@]}" --log-file="$log" "$checker" --broken "$variant" > /dev/null || status=$?
    errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$log" | tail -1)
    # The first frames of each report: where the secret was used.
    if [[ $status -ne 0 && ${errors:-0} -gt 0 ]] && grep -A4 -E 'Conditional jump|Use of uninitialised|Syscall param' "$log" | grep -q 'BrokenVariants'; then
        echo "reported     $variant: $errors memcheck errors, first at:"
        grep -m1 -A2 -E 'Conditional jump|Use of uninitialised|Syscall param' "$log" | sed 's/^==[0-9]*==/   /'
    else
        echo "NOT REPORTED $variant (valgrind exit status $status, ${errors:-no} errors)"
        missed=$((missed + 1))
    fi
done <<< "$variants"
if [[ $missed -ne 0 ]]; then
    echo "ct-check: $missed broken variant(s) went unreported: the checker cannot be trusted" >&2
    exit 1
fi
echo "ct-check: every broken variant was reported" >&2
