// PlaceKline: see kline_order.h.
#include "engine/live/kline_order.h"

namespace apollo::live {

absl::string_view KlinePlaceName(KlinePlace place) {
  switch (place) {
    case KlinePlace::kNext: return "next";
    case KlinePlace::kRepeated: return "repeated";
    case KlinePlace::kOlder: return "older";
    case KlinePlace::kGap: return "gap";
  }
  return "unknown";
}

KlineOrder PlaceKline(int64_t last_open_ms, int64_t interval_ms, int64_t open_ms) {
  KlineOrder o;
  if (last_open_ms < 0) return o;
  if (open_ms == last_open_ms) {
    o.place = KlinePlace::kRepeated;
  } else if (open_ms < last_open_ms) {
    o.place = KlinePlace::kOlder;
  } else if (interval_ms > 0 && open_ms > last_open_ms + interval_ms) {
    o.place = KlinePlace::kGap;
    o.first_missing_ms = last_open_ms + interval_ms;
    o.missing_bars = (open_ms - last_open_ms) / interval_ms - 1;
    if (o.missing_bars <= 0) o.place = KlinePlace::kNext;  // off the grid, under one interval missing
  }
  return o;
}

}  // namespace apollo::live
