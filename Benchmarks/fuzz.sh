#!/usr/bin/env bash
# Coverage-guided fuzzing of KeyGate's parsers and handshake with libFuzzer.
#
#   Benchmarks/fuzz.sh --list               the targets whose modules exist, one a line
#   Benchmarks/fuzz.sh TARGET SECONDS       build TARGET, fuzz it for SECONDS
#   Benchmarks/fuzz.sh --build TARGET       only build it (.build-fuzz/bin/TARGET)
#   Benchmarks/fuzz.sh --build-all          build every listed target (what CI does)
#
# The modules are compiled here with swiftc, not by SwiftPM, so that the
# package's own builds never see the sanitizer flags (see Fuzz/README.md).
# A run starts from the committed seeds in Fuzz/Corpus/TARGET plus what
# earlier runs found (kept in .build-fuzz/work/TARGET/corpus, not committed);
# a crash is saved to Fuzz/Crashes/TARGET/ and the script exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out="$root/.build-fuzz"

# The library modules in dependency order: each may import only the ones
# before it. A module missing from Sources/ (not written yet) is skipped,
# and so is every target that needs it.
modules=(CKeyGateSystem KeyGateSystem CKeyGateCrypto KeyGateCrypto KeyGateNoise KeyGateKeys KeyGateSockets KeyGateChannel KeyGateServer KeyGateChat KeyGateFTP KeyGateLab)

