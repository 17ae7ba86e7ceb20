#!/usr/bin/env bash
# Benchmarks/run.sh: KeyGate side by side with reference tools, in one run.
#
# Builds keygate in release mode, then measures on this machine, each
# KeyGate figure next to a reference measured minutes apart in the same run:
#   1. primitives:      keygate speed         vs  openssl speed
#   2. session setup:   keygate bench         vs  ssh -p PORT 127.0.0.1 true (private sshd, key auth)
#   3. file transfer:   keygate bench --service ftp (1 GiB, /dev/shm)  vs  sftp -c chacha20-poly1305@openssh.com,
#                       and a tree of 10,000 small files: keygate ftp put -r / get -r  vs  sftp put -r / get -r
#   4. one TCP stream:  keygate speed loopback-bulk / channel-loopback-bulk  vs  iperf3
#   5. idle sessions:   the server's resident memory per idle session (up to 10,000)
# Every table row names the command that produced it. Tools that are missing
# are installed from Debian's packages when possible, otherwise the section
# says it was skipped and why.
#
# Usage: Benchmarks/run.sh [--quick] [--output FILE]
#   --quick   shorter measurements and smaller sizes (a smoke run)
#   --output  where to write the report (default BENCHMARKS.md)
set -uo pipefail

cd "$(dirname "$0")/.."
# shellcheck source=Benchmarks/lib.sh
source Benchmarks/lib.sh
ROOT=$(pwd)
OUTPUT="$ROOT/BENCHMARKS.md"
QUICK=0
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) QUICK=1 ;;
        --output) OUTPUT="$2"; shift ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

SECONDS_PER_FIGURE=2
FILE_SIZE=$((1 << 30))
IDLE_SESSIONS=10000
SSH_CONNECTIONS=100
TRANSFER_RUNS=3
TREE_FILES=10000
if [ "$QUICK" = 1 ]; then
    TREE_FILES=500
    TRANSFER_RUNS=1
    SECONDS_PER_FIGURE=0.5
    FILE_SIZE=$((64 << 20))
    IDLE_SESSIONS=1000
    SSH_CONNECTIONS=20
fi

WORK=$(mktemp -d /tmp/keygate-bench.XXXXXX)
PIDS=()
SSH_USER=$(id -un)
CREATED_SSH_USER=""
cleanup() {
    for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null; done
    wait 2>/dev/null
    [ -n "$CREATED_SSH_USER" ] && userdel "$CREATED_SSH_USER" 2>/dev/null
    rm -rf "$WORK" /dev/shm/keygate-bench-* 2>/dev/null
}
trap cleanup EXIT

log() { printf '[bench] %s\n' "$*" >&2; }
REPORT="$WORK/report.md"
emit() { printf '%s\n' "$*" >> "$REPORT"; }

# have TOOL PACKAGE: the tool is there, or is installed from Debian's packages.
have() {
    command -v "$1" >/dev/null 2>&1 && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        log "installing $2 from Debian's packages"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null 2>&1 || true
    fi
    command -v "$1" >/dev/null 2>&1
}

# A free TCP port on 127.0.0.1.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{a/b:.2f}x' if b else 'n/a')" "$1" "$2"; }

log "building keygate (release)"
swift build -c release --product keygate >&2 || { echo "run.sh: build failed" >&2; exit 1; }
K="$ROOT/.build/release/keygate"

{
    echo "# KeyGate benchmarks"
    echo
    echo "Measured by \`Benchmarks/run.sh$( [ "$QUICK" = 1 ] && echo ' --quick')\` on $(date -u '+%Y-%m-%d %H:%M UTC'):"
    echo "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(uname -sr),"
    echo "$($K --version), $(openssl version 2>/dev/null || echo 'no openssl')."
    echo "Release build; KeyGate and each reference ran in the same run, one after the other."
    echo
} > "$REPORT"

