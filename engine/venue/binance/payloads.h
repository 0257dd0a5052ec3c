// Binance USDⓈ-M REST payloads → domain types: bytes in, typed values out,
// no decisions. Parsed with simdjson On-Demand; every decimal string goes
// through Fixed::Parse (Binance sends prices and quantities as strings, and
// so must they stay exact). Malformed JSON, a missing required field, a wrong
// type or a bad decimal is InvalidArgument naming the payload and the field,
// e.g. "binance order: field 'executedQty': not a decimal: 'abc'"; nothing
// here can crash on hostile input.
//
//   ASSIGN_OR_RETURN(ExchangeInfo info, ParseExchangeInfo(response.body));
//   risk::Filters f = info.symbols.at("BTCUSDT").ToRiskFilters();
//   ASSIGN_OR_RETURN(OrderResult order, ParseOrder(response.body));
//
// Shapes follow the recorded payloads in tests/data/binance/ (docs examples,
// SDK fixtures and captured exchangeInfo). Fields the engine does not use are
// ignored; fields a payload version may lack (avgPrice/cumQuote in an ACK
// order response, leverage in positionRisk v3) are optional and say so below.
#ifndef APOLLO_ENGINE_VENUE_BINANCE_PAYLOADS_H_
#define APOLLO_ENGINE_VENUE_BINANCE_PAYLOADS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/domain/fixed.h"
#include "engine/domain/types.h"
#include "engine/risk/risk.h"
#include "engine/venue/binance/error.h"

namespace apollo::venue::binance {

// ---- GET /fapi/v1/exchangeInfo -------------------------------------------
// One symbol's order filters. Filters change over time (BTCUSDT tick was 0.01
// in 2021 and 0.10 in 2022), so they are always read, never assumed.
struct SymbolFilters {
  Symbol symbol;
  std::string status;     // "TRADING", "PENDING_TRADING", ...
  std::string contract_type;  // "PERPETUAL", "CURRENT_QUARTER", ...; "" if absent
  std::string quote_asset;    // "USDT", "USDC", ...; "" if absent
  Fixed tick_size;        // PRICE_FILTER.tickSize
  Fixed lot_step;         // LOT_SIZE.stepSize (limit orders)
  Fixed min_qty, max_qty; // LOT_SIZE.minQty / maxQty
  Fixed market_lot_step;  // MARKET_LOT_SIZE.stepSize (market orders)
  Fixed min_notional;     // MIN_NOTIONAL.notional

