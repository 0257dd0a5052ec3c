// Indicator maths and resampling; see indicators.h for the conventions.
#include "engine/strategy/indicators.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

namespace apollo::strategy {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

std::vector<double> NaNs(size_t n) { return std::vector<double>(n, kNaN); }

// Wilder's running average of x[1..]: the mean of x[1..period] at index
// `period`, then avg = (avg * (period-1) + x) / period.
std::vector<double> WilderAverage(const std::vector<double>& x, int period) {
  std::vector<double> out = NaNs(x.size());
  const size_t p = static_cast<size_t>(period);
  if (period <= 0 || x.size() <= p) return out;
  double avg = 0;
  for (size_t i = 1; i <= p; ++i) avg += x[i];
  avg /= period;
  out[p] = avg;
  for (size_t i = p + 1; i < x.size(); ++i) {
    avg = (avg * (period - 1) + x[i]) / period;
    out[i] = avg;
  }
  return out;
}

// Wilder's running sum of x[1..]: the sum of x[1..period] at index `period`,
// then sum = sum - sum/period + x.
std::vector<double> WilderSum(const std::vector<double>& x, int period) {
  std::vector<double> out = NaNs(x.size());
  const size_t p = static_cast<size_t>(period);
  if (period <= 0 || x.size() <= p) return out;
  double sum = 0;
  for (size_t i = 1; i <= p; ++i) sum += x[i];
  out[p] = sum;
  for (size_t i = p + 1; i < x.size(); ++i) {
    sum = sum - sum / period + x[i];
    out[i] = sum;
  }
  return out;
}

}  // namespace

std::vector<double> Sma(std::span<const double> values, int period) {
  std::vector<double> out = NaNs(values.size());
  if (period <= 0) return out;
  const size_t p = static_cast<size_t>(period);
  double sum = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    sum += values[i];
    if (i >= p) sum -= values[i - p];
    if (i + 1 >= p) out[i] = sum / period;
  }
  return out;
}

std::vector<double> Ema(std::span<const double> values, int period) {
  std::vector<double> out = NaNs(values.size());
  const size_t p = static_cast<size_t>(period);
  if (period <= 0 || values.size() < p) return out;
  double ema = 0;
  for (size_t i = 0; i < p; ++i) ema += values[i];
  ema /= period;
  out[p - 1] = ema;
  const double alpha = 2.0 / (period + 1);
  for (size_t i = p; i < values.size(); ++i) {
    ema += alpha * (values[i] - ema);
    out[i] = ema;
  }
  return out;
}

std::vector<double> Rsi(std::span<const double> closes, int period) {
  const size_t n = closes.size();
  std::vector<double> gain(n, 0.0), loss(n, 0.0);
  for (size_t i = 1; i < n; ++i) {
    const double change = closes[i] - closes[i - 1];
    gain[i] = std::max(change, 0.0);
    loss[i] = std::max(-change, 0.0);
  }
  const std::vector<double> avg_gain = WilderAverage(gain, period);
  const std::vector<double> avg_loss = WilderAverage(loss, period);
  std::vector<double> out = NaNs(n);
  for (size_t i = 0; i < n; ++i) {
    if (std::isnan(avg_gain[i])) continue;
    if (avg_loss[i] == 0) {
      out[i] = avg_gain[i] == 0 ? 50.0 : 100.0;
    } else {
      out[i] = 100.0 - 100.0 / (1.0 + avg_gain[i] / avg_loss[i]);
    }
  }
  return out;
}

std::vector<double> TrueRange(std::span<const double> high, std::span<const double> low,
                              std::span<const double> close) {
  assert(high.size() == low.size() && low.size() == close.size());
  std::vector<double> tr(close.size());
  for (size_t i = 0; i < close.size(); ++i) {
    tr[i] = high[i] - low[i];
    if (i == 0) continue;
    tr[i] = std::max({tr[i], std::abs(high[i] - close[i - 1]), std::abs(low[i] - close[i - 1])});
  }
  return tr;
}

std::vector<double> Atr(std::span<const double> high, std::span<const double> low,
                        std::span<const double> close, int period) {
  return WilderAverage(TrueRange(high, low, close), period);
}

