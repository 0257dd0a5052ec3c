#!/usr/bin/env bash
# Runs Apollo's benchmarks from an existing Release build and prints one
# `name: value unit` line per figure on stdout; progress, raw samples and the
# verdicts against the targets go to stderr. Builds nothing.
#
#   cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release && ninja -C build-bench
#   bench/run.sh build-bench
#
# Environment:
#   BENCH_DIR        scratch and cache directory (default /tmp/apollo-bench).
#                    The 10M-event ledger is built once into
#                    $BENCH_DIR/ledger-10m (~2.7 GB, ~15-30 s) and reused while
#                    $BENCH_DIR/ledger-10m.complete says it is whole.
#   BENCH_EVENTS     events in that ledger (default 10000000; other counts get
#                    their own directory; figure names keep their _10m suffix)
#   BENCH_FOLD_REPS  full folds (page cache warm) to take the median of
#                    (default 3); one more fold from the disk comes first
#   BENCH_MIN_TIME   Google Benchmark min time per repetition, s (default 2)
#   BENCH_DB_BENCH_NUM  keys db_bench writes (default 640000)
#   BENCH_BARS, BENCH_SYNC_BARS  see bench/engine_bench.sh
# Needs python3. db_bench (Debian rocksdb-tools) is optional.
set -euo pipefail

BUILD_DIR=${1:-build-bench}
BIN="$BUILD_DIR/bin"
BENCH_DIR=${BENCH_DIR:-/tmp/apollo-bench}
EVENTS=${BENCH_EVENTS:-10000000}
FOLD_REPS=${BENCH_FOLD_REPS:-3}
MIN_TIME=${BENCH_MIN_TIME:-2}
DB_BENCH_NUM=${BENCH_DB_BENCH_NUM:-640000}

for exe in ledger_bench replay_bench bot replay; do
  if [[ ! -x "$BIN/$exe" ]]; then
    echo "run.sh: $BIN/$exe is missing: build $BUILD_DIR first (Release)" >&2
    exit 2
  fi
done
if ! grep -qi '^CMAKE_BUILD_TYPE:[A-Z]*=Release$' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null; then
  echo "run.sh: warning: $BUILD_DIR is not a Release build; figures will be low" >&2
fi

