// trend_following_v1: the seed bot's trend-following strategy (SEED_FACTS
// section 3) on trend and entry timeframes resampled from the base bars.
//
// Trend (trend timeframe, closed bars only): up when ema_fast > ema_slow,
// close > ema_slow and ema_fast above its value 3 bars earlier; down is the
// mirror. Regime (regime.h): ADX and CHOP on the same bars, with the
// thresholds of `regime.*`; choppy blocks entries, transitional halves the
// trend factor of the score and sizes the entry by transitional_size_multiplier.
// Entry (entry timeframe, flat in the symbol): a breakout of the prior
// `breakout_lookback` bars' high/low at most max_breakout_extension_atr ATR
// past it with volume confirmation, or a pullback that touched ema_slow on
// the previous bar and closes back beyond ema_fast with RSI on the trend's
// side of 40/60. Exits: the trend turned against the position, or the time
// stop.
//
// Window. The strategy keeps the last WarmupBars() base bars and recomputes
// everything from them on each entry-timeframe close: the bars are resampled
// and every indicator is seeded at the window's start. Nothing else is
// carried from bar to bar, so a restarted strategy fed the same window decides
// exactly as one that saw the whole history. The window holds enough closed
// trend bars for the slowest indicator to mostly forget its seed: 3 periods
// of the slow EMA (the seed's weight is then (1 - 2/(n+1))^(2n) < 2%) or 4
// periods of ADX (defined after 2; 2 more shrink its first average's weight
// to ((n-1)/n)^(2n) < 14%), plus the 3 bars of the slope test, plus one bar
// for a window that starts mid-bucket. (Determinism does not depend on this
// size, only how close the values come to ones computed over all history.)
// Defaults (5m base, 4h trend, ema_slow 21, adx 14): 67 trend bars = 3216
// base bars, 11.2 days.
#include <algorithm>
#include <thread>
#include <mutex>
#include <memory>
#include <condition_variable>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <deque>
#include <tuple>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/domain/status_macros.h"
#include "engine/strategy/indicators.h"
#include "engine/strategy/regime.h"
#include "engine/strategy/strategy.h"

namespace apollo::strategy {
namespace {

constexpr char kTrendFollowingV1[] = "trend_following_v1";
constexpr int kSlopeBars = 3;          // ema_fast "rising" = above its value 3 bars back
constexpr double kTransitionalTrendFactor = 0.5;
// Volatility sweet spot, as ATR % of price scaled to one day (sqrt of time):
// below it stops sit inside the noise of a dead market, above it whipsaws
// dominate. BTC is typically 2-4% a day.
constexpr double kVolBandLowPct = 1.0;
constexpr double kVolBandHighPct = 8.0;
constexpr int64_t kMsPerDay = 86'400'000;
constexpr int64_t kNsPerMs = 1'000'000;
constexpr int64_t kNsPerDay = kMsPerDay * kNsPerMs;

enum class Trend { kNone, kUp, kDown };

// printf's "%.*f" and "%.8g", exactly (std::to_chars with a precision is
// specified as printf's conversion), without printf's locale and parsing.
std::string ToChars(double v, std::chars_format format, int precision) {
  char buf[64];
  const std::to_chars_result r = std::to_chars(buf, buf + sizeof buf, v, format, precision);
  return std::string(buf, r.ec == std::errc() ? r.ptr : buf);
}
std::string Num(double v, int decimals) { return ToChars(v, std::chars_format::fixed, decimals); }
std::string Price(double v) { return ToChars(v, std::chars_format::general, 8); }

double Clamp01(double v) { return std::clamp(v, 0.0, 1.0); }

bool AllFinite(std::initializer_list<double> values) {
  return std::all_of(values.begin(), values.end(), [](double v) { return std::isfinite(v); });
}

Candle ToCandle(const Bar& b) {
  return Candle{b.open_time_ms,   b.open.ToDouble(),  b.high.ToDouble(),
                b.low.ToDouble(), b.close.ToDouble(), b.volume.ToDouble()};
}

// The indicators on the last closed trend bar.
struct TrendReading {
  Trend trend = Trend::kNone;
  Regime regime = Regime::kChoppy;
  double close = 0, ema_fast = 0, ema_slow = 0, ema_fast_before = 0;
  double adx = 0, plus_di = 0, minus_di = 0;
  std::optional<double> chop;  // none with strategy.indicators.chop_period 0
};

// The indicators on the entry bar that just closed (and the one before it).
struct EntryReading {
  double close = 0, volume = 0, ema_fast = 0, ema_slow = 0, atr = 0, rsi = 0, volume_sma = 0;
  double prev_high = 0, prev_low = 0, prev_ema_slow = 0;
  double range_high = 0, range_low = 0;  // of the `breakout_lookback` bars before this one
};

// Whether the entry condition holds, why, and the numbers it used.
struct Setup {
  bool holds = false;
  double extension_atr = 0;  // distance past the level, in entry ATRs
  std::string reason;
  std::vector<NamedValue> inputs;
};

NamedValue Input(std::string name, double value) {
  return NamedValue{std::move(name), Fixed::FromDouble(value)};
}

struct Timeframes {
  int64_t base_ms, trend_ms, entry_ms;
};

class TrendFollowing final : public Strategy {
 public:
  TrendFollowing(const config::StrategyConfig& cfg, const config::RegimeConfig& regime,
                 std::string symbol, Timeframes tf)
      : cfg_(cfg), regime_(regime), symbol_(std::move(symbol)), tf_(tf), name_(cfg.name),
        trend_resampler_(tf.base_ms, tf.trend_ms), entry_resampler_(tf.base_ms, tf.entry_ms) {
    warmup_bars_ = std::max(BaseBarsFor(TrendBarsNeeded(), tf_.trend_ms),
                            BaseBarsFor(EntryBarsNeeded(), tf_.entry_ms));
  }