# ---------------------------------------------------------------- 1. primitives
section_primitives() {
    emit "## 1. Primitives: \`keygate speed\` vs \`openssl speed\` (one core)"
    emit
    if ! have openssl openssl; then emit "Skipped: openssl is not installed."; emit; return; fi
    log "keygate speed"
    "$K" speed --json --seconds "$SECONDS_PER_FIGURE" > "$WORK/speed.json"
    KEYGATE_CPU=avx2 "$K" speed --json --seconds "$SECONDS_PER_FIGURE" chacha20poly1305-1k chacha20poly1305-16k > "$WORK/speed-avx2.json"
    local s=$SECONDS_PER_FIGURE
    [ "$QUICK" = 1 ] && s=1
    log "openssl speed"
    {
        openssl speed -seconds "$s" -bytes 16384 -evp sha256 2>/dev/null | tail -1 | sed 's/^/sha256-16k /'
        openssl speed -seconds "$s" -bytes 1024 -hmac sha256 2>/dev/null | tail -1 | sed 's/^/hmac-sha256-1k /'
        # -aead: each message sealed whole (nonce, 13 bytes of AAD, data,
        # tag), as keygate speed seals; without it openssl speed only
        # streams one message's encryption and never makes a tag.
        openssl speed -seconds "$s" -aead -bytes 1024 -evp chacha20-poly1305 2>/dev/null | tail -1 | sed 's/^/chacha20poly1305-1k /'
        openssl speed -seconds "$s" -aead -bytes 16384 -evp chacha20-poly1305 2>/dev/null | tail -1 | sed 's/^/chacha20poly1305-16k /'
        openssl speed -seconds "$s" ecdhx25519 2>/dev/null | tail -1 | sed 's/^/x25519 /'
        openssl speed -seconds "$s" ffdh2048 2>/dev/null | tail -1 | sed 's/^/ffdhe2048 /'
        openssl speed -seconds "$s" ffdh3072 2>/dev/null | tail -1 | sed 's/^/ffdhe3072 /'
        # OpenSSL again with AVX-512 masked (OPENSSL_ia32cap), and KeyGate
        # with its AVX2 kernels (KEYGATE_CPU=avx2), for what a CPU without
        # AVX-512 gets from each.
        OPENSSL_ia32cap=":~0x80010000" openssl speed -seconds "$s" -aead -bytes 1024 -evp chacha20-poly1305 2>/dev/null | tail -1 | sed 's/^/avx2:chacha20poly1305-1k /'
        OPENSSL_ia32cap=":~0x80010000" openssl speed -seconds "$s" -aead -bytes 16384 -evp chacha20-poly1305 2>/dev/null | tail -1 | sed 's/^/avx2:chacha20poly1305-16k /'
    } > "$WORK/openssl.txt"
    python3 - "$WORK/speed.json" "$WORK/openssl.txt" "$WORK/speed-avx2.json" >> "$REPORT" <<'PY'
import json, sys
ours = json.load(open(sys.argv[1]))
ours_avx2 = json.load(open(sys.argv[3]))
paths = ours.pop("paths", {})
ref = {}
for line in open(sys.argv[2]):
    parts = line.split()
    if len(parts) < 2: continue
    name, last = parts[0], parts[-1]
    # Throughput lines end in e.g. "305768.47k" (1000s of bytes per second);
    # key agreement lines end in operations per second.
    ref[name] = float(last[:-1]) / 1000 if last.endswith('k') else float(last)
goals = {"chacha20poly1305-1k": 0.7, "chacha20poly1305-16k": 0.85, "sha256-16k": 0.85, "x25519": 0.9, "ffdhe2048": 0.8}
commands = {
    "sha256-16k": "openssl speed -bytes 16384 -evp sha256", "hmac-sha256-1k": "openssl speed -bytes 1024 -hmac sha256",
    "chacha20poly1305-1k": "openssl speed -aead -bytes 1024 -evp chacha20-poly1305",
    "chacha20poly1305-16k": "openssl speed -aead -bytes 16384 -evp chacha20-poly1305",
    "x25519": "openssl speed ecdhx25519", "ffdhe2048": "openssl speed ffdh2048", "ffdhe3072": "openssl speed ffdh3072",
}
cpu = open("/proc/cpuinfo").read()
flags = next((l.split(":", 1)[1].split() for l in cpu.splitlines() if l.startswith("flags")), [])
model = next((l.split(":", 1)[1].strip() for l in cpu.splitlines() if l.startswith("model name")), "unknown CPU")
print(f"CPU: {model}; " + ", ".join(f for f in ("avx2", "bmi2", "adx", "sha_ni", "avx512f", "avx512ifma") if f in flags) + ".")
print("KeyGate's paths in this run (`keygate speed` chooses them from CPUID): " + ", ".join(f"{k} {v}" for k, v in paths.items()) + ".")
print()
print("| primitive | unit | KeyGate | OpenSSL | KeyGate/OpenSSL | goal | reference command |")
print("| --- | --- | ---: | ---: | ---: | ---: | --- |")
for name in ["sha256-16k", "hmac-sha256-1k", "chacha20poly1305-1k", "chacha20poly1305-16k", "x25519", "ffdhe2048", "ffdhe3072"]:
    unit = "ops/s" if name in ("x25519", "ffdhe2048", "ffdhe3072") else "MB/s"
    a, b = ours.get(name), ref.get(name)
    r = f"{a/b:.2f}x" if a and b else "n/a"
    goal = goals.get(name)
    verdict = "" if goal is None or not (a and b) else (f"{goal}x ✓" if a / b >= goal else f"{goal}x ✗")
    print(f"| {name} | {unit} | {a:,.0f} | {b:,.0f} | {r} | {verdict} | `{commands[name]}` |" if a and b else f"| {name} | {unit} | {a} | {b} | n/a | | |")
print()
for name in ["chacha20poly1305-1k", "chacha20poly1305-16k"]:
    a, b = ours_avx2.get(name), ref.get("avx2:" + name)
    if a and b:
        print(f"{name}, both without AVX-512 (KeyGate `KEYGATE_CPU=avx2`: {a:,.0f} MB/s; OpenSSL `OPENSSL_ia32cap=\":~0x80010000\"`: {b:,.0f} MB/s): KeyGate/OpenSSL {a/b:.2f}x.")
print()
extra = [k for k in ours if k not in ("sha256-16k", "hmac-sha256-1k", "chacha20poly1305-1k", "chacha20poly1305-16k", "x25519", "ffdhe2048", "ffdhe3072")]
print("Other `keygate speed` figures of the same run: " + ", ".join(f"{k} {ours[k]:,}" for k in extra) + ".")
x = ours.get("x25519"); xx = ours.get("noise-xx-25519"); raw = ours.get("chacha20poly1305-16k"); t = ours.get("transport-64k")
if x and xx: print(f"noise-xx-25519 is {xx/(x/9):.2f}x the target of x25519/9 ({x/9:,.0f} handshakes/s).")
if raw and t: print(f"transport-64k is {t/raw:.0%} of chacha20poly1305-16k (target 90%): two channels on an in-memory pipe, one sealing and one opening, on the two cores.")
print()
PY
    emit "KeyGate command: \`keygate speed --json --seconds $SECONDS_PER_FIGURE\`."
    emit
}

