#!/usr/bin/env bash
# The engine's own speed: the full engine (strategy, risk, orders, paper
# venue, ledger written) over a large recorded input, and the audit re-run
# over the ledger it wrote. Prints `name: value unit` lines on stdout.
#
#   bench/engine_bench.sh build-release [WORK_DIR]
#
# Figures:
#   backtest_bars_per_s      `bot backtest` over BENCH_BARS bars (default 1,000,000:
#                            the bundled 38 days repeated with shifted times)
#   backtest_peak_rss_mb     its peak RSS
#   paper_sync_bars_per_s    `bot` paper mode with one synced append per step
#                            (paced at an unreachable speed, so never waiting)
#                            over the first BENCH_SYNC_BARS bars (default 20,000)
#   replay_decisions_per_s   `replay decisions` over the backtest's ledger
#   replay_decisions_peak_rss_mb
#   backtest_7_symbols_bars_per_s   `bot backtest` over the seven bundled
#                            perpetuals (87,851 bars, 12,812 steps) in one engine
set -euo pipefail
BIN="${1:-build-release}/bin"
WORK="${2:-$(mktemp -d /tmp/apollo-engine-bench-XXXXXX)}"
BARS=${BENCH_BARS:-1000000}
SYNC_BARS=${BENCH_SYNC_BARS:-20000}
SRC="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$WORK"
DATA="$WORK/bars-$BARS.csv"

python3 - "$SRC/data/market/btcusdt_perp_5m_2023-01-02_2023-02-09.csv" "$DATA" "$BARS" <<'PY'
import sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
lines = open(src).read().split("\n")
rows = [l.split(",", 1) for l in lines[1:] if l]
span = int(rows[-1][0]) - int(rows[0][0]) + 300000
with open(dst, "w") as out:
    out.write(lines[0] + "\n")
    k = 0
    while k < n:
        off = (k // len(rows)) * span
        t, rest = rows[k % len(rows)]
        out.write(f"{int(t) + off},{rest}\n")
        k += 1
PY
head -n $((SYNC_BARS + 1)) "$DATA" >"$WORK/sync.csv"

# Runs a command; prints "<seconds> <peak RSS MB>" of it on fd 3.
measure() {
  python3 - "$@" <<'PY'
import resource, subprocess, sys, time
t0 = time.monotonic()
r = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=None)
dt = time.monotonic() - t0
if r.returncode != 0:
    sys.stderr.write(r.stdout.decode()); sys.exit(r.returncode)
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
sys.stdout.write(r.stdout.decode())
sys.stderr.write(f"@@ {dt} {rss}\n")
PY
}

cd "$SRC"
rm -rf "$WORK/bt-ledger"
read -r bt_s bt_rss < <(measure "$BIN/bot" backtest --data "$DATA" --ledger "$WORK/bt-ledger" 2>&1 >/dev/null | sed -n 's/^@@ //p')
echo "backtest_bars_per_s: $(python3 -c "print(round($BARS / $bt_s))") bars/s"
echo "backtest_peak_rss_mb: $(python3 -c "print(round($bt_rss, 1))") MB"

rm -rf "$WORK/sync-ledger" "$WORK/sync-logs"
read -r sync_s _ < <(API__ENABLED=false MONITORING__METRICS_ENABLED=false MONITORING__LOG_CYCLES=false \
  measure "$BIN/bot" --data "$WORK/sync.csv" --ledger "$WORK/sync-ledger" --logs "$WORK/sync-logs" \
  --speed 1000000000x 2>&1 >/dev/null | sed -n 's/^@@ //p')
echo "paper_sync_bars_per_s: $(python3 -c "print(round($SYNC_BARS / $sync_s))") bars/s"

out=$(measure "$BIN/replay" decisions --ledger "$WORK/bt-ledger" 2>"$WORK/replay.err") || { cat "$WORK/replay.err" >&2; exit 1; }
read -r rd_s rd_rss < <(sed -n 's/^@@ //p' "$WORK/replay.err")
decisions=$(echo "$out" | sed -n 's/^0 divergences over \([0-9]*\) decisions.*/\1/p')
[[ -n "$decisions" ]] || { echo "replay decisions found divergences: $out" >&2; exit 1; }
echo "replay_decisions_per_s: $(python3 -c "print(round($decisions / $rd_s))") decisions/s"
echo "replay_decisions_peak_rss_mb: $(python3 -c "print(round($rd_rss, 1))") MB"
SEVEN=()
for f in data/market/*_perp_5m_2023-0*-*_2023-08-17.csv; do
  sym=$(basename "$f" | cut -d_ -f1 | tr a-z A-Z)
  SEVEN+=(--data "$sym=$f")
done
seven_bars=$(for f in data/market/*_perp_5m_2023-0*-*_2023-08-17.csv; do tail -n +2 "$f" | wc -l; done | awk '{s += $1} END {print s}')
rm -rf "$WORK/seven-ledger"
read -r seven_s _ < <(PAPER_SIM__EXCHANGE_INFO_FILE=data/market/exchangeInfo_fapi_2021-07-21.json \
  measure "$BIN/bot" backtest "${SEVEN[@]}" --ledger "$WORK/seven-ledger" 2>&1 >/dev/null | sed -n 's/^@@ //p')
echo "backtest_7_symbols_bars_per_s: $(python3 -c "print(round($seven_bars / $seven_s))") bars/s"
[[ -n "${2:-}" ]] || rm -rf "$WORK"
