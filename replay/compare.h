// Two runs of the same bars side by side: a paper, testnet or live ledger
// and its backtest (`bot backtest --like LEDGER`). Trades are paired by the
// bar they were decided on and their side; the report says which trades
// only one run made, and where paired trades' fills, slippage (fill price
// against the price the trade was proposed at), fees and PnL differ.
#ifndef APOLLO_REPLAY_COMPARE_H_
#define APOLLO_REPLAY_COMPARE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/domain/fixed.h"
#include "engine/domain/types.h"
#include "ledger/ledger.h"

namespace apollo::replay {

// One position from its entry to flat.
struct RunTrade {
  int64_t decided_bar_ms = 0;  // open time of the bar the entry was decided on
  std::string symbol;
  Side side = Side::kBuy;
  Fixed qty, proposed_price, entry_price, exit_price, realized_pnl, fees;
  uint64_t fills = 0;
  bool closed = false;
  double SlippageBps() const;  // > 0: filled worse than proposed
  Fixed Net() const { return realized_pnl - fees; }
};

absl::StatusOr<std::vector<RunTrade>> ReadTrades(const ledger::Ledger& ledger);

// A Markdown section: counts, totals, average slippage, and the trades that
// differ (at most `max_rows`).
std::string CompareRuns(const std::vector<RunTrade>& ledger_trades, const std::vector<RunTrade>& backtest_trades,
                        size_t max_rows = 20);

}  // namespace apollo::replay

#endif  // APOLLO_REPLAY_COMPARE_H_
