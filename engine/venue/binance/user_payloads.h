// Binance USDⓈ-M account data → typed values: the user-data stream's events
// (ORDER_TRADE_UPDATE, ALGO_UPDATE, ACCOUNT_UPDATE, listenKeyExpired) and the
// account's trades (GET /fapi/v1/userTrades), which carry each fill's
// commission. Like payloads.h: bytes in, values out, no decisions; malformed
// JSON or a bad decimal in a field Apollo reads is InvalidArgument naming
// the field, never a 0.
//
//   ASSIGN_OR_RETURN(UserEvent e, ParseUserEvent(ws_text));
//   if (e.kind == UserEvent::kOrderTradeUpdate) ... e.order.last_price ...
//   ASSIGN_OR_RETURN(std::vector<UserTrade> t, ParseUserTrades(response.body));
#ifndef APOLLO_ENGINE_VENUE_BINANCE_USER_PAYLOADS_H_
#define APOLLO_ENGINE_VENUE_BINANCE_USER_PAYLOADS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/domain/fixed.h"
#include "engine/domain/types.h"

namespace apollo::venue::binance {

// ORDER_TRADE_UPDATE's "o", the fields Apollo reads.
struct OrderTradeUpdate {
  Symbol symbol;                  // s
  ClientOrderId client_order_id;  // c
  std::string order_id;           // i
  std::string exec_type;          // x: NEW, TRADE, CANCELED, EXPIRED, ...
  std::string status;             // X
  std::string trade_id;           // t ("0" unless TRADE)
  Fixed last_qty, cum_qty, last_price;  // l, z, L
  // n, N: Binance leaves them out when there is no commission to report.
  std::optional<Fixed> commission;
  std::string commission_asset;
};

// ALGO_UPDATE's "o".
struct AlgoUpdate {
  ClientOrderId client_algo_id;  // caid
  std::string actual_order_id;   // ai: the order it became once triggered, "" before
  std::string status;            // X: NEW, CANCELED, TRIGGERED, FINISHED, REJECTED, EXPIRED
};

// ACCOUNT_UPDATE's "a": why the account changed, and the balances' changes
// and positions it reports.
struct AccountUpdate {
  std::string reason;  // m: ORDER, FUNDING_FEE, DEPOSIT, ...
  struct Balance {
    std::string asset;    // a
    Fixed change;         // bc: the wallet's change by this event
  };
  struct PositionAmount {
    Symbol symbol;  // s
    Fixed amount;   // pa: signed, negative short
  };
  std::vector<Balance> balances;         // B
  std::vector<PositionAmount> positions;  // P (absent: none)
  int64_t time_ms = 0;                    // T of the event
};

struct UserEvent {
  enum Kind { kOrderTradeUpdate, kAlgoUpdate, kAccountUpdate, kListenKeyExpired, kOther } kind = kOther;
  std::string type;  // "e" as sent
  OrderTradeUpdate order;  // kOrderTradeUpdate
  AlgoUpdate algo;         // kAlgoUpdate
  AccountUpdate account;   // kAccountUpdate
};

// One user-data stream message, combined-stream wrapper or not. An event
// type Apollo does not read is kOther (not an error). A text that is not
// JSON (cut short) is DataLoss; a bad field InvalidArgument.
absl::StatusOr<UserEvent> ParseUserEvent(absl::string_view json);

// GET /fapi/v1/userTrades: one element.
struct UserTrade {
  std::string id;        // the trade id, as the stream's "t"
  std::string order_id;  // orderId
  Symbol symbol;
  Side side = Side::kBuy;
  Fixed price, qty, commission;
  std::string commission_asset;
  int64_t time_ms = 0;
};
absl::StatusOr<std::vector<UserTrade>> ParseUserTrades(absl::string_view json);

}  // namespace apollo::venue::binance

#endif  // APOLLO_ENGINE_VENUE_BINANCE_USER_PAYLOADS_H_
