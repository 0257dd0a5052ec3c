// Where a closed kline stands against the last bar the ledger journaled:
// the next one, a repeat or an older one (ignored: a bar is journaled once
// and in order), or one past a gap (the bars between are fetched first).
// Pure arithmetic on open times, shared by the stream and the backfill.
//
//   KlineOrder o = PlaceKline(last_open_ms, interval_ms, kline.open_time_ms);
//   if (o.place == KlinePlace::kGap) ... fetch o.missing_bars from o.first_missing_ms ...
#ifndef APOLLO_ENGINE_LIVE_KLINE_ORDER_H_
#define APOLLO_ENGINE_LIVE_KLINE_ORDER_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace apollo::live {

enum class KlinePlace : uint8_t {
  kNext,      // the bar after the last one (or the first bar of the ledger)
  kRepeated,  // the last bar again
  kOlder,     // a bar before the last one
  kGap,       // later than the next one: bars are missing in between
};
absl::string_view KlinePlaceName(KlinePlace place);  // "next", "repeated", "older", "gap"

struct KlineOrder {
  KlinePlace place = KlinePlace::kNext;
  int64_t first_missing_ms = 0;  // kGap: open time of the first missing bar
  int64_t missing_bars = 0;      // kGap: how many are missing
};

// `last_open_ms` < 0: no bar journaled yet. A bar off the interval grid but
// after the last one counts as next (the fold only asks for increasing
// open times).
KlineOrder PlaceKline(int64_t last_open_ms, int64_t interval_ms, int64_t open_ms);

}  // namespace apollo::live

#endif  // APOLLO_ENGINE_LIVE_KLINE_ORDER_H_