  ~TrendFollowing() override { StopPrefetch(); }

  const std::string& name() const override { return name_; }
  std::string version() const override { return "1"; }
  size_t WarmupBars() const override { return warmup_bars_; }

  // A bar not later than the last one is ignored, so feeding the same bar
  // twice (a restart's overlap) is harmless.
  void OnBar(const Bar& bar) override {
    if (!window_.empty() && bar.open_time_ms <= window_.back().open_time_ms) return;
    window_.push_back(ToCandle(bar));  // converted once, not on every Decide
    last_close_ = bar.close;
    while (window_.size() > warmup_bars_) window_.pop_front();
    // The higher bars are built as the base bars come, and only those whose
    // bucket starts inside the window are kept: exactly what resampling the
    // window would give (its first, cut bucket is dropped there too).
    if (auto b = trend_resampler_.Add(window_.back())) trend_bars_.PushBack(*b);
    if (auto b = entry_resampler_.Add(window_.back())) entry_bars_.PushBack(*b);
    trend_bars_.DropBefore(window_.front().open_time_ms);
    entry_bars_.DropBefore(window_.front().open_time_ms);
  }

  Decision Decide(const State& state, int64_t now_ns) const override;
  void Prefetch(std::span<const Bar> upcoming) override;

 private:
  // The entry indicators of one window, computed ahead by the prefetch
  // thread, and which window that was.
  struct Ahead {
    int64_t last_open_ms = 0;   // the base bar the window ends on
    uint64_t first_index = 0;   // entry_bars_.first_index() then
    size_t size = 0;            // entry_bars_.size() then
    LastValues values;
  };
  struct PrefetchQueue {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<Ahead> ready;
    bool stop = false;
    std::atomic<int64_t> consumed_ms{INT64_MIN};  // the main thread's last decided bar
    std::thread thread;
  };
  static constexpr size_t kAheadMax = 1024;

