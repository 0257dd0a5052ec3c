// Strategies: indicator maths against hand-computed values, resampling on UTC
// boundaries, and trend_following_v1's decisions: when it speaks, that it
// depends only on its window, what it proposes and when it exits.
#include "engine/strategy/strategy.h"

#include <random>

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>

#include "engine/strategy/indicators.h"
#include "engine/strategy/regime.h"

namespace apollo::strategy {
namespace {

constexpr int64_t k5mMs = 5 * 60'000;
constexpr int64_t k15mMs = 15 * 60'000;
constexpr int64_t k4hMs = 4 * 3'600'000;
constexpr int64_t kDayMs = 86'400'000;
constexpr int64_t kNsPerMs = 1'000'000;
constexpr int64_t k2023_01_02Ms = 1'672'617'600'000;  // 2023-01-02T00:00:00Z
const char kSymbol[] = "BTCUSDT";

std::vector<Bar> LoadBundledBars() {
  const auto root = std::filesystem::path(__FILE__).parent_path().parent_path();
  std::ifstream in(root / "data/market/btcusdt_perp_5m_2023-01-02_2023-02-09.csv");
  EXPECT_TRUE(in.good()) << "bundled data not found under " << root;
  std::vector<Bar> bars;
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "open_time_ms,open,high,low,close,volume");
  while (std::getline(in, line)) {
    std::stringstream row(line);
    std::string f[6];
    for (auto& field : f) std::getline(row, field, ',');
    Bar b;
    b.open_time_ms = std::stoll(f[0]);
    b.open = *Fixed::Parse(f[1]);
    b.high = *Fixed::Parse(f[2]);
    b.low = *Fixed::Parse(f[3]);
    b.close = *Fixed::Parse(f[4]);
    b.volume = *Fixed::Parse(f[5]);
    bars.push_back(b);
  }
  return bars;
}

const std::vector<Bar>& BundledBars() {
  static const std::vector<Bar> bars = LoadBundledBars();
  return bars;
}

// 5m bars whose closes follow close_at(i): open at the previous close, a
// wick of 2 either side, volume 100.
std::vector<Bar> SyntheticBars(size_t n, const std::function<double(size_t)>& close_at) {
  std::vector<Bar> bars;
  double prev = close_at(0);
  for (size_t i = 0; i < n; ++i) {
    const double c = close_at(i);
    Bar b;
    b.open_time_ms = k2023_01_02Ms + static_cast<int64_t>(i) * k5mMs;
    b.open = Fixed::FromDouble(prev);
    b.close = Fixed::FromDouble(c);
    b.high = Fixed::FromDouble(std::max(prev, c) + 2);
    b.low = Fixed::FromDouble(std::min(prev, c) - 2);
    b.volume = Fixed::FromInt(100);
    bars.push_back(b);
    prev = c;
  }
  return bars;
}

int64_t CloseNs(const Bar& b) { return (b.open_time_ms + k5mMs) * kNsPerMs; }

std::unique_ptr<Strategy> Make(const config::StrategyConfig& cfg = {}, const config::RegimeConfig& regime = {}) {
  auto s = MakeStrategy(cfg, regime, kSymbol, "5m");
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? std::move(*s) : nullptr;
}

State WithPosition(Side side, Fixed entry_price, int64_t opened_ts_ns) {
  State state;
  Position p;
  p.symbol = Symbol{kSymbol};
  p.side = side;
  p.qty = *Fixed::Parse("0.01");
  p.entry_price = entry_price;
  p.opened_ts_ns = opened_ts_ns;
  state.positions[p.symbol] = p;
  return state;
}

bool Silent(const Decision& d) { return !d.entry && !d.exit; }

std::string Describe(const Decision& d) {
  if (d.entry) return "entry: " + d.entry->signal.reason;
  if (d.exit) return "exit: " + d.exit->detail;
  return "silent";
}

bool SameDecision(const Decision& a, const Decision& b) {
  if (a.entry.has_value() != b.entry.has_value() || a.exit.has_value() != b.exit.has_value()) {
    return false;
  }
  if (a.entry &&
      !(a.entry->signal == b.entry->signal && a.entry->propose == b.entry->propose &&
        a.entry->reference_price == b.entry->reference_price &&
        a.entry->stop_price == b.entry->stop_price &&
        a.entry->take_profit_price == b.entry->take_profit_price && a.entry->atr == b.entry->atr)) {
    return false;
  }
  return !a.exit || (a.exit->reason == b.exit->reason && a.exit->detail == b.exit->detail);
}

std::optional<double> InputValue(const SignalComputed& s, const std::string& name) {
  for (const NamedValue& v : s.inputs) {
    if (v.name == name) return v.value.ToDouble();
  }
  return std::nullopt;
}

// ---------------------------------------------------------------- indicators

TEST(Indicators, SmaAveragesTheTrailingPeriod) {
  const std::vector<double> v = {1, 2, 3, 4};
  const auto sma = Sma(v, 2);
  EXPECT_TRUE(std::isnan(sma[0]));
  EXPECT_DOUBLE_EQ(sma[1], 1.5);
  EXPECT_DOUBLE_EQ(sma[3], 3.5);
}

TEST(Indicators, EmaIsSeededWithTheSmaOfTheWindowStart) {
  // period 2: alpha 2/3, seed (2+4)/2 = 3; then 3+2/3*(6-3) = 5, 7, 7+2/3*(4-7) = 5.
  const std::vector<double> v = {2, 4, 6, 8, 4};
  const auto ema = Ema(v, 2);
  EXPECT_TRUE(std::isnan(ema[0]));
  EXPECT_DOUBLE_EQ(ema[1], 3);
  EXPECT_DOUBLE_EQ(ema[2], 5);
  EXPECT_DOUBLE_EQ(ema[3], 7);
  EXPECT_DOUBLE_EQ(ema[4], 5);
  // The same values seen from a later window start are seeded there.
  const auto later = Ema(std::span<const double>(v).subspan(2), 2);
  EXPECT_DOUBLE_EQ(later[1], 7);  // (6+8)/2
  EXPECT_TRUE(std::isnan(Ema(v, 6)[4])) << "too short a window is undefined, not guessed";
}

TEST(Indicators, AtrIsWildersAverageOfTrueRange) {
  const std::vector<double> high = {10, 12, 11, 15, 14, 13};
  const std::vector<double> low = {8, 9, 10, 11, 12, 6};
  const std::vector<double> close = {9, 11, 10, 14, 13, 7};
  const auto tr = TrueRange(high, low, close);
  EXPECT_EQ(tr, (std::vector<double>{2, 3, 1, 5, 2, 7}));  // bar 3 gaps up from 10 to 15
  const auto atr = Atr(high, low, close, 3);
  EXPECT_TRUE(std::isnan(atr[2]));
  EXPECT_DOUBLE_EQ(atr[3], 3.0);         // (3+1+5)/3
  EXPECT_DOUBLE_EQ(atr[4], 8.0 / 3.0);   // (3*2+2)/3
  EXPECT_DOUBLE_EQ(atr[5], 37.0 / 9.0);  // (8/3*2+7)/3
}

TEST(Indicators, RsiUsesWildersAverageGainAndLoss) {
  // Changes +1 +1 -1 +1 +1. Index 3: gain 2/3, loss 1/3, RS 2. Index 4: gain
  // 7/9, loss 2/9, RS 3.5. Index 5: gain 23/27, loss 4/27, RS 5.75.
  const std::vector<double> closes = {1, 2, 3, 2, 3, 4};
  const auto rsi = Rsi(closes, 3);
  EXPECT_TRUE(std::isnan(rsi[2]));
  EXPECT_NEAR(rsi[3], 100.0 - 100.0 / 3.0, 1e-9);
  EXPECT_NEAR(rsi[4], 100.0 - 100.0 / 4.5, 1e-9);
  EXPECT_NEAR(rsi[5], 100.0 - 100.0 / 6.75, 1e-9);
  EXPECT_DOUBLE_EQ(Rsi(std::vector<double>{1, 2, 3, 4}, 3)[3], 100) << "no losses";
  EXPECT_DOUBLE_EQ(Rsi(std::vector<double>{5, 5, 5, 5}, 3)[3], 50) << "flat";
}

TEST(Indicators, AdxFromHandComputedDirectionalMovement) {
  // period 2. +DM 2,0,2,0; -DM 0,2,0,0; TR 3,4,5,2. Wilder sums at 2: TR 7,
  // +DM 2, -DM 2 (DX 0); at 3: 8.5, 3, 1 (DX 50); at 4: 6.25, 1.5, 0.5 (DX 50).
  // ADX(3) = mean(0, 50) = 25; ADX(4) = (25 + 50) / 2.
  const std::vector<double> high = {10, 12, 11, 13, 12};
  const std::vector<double> low = {8, 9, 7, 8, 10};
  const std::vector<double> close = {9, 11, 8, 12, 11};
  const AdxSeries a = Adx(high, low, close, 2);
  EXPECT_NEAR(a.plus_di[2], 200.0 / 7.0, 1e-9);
  EXPECT_NEAR(a.minus_di[2], 200.0 / 7.0, 1e-9);
  EXPECT_NEAR(a.plus_di[3], 300.0 / 8.5, 1e-9);
  EXPECT_NEAR(a.minus_di[4], 8.0, 1e-9);
  EXPECT_TRUE(std::isnan(a.adx[2]));
  EXPECT_NEAR(a.adx[3], 25.0, 1e-9);
  EXPECT_NEAR(a.adx[4], 37.5, 1e-9);
}

TEST(Indicators, AdxOfAOneWayMarketIsOneHundred) {
  std::vector<double> high, low, close;
  for (int i = 0; i < 12; ++i) {
    high.push_back(i + 1);
    low.push_back(i);
    close.push_back(i + 0.5);  // TR 1.5, +DM 1 every bar
  }
  const AdxSeries a = Adx(high, low, close, 3);
  EXPECT_TRUE(std::isnan(a.adx[4]));
  EXPECT_NEAR(a.adx[5], 100, 1e-9);
  EXPECT_NEAR(a.adx[11], 100, 1e-9);
  EXPECT_NEAR(a.plus_di[11], 100.0 / 1.5, 1e-9);
  EXPECT_DOUBLE_EQ(a.minus_di[11], 0);
}

TEST(Indicators, ChopIsOneHundredForBarsThatOverlapAndZeroForBarsThatTile) {
  // Overlap: the same bar [0,1] closing at 0.5 each time: TR 1 each, sum 3,
  // range 1, CHOP = 100 log10(3) / log10(3).
  const std::vector<double> same_high(6, 1.0), same_low(6, 0.0), same_close(6, 0.5);
  const std::vector<double> overlap = Chop(same_high, same_low, same_close, 3);
  EXPECT_TRUE(std::isnan(overlap[2]));  // the first true range has no previous close
  EXPECT_NEAR(overlap[3], 100.0, 1e-9);
  EXPECT_NEAR(overlap[5], 100.0, 1e-9);
  // Tiling: [i, i+1] closing at the high: TR 1 each, sum 3 = the range 3.
  std::vector<double> high, low, close;
  for (int i = 0; i < 6; ++i) {
    high.push_back(i + 1);
    low.push_back(i);
    close.push_back(i + 1);
  }
  EXPECT_NEAR(Chop(high, low, close, 3)[5], 0.0, 1e-9);
  // Between: bars [0,2],[1,3],[0,2],[1,3] closing mid-bar: TRs 2,2,2 (the
  // previous close is inside each bar), range 3: 100 log10(2) / log10(3).
  const std::vector<double> h = {2, 3, 2, 3}, l = {0, 1, 0, 1}, c = {1, 2, 1, 2};
  EXPECT_NEAR(Chop(h, l, c, 3)[3], 100.0 * std::log10(2.0) / std::log10(3.0), 1e-9);
  // A flat market has no range: undefined, not a division by zero.
  const std::vector<double> flat(5, 7.0);
  EXPECT_TRUE(std::isnan(Chop(flat, flat, flat, 3)[4]));
}

// ---------------------------------------------------------------- regime

TEST(Regime, SeedThresholdsAreInclusiveAtEachBoundary) {
  const config::RegimeConfig cfg;  // ADX 25/20, CHOP 50/61.8
  EXPECT_EQ(ClassifyRegime(25.0, 50.0, cfg), Regime::kTrending);
  EXPECT_EQ(ClassifyRegime(24.99, 40.0, cfg), Regime::kTransitional);
  EXPECT_EQ(ClassifyRegime(30.0, 50.01, cfg), Regime::kTransitional);
  EXPECT_EQ(ClassifyRegime(20.0, 40.0, cfg), Regime::kChoppy);
  EXPECT_EQ(ClassifyRegime(20.01, 40.0, cfg), Regime::kTransitional);
  EXPECT_EQ(ClassifyRegime(30.0, 61.8, cfg), Regime::kChoppy);
  EXPECT_EQ(ClassifyRegime(30.0, 61.79, cfg), Regime::kTransitional);
}

TEST(Regime, ChoppyByChopEvenWhenAdxSaysTrending) {
  EXPECT_EQ(ClassifyRegime(45.0, 70.0, config::RegimeConfig{}), Regime::kChoppy);
}

TEST(Regime, WithoutChopTheRegimeReadsAdxAlone) {
  const config::RegimeConfig cfg;
  EXPECT_EQ(ClassifyRegime(25.0, std::nullopt, cfg), Regime::kTrending);
  EXPECT_EQ(ClassifyRegime(22.0, std::nullopt, cfg), Regime::kTransitional);
  EXPECT_EQ(ClassifyRegime(20.0, std::nullopt, cfg), Regime::kChoppy);
}

TEST(Regime, ConfiguredThresholdsMoveTheBoundaries) {
  config::RegimeConfig cfg;
  cfg.adx_trending_threshold = Fixed::FromInt(30);
  cfg.chop_ranging_threshold = Fixed::FromInt(55);
  EXPECT_EQ(ClassifyRegime(27.0, 40.0, cfg), Regime::kTransitional);
  EXPECT_EQ(ClassifyRegime(35.0, 56.0, cfg), Regime::kChoppy);
}

TEST(Regime, DisabledReadsEveryBarAsTrending) {
  config::RegimeConfig cfg;
  cfg.enabled = false;
  EXPECT_EQ(ClassifyRegime(5.0, 90.0, cfg), Regime::kTrending);
}

TEST(Regime, OnlyTransitionalEntriesAreSizedByTheMultiplier) {
  const config::RegimeConfig cfg;
  EXPECT_EQ(RegimeSizeMultiplier(Regime::kTransitional, cfg), *Fixed::Parse("0.5"));
  EXPECT_EQ(RegimeSizeMultiplier(Regime::kTrending, cfg), Fixed::FromInt(1));
}

// ---------------------------------------------------------------- resampling

Candle C(int64_t t, double o, double h, double l, double c, double v) {
  return Candle{t, o, h, l, c, v};
}

// The strategy reads its entry indicators through the one-pass kernel; it
// must give the very bits the series functions give, or decisions change.
TEST(Indicators, OnePassLastValuesEqualTheSeriesBitForBit) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> step(-40, 40), wick(0, 25), vol(0, 900);
  auto same = [](double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; };
  for (size_t n : {0, 1, 2, 9, 14, 15, 20, 21, 22, 63, 400, 1072}) {
    std::vector<Candle> candles;
    double price = 20000;
    for (size_t i = 0; i < n; ++i) {
      const double open = price;
      price += step(rng);
      candles.push_back(Candle{static_cast<int64_t>(i) * 900'000, open, std::max(open, price) + wick(rng),
                               std::min(open, price) - wick(rng), price, vol(rng)});
    }
    const std::vector<Candle>& v = candles;
    const Columns c = ToColumns(v);
    const LastValues last = ComputeLastValues(v, LastPeriods{8, 21, 14, 14, 20});
    if (n == 0) continue;
    const size_t j = n - 1;
    EXPECT_TRUE(same(last.ema_fast, Ema(c.close, 8)[j])) << n;
    EXPECT_TRUE(same(last.ema_slow, Ema(c.close, 21)[j])) << n;
    EXPECT_TRUE(same(last.ema_slow_prev, n >= 2 ? Ema(c.close, 21)[j - 1] : NAN)) << n;
    EXPECT_TRUE(same(last.atr, Atr(c.high, c.low, c.close, 14)[j])) << n;
    EXPECT_TRUE(same(last.rsi, Rsi(c.close, 14)[j])) << n;
    EXPECT_TRUE(same(last.volume_sma, Sma(c.volume, 20)[j])) << n;
  }
}