mkdir -p "$BENCH_DIR"
if [[ "$EVENTS" == 10000000 ]]; then LEDGER="$BENCH_DIR/ledger-10m"; else LEDGER="$BENCH_DIR/ledger-$EVENTS"; fi
export APOLLO_BENCH_TMP="$BENCH_DIR"
WORK=$(mktemp -d "$BENCH_DIR/run-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
FIGURES="$WORK/figures"
: >"$FIGURES"

figure() {  # name value unit
  echo "$1: $2 $3" | tee -a "$FIGURES"
}
note() { echo "# $*" >&2; }

# --- The engine: backtest, per-step synced paper, decision re-run --------------
# First, while the disk is quiet (the 10M-event ledger below leaves gigabytes
# of dirty pages being written back, which costs the backtest ~20 %).
note "engine: backtest over ${BENCH_BARS:-1000000} bars, paper with per-step sync, replay decisions..."
"$(dirname "$0")/engine_bench.sh" "$BUILD_DIR" | tee -a "$FIGURES"

# --- Ledger appends (Google Benchmark) -------------------------------------
note "ledger appends (Google Benchmark, 3 repetitions x ${MIN_TIME}s, median)..."
"$BIN/ledger_bench" --benchmark_min_time="$MIN_TIME" --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true \
  --benchmark_out="$WORK/ledger.json" --benchmark_out_format=json >&2
python3 - "$WORK/ledger.json" >"$WORK/ledger.figures" <<'EOF'
import json, sys
names = {
    "BM_AppendNoSync/64/real_time": "ledger_append_nosync_events_per_s",
    "BM_AppendSync/1/real_time": "ledger_append_sync_batch1_events_per_s",
    "BM_AppendSync/64/real_time": "ledger_append_sync_batch64_events_per_s",
    "BM_AppendSync/1024/real_time": "ledger_append_sync_batch1024_events_per_s",
}
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    if b.get("aggregate_name") == "median" and b.get("run_name") in names:
        print(names[b["run_name"]], round(b["items_per_second"]))
EOF
while read -r name value; do figure "$name" "$value" events/s; done <"$WORK/ledger.figures"

# --- RocksDB's own reference: db_bench fillseq, synced, batches of 64 ------
if command -v db_bench >/dev/null 2>&1; then
  note "db_bench fillseq --sync=1 --batch_size=64 --num=$DB_BENCH_NUM (3 runs, median)..."
  for i in 1 2 3; do
    rm -rf "$WORK/db_bench"
    db_bench --benchmarks=fillseq --sync=1 --batch_size=64 --key_size=8 --value_size=200 \
      --compression_type=none --num="$DB_BENCH_NUM" --db="$WORK/db_bench" >"$WORK/db_bench.$i.out" 2>&1 ||
      { cat "$WORK/db_bench.$i.out" >&2; exit 1; }
    grep '^fillseq' "$WORK/db_bench.$i.out" >&2
  done
  rm -rf "$WORK/db_bench"
  # "fillseq : 6.1 micros/op 163000 ops/sec; ..." -- one op is one key, i.e. one event.
  ops=$(cat "$WORK"/db_bench.*.out | python3 -c '
import re, statistics, sys
v = [float(m.group(1)) for m in re.finditer(r"^fillseq\s*:.*?([0-9.]+) ops/sec", sys.stdin.read(), re.M)]
print(round(statistics.median(v)) if v else "")')
  [[ -n "$ops" ]] && figure rocksdb_db_bench_fillseq_sync_batch64_events_per_s "$ops" events/s
else
  note "db_bench not found (Debian rocksdb-tools): skipping rocksdb_db_bench_fillseq_sync_batch64_events_per_s"
fi

# --- The large ledger --------------------------------------------------------
"$BIN/replay_bench" build-ledger "$LEDGER" "$EVENTS"

# --- Full replay: each fold in its own process (its peak RSS is the fold's) --
# First once from the disk (the ledger evicted from the page cache: a restart
# after a reboot), which also leaves it cached for the warm folds after it.
# (Without that, a VM that pages out idle memory -- DAMON "pageout" schemes --
# makes the first warm fold partly cold.)
note "full fold of $EVENTS events from the disk, then $FOLD_REPS from the page cache (median)..."
"$BIN/replay_bench" fold "$LEDGER" --cold | grep -v '^replay_peak_rss_mb' | tee -a "$FIGURES"
for i in $(seq "$FOLD_REPS"); do
  "$BIN/replay_bench" fold "$LEDGER" >"$WORK/fold.$i"
done
cat "$WORK"/fold.* | python3 -c '
import statistics, sys
v = {}
for line in sys.stdin:
    name, rest = line.split(":", 1)
    v.setdefault(name, []).append(float(rest.split()[0]))
for name, xs in v.items():
    print(name, " ".join(str(x) for x in xs), file=sys.stderr)
m = lambda k: statistics.median(v[k])
print("replay_fold_events_per_s", round(m("replay_fold_events_per_s")), "events/s")
print("recovery_full_ms_10m", round(m("recovery_full_ms_10m")), "ms")
print("replay_peak_rss_mb", round(max(v["replay_peak_rss_mb"]), 1), "MB")' >"$WORK/fold.figures"
while read -r name value unit; do figure "$name" "$value" "$unit"; done <"$WORK/fold.figures"

# --- Recovery -------------------------------------------------------------------
"$BIN/replay_bench" recover-snapshot "$LEDGER" | tee -a "$FIGURES"
"$BIN/replay_bench" recover-after-kill "$LEDGER" | tee -a "$FIGURES"

# --- Verdicts -------------------------------------------------------------------
python3 - "$FIGURES" >&2 <<'EOF'
import sys
f = {}
for line in open(sys.argv[1]):
    name, rest = line.split(":", 1)
    f[name] = float(rest.split()[0])
def verdict(ok): return "MET" if ok else "NOT MET"
out = []
if "replay_fold_events_per_s" in f:
    x = f["replay_fold_events_per_s"]
    out.append(f"replay >= 2,000,000 events/s (page cache warm): {verdict(x >= 2e6)} ({x:,.0f})")
if "replay_fold_cold_events_per_s" in f:
    x = f["replay_fold_cold_events_per_s"]
    out.append(f"replay >= 2,000,000 events/s (from the disk): {verdict(x >= 2e6)} ({x:,.0f})")
db = f.get("rocksdb_db_bench_fillseq_sync_batch64_events_per_s")
us = f.get("ledger_append_sync_batch64_events_per_s")
if db and us:
    out.append(f"synced appends >= 0.8x db_bench (batch 64): {verdict(us >= 0.8 * db)} ({us / db:.2f}x: {us:,.0f} vs {db:,.0f})")
else:
    out.append("synced appends >= 0.8x db_bench (batch 64): not checked (no db_bench)")
if "recovery_snapshot_ms_10m" in f:
    x = f["recovery_snapshot_ms_10m"]
    out.append(f"recovery from a snapshot after a clean stop <= 100 ms: {verdict(x <= 100)} ({x:g} ms)")
if "recovery_after_kill_ms_10m" in f:
    x = f["recovery_after_kill_ms_10m"]
    out.append(f"recovery from a snapshot after SIGKILL <= 500 ms: {verdict(x <= 500)} ({x:g} ms)")
if "replay_peak_rss_mb" in f:
    x = f["replay_peak_rss_mb"]
    out.append(f"replay peak RSS <= 150 MB: {verdict(x <= 150)} ({x:g} MB)")
if "backtest_bars_per_s" in f:
    x = f["backtest_bars_per_s"]
    out.append(f"backtest >= 250,000 bars/s (target 1,000,000): {verdict(x >= 250000)} ({x:,.0f})")
for line in out:
    print("# target:", line)
EOF
