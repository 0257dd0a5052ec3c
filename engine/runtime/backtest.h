// `bot backtest`: the very engine, strategy, risk and order manager that
// trade, over recorded bars with the paper venue, into a ledger of the same
// format (so every `replay` command works on it), then a report.
//
//   BacktestOptions o;  o.cfg = ...;  o.symbol_data = {{"BTCUSDT", {...}}};  o.report_dir = "out";
//   ASSIGN_OR_RETURN(BacktestResult r, RunBacktest(o));
//   std::fputs(r.markdown.c_str(), stdout);
//
// The ledger is appended without a sync per step (the venue is simulated)
// and synced at the end; a temporary ledger is removed afterwards unless
// ledger_dir names one. The report directory gets report.json, report.md,
// equity.svg, equity.csv, pnl_daily.csv and the run's trades.csv,
// orders.csv, thinking.jsonl and bot.log.
#ifndef APOLLO_ENGINE_RUNTIME_BACKTEST_H_
#define APOLLO_ENGINE_RUNTIME_BACKTEST_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/config/config.h"
#include "engine/runtime/paper_run.h"
#include "replay/report.h"

namespace apollo::runtime {

struct BacktestOptions {
  config::Config cfg;  // flags already applied (--set, --initial-equity, --fee-pct, ...)
  // As RunOptions: each symbol's files, and filters (from a recorded exchangeInfo).
  absl::btree_map<std::string, std::vector<std::string>> symbol_data;
  absl::btree_map<std::string, risk::Filters> symbol_filters;
  std::string filters_source = "paper_sim";
  FundingInputs funding;  // as RunOptions (with --like too)
  int64_t from_ms = INT64_MIN, to_ms = INT64_MAX;
  bool allow_gaps = false;
  std::string ledger_dir;  // empty: temporary
  std::string report_dir;  // empty: no files
  std::string build_version;
  std::function<void(uint64_t done, uint64_t total)> on_bar;
  // Re-run the bars journaled in this paper/testnet/live ledger (instead of
  // symbol_data) and compare the two runs' trades (BacktestResult::comparison).
  std::string like_ledger;
};

struct BacktestResult {
  RunSummary run;
  replay::ReportInput input;
  replay::Report report;
  std::string markdown;    // report.md (with the comparison when --like)
  std::string comparison;  // like.md: the ledger's trades against the backtest's
  std::string ledger_dir;  // where the ledger is (empty once a temporary one is removed)
};

absl::StatusOr<BacktestResult> RunBacktest(const BacktestOptions& options);

}  // namespace apollo::runtime

#endif  // APOLLO_ENGINE_RUNTIME_BACKTEST_H_
