// The Binance USDⓈ-M endpoints Apollo uses, as thin typed functions over
// RestClient: build the exact Binance parameters, call, parse. No policy
// lives here; statuses come back as RestClient and payloads.h produce them.
//
//   NewOrderRequest req{Symbol{"BTCUSDT"}, Side::kBuy, OrderType::kLimit,
//                       Fixed::Parse("0.001").value(), Fixed::Parse("50000").value(),
//                       ClientOrderId{"apollo-42-entry"}};
//   absl::StatusOr<OrderResult> r = NewOrder(client, req);
//   if (r.status().code() == absl::StatusCode::kDeadlineExceeded) {
//     r = QueryOrder(client, req.symbol, req.client_order_id);  // outcome was unknown
//   }
//
// Parameters, as Binance names them:
//   NewOrder         POST /fapi/v1/order: symbol, side, type (MARKET|LIMIT),
//                    quantity, price + timeInForce=GTC (LIMIT only),
//                    newClientOrderId, reduceOnly=true (only when set),
//                    newOrderRespType=RESULT.
//   NewAlgoOrder     POST /fapi/v1/algoOrder: algoType=CONDITIONAL, symbol,
//                    side, type (STOP_MARKET|TAKE_PROFIT_MARKET), quantity
//                    (omitted with closePosition), triggerPrice, workingType,
//                    reduceOnly=true or closePosition=true (never both),
//                    clientAlgoId.
//   QueryOrder / CancelOrder          GET / DELETE /fapi/v1/order: symbol, origClientOrderId
//   QueryAlgoOrder / CancelAlgoOrder  GET / DELETE /fapi/v1/algoOrder: clientAlgoId
//   OpenOrders / OpenAlgoOrders       GET /fapi/v1/openOrders, /fapi/v1/openAlgoOrders [symbol]
//   PositionRisk     GET /fapi/v3/positionRisk [symbol]
//   Account / Balances                GET /fapi/v3/account, /fapi/v3/balance
//   UserTrades       GET /fapi/v1/userTrades: symbol, orderId (the order's
//                    trades, with each one's commission)
//   Klines           GET /fapi/v1/klines: symbol, interval, startTime, limit
//                    (public; weight 1 under 100 bars, 2 up to 500)
//   ExchangeInfo / ServerTime         GET /fapi/v1/exchangeInfo, /fapi/v1/time (public)
//   listenKey        POST / PUT / DELETE /fapi/v1/listenKey (API key only, no signature)
//
// The Algo Order API (Binance moved conditional orders there on 2025-12-09)
// is modelled on the parameters in Binance's connector SDKs and docs as
// found in this repository's reference material: algoType is mandatory and
// only CONDITIONAL exists; the trigger is `triggerPrice` (not `stopPrice`);
// the client id is `clientAlgoId` (same ^[.A-Z:/a-z0-9_-]{1,36}$ rule as
// newClientOrderId); query and cancel take algoId or clientAlgoId and no
// symbol. We send no newOrderRespType there (the SDKs list it but the
// response shape is the same). Assumptions, to re-check against the live
// docs before trading real money.
//
// A 2xx answer whose body cannot be read (malformed JSON, a bad decimal) is
// refused: RestHooks::on_refused hears of it and the call fails with
// InvalidArgument; a number is never read as 0.
// A 2xx answer to NewOrder/NewAlgoOrder whose body cannot be read is
// DeadlineExceeded, like a timeout: the order may well exist, so the caller
// must query it rather than treat it as rejected.
#ifndef APOLLO_ENGINE_VENUE_BINANCE_ORDERS_API_H_
#define APOLLO_ENGINE_VENUE_BINANCE_ORDERS_API_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/domain/fixed.h"
#include "engine/domain/types.h"
#include "engine/venue/binance/market_payloads.h"
#include "engine/venue/binance/payloads.h"
#include "engine/venue/binance/rest_client.h"
#include "engine/venue/binance/user_payloads.h"