# ------------------------------------------------------------ 2. session setup
start_keygate_server() {  # start_keygate_server SERVICES -> sets KG_PORT, KG_PID, KG_KEYS, KG_CLIENT
    KG_PORT=$(free_port)
    KG_KEYS="$WORK/server-keys"
    KG_CLIENT="$WORK/client-keys"
    local ftp=()
    if [[ "$1" == *ftp* ]]; then
        mkdir -p /dev/shm/keygate-bench-ftp
        ftp=(--ftp-root /dev/shm/keygate-bench-ftp)
    fi
    # Every bench client uses one identity: let that key hold every session
    # (by default one key may hold half of them).
    local key_limit=()
    "$K" serve --help 2>/dev/null | grep -q -- '--max-key-sessions' && key_limit=(--max-key-sessions 10000)
    "$K" serve --keys "$KG_KEYS" --listen "127.0.0.1:$KG_PORT" --data-ports 41000-41999 --services "$1" \
        "${ftp[@]}" "${key_limit[@]}" --log-level warning --max-handshakes 1024 2> "$WORK/server.log" &
    KG_PID=$!
    PIDS+=("$KG_PID")
    for _ in $(seq 50); do "$K" probe "127.0.0.1:$KG_PORT" --timeout 1 >/dev/null 2>&1 && break; sleep 0.1; done
    if ! kill -0 "$KG_PID" 2>/dev/null; then
        log "the server did not start:"; cat "$WORK/server.log" >&2; return 1
    fi
    [ -f "$KG_CLIENT/bench.key" ] || "$K" keygen --keys "$KG_CLIENT" --name bench >/dev/null
    "$K" allow "$KG_CLIENT/bench.pub" --keys "$KG_KEYS" --name bench >/dev/null
}

stop_keygate_server() { kill "$KG_PID" 2>/dev/null; wait "$KG_PID" 2>/dev/null; }

start_sshd() {  # sets SSH_PORT, SSH_PID, SSH_KEY; returns 1 when sshd cannot run
    have sshd openssh-server || return 1
    have ssh openssh-client || return 1
    SSH_PORT=$(free_port)
    local dir="$WORK/sshd"
    mkdir -p "$dir" /run/sshd
    ssh-keygen -q -t ed25519 -N '' -f "$dir/host_key" >/dev/null
    ssh-keygen -q -t ed25519 -N '' -f "$dir/client_key" >/dev/null
    cp "$dir/client_key.pub" "$dir/authorized_keys"
    use_plain_ssh_user
    # sshd reads authorized_keys with the login user's rights.
    chmod 711 "$WORK" "$dir"
    chmod 644 "$dir/authorized_keys"
    cat > "$dir/sshd_config" <<CFG
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $dir/host_key
AuthorizedKeysFile $dir/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile $dir/sshd.pid
Subsystem sftp internal-sftp
MaxStartups 100:30:200
CFG
    "$(command -v sshd)" -f "$dir/sshd_config" -D -e 2> "$dir/sshd.log" &
    SSH_PID=$!
    PIDS+=("$SSH_PID")
    SSH_KEY="$dir/client_key"
    for _ in $(seq 50); do "$K" probe "127.0.0.1:$SSH_PORT" --timeout 1 >/dev/null 2>&1 && return 0; sleep 0.1; done
    return 1
}