TEST(Resampler, FifteenMinutesFromFiveCloseOnQuarterHours) {
  const int64_t t0 = k2023_01_02Ms + 5 * k5mMs;  // 00:25, inside the 00:15 bucket
  const std::vector<Candle> base = {
      C(t0, 1, 2, 1, 2, 1),                  // 00:25 ends the 00:15 bucket: cut, dropped
      C(t0 + 1 * k5mMs, 10, 12, 9, 11, 1),   // 00:30
      C(t0 + 2 * k5mMs, 11, 15, 10, 14, 2),  // 00:35
      C(t0 + 3 * k5mMs, 14, 14, 7, 8, 3),    // 00:40 closes 00:30-00:45
      C(t0 + 4 * k5mMs, 8, 9, 8, 9, 4),      // 00:45, the 00:45 bucket is still open
  };
  Resampler r(k5mMs, k15mMs);
  EXPECT_FALSE(r.Add(base[0])) << "the feed began mid-bucket";
  EXPECT_FALSE(r.Add(base[1]));
  EXPECT_FALSE(r.Add(base[2]));
  const auto bar = r.Add(base[3]);
  ASSERT_TRUE(bar);
  EXPECT_EQ(*bar, C(k2023_01_02Ms + 2 * k15mMs, 10, 15, 7, 8, 6));
  EXPECT_FALSE(r.Add(base[4]));
  EXPECT_EQ(Resample(base, k5mMs, k15mMs), std::vector<Candle>{*bar});
}

