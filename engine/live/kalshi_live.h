// A testnet (Kalshi's demo) or live run of weather_high_v1 on Kalshi
// (issue 15 §2-§4): the same engine, ledger, risk and operator surface as
// a Binance run, with Kalshi as its venue.
//
//   ASSIGN_OR_RETURN(RunSummary s, RunKalshiLive(options, log));
//
// Start-up: rebuild state (a ledger holding a Binance run's bars is
// refused), SystemStarted, resolve in-doubt orders by client_order_id,
// reconcile positions, resting orders and balance with Kalshi. Then, on
// one engine thread:
//   - every weather.decision_interval_min (the first at once), one market
//     step (Engine::OnMarketStep): each city's open markets listed
//     (GET /markets, one InstrumentDefined per new market) and followed on
//     the stream; each market's book from the stream (or, while the stream
//     holds none it trusts, from GET .../orderbook) as a MarketTick; NWS's
//     forecast high of each climate day listed, journaled as
//     ForecastObserved when read anew (the 5-minute cache serves the
//     rest), with its sigma by lead (weather.nws_sigma_f, a stated prior);
//     each market past its close asked for its result, MarketSettled once
//     Kalshi has one; then the strategy's decisions;
//   - our orders asked for (fills, Kalshi's cancels at a market's close)
//     whenever the stream's private channels say something moved, and at
//     each step;
//   - reconciliation after every stream reconnect and every
//     reconciliation.interval_min; a difference is manual review;
//   - operator commands, the engine's view published, SIGHUP's log reopen.
// SIGINT/SIGTERM stop it between two passes.
#ifndef APOLLO_ENGINE_LIVE_KALSHI_LIVE_H_
#define APOLLO_ENGINE_LIVE_KALSHI_LIVE_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/runtime/log.h"
#include "engine/runtime/paper_run.h"
#include "engine/venue/kalshi/credentials.h"

namespace apollo::net {
class RateGate;
}

namespace apollo::live {

struct KalshiLiveOptions {
  runtime::RunOptions run;  // cfg (run.venue kalshi), ledger/logs dirs, build, surface hooks
  venue::kalshi::Credentials credentials;  // REST and stream URLs, the key
  // The rate gate every outbound call goes through (providers kalshi_read,
  // kalshi_write, nws); none: no gate.
  net::RateGate* gate = nullptr;
  // Counts for the metrics: ("book_gap", "", n), ("book_rest", "", n),
  // ("stream_refused", "", n), ("refused", "market", n) for stream messages
  // that did not parse, ("nws", "read"|"failed", 1). Optional.
  std::function<void(absl::string_view what, absl::string_view label, uint64_t n)> on_count;
  // Stop after this many market steps (0: run until a signal); and the
  // step's period in ms (0: weather.decision_interval_min). For tests and drills.
  uint64_t max_steps = 0;
  int64_t step_interval_ms = 0;
};

absl::StatusOr<runtime::RunSummary> RunKalshiLive(const KalshiLiveOptions& options, runtime::Log& log);

}  // namespace apollo::live

#endif  // APOLLO_ENGINE_LIVE_KALSHI_LIVE_H_
