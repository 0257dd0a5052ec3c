// A testnet or live run: the engine wired to Binance USDⓈ-M.
//
//   ASSIGN_OR_RETURN(RunSummary s, RunLive(options, log));
//
// Start-up: sync the server clock, load exchangeInfo's filters for the
// symbol (never hard-coded), rebuild state, SystemStarted, resolve in-doubt
// orders by client id, reconcile with the venue. Then one engine thread
// takes inputs in order: closed klines from the market stream (MarketBar
// steps), user-data stream messages (fills and order updates as venue
// reports), reconciliation passes (at once after any stream reconnect or an
// ACCOUNT_UPDATE, and every reconciliation.interval_min), and operator
// commands. The listenKey is kept alive and recreated when it expires.
// SIGINT/SIGTERM stop it after the current step.
#ifndef APOLLO_ENGINE_LIVE_LIVE_RUN_H_
#define APOLLO_ENGINE_LIVE_LIVE_RUN_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "engine/config/config.h"
#include "engine/runtime/paper_run.h"
#include "engine/strategy/strategy.h"

namespace apollo::live {

struct LiveOptions {
  runtime::RunOptions run;  // cfg, ledger/logs dirs, build, surface hooks (data_file and speed unused)
  config::Secrets secrets;
  // Test hooks: REST and WebSocket base URLs (default from cfg.binance by mode).
  std::string rest_base_url, ws_base_url;
  // Venue REST observations for the metrics (any thread; optional).
  std::function<void(double latency_seconds, int64_t used_weight_1m)> on_rest_request;
  std::function<void(bool banned)> on_rest_backoff;
  // Stop after this many bar steps (0: run until a signal). For tests and drills.
  uint64_t max_bars = 0;
};

absl::StatusOr<runtime::RunSummary> RunLive(const LiveOptions& options, runtime::Log& log);

// The bar of a market-stream message (combined-stream form,
// {"stream":...,"data":{"e":"kline",...,"k":{...}}}) when it is a closed
// kline; nullopt for an open kline or a message that is not a kline. A
// message that is not JSON, or a closed kline whose numbers are missing,
// malformed or inconsistent (not 0 < low <= open, close <= high, volume >= 0),
// is InvalidArgument: the run logs it (market_message_refused) and takes no
// bar from it.
absl::StatusOr<std::optional<strategy::Bar>> ClosedKline(std::string_view json);

}  // namespace apollo::live

#endif  // APOLLO_ENGINE_LIVE_LIVE_RUN_H_