TEST(Resampler, ABucketMissingItsClosingBarIsDropped) {
  const std::vector<Candle> base = {
      C(k2023_01_02Ms, 1, 1, 1, 1, 1), C(k2023_01_02Ms + k5mMs, 1, 1, 1, 1, 1),
      // 00:10 missing
      C(k2023_01_02Ms + 3 * k5mMs, 2, 2, 2, 2, 1), C(k2023_01_02Ms + 4 * k5mMs, 2, 2, 2, 2, 1),
      C(k2023_01_02Ms + 5 * k5mMs, 2, 3, 2, 3, 1)};
  const auto bars = Resample(base, k5mMs, k15mMs);
  ASSERT_EQ(bars.size(), 1u);
  EXPECT_EQ(bars[0].open_time_ms, k2023_01_02Ms + k15mMs);
  EXPECT_EQ(bars[0].close, 3);
}

TEST(Resampler, FourHourBarsOfTheBundledDataAlignOnUtcBoundaries) {
  std::vector<Candle> base;
  for (const Bar& b : BundledBars()) {
    base.push_back(C(b.open_time_ms, b.open.ToDouble(), b.high.ToDouble(), b.low.ToDouble(),
                     b.close.ToDouble(), b.volume.ToDouble()));
  }
  // The data starts at 16:45 UTC, so the 16:00 bucket is cut and dropped.
  ASSERT_EQ(base.front().open_time_ms, k2023_01_02Ms + 16 * 3'600'000 + 45 * 60'000);
  const auto bars = Resample(base, k5mMs, k4hMs);
  ASSERT_GT(bars.size(), 200u);
  EXPECT_EQ(bars.front().open_time_ms, k2023_01_02Ms + 20 * 3'600'000);
  for (size_t i = 0; i < bars.size(); ++i) {
    EXPECT_EQ(bars[i].open_time_ms % k4hMs, 0);
    if (i > 0) {
      EXPECT_EQ(bars[i].open_time_ms - bars[i - 1].open_time_ms, k4hMs);
    }
  }
  // The first bar is base bars [39, 87): 20:00 .. 23:55.
  ASSERT_EQ(base[39].open_time_ms, bars.front().open_time_ms);
  Candle want = base[39];
  for (size_t i = 40; i < 87; ++i) {
    want.high = std::max(want.high, base[i].high);
    want.low = std::min(want.low, base[i].low);
    want.close = base[i].close;
    want.volume += base[i].volume;
  }
  EXPECT_EQ(base[86].open_time_ms + k5mMs, k2023_01_02Ms + kDayMs);
  EXPECT_EQ(bars.front().open, want.open);
  EXPECT_EQ(bars.front().high, want.high);
  EXPECT_EQ(bars.front().low, want.low);
  EXPECT_EQ(bars.front().close, want.close);
  EXPECT_DOUBLE_EQ(bars.front().volume, want.volume);
}

// ---------------------------------------------------------------- strategy

TEST(TrendFollowing, WindowIsSixtySevenFourHourBarsOfFiveMinuteBars) {
  auto s = Make();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->name(), "trend_following_v1");
  // max(3*21, 3*8, 4*14) + 3 = 66 closed 4h bars, +1 for a window starting
  // mid-bucket, at 48 base bars each.
  EXPECT_EQ(s->WarmupBars(), 67u * 48u);
}