namespace apollo::venue::binance {

struct NewOrderRequest {
  Symbol symbol;
  Side side = Side::kBuy;
  OrderType type = OrderType::kMarket;  // kMarket or kLimit
  Fixed quantity;
  Fixed price;                          // LIMIT only
  ClientOrderId client_order_id;
  bool reduce_only = false;
};

enum class WorkingType : uint8_t { kMarkPrice, kContractPrice };
absl::string_view WorkingTypeName(WorkingType type);  // "MARK_PRICE", "CONTRACT_PRICE"

struct NewAlgoOrderRequest {
  Symbol symbol;
  Side side = Side::kSell;
  OrderType type = OrderType::kStopMarket;  // kStopMarket or kTakeProfitMarket
  Fixed trigger_price;
  std::optional<Fixed> quantity;            // absent iff close_position
  bool reduce_only = false;
  bool close_position = false;
  ClientOrderId client_algo_id;
  WorkingType working_type = WorkingType::kMarkPrice;
};

// Orders.
absl::StatusOr<OrderResult> NewOrder(RestClient& client, const NewOrderRequest& request);
absl::StatusOr<OrderResult> QueryOrder(RestClient& client, const Symbol& symbol, const ClientOrderId& id);
// By Binance's orderId: the order a triggered algo order became (actualOrderId).
absl::StatusOr<OrderResult> QueryOrderById(RestClient& client, const Symbol& symbol, const VenueOrderId& order_id);
absl::StatusOr<OrderResult> CancelOrder(RestClient& client, const Symbol& symbol, const ClientOrderId& id);
absl::StatusOr<std::vector<OrderResult>> OpenOrders(RestClient& client, const std::optional<Symbol>& symbol);

// Conditional (algo) orders.
absl::StatusOr<AlgoOrderResult> NewAlgoOrder(RestClient& client, const NewAlgoOrderRequest& request);
absl::StatusOr<AlgoOrderResult> QueryAlgoOrder(RestClient& client, const ClientOrderId& client_algo_id);
absl::StatusOr<AlgoCancelResult> CancelAlgoOrder(RestClient& client, const ClientOrderId& client_algo_id);
absl::StatusOr<std::vector<AlgoOrderResult>> OpenAlgoOrders(RestClient& client,
                                                            const std::optional<Symbol>& symbol);

// Account. The trades of one order (by Binance's orderId), oldest first.
absl::StatusOr<std::vector<UserTrade>> GetUserTrades(RestClient& client, const Symbol& symbol,
                                                     const VenueOrderId& order_id);
absl::StatusOr<std::vector<PositionRisk>> GetPositionRisk(RestClient& client,
                                                          const std::optional<Symbol>& symbol);
absl::StatusOr<Account> GetAccount(RestClient& client);
absl::StatusOr<std::vector<Balance>> GetBalances(RestClient& client);

// Market data (public): up to `limit` bars opening at or after
// start_time_ms, oldest first; the last may still be open.
inline constexpr int kKlinesLimitMax = 1'500;
absl::StatusOr<std::vector<Kline>> GetKlines(RestClient& client, const Symbol& symbol, absl::string_view interval,
                                            int64_t start_time_ms, int limit);
// One symbol's 24 h ticker and premium index with the last funding rate
// (weight 1 each; asked one symbol at a time, so another symbol's odd
// entry cannot spoil the answer).
absl::StatusOr<Ticker24h> GetTicker24h(RestClient& client, const Symbol& symbol);
absl::StatusOr<PremiumIndex> GetPremiumIndex(RestClient& client, const Symbol& symbol);
// Every symbol's (weight 40 and 10): the venue-wide universe. One entry
// that cannot be read refuses the answer.
absl::StatusOr<std::vector<Ticker24h>> GetTickers24h(RestClient& client);
absl::StatusOr<std::vector<PremiumIndex>> GetPremiumIndexes(RestClient& client);
// Market metadata (public).
absl::StatusOr<ExchangeInfo> GetExchangeInfo(RestClient& client);
absl::StatusOr<int64_t> GetServerTime(RestClient& client);

// User-data stream key: valid 60 minutes; keep alive every ~30.
absl::StatusOr<std::string> CreateListenKey(RestClient& client);
absl::Status KeepAliveListenKey(RestClient& client);
absl::Status CloseListenKey(RestClient& client);

}  // namespace apollo::venue::binance

#endif  // APOLLO_ENGINE_VENUE_BINANCE_ORDERS_API_H_
