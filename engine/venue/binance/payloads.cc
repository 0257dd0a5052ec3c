// simdjson On-Demand readers for the Binance REST payloads of payloads.h.
#include "engine/venue/binance/payloads.h"

#include <simdjson.h>

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/domain/status_macros.h"
#include "engine/venue/binance/json_fields.h"

namespace apollo::venue::binance {
namespace {

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
  ASSIGN_OR_RETURN(std::optional<std::string> contract_type, f.OptStr("contractType"));
  ASSIGN_OR_RETURN(std::optional<std::string> quote_asset, f.OptStr("quoteAsset"));
  s.contract_type = contract_type.value_or("");
  s.quote_asset = quote_asset.value_or("");
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