TEST(TrendFollowing, SilentUntilWarmAndExceptOnEntryTimeframeCloses) {
  auto s = Make();
  ASSERT_TRUE(s);
  const State flat;
  size_t spoke = 0;
  const auto& bars = BundledBars();
  for (size_t i = 0; i < bars.size(); ++i) {
    s->OnBar(bars[i]);
    const Decision d = s->Decide(flat, CloseNs(bars[i]));
    const bool warm = i + 1 >= s->WarmupBars();
    const bool closes_15m = (bars[i].open_time_ms + k5mMs) % k15mMs == 0;
    if (!warm || !closes_15m) {
      ASSERT_TRUE(Silent(d)) << "bar " << i << ": " << Describe(d);
    } else if (!Silent(d)) {
      ++spoke;
    }
  }
  EXPECT_GT(spoke, 100u);
}

// Decisions for bars [from, end) of `bars`, after feeding bars [fed_from, from).
std::vector<Decision> DecideFrom(const std::vector<Bar>& bars, size_t fed_from, size_t from,
                                 const State& state) {
  auto s = Make();
  for (size_t i = fed_from; i < from; ++i) s->OnBar(bars[i]);
  std::vector<Decision> out;
  for (size_t i = from; i < bars.size(); ++i) {
    s->OnBar(bars[i]);
    out.push_back(s->Decide(state, CloseNs(bars[i])));
  }
  return out;
}

