// Market data rendering (see market_payloads.h).
#include "tools/fake_binance/market_payloads.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "tools/fake_binance/json_writer.h"

namespace apollo::fake_binance {
namespace {

constexpr char kBookQty[] = "10";  // any positive size: the recording has no book

// A decimal of 1e-8 units written as Fixed::ToString writes one, for sums
// beyond Fixed's range.
std::string WideDecimal(__int128 raw) {
  const bool negative = raw < 0;
  unsigned __int128 v = negative ? -static_cast<unsigned __int128>(raw) : raw;
  unsigned __int128 units = v / Fixed::kScale;
  int64_t frac = static_cast<int64_t>(v % Fixed::kScale);
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(units % 10)));
    units /= 10;
  } while (units > 0);
  std::string out = absl::StrCat(negative ? "-" : "", digits);
  if (frac != 0) {
    std::string f = absl::StrCat(frac + Fixed::kScale).substr(1);  // 8 digits
    f.erase(f.find_last_not_of('0') + 1);
    absl::StrAppend(&out, ".", f);
  }
  return out;
}

}  // namespace

std::string Ticker24hJson(absl::string_view symbol, const std::vector<Bar>& day, int64_t interval_ms) {
  const Bar& first = day.front();
  const Bar& last = day.back();
  Fixed high = first.high, low = first.low;
  __int128 volume = 0, quote_volume = 0;
  for (const Bar& b : day) {
    high = std::max(high, b.high);
    low = std::min(low, b.low);
    volume += b.volume.raw();
    quote_volume += b.volume.Mul(b.close).raw();
  }
  const Fixed change = last.close - first.open;
  const Fixed change_pct = change.Mul(Fixed::FromInt(100)).Div(first.open).RoundTo(Fixed::FromRaw(100'000));
  // quote / volume, in 1e-8 units, rounded half away from zero (both >= 0).
  const Fixed weighted_avg =
      volume == 0 ? last.close
                  : Fixed::FromRaw(static_cast<int64_t>((quote_volume * Fixed::kScale + volume / 2) / volume));
  return JsonObject()
      .Str("symbol", symbol)
      .Dec("priceChange", change)
      .Dec("priceChangePercent", change_pct)
      .Dec("weightedAvgPrice", weighted_avg)
      .Dec("lastPrice", last.close)
      .Str("lastQty", "0")
      .Dec("openPrice", first.open)
      .Dec("highPrice", high)
      .Dec("lowPrice", low)
      .Str("volume", WideDecimal(volume))
      .Str("quoteVolume", WideDecimal(quote_volume))
      .Int("openTime", first.open_time_ms)
      .Int("closeTime", last.open_time_ms + interval_ms - 1)
      .Int("firstId", -1)
      .Int("lastId", -1)
      .Int("count", 0)
      .Close();
}

std::string PremiumIndexJson(const MarkPrice& m) {
  return JsonObject()
      .Str("symbol", m.symbol)
      .Dec("markPrice", m.mark_price)
      .Dec("indexPrice", m.mark_price)
      .Dec("estimatedSettlePrice", m.mark_price)
      .Dec("lastFundingRate", m.funding_rate)
      .Str("interestRate", "0.00010000")
      .Int("nextFundingTime", m.next_funding_time_ms)
      .Int("time", m.time_ms)
      .Close();
}

std::string BookTickerJson(const BookTop& b) {
  return JsonObject()
      .Str("symbol", b.symbol)
      .Dec("bidPrice", b.bid_price)
      .Str("bidQty", kBookQty)
      .Dec("askPrice", b.ask_price)
      .Str("askQty", kBookQty)
      .Int("time", b.time_ms)
      .Close();
}

std::string BookTickerEventJson(const BookTop& b, int64_t update_id) {
  return JsonObject()
      .Str("e", "bookTicker")
      .Int("u", update_id)
      .Int("E", b.time_ms)
      .Int("T", b.time_ms)
      .Str("s", b.symbol)
      .Dec("b", b.bid_price)
      .Str("B", kBookQty)
      .Dec("a", b.ask_price)
      .Str("A", kBookQty)
      .Close();
}

std::string MarkPriceUpdateJson(const MarkPrice& m) {
  return JsonObject()
      .Str("e", "markPriceUpdate")
      .Int("E", m.time_ms)
      .Str("s", m.symbol)
      .Dec("p", m.mark_price)
      .Dec("i", m.mark_price)
      .Dec("P", m.mark_price)
      .Dec("r", m.funding_rate)
      .Int("T", m.next_funding_time_ms)
      .Close();
}

std::string KlineEventJson(absl::string_view symbol, const Bar& bar, absl::string_view interval, int64_t interval_ms,
                           int64_t now_ms) {
  const std::string k = JsonObject()
                            .Int("t", bar.open_time_ms)
                            .Int("T", bar.open_time_ms + interval_ms - 1)
                            .Str("s", symbol)
                            .Str("i", interval)
                            .Int("f", -1)
                            .Int("L", -1)
                            .Dec("o", bar.open)
                            .Dec("c", bar.close)
                            .Dec("h", bar.high)
                            .Dec("l", bar.low)
                            .Dec("v", bar.volume)
                            .Int("n", 0)
                            .Bool("x", true)
                            .Str("q", "0")
                            .Str("V", "0")
                            .Str("Q", "0")
                            .Str("B", "0")
                            .Close();
  return JsonObject().Str("e", "kline").Int("E", now_ms).Str("s", symbol).Raw("k", k).Close();
}

}  // namespace apollo::fake_binance
