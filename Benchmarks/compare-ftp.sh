#!/usr/bin/env bash
# Benchmarks/compare-ftp.sh: one 1 GiB FTP upload and download through two
# keygate builds, alternating, on the same machine in the same run, so a
# change's effect is seen apart from the machine's noise.
#
# Usage: Benchmarks/compare-ftp.sh OLD_KEYGATE NEW_KEYGATE [ROUNDS] [-- BENCH OPTIONS]
#   e.g. Benchmarks/compare-ftp.sh /tmp/old/.build/release/keygate .build/release/keygate 5 -- --no-verify
# Each round starts a fresh server of each build (FTP root on /dev/shm) and
# runs `keygate bench --service ftp --size 1G --dir /dev/shm` with the same
# build as client. BENCH OPTIONS go to builds whose bench knows them.
# Ports 26000-26999 (below Linux's ephemeral range). Prints one line per build and round: upload and download MB/s.
set -u
# shellcheck source=Benchmarks/lib.sh
source "$(dirname "$0")/lib.sh"
[ $# -ge 2 ] || { sed -n '2,12p' "$0"; exit 2; }
OLD=$1 NEW=$2 ROUNDS=${3:-3}
shift $(( $# >= 3 ? 3 : 2 ))
[ "${1:-}" = "--" ] && shift
EXTRA=("$@")
WORK=$(mktemp -d /tmp/keygate-compare.XXXXXX)
trap 'rm -rf "$WORK" /dev/shm/keygate-compare-ftp' EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null
make_comparison_keys "$WORK" "$OLD" "$NEW"
port=26000
for round in $(seq "$ROUNDS"); do
    for name in old new; do
        binary=$OLD; [ $name = new ] && binary=$NEW
        port=$((port + 1))
        mkdir -p /dev/shm/keygate-compare-ftp
        "$binary" serve --keys "$WORK/$name-server" --listen "127.0.0.1:$port" --data-ports 26100-26999 --services ftp \
            --ftp-root /dev/shm/keygate-compare-ftp --log-level warning > /dev/null 2> "$WORK/$name-server.log" &
        server=$!
        for _ in $(seq 50); do "$binary" probe "127.0.0.1:$port" --timeout 1 > /dev/null 2>&1 && break; sleep 0.1; done
        known=()
        for option in "${EXTRA[@]}"; do
            "$binary" bench --help 2>/dev/null | grep -q -- "${option%%=*}" && known+=("$option")
        done
        result=$("$binary" bench "127.0.0.1:$port" --keys "$WORK/$name-client" --name bench --service ftp \
            --size 1G --dir /dev/shm --json "${known[@]}" 2> "$WORK/bench.err")
        echo "$name round $round: $(python3 -c 'import json,sys; d=json.loads(sys.argv[1] or "{}"); print("upload", d.get("upload_mb_per_s"), "MB/s, download", d.get("download_mb_per_s"), "MB/s")' "$result")"
        kill "$server"; wait "$server" 2>/dev/null
        rm -rf /dev/shm/keygate-compare-ftp
    done
done