# sshd runs `true` through the user's shell, and bash reads ~/.bashrc when
# started by sshd: a heavy one (pyenv, conda) would be measured instead of
# OpenSSH. As root, the connections log in as a throwaway user whose shell
# is /bin/sh, removed again at exit; otherwise as the current user.
use_plain_ssh_user() {
    [ -n "$CREATED_SSH_USER" ] && return
    [ "$(id -u)" = 0 ] && command -v useradd >/dev/null || return
    local name=keygate-bench
    # (It may be left over from an interrupted run: then it is reused.)
    if ! id "$name" >/dev/null 2>&1; then
        useradd --system --no-create-home --home-dir / --shell /bin/sh "$name" && usermod -p '*' "$name" || return
    fi
    CREATED_SSH_USER=$name
    SSH_USER=$name
}

SSH_OPTS=()
ssh_options() {
    SSH_OPTS=(-p "$SSH_PORT" -i "$SSH_KEY" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
              -o LogLevel=ERROR -o Ciphers=chacha20-poly1305@openssh.com)
}

# ssh_connection_rate PARALLEL [SSH OPTIONS...]: connections/s over
# $SSH_CONNECTIONS runs of `ssh ... true`, PARALLEL at a time; "failed"
# (with sshd's log on stderr) unless every one of them succeeded.
ssh_connection_rate() {
    local parallel=$1; shift
    local start end failures
    start=$(date +%s.%N)
    failures=$(seq "$SSH_CONNECTIONS" | xargs -P "$parallel" -I{} sh -c 'ssh "$@" >/dev/null 2>&1 || echo x' ssh \
        "${SSH_OPTS[@]}" "$@" "$SSH_USER@127.0.0.1" true | wc -l)
    end=$(date +%s.%N)
    if [ "$failures" != 0 ]; then
        log "ssh: $failures of $SSH_CONNECTIONS connections failed; sshd said:"
        tail -5 "$WORK/sshd/sshd.log" >&2
        echo failed
        return
    fi
    python3 -c "print(f'{$SSH_CONNECTIONS/($end-$start):.1f}')"
}

