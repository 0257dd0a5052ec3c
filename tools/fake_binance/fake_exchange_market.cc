// The fake exchange's market side (see fake_exchange.h): the clock, the
// shared bar timeline and each market's bars, funding, the mark price and
// the book.
#include "tools/fake_binance/fake_exchange.h"

#include <algorithm>
#include <chrono>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "tools/fake_binance/market_payloads.h"

namespace apollo::fake_binance {
namespace {

constexpr int64_t kDayMs = 24 * 3'600'000;
constexpr int64_t kFundingPeriodMs = 8 * 3'600'000;  // funding at 00, 08 and 16 UTC

// The smallest multiple of `step` at or above `v` (v, step > 0).
Fixed CeilTo(Fixed v, Fixed step) { return -(-v).FloorTo(step); }

}  // namespace

int64_t SystemClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ---- clock -----------------------------------------------------------------

int64_t FakeExchange::NowMs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return NowLocked();
}

void FakeExchange::SetClockSkewMs(int64_t skew_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  skew_ms_ = skew_ms;
}

int64_t FakeExchange::clock_skew_ms() const {
  std::lock_guard<std::mutex> lock(mu_);
  return skew_ms_;
}

// ---- bars ------------------------------------------------------------------

std::vector<std::string> FakeExchange::Symbols() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const MarketState& m : markets_) out.push_back(m.inst.symbol);
  return out;
}

std::vector<Instrument> FakeExchange::Instruments() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Instrument> out;
  for (const MarketState& m : markets_) out.push_back(m.inst);
  return out;
}

bool FakeExchange::HasSymbol(absl::string_view symbol) const {
  std::lock_guard<std::mutex> lock(mu_);
  return FindMarket(symbol) != nullptr;
}

Bar FakeExchange::CurrentBar() const { return CurrentBar(config_.instrument.symbol); }

Bar FakeExchange::CurrentBar(absl::string_view symbol) const {
  std::lock_guard<std::mutex> lock(mu_);
  return MarketOrDie(symbol).current();
}

size_t FakeExchange::bar_index() const {
  std::lock_guard<std::mutex> lock(mu_);
  return step_;
}

absl::StatusOr<Bar> FakeExchange::AdvanceBar() {
  std::lock_guard<std::mutex> lock(mu_);
  if (step_ + 1 >= timeline_.size()) {
    return absl::OutOfRangeError(absl::StrCat("no more bars: the recording ends at bar ", step_));
  }
  const int64_t open_time_ms = timeline_[++step_];
  for (MarketState& m : markets_) {
    // Its next bar opens at or after this step's time (the timeline holds them all).
    if (m.index + 1 >= m.bars.size() || m.bars[m.index + 1].open_time_ms != open_time_ms) continue;
    ++m.index;
    RunBar(m);
    if (bar_sink_) bar_sink_(m.inst.symbol, m.current());
  }
  return markets_.front().current();
}

std::vector<Bar> FakeExchange::ClosedBars(int64_t start_time_ms, size_t limit) const {
  return ClosedBars(config_.instrument.symbol, start_time_ms, limit);
}

std::vector<Bar> FakeExchange::ClosedBars(absl::string_view symbol, int64_t start_time_ms, size_t limit) const {
  std::lock_guard<std::mutex> lock(mu_);
  const MarketState* m = FindMarket(symbol);
  if (m == nullptr) return {};
  auto first = std::lower_bound(m->bars.begin(), m->bars.begin() + m->index + 1, start_time_ms,
                                [](const Bar& b, int64_t t) { return b.open_time_ms < t; });
  const size_t n = std::min<size_t>(limit, std::distance(first, m->bars.begin() + m->index + 1));
  return std::vector<Bar>(first, first + n);
}

absl::StatusOr<Bar> FakeExchange::BarBack(size_t back) const { return BarBack(config_.instrument.symbol, back); }

absl::StatusOr<Bar> FakeExchange::BarBack(absl::string_view symbol, size_t back) const {
  std::lock_guard<std::mutex> lock(mu_);
  const MarketState* m = FindMarket(symbol);
  if (m == nullptr) return absl::NotFoundError(absl::StrCat("no market ", symbol));
  if (back > m->index) return absl::OutOfRangeError(absl::StrCat("only ", m->index, " bars before the current one"));
  return m->bars[m->index - back];
}

