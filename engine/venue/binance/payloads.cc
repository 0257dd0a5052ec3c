// simdjson On-Demand readers for the Binance REST payloads of payloads.h.
#include "engine/venue/binance/payloads.h"

#include <simdjson.h>

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/domain/status_macros.h"

namespace apollo::venue::binance {
namespace {

namespace od = simdjson::ondemand;

// Debian's Abseil has its own string_view; simdjson takes the standard one.
std::string_view Std(absl::string_view s) { return std::string_view(s.data(), s.size()); }

std::string Problem(simdjson::error_code e) {
  switch (e) {
    case simdjson::NO_SUCH_FIELD: return "missing";
    case simdjson::INCORRECT_TYPE: return "wrong type";
    default: return absl::StrCat("malformed JSON (", simdjson::error_message(e), ")");
  }
}

absl::Status Malformed(absl::string_view what, simdjson::error_code e) {
  return absl::InvalidArgumentError(
      absl::StrCat("binance ", what, ": malformed JSON (", simdjson::error_message(e), ")"));
}

// Reads the fields of one JSON object, naming payload and field in errors.
class Fields {
 public:
  Fields(od::object& object, std::string what) : object_(object), what_(std::move(what)) {}

  const std::string& what() const { return what_; }

  absl::Status Error(absl::string_view field, absl::string_view problem) const {
    return absl::InvalidArgumentError(absl::StrCat("binance ", what_, ": field '", field, "': ", problem));
  }

  // NO_SUCH_FIELD and null both mean "absent" (returns false).
  absl::StatusOr<bool> Find(absl::string_view field, od::value* out) {
    simdjson::error_code e = object_.find_field_unordered(Std(field)).get(*out);
    if (e == simdjson::NO_SUCH_FIELD) return false;
    if (e) return Error(field, Problem(e));
    od::json_type type;
    if (simdjson::error_code te = out->type().get(type)) return Error(field, Problem(te));
    return type != od::json_type::null;
  }

  absl::StatusOr<std::optional<std::string>> OptStr(absl::string_view field) {
    od::value v;
    ASSIGN_OR_RETURN(bool found, Find(field, &v));
    if (!found) return std::optional<std::string>();
    std::string_view s;
    if (simdjson::error_code e = v.get_string().get(s)) return Error(field, Problem(e));
    return std::optional<std::string>(std::string(s));
  }
  absl::StatusOr<std::string> Str(absl::string_view field) {
    ASSIGN_OR_RETURN(std::optional<std::string> s, OptStr(field));
    if (!s) return Error(field, "missing");
    return *std::move(s);
  }

  absl::StatusOr<std::optional<Fixed>> OptDec(absl::string_view field) {
    ASSIGN_OR_RETURN(std::optional<std::string> s, OptStr(field));
    if (!s) return std::optional<Fixed>();
    absl::StatusOr<Fixed> value = Fixed::Parse(*s);
    if (!value.ok()) return Error(field, absl::StrCat("not a decimal: '", *s, "'"));
    return std::optional<Fixed>(*value);
  }
  absl::StatusOr<Fixed> Dec(absl::string_view field) {
    ASSIGN_OR_RETURN(std::optional<Fixed> d, OptDec(field));
    if (!d) return Error(field, "missing");
    return *d;
  }
  absl::StatusOr<Fixed> DecOr(absl::string_view field, Fixed fallback) {
    ASSIGN_OR_RETURN(std::optional<Fixed> d, OptDec(field));
    return d.value_or(fallback);
  }

  absl::StatusOr<std::optional<int64_t>> OptInt(absl::string_view field) {
    od::value v;
    ASSIGN_OR_RETURN(bool found, Find(field, &v));
    if (!found) return std::optional<int64_t>();
    int64_t i = 0;
    if (simdjson::error_code e = v.get_int64().get(i)) return Error(field, Problem(e));
    return std::optional<int64_t>(i);
  }
  absl::StatusOr<int64_t> Int(absl::string_view field) {
    ASSIGN_OR_RETURN(std::optional<int64_t> i, OptInt(field));
    if (!i) return Error(field, "missing");
    return *i;
  }

  absl::StatusOr<bool> BoolOr(absl::string_view field, bool fallback) {
    od::value v;
    ASSIGN_OR_RETURN(bool found, Find(field, &v));
    if (!found) return fallback;
    bool b = false;
    if (simdjson::error_code e = v.get_bool().get(b)) return Error(field, Problem(e));
    return b;
  }