section_setup() {
    emit "## 2. Session setup: \`keygate bench\` vs OpenSSH connection setup"
    emit
    local clients=1000
    [ "$QUICK" = 1 ] && clients=200
    # Setups are measured on the FTP service, whose sessions start without
    # fan-out; on chat, every join is also announced to every member.
    start_keygate_server ftp || return
    log "keygate bench: $clients session setups"
    "$K" bench "127.0.0.1:$KG_PORT" --keys "$KG_CLIENT" --name bench --service ftp --size 0 --clients $clients --json > "$WORK/setup.json"
    "$K" bench "127.0.0.1:$KG_PORT" --keys "$KG_CLIENT" --name bench --service ftp --size 0 --clients $((clients / 10)) --concurrency 1 --json > "$WORK/setup-serial.json"
    stop_keygate_server
    start_keygate_server chat || return
    "$K" bench "127.0.0.1:$KG_PORT" --keys "$KG_CLIENT" --name bench --clients $clients --messages 0 --json > "$WORK/setup-chat.json"
    stop_keygate_server
    log "keygate bench: chat round trips, 100 clients"
    start_keygate_server chat || return
    "$K" bench "127.0.0.1:$KG_PORT" --keys "$KG_CLIENT" --name bench --clients 100 --messages 20 --rate 1 --json > "$WORK/chat-paced.json"
    stop_keygate_server
    start_keygate_server chat || return
    "$K" bench "127.0.0.1:$KG_PORT" --keys "$KG_CLIENT" --name bench --clients 100 --messages 20 --json > "$WORK/chat-flat.json"
    stop_keygate_server
    start_keygate_server chat || return
    "$K" bench "127.0.0.1:$KG_PORT" --keys "$KG_CLIENT" --name bench --clients 100 --messages 20 --rate 1 --rooms 10 --json > "$WORK/chat-rooms.json"
    stop_keygate_server
    local ssh_rate="" ssh_parallel_rate="" ssh_x25519_rate=""
    if start_sshd; then
        ssh_options
        log "ssh: $SSH_CONNECTIONS connections, one at a time (default and curve25519 key exchange), then 8 at a time"
        ssh_rate=$(ssh_connection_rate 1)
        ssh_x25519_rate=$(ssh_connection_rate 1 -o KexAlgorithms=curve25519-sha256)
        ssh_parallel_rate=$(ssh_connection_rate 8)
        kill "$SSH_PID" 2>/dev/null
    fi
    python3 - "$WORK/setup.json" "$WORK/setup-serial.json" "$WORK/setup-chat.json" "$WORK/chat-paced.json" "$WORK/chat-flat.json" "$WORK/chat-rooms.json" \
        "$ssh_rate" "$ssh_x25519_rate" "$ssh_parallel_rate" "$clients" "$SSH_CONNECTIONS" "$SSH_USER" >> "$REPORT" <<'PY'
import json, sys
setup, serial, chat, paced, flat, rooms = (json.load(open(p)) for p in sys.argv[1:7])
ssh, ssh_x, ssh_par, clients, n, ssh_user = sys.argv[7:13]
tenth = int(clients) // 10
print("| what | sessions/s | p50 ms | p99 ms | command |")
print("| --- | ---: | ---: | ---: | --- |")
print(f"| KeyGate XX-25519, 64 at a time | {setup['setups_per_s']:,} | {setup['setup_p50_ms']} | {setup['setup_p99_ms']} | `keygate bench --service ftp --size 0 --clients {clients}` |")
print(f"| KeyGate XX-25519, one at a time | {serial['setups_per_s']:,} | {serial['setup_p50_ms']} | {serial['setup_p99_ms']} | `keygate bench --service ftp --size 0 --clients {tenth} --concurrency 1` |")
print(f"| KeyGate XX-25519 into the chat room, 64 at a time | {chat['setups_per_s']:,} | {chat['setup_p50_ms']} | {chat['setup_p99_ms']} | `keygate bench --clients {clients} --messages 0` |")
if ssh:
    print(f"| OpenSSH, key auth, one at a time | {ssh} | | | `ssh -p PORT 127.0.0.1 true` x {n} |")
    print(f"| OpenSSH, curve25519-sha256 key exchange, one at a time | {ssh_x} | | | `ssh -o KexAlgorithms=curve25519-sha256 -p PORT 127.0.0.1 true` x {n} |")
    print(f"| OpenSSH, key auth, 8 at a time | {ssh_par} | | | `xargs -P 8 ssh -p PORT 127.0.0.1 true` x {n} |")
else:
    print("| OpenSSH | skipped | | | sshd could not be started |")
print()
failed = setup['failed'] + serial['failed'] + chat['failed']
if ssh and ssh_par != "failed":
    print(f"KeyGate sets up {float(setup['setups_per_s'])/float(ssh_par):.0f}x as many sessions per second as OpenSSH "
          f"(both concurrent; OpenSSH also forks a process and runs `true` through the user's shell for each). Failed setups: {failed}.")
    print(f"OpenSSH logged in as {ssh_user}" + (" (a throwaway user with /bin/sh and no shell start-up files)." if ssh_user == "keygate-bench" else "."))
print()
print("Chat round trips with 100 clients in the room (every message goes to all 100), each on a fresh server:")
print()
print("| load | messages/s | rtt p50 ms | rtt p99 ms | command |")
print("| --- | ---: | ---: | ---: | --- |")
print(f"| 1 message/s per client | {paced['messages_per_s']} | {paced['rtt_p50_ms']} | {paced['rtt_p99_ms']} | `keygate bench --clients 100 --messages 20 --rate 1` |")
print(f"| flat out (saturated) | {flat['messages_per_s']} | {flat['rtt_p50_ms']} | {flat['rtt_p99_ms']} | `keygate bench --clients 100 --messages 20` |")
print(f"| 10 rooms of 10, 1 message/s per client | {rooms['messages_per_s']} | {rooms['rtt_p50_ms']} | {rooms['rtt_p99_ms']} | `keygate bench --clients 100 --messages 20 --rate 1 --rooms 10` |")
print()
PY
}