// With the bars known ahead (backtests) the entry indicators are computed on
// another thread; every decision must be the one computed in line, flat or
// in a position, and whether the helper is ahead or behind.
TEST(TrendFollowing, PrefetchedDecisionsAreTheSameDecisions) {
  const auto& bars = BundledBars();
  const std::vector<State> states = {State{},
                                     WithPosition(Side::kBuy, bars[0].close, CloseNs(bars[0]))};
  for (const State& state : states) {
    const std::vector<Decision> plain = DecideFrom(bars, 0, 0, state);
    for (size_t start : {size_t{0}, size_t{4000}}) {
      auto s = Make();
      for (size_t i = 0; i < start; ++i) s->OnBar(bars[i]);
      s->Prefetch(std::span<const Bar>(bars).subspan(start));
      size_t ideas = 0;
      for (size_t i = start; i < bars.size(); ++i) {
        s->OnBar(bars[i]);
        const Decision d = s->Decide(state, CloseNs(bars[i]));
        ASSERT_TRUE(SameDecision(d, plain[i])) << "bar " << i << ":\n  prefetched: " << Describe(d)
                                               << "\n  in line:    " << Describe(plain[i]);
        ideas += d.entry.has_value() + d.exit.has_value();
      }
      EXPECT_GT(ideas, 0u);
    }
  }
}

TEST(TrendFollowing, DecisionsDependOnlyOnTheLastWarmupBars) {
  const auto& bars = BundledBars();
  const size_t warmup = Make()->WarmupBars();
  // Flat (entries) and long since the start (exits).
  const std::vector<State> states = {State{},
                                     WithPosition(Side::kBuy, bars[0].close, CloseNs(bars[0]))};
  for (const State& state : states) {
    const std::vector<Decision> full = DecideFrom(bars, 0, 0, state);
    size_t entries = 0, exits = 0;
    for (size_t k : {warmup, warmup + 1, size_t{5000}, size_t{8191}}) {
      const std::vector<Decision> resumed = DecideFrom(bars, k - warmup, k, state);
      ASSERT_EQ(resumed.size(), bars.size() - k);
      for (size_t i = k; i < bars.size(); ++i) {
        const Decision& a = full[i];
        const Decision& b = resumed[i - k];
        ASSERT_TRUE(SameDecision(a, b))
            << "resumed at " << k << ", bar " << i << ":\n  full:    " << Describe(a)
            << "\n  resumed: " << Describe(b);
        entries += a.entry.has_value();
        exits += a.exit.has_value();
      }
    }
    EXPECT_GT(entries + exits, 0u) << "the comparison saw no ideas at all";
  }
}

// A steady 5m climb of 5 per bar from 20000 (4h ADX 100), with volume
// tripled on the last 15m bar so the last close is a confirmed breakout.
std::vector<Bar> Uptrend(size_t n) {
  std::vector<Bar> bars = SyntheticBars(n, [](size_t i) { return 20000.0 + 5.0 * i; });
  for (size_t i = n - 3; i < n; ++i) bars[i].volume = Fixed::FromInt(300);
  return bars;
}