  // An id Binance sends as a number in one payload and a string in another.
  absl::StatusOr<std::string> IdOr(absl::string_view field, std::string fallback) {
    od::value v;
    ASSIGN_OR_RETURN(bool found, Find(field, &v));
    if (!found) return fallback;
    od::json_type type;
    if (simdjson::error_code e = v.type().get(type)) return Error(field, Problem(e));
    if (type == od::json_type::string) {
      std::string_view s;
      if (simdjson::error_code e = v.get_string().get(s)) return Error(field, Problem(e));
      return std::string(s);
    }
    int64_t i = 0;
    if (simdjson::error_code e = v.get_int64().get(i)) return Error(field, Problem(e));
    return absl::StrCat(i);
  }

  absl::StatusOr<std::optional<od::array>> OptArray(absl::string_view field) {
    od::value v;
    ASSIGN_OR_RETURN(bool found, Find(field, &v));
    if (!found) return std::optional<od::array>();
    od::array a;
    if (simdjson::error_code e = v.get_array().get(a)) return Error(field, Problem(e));
    return std::optional<od::array>(a);
  }
  absl::StatusOr<od::array> Array(absl::string_view field) {
    ASSIGN_OR_RETURN(std::optional<od::array> a, OptArray(field));
    if (!a) return Error(field, "missing");
    return *a;
  }

  template <class E>
  absl::StatusOr<E> Enum(absl::string_view field) {
    ASSIGN_OR_RETURN(std::string name, Str(field));
    E value;
    if (!ParseEnumName(name, &value)) return Error(field, absl::StrCat("unknown value '", name, "'"));
    return value;
  }

 private:
  od::object& object_;
  std::string what_;
};

// Owns the parser and the padded copy a document needs.
class Json {
 public:
  explicit Json(absl::string_view text) : padded_(text.data(), text.size()) {}

  absl::Status Object(absl::string_view what, od::object* out) {
    if (simdjson::error_code e = parser_.iterate(padded_).get(doc_)) return Malformed(what, e);
    simdjson::error_code e = doc_.get_object().get(*out);
    if (e == simdjson::INCORRECT_TYPE) {
      return absl::InvalidArgumentError(absl::StrCat("binance ", what, ": expected a JSON object"));
    }
    if (e) return Malformed(what, e);
    return absl::OkStatus();
  }
  absl::Status Array(absl::string_view what, od::array* out) {
    if (simdjson::error_code e = parser_.iterate(padded_).get(doc_)) return Malformed(what, e);
    simdjson::error_code e = doc_.get_array().get(*out);
    if (e == simdjson::INCORRECT_TYPE) {
      return absl::InvalidArgumentError(absl::StrCat("binance ", what, ": expected a JSON array"));
    }
    if (e) return Malformed(what, e);
    return absl::OkStatus();
  }