  // The shadow that runs ahead: the bar state only, no prefetch of its own.
  TrendFollowing(const TrendFollowing& other, bool /*shadow*/)
      : cfg_(other.cfg_), regime_(other.regime_), symbol_(other.symbol_), tf_(other.tf_), name_(other.name_),
        warmup_bars_(other.warmup_bars_), window_(other.window_), last_close_(other.last_close_),
        trend_resampler_(other.trend_resampler_), entry_resampler_(other.entry_resampler_),
        trend_bars_(other.trend_bars_), entry_bars_(other.entry_bars_) {}
  void RunAhead(std::span<const Bar> upcoming, PrefetchQueue* q);
  void StopPrefetch();
  LastPeriods Periods() const {
    const auto& in = cfg_.indicators;
    return LastPeriods{in.ema_fast, in.ema_slow, in.atr_period, in.rsi_period, in.volume_sma_period};
  }
  // The entry indicators of the current window: from the prefetch thread
  // when it got there first, else computed here (the same function).
  LastValues EntryValues() const;
  // Closed trend bars needed; see the file comment.
  size_t TrendBarsNeeded() const {
    const auto& in = cfg_.indicators;
    return static_cast<size_t>(
        std::max({3 * in.ema_slow, 3 * in.ema_fast, 4 * in.adx_period, in.chop_period + 1}) +
        kSlopeBars);
  }
  // Closed entry bars needed: EMAs, ATR and RSI past their seeds, the
  // breakout range plus the previous and current bar, the volume average.
  size_t EntryBarsNeeded() const {
    const auto& in = cfg_.indicators;
    return static_cast<size_t>(
        std::max({3 * in.ema_slow, 3 * in.ema_fast, 3 * in.atr_period + 1, 3 * in.rsi_period + 1,
                  in.volume_sma_period, cfg_.entry.breakout_lookback + 2}));
  }
  // Base bars that always contain `bars` closed bars of bar_ms, whatever
  // bucket the window starts in.
  size_t BaseBarsFor(size_t bars, int64_t bar_ms) const {
    return (bars + 1) * static_cast<size_t>(bar_ms / tf_.base_ms);
  }

  bool ReadEntry(EntryReading* entry) const;
  bool ReadTrend(TrendReading* trend) const;
  bool ComputeTrend(std::span<const Candle> trend_bars, TrendReading* trend) const;
  EntryIdea Entry(const State& state, int64_t now_ns, const TrendReading& t,
                  const EntryReading& e) const;
  Setup Breakout(bool is_long, const EntryReading& e) const;
  Setup Pullback(bool is_long, const EntryReading& e) const;
  std::optional<ExitIdea> Exit(const Position& pos, int64_t now_ns, const TrendReading& t,
                               const EntryReading& e) const;
  std::string TrendWords(const TrendReading& t) const;

