#include "engine/runtime/bar_file.h"

#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace apollo::runtime {
namespace {

constexpr absl::string_view kHeader = "open_time_ms,open,high,low,close,volume";

absl::StatusOr<strategy::Bar> ParseRow(absl::string_view row) {
  std::vector<absl::string_view> cols = absl::StrSplit(row, ',');
  if (cols.size() != 6) return absl::InvalidArgumentError(absl::StrCat("expected 6 columns, got ", cols.size()));
  strategy::Bar bar;
  if (!absl::SimpleAtoi(cols[0], &bar.open_time_ms)) {
    return absl::InvalidArgumentError(absl::StrCat("open_time_ms is not an integer: ", cols[0]));
  }
  static constexpr const char* kNames[] = {"open", "high", "low", "close", "volume"};
  Fixed* fields[] = {&bar.open, &bar.high, &bar.low, &bar.close, &bar.volume};
  for (int i = 0; i < 5; ++i) {
    auto v = Fixed::Parse(cols[i + 1]);
    if (!v.ok()) return absl::InvalidArgumentError(absl::StrCat(kNames[i], " is not a decimal: ", cols[i + 1]));
    *fields[i] = *v;
  }
  if (bar.low.raw() <= 0 || bar.low > std::min(bar.open, bar.close) || bar.high < std::max(bar.open, bar.close) ||
      bar.volume.raw() < 0) {
    return absl::InvalidArgumentError("inconsistent OHLCV (need 0 < low <= open,close <= high, volume >= 0)");
  }
  return bar;
}

}  // namespace

absl::StatusOr<std::vector<strategy::Bar>> ReadBarFile(const std::string& path, int64_t interval_ms) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("market data file ", path, " not found"));
  std::vector<strategy::Bar> bars;
  std::string line;
  int64_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    absl::string_view row = absl::StripAsciiWhitespace(line);
    if (line_no == 1) {
      if (row != kHeader) {
        return absl::InvalidArgumentError(absl::StrCat(path, ":1: expected the header ", kHeader));
      }
      continue;
    }
    if (row.empty()) continue;
    auto bar = ParseRow(row);
    if (!bar.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ":", line_no, ": ", bar.status().message()));
    if (bar->open_time_ms % interval_ms != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", line_no, ": open time ", bar->open_time_ms, " is not on the ", interval_ms, " ms grid"));
    }
    if (!bars.empty() && bar->open_time_ms <= bars.back().open_time_ms) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", line_no, ": open time ", bar->open_time_ms,
                                                     " does not follow ", bars.back().open_time_ms));
    }
    bars.push_back(*bar);
  }
  if (line_no == 0) return absl::InvalidArgumentError(absl::StrCat(path, ": empty file"));
  return bars;
}

}  // namespace apollo::runtime
