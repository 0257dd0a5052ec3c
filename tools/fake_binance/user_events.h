// User-data stream events in Binance's USDⓈ-M shapes (shared/data/binance/ws/:
// docs ORDER_TRADE_UPDATE and ACCOUNT_UPDATE examples, NautilusTrader's
// ALGO_UPDATE fixtures). The fake exchange renders every account change with
// these; a WebSocket layer only has to forward the strings.
#ifndef APOLLO_TOOLS_FAKE_BINANCE_USER_EVENTS_H_
#define APOLLO_TOOLS_FAKE_BINANCE_USER_EVENTS_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "engine/domain/fixed.h"
#include "tools/fake_binance/fake_exchange.h"

namespace apollo::fake_binance {

// One execution report: x = exec_type (NEW, TRADE, CANCELED, EXPIRED).
struct ExecutionReport {
  absl::string_view exec_type;
  Fixed last_qty, last_price;  // l, L (0 unless TRADE)
  Fixed commission;            // n, in the quote asset
  Fixed realized_pnl;          // rp
  int64_t trade_id = 0;        // t
  bool maker = false;          // m
};

// {"e":"ORDER_TRADE_UPDATE","E":..,"T":..,"o":{"s","c","S","o","f","q","p","ap","sp","x","X","i","l","z","L",...}}
std::string OrderTradeUpdateJson(const Order& order, const ExecutionReport& exec, absl::string_view commission_asset,
                                 int64_t now_ms);

// {"e":"ACCOUNT_UPDATE","E":..,"T":..,"a":{"m":"ORDER","B":[{"a","wb","cw","bc"}],"P":[{"s","pa","ep",...}]}}
// `balance_change` is "bc": the wallet's change by this event (a funding fee's amount).
std::string AccountUpdateJson(absl::string_view reason, absl::string_view asset, Fixed wallet_balance, Fixed balance_change,
                              const Position& position, Fixed unrealized_pnl, int64_t now_ms);

// {"e":"ALGO_UPDATE","T":..,"E":..,"o":{"caid","aid","at","o","s","S","ps","f","q","X","ai","ap","aq",...}}
std::string AlgoUpdateJson(const AlgoOrder& algo, int64_t now_ms);

}  // namespace apollo::fake_binance

#endif  // APOLLO_TOOLS_FAKE_BINANCE_USER_EVENTS_H_
