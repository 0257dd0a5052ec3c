// Recorded klines for the fake exchange (see bars.h).
#include "tools/fake_binance/bars.h"

#include <algorithm>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace apollo::fake_binance {
namespace {

constexpr absl::string_view kHeader = "open_time_ms,open,high,low,close,volume";

absl::StatusOr<Bar> ParseRow(absl::string_view row) {
  std::vector<absl::string_view> cols = absl::StrSplit(row, ',');
  if (cols.size() != 6) return absl::InvalidArgumentError(absl::StrCat("expected 6 columns, got ", cols.size()));
  Bar bar;
  if (!absl::SimpleAtoi(cols[0], &bar.open_time_ms)) {
    return absl::InvalidArgumentError(absl::StrCat("open_time_ms is not an integer: ", cols[0]));
  }
  static constexpr const char* kNames[] = {"open", "high", "low", "close", "volume"};
  Fixed* fields[] = {&bar.open, &bar.high, &bar.low, &bar.close, &bar.volume};
  for (int i = 0; i < 5; ++i) {
    absl::StatusOr<Fixed> v = Fixed::Parse(cols[i + 1]);
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

absl::StatusOr<std::vector<Bar>> ReadBarsCsv(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("bar file ", path, " cannot be opened"));
  std::vector<Bar> bars;
  std::string line;
  int64_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    absl::string_view row = absl::StripAsciiWhitespace(line);
    if (line_no == 1) {
      if (row != kHeader) {
        return absl::InvalidArgumentError(absl::StrCat(path, ":1: expected header '", kHeader, "'"));
      }
      continue;
    }
    if (row.empty()) continue;
    absl::StatusOr<Bar> bar = ParseRow(row);
    if (!bar.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ":", line_no, ": ", bar.status().message()));
    if (!bars.empty() && bar->open_time_ms <= bars.back().open_time_ms) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", line_no, ": open_time_ms does not increase"));
    }
    bars.push_back(*bar);
  }
  if (bars.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no bars"));
  return bars;
}

}  // namespace apollo::fake_binance