# ------------------------------------------------------------- 3. file transfer
section_ftp() {
    emit "## 3. File transfer: encrypted FTP vs sftp (files on /dev/shm)"
    emit
    if ! "$K" bench --help 2>/dev/null | grep -q -- '--service'; then
        emit "Skipped: this keygate has no FTP benchmark mode."; emit; return
    fi
    # Each side runs $TRANSFER_RUNS times, alternating; the table shows medians.
    local run ours=() unverified=() sftp_up=() sftp_down=()
    local sshd_ready=0
    head -c "$FILE_SIZE" /dev/urandom > /dev/shm/keygate-bench-source
    for run in $(seq "$TRANSFER_RUNS"); do
        start_keygate_server ftp || return
        log "keygate bench --service ftp --size $FILE_SIZE (run $run of $TRANSFER_RUNS)"
        "$K" bench "127.0.0.1:$KG_PORT" --keys "$KG_CLIENT" --name bench --service ftp --size "$FILE_SIZE" \
            --dir /dev/shm --json > "$WORK/ftp-$run.json" || true
        ours+=("$WORK/ftp-$run.json")
        if "$K" bench --help 2>/dev/null | grep -q -- '--no-verify'; then
            log "keygate bench --service ftp --size $FILE_SIZE --no-verify (run $run of $TRANSFER_RUNS)"
            "$K" bench "127.0.0.1:$KG_PORT" --keys "$KG_CLIENT" --name bench --service ftp --size "$FILE_SIZE" \
                --dir /dev/shm --no-verify --json > "$WORK/ftp-unverified-$run.json" || true
            unverified+=("$WORK/ftp-unverified-$run.json")
        fi
        stop_keygate_server
        if [ "$sshd_ready" = 0 ]; then
            if start_sshd && have sftp openssh-client; then sshd_ready=1; ssh_options; else sshd_ready=2; fi
        fi
        [ "$sshd_ready" = 1 ] || continue
        log "sftp put/get of $FILE_SIZE bytes (run $run of $TRANSFER_RUNS)"
        sftp_up+=("$(sftp_rate put /dev/shm/keygate-bench-source /dev/shm/keygate-bench-uploaded)")
        sftp_down+=("$(sftp_rate get /dev/shm/keygate-bench-uploaded /dev/shm/keygate-bench-downloaded)")
        rm -f /dev/shm/keygate-bench-uploaded /dev/shm/keygate-bench-downloaded
    done
    [ "$sshd_ready" = 1 ] && kill "$SSH_PID" 2>/dev/null
    section_ftp_table "${sftp_up[*]:-}" "${sftp_down[*]:-}" "${unverified[*]:-}" "${ours[@]}"
    section_tree
}

# section_ftp_table "SFTP UP RATES" "SFTP DOWN RATES" KEYGATE-JSON...
section_ftp_table() {
    python3 - "$FILE_SIZE" "$@" >> "$REPORT" <<'PY'
import json, statistics, sys
size, up, down = int(sys.argv[1]), sys.argv[2].split(), sys.argv[3].split()
def load(paths):
    runs = []
    for path in paths:
        try: runs.append(json.load(open(path)))
        except Exception: runs.append({})
    return runs
unverified = load(sys.argv[4].split())
runs = load(sys.argv[5:])
def median(values):
    numbers = [float(v) for v in values if v not in ("", "failed", None)]
    return statistics.median(numbers) if numbers and len(numbers) == len(values) else None
def show(values): return ", ".join(f"{float(v):.0f}" if v not in ("", "failed", None) else "failed" for v in values)
print("| direction | KeyGate FTP MB/s | sftp MB/s | KeyGate/sftp | KeyGate runs | sftp runs |")
print("| --- | ---: | ---: | ---: | --- | --- |")
rows = [("upload", "upload_mb_per_s", runs), ("download", "download_mb_per_s", runs)]
if unverified:
    rows += [("upload, --no-verify", "upload_mb_per_s", unverified), ("download, --no-verify", "download_mb_per_s", unverified)]
for label, key, source in rows:
    ref = up if key.startswith("upload") else down
    mine = [r.get(key) for r in source]
    a, b = median(mine), median(ref) if ref else None
    ratio = f"{a / b:.2f}x" if a and b else "n/a"
    print(f"| {label} | {f'{a:.0f}' if a else 'failed'} | {f'{b:.0f}' if b else 'skipped'} | {ratio} | {show(mine)} | {show(ref) if ref else ''} |")
print()
print(f"Medians of {len(runs)} runs each, alternating. Commands: `keygate bench --service ftp --size {size} --dir /dev/shm` "
      f"(server root on /dev/shm; each figure includes the SHA-256 check against the server's HASH, as `keygate ftp` does by default; "
      f"the --no-verify rows leave it out); `sftp -c chacha20-poly1305@openssh.com` put and get of the same size, on /dev/shm.")
print()
PY
}

