// libFuzzer target: recorded klines (engine/runtime/bar_file.h), the CSV a
// backtest or paper run reads. The input is written to a file and read as
// a 5-minute series, gaps refused and then allowed. Whatever the bytes,
// ReadBars answers; a refusal is one line naming the file; a series it
// accepts holds what the header promises: strictly increasing open times
// on the 5-minute grid, 0 < low <= open, close <= high, volume >= 0.
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "engine/runtime/bar_file.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/support/temp_dir.h"

namespace {

using namespace apollo;

constexpr int64_t k5m = 300'000;

void Check(const absl::StatusOr<runtime::BarSeries>& series, const std::string& path) {
  if (!series.ok()) {
    FUZZ_CHECK(absl::StartsWith(series.status().message(), path + ":"));
    FUZZ_CHECK(series.status().message().find('\n') == absl::string_view::npos);
    return;
  }
  for (size_t i = 0; i < series->bars.size(); ++i) {
    const strategy::Bar& b = series->bars[i];
    FUZZ_CHECK(b.open_time_ms % k5m == 0);
    if (i > 0) FUZZ_CHECK(b.open_time_ms > series->bars[i - 1].open_time_ms);
    FUZZ_CHECK(b.low.raw() > 0 && b.low <= b.open && b.open <= b.high && b.low <= b.close && b.close <= b.high);
    FUZZ_CHECK(b.volume.raw() >= 0);
  }
  for (const runtime::BarGap& gap : series->gaps) FUZZ_CHECK(gap.missing_bars > 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const testing::TempDir dir;
  const std::string path = fuzz::WriteFile(dir.Sub("bars.csv"), fuzz::Bytes(data, size));
  runtime::BarReadOptions options;
  options.interval_ms = k5m;
  Check(runtime::ReadBars({path}, options), path);
  options.allow_gaps = true;
  Check(runtime::ReadBars({path}, options), path);
  return 0;
}