  // risk::Filters has one quantity step: the coarser of the two lot steps, so
  // a size floored to it is valid for market and limit orders alike.
  risk::Filters ToRiskFilters() const;
};

struct ExchangeInfo {
  int64_t server_time_ms = 0;
  int64_t request_weight_limit_1m = 0;  // rateLimits REQUEST_WEIGHT per 1 MINUTE; 0 if absent
  int64_t order_limit_10s = 0;          // rateLimits ORDERS per 10 SECOND; 0 if absent
  int64_t order_limit_1m = 0;           // rateLimits ORDERS per 1 MINUTE; 0 if absent
  std::map<std::string, SymbolFilters> symbols;  // by symbol name
};
absl::StatusOr<ExchangeInfo> ParseExchangeInfo(absl::string_view json);

// ---- /fapi/v1/order (POST, GET, DELETE) and GET /fapi/v1/openOrders ------
// Binance status → domain: NEW → kAccepted, PARTIALLY_FILLED, FILLED,
// CANCELED → kCancelled, EXPIRED and EXPIRED_IN_MATCH → kExpired, REJECTED.
absl::StatusOr<OrderStatus> ParseOrderStatus(absl::string_view binance_status);

struct OrderResult {
  Symbol symbol;
  VenueOrderId order_id;          // orderId, as decimal text
  ClientOrderId client_order_id;  // clientOrderId
  OrderStatus status = OrderStatus::kAccepted;
  Side side = Side::kBuy;
  std::string type;               // "LIMIT", "MARKET", ... as Binance names it
  Fixed orig_qty, executed_qty;
  Fixed price;                    // optional: 0 when absent
  Fixed avg_price;                // optional (absent in ACK responses): 0
  Fixed cum_quote;                // optional (absent in ACK responses): 0
  bool reduce_only = false;       // optional
  int64_t update_time_ms = 0;
};
absl::StatusOr<OrderResult> ParseOrder(absl::string_view json);
absl::StatusOr<std::vector<OrderResult>> ParseOrders(absl::string_view json);  // openOrders

// ---- /fapi/v1/algoOrder (POST, GET) and GET /fapi/v1/openAlgoOrders -------
// Conditional orders (STOP_MARKET, TAKE_PROFIT_MARKET, ...) live in Binance's
// Algo Service since 2025-12-09. Shape from the docs examples kept in the
// official connector's tests (new/query/openAlgoOrders) and NautilusTrader's
// fixture; the docs call the order type "orderType", the fixture "type": both
// are accepted.
enum class AlgoStatus : uint8_t {
  kNew,         // waiting for the trigger
  kTriggering,  // triggered, being forwarded to the matching engine
  kTriggered,   // placed in the matching engine (actual_order_id)
  kFinished,    // the triggered order filled or was cancelled there
  kCanceled,
  kRejected,
  kExpired,
};
absl::StatusOr<AlgoStatus> ParseAlgoStatus(absl::string_view binance_status);
absl::string_view AlgoStatusName(AlgoStatus status);

struct AlgoOrderResult {
  VenueOrderId algo_id;           // algoId
  ClientOrderId client_algo_id;   // clientAlgoId
  Symbol symbol;
  Side side = Side::kBuy;
  std::string order_type;         // "STOP_MARKET", "TAKE_PROFIT_MARKET", ...
  AlgoStatus status = AlgoStatus::kNew;
  Fixed trigger_price;
  Fixed quantity;                 // optional: 0 when absent (closePosition orders)
  std::string working_type;       // optional: "MARK_PRICE" / "CONTRACT_PRICE"
  bool reduce_only = false;       // optional
  bool close_position = false;    // optional
  std::string actual_order_id;    // optional: the triggered order's orderId, "" before
  int64_t update_time_ms = 0;     // optional
};
absl::StatusOr<AlgoOrderResult> ParseAlgoOrder(absl::string_view json);
absl::StatusOr<std::vector<AlgoOrderResult>> ParseAlgoOrders(absl::string_view json);

// DELETE /fapi/v1/algoOrder answers {"algoId", "clientAlgoId", "code":"200", "msg":"success"}.
struct AlgoCancelResult {
  VenueOrderId algo_id;
  ClientOrderId client_algo_id;
};
absl::StatusOr<AlgoCancelResult> ParseAlgoCancel(absl::string_view json);

// ---- GET /fapi/v2/positionRisk and /fapi/v3/positionRisk ------------------
struct PositionRisk {
  Symbol symbol;
  std::string position_side;  // "BOTH" (one-way), "LONG", "SHORT"
  Fixed position_amt;         // signed: negative is short
  Fixed entry_price, mark_price, unrealized_pnl, liquidation_price;
  std::optional<Fixed> break_even_price;  // absent in older payloads
  std::optional<Fixed> leverage;          // v2 only
  int64_t update_time_ms = 0;
};
absl::StatusOr<std::vector<PositionRisk>> ParsePositionRisk(absl::string_view json);

// ---- GET /fapi/v2/account and /fapi/v3/account ----------------------------
struct AccountAsset {
  std::string asset;
  Fixed wallet_balance, unrealized_pnl, margin_balance, available_balance;
};
struct AccountPosition {
  Symbol symbol;
  std::string position_side;
  Fixed position_amt, unrealized_pnl;
};
struct Account {
  Fixed total_wallet_balance, total_unrealized_pnl, total_margin_balance;
  Fixed total_initial_margin, total_maint_margin, available_balance;
  std::vector<AccountAsset> assets;
  std::vector<AccountPosition> positions;
};
absl::StatusOr<Account> ParseAccount(absl::string_view json);

// ---- GET /fapi/v2/balance and /fapi/v3/balance ----------------------------
struct Balance {
  std::string asset;
  Fixed balance, cross_wallet_balance, cross_unrealized_pnl, available_balance;
  int64_t update_time_ms = 0;
};
absl::StatusOr<std::vector<Balance>> ParseBalances(absl::string_view json);

// ---- /fapi/v1/listenKey, /fapi/v1/time, errors ----------------------------
absl::StatusOr<std::string> ParseListenKey(absl::string_view json);
absl::StatusOr<int64_t> ParseServerTime(absl::string_view json);  // serverTime, Unix ms
// {"code":-2019,"msg":"Margin is insufficient."}; http_status is left 0.
absl::StatusOr<BinanceError> ParseError(absl::string_view json);

}  // namespace apollo::venue::binance

#endif  // APOLLO_ENGINE_VENUE_BINANCE_PAYLOADS_H_