std::vector<double> Chop(std::span<const double> high, std::span<const double> low,
                         std::span<const double> close, int period) {
  const size_t n = close.size();
  std::vector<double> out = NaNs(n);
  if (period < 2) return out;
  const size_t p = static_cast<size_t>(period);
  const std::vector<double> tr = TrueRange(high, low, close);
  const double log_period = std::log10(static_cast<double>(period));
  for (size_t i = p; i < n; ++i) {
    double tr_sum = 0, hi = high[i], lo = low[i];
    for (size_t k = i + 1 - p; k <= i; ++k) {
      tr_sum += tr[k];
      hi = std::max(hi, high[k]);
      lo = std::min(lo, low[k]);
    }
    if (hi - lo > 0) out[i] = 100.0 * std::log10(tr_sum / (hi - lo)) / log_period;
  }
  return out;
}

AdxSeries Adx(std::span<const double> high, std::span<const double> low,
              std::span<const double> close, int period) {
  const size_t n = close.size();
  std::vector<double> plus_dm(n, 0.0), minus_dm(n, 0.0);
  for (size_t i = 1; i < n; ++i) {
    const double up = high[i] - high[i - 1];
    const double down = low[i - 1] - low[i];
    if (up > down && up > 0) plus_dm[i] = up;
    if (down > up && down > 0) minus_dm[i] = down;
  }
  const std::vector<double> tr_sum = WilderSum(TrueRange(high, low, close), period);
  const std::vector<double> plus_sum = WilderSum(plus_dm, period);
  const std::vector<double> minus_sum = WilderSum(minus_dm, period);

  AdxSeries out{NaNs(n), NaNs(n), NaNs(n)};
  std::vector<double> dx = NaNs(n);
  for (size_t i = 0; i < n; ++i) {
    if (std::isnan(tr_sum[i])) continue;
    const double plus = tr_sum[i] > 0 ? 100.0 * plus_sum[i] / tr_sum[i] : 0.0;
    const double minus = tr_sum[i] > 0 ? 100.0 * minus_sum[i] / tr_sum[i] : 0.0;
    out.plus_di[i] = plus;
    out.minus_di[i] = minus;
    dx[i] = plus + minus > 0 ? 100.0 * std::abs(plus - minus) / (plus + minus) : 0.0;
  }
  // ADX: mean of DX[period .. 2*period-1], then Wilder's smoothing.
  const size_t p = static_cast<size_t>(period);
  if (period <= 0 || n < 2 * p) return out;
  double adx = 0;
  for (size_t i = p; i < 2 * p; ++i) adx += dx[i];
  adx /= period;
  out.adx[2 * p - 1] = adx;
  for (size_t i = 2 * p; i < n; ++i) {
    adx = (adx * (period - 1) + dx[i]) / period;
    out.adx[i] = adx;
  }
  return out;
}

double Highest(std::span<const double> values, size_t end, size_t count) {
  if (count == 0 || end > values.size() || count > end) return kNaN;
  return *std::max_element(values.begin() + (end - count), values.begin() + end);
}

double Lowest(std::span<const double> values, size_t end, size_t count) {
  if (count == 0 || end > values.size() || count > end) return kNaN;
  return *std::min_element(values.begin() + (end - count), values.begin() + end);
}

Columns ToColumns(std::span<const Candle> candles) {
  Columns c;
  for (auto* v : {&c.open, &c.high, &c.low, &c.close, &c.volume}) v->reserve(candles.size());
  for (const Candle& k : candles) {
    c.open.push_back(k.open);
    c.high.push_back(k.high);
    c.low.push_back(k.low);
    c.close.push_back(k.close);
    c.volume.push_back(k.volume);
  }
  return c;
}

namespace {

// Ema's recursion, one value at a time (see Ema).
class EmaStep {
 public:
  explicit EmaStep(int period) : period_(period), alpha_(2.0 / (period + 1)) {}
  void Add(size_t i, double v) {
    const size_t p = static_cast<size_t>(period_);
    prev_ = value_;
    if (i < p) {
      sum_ += v;
      if (i + 1 == p) value_ = sum_ / period_;
    } else {
      value_ += alpha_ * (v - value_);
    }
  }
  double value() const { return value_; }
  double prev() const { return prev_; }