ApiResult<std::vector<Bar>> FakeExchange::LastDayBars(absl::string_view symbol) const {
  std::lock_guard<std::mutex> lock(mu_);
  const MarketState* m = FindMarket(symbol);
  if (m == nullptr) return Error(kBadSymbol);
  auto end = m->bars.begin() + m->index + 1;
  auto first = std::upper_bound(m->bars.begin(), end, m->current().open_time_ms - kDayMs,
                                [](int64_t t, const Bar& b) { return t < b.open_time_ms; });
  std::vector<Bar> day(first, end);
  for (Bar& b : day) b.volume = b.volume.Mul(m->volume_scale);
  return day;
}

absl::Status FakeExchange::SetVolumeScale(absl::string_view symbol, Fixed scale) {
  if (scale.raw() <= 0) return absl::InvalidArgumentError("volume_scale must be > 0");
  std::lock_guard<std::mutex> lock(mu_);
  MarketState* m = FindMarket(symbol);
  if (m == nullptr) return absl::NotFoundError(absl::StrCat("no market ", symbol));
  m->volume_scale = scale;
  return absl::OkStatus();
}

// ---- funding and the mark price ----------------------------------------------

Fixed FakeExchange::SettleFunding(Fixed rate) { return SettleFunding(config_.instrument.symbol, rate); }

Fixed FakeExchange::SettleFunding(absl::string_view symbol, Fixed rate) {
  std::lock_guard<std::mutex> lock(mu_);
  MarketState& m = MarketOrDie(symbol);
  if (m.position.qty.is_zero()) return Fixed();
  const Fixed amount = -m.position.qty.Mul(m.mark()).Mul(rate);  // qty is signed: a long pays a positive rate
  wallet_ += amount;
  EmitAccountUpdate(m, "FUNDING_FEE", amount);
  return amount;
}

void FakeExchange::SetFundingRate(Fixed rate) { (void)SetFundingRate(config_.instrument.symbol, rate); }

absl::Status FakeExchange::SetFundingRate(absl::string_view symbol, Fixed rate) {
  std::lock_guard<std::mutex> lock(mu_);
  MarketState* m = FindMarket(symbol);
  if (m == nullptr) return absl::NotFoundError(absl::StrCat("no market ", symbol));
  m->funding_rate = rate;
  return absl::OkStatus();
}

MarkPrice FakeExchange::MarkPriceLocked(const MarketState& m) const {
  const int64_t now = NowLocked();
  return MarkPrice{m.inst.symbol, m.mark(), m.funding_rate, (now / kFundingPeriodMs + 1) * kFundingPeriodMs, now};
}

ApiResult<MarkPrice> FakeExchange::MarkPriceOf(absl::string_view symbol) const {
  std::lock_guard<std::mutex> lock(mu_);
  const MarketState* m = FindMarket(symbol);
  if (m == nullptr) return Error(kBadSymbol);
  return MarkPriceLocked(*m);
}

std::string FakeExchange::MarkPriceJson() const { return MarkPriceJson(config_.instrument.symbol); }

std::string FakeExchange::MarkPriceJson(absl::string_view symbol) const {
  std::lock_guard<std::mutex> lock(mu_);
  return MarkPriceUpdateJson(MarkPriceLocked(MarketOrDie(symbol)));
}

// ---- the book --------------------------------------------------------------

absl::Status FakeExchange::SetSpread(absl::string_view symbol, Fixed spread_fraction) {
  if (spread_fraction.raw() < 0 || spread_fraction >= Fixed::FromInt(1)) {
    return absl::InvalidArgumentError(absl::StrCat("spread: expected 0 <= f < 1, got ", spread_fraction.ToString()));
  }
  std::lock_guard<std::mutex> lock(mu_);
  MarketState* m = FindMarket(symbol);
  if (m == nullptr) return absl::NotFoundError(absl::StrCat("no market ", symbol));
  m->spread = spread_fraction;
  return absl::OkStatus();
}

ApiResult<BookTop> FakeExchange::BookTicker(absl::string_view symbol) const {
  std::lock_guard<std::mutex> lock(mu_);
  const MarketState* m = FindMarket(symbol);
  if (m == nullptr) return Error(kBadSymbol);
  const Fixed tick = m->inst.tick_size;
  const Fixed close = m->mark();
  const Fixed half = close.Mul(m->spread).Div(Fixed::FromInt(2));
  BookTop book{m->inst.symbol, std::max(tick, (close - half).FloorTo(tick)), Fixed(), NowLocked()};
  book.ask_price = std::max(CeilTo(close + half, tick), book.bid_price + tick);
  return book;
}

}  // namespace apollo::fake_binance