TEST(TrendFollowing, UptrendBreakoutProposesALongWithStopBelowAndTargetAbove) {
  auto s = Make();
  const std::vector<Bar> bars = Uptrend(s->WarmupBars() + 300);
  for (const Bar& b : bars) s->OnBar(b);
  const Decision d = s->Decide(State{}, CloseNs(bars.back()));
  ASSERT_TRUE(d.entry) << Describe(d);
  EXPECT_FALSE(d.exit);
  const EntryIdea& e = *d.entry;
  EXPECT_TRUE(e.propose) << e.signal.reason;
  EXPECT_EQ(e.signal.direction, Side::kBuy);
  EXPECT_EQ(e.signal.strategy, "trend_following_v1");
  EXPECT_EQ(e.signal.symbol, Symbol{kSymbol});
  EXPECT_EQ(e.reference_price, bars.back().close);
  // Each 15m bar spans 15 + 2 wicks of 2: ATR 19; it closes 13 past the high before.
  EXPECT_NEAR(e.atr.ToDouble(), 19.0, 1e-6);
  EXPECT_EQ(e.stop_price, e.reference_price - Fixed::FromInt(38));
  EXPECT_EQ(e.take_profit_price, e.reference_price + Fixed::FromInt(38));  // 2 ATR, the seed's tp_atr
  EXPECT_NEAR(*InputValue(e.signal, "extension_atr"), 13.0 / 19.0, 1e-6);
  EXPECT_NEAR(*InputValue(e.signal, "adx"), 100, 1e-6);
  EXPECT_GE(*InputValue(e.signal, "volume_ratio"), 1.5);
  EXPECT_GE(e.signal.score, *Fixed::Parse("0.55"));
  EXPECT_LE(e.signal.score, Fixed::FromInt(1));
  EXPECT_NE(e.signal.reason.find("breakout above 20-bar high"), std::string::npos)
      << e.signal.reason;
}

TEST(TrendFollowing, DowntrendBreakoutProposesAShortWithStopAbove) {
  auto s = Make();
  std::vector<Bar> bars =
      SyntheticBars(s->WarmupBars() + 300, [](size_t i) { return 40000.0 - 5.0 * i; });
  for (size_t i = bars.size() - 3; i < bars.size(); ++i) bars[i].volume = Fixed::FromInt(300);
  for (const Bar& b : bars) s->OnBar(b);
  const Decision d = s->Decide(State{}, CloseNs(bars.back()));
  ASSERT_TRUE(d.entry) << Describe(d);
  EXPECT_TRUE(d.entry->propose) << d.entry->signal.reason;
  EXPECT_EQ(d.entry->signal.direction, Side::kSell);
  EXPECT_GT(d.entry->stop_price, d.entry->reference_price);
  EXPECT_LT(d.entry->take_profit_price, d.entry->reference_price);
}

TEST(TrendFollowing, WithoutVolumeTheBreakoutIsReportedButNotProposed) {
  auto s = Make();
  const std::vector<Bar> bars =
      SyntheticBars(s->WarmupBars() + 300, [](size_t i) { return 20000.0 + 5.0 * i; });
  for (const Bar& b : bars) s->OnBar(b);
  const Decision d = s->Decide(State{}, CloseNs(bars.back()));
  ASSERT_TRUE(d.entry);
  EXPECT_FALSE(d.entry->propose);
  EXPECT_NE(d.entry->signal.reason.find("volume 1.00x < 1.50x"), std::string::npos)
      << d.entry->signal.reason;
}

TEST(TrendFollowing, NewsBlockZeroesTheNewsFactor) {
  auto s = Make();
  const std::vector<Bar> bars = Uptrend(s->WarmupBars() + 300);
  for (const Bar& b : bars) s->OnBar(b);
  const int64_t now = CloseNs(bars.back());
  State blocked;
  blocked.news_blocks[Symbol{kSymbol}] = now + 1;
  const Decision open = s->Decide(State{}, now);
  const Decision news = s->Decide(blocked, now);
  ASSERT_TRUE(open.entry && news.entry);
  EXPECT_EQ(*InputValue(open.entry->signal, "factor_news"), 1);
  EXPECT_EQ(*InputValue(news.entry->signal, "factor_news"), 0);
  EXPECT_LT(news.entry->signal.score, open.entry->signal.score);
}

