// A run's performance read back from its ledger: the equity curve at each
// closed bar, one row per UTC day, and the report's inputs (trades,
// rejections per rule, circuit-breaker trips). What `bot backtest` reports
// and `replay export` writes as equity.csv and pnl_daily.csv.
//
//   ASSIGN_OR_RETURN(Performance p, MeasurePerformance(*ledger, {}));
//   Report r = ComputeReport(p.input);
//
// Equity = balance (initial + realised PnL − fees) + the open positions'
// PnL at their symbol's last close; a bar's point is taken once its step's
// effects (fills of the orders it placed) are journaled.
#ifndef APOLLO_REPLAY_PERFORMANCE_H_
#define APOLLO_REPLAY_PERFORMANCE_H_

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/domain/state.h"
#include "ledger/ledger.h"
#include "replay/report.h"

namespace apollo::replay {

struct PerformanceOptions {
  uint64_t from_seq = 1;  // rows of bars/trades in [from, to]
  uint64_t to_seq = std::numeric_limits<uint64_t>::max();
  std::function<void(uint64_t seq, uint64_t last_seq)> progress;
};

struct EquityRow {
  uint64_t seq = 0;   // the bar's TradeCycleCompleted
  int64_t ts_ns = 0;  // the bar's close
  Fixed equity, balance, open_pnl, drawdown_pct;  // drawdown below the running peak of equity
  bool in_market = false;
};

struct DailyRow {
  int64_t day = 0;  // days since the epoch (UTC)
  uint64_t last_seq = 0;
  Fixed realized_pnl, fees, funding, equity_close;
  uint64_t trades = 0;
};

struct Performance {
  ReportInput input;  // equity points mirror `equity`
  std::vector<EquityRow> equity;
  std::vector<DailyRow> daily;
  std::vector<DaySummary> days;  // each UTC day closed inside the window (State::last_day)
  State state;  // at the end
};

absl::StatusOr<Performance> MeasurePerformance(const ledger::Ledger& ledger, const PerformanceOptions& options);

// The same measurement fed event by event, in seq order from seq 1 (a
// backtest feeds it the events as it commits them, instead of reading its
// ledger again afterwards).
class PerformanceMeter {
 public:
  explicit PerformanceMeter(PerformanceOptions options = {});
  ~PerformanceMeter();
  PerformanceMeter(const PerformanceMeter&) = delete;
  PerformanceMeter& operator=(const PerformanceMeter&) = delete;

  absl::Status OnEvent(const Event& event);
  Performance Finish();
  // What Finish would say now, leaving the meter to be fed on (a copy:
  // linear in the rows so far).
  Performance Peek() const;

 private:
  struct Impl;
  PerformanceOptions options_;
  std::unique_ptr<Impl> impl_;
};

// seq,time,equity,balance,open_pnl,drawdown_pct
std::string EquityCsv(const std::vector<EquityRow>& rows);
// date,realized_pnl,fees,funding,equity_close,trades
std::string DailyCsv(const std::vector<DailyRow>& rows);

// The same as JSON, for the operator API (GET /pnl_daily, /equity, /trades):
// {"days":[{"date":"2023-01-02","realized_pnl":..,"fees":..,"funding":..,
// "net_pnl":..,"equity_close":..,"trades":N}, ...]}: pnl_daily.csv's rows,
// oldest first, with net_pnl = realized_pnl - fees + funding.
std::string DailyJson(const Performance& p);
// {"points":[{"seq":..,"time":"..Z","equity":..,"drawdown_pct":..}, ...],
// "max_drawdown_pct":..,"count":N}: the equity curve at closed bars, thinned
// to at most `max_points` (>= 4; evenly, always keeping the last point and
// the deepest drawdown), with the whole curve's count and deepest drawdown.
std::string EquityJson(const Performance& p, size_t max_points);
// {"trades":[{"seq":..,"time":"..Z","symbol":..,"side":..,"qty":..,
// "entry_price":..,"exit_price":..,"realized_pnl":..,"fees":..,"net_pnl":..,
// "reason":..}, ...]}: the newest `limit` closes, newest first.
std::string TradesJson(const Performance& p, size_t limit);

}  // namespace apollo::replay

#endif  // APOLLO_REPLAY_PERFORMANCE_H_
