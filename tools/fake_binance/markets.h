// What the fake exchange trades: instruments (a symbol and its exchangeInfo
// filters) with their recorded bars, and the one clock of bars they share.
//
// The shared timeline starts at the latest first open time among the
// markets (each market starts on its bar current then: its last bar opening
// at or before it) and steps through the sorted union of the open times
// after it. A market without a bar at a step keeps its previous one.
//
//   std::vector<Market> markets = {{eth, *ReadBarsCsv(eth_csv)}, {sol, *ReadBarsCsv(sol_csv)}};
//   RETURN_IF_ERROR(ValidateMarkets(markets));
//   RETURN_IF_ERROR(StartMarketsAt(&markets, 100));  // step 100 becomes step 0
//   FakeExchange ex(ExchangeConfig{}, std::move(markets), SystemClockMs);
#ifndef APOLLO_TOOLS_FAKE_BINANCE_MARKETS_H_
#define APOLLO_TOOLS_FAKE_BINANCE_MARKETS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "engine/domain/fixed.h"
#include "tools/fake_binance/bars.h"

namespace apollo::fake_binance {

// One perpetual contract and its filters (PRICE_FILTER tickSize, LOT_SIZE
// stepSize / maxQty, MIN_NOTIONAL) as exchangeInfo lists them.
struct Instrument {
  std::string symbol = "BTCUSDT";
  std::string base_asset = "BTC";
  Fixed tick_size = Fixed::FromRaw(10'000'000);       // 0.10
  Fixed step_size = Fixed::FromRaw(100'000);          // 0.001
  Fixed max_qty = Fixed::FromInt(1'000);
  Fixed min_notional = Fixed::FromInt(5);
  Fixed maint_margin_rate = Fixed::FromRaw(400'000);  // 0.004
};

struct Market {
  Instrument instrument;
  std::vector<Bar> bars;  // strictly increasing open times (ReadBarsCsv checks)
};

// InvalidArgument unless there is at least one market, the symbols are
// distinct and not empty, tick and step sizes are positive, every market has
// bars in increasing order, and every market has a bar at or after the
// timeline's start (else it would never trade).
absl::Status ValidateMarkets(const std::vector<Market>& markets);

// The open times of the shared timeline, oldest first. `markets` must be valid.
std::vector<int64_t> SharedTimeline(const std::vector<Market>& markets);

// Drops every market's bars before the bar it has at `step` of the shared
// timeline, so that an exchange made of them starts at that step (what was
// step `step` is step 0). OutOfRange past the timeline's end.
absl::Status StartMarketsAt(std::vector<Market>* markets, size_t step);

}  // namespace apollo::fake_binance

#endif  // APOLLO_TOOLS_FAKE_BINANCE_MARKETS_H_
