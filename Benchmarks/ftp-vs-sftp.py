#!/usr/bin/env python3
"""KeyGate FTP against OpenSSH's sftp, side by side, on 127.0.0.1.

Starts a release `keygate serve` (FTP root on /dev/shm) and a private
sshd (its own config and host key in a temporary folder, key
authentication only, 127.0.0.1 only), then measures, in one run and with
the same 1 GiB file on /dev/shm:

  keygate bench --service ftp   upload and download (MB/s)
  sftp -c chacha20-poly1305     put and get (MB/s, wall clock of the batch)

and the keygate server's resident memory before and after. Everything it
starts is stopped and every file it made is removed at the end.

    swift build -c release --product keygate
    python3 Benchmarks/ftp-vs-sftp.py                    # 1 GiB, 3 rounds
    python3 Benchmarks/ftp-vs-sftp.py --size 2G --rounds 1

Needs the openssh-server and openssh-client packages (sshd, sftp,
ssh-keygen); run as a user that may log in over ssh with a key (root in
a container is fine).
"""

import argparse
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
KEYGATE = ROOT / ".build" / "release" / "keygate"
SIZES = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
STEP_SECONDS = 300


def parse_size(text: str) -> int:
    unit = SIZES.get(text[-1].upper())
    return int(text[:-1]) * unit if unit else int(text)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def resident_kib(pid: int) -> int:
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def run(arguments, **options) -> subprocess.CompletedProcess:
    return subprocess.run(arguments, check=True, timeout=STEP_SECONDS, **options)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="1G", help="file size (default 1G)")
    parser.add_argument("--rounds", type=int, default=3, help="measurements of each (default 3)")
    arguments = parser.parse_args()
    size = parse_size(arguments.size)
    for tool in ("sshd", "sftp", "ssh-keygen"):
        if not shutil.which(tool) and not pathlib.Path(f"/usr/sbin/{tool}").exists():
            print(f"{tool} is missing: apt-get install openssh-server openssh-client", file=sys.stderr)
            return 2
    if not KEYGATE.exists():
        print("build first: swift build -c release --product keygate", file=sys.stderr)
        return 2

    work = pathlib.Path(tempfile.mkdtemp(prefix="keygate-vs-sftp-"))
    shm = pathlib.Path(tempfile.mkdtemp(prefix="keygate-vs-sftp-", dir="/dev/shm"))
    processes = []
    try:
        # KeyGate server and client keys.
        keygate_port = free_port()
        data_low = free_port()
        run([KEYGATE, "keygen", "--keys", work / "client", "--name", "bench"], capture_output=True)
        server = subprocess.Popen(
            [KEYGATE, "serve", "--keys", work / "server", "--listen", f"127.0.0.1:{keygate_port}",
             "--ftp-root", shm / "ftp-root", "--services", "ftp", "--log-level", "warning",
             "--data-ports", f"{max(1024, data_low - 50)}-{min(65535, data_low + 50)}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(server)
        wait_for_port(keygate_port)
        run([KEYGATE, "allow", work / "client" / "bench.pub", "--keys", work / "server", "--name", "bench"],
            capture_output=True)

        # A private sshd.
        ssh_port = free_port()
        for name in ("ssh-host", "ssh-client"):
            run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", work / name])
        shutil.copy(work / "ssh-client.pub", work / "authorized_keys")
        (work / "sshd_config").write_text(
            f"Port {ssh_port}\nListenAddress 127.0.0.1\nHostKey {work / 'ssh-host'}\n"
            f"AuthorizedKeysFile {work / 'authorized_keys'}\nPasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\nPubkeyAuthentication yes\nPermitRootLogin prohibit-password\n"
            f"StrictModes no\nUsePAM no\nPidFile {work / 'sshd.pid'}\nSubsystem sftp internal-sftp\n")
        os.makedirs("/run/sshd", exist_ok=True)
        sshd_path = shutil.which("sshd") or "/usr/sbin/sshd"
        sshd = subprocess.Popen([sshd_path, "-D", "-f", work / "sshd_config"], stderr=subprocess.DEVNULL)
        processes.append(sshd)
        wait_for_port(ssh_port)
        source = shm / "source.bin"
        with open("/dev/urandom", "rb") as random, open(source, "wb") as out:
            left = size
            while left:
                piece = random.read(min(left, 1 << 24))
                out.write(piece)
                left -= len(piece)
        sftp = ["sftp", "-q", "-c", "chacha20-poly1305@openssh.com", "-i", str(work / "ssh-client"), "-P", str(ssh_port),
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-b", "-", "root@127.0.0.1"]

        def sftp_rate(command: str) -> float:
            started = time.monotonic()
            run(sftp, input=command.encode(), capture_output=True)
            return size / (time.monotonic() - started) / 1e6

        before = resident_kib(server.pid)
        results = []
        for round_number in range(1, arguments.rounds + 1):
            bench = run([KEYGATE, "bench", f"127.0.0.1:{keygate_port}", "--service", "ftp", "--size", str(size),
                         "--dir", str(shm), "--keys", work / "client", "--name", "bench", "--json"],
                        capture_output=True, text=True)
            keygate = json.loads(bench.stdout)
            get = sftp_rate(f"get {source} {shm / 'got.bin'}")
            put = sftp_rate(f"put {source} {shm / 'put.bin'}")
            for name in ("got.bin", "put.bin"):
                (shm / name).unlink(missing_ok=True)
            results.append((keygate["download_mb_per_s"], get, keygate["upload_mb_per_s"], put))
            print(f"round {round_number}: download keygate {keygate['download_mb_per_s']:.1f} sftp {get:.1f}  "
                  f"upload keygate {keygate['upload_mb_per_s']:.1f} sftp {put:.1f} MB/s", flush=True)
        after = resident_kib(server.pid)
        best = [max(column) for column in zip(*results)]
        print(f"best of {arguments.rounds}: download keygate {best[0]:.1f} sftp {best[1]:.1f}  "
              f"upload keygate {best[2]:.1f} sftp {best[3]:.1f} MB/s")
        print(f"keygate server resident memory: {before} KiB before, {after} KiB after "
              f"({(after - before) / 1024:+.1f} MiB)")
        return 0
    finally:
        for process in processes:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(shm, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
