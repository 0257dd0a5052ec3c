// The backtest report: performance figures from a run's closed trades and its
// equity curve, named as Freqtrade and NautilusTrader users know them, and
// the three files `bot backtest --report DIR` writes (report.json,
// report.md, equity.svg).
//
//   ReportInput in;                       // filled from a ledger (replay/audit)
//   in.initial_equity = ...; in.trades = ...; in.equity = ...;
//   Report r = ComputeReport(in);
//   WriteFile(dir + "/report.md", ReportMarkdown(in, r));
//
// Pure: no I/O, no clock. Money in the inputs is Fixed (as in the ledger);
// the figures are doubles, since they are presentation only.
// Daily returns are binned by UTC day of the equity points (the last point of
// each day against the previous day's last point, the first day against the
// initial equity); Sharpe (mean over the sample standard deviation) and
// Sortino (mean over sqrt(sum of squared negative returns / all days))
// annualise with sqrt(365) and a risk-free rate of 0, and are 0 under two
// days. CAGR uses 365-day years over the period. The maximum drawdown is the
// deepest by percentage below the running peak, which starts at the initial
// equity. Figures a degenerate input leaves undefined are 0, never NaN.
#ifndef APOLLO_REPLAY_REPORT_H_
#define APOLLO_REPLAY_REPORT_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/domain/fixed.h"
#include "engine/domain/types.h"

namespace apollo::replay {

// One closed trade (one PositionClosed event).
struct TradeRow {
  uint64_t seq = 0;          // of the PositionClosed event
  int64_t open_ts_ns = 0;    // when the position opened (0 if unknown)
  int64_t close_ts_ns = 0;   // event time of the close
  std::string symbol;
  Side side = Side::kBuy;
  Fixed qty, entry_price, exit_price;
  Fixed realized_pnl;        // price PnL of the closed quantity
  Fixed fees;                // entry share + exit fees; net = realized_pnl - fees
  std::string reason;        // STOP_LOSS, TAKE_PROFIT, ...
};

// Equity at one closed bar: balance (initial + realised PnL - fees + funding)
// plus the open position's unrealised PnL at the bar's close.
struct EquityPoint {
  int64_t ts_ns = 0;       // the bar's close time
  Fixed equity;
  bool in_market = false;  // a position was open at this close
};

// A hole in the input bars (reported when the run allowed gaps).
struct Gap {
  std::string file;
  int64_t after_open_time_ms = 0;  // last bar before the hole
  int64_t next_open_time_ms = 0;   // first bar after it
  int64_t missing_bars = 0;
};

struct ReportInput {
  std::string title;              // e.g. "trend_following_v1 on BTCUSDT 5m"
  Fixed initial_equity;
  Fixed final_equity;             // balance + open PnL at the end
  Fixed open_pnl;                 // unrealised PnL of positions still open at the end
  Fixed fees;                     // all fees paid (also those of trades still open)
  Fixed funding;                  // funding received (+) / paid (-)
  int64_t from_ns = 0, to_ns = 0; // period: first bar's open .. last bar's close
  uint64_t bars = 0;
  std::vector<TradeRow> trades;   // in close order
  std::vector<EquityPoint> equity;  // in time order, one per closed bar
  std::map<std::string, uint64_t> risk_rejections;  // per RiskRule name
  uint64_t circuit_breaker_trips = 0;
  std::vector<Gap> gaps;
};

struct Report {
  int64_t from_ns = 0, to_ns = 0;
  double days = 0;
  uint64_t bars = 0;
  uint64_t trades = 0, long_trades = 0, short_trades = 0;
  uint64_t wins = 0, losses = 0;            // win: net PnL >= 0 (as the fold counts)
  double win_rate_pct = 0;
  double profit_factor = 0;                 // gross win / |gross loss| of net PnL; 0 with no loss
  double expectancy = 0;                    // mean net PnL per trade
  double avg_win = 0, avg_loss = 0;         // mean net PnL of wins / of losses
  double best_trade = 0, worst_trade = 0;   // net PnL
  uint64_t max_consecutive_wins = 0, max_consecutive_losses = 0;
  double gross_pnl = 0;                     // Σ realised price PnL of closed trades
  double net_pnl = 0;                       // final equity - initial equity
  double fees = 0, funding = 0, open_pnl = 0;
  double initial_equity = 0, final_equity = 0;
  double total_return_pct = 0;
  double cagr_pct = 0;
  double sharpe = 0, sortino = 0, calmar = 0;
  double max_drawdown_pct = 0, max_drawdown_abs = 0;
  int64_t max_drawdown_start_ns = 0, max_drawdown_end_ns = 0;  // peak .. trough
  double max_drawdown_duration_days = 0;    // peak .. recovery (or the end)
  double time_in_market_pct = 0;            // share of equity points in the market
  std::map<std::string, uint64_t> risk_rejections;
  uint64_t circuit_breaker_trips = 0;
  std::vector<Gap> gaps;
};

Report ComputeReport(const ReportInput& in);

// Machine-readable: every Report field, snake_case keys as above, times as
// ISO-8601 UTC strings, stable key order.
std::string ReportJson(const ReportInput& in, const Report& r);
// The summary table (also printed by `bot backtest`), then rejections and gaps.
std::string ReportMarkdown(const ReportInput& in, const Report& r);
// Equity curve with the underwater drawdown beneath it: dated x axis,
// currency y axis, trades marked (entries and exits, wins and losses told
// apart). A self-contained SVG document.
std::string EquitySvg(const ReportInput& in, const Report& r);

}  // namespace apollo::replay

#endif  // APOLLO_REPLAY_REPORT_H_
