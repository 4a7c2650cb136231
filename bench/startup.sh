#!/usr/bin/env bash
#
# How long `sportello demo` takes to be ready, against a baseline measured in the same run:
# the same binary printing its version (process start and exit, no database, no server).
#
#   ./bench/startup.sh [RUNS]          # default 10 runs of each case; builds --release first
#
# Cases, each timed from exec to the first 200 from /readyz:
#   demo-fresh  a new data folder: creates SQLite, migrates, imports both comuni
#   demo-reuse  the data folder of a previous run: migrations current, comuni re-imported
# Prints the median and the ratio to the baseline's median.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

runs=${1:-10}
cargo build --release --locked -q -p sportello
bin=target/release/sportello
work=$(mktemp -d -t sportello-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

python3 - "$bin" "$work" "$runs" <<'PY'
import os, socket, statistics, subprocess, sys, time, urllib.request

binary, work, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

def baseline():
    start = time.perf_counter()
    subprocess.run([binary, "--version"], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start

def demo(data):
    port = free_port()
    start = time.perf_counter()
    proc = subprocess.Popen([binary, "demo", "--port", str(port), "--data", data],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = start + 30
        while time.perf_counter() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as r:
                    if r.status == 200:
                        return time.perf_counter() - start
            except OSError:
                time.sleep(0.005)
        raise SystemExit("the demo did not become ready within 30 s")
    finally:
        proc.terminate()
        proc.wait(timeout=15)

base = [baseline() for _ in range(runs)]
fresh = [demo(os.path.join(work, f"fresh-{i}")) for i in range(runs)]
reuse_dir = os.path.join(work, "reuse")
demo(reuse_dir)
reuse = [demo(reuse_dir) for _ in range(runs)]

b = statistics.median(base)
print(f"{'case':<12} {'median':>10} {'ratio to baseline':>18}   ({runs} runs each)")
print(f"{'baseline':<12} {b * 1000:>8.1f}ms {1:>18.1f}")
for name, samples in [("demo-fresh", fresh), ("demo-reuse", reuse)]:
    m = statistics.median(samples)
    print(f"{name:<12} {m * 1000:>8.1f}ms {m / b:>18.1f}")
PY
