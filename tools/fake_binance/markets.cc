// The fake exchange's markets and their shared timeline (see markets.h).
#include "tools/fake_binance/markets.h"

#include <algorithm>
#include <iterator>
#include <set>

#include "absl/strings/str_cat.h"

namespace apollo::fake_binance {
namespace {

int64_t StartTime(const std::vector<Market>& markets) {
  int64_t start = markets.front().bars.front().open_time_ms;
  for (const Market& m : markets) start = std::max(start, m.bars.front().open_time_ms);
  return start;
}

}  // namespace

absl::Status ValidateMarkets(const std::vector<Market>& markets) {
  if (markets.empty()) return absl::InvalidArgumentError("no markets");
  std::set<std::string> symbols;
  for (const Market& m : markets) {
    const Instrument& inst = m.instrument;
    if (inst.symbol.empty()) return absl::InvalidArgumentError("a market without a symbol");
    if (!symbols.insert(inst.symbol).second) {
      return absl::InvalidArgumentError(absl::StrCat("symbol ", inst.symbol, " given twice"));
    }
    if (inst.tick_size.raw() <= 0 || inst.step_size.raw() <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(inst.symbol, ": tick and step sizes must be positive"));
    }
    if (m.bars.empty()) return absl::InvalidArgumentError(absl::StrCat(inst.symbol, ": no bars"));
    for (size_t i = 1; i < m.bars.size(); ++i) {
      if (m.bars[i].open_time_ms <= m.bars[i - 1].open_time_ms) {
        return absl::InvalidArgumentError(absl::StrCat(inst.symbol, ": open times do not increase at bar ", i));
      }
    }
  }
  const int64_t start = StartTime(markets);
  for (const Market& m : markets) {
    if (m.bars.back().open_time_ms < start) {
      return absl::InvalidArgumentError(absl::StrCat(m.instrument.symbol, "'s bars end (", m.bars.back().open_time_ms,
                                                     ") before another market's begin (", start, ")"));
    }
  }
  return absl::OkStatus();
}

std::vector<int64_t> SharedTimeline(const std::vector<Market>& markets) {
  const int64_t start = StartTime(markets);
  std::vector<int64_t> times;
  for (const Market& m : markets) {
    for (const Bar& b : m.bars) {
      if (b.open_time_ms >= start) times.push_back(b.open_time_ms);
    }
  }
  std::sort(times.begin(), times.end());
  times.erase(std::unique(times.begin(), times.end()), times.end());
  return times;
}

absl::Status StartMarketsAt(std::vector<Market>* markets, size_t step) {
  const std::vector<int64_t> timeline = SharedTimeline(*markets);
  if (step >= timeline.size()) {
    return absl::OutOfRangeError(absl::StrCat("the shared timeline has ", timeline.size(), " bars"));
  }
  const int64_t t = timeline[step];
  for (Market& m : *markets) {
    // The first bar opening after t; the one before it is current at t (there
    // is one: every market's first bar opens at or before the start).
    auto after = std::upper_bound(m.bars.begin(), m.bars.end(), t,
                                  [](int64_t time, const Bar& b) { return time < b.open_time_ms; });
    m.bars.erase(m.bars.begin(), std::prev(after));
  }
  return absl::OkStatus();
}

}  // namespace apollo::fake_binance