usage() {
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

# The modules a target needs, from its `// fuzz-modules:` line.
target_modules() {
    sed -n 's|^// fuzz-modules: *||p' "Fuzz/Targets/$1.swift"
}

# The outside libraries a target links, from its `// fuzz-libraries:` line:
# `openssl` (libcrypto, for the differential targets) is the only one.
target_libraries() {
    sed -n 's|^// fuzz-libraries: *||p' "Fuzz/Targets/$1.swift"
}

# Whether every module that target $1 needs exists.
target_available() {
    local module
    for module in $(target_modules "$1"); do
        [[ -d "Sources/$module" ]] || return 1
    done
}

list_targets() {
    local file name
    for file in Fuzz/Targets/*.swift; do
        name=$(basename "$file" .swift)
        if target_available "$name"; then echo "$name"; fi
    done
}

# Whether $1 is missing or older than any of the other paths (files or folders).
stale() {
    local product=$1
    shift
    [[ -e "$product" ]] || return 0
    [[ -n "$(find "$@" -newer "$product" -print -quit 2>/dev/null)" ]]
}

# The C modules (CKeyGate*) are seen by Swift through a module map each.
c_modules=(CKeyGateSystem CKeyGateCrypto)
swift_flags=(-O -wmo -parse-as-library -swift-version 6 -enable-testing -g -I "$out/modules")
for module in "${c_modules[@]}"; do
    swift_flags+=(-Xcc "-fmodule-map-file=$out/modules/$module/module.modulemap")
done

# Every Swift compile names every C module's map, so each map must exist
# before the first compile, also for targets that do not use that module.
write_module_map() {
    local module=$1
    mkdir -p "$out/modules/$module"
    printf 'module %s {\n    header "%s"\n    export *\n}\n' \
        "$module" "$root/Sources/$module/include/$module.h" > "$out/modules/$module/module.modulemap"
}
for module in "${c_modules[@]}"; do
    [[ -d "Sources/$module" ]] && write_module_map "$module"
done

# Compiles one library module into $out/modules (interface) and
# $out/objects; the rest of the arguments are the interfaces it may import.
build_module() {
    local module=$1
    shift
    mkdir -p "$out/modules" "$out/objects"
    local object="$out/objects/$module.o"
    if [[ $module == CKeyGate* ]]; then
        # The umbrella header (in CKeyGateSystem mostly static inline
        # functions) through a module map, and the C files (some need
        # _GNU_SOURCE) compiled here with AddressSanitizer, into one object
        # linked like the others. Each keeps the optimisation level
        # Package.swift gives it, -O3 for the cryptographic kernels.
        local headers="$root/Sources/$module/include" level=-O2
        [[ $module == CKeyGateCrypto ]] && level=-O3
        write_module_map "$module"
        if ! stale "$object" "Sources/$module"; then return; fi
        echo "fuzz: compiling $module" >&2
        local sources=() source
        mapfile -t sources < <(find "Sources/$module" -name '*.c' | sort)
        local parts=()
        for source in "${sources[@]}"; do
            parts+=("$out/objects/$module-$(basename "$source" .c).o")
            nice -n 10 clang "$level" -g -fsanitize=address -I "$headers" -c "$source" -o "${parts[-1]}"
        done
        ld.lld -r -o "$object" "${parts[@]}"
        return
    fi
    if ! stale "$object" "Sources/$module" "$@"; then return; fi
    # The primitives are left without coverage instrumentation: they are
    # branch-free by design, so their edges would only slow the fuzzer.
    local sanitize=-sanitize=fuzzer,address
    [[ $module == KeyGateCrypto ]] && sanitize=-sanitize=address
    echo "fuzz: compiling $module" >&2
    nice -n 10 swiftc "${swift_flags[@]}" "$sanitize" -module-name "$module" \
        -emit-module -emit-module-path "$out/modules/$module.swiftmodule" \
        -c -o "$object" $(find "Sources/$module" -name '*.swift' | sort)
}

# Builds the fuzzer executable $out/bin/$1.
build_target() {
    local target=$1 module objects=() interfaces=()
    target_available "$target" || { echo "fuzz: $target needs modules that do not exist yet: $(target_modules "$target")" >&2; exit 2; }
    for module in "${modules[@]}"; do
        if [[ " $(target_modules "$target") " == *" $module "* ]]; then
            build_module "$module" "${interfaces[@]}"
            objects+=("$out/objects/$module.o")
            # Modules above see a C module through its headers.
            if [[ $module == CKeyGate* ]]; then interfaces+=("Sources/$module/include"); continue; fi
            interfaces+=("$out/modules/$module.swiftmodule")
        fi
    done
    local sources=("$root/Fuzz/Targets/$target.swift" "$root"/Fuzz/Support/*.swift) extra=() library
    for library in $(target_libraries "$target"); do
        case "$library" in
            openssl)
                # A test tool's dependency, never KeyGate's: the module map
                # and the Swift wrappers live in Fuzz/Support/COpenSSL.
                require_openssl
                sources+=("$root"/Fuzz/Support/COpenSSL/*.swift)
                extra+=(-I "$root/Fuzz/Support/COpenSSL" -lcrypto) ;;
            *) echo "fuzz: $target names the unknown library $library" >&2; exit 2 ;;
        esac
    done
    local binary="$out/bin/$target"
    mkdir -p "$out/bin"
    if ! stale "$binary" "Fuzz/Targets/$target.swift" Fuzz/Support "${objects[@]}"; then return; fi
    echo "fuzz: linking $target" >&2
    # From inside bin/: with -g the driver leaves module files in the current folder.
    (cd "$out/bin" && nice -n 10 swiftc "${swift_flags[@]}" -sanitize=fuzzer,address -use-ld=lld \
        -module-name "Fuzz_${target//-/_}" "${sources[@]}" "${extra[@]}" "${objects[@]}" -o "$binary")
}

# libcrypto's headers, for the differential targets: Debian's libssl-dev.
require_openssl() {
    [[ -f /usr/include/openssl/evp.h ]] && return
    echo "fuzz: installing libssl-dev (OpenSSL's headers, for the differential targets)" >&2
    local sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    "${sudo[@]}" apt-get install -y libssl-dev > /dev/null || {
        "${sudo[@]}" apt-get update > /dev/null && "${sudo[@]}" apt-get install -y libssl-dev > /dev/null
    }
}

run_target() {
    local target=$1 seconds=$2
    build_target "$target"
    local work="$out/work/$target" crashes="$root/Fuzz/Crashes/$target"
    mkdir -p "$work/corpus" "$crashes"
    if [[ -d "Fuzz/Corpus/$target" ]]; then cp -n "Fuzz/Corpus/$target"/* "$work/corpus/" 2>/dev/null || true; fi
    local options=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -max_len=4096
                   -print_final_stats=1 -artifact_prefix="$crashes/")
    [[ -f "Fuzz/Dictionaries/$target.dict" ]] && options+=(-dict="Fuzz/Dictionaries/$target.dict")
    echo "fuzz: running $target for $seconds s (log: $work/log)" >&2
    # libFuzzer exits non-zero on a crash, a leak or a timeout; pipefail passes it on.
    # The Swift runtime's own crash handler would fight ASan's; libFuzzer reports instead.
    SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=1 nice -n 10 "$out/bin/$target" "${options[@]}" "$work/corpus" 2>&1 | tee "$work/log"
}

case "${1:-}" in
    --list) list_targets ;;
    --build) [[ $# -eq 2 ]] || usage; build_target "$2" ;;
    --build-all) [[ $# -eq 1 ]] || usage; for target in $(list_targets); do build_target "$target"; done ;;
    -*|"") usage ;;
    *)
        [[ $# -eq 2 && $2 =~ ^[0-9]+$ ]] || usage
        [[ -f "Fuzz/Targets/$1.swift" ]] || { echo "fuzz: no target $1 (see --list)" >&2; exit 2; }
        run_target "$1" "$2"
        ;;
esac
