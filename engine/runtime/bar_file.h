// Recorded klines, read whole and checked, from one or more files of one
// symbol. Two formats, detected per file from its first line:
//
//   * Apollo's bundled CSV (data/README.md), with exactly the header
//       open_time_ms,open,high,low,close,volume
//   * Binance's public kline dumps (data.binance.vision, e.g.
//     BTCUSDT-5m-2024-01.csv): 12 columns
//       open_time,open,high,low,close,volume,close_time,quote_volume,count,
//       taker_buy_volume,taker_buy_quote_volume,ignore
//     with that header line or without any header. Open and close times are
//     milliseconds, or microseconds (spot dumps from 2025 on) when >= 1e15;
//     a microsecond time must be a whole millisecond.
//
// Every row is checked whatever the options: the column count, numbers
// parse exactly (Fixed, at most 8 decimals), 0 < low <= open,close <= high,
// volume >= 0, open times sit on the interval's grid and strictly increase
// (a Binance close time must fall inside its bar). A missing stretch of bars
// (a gap) is an error unless allowed, then it is listed. Every error is one
// line `FILE:LINE: what`, naming any time involved in ISO-8601 UTC:
//
//   data/x.csv:1234: gap of 99 bars after 2023-01-20T11:55:00Z (next bar
//   2023-01-20T20:15:00Z); pass --allow-gaps to run anyway
//
//   BarReadOptions options;
//   options.interval_ms = 300'000;
//   absl::StatusOr<BarSeries> series = ReadBars({"jan.csv", "feb.csv"}, options);
#ifndef APOLLO_ENGINE_RUNTIME_BAR_FILE_H_
#define APOLLO_ENGINE_RUNTIME_BAR_FILE_H_

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/domain/fixed.h"
#include "engine/strategy/strategy.h"

namespace apollo::runtime {

// A hole in the series: bars missing strictly between two recorded ones.
struct BarGap {
  std::string file;  // the file holding the bar after the hole
  int64_t after_open_time_ms = 0;  // last bar before the hole
  int64_t next_open_time_ms = 0;   // first bar after it (kept)
  int64_t missing_bars = 0;        // (next - after) / interval - 1
};

struct BarReadOptions {
  int64_t interval_ms = 300'000;
  bool allow_gaps = false;  // else a gap is an error
  // Keep bars with from_ms <= open_time_ms < to_ms. The whole input is still
  // checked; a gap whose missing bars all fall outside the window is neither
  // reported nor refused. An empty result is not an error.
  int64_t from_ms = std::numeric_limits<int64_t>::min();
  int64_t to_ms = std::numeric_limits<int64_t>::max();
};

struct BarSeries {
  std::vector<strategy::Bar> bars;  // strictly increasing open times
  std::vector<BarGap> gaps;         // in order; empty unless allow_gaps
};

// Reads `paths`, in the order given, as one series: a later file must start
// after the previous one ends (an overlap is an error naming both files),
// and a hole between two files counts as a gap. A file that cannot be opened
// is NotFound; anything else wrong is InvalidArgument.
[[nodiscard]] absl::StatusOr<BarSeries> ReadBars(const std::vector<std::string>& paths,
                                                 const BarReadOptions& options);

// `ms` (Unix milliseconds) as ISO-8601 UTC, 2023-01-20T11:55:00Z: how
// every message about recorded bars names a time.
std::string IsoUtc(int64_t ms);

// One file, whole, gaps refused.
[[nodiscard]] absl::StatusOr<std::vector<strategy::Bar>> ReadBarFile(const std::string& path,
                                                                     int64_t interval_ms);

// Recorded funding rates of one symbol, for paper runs and backtests
// (--funding-data SYMBOL=FILE): a CSV with exactly the header
//   funding_time_ms,symbol,funding_rate
// (data/market/funding/, Binance's fundingRate history). Each row's symbol
// must be `symbol`, times strictly increase and a rate (a fraction per
// period, 0.0001 = 0.01 %) lies within +-kMaxFundingRate. Errors are one
// line `FILE:LINE: what`, as for bars.
struct FundingPoint {
  int64_t time_ms = 0;
  Fixed rate;
  bool operator==(const FundingPoint&) const = default;
};
inline constexpr int64_t kFundingPeriodMs = 8 * 3'600'000;  // Binance USDⓈ-M: 00, 08, 16 UTC
[[nodiscard]] absl::StatusOr<std::vector<FundingPoint>> ReadFundingFile(const std::string& path,
                                                                        const std::string& symbol);
// --constant-funding-rate: a fraction within +-kMaxFundingRate ("0.0001").
// InvalidArgument naming the flag otherwise.
absl::StatusOr<Fixed> ParseFundingRate(const std::string& text);
inline const Fixed kMaxFundingRate = Fixed::FromRaw(Fixed::kScale / 10);  // 10 % a period: no real rate is near
// `rate` at every funding time (00/08/16 UTC) in [from_ms, to_ms].
std::vector<FundingPoint> ConstantFunding(Fixed rate, int64_t from_ms, int64_t to_ms);

}  // namespace apollo::runtime

#endif  // APOLLO_ENGINE_RUNTIME_BAR_FILE_H_
