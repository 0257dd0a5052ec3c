// A paper run: the engine over recorded bars with the paper venue, from
// where the ledger left off to the end of the data (or a stop signal).
// Paced runs append one synced batch per step; at --speed max (speed 0) the
// venue is simulated and nothing leaves the process, so steps are appended
// unsynced in groups and synced at the stop (a kill -9 loses at most the
// last group, which the next start decides again identically).
//
//   ASSIGN_OR_RETURN(RunSummary s, RunPaper(options, log));
//   std::puts(FormatSummary(s).c_str());
#ifndef APOLLO_ENGINE_RUNTIME_PAPER_RUN_H_
#define APOLLO_ENGINE_RUNTIME_PAPER_RUN_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/statusor.h"
#include "engine/config/config.h"
#include "engine/domain/state.h"
#include "engine/risk/risk.h"
#include "engine/runtime/bar_file.h"
#include "engine/runtime/engine.h"
#include "engine/runtime/log.h"
#include "engine/runtime/operator_inbox.h"
#include "engine/runtime/projections.h"
#include "engine/runtime/view.h"
#include "ledger/disk_faults.h"

namespace apollo::runtime {

// Funding in paper runs and backtests (the seed's --funding-data and
// --constant-funding-rate): at each funding time (00/08/16 UTC; a file's own
// times), before that step's bars, each symbol's rate is journaled
// (FundingUpdate) and an open position pays or receives it (FundingPaid) at
// the last close. A symbol without a file takes the constant rate, if any;
// with neither, no funding.
struct FundingInputs {
  absl::btree_map<std::string, std::string> files;  // symbol -> funding file (ReadFundingFile)
  std::optional<Fixed> constant_rate;
};

// `--funding-data` values, SYMBOL=FILE each (one file per symbol), and
// `--constant-funding-rate` (empty: none). InvalidArgument naming the flag.
absl::StatusOr<FundingInputs> ParseFundingFlags(const std::vector<std::string>& values,
                                                const std::string& constant_rate);

struct RunOptions {
  config::Config cfg;
  // Each symbol's files (ParseDataFlags), each symbol's read as one series
  // and all merged by open time into steps. The symbols must be
  // cfg.universe.symbols; when that is empty, they become it (the run
  // trades what it has data for), unless they are just cfg.run.symbol.
  absl::btree_map<std::string, std::vector<std::string>> symbol_data;
  // Each symbol's venue filters (from a recorded exchangeInfo, see
  // ParseDataFlags' callers); a symbol missing here trades on
  // paper_sim.price_tick / qty_step / min_notional, and its first bars must
  // sit on that tick (else the run is refused, naming the symbol).
  absl::btree_map<std::string, risk::Filters> symbol_filters;
  std::string filters_source = "paper_sim";
  FundingInputs funding;  // a file's symbol must be one given bars
  // A hole in the bars is refused (one line naming file, line and time)
  // unless allowed; allowed gaps are listed in the summary.
  bool allow_gaps = false;
  // Only bars with from_ms <= open time < to_ms.
  int64_t from_ms = INT64_MIN, to_ms = INT64_MAX;
  // Write trades.csv, orders.csv and thinking.jsonl into logs_dir (a
  // backtest without --report does not: they are derived, and `replay
  // export` regenerates them from its ledger).
  bool projections = true;
  // Called after each bar with the bars done and to do in this run.
  std::function<void(uint64_t done, uint64_t total)> on_bar;
  std::string ledger_dir;
  // Drills and tests only: the ledger's disk fails as told (the bot reads
  // APOLLO_LEDGER_FAULTS, see ledger/disk_faults.h). Null: the real disk.
  std::shared_ptr<ledger::DiskFaults> ledger_faults;
  // A projection file (trades.csv, ...) failed or caught up: log, alert and
  // count it; trading goes on either way (see projections.h).
  Projections::FaultHandler on_projection_fault;
  std::string logs_dir;
  // 0: as fast as possible; otherwise bars are paced by their timestamps,
  // `speed` times faster than real time (1 = realtime).
  double speed = 0;
  std::string build_version;
  // Called once the engine has started (state rebuilt, in-doubt orders
  // resolved), before the first bar: `bars_to_run` bars remain in the data.
  std::function<void(const State& state, size_t bars_to_run)> on_started;
  // Optional: the operator's surface. Commands are handled between bars
  // (and while a paced run waits); the view is published after each step
  // and at least once a second.
  OperatorInbox* inbox = nullptr;
  ViewBoard* views = nullptr;
  // The governance policy file (governance.policies_path) the run watches;
  // "" (a backtest): none.
  std::string policies_path;
  EngineObserver* observer = nullptr;
};

// The bot's exit code when the kill switch could not leave the venue flat
// in execution.order_timeout_sec (manual review journaled and alerted).
inline constexpr int kExitKillSwitchIncomplete = 3;

struct RunSummary {
  State state;  // at the end of the run
  std::vector<BarGap> gaps;  // holes in the data the run was allowed to cross
  uint64_t bars_this_run = 0;
  double seconds = 0;
  std::string stop_reason;
  // What the process exits with: 0, or kExitKillSwitchIncomplete when the
  // kill switch stopped the bot without leaving the venue flat.
  int exit_code = 0;
  std::string data_file, ledger_dir;
  std::vector<std::string> symbols;  // traded in the run, in order
  // How the summary names the run, what it stepped on, and its money.
  std::string label = "paper run";  // "testnet run", "kalshi live run", ...
  std::string steps = "bars";       // "steps" for event-contract markets
  std::string currency = "USDT";
};

// `--data` values: FILE (cfg's run.symbol's bars) or SYMBOL=FILE, each
// repeatable (several files of one symbol are read as one series, in the
// order given), into RunOptions::symbol_data. InvalidArgument naming the
// flag for an empty file or a malformed symbol.
absl::StatusOr<absl::btree_map<std::string, std::vector<std::string>>> ParseDataFlags(
    const std::vector<std::string>& values, const std::string& default_symbol);

absl::StatusOr<RunSummary> RunPaper(const RunOptions& options, Log& log);

// "--speed": max | realtime | <N>x. InvalidArgument naming the flag otherwise.
// N is finite and within [kMinSpeed, kMaxSpeed]: slower would leave a run
// waiting days (or forever) for its next bar. The top (a 5-minute bar every
// 0.3 µs) never waits yet keeps one synced append per step, unlike --speed
// max: what bench/engine_bench.sh measures as paper_sync_bars_per_s.
inline constexpr double kMinSpeed = 0.01, kMaxSpeed = 1'000'000'000;
absl::StatusOr<double> ParseSpeed(const std::string& text);

// A few lines: bars, signals, orders, trades, net PnL, max drawdown, events,
// seconds, and any gate that is holding trading.
std::string FormatSummary(const RunSummary& summary);

}  // namespace apollo::runtime

#endif  // APOLLO_ENGINE_RUNTIME_PAPER_RUN_H_
