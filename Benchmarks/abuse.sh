#!/usr/bin/env bash
# Benchmarks/abuse.sh: fault and abuse tests against a real server on 127.0.0.1.
#
#   1. 1,000 garbage and half-open connections while 50 legitimate clients chat
#   2. slow-loris handshakes are cut at the deadline; descriptors back to baseline
#   3. a client connecting to every port of the data range while legitimate clients resume
#   4. kill -9 of the server in the middle of an upload: no partial file under the target name
#   5. kill -9 of a client in the middle of a download: the server frees its resources
#   6. a soak at steady load: resident memory grows < 10% after warm-up, no descriptor leak
#
# Every test is bounded in time and talks to 127.0.0.1 only. The last line is
# "N passed, N failed"; the exit status is 0 only when nothing failed.
#
# Usage: Benchmarks/abuse.sh [--soak-minutes N] [--only NUMBER]   (default: 10 minutes, all tests)
set -uo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
SOAK_MINUTES=10
ONLY=""
while [ $# -gt 0 ]; do
    case "$1" in
        --soak-minutes) SOAK_MINUTES="$2"; shift ;;
        --only) ONLY="$2"; shift ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "abuse.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

WORK=$(mktemp -d /tmp/keygate-abuse.XXXXXX)
PASSED=0
FAILED=0
PIDS=()
cleanup() {
    for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$WORK" /dev/shm/keygate-abuse-* 2>/dev/null
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null

say() { printf '[abuse] %s\n' "$*"; }
pass() { PASSED=$((PASSED + 1)); say "PASS $*"; }
fail() { FAILED=$((FAILED + 1)); say "FAIL $*"; }

say "building keygate (release)"
swift build -c release --product keygate >/dev/null 2>&1 || { echo "abuse.sh: build failed" >&2; exit 1; }
K="$ROOT/.build/release/keygate"
if "$K" serve --help | grep -q -- '--ftp-root'; then HAVE_FTP=1; else HAVE_FTP=0; fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
fds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null; }

SERVER_PID=""
PORT=""
DATA_RANGE=""
KEYS="$WORK/server-keys"
CLIENT="$WORK/client-keys"
FTP_ROOT=/dev/shm/keygate-abuse-root

# start_server [extra serve options...]
start_server() {
    PORT=$(free_port)
    DATA_RANGE="${DATA_RANGE:-42000-42199}"
    local services=chat ftp=()
    if [ "$HAVE_FTP" = 1 ]; then services=chat,ftp; ftp=(--ftp-root "$FTP_ROOT"); mkdir -p "$FTP_ROOT"; fi
    "$K" serve --keys "$KEYS" --listen "127.0.0.1:$PORT" --data-ports "$DATA_RANGE" --services "$services" \
        "${ftp[@]}" --log-level info "$@" 2>> "$WORK/server.log" &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    for _ in $(seq 100); do "$K" probe "127.0.0.1:$PORT" --timeout 1 >/dev/null 2>&1 && break; sleep 0.05; done
    [ -f "$CLIENT/abuse.key" ] || "$K" keygen --keys "$CLIENT" --name abuse >/dev/null
    "$K" allow "$CLIENT/abuse.pub" --keys "$KEYS" --name abuse >/dev/null
    rm -f "$CLIENT/known_hosts"
}

stop_server() {
    [ -n "$SERVER_PID" ] && kill -TERM "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=""
}

# wait_for_fds PID BASELINE SECONDS: true once the descriptor count is back.
wait_for_fds() {
    for _ in $(seq $(( $3 * 10 ))); do [ "$(fds "$1")" -le "$2" ] && return 0; sleep 0.1; done
    return 1
}

