// libFuzzer target: every Kalshi payload parser, REST
// (engine/venue/kalshi/payloads.h) and WebSocket (stream.h), and the NWS
// answers the weather strategy reads (engine/weather/nws.h). Each input
// goes through all of them, so the seeds are Kalshi's answers and messages
// (tests/data/kalshi) and NWS's (tests/data/nws). Whatever the bytes, each
// parser answers: a value or an error, never a crash; a book read is asked
// for its best prices, a market whether a price is on its grid and what it
// trades as, a stream message is applied to a book keeper, a forecast for
// a day's high.
#include <cstdint>
#include <string>

#include "engine/venue/kalshi/payloads.h"
#include "engine/venue/kalshi/stream.h"
#include "engine/weather/nws.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace apollo::venue::kalshi;
  const absl::string_view json = apollo::fuzz::Bytes(data, size);
  if (auto market = ParseMarket(json); market.ok()) {
    (void)market->OnGrid(apollo::Fixed::FromRaw(56'000'000));
    (void)ListedInstrument(*market);
  }
  (void)apollo::weather::ParsePoints(json);
  if (auto forecast = apollo::weather::ParseForecast(json); forecast.ok()) {
    (void)apollo::weather::DailyHighOf(*forecast, absl::CivilDay(2024, 7, 15), -8);
  }
  (void)ParseMarkets(json);
  if (auto book = ParseOrderbook(json); book.ok()) {
    (void)book->BestYesBid();
    (void)book->BestYesAsk();
  }
  (void)ParseOrder(json);
  (void)ParseOrders(json);
  (void)ParseFills(json);
  (void)ParsePositions(json);
  (void)ParseBalance(json);
  (void)ParseApiLimits(json);
  (void)ParseEvent(json);
  (void)ParseSettlements(json);
  if (auto message = ParseStreamMessage(json); message.ok()) {
    BookKeeper books;
    if (auto* snapshot = std::get_if<BookSnapshot>(&*message)) books.Apply(*snapshot);
    if (auto* delta = std::get_if<BookDelta>(&*message)) (void)books.Apply(*delta);
  }
  return 0;
}
