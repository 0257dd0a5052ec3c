// Binance USDⓈ-M market data → typed klines: the REST kline list (GET
// /fapi/v1/klines, an array of arrays) and the kline stream's message
// (combined-stream wrapper or bare). Like payloads.h: bytes in, values out,
// no decisions; a malformed message or a bad decimal is InvalidArgument
// naming the field, never a bar with a price of 0.
//
//   ASSIGN_OR_RETURN(std::vector<Kline> bars, ParseKlines(response.body));
//   ASSIGN_OR_RETURN(std::optional<Kline> k, ParseKlineMessage(ws_text));
//   if (k && k->closed) inbox.Push(*k);
#ifndef APOLLO_ENGINE_VENUE_BINANCE_MARKET_PAYLOADS_H_
#define APOLLO_ENGINE_VENUE_BINANCE_MARKET_PAYLOADS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/domain/events.h"
#include "engine/domain/fixed.h"
#include "engine/domain/types.h"

namespace apollo::venue::binance {

struct Kline {
  Symbol symbol;           // stream only ("" from REST, which is asked for one symbol)
  std::string interval;    // stream only
  int64_t open_time_ms = 0;
  int64_t close_time_ms = 0;  // the last ms of the bar
  Fixed open, high, low, close, volume;
  bool closed = true;      // stream: "x"; REST lists closed bars and maybe the open one
};

// GET /fapi/v1/klines: [[openTime, "o", "h", "l", "c", "v", closeTime, ...], ...]
// (the trailing quote volume, trade count and taker volumes are not read).
// Prices must be positive and low <= open, close <= high.
absl::StatusOr<std::vector<Kline>> ParseKlines(absl::string_view json);

// A kline stream message: {"stream":..,"data":{"e":"kline",..,"k":{..}}} or
// {"e":"kline",..}. nullopt for a valid message that is not a kline. A text
// that is not JSON (cut short) is DataLoss; a bad field InvalidArgument.
absl::StatusOr<std::optional<Kline>> ParseKlineMessage(absl::string_view json);

// A mark price stream message (<symbol>@markPrice, @markPrice@1s):
// {"e":"markPriceUpdate","E":..,"s":"BTCUSDT","p":"11794.15","r":"0.00038167","T":1562306400000,..},
// bare or combined. `funding_rate` is the rate of the period ending at
// `next_funding_time_ms` as the venue estimates it now (a fraction).
struct MarkPrice {
  Symbol symbol;
  Fixed mark_price, funding_rate;
  int64_t next_funding_time_ms = 0;
  int64_t event_time_ms = 0;
};
// Rates beyond this are refused as malformed (Binance caps them at a few
// percent; the same bound as funding-rate files).
inline constexpr Fixed kMaxStreamFundingRate = Fixed::FromRaw(Fixed::kScale / 10);  // 0.1
// nullopt for a valid message of another stream (a kline); DataLoss for a
// text that is not JSON; InvalidArgument for a bad field.
absl::StatusOr<std::optional<MarkPrice>> ParseMarkPriceMessage(absl::string_view json);

// The venue's market summaries: an array (every symbol) or one object
// (?symbol=). Recorded shapes: tests/data/binance/rest/nautilus/
// http_futures_market_{ticker_24hr,premium_index}.json.
//
// GET /fapi/v1/ticker/24hr. The quote volume is kept in whole units of the
// quote asset (an int64; a busy symbol's day exceeds what Fixed holds), the
// decimals after the point dropped.
struct Ticker24h {
  Symbol symbol;
  Fixed last_price;
  int64_t quote_volume = 0;
  int64_t close_time_ms = 0;
};
absl::StatusOr<std::vector<Ticker24h>> ParseTickers24h(absl::string_view json);

// GET /fapi/v1/premiumIndex. `last_funding_rate` is absent ("") for a
// delivery contract.
struct PremiumIndex {
  Symbol symbol;
  Fixed mark_price;
  std::optional<Fixed> last_funding_rate;  // a fraction, per funding period
  int64_t next_funding_time_ms = 0;
  int64_t time_ms = 0;
};
absl::StatusOr<std::vector<PremiumIndex>> ParsePremiumIndexes(absl::string_view json);

// A book ticker stream message (<symbol>@bookTicker), bare or combined:
// {"e":"bookTicker","u":..,"E":..,"T":..,"s":"BNBUSDT","b":"25.35","B":"31.21","a":"25.36","A":"40.66"}
// (recorded: tests/data/binance/ws/crates_futures_market_data_book_ticker_stream.json).
// `time_ms` is the transaction time "T". nullopt for a valid message of
// another stream; DataLoss for a text that is not JSON; InvalidArgument for
// a bad field or a book whose bid is not below its ask (or beyond
// kMaxBookPrice).
struct BookTicker {
  Symbol symbol;
  Fixed bid_price, bid_qty, ask_price, ask_qty;
  int64_t time_ms = 0;
};
absl::StatusOr<std::optional<BookTicker>> ParseBookTickerMessage(absl::string_view json);

}  // namespace apollo::venue::binance

#endif  // APOLLO_ENGINE_VENUE_BINANCE_MARKET_PAYLOADS_H_