# A tree of $TREE_FILES small files (100 folders, 1-4 KiB each, random
# bytes) sent and fetched whole: KeyGate's put -r / get -r (each file
# verified with HASH, as by default, and once with --no-verify) against
# sftp's put -r / get -r. Every result is compared with diff -r.
section_tree() {
    emit "### A tree of $TREE_FILES small files"
    emit
    if ! "$K" ftp --help 2>/dev/null | grep -q -- 'put -r'; then
        emit "Skipped: this keygate ftp has no put -r."; emit; return
    fi
    local tree=/dev/shm/keygate-bench-tree
    make_tree "$tree" "$TREE_FILES"
    local bytes rows=()
    bytes=$(du -sb --apparent-size "$tree" | cut -f1)
    start_keygate_server ftp || return
    local ftp=("$K" ftp "127.0.0.1:$KG_PORT" --keys "$KG_CLIENT" --name bench)
    local variant flags label
    for variant in verified unverified; do
        flags=(); label="keygate ftp"
        [ "$variant" = unverified ] && flags=(--no-verify) && label="keygate ftp --no-verify"
        rm -rf /dev/shm/keygate-bench-ftp/tree /dev/shm/keygate-bench-tree-back
        log "keygate ftp put -r / get -r of $TREE_FILES files ($variant)"
        rows+=("$label put -r|$(timed_tree "$tree" /dev/shm/keygate-bench-ftp/tree \
            "${ftp[@]}" "${flags[@]}" put -r "$tree" tree)")
        rows+=("$label get -r|$(timed_tree "$tree" /dev/shm/keygate-bench-tree-back \
            "${ftp[@]}" "${flags[@]}" get -r tree /dev/shm/keygate-bench-tree-back)")
    done
    stop_keygate_server
    # A fresh sshd (ssh-keygen would ask before overwriting the last one's keys).
    rm -f "$WORK/sshd/host_key"* "$WORK/sshd/client_key"*
    if start_sshd && have sftp openssh-client; then
        local sftp=(sftp -q -P "$SSH_PORT" -i "$SSH_KEY" -o BatchMode=yes -o StrictHostKeyChecking=no
                    -o UserKnownHostsFile=/dev/null -c chacha20-poly1305@openssh.com -b - "$SSH_USER@127.0.0.1")
        rm -rf /dev/shm/keygate-bench-sftp-up /dev/shm/keygate-bench-sftp-back
        mkdir -p /dev/shm/keygate-bench-sftp-back && chmod 777 /dev/shm/keygate-bench-sftp-back
        log "sftp put -r / get -r of $TREE_FILES files"
        rows+=("sftp put -r|$(timed_tree "$tree" /dev/shm/keygate-bench-sftp-up "${sftp[@]}" \
            <<< "put -r $tree /dev/shm/keygate-bench-sftp-up")")
        rows+=("sftp get -r|$(timed_tree "$tree" /dev/shm/keygate-bench-sftp-back/tree "${sftp[@]}" \
            <<< "get -r /dev/shm/keygate-bench-sftp-up /dev/shm/keygate-bench-sftp-back/tree")")
        kill "$SSH_PID" 2>/dev/null
    fi
    rm -rf "$tree" /dev/shm/keygate-bench-tree-back /dev/shm/keygate-bench-sftp-up /dev/shm/keygate-bench-sftp-back
    python3 - "$TREE_FILES" "$bytes" "${rows[@]}" >> "$REPORT" <<'PY'
import sys
files, size = int(sys.argv[1]), int(sys.argv[2])
print("| transfer | files/s | MB/s | seconds | command |")
print("| --- | ---: | ---: | ---: | --- |")
for row in sys.argv[3:]:
    label, seconds = row.split("|", 1)
    if seconds in ("", "failed"):
        print(f"| {label} | failed | | | `{label}` |")
        continue
    t = float(seconds)
    print(f"| {label} | {files / t:,.0f} | {size / t / 1e6:.1f} | {t:.2f} | `{label}` |")
print()
print(f"{files:,} files in 100 folders, {size:,} bytes, on /dev/shm; every copy compared with `diff -r`. "
      "KeyGate verifies each file with the server's SHA-256 (HASH) unless `--no-verify`; sftp with "
      "`-c chacha20-poly1305@openssh.com`.")
print()
PY
}

# timed_tree SOURCE COPY COMMAND...: seconds COMMAND took, or "failed" when
# it failed or COPY differs from SOURCE.
timed_tree() {
    local source=$1 copy=$2 start end
    shift 2
    start=$(date +%s.%N)
    if ! "$@" > "$WORK/tree.out" 2> "$WORK/tree.err"; then
        log "$* failed:"; tail -5 "$WORK/tree.err" >&2; echo failed; return
    fi
    end=$(date +%s.%N)
    if diff -rq "$source" "$copy" > "$WORK/tree.diff" 2>&1; then
        python3 -c "print(f'{$end-$start:.3f}')"
    else
        log "$copy differs from $source:"; head -5 "$WORK/tree.diff" >&2; echo failed
    fi
}

