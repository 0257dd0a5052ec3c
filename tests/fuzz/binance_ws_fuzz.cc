// libFuzzer target: Binance USDⓈ-M stream messages. Each input goes, as
// the live run would take it, to the user-data stream's translation
// (BinanceVenue::OnUserEvent, engine/venue/binance/binance_venue.h) and to
// the market stream's readers (ParseKlineMessage, ParseMarkPriceMessage,
// ParseBookTickerMessage,
// engine/venue/binance/market_payloads.h).
//
// The state the user-data messages meet holds a filled entry (ap-5-E,
// venue id 8886774), its accepted stop-loss (ap-9-S, algo) and its
// take-profit still PLACED (ap-9-T). A trade of an order not ours is summed
// for reconciliation, never stopping the process however large. What a message turns into is
// journaled by the engine, which halts on an event the fold refuses, so
// every report must fold onto that state, one after the other. A closed
// kline is a bar the strategy can use: 0 < low <= open, close <= high.
#include <cstdint>
#include <string>

#include "engine/domain/state.h"
#include "engine/venue/binance/binance_venue.h"
#include "engine/venue/binance/market_payloads.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/support/random_events.h"

namespace {

using namespace apollo;

State MakeState() {
  State state;
  uint64_t seq = 0;
  for (const Event& e : testing::OneOfEach()) {
    FUZZ_CHECK(Apply(state, e).ok());
    seq = e.seq;
    if (std::holds_alternative<ProtectiveOrdersVerified>(e.body)) break;
  }
  const Event accepted{seq + 1, 0, OrderAccepted{ClientOrderId{"ap-9-S"}, VenueOrderId{"1000000033225453"}}};
  FUZZ_CHECK(Apply(state, accepted).ok());
  return state;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const State* const kState = new State(MakeState());
  const absl::string_view json = fuzz::Bytes(data, size);

  venue::binance::BinanceVenue venue(nullptr, {.now_ms = [] { return int64_t{0}; }});
  const venue::binance::UserEventEffects fx = venue.OnUserEvent(json, *kState);
  State state = *kState;
  for (const EventBody& report : fx.reports) {
    const Event e{state.last_seq + 1, 0, report};
    FUZZ_CHECK(Apply(state, e).ok());
  }
  // A trade by hand is summed for reconciliation: its price is one the venue sent.
  for (const auto& [symbol, foreign] : venue.ForeignFillsSinceOurEntry()) {
    FUZZ_CHECK(foreign.qty.raw() > 0 && foreign.avg_price.raw() >= 0);
  }

  absl::StatusOr<std::optional<venue::binance::Kline>> kline = venue::binance::ParseKlineMessage(json);
  if (kline.ok() && kline->has_value() && (*kline)->closed) {
    const venue::binance::Kline& b = **kline;
    FUZZ_CHECK(b.open_time_ms > 0 && b.low.raw() > 0 && b.volume.raw() >= 0);
    FUZZ_CHECK(b.low <= b.open && b.open <= b.high);
    FUZZ_CHECK(b.low <= b.close && b.close <= b.high);
  }
  // The mark price stream: a rate the run journals is one FundingUpdate the
  // fold and risk can take.
  absl::StatusOr<std::optional<venue::binance::MarkPrice>> mark = venue::binance::ParseMarkPriceMessage(json);
  if (mark.ok() && mark->has_value()) {
    const venue::binance::MarkPrice& m = **mark;
    FUZZ_CHECK(m.mark_price.raw() > 0 && m.next_funding_time_ms > 0);
    FUZZ_CHECK(m.funding_rate.Abs() <= venue::binance::kMaxStreamFundingRate);
    State funded;
    FUZZ_CHECK(Apply(funded, Event{1, 0, FundingUpdate{m.symbol, m.funding_rate, m.mark_price, m.next_funding_time_ms}}).ok());
  }
  // The book ticker stream: a book the run journals is one MarketTick the
  // fold takes.
  absl::StatusOr<std::optional<venue::binance::BookTicker>> book = venue::binance::ParseBookTickerMessage(json);
  if (book.ok() && book->has_value()) {
    const venue::binance::BookTicker& b = **book;
    State booked;
    FUZZ_CHECK(Apply(booked, Event{1, 0, MarketTick{b.symbol, b.bid_price, b.ask_price, b.time_ms, Fixed(), Fixed()}}).ok());
  }
  return 0;
}