  const config::StrategyConfig cfg_;
  const config::RegimeConfig regime_;
  const std::string symbol_;
  const Timeframes tf_;
  const std::string name_;
  size_t warmup_bars_ = 0;
  std::deque<Candle> window_;  // the last warmup_bars_ base bars
  Fixed last_close_;           // the last bar's close, exact
  Resampler trend_resampler_, entry_resampler_;
  CandleWindow trend_bars_, entry_bars_;  // closed higher bars inside the window
  // The last trend reading and the trend bars it was computed on (count,
  // first and last open time): a pure cache of ComputeTrend.
  using TrendKey = std::tuple<size_t, int64_t, int64_t>;
  struct CachedTrend {
    bool ok = false;
    TrendReading reading;
  };
  mutable std::optional<std::pair<TrendKey, CachedTrend>> trend_cache_;
  std::unique_ptr<PrefetchQueue> prefetch_;
};

void TrendFollowing::Prefetch(std::span<const Bar> upcoming) {
  StopPrefetch();
  if (upcoming.empty()) return;
  prefetch_ = std::make_unique<PrefetchQueue>();
  auto shadow = std::shared_ptr<TrendFollowing>(new TrendFollowing(*this, true));
  PrefetchQueue* q = prefetch_.get();
  q->thread = std::thread([shadow, upcoming, q] { shadow->RunAhead(upcoming, q); });
}

void TrendFollowing::StopPrefetch() {
  if (!prefetch_) return;
  {
    std::lock_guard<std::mutex> l(prefetch_->mu);
    prefetch_->stop = true;
  }
  prefetch_->cv.notify_all();
  prefetch_->thread.join();
  prefetch_.reset();
}

// Feeds the shadow the upcoming bars and computes the entry indicators at
// each entry close the main thread has not reached yet (those it passed
// are skipped: it computed them itself).
void TrendFollowing::RunAhead(std::span<const Bar> upcoming, PrefetchQueue* q) {
  for (const Bar& bar : upcoming) {
    OnBar(bar);
    if (window_.size() < warmup_bars_ || !ClosesBar(window_.back().open_time_ms, tf_.base_ms, tf_.entry_ms)) continue;
    if (bar.open_time_ms <= q->consumed_ms.load(std::memory_order_relaxed)) continue;
    // Without a trend the main thread reads the entry bar only while a
    // position is open (rare): it then computes it itself.
    TrendReading trend;
    if (!ReadTrend(&trend) || trend.trend == Trend::kNone) continue;
    const std::span<const Candle> eb = entry_bars_.span();
    Ahead ahead{bar.open_time_ms, entry_bars_.first_index(), eb.size(), ComputeLastValues(eb, Periods())};
    std::unique_lock<std::mutex> l(q->mu);
    q->cv.wait(l, [q] { return q->ready.size() < kAheadMax || q->stop; });
    if (q->stop) return;
    q->ready.push_back(ahead);
  }
}

LastValues TrendFollowing::EntryValues() const {
  const std::span<const Candle> eb = entry_bars_.span();
  const int64_t now_ms = window_.back().open_time_ms;
  if (prefetch_) {
    PrefetchQueue& q = *prefetch_;
    q.consumed_ms.store(now_ms, std::memory_order_relaxed);
    std::lock_guard<std::mutex> l(q.mu);
    while (!q.ready.empty() && q.ready.front().last_open_ms < now_ms) q.ready.pop_front();
    if (!q.ready.empty() && q.ready.front().last_open_ms == now_ms) {
      const Ahead a = q.ready.front();
      q.ready.pop_front();
      q.cv.notify_all();
      if (a.first_index == entry_bars_.first_index() && a.size == eb.size()) return a.values;
    }
    q.cv.notify_all();
  }
  return ComputeLastValues(eb, Periods());
}

Decision TrendFollowing::Decide(const State& state, int64_t now_ns) const {
  if (window_.size() < warmup_bars_) return {};
  if (!ClosesBar(window_.back().open_time_ms, tf_.base_ms, tf_.entry_ms)) return {};
  TrendReading t;
  if (!ReadTrend(&t)) return {};  // gaps left too few whole bars
  auto pos = state.positions.find(Symbol{symbol_});
  // Flat without a trend there is nothing to decide: the entry bar's
  // indicators would not be read.
  if (pos == state.positions.end() && t.trend == Trend::kNone) return {};
  EntryReading e;
  if (!ReadEntry(&e)) return {};  // too few whole bars, or a flat market
  Decision d;
  if (pos != state.positions.end()) {
    d.exit = Exit(pos->second, now_ns, t, e);
    d.close = last_close_;
    d.atr = Fixed::FromDouble(e.atr);
  } else if (t.trend != Trend::kNone) {
    d.entry = Entry(state, now_ns, t, e);
  }
  return d;
}

// The trend reading changes only when the trend bars do (a 4h bar closes, or
// the oldest leaves the window): between those it is the same numbers, so it
// is kept rather than computed again at every entry bar.
bool TrendFollowing::ReadTrend(TrendReading* t) const {
  const std::span<const Candle> trend_bars = trend_bars_.span();
  const TrendKey key{trend_bars.size(), trend_bars.empty() ? 0 : trend_bars.front().open_time_ms,
                     trend_bars.empty() ? 0 : trend_bars.back().open_time_ms};
  if (trend_cache_ && trend_cache_->first == key) {
    *t = trend_cache_->second.reading;
    return trend_cache_->second.ok;
  }
  TrendReading reading;
  const bool ok = ComputeTrend(trend_bars, &reading);
  trend_cache_ = {key, CachedTrend{ok, reading}};
  *t = reading;
  return ok;
}

bool TrendFollowing::ComputeTrend(std::span<const Candle> trend_bars, TrendReading* t) const {
  const auto& in = cfg_.indicators;
  if (trend_bars.size() < static_cast<size_t>(kSlopeBars) + 1) return false;
  const Columns tc = ToColumns(trend_bars);
  const std::vector<double> t_fast = Ema(tc.close, in.ema_fast);
  const std::vector<double> t_slow = Ema(tc.close, in.ema_slow);
  const AdxSeries adx = Adx(tc.high, tc.low, tc.close, in.adx_period);
  const size_t i = trend_bars.size() - 1;
  t->close = tc.close[i];
  t->ema_fast = t_fast[i];
  t->ema_slow = t_slow[i];
  t->ema_fast_before = t_fast[i - kSlopeBars];
  t->adx = adx.adx[i];
  t->plus_di = adx.plus_di[i];
  t->minus_di = adx.minus_di[i];
  if (!AllFinite({t->ema_fast, t->ema_slow, t->ema_fast_before, t->adx})) return false;
  if (in.chop_period > 0) {
    // Undefined only when the bars have no range at all (a halted market):
    // as choppy as can be, so entries wait while exits still read the trend.
    const double chop = Chop(tc.high, tc.low, tc.close, in.chop_period)[i];
    t->chop = std::isfinite(chop) ? chop : 100.0;
  }
  if (t->ema_fast > t->ema_slow && t->close > t->ema_slow && t->ema_fast > t->ema_fast_before) {
    t->trend = Trend::kUp;
  } else if (t->ema_fast < t->ema_slow && t->close < t->ema_slow &&
             t->ema_fast < t->ema_fast_before) {
    t->trend = Trend::kDown;
  }
  t->regime = ClassifyRegime(t->adx, t->chop, regime_);
  return true;
}

bool TrendFollowing::ReadEntry(EntryReading* e) const {
  const std::span<const Candle> eb = entry_bars_.span();
  const size_t lookback = static_cast<size_t>(cfg_.entry.breakout_lookback);
  if (eb.size() < lookback + 2) return false;
  // One pass over the window, bit-identical to the series functions.
  const LastValues last = EntryValues();
  const size_t j = eb.size() - 1;
  e->close = eb[j].close;
  e->volume = eb[j].volume;
  e->ema_fast = last.ema_fast;
  e->ema_slow = last.ema_slow;
  e->atr = last.atr;
  e->rsi = last.rsi;
  e->volume_sma = last.volume_sma;
  e->prev_high = eb[j - 1].high;
  e->prev_low = eb[j - 1].low;
  e->prev_ema_slow = last.ema_slow_prev;
  e->range_high = eb[j - lookback].high;
  e->range_low = eb[j - lookback].low;
  for (size_t k = j - lookback; k < j; ++k) {  // the lookback bars before this one
    e->range_high = std::max(e->range_high, eb[k].high);
    e->range_low = std::min(e->range_low, eb[k].low);
  }
  return AllFinite({e->ema_fast, e->ema_slow, e->atr, e->rsi, e->volume_sma, e->prev_ema_slow,
                    e->range_high, e->range_low}) &&
         e->atr > 0;
}

Setup TrendFollowing::Breakout(bool is_long, const EntryReading& e) const {
  Setup s;
  const int n = cfg_.entry.breakout_lookback;
  const double level = is_long ? e.range_high : e.range_low;
  const std::string level_words =
      absl::StrCat(n, "-bar ", is_long ? "high " : "low ", Price(level));
  const double past = is_long ? e.close - level : level - e.close;
  s.extension_atr = past / e.atr;
  const double volume_ratio = e.volume_sma > 0 ? e.volume / e.volume_sma : 0.0;
  const double max_ext = cfg_.entry.max_breakout_extension_atr.ToDouble();
  const double min_volume = cfg_.entry.volume_breakout_threshold.ToDouble();
  s.inputs = {Input("breakout_level", level), Input("extension_atr", s.extension_atr),
              Input("volume_ratio", volume_ratio)};
  const std::string volume_words = absl::StrCat("volume ", Num(volume_ratio, 2), "x");
  if (past <= 0) {
    s.reason =
        absl::StrCat("no breakout: close ", Price(e.close), is_long ? " <= " : " >= ", level_words);
  } else if (s.extension_atr > max_ext) {
    s.reason =
        absl::StrCat("breakout ", is_long ? "above " : "below ", level_words,
                     " over-extended: ", Num(s.extension_atr, 2), " ATR > ", Num(max_ext, 2));
  } else if (cfg_.entry.volume_confirmation_enabled && volume_ratio < min_volume) {
    s.reason = absl::StrCat("breakout ", is_long ? "above " : "below ", level_words, " by ",
                            Num(s.extension_atr, 2), " ATR, ", volume_words, " < ",
                            Num(min_volume, 2), "x");
  } else {
    s.holds = true;
    s.reason = absl::StrCat("breakout ", is_long ? "above " : "below ", level_words, " by ",
                            Num(s.extension_atr, 2), " ATR, ", volume_words);
  }
  return s;
}

Setup TrendFollowing::Pullback(bool is_long, const EntryReading& e) const {
  Setup s;
  const bool touched = is_long ? e.prev_low <= e.prev_ema_slow : e.prev_high >= e.prev_ema_slow;
  const bool reclaimed = is_long ? e.close > e.ema_fast : e.close < e.ema_fast;
  const bool rsi_ok = is_long ? e.rsi > 40.0 : e.rsi < 60.0;
  s.extension_atr = std::abs(e.close - e.ema_slow) / e.atr;
  s.inputs = {Input("prev_extreme", is_long ? e.prev_low : e.prev_high),
              Input("prev_ema_slow", e.prev_ema_slow), Input("extension_atr", s.extension_atr)};
  const std::string prev = absl::StrCat("previous ", is_long ? "low " : "high ",
                                        Price(is_long ? e.prev_low : e.prev_high));
  if (!touched) {
    s.reason = absl::StrCat("no pullback: ", prev, is_long ? " above" : " below", " ema_slow ",
                            Price(e.prev_ema_slow));
  } else if (!reclaimed) {
    s.reason = absl::StrCat("pullback not reclaimed: close ", Price(e.close),
                            is_long ? " <= " : " >= ", "ema_fast ", Price(e.ema_fast));
  } else if (!rsi_ok) {
    s.reason =
        absl::StrCat("pullback reclaimed but RSI ", Num(e.rsi, 1), is_long ? " <= 40" : " >= 60");
  } else {
    s.holds = true;
    s.reason = absl::StrCat("pullback: ", prev, " touched ema_slow ", Price(e.prev_ema_slow),
                            ", close ", Price(e.close), " reclaims ema_fast ", Price(e.ema_fast),
                            ", RSI ", Num(e.rsi, 1));
  }
  return s;
}

// The score's factors, each in [0,1].
struct Factors {
  double trend = 0, volatility = 0, entry_quality = 0, funding = 0, news = 0;
};

// Weighted by the configuration and normalised by the weights' sum.
Fixed Score(const Factors& f, const config::ScoringConfig& w) {
  const double weights = w.trend.ToDouble() + w.volatility.ToDouble() + w.entry_quality.ToDouble() +
                         w.funding.ToDouble() + w.news.ToDouble();
  const double weighted = f.trend * w.trend.ToDouble() + f.volatility * w.volatility.ToDouble() +
                          f.entry_quality * w.entry_quality.ToDouble() +
                          f.funding * w.funding.ToDouble() + f.news * w.news.ToDouble();
  return Fixed::FromDouble(weights > 0 ? Clamp01(weighted / weights) : 0.0);
}

double VolatilityFactor(double atr_pct_daily) {
  if (atr_pct_daily < kVolBandLowPct) return Clamp01(atr_pct_daily / kVolBandLowPct);
  if (atr_pct_daily <= kVolBandHighPct) return 1.0;
  return Clamp01(2.0 - atr_pct_daily / kVolBandHighPct);  // 0 at twice the band's top
}

EntryIdea TrendFollowing::Entry(const State& state, int64_t now_ns, const TrendReading& t,
                                const EntryReading& e) const {
  const bool is_long = t.trend == Trend::kUp;
  Setup setup = cfg_.entry.style == "pullback" ? Pullback(is_long, e) : Breakout(is_long, e);
  const double max_ext = cfg_.entry.max_breakout_extension_atr.ToDouble();
  const double atr_pct_daily =
      100.0 * e.atr / e.close * std::sqrt(static_cast<double>(kMsPerDay) / tf_.entry_ms);
  Factors f;
  f.trend = t.regime == Regime::kTransitional ? kTransitionalTrendFactor : 1.0;
  f.volatility = VolatilityFactor(atr_pct_daily);
  f.entry_quality =
      setup.holds ? Clamp01(max_ext > 0 ? 1.0 - setup.extension_atr / max_ext : 1.0) : 0.0;
  f.funding = 1.0;  // no funding input yet
  f.news = state.NewsBlocked(Symbol{symbol_}, now_ns) || state.NewsMediumBlocked(Symbol{symbol_}, now_ns) ? 0.0 : 1.0;
  const Fixed score = Score(f, cfg_.scoring);
  const bool choppy = t.regime == Regime::kChoppy;
  const bool scored = score >= cfg_.entry.score_threshold;

  EntryIdea idea;
  idea.propose = setup.holds && !choppy && scored;
  SignalComputed& s = idea.signal;
  s.symbol = Symbol{symbol_};
  s.strategy = name_;
  s.direction = is_long ? Side::kBuy : Side::kSell;
  s.score = score;
  s.confidence = score;
  s.reason = absl::StrCat(TrendWords(t), "; ", setup.reason);
  if (choppy) absl::StrAppend(&s.reason, "; choppy, no entries");
  if (f.news == 0.0) absl::StrAppend(&s.reason, "; news block");
  absl::StrAppend(&s.reason, "; score ", Num(score.ToDouble(), 2), scored ? " >= " : " < ",
                  Num(cfg_.entry.score_threshold.ToDouble(), 2));
  s.inputs = {Input("trend_close", t.close),
              Input("trend_ema_fast", t.ema_fast),
              Input("trend_ema_slow", t.ema_slow),
              Input("trend_ema_fast_3_back", t.ema_fast_before),
              Input("adx", t.adx),
              Input("plus_di", t.plus_di),
              Input("minus_di", t.minus_di),
              Input("close", e.close),
              Input("ema_fast", e.ema_fast),
              Input("ema_slow", e.ema_slow),
              Input("atr", e.atr),
              Input("atr_pct_daily", atr_pct_daily),
              Input("rsi", e.rsi)};
  // Only where the setting exists, so ledgers from before CHOP and the
  // multiplier re-derive the signals they recorded.
  if (t.chop) s.inputs.push_back(Input("chop", *t.chop));
  const Fixed size_multiplier = RegimeSizeMultiplier(t.regime, regime_);
  if (regime_.transitional_size_multiplier != Fixed::FromInt(1)) {
    s.inputs.push_back(NamedValue{"size_multiplier", size_multiplier});
  }
  for (NamedValue& v : setup.inputs) s.inputs.push_back(std::move(v));
  for (auto [name, value] : {std::pair{"factor_trend", f.trend},
                             {"factor_volatility", f.volatility},
                             {"factor_entry_quality", f.entry_quality},
                             {"factor_funding", f.funding},
                             {"factor_news", f.news}}) {
    s.inputs.push_back(Input(name, value));
  }

  idea.reference_price = last_close_;
  idea.size_multiplier = size_multiplier;
  idea.atr = Fixed::FromDouble(e.atr);
  const Fixed stop_distance = cfg_.exit.atr_stop_multiplier.Mul(idea.atr);
  const Fixed tp_distance = cfg_.exit.take_profit_atr_multiplier.Mul(idea.atr);
  idea.stop_price = is_long ? last_close_ - stop_distance : last_close_ + stop_distance;
  idea.take_profit_price = is_long ? last_close_ + tp_distance : last_close_ - tp_distance;
  return idea;
}

std::optional<ExitIdea> TrendFollowing::Exit(const Position& pos, int64_t now_ns,
                                             const TrendReading& t, const EntryReading& e) const {
  const bool is_long = pos.side == Side::kBuy;
  if (cfg_.exit.exit_on_trend_invalidation && t.trend == (is_long ? Trend::kDown : Trend::kUp)) {
    return ExitIdea{CloseReason::kTrendInvalidation, TrendWords(t)};
  }
  // time_stop_days is in 1e-8 days; 86400e9 ns / 1e8 = 864000 ns per unit.
  const int64_t limit_ns = cfg_.exit.time_stop_days.raw() * (kNsPerDay / Fixed::kScale);
  const int64_t held_ns = now_ns - pos.opened_ts_ns;
  if (limit_ns <= 0 || held_ns <= limit_ns) return std::nullopt;
  const Fixed close = last_close_;
  const Fixed gain = is_long ? close - pos.entry_price : pos.entry_price - close;
  const Fixed atr = Fixed::FromDouble(e.atr);
  const Fixed min_gain = cfg_.exit.time_stop_min_profit_atr.Mul(atr);
  if (gain >= min_gain) return std::nullopt;
  return ExitIdea{
      CloseReason::kTimeStop,
      absl::StrCat("open ", Num(static_cast<double>(held_ns) / kNsPerDay, 2), " days > ",
                   cfg_.exit.time_stop_days.ToString(), " with gain ", gain.ToString(), " < ",
                   cfg_.exit.time_stop_min_profit_atr.ToString(), " ATR (", min_gain.ToString(),
                   ")")};
}

// "4h uptrend (ema_fast 16900.2 > ema_slow 16750.3, close 16950), ADX 27.1 trending".
std::string TrendFollowing::TrendWords(const TrendReading& t) const {
  const char* trend = t.trend == Trend::kUp     ? "uptrend"
                      : t.trend == Trend::kDown ? "downtrend"
                                                : "no trend";
  return absl::StrCat(cfg_.trend_timeframe, " ", trend, " (ema_fast ", Price(t.ema_fast),
                      t.ema_fast > t.ema_slow ? " > " : " <= ", "ema_slow ", Price(t.ema_slow),
                      ", close ", Price(t.close), "), ADX ", Num(t.adx, 1),
                      t.chop ? absl::StrCat(", CHOP ", Num(*t.chop, 1)) : "", " ",
                      regime_.enabled ? RegimeName(t.regime) : "(regime filter off)");
}

// The timeframe at `key` in ms, a whole multiple of the base interval's
// (base_ms 0: no such check).
absl::StatusOr<int64_t> TimeframeMs(const std::string& key, const std::string& text,
                                    int64_t base_ms, const std::string& base_text) {
  absl::StatusOr<int64_t> seconds = config::ParseTimeframe(text);
  if (!seconds.ok() || *seconds <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(key, ": not a timeframe such as 15m, 4h or 1d (got \"", text, "\")"));
  }
  const int64_t ms = *seconds * 1000;
  if (base_ms > 0 && ms % base_ms != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(key, ": must be a whole multiple of the base interval ", base_text, " (got \"",
                     text, "\")"));
  }
  return ms;
}

