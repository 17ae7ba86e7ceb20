#!/usr/bin/env bash
# Benchmarks/compare-tree.sh: `keygate ftp put -r` and `get -r` of a tree of
# small files through two keygate builds, alternating, on the same machine
# in the same run, so a change's effect on the cost per file is seen apart
# from the machine's noise.
#
# Usage: Benchmarks/compare-tree.sh OLD_KEYGATE NEW_KEYGATE [ROUNDS] [FILES] [-- FTP OPTIONS]
#   e.g. Benchmarks/compare-tree.sh /tmp/old/keygate .build/release/keygate 3 10000 -- --no-verify
# The tree is the one Benchmarks/run.sh sends: FILES files (default 10000)
# of 1-4 KiB of random bytes in 100 folders, on /dev/shm. Each round starts
# a fresh server of each build (FTP root on /dev/shm) and runs put -r, then
# get -r, with the same build as client; every copy is compared with diff -r.
# FTP OPTIONS (e.g. --no-verify) go before the command. Ports 27000-27999
# (below Linux's ephemeral range). Prints one line per build and round:
# files per second of put -r and of get -r.
set -u
# shellcheck source=Benchmarks/lib.sh
source "$(dirname "$0")/lib.sh"
[ $# -ge 2 ] || { sed -n '2,16p' "$0"; exit 2; }
OLD=$1 NEW=$2 ROUNDS=${3:-3} FILES=${4:-10000}
shift $(( $# >= 4 ? 4 : $# ))
[ "${1:-}" = "--" ] && shift
EXTRA=("$@")
WORK=$(mktemp -d /tmp/keygate-compare-tree.XXXXXX)
TREE=/dev/shm/keygate-compare-tree-source
ROOT=/dev/shm/keygate-compare-tree-ftp
BACK=/dev/shm/keygate-compare-tree-back
trap 'rm -rf "$WORK" "$TREE" "$ROOT" "$BACK"' EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null
make_tree "$TREE" "$FILES"
make_comparison_keys "$WORK" "$OLD" "$NEW"
# rate COPY COMMAND...: files per second of COMMAND, or "failed" when it
# failed or COPY differs from the tree.
rate() {
    local copy=$1 start end
    shift
    start=$(date +%s.%N)
    if ! "$@" > "$WORK/out" 2> "$WORK/err"; then echo "failed ($(tail -1 "$WORK/err"))"; return; fi
    end=$(date +%s.%N)
    if diff -rq "$TREE" "$copy" > /dev/null 2>&1; then
        python3 -c "print(f'{$FILES / ($end - $start):.0f}')"
    else
        echo "failed (the copy differs)"
    fi
}
port=27000
for round in $(seq "$ROUNDS"); do
    for name in old new; do
        binary=$OLD; [ $name = new ] && binary=$NEW
        port=$((port + 1))
        rm -rf "$ROOT" "$BACK"
        mkdir -p "$ROOT"
        "$binary" serve --keys "$WORK/$name-server" --listen "127.0.0.1:$port" --data-ports "${DATA_PORTS:-27100-27999}" --services ftp \
            --ftp-root "$ROOT" --log-level warning > /dev/null 2> "$WORK/$name-server.log" &
        server=$!
        for _ in $(seq 50); do "$binary" probe "127.0.0.1:$port" --timeout 1 > /dev/null 2>&1 && break; sleep 0.1; done
        ftp=("$binary" ftp "127.0.0.1:$port" --keys "$WORK/$name-client" --name bench "${EXTRA[@]}")
        put=$(rate "$ROOT/tree" "${ftp[@]}" put -r "$TREE" tree)
        get=$(rate "$BACK" "${ftp[@]}" get -r tree "$BACK")
        echo "$name round $round: put -r $put files/s, get -r $get files/s"
        kill "$server"; wait "$server" 2>/dev/null
    done
done
