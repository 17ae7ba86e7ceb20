# Benchmarks/lib.sh: helpers the benchmark scripts share (sourced, not run).

# make_tree DIR COUNT: COUNT files of 1-4 KiB of random bytes in 100
# folders under DIR, the same tree on every run (a fixed seed).
make_tree() {
    python3 - "$1" "$2" <<'PY'
import os, random, sys
root, count = sys.argv[1], int(sys.argv[2])
rng = random.Random(7)
for index in range(count):
    folder = os.path.join(root, f"d{index % 100:02d}")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, f"f{index:05d}.bin"), "wb") as out:
        out.write(rng.randbytes(rng.randint(1024, 4096)))
PY
}

# make_comparison_keys WORK OLD NEW: for each of two keygate builds, a
# server key folder WORK/NAME-server (NAME old or new) that allows the
# client key made in WORK/NAME-client.
make_comparison_keys() {
    local work=$1 name binary
    for name in old new; do
        binary=$2; [ $name = new ] && binary=$3
        mkdir -m 700 "$work/$name-server"
        "$binary" keygen --keys "$work/$name-client" --name bench > /dev/null 2>&1
        "$binary" allow "$work/$name-client/bench.pub" --keys "$work/$name-server" --name bench > /dev/null
    done
}
