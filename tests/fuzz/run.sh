#!/usr/bin/env bash
# Runs every libFuzzer target in tests/fuzz for SECONDS each, one after the
# other, and prints one line per target:
#   fuzz codec: 1234567 execs in 60 s, 0 crashes
# Usage: tests/fuzz/run.sh BUILD_DIR SECONDS [TARGET...]
# Inputs the fuzzer finds go to BUILD_DIR/fuzz/<target>/corpus (the seeds in
# tests/fuzz/corpus/<target> are only read); a crash or hang is saved as
# BUILD_DIR/fuzz/<target>/crash-*, timeout-* or oom-*, with libFuzzer's report in
# BUILD_DIR/fuzz/<target>/log. Exits 1 if any target crashed.
set -uo pipefail
cd "$(dirname "$0")/../.."
build=${1:?usage: tests/fuzz/run.sh BUILD_DIR SECONDS [TARGET...]}
seconds=${2:?usage: tests/fuzz/run.sh BUILD_DIR SECONDS [TARGET...]}
shift 2
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for src in tests/fuzz/*_fuzz.cc; do targets+=("$(basename "$src" _fuzz.cc)"); done
fi

failed=0
for t in "${targets[@]}"; do
  out="$build/fuzz/$t"
  mkdir -p "$out/corpus"
  rm -f "$out"/crash-* "$out"/timeout-* "$out"/oom-* "$out"/leak-*  # a previous run's findings
  # -timeout: an input taking 10 s is a hang; -rss_limit_mb: 2 GB is a
  # runaway allocation (the machine has others' builds on it).
  "$build/bin/${t}_fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$out/" "$out/corpus" "tests/fuzz/corpus/$t" \
      >"$out/log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/log" | tail -1)
  secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$out/log" | tail -1)
  artifacts=$(ls "$out" | grep -E '^(crash|timeout|oom|leak|slow-unit)-' || true)
  if [ $rc -eq 0 ] && [ -z "$artifacts" ]; then
    echo "fuzz $t: ${execs:-?} execs in ${secs:-$seconds} s, 0 crashes"
  else
    failed=1
    echo "fuzz $t: ${execs:-?} execs, CRASHED (exit $rc): $(echo $artifacts) in $out; report: $out/log"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*FUZZ_CHECK failed|.*runtime error)' "$out/log" | head -5 | sed 's/^/  /'
  fi
done
exit $failed
