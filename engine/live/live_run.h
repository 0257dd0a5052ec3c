// A testnet or live run: the engine wired to Binance USDⓈ-M.
//
//   ASSIGN_OR_RETURN(RunSummary s, RunLive(options, log));
//
// Start-up: sync the server clock, load exchangeInfo's filters for every
// traded symbol (never hard-coded), rebuild state, SystemStarted, resolve
// in-doubt orders by client id, set the account up, reconcile with the
// venue, rank the universe (universe.size > 0). Then one engine thread
// takes inputs in order: closed klines of every symbol from one combined
// market stream (each symbol through its MarketFeed: repeats and older bars
// ignored, gaps filled from REST klines first; then a StepAssembler makes
// one step of each close time), user-data stream messages (fills and order
// updates as venue reports), reconciliation passes (at once after any
// stream reconnect, an ACCOUNT_UPDATE or a refused message, and every
// reconciliation.interval_min), and operator commands. The listenKey is
// kept alive and recreated when it expires. SIGINT/SIGTERM stop it after
// the current step.
//
// Venue data is refused, never guessed: a REST answer or a stream message
// with malformed JSON or a bad number is logged (venue_payload_refused),
// counted, and dropped (the request fails); a stream message that is not
// JSON at all also drops the connection, which reconnects and reconciles.
// A bad book ticker message is only counted (a book has no sequence: the
// next one replaces it), the mark prices' funding rates and the latest
// books are journaled with the step they are read for.
// Bounds: a stream message is at most 1 MiB (larger: the connection is
// dropped and reconnected); the queue from the stream threads to the engine
// holds at most 10,000 messages / 64 MiB (beyond: dropped, counted, then a
// reconciliation and a kline backfill recover what they carried).
#ifndef APOLLO_ENGINE_LIVE_LIVE_RUN_H_
#define APOLLO_ENGINE_LIVE_LIVE_RUN_H_

#include <cstdint>
#include <functional>
#include <string>

#include "engine/net/rate_gate.h"
#include "absl/status/statusor.h"
#include "engine/config/config.h"
#include "engine/runtime/paper_run.h"

namespace apollo::live {

struct LiveOptions {
  runtime::RunOptions run;  // cfg, ledger/logs dirs, build, surface hooks (data_file and speed unused)
  config::Secrets secrets;
  // The rate gate every outbound call goes through (its providers "binance",
  // "news"); none: no gate.
  net::RateGate* gate = nullptr;
  // Test hooks: REST and WebSocket base URLs (default from cfg.binance by mode).
  std::string rest_base_url, ws_base_url;
  // Venue REST observations for the metrics (any thread; optional).
  std::function<void(double latency_seconds, int64_t used_weight_1m)> on_rest_request;
  std::function<void(bool banned)> on_rest_backoff;
  // Venue data counts for the metrics (engine thread and stream threads):
  // ("refused", "rest"|"market"|"user", n), ("ignored", "repeated"|"older",
  // 1), ("backfilled", "", n), ("dropped", "inbox", n), ("partial", "step",
  // 1), ("news", "read"|"failed", 1), ("news_items", "", n). Optional.
  std::function<void(absl::string_view what, absl::string_view label, uint64_t n)> on_count;
  // Stop after this many bar steps (0: run until a signal). For tests and drills.
  uint64_t max_bars = 0;
};

absl::StatusOr<runtime::RunSummary> RunLive(const LiveOptions& options, runtime::Log& log);

}  // namespace apollo::live

#endif  // APOLLO_ENGINE_LIVE_LIVE_RUN_H_
