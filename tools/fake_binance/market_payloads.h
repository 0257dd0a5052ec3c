// Market data in Binance's USDⓈ-M shapes: the public tickers (GET
// /fapi/v1/ticker/24hr, /fapi/v1/premiumIndex, /fapi/v1/ticker/bookTicker;
// recorded examples in tests/data/binance/rest/nautilus/) and the data of
// the market streams' messages (<symbol>@kline_<interval>,
// <symbol>@markPrice). Values are the fake exchange's; decimals are exact
// strings, as Binance sends them. exchangeInfo and klines are in
// rest_payloads.h.
#ifndef APOLLO_TOOLS_FAKE_BINANCE_MARKET_PAYLOADS_H_
#define APOLLO_TOOLS_FAKE_BINANCE_MARKET_PAYLOADS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "tools/fake_binance/fake_exchange.h"

namespace apollo::fake_binance {

// One symbol's GET /fapi/v1/ticker/24hr object from its day's bars
// (FakeExchange::LastDayBars: not empty): open = the first bar's open, last =
// the last bar's close, high/low over them, volume = the sum of the bars'
// volumes, quoteVolume = the sum of volume x close (summed beyond Fixed's
// range, as a busy day needs). The recording has no trades: lastQty 0,
// firstId/lastId -1, count 0.
std::string Ticker24hJson(absl::string_view symbol, const std::vector<Bar>& day, int64_t interval_ms);
// One GET /fapi/v1/premiumIndex object: the mark as mark, index and
// estimated settle price; interestRate 0.0001 as on Binance's USDT perpetuals.
std::string PremiumIndexJson(const MarkPrice& mark);
// One GET /fapi/v1/ticker/bookTicker object.
std::string BookTickerJson(const BookTop& book);

// {"e":"markPriceUpdate","E","s","p","i","P","r","T"}: <symbol>@markPrice's data.
std::string MarkPriceUpdateJson(const MarkPrice& mark);
// The <symbol>@bookTicker stream's event: {"e":"bookTicker","u":..,"s":..,"b":..,"a":..}.
std::string BookTickerEventJson(const BookTop& book, int64_t update_id);
// {"e":"kline","E","s","k":{"t","T","s","i",..,"x":true}}: the data of
// <symbol>@kline_<interval> for a closed bar.
std::string KlineEventJson(absl::string_view symbol, const Bar& bar, absl::string_view interval, int64_t interval_ms,
                           int64_t now_ms);

}  // namespace apollo::fake_binance

#endif  // APOLLO_TOOLS_FAKE_BINANCE_MARKET_PAYLOADS_H_
