// Ledger append throughput (Google Benchmark). Each run appends pre-encoded
// records (the event mix of event_mix.h, ~260 B per record) to a fresh
// ledger in $APOLLO_BENCH_TMP (default /tmp/apollo-bench); the figure is
// items_per_second = events appended per second. Encoding events into
// records is outside the timing: this measures Ledger::Append (framing,
// CRC32C, SHA-256 chain, one RocksDB WriteBatch, fsync when synced).
//
//   ledger_bench --benchmark_format=json
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "bench/event_mix.h"
#include "ledger/ledger.h"

namespace {

using apollo::ledger::Ledger;
using apollo::ledger::RecordInput;

std::string ScratchDir() {
  const char* base = std::getenv("APOLLO_BENCH_TMP");
  std::string root = base != nullptr && *base != '\0' ? base : "/tmp/apollo-bench";
  std::filesystem::create_directories(root);
  std::string tmpl = root + "/append-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) {
    std::perror("mkdtemp");
    std::abort();
  }
  return tmpl;
}

const std::vector<RecordInput>& Pool() {
  static const std::vector<RecordInput> pool = [] {
    apollo::State empty;
    apollo::bench::EventMix mix(empty);
    return mix.NextRecords(8192);
  }();
  return pool;
}

void AppendLoop(benchmark::State& state, size_t batch, bool sync) {
  const std::vector<RecordInput>& pool = Pool();
  const std::string dir = ScratchDir();
  {
    auto ledger = Ledger::OpenWriter(dir);
    if (!ledger.ok()) {
      state.SkipWithError(std::string(ledger.status().message()).c_str());
      return;
    }
    size_t at = 0;
    for (auto _ : state) {
      if (at + batch > pool.size()) at = 0;
      auto first = (*ledger)->Append(absl::MakeConstSpan(pool.data() + at, batch), sync);
      if (!first.ok()) {
        state.SkipWithError(std::string(first.status().message()).c_str());
        break;
      }
      at += batch;
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batch));
    state.counters["batch"] = static_cast<double>(batch);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

void BM_AppendNoSync(benchmark::State& state) { AppendLoop(state, state.range(0), /*sync=*/false); }
void BM_AppendSync(benchmark::State& state) { AppendLoop(state, state.range(0), /*sync=*/true); }

BENCHMARK(BM_AppendNoSync)->Arg(64)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_AppendSync)->Arg(1)->Arg(64)->Arg(1024)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