absl::Status CheckPositive(const std::string& key, int value) {
  if (value >= 1) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(key, ": must be >= 1 (got ", value, ")"));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Strategy>> MakeStrategy(const config::StrategyConfig& cfg,
                                                       const config::RegimeConfig& regime,
                                                       const std::string& symbol,
                                                       const std::string& base_interval) {
  if (cfg.name != kTrendFollowingV1) {
    return absl::InvalidArgumentError(absl::StrCat("strategy.name: unknown strategy \"", cfg.name,
                                                   "\" (known: ", kTrendFollowingV1, ")"));
  }
  if (cfg.entry.style != "breakout" && cfg.entry.style != "pullback") {
    return absl::InvalidArgumentError(absl::StrCat(
        "strategy.entry.style: must be breakout or pullback (got \"", cfg.entry.style, "\")"));
  }
  const auto& in = cfg.indicators;
  for (auto [key, value] : {std::pair{"strategy.indicators.ema_fast", in.ema_fast},
                            {"strategy.indicators.ema_slow", in.ema_slow},
                            {"strategy.indicators.atr_period", in.atr_period},
                            {"strategy.indicators.rsi_period", in.rsi_period},
                            {"strategy.indicators.adx_period", in.adx_period},
                            {"strategy.indicators.volume_sma_period", in.volume_sma_period},
                            {"strategy.entry.breakout_lookback", cfg.entry.breakout_lookback}}) {
    RETURN_IF_ERROR(CheckPositive(key, value));
  }
  Timeframes tf;
  ASSIGN_OR_RETURN(tf.base_ms, TimeframeMs("run.interval", base_interval, 0, ""));
  ASSIGN_OR_RETURN(tf.trend_ms, TimeframeMs("strategy.trend_timeframe", cfg.trend_timeframe,
                                            tf.base_ms, base_interval));
  ASSIGN_OR_RETURN(tf.entry_ms, TimeframeMs("strategy.entry_timeframe", cfg.entry_timeframe,
                                            tf.base_ms, base_interval));
  return std::unique_ptr<Strategy>(new TrendFollowing(cfg, regime, symbol, tf));
}

}  // namespace apollo::strategy
