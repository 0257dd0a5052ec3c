// REST response rendering (see rest_payloads.h).
#include "tools/fake_binance/rest_payloads.h"

#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tools/fake_binance/json_writer.h"

namespace apollo::fake_binance {
namespace {

int Decimals(Fixed v) {
  int64_t raw = v.raw() < 0 ? -v.raw() : v.raw();
  int places = 8;
  while (places > 0 && raw % 10 == 0) {
    raw /= 10;
    --places;
  }
  return places;
}

// One exchangeInfo "symbols" element: the instrument and its filters.
std::string SymbolInfoJson(const Instrument& inst, const ExchangeConfig& c) {
  // The same lot for limit and market orders.
  auto lot_size = [&inst](const char* type) {
    return JsonObject()
        .Dec("stepSize", inst.step_size)
        .Str("filterType", type)
        .Dec("maxQty", inst.max_qty)
        .Dec("minQty", inst.step_size)
        .Close();
  };
  const std::vector<std::string> filters = {
      JsonObject()
          .Str("minPrice", inst.tick_size.ToString())
          .Str("maxPrice", "1000000")
          .Str("filterType", "PRICE_FILTER")
          .Dec("tickSize", inst.tick_size)
          .Close(),
      lot_size("LOT_SIZE"),
      lot_size("MARKET_LOT_SIZE"),
      JsonObject().Int("limit", c.max_open_orders).Str("filterType", "MAX_NUM_ORDERS").Close(),
      JsonObject().Int("limit", c.max_open_algo_orders).Str("filterType", "MAX_NUM_ALGO_ORDERS").Close(),
      JsonObject().Dec("notional", inst.min_notional).Str("filterType", "MIN_NOTIONAL").Close(),
      JsonObject()
          .Str("multiplierDown", "0.9500")
          .Str("multiplierUp", "1.0500")
          .Str("multiplierDecimal", "4")
          .Str("filterType", "PERCENT_PRICE")
          .Close(),
  };
  return JsonObject()
      .Str("symbol", inst.symbol)
      .Str("pair", inst.symbol)
      .Str("contractType", "PERPETUAL")
      .Int("deliveryDate", 4133404802000)
      .Int("onboardDate", 1569398400000)
      .Str("status", "TRADING")
      .Str("maintMarginPercent", "2.5000")
      .Str("requiredMarginPercent", "5.0000")
      .Str("baseAsset", inst.base_asset)
      .Str("quoteAsset", c.quote_asset)
      .Str("marginAsset", c.quote_asset)
      .Int("pricePrecision", Decimals(inst.tick_size))
      .Int("quantityPrecision", Decimals(inst.step_size))
      .Int("baseAssetPrecision", 8)
      .Int("quotePrecision", 8)
      .Str("underlyingType", "COIN")
      .Raw("underlyingSubType", "[]")
      .Int("settlePlan", 0)
      .Str("triggerProtect", "0.0500")
      .Str("liquidationFee", "0.012500")
      .Str("marketTakeBound", "0.05")
      .Raw("filters", JsonArray(filters))
      .Raw("orderTypes",
           R"(["LIMIT","MARKET","STOP","STOP_MARKET","TAKE_PROFIT","TAKE_PROFIT_MARKET","TRAILING_STOP_MARKET"])")
      .Raw("timeInForce", R"(["GTC","IOC","FOK","GTX"])")
      .Close();
}

}  // namespace

std::string OrderJson(const Order& o) {
  return JsonObject()
      .Int("orderId", o.order_id)
      .Str("symbol", o.symbol)
      .Str("status", OrderStatusName(o.status))
      .Str("clientOrderId", o.client_order_id)
      .Dec("price", o.price)
      .Dec("avgPrice", o.AvgPrice())
      .Dec("origQty", o.orig_qty)
      .Dec("executedQty", o.executed_qty)
      .Dec("cumQty", o.executed_qty)
      .Dec("cumQuote", o.cum_quote)
      .Str("timeInForce", o.time_in_force)
      .Str("type", OrderTypeName(o.type))
      .Bool("reduceOnly", o.reduce_only)
      .Bool("closePosition", o.close_position)
      .Str("side", SideName(o.side))
      .Str("positionSide", "BOTH")
      .Dec("stopPrice", o.stop_price)
      .Str("workingType", "CONTRACT_PRICE")
      .Bool("priceProtect", false)
      .Str("origType", o.orig_type)
      .Str("priceMatch", "NONE")
      .Str("selfTradePreventionMode", "EXPIRE_MAKER")
      .Int("goodTillDate", 0)
      .Int("time", o.time_ms)
      .Int("updateTime", o.update_time_ms)
      .Close();
}

std::string UserTradeJson(const Trade& t, const ExchangeConfig& config) {
  return JsonObject()
      .Str("symbol", t.symbol)
      .Int("id", t.id)
      .Int("orderId", t.order_id)
      .Str("side", SideName(t.side))
      .Dec("price", t.price)
      .Dec("qty", t.qty)
      .Dec("realizedPnl", t.realized_pnl)
      .Str("marginAsset", config.quote_asset)
      .Dec("quoteQty", t.quote_qty)
      .Dec("commission", t.commission)
      .Str("commissionAsset", config.quote_asset)
      .Int("time", t.time_ms)
      .Str("positionSide", "BOTH")
      .Bool("buyer", t.side == Side::kBuy)
      .Bool("maker", t.maker)
      .Close();
}

std::string KlinesJson(const std::vector<Bar>& bars, int64_t interval_ms) {
  std::vector<std::string> rows;
  for (const Bar& b : bars) {
    rows.push_back(absl::StrCat("[", b.open_time_ms, ",\"", b.open.ToString(), "\",\"", b.high.ToString(), "\",\"",
                                b.low.ToString(), "\",\"", b.close.ToString(), "\",\"", b.volume.ToString(), "\",",
                                b.open_time_ms + interval_ms - 1, ",\"0\",0,\"0\",\"0\",\"0\"]"));
  }
  return JsonArray(rows);
}

std::string AlgoOrderJson(const AlgoOrder& a) {
  return JsonObject()
      .Int("algoId", a.algo_id)
      .Str("clientAlgoId", a.client_algo_id)
      .Str("algoType", "CONDITIONAL")
      .Str("orderType", AlgoTypeName(a.type))
      .Str("symbol", a.symbol)
      .Str("side", SideName(a.side))
      .Str("positionSide", "BOTH")
      .Str("timeInForce", a.time_in_force)
      .Dec("quantity", a.quantity)
      .Str("algoStatus", AlgoStatusName(a.status))
      .Str("actualOrderId", a.actual_order_id == 0 ? "" : absl::StrCat(a.actual_order_id))
      .Dec("actualPrice", a.actual_price)
      .Dec("actualQty", a.executed_qty)
      .Dec("triggerPrice", a.trigger_price)
      .Str("price", "0")
      .Str("icebergQuantity", "None")
      .Str("tpTriggerPrice", "0")
      .Str("tpPrice", "0")
      .Str("slTriggerPrice", "0")
      .Str("slPrice", "0")
      .Str("tpOrderType", "")
      .Str("selfTradePreventionMode", "EXPIRE_MAKER")
      .Str("workingType", a.working_type)
      .Str("priceMatch", "NONE")
      .Bool("closePosition", a.close_position)
      .Bool("priceProtect", false)
      .Bool("reduceOnly", a.reduce_only)
      .Int("createTime", a.create_time_ms)
      .Int("updateTime", a.update_time_ms)
      .Int("triggerTime", a.trigger_time_ms)
      .Int("goodTillDate", 0)
      .Close();
}

std::string AlgoCancelJson(const AlgoOrder& a) {
  return JsonObject()
      .Int("algoId", a.algo_id)
      .Str("clientAlgoId", a.client_algo_id)
      .Str("code", "200")
      .Str("msg", "success")
      .Close();
}

std::string PositionRiskJson(const std::vector<PositionSnapshot>& positions, const ExchangeConfig& config,
                             int version) {
  std::vector<std::string> items;
  for (const PositionSnapshot& s : positions) {
    const Position& p = s.position;
    const Fixed notional = p.qty.Mul(s.mark_price);
    if (version >= 3) {
      if (p.qty.is_zero()) continue;
      items.push_back(JsonObject()
                          .Str("symbol", p.symbol)
                          .Str("positionSide", "BOTH")
                          .Dec("positionAmt", p.qty)
                          .Dec("entryPrice", p.entry_price)
                          .Dec("breakEvenPrice", p.entry_price)
                          .Dec("markPrice", s.mark_price)
                          .Dec("unRealizedProfit", s.unrealized_pnl)
                          .Str("liquidationPrice", "0")
                          .Str("isolatedMargin", "0")
                          .Dec("notional", notional)
                          .Str("marginAsset", config.quote_asset)
                          .Str("isolatedWallet", "0")
                          .Dec("initialMargin", s.initial_margin)
                          .Dec("maintMargin", s.maint_margin)
                          .Dec("positionInitialMargin", s.initial_margin)
                          .Dec("openOrderInitialMargin", s.open_order_initial_margin)
                          .Int("adl", 0)
                          .Str("bidNotional", "0")
                          .Str("askNotional", "0")
                          .Int("updateTime", p.update_time_ms)
                          .Close());
      continue;
    }
    items.push_back(JsonObject()
                        .Dec("entryPrice", p.entry_price)
                        .Dec("breakEvenPrice", p.entry_price)
                        .Str("marginType", s.margin_type == "ISOLATED" ? "isolated" : "cross")
                        .Str("isAutoAddMargin", "false")
                        .Str("isolatedMargin", "0.00000000")
                        .Str("leverage", absl::StrCat(s.leverage))
                        .Str("liquidationPrice", "0")
                        .Dec("markPrice", s.mark_price)
                        .Str("maxNotionalValue", "20000000")
                        .Dec("positionAmt", p.qty)
                        .Dec("notional", notional)
                        .Str("isolatedWallet", "0")
                        .Str("symbol", p.symbol)
                        .Dec("unRealizedProfit", s.unrealized_pnl)
                        .Str("positionSide", "BOTH")
                        .Int("updateTime", p.update_time_ms)
                        .Close());
  }
  return JsonArray(items);
}

std::string AccountJson(const AccountSnapshot& a, const ExchangeConfig& config, int version) {
  const Fixed margin_balance = a.wallet_balance + a.unrealized_pnl;
  const Fixed initial = a.position_initial_margin + a.open_order_initial_margin;
  JsonObject asset;
  asset.Str("asset", config.quote_asset)
      .Dec("walletBalance", a.wallet_balance)
      .Dec("unrealizedProfit", a.unrealized_pnl)
      .Dec("marginBalance", margin_balance)
      .Dec("maintMargin", a.maint_margin)
      .Dec("initialMargin", initial)
      .Dec("positionInitialMargin", a.position_initial_margin)
      .Dec("openOrderInitialMargin", a.open_order_initial_margin)
      .Dec("crossWalletBalance", a.wallet_balance)
      .Dec("crossUnPnl", a.unrealized_pnl)
      .Dec("availableBalance", a.available_balance)
      .Dec("maxWithdrawAmount", a.available_balance);
  if (version < 3) asset.Bool("marginAvailable", true);
  asset.Int("updateTime", a.update_time_ms);

  std::vector<std::string> positions;
  for (const PositionSnapshot& s : a.positions) {
    const Position& p = s.position;
    if (version >= 3 && p.qty.is_zero()) continue;
    JsonObject pos;
    pos.Str("symbol", p.symbol)
        .Str("positionSide", "BOTH")
        .Dec("positionAmt", p.qty)
        .Dec("unrealizedProfit", s.unrealized_pnl)
        .Str("isolatedMargin", "0")
        .Dec("notional", p.qty.Mul(s.mark_price))
        .Str("isolatedWallet", "0")
        .Dec("initialMargin", s.initial_margin)
        .Dec("maintMargin", s.maint_margin);
    if (version < 3) {
      pos.Dec("positionInitialMargin", s.initial_margin)
          .Dec("openOrderInitialMargin", s.open_order_initial_margin)
          .Str("leverage", absl::StrCat(s.leverage))
          .Bool("isolated", s.margin_type == "ISOLATED")
          .Dec("entryPrice", p.entry_price)
          .Str("maxNotional", "20000000")
          .Str("bidNotional", "0")
          .Str("askNotional", "0");
    }
    pos.Int("updateTime", p.update_time_ms);
    positions.push_back(pos.Close());
  }

  JsonObject out;
  if (version < 3) {
    out.Int("feeTier", 0)
        .Bool("feeBurn", false)
        .Bool("canTrade", true)
        .Bool("canDeposit", true)
        .Bool("canWithdraw", true)
        .Int("updateTime", 0)
        .Bool("multiAssetsMargin", false)
        .Int("tradeGroupId", -1);
  }
  return out.Dec("totalInitialMargin", initial)
      .Dec("totalMaintMargin", a.maint_margin)
      .Dec("totalWalletBalance", a.wallet_balance)
      .Dec("totalUnrealizedProfit", a.unrealized_pnl)
      .Dec("totalMarginBalance", margin_balance)
      .Dec("totalPositionInitialMargin", a.position_initial_margin)
      .Dec("totalOpenOrderInitialMargin", a.open_order_initial_margin)
      .Dec("totalCrossWalletBalance", a.wallet_balance)
      .Dec("totalCrossUnPnl", a.unrealized_pnl)
      .Dec("availableBalance", a.available_balance)
      .Dec("maxWithdrawAmount", a.available_balance)
      .Raw("assets", JsonArray({asset.Close()}))
      .Raw("positions", JsonArray(positions))
      .Close();
}

std::string BalanceJson(const AccountSnapshot& a, const ExchangeConfig& config) {
  return JsonArray({JsonObject()
                        .Str("accountAlias", "FakeAccount")
                        .Str("asset", config.quote_asset)
                        .Dec("balance", a.wallet_balance)
                        .Dec("crossWalletBalance", a.wallet_balance)
                        .Dec("crossUnPnl", a.unrealized_pnl)
                        .Dec("availableBalance", a.available_balance)
                        .Dec("maxWithdrawAmount", a.available_balance)
                        .Bool("marginAvailable", true)
                        .Int("updateTime", a.update_time_ms)
                        .Close()});
}

std::string ExchangeInfoJson(const std::vector<Instrument>& instruments, const ExchangeConfig& c,
                             const RateLimits& limits, int64_t server_time_ms) {
  auto rate_limit = [](absl::string_view type, absl::string_view interval, int64_t num, int64_t limit) {
    return JsonObject()
        .Str("rateLimitType", type)
        .Str("interval", interval)
        .Int("intervalNum", num)
        .Int("limit", limit)
        .Close();
  };
  auto asset = [](absl::string_view name, absl::string_view auto_exchange) {
    return JsonObject()
        .Str("asset", name)
        .Bool("marginAvailable", true)
        .Str("autoAssetExchange", auto_exchange)
        .Close();
  };
  std::vector<std::string> symbols, assets = {asset(c.quote_asset, "-10000")};
  std::set<std::string> base_assets;
  for (const Instrument& inst : instruments) {
    symbols.push_back(SymbolInfoJson(inst, c));
    if (base_assets.insert(inst.base_asset).second) assets.push_back(asset(inst.base_asset, "-0.00100000"));
  }
  return JsonObject()
      .Str("timezone", "UTC")
      .Int("serverTime", server_time_ms)
      .Str("futuresType", "U_MARGINED")
      .Raw("rateLimits", JsonArray({rate_limit("REQUEST_WEIGHT", "MINUTE", 1, limits.request_weight_1m),
                                    rate_limit("ORDERS", "MINUTE", 1, limits.orders_1m),
                                    rate_limit("ORDERS", "SECOND", 10, limits.orders_10s)}))
      .Raw("exchangeFilters", "[]")
      .Raw("assets", JsonArray(assets))
      .Raw("symbols", JsonArray(symbols))
      .Close();
}

}  // namespace apollo::fake_binance
