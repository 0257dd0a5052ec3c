// Kalshi REST payloads: see payloads.h.
#include "engine/venue/kalshi/payloads.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "engine/domain/instrument.h"
#include "engine/domain/status_macros.h"
#include "engine/venue/kalshi/fields.h"

namespace apollo::venue::kalshi {
namespace {

using namespace internal;  // the field rules of fields.h, shared with stream.cc

absl::StatusOr<Market> MarketOf(Fields& f) {
  Market m;
  ASSIGN_OR_RETURN(m.ticker, f.Str("ticker"));
  ASSIGN_OR_RETURN(m.event_ticker, f.Str("event_ticker"));
  ASSIGN_OR_RETURN(m.status, f.Str("status"));
  ASSIGN_OR_RETURN(m.result, f.StrOr("result", ""));
  ASSIGN_OR_RETURN(std::optional<std::string> strike, f.OptStr("strike_type"));
  if (!ParseEnumName(strike.value_or(""), &m.strike_type)) m.strike_type = StrikeType::kNone;
  ASSIGN_OR_RETURN(m.floor_strike, f.OptNumber("floor_strike"));
  ASSIGN_OR_RETURN(m.cap_strike, f.OptNumber("cap_strike"));
  const bool needs_floor = UsesFloor(m.strike_type), needs_cap = UsesCap(m.strike_type);
  if (needs_floor && !m.floor_strike) return f.Error("floor_strike", absl::StrCat("missing for strike_type ", *strike));
  if (needs_cap && !m.cap_strike) return f.Error("cap_strike", absl::StrCat("missing for strike_type ", *strike));
  ASSIGN_OR_RETURN(m.yes_bid, OptDollars(f, "yes_bid_dollars", true));
  ASSIGN_OR_RETURN(m.yes_ask, OptDollars(f, "yes_ask_dollars", true));
  ASSIGN_OR_RETURN(m.no_bid, OptDollars(f, "no_bid_dollars", true));
  ASSIGN_OR_RETURN(m.no_ask, OptDollars(f, "no_ask_dollars", true));
  ASSIGN_OR_RETURN(m.last_price, OptDollars(f, "last_price_dollars", true));
  ASSIGN_OR_RETURN(std::optional<Fixed> volume, f.OptDec("volume_fp"));
  ASSIGN_OR_RETURN(std::optional<Fixed> open_interest, f.OptDec("open_interest_fp"));
  m.volume = volume.value_or(Fixed());
  m.open_interest = open_interest.value_or(Fixed());
  RETURN_IF_ERROR(CheckCount(f, "volume_fp", m.volume));
  RETURN_IF_ERROR(CheckCount(f, "open_interest_fp", m.open_interest));
  ASSIGN_OR_RETURN(std::optional<od::array> ranges, f.OptArray("price_ranges"));
  if (ranges) {
    RETURN_IF_ERROR(payload::ForEachObject<KalshiName>(*ranges, "market price_ranges", [&](od::object& o, size_t i) {
      Fields r(o, absl::StrCat("market price_ranges[", i, "]"));
      PriceBand range;
      ASSIGN_OR_RETURN(range.start, Dollars(r, "start", true));
      ASSIGN_OR_RETURN(range.end, Dollars(r, "end", true));
      ASSIGN_OR_RETURN(range.step, Dollars(r, "step", true));
      if (range.step <= Fixed() || range.end < range.start) return r.Error("step", "an empty or backwards band");
      m.price_ranges.push_back(range);
      return absl::OkStatus();
    }));
  }
  ASSIGN_OR_RETURN(m.open_time_ms, TimeMs(f, "open_time"));
  ASSIGN_OR_RETURN(m.close_time_ms, TimeMs(f, "close_time"));
  ASSIGN_OR_RETURN(m.expected_expiration_ms, TimeMs(f, "expected_expiration_time"));
  return m;
}

absl::StatusOr<Order> OrderOf(Fields& f) {
  Order o;
  ASSIGN_OR_RETURN(o.order_id, f.Str("order_id"));
  ASSIGN_OR_RETURN(o.client_order_id, f.StrOr("client_order_id", ""));
  ASSIGN_OR_RETURN(o.ticker, f.Str("ticker"));
  ASSIGN_OR_RETURN(o.side, f.Str("side"));
  ASSIGN_OR_RETURN(o.action, f.Str("action"));
  if (o.side != "yes" && o.side != "no") return f.Error("side", absl::StrCat("unknown value '", o.side, "'"));
  if (o.action != "buy" && o.action != "sell") return f.Error("action", absl::StrCat("unknown value '", o.action, "'"));
  ASSIGN_OR_RETURN(o.status, StatusField(f));
  ASSIGN_OR_RETURN(o.yes_price, Dollars(f, "yes_price_dollars", true));
  ASSIGN_OR_RETURN(o.no_price, Dollars(f, "no_price_dollars", true));
  ASSIGN_OR_RETURN(o.initial_count, Count(f, "initial_count_fp"));
  ASSIGN_OR_RETURN(o.fill_count, Count(f, "fill_count_fp"));
  ASSIGN_OR_RETURN(o.remaining_count, Count(f, "remaining_count_fp"));
  ASSIGN_OR_RETURN(std::optional<Fixed> taker, OptDollars(f, "taker_fees_dollars", false));
  ASSIGN_OR_RETURN(std::optional<Fixed> maker, OptDollars(f, "maker_fees_dollars", false));
  o.taker_fees = taker.value_or(Fixed());
  o.maker_fees = maker.value_or(Fixed());
  ASSIGN_OR_RETURN(o.created_time_ms, TimeMs(f, "created_time"));
  ASSIGN_OR_RETURN(o.last_update_time_ms, TimeMs(f, "last_update_time"));
  return o;
}

absl::StatusOr<Fill> FillOf(Fields& f) {
  Fill x;
  ASSIGN_OR_RETURN(x.fill_id, f.Str("fill_id"));
  ASSIGN_OR_RETURN(x.trade_id, f.StrOr("trade_id", ""));
  ASSIGN_OR_RETURN(x.order_id, f.Str("order_id"));
  ASSIGN_OR_RETURN(std::optional<std::string> ticker, f.OptStr("ticker"));
  if (!ticker) {
    ASSIGN_OR_RETURN(ticker, f.OptStr("market_ticker"));
  }
  if (!ticker) return f.Error("ticker", "missing (and no market_ticker)");
  x.ticker = *ticker;
  ASSIGN_OR_RETURN(x.side, f.Str("side"));
  ASSIGN_OR_RETURN(x.action, f.Str("action"));
  ASSIGN_OR_RETURN(x.count, Count(f, "count_fp"));
  ASSIGN_OR_RETURN(x.yes_price, Dollars(f, "yes_price_dollars", true));
  ASSIGN_OR_RETURN(x.no_price, Dollars(f, "no_price_dollars", true));
  ASSIGN_OR_RETURN(std::optional<Fixed> fee, OptDollars(f, "fee_cost", false));
  x.fee = fee.value_or(Fixed());
  ASSIGN_OR_RETURN(x.is_taker, f.BoolOr("is_taker", false));
  ASSIGN_OR_RETURN(x.created_time_ms, TimeMs(f, "created_time"));
  return x;
}

absl::StatusOr<Position> PositionOf(Fields& f) {
  Position p;
  ASSIGN_OR_RETURN(p.ticker, f.Str("ticker"));
  ASSIGN_OR_RETURN(p.position, Count(f, "position_fp", /*may_be_negative=*/true));
  ASSIGN_OR_RETURN(p.market_exposure, Dollars(f, "market_exposure_dollars", false));
  ASSIGN_OR_RETURN(std::optional<Fixed> pnl, OptDollars(f, "realized_pnl_dollars", false));
  ASSIGN_OR_RETURN(std::optional<Fixed> fees, OptDollars(f, "fees_paid_dollars", false));
  p.realized_pnl = pnl.value_or(Fixed());
  p.fees_paid = fees.value_or(Fixed());
  return p;
}

absl::StatusOr<Settlement> SettlementOf(Fields& f) {
  Settlement x;
  ASSIGN_OR_RETURN(x.ticker, f.Str("ticker"));
  ASSIGN_OR_RETURN(x.event_ticker, f.StrOr("event_ticker", ""));
  ASSIGN_OR_RETURN(x.result, f.Str("market_result"));
  ASSIGN_OR_RETURN(x.yes_count, Count(f, "yes_count_fp"));
  ASSIGN_OR_RETURN(x.no_count, Count(f, "no_count_fp"));
  ASSIGN_OR_RETURN(x.yes_cost, Dollars(f, "yes_total_cost_dollars", false));
  ASSIGN_OR_RETURN(x.no_cost, Dollars(f, "no_total_cost_dollars", false));
  ASSIGN_OR_RETURN(std::optional<Fixed> fee, OptDollars(f, "fee_cost", false));
  x.fee = fee.value_or(Fixed());
  ASSIGN_OR_RETURN(x.revenue_cents, f.Int("revenue"));
  ASSIGN_OR_RETURN(x.settled_time_ms, TimeMs(f, "settled_time"));
  return x;
}

// `{"<key>": {...}}`: the one object under key, read with `one`.
template <class T, class One>
absl::StatusOr<T> ParseOne(absl::string_view body, absl::string_view what, absl::string_view key, One one) {
  Json doc(body);
  od::object root;
  RETURN_IF_ERROR(doc.Object(what, &root));
  od::value v;
  Fields top(root, std::string(what));
  ASSIGN_OR_RETURN(bool found, top.Find(key, &v));
  if (!found) return top.Error(key, "missing");
  od::object object;
  if (simdjson::error_code e = v.get_object().get(object)) return top.Error(key, payload::Problem(e));
  Fields f(object, std::string(what));
  return one(f);
}

// `{"<key>": [...], "cursor": "..."}`: a page of objects read with `one`.
template <class T, class One>
absl::StatusOr<Page<T>> ParsePage(absl::string_view body, absl::string_view what, absl::string_view key, One one) {
  Json doc(body);
  od::object root;
  RETURN_IF_ERROR(doc.Object(what, &root));
  Fields top(root, std::string(what));
  Page<T> page;
  ASSIGN_OR_RETURN(std::optional<od::array> items, top.OptArray(key));
  if (items) {
    RETURN_IF_ERROR(payload::ForEachObject<KalshiName>(*items, absl::StrCat(what, " ", key), [&](od::object& o, size_t i) {
      Fields f(o, absl::StrCat(what, " ", key, "[", i, "]"));
      ASSIGN_OR_RETURN(T item, one(f));
      page.items.push_back(std::move(item));
      return absl::OkStatus();
    }));
  }
  ASSIGN_OR_RETURN(page.cursor, top.StrOr("cursor", ""));
  return page;
}

std::optional<Fixed> Best(const std::vector<BookLevel>& bids) {
  std::optional<Fixed> best;
  for (const BookLevel& l : bids) {
    if (!best || l.price > *best) best = l.price;
  }
  return best;
}

}  // namespace


bool Market::OnGrid(Fixed price) const { return OnBands(price_ranges, price); }

std::string SubjectDayOfEvent(absl::string_view event_ticker) {
  const size_t dash = event_ticker.rfind('-');
  const absl::string_view code = dash == absl::string_view::npos ? "" : event_ticker.substr(dash + 1);
  if (code.size() != 7) return "";
  static constexpr absl::string_view kMonths[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                  "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
  int year = 0, day = 0, month = 0;
  for (int m = 0; m < 12; ++m) {
    if (code.substr(2, 3) == kMonths[m]) month = m + 1;
  }
  if (month == 0 || !absl::SimpleAtoi(code.substr(0, 2), &year) || !absl::SimpleAtoi(code.substr(5, 2), &day)) return "";
  const absl::CivilDay civil(2000 + year, month, day);
  if (civil.month() != month || civil.day() != day) return "";  // 31FEB is no day
  return absl::FormatCivilTime(civil);
}

absl::StatusOr<Instrument> ListedInstrument(const Market& m) {
  auto refuse = [&](absl::string_view why) {
    return absl::FailedPreconditionError(absl::StrCat("market ", m.ticker, ": ", why));
  };
  if (m.strike_type == StrikeType::kNone) return refuse("its strike type is not one Apollo trades");
  if (m.price_ranges.empty()) return refuse("no price_ranges");
  Instrument i;
  i.kind = InstrumentKind::kBinaryEventContract;
  i.contract_value = Fixed::FromInt(1);
  // Kalshi's bands run from 0 to 1 dollar; what trades is strictly inside:
  // each band's grid prices above 0 and below 1 (bands were read as prices,
  // so the integers below stay small).
  const int64_t one = Fixed::kScale;
  for (const PriceBand& b : m.price_ranges) {
    const int64_t start = b.start.raw(), step = b.step.raw();
    const int64_t first = start > 0 ? start : start + (-start / step + 1) * step;
    const int64_t last = start + (std::min(b.end.raw(), one - 1) - start) / step * step;
    if (first > last) continue;
    i.price_bands.push_back(PriceBand{Fixed::FromRaw(first), Fixed::FromRaw(last), b.step});
    i.min_price = i.price_bands.size() == 1 ? Fixed::FromRaw(first) : std::min(i.min_price, Fixed::FromRaw(first));
    i.max_price = std::max(i.max_price, Fixed::FromRaw(last));
  }
  if (i.price_bands.empty()) return refuse("no price inside its price_ranges");
  i.terms.event = m.event_ticker;
  i.terms.series = m.event_ticker.substr(0, m.event_ticker.rfind('-') == std::string::npos ? 0 : m.event_ticker.rfind('-'));
  i.terms.subject_day = SubjectDayOfEvent(m.event_ticker);
  i.terms.strike_type = m.strike_type;
  if (UsesFloor(m.strike_type)) i.terms.floor_strike = *m.floor_strike;
  if (UsesCap(m.strike_type)) i.terms.cap_strike = *m.cap_strike;
  i.terms.close_time_ms = m.close_time_ms;
  i.terms.expected_expiration_ms = m.expected_expiration_ms;
  if (std::string why = InstrumentProblem(i); !why.empty()) return refuse(why);
  return i;
}

std::optional<Fixed> Orderbook::BestYesBid() const { return Best(yes_bids); }
std::optional<Fixed> Orderbook::BestNoBid() const { return Best(no_bids); }
void Orderbook::Remove(bool yes, Fixed price, Fixed count) {
  std::vector<BookLevel>& bids = yes ? yes_bids : no_bids;
  for (BookLevel& l : bids) {
    if (l.price == price) l.count -= count;
  }
  std::erase_if(bids, [](const BookLevel& l) { return l.count.raw() <= 0; });
}

std::optional<Fixed> Orderbook::BestYesAsk() const {
  std::optional<Fixed> no = BestNoBid();
  if (!no) return std::nullopt;
  return Fixed::FromInt(1) - *no;
}

absl::StatusOr<Market> ParseMarket(absl::string_view body) {
  return ParseOne<Market>(body, "market", "market", MarketOf);
}
absl::StatusOr<Page<Market>> ParseMarkets(absl::string_view body) {
  return ParsePage<Market>(body, "markets", "markets", MarketOf);
}
absl::StatusOr<Order> ParseOrder(absl::string_view body) { return ParseOne<Order>(body, "order", "order", OrderOf); }
absl::StatusOr<Page<Order>> ParseOrders(absl::string_view body) {
  return ParsePage<Order>(body, "orders", "orders", OrderOf);
}
absl::StatusOr<Page<Fill>> ParseFills(absl::string_view body) { return ParsePage<Fill>(body, "fills", "fills", FillOf); }
absl::StatusOr<Page<Position>> ParsePositions(absl::string_view body) {
  return ParsePage<Position>(body, "positions", "market_positions", PositionOf);
}

absl::StatusOr<Page<Settlement>> ParseSettlements(absl::string_view body) {
  return ParsePage<Settlement>(body, "settlements", "settlements", SettlementOf);
}

absl::StatusOr<Orderbook> ParseOrderbook(absl::string_view body) {
  return ParseOne<Orderbook>(body, "orderbook", "orderbook_fp", [](Fields& f) -> absl::StatusOr<Orderbook> {
    Orderbook book;
    RETURN_IF_ERROR(ReadBookSide(f, "yes_dollars", &book.yes_bids));
    RETURN_IF_ERROR(ReadBookSide(f, "no_dollars", &book.no_bids));
    return book;
  });
}

absl::StatusOr<Balance> ParseBalance(absl::string_view body) {
  return payload::ParseObject<KalshiName, Balance>(body, "balance", [](Fields& f) -> absl::StatusOr<Balance> {
    Balance b;
    ASSIGN_OR_RETURN(b.balance, Dollars(f, "balance_dollars", false));
    if (b.balance < Fixed()) return f.Error("balance_dollars", "negative");
    ASSIGN_OR_RETURN(std::optional<int64_t> updated, f.OptInt("updated_ts"));
    b.updated_ts = updated.value_or(0);
    return b;
  });
}

absl::StatusOr<Event> ParseEvent(absl::string_view body) {
  // Markets of one array (the event's, or the answer's top-level one).
  auto markets = [](Fields& f, const std::string& where, std::vector<Market>* out) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<od::array> items, f.OptArray("markets"));
    if (!items) return absl::OkStatus();
    return payload::ForEachObject<KalshiName>(*items, where, [&](od::object& o, size_t i) -> absl::Status {
      Fields m(o, absl::StrCat(where, "[", i, "]"));
      ASSIGN_OR_RETURN(Market market, MarketOf(m));
      out->push_back(std::move(market));
      return absl::OkStatus();
    });
  };
  Json doc(body);
  od::object root;
  RETURN_IF_ERROR(doc.Object("event", &root));
  Fields top(root, "event");
  od::value v;
  ASSIGN_OR_RETURN(bool found, top.Find("event", &v));
  if (!found) return top.Error("event", "missing");
  od::object object;
  if (simdjson::error_code e = v.get_object().get(object)) return top.Error("event", payload::Problem(e));
  Fields f(object, "event");
  Event event;
  ASSIGN_OR_RETURN(event.event_ticker, f.Str("event_ticker"));
  ASSIGN_OR_RETURN(event.series_ticker, f.StrOr("series_ticker", ""));
  ASSIGN_OR_RETURN(event.title, f.StrOr("title", ""));
  RETURN_IF_ERROR(markets(f, "event markets", &event.markets));
  if (event.markets.empty()) RETURN_IF_ERROR(markets(top, "event's markets", &event.markets));
  for (const Market& m : event.markets) {
    if (m.event_ticker != event.event_ticker) {
      return f.Error("markets", absl::StrCat("market ", m.ticker, " is of event ", m.event_ticker));
    }
  }
  return event;
}

