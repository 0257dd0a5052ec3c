// MarketFeed: see market_feed.h.
#include "engine/live/market_feed.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "engine/domain/status_macros.h"
#include "engine/live/kline_order.h"

namespace apollo::live {

using runtime::LogFields;

int64_t MarketFeed::LastOpenMs() const {
  const State& s = d_.engine->state();
  auto it = s.last_bars.find(d_.symbol);
  return std::max(last_delivered_ms_, it == s.last_bars.end() ? int64_t{-1} : it->second.open_time_ms);
}

absl::Status MarketFeed::Deliver(const strategy::Bar& bar) {
  RETURN_IF_ERROR(d_.deliver(bar));
  last_delivered_ms_ = bar.open_time_ms;
  return absl::OkStatus();
}

void MarketFeed::Hold(const strategy::Bar& bar) {
  held_.push_back(bar);
  while (held_.size() > kHeldBarsMax) held_.pop_front();  // the backfill fetches it
}

void MarketFeed::MarkGap() {
  pending_ = true;
  attempts_ = 0;
}

absl::Status MarketFeed::OnStreamBar(const strategy::Bar& bar) {
  if (pending_ || !held_.empty()) {
    Hold(bar);
    return absl::OkStatus();
  }
  const int64_t last = LastOpenMs();
  const KlineOrder o = PlaceKline(last, d_.interval_ms, bar.open_time_ms);
  switch (o.place) {
    case KlinePlace::kNext:
      return Deliver(bar);
    case KlinePlace::kRepeated:
    case KlinePlace::kOlder:
      d_.log->Warning("kline_ignored", LogFields().Add("open_time_ms", bar.open_time_ms)
                                           .Add("last_open_time_ms", last).Add("reason", KlinePlaceName(o.place)));
      Count("ignored", KlinePlaceName(o.place), 1);
      return absl::OkStatus();
    case KlinePlace::kGap:
      d_.log->Warning("kline_gap_detected", LogFields().Add("first_missing_open_time_ms", o.first_missing_ms)
                                                .Add("missing_bars", o.missing_bars).Add("open_time_ms", bar.open_time_ms));
      Hold(bar);
      MarkGap();
      return Poll();
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> MarketFeed::Backfill() {
  uint64_t n = 0;
  int64_t first = -1, last_delivered = -1;
  for (int page = 0; page < kBackfillPages; ++page) {
    const int64_t last = LastOpenMs();
    if (last < 0) break;  // a new ledger: nothing to continue from
    absl::StatusOr<std::vector<strategy::Bar>> bars = d_.fetch(last + d_.interval_ms, kBackfillPageBars);
    if (!bars.ok()) {
      ++attempts_;
      d_.log->Warning("kline_backfill_failed", LogFields().Add("error", bars.status().message())
                                                   .Add("attempt", static_cast<int64_t>(attempts_)));
      if (attempts_ < kBackfillAttemptsMax) return false;
      break;
    }
    for (const strategy::Bar& b : *bars) {
      if (b.open_time_ms <= LastOpenMs()) continue;
      RETURN_IF_ERROR(Deliver(b));
      if (first < 0) first = b.open_time_ms;
      last_delivered = b.open_time_ms;
      ++n;
    }
    if (bars->size() < static_cast<size_t>(kBackfillPageBars)) break;
  }
  if (n > 0) {
    d_.log->Info("kline_backfilled", LogFields().Add("bars", n).Add("first_open_time_ms", first)
                                         .Add("last_open_time_ms", last_delivered));
    Count("backfilled", "", n);
  }
  return true;
}

absl::Status MarketFeed::FlushHeld() {
  while (!held_.empty()) {
    const strategy::Bar bar = held_.front();
    const KlineOrder o = PlaceKline(LastOpenMs(), d_.interval_ms, bar.open_time_ms);
    if (o.place == KlinePlace::kGap && attempts_ < kBackfillAttemptsMax) {
      // REST does not list the bars before it yet: ask again next pass.
      ++attempts_;
      pending_ = true;
      return absl::OkStatus();
    }
    held_.pop_front();
    if (o.place == KlinePlace::kRepeated || o.place == KlinePlace::kOlder) continue;  // fetched meanwhile
    if (o.place == KlinePlace::kGap) {
      d_.log->Warning("kline_gap_not_backfilled", LogFields().Add("first_missing_open_time_ms", o.first_missing_ms)
                                                      .Add("missing_bars", o.missing_bars)
                                                      .Add("open_time_ms", bar.open_time_ms));
    }
    RETURN_IF_ERROR(Deliver(bar));
  }
  attempts_ = 0;
  return absl::OkStatus();
}

absl::Status MarketFeed::Poll() {
  if (pending_) {
    ASSIGN_OR_RETURN(const bool done, Backfill());
    if (!done) return absl::OkStatus();
    pending_ = false;
  }
  return FlushHeld();
}

}  // namespace apollo::live