TEST(TrendFollowing, NoEntryIdeaWhileAPositionIsOpenAndExitWhenTheTrendFlips) {
  auto s = Make();
  const size_t up = s->WarmupBars() + 300, down = 3 * 288;  // then three days down
  const std::vector<Bar> bars = SyntheticBars(up + down, [up](size_t i) {
    return i < up ? 20000.0 + 5.0 * i : 20000.0 + 5.0 * up - 5.0 * (i - up);
  });
  const State state = WithPosition(Side::kBuy, bars[up - 1].close, CloseNs(bars[up - 1]));
  std::optional<size_t> exit_at;
  for (size_t i = 0; i < bars.size() && !exit_at; ++i) {
    s->OnBar(bars[i]);
    const Decision d = s->Decide(state, CloseNs(bars[i]));
    ASSERT_FALSE(d.entry) << "bar " << i << ": " << Describe(d);
    if (d.exit) {
      EXPECT_EQ(d.exit->reason, CloseReason::kTrendInvalidation) << d.exit->detail;
      EXPECT_NE(d.exit->detail.find("4h downtrend"), std::string::npos) << d.exit->detail;
      exit_at = i;
    }
  }
  ASSERT_TRUE(exit_at) << "no exit in three days of decline";
  EXPECT_GE(*exit_at, up) << "exited while the trend was still up";
  std::cout << "trend flip exit after " << (*exit_at - up) * 5 / 60.0 << " hours of decline\n";

  // A short in the same uptrend is invalidated at once.
  auto s2 = Make();
  for (size_t i = 0; i < up; ++i) s2->OnBar(bars[i]);
  const Decision d =
      s2->Decide(WithPosition(Side::kSell, bars[up - 1].close, 0), CloseNs(bars[up - 1]));
  ASSERT_TRUE(d.exit) << Describe(d);
  EXPECT_EQ(d.exit->reason, CloseReason::kTrendInvalidation);
}

TEST(TrendFollowing, TimeStopClosesAPositionHeldTooLongWithoutProgress) {
  auto s = Make();
  const std::vector<Bar> bars = Uptrend(s->WarmupBars() + 300);
  for (const Bar& b : bars) s->OnBar(b);
  const int64_t now = CloseNs(bars.back());
  const Fixed close = bars.back().close;
  const int64_t day_ns = kDayMs * kNsPerMs;
  // Long in an uptrend: no invalidation; only the clock and the gain matter.
  const Decision stale = s->Decide(WithPosition(Side::kBuy, close, now - 8 * day_ns), now);
  ASSERT_TRUE(stale.exit) << Describe(stale);
  EXPECT_EQ(stale.exit->reason, CloseReason::kTimeStop);
  EXPECT_FALSE(stale.entry);
  EXPECT_TRUE(Silent(s->Decide(WithPosition(Side::kBuy, close, now - 6 * day_ns), now)))
      << "held under 7 days";
  // ATR 19: 0.5 ATR is 9.5; a 10 gain is enough, a 9 gain is not.
  EXPECT_TRUE(Silent(
      s->Decide(WithPosition(Side::kBuy, close - Fixed::FromInt(10), now - 8 * day_ns), now)));
  EXPECT_TRUE(
      s->Decide(WithPosition(Side::kBuy, close - Fixed::FromInt(9), now - 8 * day_ns), now).exit);
}

// A market with no range over the CHOP period (halted, or a dead testnet
// symbol) has no CHOP; the strategy still reads the trend for the position
// it holds (exits, trailing) and calls it choppy for entries.
TEST(TrendFollowing, BarsWithoutRangeReadAsChoppyAndStillDecideForTheOpenPosition) {
  auto s = Make();
  std::vector<Bar> bars = SyntheticBars(s->WarmupBars(), [](size_t i) { return 20000.0 + 5.0 * i; });
  const size_t flat_bars = 15 * 48;  // 15 four-hour bars of 5m bars with no range at all
  const Fixed last = bars.back().close;
  for (size_t i = 0; i < flat_bars; ++i) {
    Bar b = bars.back();
    b.open_time_ms += k5mMs;
    b.open = b.high = b.low = b.close = last;
    bars.push_back(b);
  }
  for (const Bar& b : bars) s->OnBar(b);
  const int64_t now = CloseNs(bars.back());
  const Decision held = s->Decide(WithPosition(Side::kBuy, last, now - kDayMs * kNsPerMs), now);
  EXPECT_EQ(held.close, last) << Describe(held) << ": the strategy went silent for the open position";
}

TEST(TrendFollowing, UnknownNameOrBadTimeframeNamesTheKey) {
  config::StrategyConfig cfg;
  cfg.name = "mean_reversion_v9";
  auto s = MakeStrategy(cfg, config::RegimeConfig{}, kSymbol, "5m");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.status().message().find("strategy.name:"), 0u) << s.status();

  cfg = {};
  cfg.entry_timeframe = "7m";
  s = MakeStrategy(cfg, config::RegimeConfig{}, kSymbol, "5m");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.status().message().find("strategy.entry_timeframe:"), 0u) << s.status();

  cfg = {};
  cfg.trend_timeframe = "4 hours";
  s = MakeStrategy(cfg, config::RegimeConfig{}, kSymbol, "5m");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message().find("strategy.trend_timeframe:"), 0u) << s.status();

  cfg = {};
  s = MakeStrategy(cfg, config::RegimeConfig{}, kSymbol, "1h");  // 15m is not a multiple of 1h
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message().find("strategy.entry_timeframe:"), 0u) << s.status();

  cfg = {};
  cfg.indicators.ema_slow = 0;
  s = MakeStrategy(cfg, config::RegimeConfig{}, kSymbol, "5m");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message().find("strategy.indicators.ema_slow:"), 0u) << s.status();
  EXPECT_EQ(s.status().message().find('\n'), std::string::npos) << "one line";
}

