// The fake exchange's price feed: recorded klines, one bar at a time. The CSV
// is the shared kline format `open_time_ms,open,high,low,close,volume`
// (data/README.md); every row is checked (exact decimals, low <= open,close <=
// high, strictly increasing open times) and a bad row names file and line.
// Read here rather than through engine/runtime so the fake server depends on
// nothing but the pure domain.
#ifndef APOLLO_TOOLS_FAKE_BINANCE_BARS_H_
#define APOLLO_TOOLS_FAKE_BINANCE_BARS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/domain/fixed.h"

namespace apollo::fake_binance {

struct Bar {
  int64_t open_time_ms = 0;
  Fixed open, high, low, close, volume;
};

// NotFound if the file cannot be opened; InvalidArgument for a bad header,
// a bad row or an empty file.
absl::StatusOr<std::vector<Bar>> ReadBarsCsv(const std::string& path);

}  // namespace apollo::fake_binance

#endif  // APOLLO_TOOLS_FAKE_BINANCE_BARS_H_
