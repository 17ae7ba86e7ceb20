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

memcheck=(valgrind --tool=memcheck --error-exitcode=1 --track-origins=yes --num-callers=30
          --suppressions=Benchmarks/ct-check.supp)

if [[ $mode == check ]]; then
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

# --prove-it-fails: each broken variant alone must make memcheck report an
# error, and the report's stack must lead into the variant's own code
# (Sources/keygate-ct-check/BrokenVariants.swift), not somewhere else.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
missed=0
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
