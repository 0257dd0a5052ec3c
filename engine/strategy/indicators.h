// Technical indicators and bar resampling for strategies: small pure
// functions over a window of values. Nothing here keeps state between calls,
// so an indicator computed over the same window always gives the same number.
//
//   std::vector<double> ema = Ema(closes, 21);   // NaN until defined
//   double last = ema.back();
//   std::vector<Candle> h4 = Resample(bars_5m, kFiveMinMs, kFourHoursMs);
//
// Every series function returns a vector as long as its input; entries before
// the indicator is defined are NaN (test with std::isnan). Conventions are
// Wilder's (as TA-Lib computes them), stated on each function. Doubles are
// fine here: indicator values reach the ledger only through Fixed::FromDouble.
#ifndef APOLLO_ENGINE_STRATEGY_INDICATORS_H_
#define APOLLO_ENGINE_STRATEGY_INDICATORS_H_

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace apollo::strategy {

// Simple moving average: value i is the mean of values [i-period+1, i].
std::vector<double> Sma(std::span<const double> values, int period);

// Exponential moving average, alpha = 2 / (period + 1), seeded at index
// period-1 with the SMA of the first `period` values of the window.
std::vector<double> Ema(std::span<const double> values, int period);

// Wilder's RSI. Changes start at index 1; the first average gain and loss are
// the means of changes 1..period (so RSI is defined from index `period`),
// then avg = (avg * (period-1) + change) / period. No losses gives 100, a
// flat window 50.
std::vector<double> Rsi(std::span<const double> closes, int period);

// True range: from index 1, max(high-low, |high-prev close|, |low-prev
// close|); index 0, having no previous close, is high-low.
std::vector<double> TrueRange(std::span<const double> high, std::span<const double> low,
                              std::span<const double> close);

// Wilder's ATR: the mean of true ranges 1..period at index `period`, then
// atr = (atr * (period-1) + tr) / period.
std::vector<double> Atr(std::span<const double> high, std::span<const double> low,
                        std::span<const double> close, int period);

// Wilder's directional movement. +DM/-DM and TR from index 1, smoothed with
// Wilder's running sum (first sum over 1..period); +DI/-DI from index
// `period`; DX = 100 |+DI - -DI| / (+DI + -DI) (0 when both are 0); ADX is
// the mean of the first `period` DX values (index 2*period-1), then Wilder's
// smoothing.
struct AdxSeries {
  std::vector<double> adx, plus_di, minus_di;
};
AdxSeries Adx(std::span<const double> high, std::span<const double> low,
              std::span<const double> close, int period);

// Choppiness Index (Dreiss; TradingView's and pandas-ta's formula): over the
// `period` bars ending at i, 100 * log10(sum of true ranges / (highest high -
// lowest low)) / log10(period). Defined from index `period`, so every true
// range has a previous close; NaN where the bars' range is 0 or period < 2.
// Near 100: the bars overlap (choppy); near 0: they follow one direction.
std::vector<double> Chop(std::span<const double> high, std::span<const double> low,
                         std::span<const double> close, int period);

// Highest high / lowest low of values [end-count, end); NaN if that range
// does not fit in the span.
double Highest(std::span<const double> values, size_t end, size_t count);
double Lowest(std::span<const double> values, size_t end, size_t count);

// One OHLCV bar in doubles, for indicator maths.
struct Candle {
  int64_t open_time_ms = 0;
  double open = 0, high = 0, low = 0, close = 0, volume = 0;
  bool operator==(const Candle&) const = default;
};

// A window of candles as columns, for the series functions.
struct Columns {
  std::vector<double> open, high, low, close, volume;
};
Columns ToColumns(std::span<const Candle> candles);

// The last values of Ema(close, ema_fast), Ema(close, ema_slow) (and the
// slow one a bar earlier), Atr(atr_period), Rsi(rsi_period) and
// Sma(volume, volume_period) over `candles`, in one pass: the five
// recursions run interleaved, each with exactly the operations of its
// series function, so the values are bit-identical to the series' last
// entries (NaN where those are) at a fraction of the latency.
struct LastValues {
  double ema_fast, ema_slow, ema_slow_prev, atr, rsi, volume_sma;
};
struct LastPeriods {
  int ema_fast, ema_slow, atr, rsi, volume;
};
LastValues ComputeLastValues(std::span<const Candle> candles, const LastPeriods& periods);

// A window that slides forward over a contiguous buffer: push at the back,
// drop from the front, read as a span (no copy), compacted now and then.
class CandleWindow {
 public:
  void PushBack(const Candle& c) { buf_.push_back(c); }
  void DropBefore(int64_t open_time_ms) {
    while (head_ < buf_.size() && buf_[head_].open_time_ms < open_time_ms) ++head_;
    if (head_ > 256 && head_ * 2 > buf_.size()) {
      buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(head_));
      erased_ += head_;
      head_ = 0;
    }
  }
  std::span<const Candle> span() const { return std::span<const Candle>(buf_).subspan(head_); }
  size_t size() const { return buf_.size() - head_; }
  // The position of span()[0] among all bars ever pushed.
  uint64_t first_index() const { return erased_ + head_; }

 private:
  std::vector<Candle> buf_;
  size_t head_ = 0;
  uint64_t erased_ = 0;
};

// Whether a base bar opening at open_time_ms closes a bar of length
// bar_ms aligned on the UTC epoch (open_time_ms + base_ms is a multiple).
bool ClosesBar(int64_t open_time_ms, int64_t base_ms, int64_t bar_ms);

// Builds bars of bar_ms (a whole multiple of base_ms) from base bars fed in
// order. A higher bar covers [k*bar_ms, (k+1)*bar_ms) in UTC and closes with
// the base bar whose open_time_ms + base_ms is a multiple of bar_ms: open is
// the first base open, high the max, low the min, close the last close,
// volume the sum, open_time_ms the bucket start. A bucket whose first base
// bar is missing (the feed started inside it) or whose closing base bar is
// missing (a gap) is dropped: it is never emitted as a cut bar. Base bars
// missing inside a bucket are tolerated.
class Resampler {
 public:
  Resampler(int64_t base_ms, int64_t bar_ms);
  // Adds the next base bar (open times strictly increasing); returns the
  // higher bar it closes, if any.
  std::optional<Candle> Add(const Candle& base);

 private:
  int64_t base_ms_, bar_ms_;
  bool open_ = false;   // a bucket is being built
  bool whole_ = false;  // it started at its first base bar
  Candle current_;
};

// The closed higher bars of a window of base bars (Resampler over all of it).
std::vector<Candle> Resample(std::span<const Candle> base, int64_t base_ms, int64_t bar_ms);

}  // namespace apollo::strategy

#endif  // APOLLO_ENGINE_STRATEGY_INDICATORS_H_
