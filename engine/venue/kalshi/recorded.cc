#include "engine/venue/kalshi/recorded.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "engine/data/csv_table.h"
#include "engine/domain/instrument.h"
#include "engine/domain/status_macros.h"

namespace apollo::venue::kalshi {
namespace {

using data::CsvTable;

absl::StatusOr<RecordedMarket> MarketRow(const CsvTable& t) {
  RecordedMarket m;
  m.ticker = Symbol{t.Cell("ticker")};
  m.event_date = t.Cell("event_date");
  m.status = t.Cell("status");
  if (m.ticker.empty()) return t.Bad("ticker", "is empty");
  Instrument& inst = m.instrument;
  inst.kind = InstrumentKind::kBinaryEventContract;
  ASSIGN_OR_RETURN(const Fixed tick, t.Cents("tick_size"));
  ASSIGN_OR_RETURN(inst.contract_value, t.Cents("notional_value"));
  if (tick.raw() <= 0 || tick >= inst.contract_value) return t.Bad("tick_size", "is not a tick below the contract value");
  inst.min_price = tick;
  inst.max_price = inst.contract_value - tick;
  inst.price_bands = {PriceBand{inst.min_price, inst.max_price, tick}};
  ContractTerms& terms = inst.terms;
  terms.series = t.Cell("series_ticker");
  terms.event = t.Cell("event_ticker");
  terms.subject_day = m.event_date;
  if (absl::CivilDay day; !absl::ParseCivilTime(m.event_date, &day)) return t.Bad("event_date", "is not a YYYY-MM-DD day");
  terms.title = t.Cell("yes_sub_title");
  if (!ParseEnumName(t.Cell("strike_type"), &terms.strike_type) || terms.strike_type == StrikeType::kNone) {
    return t.Bad("strike_type", "is not a strike type");
  }
  ASSIGN_OR_RETURN(std::optional<Fixed> floor, t.OptDecimal("floor_strike"));
  ASSIGN_OR_RETURN(std::optional<Fixed> cap, t.OptDecimal("cap_strike"));
  const bool needs_floor = UsesFloor(terms.strike_type), needs_cap = UsesCap(terms.strike_type);
  if (needs_floor != floor.has_value()) return t.Bad("floor_strike", needs_floor ? "is missing" : "does not belong to this strike type");
  if (needs_cap != cap.has_value()) return t.Bad("cap_strike", needs_cap ? "is missing" : "does not belong to this strike type");
  terms.floor_strike = floor.value_or(Fixed());
  terms.cap_strike = cap.value_or(Fixed());
  ASSIGN_OR_RETURN(m.open_time_ms, t.TimeMs("open_time"));
  ASSIGN_OR_RETURN(terms.close_time_ms, t.TimeMs("close_time"));
  ASSIGN_OR_RETURN(terms.expected_expiration_ms, t.TimeMs("expected_expiration_time"));
  if (!t.Blank("result")) {
    MarketResult r;
    if (!ParseEnumName(t.Cell("result"), &r)) return t.Bad("result", "is neither yes nor no");
    m.result = r;
  }
  if (std::string why = InstrumentProblem(inst); !why.empty()) return t.Bad("ticker", why);
  return m;
}

}  // namespace

absl::StatusOr<std::vector<RecordedMarket>> ReadRecordedMarkets(const std::string& path) {
  ASSIGN_OR_RETURN(CsvTable t, CsvTable::Open(path, {"series_ticker", "event_ticker", "event_date", "ticker", "strike_type",
                                               "floor_strike", "cap_strike", "yes_sub_title", "open_time", "close_time",
                                               "expected_expiration_time", "status", "result", "tick_size",
                                               "notional_value"}));
  std::vector<RecordedMarket> out;
  while (true) {
    ASSIGN_OR_RETURN(bool more, t.Next());
    if (!more) break;
    ASSIGN_OR_RETURN(RecordedMarket m, MarketRow(t));
    out.push_back(std::move(m));
  }
  return out;
}

absl::StatusOr<std::vector<RecordedTrade>> ReadRecordedTrades(const std::string& path) {
  ASSIGN_OR_RETURN(CsvTable t, CsvTable::Open(path, {"trade_id", "ticker", "created_time", "yes_price", "no_price", "count",
                                               "taker_side"}));
  std::vector<RecordedTrade> out;
  while (true) {
    ASSIGN_OR_RETURN(bool more, t.Next());
    if (!more) break;
    RecordedTrade r;
    r.ticker = Symbol{t.Cell("ticker")};
    r.trade_id = t.Cell("trade_id");
    if (r.ticker.empty() || r.trade_id.empty()) return t.Bad(r.ticker.empty() ? "ticker" : "trade_id", "is empty");
    ASSIGN_OR_RETURN(r.time_ms, t.TimeMs("created_time"));
    ASSIGN_OR_RETURN(r.yes_price, t.Cents("yes_price"));
    ASSIGN_OR_RETURN(const Fixed no_price, t.Cents("no_price"));
    if (r.yes_price.raw() <= 0 || no_price.raw() <= 0 || r.yes_price + no_price != Fixed::FromInt(1)) {
      return t.Bad("yes_price", absl::StrCat("and no_price ", t.Cell("no_price"), " do not make 100 cents"));
    }
    ASSIGN_OR_RETURN(const int64_t count, t.Int("count"));
    if (count <= 0 || count > 10'000'000) return t.Bad("count", "is not a number of contracts");
    r.count = Fixed::FromInt(count);
    if (t.Cell("taker_side") != "yes" && t.Cell("taker_side") != "no") return t.Bad("taker_side", "is neither yes nor no");
    r.taker_bought_yes = t.Cell("taker_side") == "yes";
    if (!out.empty() && r.time_ms < out.back().time_ms) return t.Bad("created_time", "is before the row above it");
    out.push_back(std::move(r));
  }
  return out;
}

absl::StatusOr<std::vector<RecordedSettlement>> ReadRecordedSettlements(const std::string& path) {
  ASSIGN_OR_RETURN(CsvTable t, CsvTable::Open(path, {"series_ticker", "event_ticker", "event_date", "station_in_rules",
                                               "yes_ticker", "implied_high_min_f", "implied_high_max_f"}));
  std::vector<RecordedSettlement> out;
  while (true) {
    ASSIGN_OR_RETURN(bool more, t.Next());
    if (!more) break;
    RecordedSettlement s{t.Cell("series_ticker"), t.Cell("event_ticker"), t.Cell("event_date"),
                         t.Cell("station_in_rules"), t.Cell("yes_ticker"), std::nullopt, std::nullopt};
    for (auto [column, field] : {std::pair{"implied_high_min_f", &s.high_min_f}, std::pair{"implied_high_max_f", &s.high_max_f}}) {
      if (t.Blank(column)) continue;
      ASSIGN_OR_RETURN(const int64_t f, t.Int(column));
      if (f < -100 || f > 150) return t.Bad(column, "is not a temperature");
      *field = static_cast<int>(f);
    }
    if (!s.high_min_f && !s.high_max_f) return t.Bad("implied_high_min_f", "and implied_high_max_f are both blank");
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace apollo::venue::kalshi
