// The benchmarks' event stream: what a running bot writes most of, i.e. a
// CandleClose per symbol per 5-minute bar, three SignalComputed per symbol
// (one per strategy, each with a reason and six NamedValue inputs) and one
// TradeCycleCompleted per bar. Encoded payloads average ~200 bytes (records
// ~260 bytes with their header and frame). Every event folds cleanly, and a
// mix can resume after any State it (or anything else) produced.
#ifndef APOLLO_BENCH_EVENT_MIX_H_
#define APOLLO_BENCH_EVENT_MIX_H_

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/domain/events.h"
#include "engine/domain/state.h"
#include "ledger/event_log.h"

namespace apollo::bench {

class EventMix {
 public:
  // Continues after `state`: seq, event time and bar time follow on from it.
  // From an empty state the stream opens with SystemStarted and ConfigLoaded.
  explicit EventMix(const State& state, uint64_t seed = 0x5eed)
      : rng_(seed), next_seq_(state.last_seq + 1), fresh_(state.last_seq == 0) {
    ts_ns_ = std::max<int64_t>(state.last_ts_ns, 1'672'675'500'000'000'000);  // 2023-01-02
    bar_ms_ = ts_ns_ / 1'000'000;
    for (const auto& [sym, bar] : state.last_bars) bar_ms_ = std::max(bar_ms_, bar.open_time_ms);
  }

  Event Next() {
    Event e;
    e.seq = next_seq_++;
    e.body = Body();
    ts_ns_ = std::max(ts_ns_ + 1'000'000, bar_ms_ * 1'000'000 + 300'000'000'000 + step_ * 7'000'000);
    e.ts_ns = ts_ns_;
    return e;
  }

  // The next n events as records (what Ledger::Append takes).
  std::vector<ledger::RecordInput> NextRecords(size_t n) {
    std::vector<ledger::RecordInput> out;
    out.reserve(n);
    for (size_t i = 0; i < n; ++i) out.push_back(ledger::ToRecord(Next()));
    return out;
  }

 private:
  static constexpr const char* kSymbols[] = {"BTCUSDT", "ETHUSDT", "SOLUSDT"};
  static constexpr const char* kStrategies[] = {"trend_following_v1", "mean_reversion_v2",
                                                "vol_breakout_v1"};
  static constexpr int64_t kBase[] = {20000, 1500, 25};
  static constexpr int kSignalsPerSymbol = 3;
  static constexpr int kStepsPerBar = 3 * (1 + kSignalsPerSymbol) + 1;

  uint64_t Rand() {  // xorshift64*
    rng_ ^= rng_ >> 12;
    rng_ ^= rng_ << 25;
    rng_ ^= rng_ >> 27;
    return rng_ * 2685821657736338717ull;
  }
  Fixed Price(int64_t base) {
    return Fixed::FromRaw(base * Fixed::kScale + static_cast<int64_t>(Rand() % (base * 2'000'000 + 1)));
  }

  EventBody Body() {
    if (fresh_) {
      if (opened_++ == 0) return SystemStarted{Mode::kPaper, "bench"};
      fresh_ = false;
      return ConfigLoaded{"bench-config", "bench", Fixed::FromInt(10'000)};
    }
    const int step = step_;
    step_ = (step_ + 1) % kStepsPerBar;
    if (step == 0) bar_ms_ += 300'000;
    if (step == kStepsPerBar - 1) {
      return TradeCycleCompleted{bar_ms_, static_cast<uint32_t>(Rand() % 4), 0};
    }
    const int sym = step / (1 + kSignalsPerSymbol);
    const int k = step % (1 + kSignalsPerSymbol);
    const int64_t base = kBase[sym];
    if (k == 0) {
      return CandleClose{Symbol{kSymbols[sym]}, "5m", bar_ms_, Price(base), Price(base + base / 100),
                         Price(base - base / 100), Price(base), Price(1000)};
    }
    const Fixed fast = Price(base), slow = Price(base), atr = Price(base / 400 + 1);
    const Fixed rsi = Fixed::FromRaw(static_cast<int64_t>(Rand() % 10'000'000'000));
    const Fixed adx = Fixed::FromRaw(static_cast<int64_t>(Rand() % 6'000'000'000));
    const Fixed volz = Fixed::FromRaw(static_cast<int64_t>(Rand() % 400'000'000));
    const bool up = fast > slow;
    std::string reason = absl::StrCat(
        up ? "ema_fast " : "ema_fast below ema_slow: ", fast.ToString(), up ? " above ema_slow " : " vs ",
        slow.ToString(), "; atr ", atr.ToString(), ", rsi ", rsi.ToString(), ", adx ", adx.ToString(),
        ", volume z ", volz.ToString(), "; regime ", (Rand() & 1) ? "trending" : "ranging");
    return SignalComputed{Symbol{kSymbols[sym]},
                          kStrategies[k - 1],
                          up ? Side::kBuy : Side::kSell,
                          Fixed::FromRaw(static_cast<int64_t>(Rand() % Fixed::kScale)),
                          Fixed::FromRaw(static_cast<int64_t>(Rand() % Fixed::kScale)),
                          std::move(reason),
                          {{"ema_fast", fast},
                           {"ema_slow", slow},
                           {"atr_14", atr},
                           {"rsi_14", rsi},
                           {"adx_14", adx},
                           {"volume_z", volz}}};
  }

  uint64_t rng_;
  uint64_t next_seq_;
  bool fresh_;
  int opened_ = 0;
  int step_ = 0;
  int64_t ts_ns_ = 0;
  int64_t bar_ms_ = 0;
};

}  // namespace apollo::bench

#endif  // APOLLO_BENCH_EVENT_MIX_H_
