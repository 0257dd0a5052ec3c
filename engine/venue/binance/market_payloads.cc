// Readers of Binance klines, REST and stream (see market_payloads.h).
#include "engine/venue/binance/market_payloads.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "engine/venue/binance/json_fields.h"

namespace apollo::venue::binance {
namespace {

// A bar whose prices cannot be a bar is refused like a malformed number.
absl::Status CheckPrices(const Kline& k, absl::string_view what) {
  const bool ordered = k.low <= k.open && k.low <= k.close && k.open <= k.high && k.close <= k.high;
  if (k.low.raw() <= 0 || !ordered || k.volume.raw() < 0) {
    return absl::InvalidArgumentError(absl::StrCat("binance ", what, " ", k.open_time_ms,
                                                   ": not a bar (o=", k.open.ToString(), " h=", k.high.ToString(),
                                                   " l=", k.low.ToString(), " c=", k.close.ToString(),
                                                   " v=", k.volume.ToString(), ")"));
  }
  return absl::OkStatus();
}

// One REST kline: an array read element by element.
absl::StatusOr<Kline> ReadKlineArray(od::array& row, const std::string& what) {
  Kline k;
  Fixed* decimals[] = {&k.open, &k.high, &k.low, &k.close, &k.volume};
  size_t index = 0;
  for (auto element : row) {
    od::value v;
    if (simdjson::error_code e = element.get(v)) return absl::InvalidArgumentError(absl::StrCat("binance ", what, ": ", Problem(e)));
    const std::string field = absl::StrCat(what, "[", index, "]");
    if (index == 0 || index == 6) {
      int64_t ms = 0;
      if (simdjson::error_code e = v.get_int64().get(ms)) {
        return absl::InvalidArgumentError(absl::StrCat("binance ", field, ": ", Problem(e)));
      }
      (index == 0 ? k.open_time_ms : k.close_time_ms) = ms;
    } else if (index <= 5) {
      std::string_view text;
      if (simdjson::error_code e = v.get_string().get(text)) {
        return absl::InvalidArgumentError(absl::StrCat("binance ", field, ": ", Problem(e)));
      }
      const absl::string_view decimal(text.data(), text.size());
      absl::StatusOr<Fixed> d = Fixed::Parse(decimal);
      if (!d.ok()) return absl::InvalidArgumentError(absl::StrCat("binance ", field, ": not a decimal: '", decimal, "'"));
      *decimals[index - 1] = *d;
    }
    ++index;
  }
  if (index < 7) return absl::InvalidArgumentError(absl::StrCat("binance ", what, ": ", index, " elements, expected 7 or more"));
  RETURN_IF_ERROR(CheckPrices(k, what));
  return k;
}

// The event object of a stream message, combined ({"stream":..,"data":{..}})
// or bare; false when its "e" is not `type` (another stream's event).
absl::StatusOr<bool> StreamEvent(od::object& root, const std::string& what, absl::string_view type, od::object* body) {
  Fields top(root, what);
  od::value data;
  ASSIGN_OR_RETURN(const bool combined, top.Find("data", &data));
  *body = root;
  if (combined && data.get_object().get(*body) != simdjson::SUCCESS) return top.Error("data", "not an object");
  Fields event(*body, what);
  ASSIGN_OR_RETURN(const std::optional<std::string> e, event.OptStr("e"));
  return e && *e == type;
}

}  // namespace

absl::StatusOr<std::vector<Kline>> ParseKlines(absl::string_view json) {
  Json doc(json);
  od::array rows;
  RETURN_IF_ERROR(doc.Array("klines", &rows));
  std::vector<Kline> out;
  size_t index = 0;
  for (auto element : rows) {
    const std::string what = absl::StrCat("klines[", index++, "]");
    od::array row;
    if (simdjson::error_code e = element.get_array().get(row)) {
      return absl::InvalidArgumentError(
          absl::StrCat("binance ", what, ": ", e == simdjson::INCORRECT_TYPE ? "not an array" : Problem(e)));
    }
    ASSIGN_OR_RETURN(Kline k, ReadKlineArray(row, what));
    out.push_back(std::move(k));
  }
  return out;
}

absl::StatusOr<std::optional<Kline>> ParseKlineMessage(absl::string_view json) {
  Json doc(json, Json::From::kStream);
  od::object root, body;
  RETURN_IF_ERROR(doc.Object("kline message", &root));
  ASSIGN_OR_RETURN(const bool is_kline, StreamEvent(root, "kline message", "kline", &body));
  if (!is_kline) return std::optional<Kline>();
  Fields event(body, "kline message");
  od::value kv;
  ASSIGN_OR_RETURN(bool has_k, event.Find("k", &kv));
  if (!has_k) return event.Error("k", "missing");
  od::object ko;
  if (kv.get_object().get(ko) != simdjson::SUCCESS) return event.Error("k", "not an object");
  Fields f(ko, "kline");
  Kline k;
  ASSIGN_OR_RETURN(k.open_time_ms, f.Int("t"));
  ASSIGN_OR_RETURN(k.close_time_ms, f.Int("T"));
  ASSIGN_OR_RETURN(k.symbol.value, f.Str("s"));
  ASSIGN_OR_RETURN(k.interval, f.Str("i"));
  ASSIGN_OR_RETURN(k.open, f.Dec("o"));
  ASSIGN_OR_RETURN(k.close, f.Dec("c"));
  ASSIGN_OR_RETURN(k.high, f.Dec("h"));
  ASSIGN_OR_RETURN(k.low, f.Dec("l"));
  ASSIGN_OR_RETURN(k.volume, f.Dec("v"));
  ASSIGN_OR_RETURN(k.closed, f.BoolOr("x", false));
  if (k.open_time_ms <= 0) return f.Error("t", "not a time");
  RETURN_IF_ERROR(CheckPrices(k, "kline"));
  return std::optional<Kline>(k);
}

}  // namespace apollo::venue::binance