# pending_upload_bytes PID: the size of the largest file PID holds open
# under $FTP_ROOT without a name (an upload's unnamed pending file), or 0.
pending_upload_bytes() {
    local largest=0 link size
    for link in /proc/"$1"/fd/*; do
        case "$(readlink "$link" 2>/dev/null)" in
            "$FTP_ROOT"/*" (deleted)")
                size=$(stat -L -c %s "$link" 2>/dev/null || echo 0)
                [ "$size" -gt "$largest" ] && largest=$size ;;
        esac
    done
    echo "$largest"
}

bench() {  # bench ARGS... -> JSON on stdout
    "$K" bench "127.0.0.1:$PORT" --keys "$CLIENT" --name abuse --json "$@" 2>> "$WORK/bench.err"
}

json_field() { python3 -c "import json,sys; print(json.loads(sys.argv[1]).get(sys.argv[2], ''))" "$1" "$2" 2>/dev/null; }

run() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }

# ----------------------------------------------------------------- 1. flood
if run 1; then
    say "1. 1,000 garbage and half-open connections while 50 clients chat"
    start_server --handshake-timeout 3
    python3 - "$PORT" > "$WORK/flood.out" 2>&1 <<'PY' &
import os, random, socket, sys, time
port = int(sys.argv[1]); held = []
for i in range(1000):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        if i % 2 == 0:
            s.send(os.urandom(random.randint(1, 200)))   # garbage
        held.append(s)                                     # odd ones: half-open, silent
    except OSError:
        pass
time.sleep(6)
print(f"opened {len(held)}")
PY
    flood=$!
    PIDS+=("$flood")
    sleep 0.5
    result=$(bench --clients 50 --messages 20)
    wait "$flood"
    failed=$(json_field "$result" failed)
    if [ "$failed" = "0" ] && [ "$(json_field "$result" messages)" = "20" ]; then
        pass "all 50 clients set up and every one of their 1,000 messages came back ($(cat "$WORK/flood.out"), $(grep -c 'handshake failed' "$WORK/server.log") handshakes cut)"
    else
        fail "legitimate clients failed during the flood: $result"
    fi
    stop_server
fi

# -------------------------------------------------------------- 2. slow loris
if run 2; then
    say "2. slow-loris handshakes are cut at the deadline"
    start_server --handshake-timeout 2
    sleep 0.5
    baseline=$(fds "$SERVER_PID")
    python3 - "$PORT" > "$WORK/loris.out" <<'PY'
import socket, sys, time
port = int(sys.argv[1]); conns = []
for _ in range(200):
    s = socket.create_connection(("127.0.0.1", port)); s.settimeout(0.05); conns.append(s)
start = time.time(); closed = set()
# Drip one byte a second (a length prefix that never completes) until the server cuts us.
while time.time() - start < 10 and len(closed) < len(conns):
    for i, s in enumerate(conns):
        if i in closed: continue
        try:
            s.send(b"\x00")
            if s.recv(1) == b"": closed.add(i)
        except socket.timeout:
            pass
        except OSError:
            closed.add(i)
    time.sleep(0.5)
print(f"{len(closed)} {time.time() - start:.1f}")
PY
    read -r closed elapsed < "$WORK/loris.out"
    if [ "$closed" = 200 ] && python3 -c "import sys; sys.exit(0 if float('$elapsed') < 6 else 1)" && wait_for_fds "$SERVER_PID" "$baseline" 5; then
        pass "all 200 slow handshakes cut after ${elapsed}s (deadline 2 s); descriptors back to $baseline"
    else
        fail "slow loris: $closed of 200 cut after ${elapsed}s; descriptors $(fds "$SERVER_PID") (baseline $baseline)"
    fi
    stop_server
fi

# ------------------------------------------------------- 3. data-port scanner
if run 3; then
    say "3. a client connecting to every data port while legitimate clients resume"
    DATA_RANGE=42300-42339
    start_server
    python3 - 42300 42339 "$WORK/server.log" > "$WORK/scan.out" 2>&1 <<'PY' &
import os, re, socket, sys, threading, time
# The attacker races the rightful clients: it follows the server's log and
# connects to each granted port the moment it is announced (sending half a
# frame, then staying silent to occupy the port), and meanwhile sweeps the
# whole range with whole frames of garbage.
low, high, log = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
end = time.time() + 10; hits = []; lock = threading.Lock()
def attack(port, whole):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=0.5)
        s.send(b"\x00\x10" + os.urandom(16) if whole else b"\x00\x20" + os.urandom(16))
        with lock: hits.append(s)
    except OSError:
        pass
def follow():
    with open(log) as f:
        f.seek(0, 2)
        while time.time() < end:
            line = f.readline()
            if not line: time.sleep(0.001); continue
            m = re.search(r"granted port=(\d+)", line)
            if m: threading.Thread(target=attack, args=(int(m.group(1)), False)).start()
def sweep():
    while time.time() < end:
        for port in range(low, high + 1): attack(port, True)
threads = [threading.Thread(target=follow), threading.Thread(target=sweep)]
for t in threads: t.start()
for t in threads: t.join()
print(f"{len(hits)} connections to listening data ports")
PY
    scanner=$!
    PIDS+=("$scanner")
    result=$(bench --clients 300 --messages 2 --concurrency 16)
    wait "$scanner"
    DATA_RANGE=""
    if [ "$(json_field "$result" failed)" = "0" ]; then
        pass "all 300 sessions resumed and chatted while the attacker made $(cat "$WORK/scan.out") ($(grep -c 'stranger on data port' "$WORK/server.log") garbage frames refused; silent ones are closed when the session resumes)"
    else
        fail "sessions failed under the data-port scan: $result"
    fi
    stop_server
fi

# ------------------------------------------------- 4. kill -9 server mid-upload
if run 4; then
    say "4. kill -9 of the server in the middle of an upload"
    if [ "$HAVE_FTP" = 0 ]; then
        fail "the server has no FTP service to upload to"
    else
        rm -rf "$FTP_ROOT"
        start_server
        head -c $((512 << 20)) /dev/urandom > /dev/shm/keygate-abuse-upload
        "$K" ftp "127.0.0.1:$PORT" --keys "$CLIENT" --name abuse put /dev/shm/keygate-abuse-upload big.bin > /dev/null 2>&1 &
        client=$!
        PIDS+=("$client")
        # Wait until the upload is under way (the server's unnamed pending
        # file, open as "$FTP_ROOT/#N (deleted)", passes 1 MiB), then kill.
        for _ in $(seq 200); do
            [ "$(pending_upload_bytes "$SERVER_PID")" -gt $((1 << 20)) ] && break
            sleep 0.05
        done
        say "killing the server with $(pending_upload_bytes "$SERVER_PID") bytes of the upload received"
        kill -9 "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""
        wait "$client"; client_status=$?
        start_server
        sleep 0.5
        target="$FTP_ROOT/big.bin"
        if [ -e "$target" ] && ! cmp -s "$target" /dev/shm/keygate-abuse-upload; then
            fail "a partial or corrupt big.bin is under the target name after the restart"
        elif [ "$client_status" = 0 ] && [ ! -e "$target" ]; then
            fail "the client reported success but there is no file"
        else
            leftovers=$(find "$FTP_ROOT" -name '.keygate-upload-*' | wc -l)
            if [ "$leftovers" != 0 ]; then
                fail "$leftovers temporary upload files left behind after kill -9"
            else
                pass "no partial file under the target name and no temporary file after kill -9 and restart (client exit $client_status)"
            fi
        fi
        stop_server
    fi
fi

# ----------------------------------------------- 5. kill -9 client mid-download
if run 5; then
    say "5. kill -9 of a client in the middle of a download"
    if [ "$HAVE_FTP" = 0 ]; then
        fail "the server has no FTP service to download from"
    else
        rm -rf "$FTP_ROOT"; mkdir -p "$FTP_ROOT"
        head -c $((1 << 30)) /dev/zero > "$FTP_ROOT/huge.bin"
        start_server
        sleep 0.5
        baseline=$(fds "$SERVER_PID")
        "$K" ftp "127.0.0.1:$PORT" --keys "$CLIENT" --name abuse get huge.bin /dev/null > /dev/null 2>&1 &
        client=$!
        PIDS+=("$client")
        for _ in $(seq 100); do [ "$(fds "$SERVER_PID")" -gt $((baseline + 1)) ] && break; sleep 0.05; done
        sleep 0.5
        during=$(fds "$SERVER_PID")
        kill -9 "$client"; wait "$client" 2>/dev/null
        if wait_for_fds "$SERVER_PID" "$baseline" 15; then
            pass "the server went from $during descriptors back to $baseline after the client was killed"
        else
            fail "the server still holds $(fds "$SERVER_PID") descriptors (baseline $baseline) 15 s after the client was killed"
        fi
        stop_server
        rm -f "$FTP_ROOT/huge.bin"
    fi
fi

# --------------------------------------------------------------------- 6. soak
if run 6; then
    say "6. soak: $SOAK_MINUTES minute(s) at steady load"
    start_server
    sleep 0.5
    baseline=$(fds "$SERVER_PID")
    seconds=$((SOAK_MINUTES * 60))
    warmup=$(( seconds / 10 < 60 ? seconds / 10 : 60 ))
    # 20 resident members talking at 5 messages/s each, plus a stream of
    # short sessions (connect, say, leave) and, with FTP, small transfers.
    bench --clients 20 --messages $(( (seconds + 5) * 5 )) --rate 5 > "$WORK/soak.json" &
    load=$!
    PIDS+=("$load")
    (
        end=$(( $(date +%s) + seconds ))
        n=0
        while [ "$(date +%s)" -lt "$end" ]; do
            echo "churn $n" | "$K" chat "127.0.0.1:$PORT" --keys "$CLIENT" --name abuse > /dev/null 2>&1
            if [ "$HAVE_FTP" = 1 ]; then
                echo "$n" > "$WORK/small.txt"
                "$K" ftp "127.0.0.1:$PORT" --keys "$CLIENT" --name abuse put "$WORK/small.txt" "soak-$((n % 10)).txt" > /dev/null 2>&1
            fi
            n=$((n + 1))
            sleep 0.5
        done
    ) &
    churn=$!
    PIDS+=("$churn")
    sleep "$warmup"
    warm=$(rss_kib "$SERVER_PID")
    peak=$warm
    for _ in $(seq $(( (seconds - warmup) / 5 ))); do
        sleep 5
        now=$(rss_kib "$SERVER_PID"); [ -n "$now" ] && [ "$now" -gt "$peak" ] && peak=$now
    done
    wait "$churn"
    wait "$load"
    final=$(rss_kib "$SERVER_PID")
    growth=$(python3 -c "print(f'{($final-$warm)*100/$warm:.1f}')")
    messages_ok=$(json_field "$(cat "$WORK/soak.json")" failed)
    if python3 -c "import sys; sys.exit(0 if ($final-$warm)*100/$warm < 10 else 1)" && wait_for_fds "$SERVER_PID" "$baseline" 10 && [ "$messages_ok" = 0 ]; then
        pass "resident memory ${warm} KiB after warm-up, ${final} KiB at the end (${growth}%, peak ${peak} KiB); descriptors back to $baseline; no failed client"
    else
        fail "soak: memory ${warm} -> ${final} KiB (${growth}%), descriptors $(fds "$SERVER_PID") (baseline $baseline), bench failed=$messages_ok"
    fi
    stop_server
fi

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