// What a strategy says over the whole bundled data when always flat.
struct Tally {
  size_t ideas = 0, proposals = 0, longs = 0, shorts = 0, transitional = 0, decides = 0;
  double decide_ms = 0;
  std::vector<std::string> examples;
};

Tally TallyBundled(const config::StrategyConfig& cfg) {
  auto s = Make(cfg);
  const State flat;
  Tally t;
  std::chrono::nanoseconds spent{0};
  for (const Bar& b : BundledBars()) {
    s->OnBar(b);
    const auto start = std::chrono::steady_clock::now();
    const Decision d = s->Decide(flat, CloseNs(b));
    spent += std::chrono::steady_clock::now() - start;
    ++t.decides;
    if (!d.entry) continue;
    ++t.ideas;
    if (!d.entry->propose) continue;
    ++t.proposals;
    (d.entry->signal.direction == Side::kBuy ? t.longs : t.shorts)++;
    t.transitional += *InputValue(d.entry->signal, "adx") < 25;
    if (t.examples.size() < 3) t.examples.push_back(d.entry->signal.reason);
  }
  t.decide_ms = std::chrono::duration<double, std::milli>(spent).count();
  std::cout << "bundled data, entry.style " << cfg.entry.style << ", always flat: " << t.ideas
            << " entry ideas, " << t.proposals << " proposals (" << t.longs << " long, " << t.shorts
            << " short; " << t.transitional << " with ADX in the transitional 20-25 band)\n"
            << "strategy time " << t.decide_ms << " ms over " << t.decides << " Decide calls ("
            << 1000.0 * t.decide_ms / t.decides << " us each, "
            << 1000.0 * t.decide_ms / (t.decides / 3.0) << " us per 15m close)\n";
  for (const auto& r : t.examples) std::cout << "  e.g. " << r << "\n";
  return t;
}

TEST(TrendFollowing, DefaultConfigProposesOnTheBundledDataWhenAlwaysFlat) {
  const Tally t = TallyBundled(config::StrategyConfig{});
  RecordProperty("proposals", static_cast<int>(t.proposals));
  EXPECT_GE(t.proposals, 5u);
}

TEST(TrendFollowing, PullbackStyleProposesOnTheBundledDataWhenAlwaysFlat) {
  config::StrategyConfig cfg;
  cfg.entry.style = "pullback";
  const Tally t = TallyBundled(cfg);
  RecordProperty("proposals", static_cast<int>(t.proposals));
  EXPECT_GE(t.proposals, 1u);
}

// The seed's regime (CHOP besides ADX) on recorded bars: entries the ADX-only
// regime of older ledgers would take are refused as choppy when the bars
// overlap, and transitional ones carry the size multiplier.
TEST(TrendFollowing, ChopBlocksEntriesOnTheBundledDataThatAdxAloneWouldTake) {
  // As a journaled config from before the regime keys reads.
  config::StrategyConfig adx_only_cfg;
  adx_only_cfg.indicators.chop_period = 0;
  config::RegimeConfig full_size;
  full_size.transitional_size_multiplier = Fixed::FromInt(1);
  auto seed = Make();
  auto adx_only = Make(adx_only_cfg, full_size);
  const State flat;
  size_t blocked_by_chop = 0, transitional = 0, trending = 0;
  for (const Bar& b : BundledBars()) {
    seed->OnBar(b);
    adx_only->OnBar(b);
    const Decision d = seed->Decide(flat, CloseNs(b));
    const Decision old = adx_only->Decide(flat, CloseNs(b));
    ASSERT_EQ(d.entry.has_value(), old.entry.has_value());
    if (!d.entry) continue;
    EXPECT_FALSE(InputValue(old.entry->signal, "chop")) << "ADX-only signals record no CHOP";
    EXPECT_FALSE(InputValue(old.entry->signal, "size_multiplier"));
    const double chop = *InputValue(d.entry->signal, "chop");
    const double multiplier = *InputValue(d.entry->signal, "size_multiplier");
    if (old.entry->propose && !d.entry->propose) {
      EXPECT_GE(chop, 61.8) << d.entry->signal.reason;
      EXPECT_NE(d.entry->signal.reason.find("choppy, no entries"), std::string::npos) << d.entry->signal.reason;
      ++blocked_by_chop;
    }
    if (!d.entry->propose) continue;
    EXPECT_LT(chop, 61.8);
    EXPECT_EQ(d.entry->size_multiplier.ToDouble(), multiplier);
    if (d.entry->signal.reason.find(" transitional") != std::string::npos) {
      EXPECT_EQ(multiplier, 0.5) << d.entry->signal.reason;
      ++transitional;
    } else {
      EXPECT_EQ(multiplier, 1.0) << d.entry->signal.reason;
      EXPECT_LE(chop, 50.0) << d.entry->signal.reason;
      ++trending;
    }
  }
  std::cout << "bundled data, always flat: " << blocked_by_chop << " entries refused as choppy by CHOP, "
            << transitional << " transitional (half size), " << trending << " trending proposals\n";
  EXPECT_GE(blocked_by_chop, 1u);
  EXPECT_GE(transitional + trending, 1u);
}

}  // namespace
}  // namespace apollo::strategy