# sftp_rate put|get FROM TO: MB/s of one sftp transfer, or "failed".
sftp_rate() {
    local start end
    start=$(date +%s.%N)
    sftp -q -P "$SSH_PORT" -i "$SSH_KEY" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
        -c chacha20-poly1305@openssh.com -b - "$SSH_USER@127.0.0.1" <<< "$1 $2 $3" >/dev/null
    end=$(date +%s.%N)
    if cmp -s /dev/shm/keygate-bench-source "$3"; then
        python3 -c "print(f'{$FILE_SIZE/($end-$start)/1e6:.0f}')"
    else
        log "sftp $1 failed"; tail -5 "$WORK/sshd/sshd.log" >&2
        echo failed
    fi
}

section_stream() {
    emit "## 4. One TCP stream on 127.0.0.1"
    emit
    log "keygate speed loopback-bulk channel-loopback-bulk"
    "$K" speed --json --seconds "$SECONDS_PER_FIGURE" loopback-bulk channel-loopback-bulk loopback-rr > "$WORK/stream.json"
    local iperf=""
    if have iperf3 iperf3; then
        local port
        port=$(free_port)
        iperf3 -s -1 -p "$port" >/dev/null 2>&1 &
        PIDS+=("$!")
        sleep 0.5
        iperf=$(iperf3 -c 127.0.0.1 -p "$port" -t 3 -J 2>/dev/null \
            | python3 -c 'import json, sys; print(round(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 8e6))' || true)
    fi
    python3 - "$WORK/stream.json" "$iperf" >> "$REPORT" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); iperf = sys.argv[2]
def r(x): return f"{x/float(iperf):.0%}" if iperf else "n/a"
print("| stream | MB/s | of iperf3 | command |")
print("| --- | ---: | ---: | --- |")
print(f"| iperf3 (the ceiling) | {iperf or 'skipped'} | | `iperf3 -c 127.0.0.1 -t 3` |")
print(f"| KeyGate sockets, plain | {s['loopback-bulk']:,} | {r(s['loopback-bulk'])} | `keygate speed loopback-bulk` |")
print(f"| KeyGate encrypted channel | {s['channel-loopback-bulk']:,} | {r(s['channel-loopback-bulk'])} | `keygate speed channel-loopback-bulk` |")
print()
print(f"64-byte request/response on one connection: {s['loopback-rr']:,} round trips/s (`keygate speed loopback-rr`).")
print()
PY
}

# ------------------------------------------------------------- 5. idle sessions
section_idle() {
    emit "## 5. Idle sessions held by one server"
    emit
    local service=chat
    "$K" bench --help 2>/dev/null | grep -q -- '--service' && service=ftp
    start_keygate_server "$service" || return
    ulimit -n "$(ulimit -Hn)" 2>/dev/null
    local before after
    before=$(awk '/VmRSS/ {print $2}' "/proc/$KG_PID/status")
    log "keygate bench: $IDLE_SESSIONS idle $service sessions"
    local extra=()
    [ "$service" = ftp ] && extra=(--service ftp --size 0)
    "$K" bench "127.0.0.1:$KG_PORT" --keys "$KG_CLIENT" --name bench --clients "$IDLE_SESSIONS" --messages 0 \
        "${extra[@]}" --hold 15 --json > "$WORK/idle.json" 2> "$WORK/idle.err" &
    local bench=$!
    PIDS+=("$bench")
    for _ in $(seq 600); do grep -q holding "$WORK/idle.err" 2>/dev/null && break; sleep 0.2; done
    sleep 2
    after=$(awk '/VmRSS/ {print $2}' "/proc/$KG_PID/status")
    wait "$bench"
    stop_keygate_server
    python3 - "$WORK/idle.json" "$before" "$after" "$IDLE_SESSIONS" "$service" >> "$REPORT" <<'PY'
import json, sys
idle = json.load(open(sys.argv[1])); before, after, n, service = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
held = n - int(idle.get("failed", 0))
print(f"{held:,} of {n:,} idle {service} sessions held at once (failed setups: {idle.get('failed')}); "
      f"server resident memory {before/1024:.1f} MiB before, {after/1024:.1f} MiB with them: "
      f"{(after-before)*1024/max(held,1)/1024:.1f} KiB per session.")
print()
print(f"Command: `keygate bench --clients {n} --messages 0 --hold 15` against `keygate serve --services {service}`; VmRSS from /proc.")
print()
PY
}

section_primitives
section_setup
section_ftp
section_stream
section_idle

cp "$REPORT" "$OUTPUT"
cat "$REPORT"
log "report written to $OUTPUT"
