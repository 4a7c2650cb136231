#!/usr/bin/env bash
#
# Bulk campaign throughput and memory: `sportello pagopa campaign import` of ROWS rows against
# the demo's pagoPA stand-in, and of ROWS/10 rows in the same run as the baseline.
#
#   ./bench/pagopa-campaign.sh [ROWS]      # default 100000; builds --release first
#
# For each size: a fresh `sportello demo --data TMP` (its stand-in at /_mock/pagopa, key
# demo-gpd-key-borgoverde), a generated CSV (one row in ten with three instalments), then
#
#   sportello pagopa campaign import --tenant borgoverde FILE --notices TMP/notices \
#       --rate 100000 --concurrency 16
#
# with DATABASE_URL=sqlite://TMP/sportello.db under /usr/bin/time -v. Prints rows/s of the
# import (positions written), publish (GPD calls) and notices (PDFs) phases, the peak RSS, and
# the ratios large/small: memory flat as the file grows means a peak-RSS ratio near 1.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

rows=${1:-100000}
if ! [[ $rows =~ ^[0-9]+$ ]] || (( rows < 10 )); then
    echo "usage: $0 [ROWS]   (at least 10)" >&2
    exit 64
fi
if [[ ! -x /usr/bin/time ]]; then
    # GNU time (Debian package `time`) reports the peak RSS of the import process.
    sudo=""
    (( EUID == 0 )) || sudo="sudo"
    $sudo apt-get install -y -qq time >/dev/null
fi
cargo build --release --locked -q -p sportello
bin=${CARGO_TARGET_DIR:-target}/release/sportello
work=$(mktemp -d -t sportello-campaign.XXXXXX)
trap 'rm -rf "$work"' EXIT

python3 - "$bin" "$work" "$rows" <<'PY'
import datetime, os, re, signal, socket, subprocess, sys, time, urllib.request

binary, work, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

def write_csv(path, n):
    today = datetime.date.today()
    due = lambda days: (today + datetime.timedelta(days=days)).strftime("%d/%m/%Y")
    first, second, third = due(60), due(120), due(180)
    with open(path, "w", encoding="utf-8") as f:
        f.write("riferimento;codice_fiscale;nominativo;causale;importo;scadenza;rate;email\n")
        for i in range(1, n + 1):
            rate = f"{first}|{second}|{third}" if i % 10 == 0 else ""
            f.write(f"TARI-{i:07d};RSSMRA80A01H501U;Mario Rossi;TARI 2027 utenza {i};"
                    f"{50 + i % 400},{i % 100:02d};{third};{rate};utente{i}@example.it\n")

def env_clean():
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("SPORTELLO_") or k in ("DATABASE_URL", "RUST_LOG"))}
    return env

def run(n):
    data = os.path.join(work, f"rows-{n}")
    os.makedirs(data)
    port = free_port()
    log = open(os.path.join(data, "demo.log"), "w")
    demo = subprocess.Popen([binary, "demo", "--data", data, "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT, env=env_clean())
    try:
        deadline = time.time() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if demo.poll() is not None or time.time() > deadline:
                sys.exit(f"the demo did not start: see {data}/demo.log")
            time.sleep(0.2)
        csv = os.path.join(data, "campaign.csv")
        write_csv(csv, n)
        env = env_clean()
        env.update({
            "DATABASE_URL": f"sqlite://{data}/sportello.db",
            "SPORTELLO_PAGOPA__API_BASE": f"http://127.0.0.1:{port}/_mock/pagopa",
            "SPORTELLO_PAGOPA__KEYS__BORGOVERDE": "demo-gpd-key-borgoverde",
        })
        started = time.time()
        out = subprocess.run(
            ["/usr/bin/time", "-v", binary, "pagopa", "campaign", "import", "--tenant", "borgoverde",
             csv, "--notices", os.path.join(data, "notices"), "--rate", "100000", "--concurrency", "16"],
            env=env, capture_output=True, text=True)
        wall = time.time() - started
        if out.returncode != 0:
            sys.exit(f"the import of {n} rows failed ({out.returncode}):\n{out.stdout}\n{out.stderr[-3000:]}")
        rate = lambda phase: float(re.search(rf"^{phase}\s.*\((\d+) rows/s\)", out.stdout, re.M).group(1))
        rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", out.stderr).group(1))
        pdfs = len([f for f in os.listdir(os.path.join(data, "notices")) if f.endswith(".pdf")])
        return {"rows": n, "import": rate("import"), "publish": rate("publish"),
                "notices": rate("notices"), "rss_mb": rss / 1024, "wall": wall, "pdfs": pdfs}
    finally:
        demo.send_signal(signal.SIGTERM)
        try:
            demo.wait(timeout=30)
        except subprocess.TimeoutExpired:
            demo.kill()

small = run(max(rows // 10, 1))
large = run(rows)
print(f"{'rows':>9} {'import/s':>9} {'publish/s':>10} {'notices/s':>10} {'peak RSS':>10} {'wall':>8}")
for r in (small, large):
    assert r["pdfs"] == r["rows"], f"{r['pdfs']} notices for {r['rows']} rows"
    print(f"{r['rows']:>9} {r['import']:>9.0f} {r['publish']:>10.0f} {r['notices']:>10.0f} "
          f"{r['rss_mb']:>8.1f}MB {r['wall']:>7.1f}s")
print(f"ratio {rows}/{rows // 10}: peak RSS {large['rss_mb'] / small['rss_mb']:.2f} (flat memory: near 1), "
      f"rows/s import {large['import'] / small['import']:.2f}, publish {large['publish'] / small['publish']:.2f}, "
      f"notices {large['notices'] / small['notices']:.2f}")
PY
