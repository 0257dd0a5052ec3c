// Where a closed kline stands against the ledger's last bar (live/kline_order.h).
#include "engine/live/kline_order.h"

#include <gtest/gtest.h>

namespace apollo::live {
namespace {

constexpr int64_t k5m = 300'000;
constexpr int64_t kLast = 1'672'675'200'000;

TEST(KlineOrder, NextRepeatedOlderAndGaps) {
  EXPECT_EQ(PlaceKline(-1, k5m, kLast).place, KlinePlace::kNext);  // the ledger's first bar
  EXPECT_EQ(PlaceKline(kLast, k5m, kLast + k5m).place, KlinePlace::kNext);
  EXPECT_EQ(PlaceKline(kLast, k5m, kLast).place, KlinePlace::kRepeated);
  EXPECT_EQ(PlaceKline(kLast, k5m, kLast - 3 * k5m).place, KlinePlace::kOlder);
  const KlineOrder gap = PlaceKline(kLast, k5m, kLast + 4 * k5m);
  EXPECT_EQ(gap.place, KlinePlace::kGap);
  EXPECT_EQ(gap.first_missing_ms, kLast + k5m);
  EXPECT_EQ(gap.missing_bars, 3);
  // Off the grid but under one interval later: nothing is missing.
  EXPECT_EQ(PlaceKline(kLast, k5m, kLast + k5m + k5m / 2).place, KlinePlace::kNext);
  EXPECT_EQ(KlinePlaceName(KlinePlace::kRepeated), "repeated");
  EXPECT_EQ(KlinePlaceName(KlinePlace::kOlder), "older");
}

}  // namespace
}  // namespace apollo::live