 private:
  od::parser parser_;
  simdjson::padded_string padded_;
  od::document doc_;
};

// Calls read(object, index) for each element of `array`, which must all be objects.
template <class Read>
absl::Status ForEachObject(od::array& array, absl::string_view what, Read read) {
  size_t index = 0;
  for (auto element : array) {
    od::object object;
    if (simdjson::error_code e = element.get_object().get(object)) {
      return absl::InvalidArgumentError(
          absl::StrCat("binance ", what, "[", index, "]: ", e == simdjson::INCORRECT_TYPE ? "not an object" : Problem(e)));
    }
    RETURN_IF_ERROR(read(object, index));
    ++index;
  }
  return absl::OkStatus();
}

// An array payload whose elements each parse with `one`.
template <class T, class One>
absl::StatusOr<std::vector<T>> ParseList(absl::string_view json, absl::string_view what, One one) {
  Json doc(json);
  od::array array;
  RETURN_IF_ERROR(doc.Array(what, &array));
  std::vector<T> out;
  RETURN_IF_ERROR(ForEachObject(array, what, [&](od::object& object, size_t index) -> absl::Status {
    Fields f(object, absl::StrCat(what, "[", index, "]"));
    ASSIGN_OR_RETURN(T item, one(f));
    out.push_back(std::move(item));
    return absl::OkStatus();
  }));
  return out;
}

// ---- readers of one object ------------------------------------------------

absl::StatusOr<OrderResult> ReadOrder(Fields& f) {
  OrderResult o;
  ASSIGN_OR_RETURN(o.symbol.value, f.Str("symbol"));
  ASSIGN_OR_RETURN(int64_t order_id, f.Int("orderId"));
  o.order_id.value = absl::StrCat(order_id);
  ASSIGN_OR_RETURN(o.client_order_id.value, f.Str("clientOrderId"));
  ASSIGN_OR_RETURN(std::string status, f.Str("status"));
  absl::StatusOr<OrderStatus> parsed = ParseOrderStatus(status);
  if (!parsed.ok()) return f.Error("status", absl::StrCat("unknown value '", status, "'"));
  o.status = *parsed;
  ASSIGN_OR_RETURN(o.side, f.Enum<Side>("side"));
  ASSIGN_OR_RETURN(o.type, f.Str("type"));
  ASSIGN_OR_RETURN(o.orig_qty, f.Dec("origQty"));
  ASSIGN_OR_RETURN(o.executed_qty, f.Dec("executedQty"));
  ASSIGN_OR_RETURN(o.price, f.DecOr("price", Fixed()));
  ASSIGN_OR_RETURN(o.avg_price, f.DecOr("avgPrice", Fixed()));
  ASSIGN_OR_RETURN(o.cum_quote, f.DecOr("cumQuote", Fixed()));
  ASSIGN_OR_RETURN(o.reduce_only, f.BoolOr("reduceOnly", false));
  ASSIGN_OR_RETURN(o.update_time_ms, f.Int("updateTime"));
  return o;
}

absl::StatusOr<AlgoOrderResult> ReadAlgoOrder(Fields& f) {
  AlgoOrderResult a;
  ASSIGN_OR_RETURN(int64_t algo_id, f.Int("algoId"));
  a.algo_id.value = absl::StrCat(algo_id);
  ASSIGN_OR_RETURN(a.client_algo_id.value, f.Str("clientAlgoId"));
  ASSIGN_OR_RETURN(a.symbol.value, f.Str("symbol"));
  ASSIGN_OR_RETURN(a.side, f.Enum<Side>("side"));
  ASSIGN_OR_RETURN(std::optional<std::string> order_type, f.OptStr("orderType"));
  if (!order_type) {
    ASSIGN_OR_RETURN(order_type, f.OptStr("type"));
    if (!order_type) return f.Error("orderType", "missing (nor 'type')");
  }
  a.order_type = *std::move(order_type);
  ASSIGN_OR_RETURN(std::string status, f.Str("algoStatus"));
  absl::StatusOr<AlgoStatus> parsed = ParseAlgoStatus(status);
  if (!parsed.ok()) return f.Error("algoStatus", absl::StrCat("unknown value '", status, "'"));
  a.status = *parsed;
  ASSIGN_OR_RETURN(a.trigger_price, f.Dec("triggerPrice"));
  ASSIGN_OR_RETURN(a.quantity, f.DecOr("quantity", Fixed()));
  ASSIGN_OR_RETURN(std::optional<std::string> working_type, f.OptStr("workingType"));
  a.working_type = working_type.value_or("");
  ASSIGN_OR_RETURN(a.reduce_only, f.BoolOr("reduceOnly", false));
  ASSIGN_OR_RETURN(a.close_position, f.BoolOr("closePosition", false));
  ASSIGN_OR_RETURN(a.actual_order_id, f.IdOr("actualOrderId", ""));
  ASSIGN_OR_RETURN(std::optional<int64_t> update_time, f.OptInt("updateTime"));
  a.update_time_ms = update_time.value_or(0);
  return a;
}

absl::StatusOr<PositionRisk> ReadPosition(Fields& f) {
  PositionRisk p;
  ASSIGN_OR_RETURN(p.symbol.value, f.Str("symbol"));
  ASSIGN_OR_RETURN(p.position_side, f.Str("positionSide"));
  ASSIGN_OR_RETURN(p.position_amt, f.Dec("positionAmt"));
  ASSIGN_OR_RETURN(p.entry_price, f.Dec("entryPrice"));
  ASSIGN_OR_RETURN(p.mark_price, f.Dec("markPrice"));
  ASSIGN_OR_RETURN(p.unrealized_pnl, f.Dec("unRealizedProfit"));
  ASSIGN_OR_RETURN(p.liquidation_price, f.Dec("liquidationPrice"));
  ASSIGN_OR_RETURN(p.break_even_price, f.OptDec("breakEvenPrice"));
  ASSIGN_OR_RETURN(p.leverage, f.OptDec("leverage"));
  ASSIGN_OR_RETURN(p.update_time_ms, f.Int("updateTime"));
  return p;
}

absl::StatusOr<Balance> ReadBalance(Fields& f) {
  Balance b;
  ASSIGN_OR_RETURN(b.asset, f.Str("asset"));
  ASSIGN_OR_RETURN(b.balance, f.Dec("balance"));
  ASSIGN_OR_RETURN(b.cross_wallet_balance, f.Dec("crossWalletBalance"));
  ASSIGN_OR_RETURN(b.cross_unrealized_pnl, f.Dec("crossUnPnl"));
  ASSIGN_OR_RETURN(b.available_balance, f.Dec("availableBalance"));
  ASSIGN_OR_RETURN(b.update_time_ms, f.Int("updateTime"));
  return b;
}

// One exchangeInfo symbol: scalars first, then its filters array.
absl::StatusOr<SymbolFilters> ReadSymbol(Fields& f) {
  SymbolFilters s;
  ASSIGN_OR_RETURN(s.symbol.value, f.Str("symbol"));
  ASSIGN_OR_RETURN(s.status, f.Str("status"));
  ASSIGN_OR_RETURN(od::array filters, f.Array("filters"));
  const std::string what = absl::StrCat("exchangeInfo symbol ", s.symbol.value, " filters");
  bool price = false, lot = false, market_lot = false, notional = false;
  RETURN_IF_ERROR(ForEachObject(filters, what, [&](od::object& object, size_t index) -> absl::Status {
    Fields filter(object, absl::StrCat(what, "[", index, "]"));
    ASSIGN_OR_RETURN(std::string type, filter.Str("filterType"));
    if (type == "PRICE_FILTER") {
      ASSIGN_OR_RETURN(s.tick_size, filter.Dec("tickSize"));
      price = true;
    } else if (type == "LOT_SIZE") {
      ASSIGN_OR_RETURN(s.lot_step, filter.Dec("stepSize"));
      ASSIGN_OR_RETURN(s.min_qty, filter.Dec("minQty"));
      ASSIGN_OR_RETURN(s.max_qty, filter.Dec("maxQty"));
      lot = true;
    } else if (type == "MARKET_LOT_SIZE") {
      ASSIGN_OR_RETURN(s.market_lot_step, filter.Dec("stepSize"));
      market_lot = true;
    } else if (type == "MIN_NOTIONAL") {
      ASSIGN_OR_RETURN(s.min_notional, filter.Dec("notional"));
      notional = true;
    }
    return absl::OkStatus();
  }));
  const std::pair<bool, absl::string_view> required[] = {
      {price, "PRICE_FILTER"}, {lot, "LOT_SIZE"}, {market_lot, "MARKET_LOT_SIZE"}, {notional, "MIN_NOTIONAL"}};
  for (const auto& [seen, name] : required) {
    if (!seen) return f.Error("filters", absl::StrCat(name, " missing"));
  }
  if (s.tick_size <= Fixed() || s.lot_step <= Fixed() || s.market_lot_step <= Fixed()) {
    return f.Error("filters", "tickSize and stepSize must be positive");
  }
  return s;
}

}  // namespace

risk::Filters SymbolFilters::ToRiskFilters() const {
  return risk::Filters{tick_size, std::max(lot_step, market_lot_step), min_notional, min_qty, max_qty};
}

absl::StatusOr<OrderStatus> ParseOrderStatus(absl::string_view s) {
  if (s == "NEW") return OrderStatus::kAccepted;
  if (s == "PARTIALLY_FILLED") return OrderStatus::kPartiallyFilled;
  if (s == "FILLED") return OrderStatus::kFilled;
  if (s == "CANCELED") return OrderStatus::kCancelled;
  if (s == "EXPIRED" || s == "EXPIRED_IN_MATCH") return OrderStatus::kExpired;
  if (s == "REJECTED") return OrderStatus::kRejected;
  return absl::InvalidArgumentError(absl::StrCat("binance: unknown order status '", s, "'"));
}

absl::StatusOr<AlgoStatus> ParseAlgoStatus(absl::string_view s) {
  for (AlgoStatus a : {AlgoStatus::kNew, AlgoStatus::kTriggering, AlgoStatus::kTriggered, AlgoStatus::kFinished,
                       AlgoStatus::kCanceled, AlgoStatus::kRejected, AlgoStatus::kExpired}) {
    if (AlgoStatusName(a) == s) return a;
  }
  return absl::InvalidArgumentError(absl::StrCat("binance: unknown algo status '", s, "'"));
}

absl::string_view AlgoStatusName(AlgoStatus status) {
  switch (status) {
    case AlgoStatus::kNew: return "NEW";
    case AlgoStatus::kTriggering: return "TRIGGERING";
    case AlgoStatus::kTriggered: return "TRIGGERED";
    case AlgoStatus::kFinished: return "FINISHED";
    case AlgoStatus::kCanceled: return "CANCELED";
    case AlgoStatus::kRejected: return "REJECTED";
    case AlgoStatus::kExpired: return "EXPIRED";
  }
  return "UNKNOWN";
}

absl::StatusOr<ExchangeInfo> ParseExchangeInfo(absl::string_view json) {
  Json doc(json);
  od::object root;
  RETURN_IF_ERROR(doc.Object("exchangeInfo", &root));
  Fields f(root, "exchangeInfo");
  ExchangeInfo info;
  ASSIGN_OR_RETURN(info.server_time_ms, f.Int("serverTime"));
  ASSIGN_OR_RETURN(std::optional<od::array> limits, f.OptArray("rateLimits"));
  if (limits) {
    RETURN_IF_ERROR(ForEachObject(*limits, "exchangeInfo rateLimits", [&](od::object& object, size_t index) -> absl::Status {
      Fields limit(object, absl::StrCat("exchangeInfo rateLimits[", index, "]"));
      ASSIGN_OR_RETURN(std::string type, limit.Str("rateLimitType"));
      ASSIGN_OR_RETURN(std::string interval, limit.Str("interval"));
      ASSIGN_OR_RETURN(int64_t interval_num, limit.Int("intervalNum"));
      ASSIGN_OR_RETURN(int64_t value, limit.Int("limit"));
      if (type == "REQUEST_WEIGHT" && interval == "MINUTE" && interval_num == 1) {
        info.request_weight_limit_1m = value;
      } else if (type == "ORDERS" && interval == "SECOND" && interval_num == 10) {
        info.order_limit_10s = value;
      } else if (type == "ORDERS" && interval == "MINUTE" && interval_num == 1) {
        info.order_limit_1m = value;
      }
      return absl::OkStatus();
    }));
  }
  ASSIGN_OR_RETURN(od::array symbols, f.Array("symbols"));
  RETURN_IF_ERROR(ForEachObject(symbols, "exchangeInfo symbols", [&](od::object& object, size_t index) -> absl::Status {
    Fields symbol(object, absl::StrCat("exchangeInfo symbols[", index, "]"));
    ASSIGN_OR_RETURN(SymbolFilters s, ReadSymbol(symbol));
    std::string name = s.symbol.value;
    info.symbols.insert_or_assign(std::move(name), std::move(s));
    return absl::OkStatus();
  }));
  return info;
}

absl::StatusOr<OrderResult> ParseOrder(absl::string_view json) {
  Json doc(json);
  od::object root;
  RETURN_IF_ERROR(doc.Object("order", &root));
  Fields f(root, "order");
  return ReadOrder(f);
}

absl::StatusOr<std::vector<OrderResult>> ParseOrders(absl::string_view json) {
  return ParseList<OrderResult>(json, "openOrders", ReadOrder);
}

absl::StatusOr<AlgoOrderResult> ParseAlgoOrder(absl::string_view json) {
  Json doc(json);
  od::object root;
  RETURN_IF_ERROR(doc.Object("algoOrder", &root));
  Fields f(root, "algoOrder");
  return ReadAlgoOrder(f);
}

absl::StatusOr<std::vector<AlgoOrderResult>> ParseAlgoOrders(absl::string_view json) {
  return ParseList<AlgoOrderResult>(json, "openAlgoOrders", ReadAlgoOrder);
}

absl::StatusOr<AlgoCancelResult> ParseAlgoCancel(absl::string_view json) {
  Json doc(json);
  od::object root;
  RETURN_IF_ERROR(doc.Object("algoOrder cancel", &root));
  Fields f(root, "algoOrder cancel");
  AlgoCancelResult c;
  ASSIGN_OR_RETURN(int64_t algo_id, f.Int("algoId"));
  c.algo_id.value = absl::StrCat(algo_id);
  ASSIGN_OR_RETURN(c.client_algo_id.value, f.Str("clientAlgoId"));
  return c;
}

absl::StatusOr<std::vector<PositionRisk>> ParsePositionRisk(absl::string_view json) {
  return ParseList<PositionRisk>(json, "positionRisk", ReadPosition);
}

absl::StatusOr<Account> ParseAccount(absl::string_view json) {
  Json doc(json);
  od::object root;
  RETURN_IF_ERROR(doc.Object("account", &root));
  Fields f(root, "account");
  Account a;
  ASSIGN_OR_RETURN(a.total_wallet_balance, f.Dec("totalWalletBalance"));
  ASSIGN_OR_RETURN(a.total_unrealized_pnl, f.Dec("totalUnrealizedProfit"));
  ASSIGN_OR_RETURN(a.total_margin_balance, f.Dec("totalMarginBalance"));
  ASSIGN_OR_RETURN(a.total_initial_margin, f.Dec("totalInitialMargin"));
  ASSIGN_OR_RETURN(a.total_maint_margin, f.Dec("totalMaintMargin"));
  ASSIGN_OR_RETURN(a.available_balance, f.Dec("availableBalance"));
  ASSIGN_OR_RETURN(od::array assets, f.Array("assets"));
  RETURN_IF_ERROR(ForEachObject(assets, "account assets", [&](od::object& object, size_t index) -> absl::Status {
    Fields g(object, absl::StrCat("account assets[", index, "]"));
    AccountAsset asset;
    ASSIGN_OR_RETURN(asset.asset, g.Str("asset"));
    ASSIGN_OR_RETURN(asset.wallet_balance, g.Dec("walletBalance"));
    ASSIGN_OR_RETURN(asset.unrealized_pnl, g.Dec("unrealizedProfit"));
    ASSIGN_OR_RETURN(asset.margin_balance, g.Dec("marginBalance"));
    ASSIGN_OR_RETURN(asset.available_balance, g.Dec("availableBalance"));
    a.assets.push_back(std::move(asset));
    return absl::OkStatus();
  }));
  ASSIGN_OR_RETURN(od::array positions, f.Array("positions"));
  RETURN_IF_ERROR(ForEachObject(positions, "account positions", [&](od::object& object, size_t index) -> absl::Status {
    Fields g(object, absl::StrCat("account positions[", index, "]"));
    AccountPosition p;
    ASSIGN_OR_RETURN(p.symbol.value, g.Str("symbol"));
    ASSIGN_OR_RETURN(p.position_side, g.Str("positionSide"));
    ASSIGN_OR_RETURN(p.position_amt, g.Dec("positionAmt"));
    ASSIGN_OR_RETURN(p.unrealized_pnl, g.Dec("unrealizedProfit"));
    a.positions.push_back(std::move(p));
    return absl::OkStatus();
  }));
  return a;
}

absl::StatusOr<std::vector<Balance>> ParseBalances(absl::string_view json) {
  return ParseList<Balance>(json, "balance", ReadBalance);
}

absl::StatusOr<std::string> ParseListenKey(absl::string_view json) {
  Json doc(json);
  od::object root;
  RETURN_IF_ERROR(doc.Object("listenKey", &root));
  Fields f(root, "listenKey");
  ASSIGN_OR_RETURN(std::string key, f.Str("listenKey"));
  if (key.empty()) return f.Error("listenKey", "empty");
  return key;
}

absl::StatusOr<int64_t> ParseServerTime(absl::string_view json) {
  Json doc(json);
  od::object root;
  RETURN_IF_ERROR(doc.Object("time", &root));
  Fields f(root, "time");
  return f.Int("serverTime");
}

absl::StatusOr<BinanceError> ParseError(absl::string_view json) {
  Json doc(json);
  od::object root;
  RETURN_IF_ERROR(doc.Object("error", &root));
  Fields f(root, "error");
  BinanceError error;
  ASSIGN_OR_RETURN(int64_t code, f.Int("code"));
  if (code < INT32_MIN || code > INT32_MAX) return f.Error("code", "out of range");
  error.code = static_cast<int>(code);
  ASSIGN_OR_RETURN(error.msg, f.Str("msg"));
  return error;
}

}  // namespace apollo::venue::binance
