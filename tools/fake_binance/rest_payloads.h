// REST response bodies in Binance's USDⓈ-M shapes (shared/data/binance/rest/:
// SDK and NautilusTrader order, algo order, positionRisk v2/v3, account v2/v3,
// balance and listenKey examples; the captured 2022 exchangeInfo). Values are
// the fake exchange's; decimals are exact strings, as Binance sends them.
#ifndef APOLLO_TOOLS_FAKE_BINANCE_REST_PAYLOADS_H_
#define APOLLO_TOOLS_FAKE_BINANCE_REST_PAYLOADS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "tools/fake_binance/fake_exchange.h"

namespace apollo::fake_binance {

// /fapi/v1/order (POST RESULT/ACK, GET, DELETE) and one openOrders element.
std::string OrderJson(const Order& order);
// /fapi/v1/algoOrder (POST, GET) and one openAlgoOrders element.
std::string AlgoOrderJson(const AlgoOrder& algo);
// DELETE /fapi/v1/algoOrder: {"algoId","clientAlgoId","code":"200","msg":"success"}.
std::string AlgoCancelJson(const AlgoOrder& algo);

// One GET /fapi/v1/userTrades element.
std::string UserTradeJson(const Trade& trade, const ExchangeConfig& config);
// GET /fapi/v1/klines: [[openTime,"o","h","l","c","v",closeTime,"q",n,"V","Q","0"],...]
std::string KlinesJson(const std::vector<Bar>& bars, int64_t interval_ms);

// GET /fapi/v2|v3/positionRisk of `positions` (every symbol's, or the one
// asked for): v2 lists a symbol even when flat, v3 only non-zero positions.
std::string PositionRiskJson(const std::vector<PositionSnapshot>& positions, const ExchangeConfig& config,
                             int version);
// GET /fapi/v2|v3/account: "positions" every symbol's (v2), the non-zero ones (v3).
std::string AccountJson(const AccountSnapshot& account, const ExchangeConfig& config, int version);
// GET /fapi/v2|v3/balance.
std::string BalanceJson(const AccountSnapshot& account, const ExchangeConfig& config);

struct RateLimits {
  int64_t request_weight_1m = 2400;
  int64_t orders_1m = 1200;
  int64_t orders_10s = 300;
};
// GET /fapi/v1/exchangeInfo: every instrument with its filters (MAX_NUM_ORDERS
// and MAX_NUM_ALGO_ORDERS from `config`), in market order.
std::string ExchangeInfoJson(const std::vector<Instrument>& instruments, const ExchangeConfig& config,
                             const RateLimits& limits, int64_t server_time_ms);

}  // namespace apollo::fake_binance

#endif  // APOLLO_TOOLS_FAKE_BINANCE_REST_PAYLOADS_H_