 private:
  int period_;
  double alpha_, sum_ = 0, value_ = kNaN, prev_ = kNaN;
};

// WilderAverage's recursion over x[1..] (see WilderAverage).
class WilderStep {
 public:
  explicit WilderStep(int period) : period_(period) {}
  void Add(size_t i, double x) {
    const size_t p = static_cast<size_t>(period_);
    if (i == 0) return;
    if (i <= p) {
      avg_ += x;
      if (i == p) {
        avg_ /= period_;
        defined_ = true;
      }
    } else {
      avg_ = (avg_ * (period_ - 1) + x) / period_;
    }
  }
  double value() const { return defined_ ? avg_ : kNaN; }

 private:
  int period_;
  double avg_ = 0;
  bool defined_ = false;
};

// Sma's rolling sum (see Sma): the same additions and subtractions in order.
class SmaStep {
 public:
  SmaStep(std::span<const Candle> c, int period) : c_(c), period_(period) {}
  void Add(size_t i) {
    const size_t p = static_cast<size_t>(period_);
    sum_ += c_[i].volume;
    if (i >= p) sum_ -= c_[i - p].volume;
    if (i + 1 >= p) value_ = sum_ / period_;
  }
  double value() const { return value_; }

 private:
  std::span<const Candle> c_;
  int period_;
  double sum_ = 0, value_ = kNaN;
};

}  // namespace

LastValues ComputeLastValues(std::span<const Candle> c, const LastPeriods& p) {
  LastValues out{kNaN, kNaN, kNaN, kNaN, kNaN, kNaN};
  const size_t n = c.size();
  if (p.ema_fast <= 0 || p.ema_slow <= 0 || p.atr <= 0 || p.rsi <= 0 || p.volume <= 0) return out;
  EmaStep fast(p.ema_fast), slow(p.ema_slow);
  WilderStep atr(p.atr), gain(p.rsi), loss(p.rsi);
  SmaStep volume(c, p.volume);
  for (size_t i = 0; i < n; ++i) {
    fast.Add(i, c[i].close);
    slow.Add(i, c[i].close);
    volume.Add(i);
    if (i == 0) continue;
    const double tr = std::max({c[i].high - c[i].low, std::abs(c[i].high - c[i - 1].close),
                                std::abs(c[i].low - c[i - 1].close)});
    atr.Add(i, tr);
    const double change = c[i].close - c[i - 1].close;
    gain.Add(i, std::max(change, 0.0));
    loss.Add(i, std::max(-change, 0.0));
  }
  if (n == 0) return out;
  out.ema_fast = fast.value();
  out.ema_slow = slow.value();
  out.ema_slow_prev = n >= 2 ? slow.prev() : kNaN;
  out.atr = atr.value();
  out.volume_sma = volume.value();
  const double g = gain.value(), l = loss.value();
  if (!std::isnan(g)) out.rsi = l == 0 ? (g == 0 ? 50.0 : 100.0) : 100.0 - 100.0 / (1.0 + g / l);
  return out;
}

bool ClosesBar(int64_t open_time_ms, int64_t base_ms, int64_t bar_ms) {
  const int64_t end = open_time_ms + base_ms;
  return end % bar_ms == 0;
}

Resampler::Resampler(int64_t base_ms, int64_t bar_ms) : base_ms_(base_ms), bar_ms_(bar_ms) {
  assert(base_ms > 0 && bar_ms > 0 && bar_ms % base_ms == 0);
}

std::optional<Candle> Resampler::Add(const Candle& base) {
  const int64_t bucket = FloorDiv(base.open_time_ms, bar_ms_) * bar_ms_;
  if (open_ && bucket != current_.open_time_ms) open_ = false;  // its closing bar never came
  if (!open_) {
    open_ = true;
    whole_ = base.open_time_ms == bucket;
    current_ = base;
    current_.open_time_ms = bucket;
  } else {
    current_.high = std::max(current_.high, base.high);
    current_.low = std::min(current_.low, base.low);
    current_.close = base.close;
    current_.volume += base.volume;
  }
  if (!ClosesBar(base.open_time_ms, base_ms_, bar_ms_)) return std::nullopt;
  open_ = false;
  if (!whole_) return std::nullopt;
  return current_;
}

std::vector<Candle> Resample(std::span<const Candle> base, int64_t base_ms, int64_t bar_ms) {
  std::vector<Candle> out;
  out.reserve(base.size() / static_cast<size_t>(bar_ms / base_ms) + 1);
  Resampler resampler(base_ms, bar_ms);
  for (const Candle& b : base) {
    if (auto bar = resampler.Add(b)) out.push_back(*bar);
  }
  return out;
}

}  // namespace apollo::strategy