absl::StatusOr<ApiLimits> ParseApiLimits(absl::string_view body) {
  return payload::ParseObject<KalshiName, ApiLimits>(body, "limits", [](Fields& f) -> absl::StatusOr<ApiLimits> {
    ApiLimits l;
    ASSIGN_OR_RETURN(l.usage_tier, f.Str("usage_tier"));
    // One bucket: {"refill_rate": tokens a second, "bucket_capacity": tokens}.
    auto bucket = [&f](absl::string_view name, int64_t* refill, int64_t* capacity) -> absl::Status {
      payload::od::value v;
      ASSIGN_OR_RETURN(bool found, f.Find(name, &v));
      if (!found) return f.Error(name, "missing (an answer of the shape before 2026-04-30?)");
      payload::od::object object;
      if (simdjson::error_code e = v.get_object().get(object)) return f.Error(name, payload::Problem(e));
      Fields bucket(object, absl::StrCat(f.what(), ".", name));
      ASSIGN_OR_RETURN(*refill, bucket.Int("refill_rate"));
      ASSIGN_OR_RETURN(*capacity, bucket.Int("bucket_capacity"));
      if (*refill <= 0 || *capacity < *refill) return bucket.Error("bucket_capacity", "not a bucket at least its refill");
      return absl::OkStatus();
    };
    RETURN_IF_ERROR(bucket("read", &l.read_refill, &l.read_capacity));
    RETURN_IF_ERROR(bucket("write", &l.write_refill, &l.write_capacity));
    return l;
  });
}

}  // namespace apollo::venue::kalshi