namespace apollo::venue::binance {

absl::StatusOr<std::optional<MarkPrice>> ParseMarkPriceMessage(absl::string_view json) {
  Json doc(json, Json::From::kStream);
  od::object root, body;
  RETURN_IF_ERROR(doc.Object("mark price message", &root));
  ASSIGN_OR_RETURN(const bool is_mark, StreamEvent(root, "mark price message", "markPriceUpdate", &body));
  if (!is_mark) return std::optional<MarkPrice>();
  Fields f(body, "mark price message");
  MarkPrice m;
  ASSIGN_OR_RETURN(m.symbol.value, f.Str("s"));
  ASSIGN_OR_RETURN(m.event_time_ms, f.Int("E"));
  ASSIGN_OR_RETURN(m.mark_price, f.Dec("p"));
  ASSIGN_OR_RETURN(m.funding_rate, f.Dec("r"));
  ASSIGN_OR_RETURN(m.next_funding_time_ms, f.Int("T"));
  if (m.symbol.value.empty()) return f.Error("s", "empty");
  if (m.mark_price.raw() <= 0) return f.Error("p", absl::StrCat("not a price: ", m.mark_price.ToString()));
  if (m.funding_rate.Abs() > kMaxStreamFundingRate) {
    return f.Error("r", absl::StrCat("not a funding rate: ", m.funding_rate.ToString()));
  }
  if (m.next_funding_time_ms <= 0) return f.Error("T", "not a time");
  return std::optional<MarkPrice>(m);
}

namespace {

bool AllDigits(absl::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "15.30000000" → 15: the whole units of a non-negative decimal of up to 18
// whole digits (more than Fixed holds).
absl::StatusOr<int64_t> WholeUnits(Fields& f, absl::string_view field) {
  ASSIGN_OR_RETURN(const std::string text, f.Str(field));
  const size_t point = text.find('.');
  const absl::string_view whole = absl::string_view(text).substr(0, point);
  const bool decimal = AllDigits(whole) && whole.size() <= 18 &&
                       (point == std::string::npos || AllDigits(absl::string_view(text).substr(point + 1)));
  int64_t units = 0;
  if (!decimal || !absl::SimpleAtoi(whole, &units)) {
    return f.Error(field, absl::StrCat("not a non-negative decimal: '", text, "'"));
  }
  return units;
}

absl::StatusOr<Ticker24h> ReadTicker24h(Fields& f) {
  Ticker24h t;
  ASSIGN_OR_RETURN(t.symbol.value, f.Str("symbol"));
  ASSIGN_OR_RETURN(t.last_price, f.Dec("lastPrice"));
  ASSIGN_OR_RETURN(t.quote_volume, WholeUnits(f, "quoteVolume"));
  ASSIGN_OR_RETURN(t.close_time_ms, f.Int("closeTime"));
  if (t.symbol.value.empty()) return f.Error("symbol", "empty");
  if (t.last_price.raw() < 0) return f.Error("lastPrice", absl::StrCat("not a price: ", t.last_price.ToString()));
  return t;
}

absl::StatusOr<PremiumIndex> ReadPremiumIndex(Fields& f) {
  PremiumIndex p;
  ASSIGN_OR_RETURN(p.symbol.value, f.Str("symbol"));
  ASSIGN_OR_RETURN(p.mark_price, f.Dec("markPrice"));
  ASSIGN_OR_RETURN(const std::optional<std::string> rate, f.OptStr("lastFundingRate"));
  if (rate && !rate->empty()) {
    ASSIGN_OR_RETURN(p.last_funding_rate, f.Dec("lastFundingRate"));
    if (p.last_funding_rate->Abs() > kMaxStreamFundingRate) {
      return f.Error("lastFundingRate", absl::StrCat("not a funding rate: ", *rate));
    }
  }
  ASSIGN_OR_RETURN(p.next_funding_time_ms, f.Int("nextFundingTime"));
  ASSIGN_OR_RETURN(p.time_ms, f.Int("time"));
  if (p.symbol.value.empty()) return f.Error("symbol", "empty");
  if (p.mark_price.raw() < 0) return f.Error("markPrice", absl::StrCat("not a price: ", p.mark_price.ToString()));
  return p;
}

}  // namespace

absl::StatusOr<std::vector<Ticker24h>> ParseTickers24h(absl::string_view json) {
  return ParseOneOrList<Ticker24h>(json, "ticker/24hr", ReadTicker24h);
}

absl::StatusOr<std::vector<PremiumIndex>> ParsePremiumIndexes(absl::string_view json) {
  return ParseOneOrList<PremiumIndex>(json, "premiumIndex", ReadPremiumIndex);
}

absl::StatusOr<std::optional<BookTicker>> ParseBookTickerMessage(absl::string_view json) {
  Json doc(json, Json::From::kStream);
  od::object root, body;
  RETURN_IF_ERROR(doc.Object("book ticker message", &root));
  ASSIGN_OR_RETURN(const bool is_book, StreamEvent(root, "book ticker message", "bookTicker", &body));
  if (!is_book) return std::optional<BookTicker>();
  Fields f(body, "book ticker message");
  BookTicker b;
  ASSIGN_OR_RETURN(b.symbol.value, f.Str("s"));
  ASSIGN_OR_RETURN(b.bid_price, f.Dec("b"));
  ASSIGN_OR_RETURN(b.bid_qty, f.Dec("B"));
  ASSIGN_OR_RETURN(b.ask_price, f.Dec("a"));
  ASSIGN_OR_RETURN(b.ask_qty, f.Dec("A"));
  ASSIGN_OR_RETURN(b.time_ms, f.Int("T"));
  if (b.symbol.value.empty()) return f.Error("s", "empty");
  if (b.bid_price.raw() <= 0 || b.ask_price <= b.bid_price || b.ask_price > kMaxBookPrice) {
    return f.Error("b", absl::StrCat("not a book: bid ", b.bid_price.ToString(), ", ask ", b.ask_price.ToString()));
  }
  return std::optional<BookTicker>(b);
}

}  // namespace apollo::venue::binance
