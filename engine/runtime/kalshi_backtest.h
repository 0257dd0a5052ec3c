// `bot backtest --venue kalshi` (issue 15 §4): weather_high_v1 through the
// very engine, risk and order manager that trade, over the recorded Kalshi
// weather markets of data/kalshi, into a ledger of the usual format.
//
// The run steps every weather.decision_interval_min from the first market's
// opening to the last one's settlement. At each step it journals, in order:
// the venue's fills of our resting orders against the recorded trade tape
// since the last step (venue/kalshi/tape_venue.h) and the cancels of a
// market whose trading closed; each market listed since (InstrumentDefined,
// its strikes from its fields); each market's quote as the tape showed it
// in the last interval (MarketTick: the last price a taker sold YES at as
// the bid, the last a taker bought at as the ask); each city's forecast for
// the climate days still traded (ForecastObserved: the stated stand-in,
// weather/standin.h, never the realised high); and each market settled
// since (MarketSettled, its recorded result). Then the engine decides.
//
// The stand-in needs a climatology: Central Park's published normals for
// New York, a climatology of the bundled 2020-2024 history for Miami; a
// city with neither gets no forecast (its markets are held, missing_data)
// and the report says so.
#ifndef APOLLO_ENGINE_RUNTIME_KALSHI_BACKTEST_H_
#define APOLLO_ENGINE_RUNTIME_KALSHI_BACKTEST_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/config/config.h"

namespace apollo::runtime {

struct KalshiBacktestOptions {
  config::Config cfg;
  std::string markets_file = "data/kalshi/kalshi_weather_markets_2024-08-16_2025-05-08.csv";
  std::string settlements_file = "data/kalshi/kalshi_weather_settlements_2024-08-16_2025-05-08.csv";
  std::vector<std::string> trade_files = {
      "data/kalshi/trades/kxhighaus_trades_2025-03-29_2025-04-11.csv",
      "data/kalshi/trades/kxhighchi_trades_2025-03-29_2025-04-11.csv",
      "data/kalshi/trades/kxhighmia_trades_2025-03-29_2025-04-11.csv",
      "data/kalshi/trades/kxhighny_trades_2025-03-29_2025-04-11.csv"};
  std::string history_file = "data/nws/ghcnd_tmax_knyc_kmia_2020-01-01_2024-10-31.csv";
  std::string normals_file = "data/nws/normals_1991-2020_daily_USW00094728_temps.csv";  // Central Park's
  std::string ledger_dir;  // new or empty, unless `resume`; "" for a temporary one, removed
  std::string log_path;    // bot.log; "" for none
  std::string report_dir;  // report.md written here whole; "" for none
  std::string build_version;
  std::function<void(uint64_t done, uint64_t total)> on_step;
  // Paper mode (`bot --venue kalshi`): a ledger with steps already goes on
  // after its last one (crash-only: the state, the venue's resting orders
  // and the tape's quotes are rebuilt from the ledger and the data), so an
  // interrupted run ends where an uninterrupted one would.
  bool resume = false;
  // Checked before each step: true stops the run there (SIGTERM; tests).
  std::function<bool()> stop_requested;
};

struct KalshiBacktestResult {
  std::string stop_reason;  // END_OF_DATA, or STOP_REQUESTED
  uint64_t resumed_after_steps = 0;  // steps the ledger held already
  uint64_t steps = 0, markets = 0, settled = 0, fills = 0, signals = 0, orders = 0;
  uint64_t trades_closed = 0, wins = 0, losses = 0, events = 0;
  Fixed initial_equity, final_equity, fees_paid, max_drawdown_pct;
  std::vector<std::string> forecast_cities, cities_without_forecast;
  std::string markdown;  // the report: figures, the stand-in stated
};

absl::StatusOr<KalshiBacktestResult> RunKalshiBacktest(const KalshiBacktestOptions& options);

}  // namespace apollo::runtime

#endif  // APOLLO_ENGINE_RUNTIME_KALSHI_BACKTEST_H_
