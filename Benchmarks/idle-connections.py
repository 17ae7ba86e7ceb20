#!/usr/bin/env python3
"""Resident memory that `keygate echo` spends per idle connection.

Starts `keygate echo` on 127.0.0.1 (a free port), reads the server's VmRSS
from /proc/PID/status, opens N client connections from this process and
sends one byte on each (so the server has accepted it and served a read),
leaves them idle, reads VmRSS again and prints the difference per
connection. Everything stays on the loopback interface; the script stops
the server and closes its connections when done.

    swift build -c release --product keygate
    python3 Benchmarks/idle-connections.py                 # 10,000 connections
    python3 Benchmarks/idle-connections.py --connections 2000
"""

import argparse
import os
import pathlib
import resource
import socket
import subprocess
import sys
import time

# How long the server may take to print its address, and the whole run.
STARTUP_SECONDS = 30
RUN_SECONDS = 600


def resident_kib(pid: int) -> int:
    """VmRSS of `pid` in KiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def open_descriptors(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def raise_descriptor_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = hard
    if soft < needed:
        sys.exit(f"idle-connections: need {needed} descriptors, the hard limit is {hard} (raise it with ulimit -Hn)")


def ping(connection: socket.socket) -> None:
    """One byte there and back: the server has accepted and served it."""
    connection.sendall(b"k")
    if connection.recv(1) != b"k":
        raise RuntimeError("the echo server answered with other bytes")


def main() -> None:
    root = pathlib.Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=10_000, help="idle connections to open (default 10000)")
    parser.add_argument(
        "--keygate", default=str(root / ".build" / "release" / "keygate"), help="the keygate binary (default: the release build)"
    )
    arguments = parser.parse_args()
    count = arguments.connections
    raise_descriptor_limit(count + 64)

    server = subprocess.Popen(
        [arguments.keygate, "echo", "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE, text=True
    )
    clients: list[socket.socket] = []
    try:
        line = server.stdout.readline()
        if "listening on " not in line:
            sys.exit(f"idle-connections: keygate echo did not start: {line!r}")
        host, port = line.strip().rsplit(" ", 1)[1].rsplit(":", 1)
        address = (host, int(port))
        started = time.monotonic()

        # Warm up: the event loop, its tables and the allocator's arenas
        # exist before the first measurement.
        with socket.create_connection(address, timeout=STARTUP_SECONDS) as warmup:
            ping(warmup)
        before = resident_kib(server.pid)

        for _ in range(count):
            if time.monotonic() - started > RUN_SECONDS:
                sys.exit("idle-connections: ran out of time")
            connection = socket.create_connection(address, timeout=STARTUP_SECONDS)
            ping(connection)
            clients.append(connection)
        after = resident_kib(server.pid)

        per_connection = (after - before) * 1024 / count
        print(f"keygate echo, {count} idle connections on {host}:{port}")
        print(f"server descriptors open: {open_descriptors(server.pid)}")
        print(f"VmRSS before: {before} KiB, after: {after} KiB, growth: {after - before} KiB")
        print(f"resident memory per idle connection: {per_connection:.0f} bytes ({per_connection / 1024:.2f} KiB)")
    finally:
        for connection in clients:
            connection.close()
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


if __name__ == "__main__":
    main()
