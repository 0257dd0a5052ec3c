// One symbol's closed klines from the market stream, handed on in order and
// each once (to a StepAssembler, which makes the engine's steps). A kline is
// handed on when it is the next bar after the last one handed on or
// journaled; a
// repeated or older one is ignored (logged as kline_ignored and counted,
// never a halt); one past a gap, or any after the stream reconnected or lost
// messages, waits while the missing bars are fetched from REST klines and
// handed on first, oldest first, like any other bar. Trading resumes with
// the held bar once the gap is filled.
//
//   MarketFeed feed({&engine, &log, Symbol{"BTCUSDT"}, interval_ms, fetch, deliver, count});
//   on a stream kline:      RETURN_IF_ERROR(feed.OnStreamBar(bar));
//   on a reconnect:         feed.MarkGap();
//   once per loop pass:     RETURN_IF_ERROR(feed.Poll());
//
// Bounds: at most kHeldBarsMax stream bars wait during a backfill (older
// held bars are dropped: the backfill fetches them); a backfill reads at
// most kBackfillPages pages of kBackfillPageBars bars; a fetch that fails is
// retried once per Poll up to kBackfillAttemptsMax times, after which the
// held bars are handed on across the gap (kline_gap_not_backfilled).
#ifndef APOLLO_ENGINE_LIVE_MARKET_FEED_H_
#define APOLLO_ENGINE_LIVE_MARKET_FEED_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/runtime/engine.h"
#include "engine/runtime/log.h"
#include "engine/strategy/strategy.h"

namespace apollo::live {

inline constexpr size_t kHeldBarsMax = 64;
inline constexpr int kBackfillPageBars = 500;  // Binance weight 2 per page
inline constexpr int kBackfillPages = 4;
inline constexpr int kBackfillAttemptsMax = 30;

struct MarketFeedDeps {
  const runtime::Engine* engine = nullptr;  // its state: the symbol's last journaled bar
  runtime::Log* log = nullptr;
  Symbol symbol;
  int64_t interval_ms = 0;
  // Closed bars of the symbol opening at or after from_ms, oldest first, at
  // most `limit` (GET /fapi/v1/klines without the bar still open).
  std::function<absl::StatusOr<std::vector<strategy::Bar>>(int64_t from_ms, int limit)> fetch;
  // Takes each bar in order (a failure stops the feed and is returned).
  std::function<absl::Status(const strategy::Bar&)> deliver;
  // Counts for the metrics (optional): ("ignored", "repeated"|"older", 1),
  // ("backfilled", "", n).
  std::function<void(absl::string_view what, absl::string_view label, uint64_t n)> count;
};

class MarketFeed {
 public:
  explicit MarketFeed(MarketFeedDeps deps) : d_(std::move(deps)) {}

  // A closed kline from the stream.
  absl::Status OnStreamBar(const strategy::Bar& bar);
  // The stream reconnected or lost messages: what it missed is fetched
  // before the next stream bar is journaled.
  void MarkGap();
  // Runs a pending backfill, then hands on the held bars. Once per loop pass.
  absl::Status Poll();

 private:
  int64_t LastOpenMs() const;
  absl::Status Deliver(const strategy::Bar& bar);
  // Fetches and hands on what follows the last bar; false while a failed
  // fetch is to be retried.
  absl::StatusOr<bool> Backfill();
  absl::Status FlushHeld();
  void Hold(const strategy::Bar& bar);
  void Count(absl::string_view what, absl::string_view label, uint64_t n) const {
    if (d_.count) d_.count(what, label, n);
  }

  MarketFeedDeps d_;
  std::deque<strategy::Bar> held_;
  bool pending_ = false;
  int attempts_ = 0;
  int64_t last_delivered_ms_ = -1;
};

}  // namespace apollo::live

#endif  // APOLLO_ENGINE_LIVE_MARKET_FEED_H_
