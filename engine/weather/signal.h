// One market's verdict under weather_high_v1 (issue 15 §3): the probability
// that the day's high resolves it YES, the edge after the fee against the
// price we would pay, the Milkbot gates (missing or stale data, spread,
// liquidity, uncertainty, edge) and, when it trades, the side and the limit
// price. Pure: what it returns depends only on its arguments.
//
//   MarketSignal s = Evaluate(view, forecast, gates, fee);
//   journal(s.signal);                       // SignalComputed, always
//   if (s.propose) size and risk-check s.side at s.limit_price
#ifndef APOLLO_ENGINE_WEATHER_SIGNAL_H_
#define APOLLO_ENGINE_WEATHER_SIGNAL_H_

#include <functional>
#include <optional>
#include <string>

#include "engine/domain/events.h"

namespace apollo::weather {

inline constexpr absl::string_view kStrategyName = "weather_high_v1";
// Bumped whenever the same State and config would decide differently.
inline constexpr absl::string_view kStrategyVersion = "1";

// What the market shows: its best YES bid and ask (dollars; a NO bid at p
// is a YES ask at 1 - p) and how much trades in it (contracts: volume plus
// open interest).
struct Quote {
  std::optional<Fixed> yes_bid, yes_ask;
  Fixed liquidity;
};

// The forecast a decision uses: the high (F) of the market's climate day,
// its error (sigma, F) at this lead, and whether it is too old to trade on.
struct Forecast {
  double high_f = 0;
  double sigma_f = 0;
  bool stale = false;
  std::string source;  // nws, standin
};

// The gates (strategy.weather in config.yaml; Milkbot's defaults).
struct Gates {
  Fixed min_edge = Fixed::FromRaw(3'000'000);     // 3 cents a contract, after the fee
  Fixed max_spread = Fixed::FromRaw(4'000'000);   // 4 cents
  Fixed min_liquidity = Fixed::FromInt(0);        // contracts
  double max_uncertainty = 0.30;                  // min(sigma / 15, 1)
};

// What one contract pays in fees when traded at `price` (Kalshi's taker fee).
using FeePerContract = std::function<Fixed(Fixed price)>;

struct MarketSignal {
  // Always journaled. direction BUY = buy YES, SELL = sell YES (buy NO);
  // score = the edge in dollars (0..1), confidence = 1 - uncertainty;
  // reason is one of Milkbot's codes: strong_edge, insufficient_edge,
  // high_uncertainty, wide_spread, low_liquidity, stale_data, missing_data;
  // inputs: forecast_high_f, sigma_f, p_yes, yes_bid, yes_ask, fee, edge.
  SignalComputed signal;
  // The probability of YES, once the forecast gave one (as journaled).
  std::optional<Fixed> p_yes;
  bool propose = false;
  Side side = Side::kBuy;
  // The YES price to post (limit): never more than fair value less the fee
  // and the minimum edge for a buy, never less than that for a sell, and on
  // the instrument's grid.
  Fixed limit_price;
};

MarketSignal Evaluate(const Symbol& ticker, const Instrument& instrument, const Quote& quote,
                      const std::optional<Forecast>& forecast, const Gates& gates, const FeePerContract& fee);

}  // namespace apollo::weather

#endif  // APOLLO_ENGINE_WEATHER_SIGNAL_H_
