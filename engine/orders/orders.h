// The order manager: what orders follow from a decision or a venue report.
// Pure: it reads the folded State and returns events to journal and orders
// to place or cancel; the engine journals them, and only then asks the venue.
//
//   Plan p = orders::React(state_before, report, cfg);   // before the report is applied
//   emit(report); emit(p.events...); place(p.orders...); cancel(p.cancels...)
//
// Take-profit and stop-loss are placed only once the entry has filled,
// reduce-only: the stop for the position's size, the take-profit for
// strategy.exit.tp_partial_pct of it (TakeProfitQty). When one of them (or
// an exit) closes the position the other is cancelled (OCO); a partial
// take-profit leaves the rest running with the stop (PositionUpdated
// TAKE_PROFIT_PARTIAL, no take-profit any more). The watchdog finds positions
// whose protection is missing and re-places it (watchdog.auto_recover); on
// the second miss in a row it flattens the position and requires review.
// A stop-loss or take-profit cancelled on the venue by someone else
// (OrderCancelled CANCELLED_EXTERNALLY) while its position is open raises
// manual review (PROTECTIVE_ORDER_MISSING) and, with watchdog.auto_recover,
// is re-placed at once (ProtectiveOrdersReplaced).
#ifndef APOLLO_ENGINE_ORDERS_ORDERS_H_
#define APOLLO_ENGINE_ORDERS_ORDERS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "engine/config/config.h"
#include "engine/domain/events.h"
#include "engine/domain/state.h"

namespace apollo::orders {

// An order to place. Its client order id is derived from the seq its
// OrderPlaced event gets (MakeClientOrderId), so the engine fills it in.
struct NewOrder {
  OrderPlaced order;
  char leg = 'E';  // E entry, S stop-loss, T take-profit, X exit
};

struct CancelOrder {
  ClientOrderId id;
  std::string reason;  // OCO, ENTRY_EXPIRED, TRAILING_REPLACED, ...
  // Only once the venue accepted this order (the stop replacing this one):
  // never no stop. Set by decision::ApplyPlan for a plan's `after_new_stop`.
  ClientOrderId after;
  bool after_new_stop = false;
};
// A cancel with no condition.
inline CancelOrder Cancel(ClientOrderId id, std::string reason) {
  return CancelOrder{std::move(id), std::move(reason), ClientOrderId{}, false};
}

struct Plan {
  std::vector<EventBody> events;  // journaled first, in order
  std::vector<NewOrder> orders;   // then these, each as OrderPlaced
  std::vector<CancelOrder> cancels;
  bool replaced = false;  // watchdog: journal ProtectiveOrdersReplaced after the orders
};

// Second miss in a row (ProtectiveOrdersMissing without a verification in
// between) flattens the position.
inline constexpr uint32_t kWatchdogMissesBeforeFlatten = 2;

// "ap-<mode><nonce>-<seq>-<leg>", e.g. "ap-tk3x9q2mw-1234-E": the ledger's
// nonce (State::client_id_nonce, kClientIdNonceChars of [0-9a-z]) makes it
// unique per account, not only per ledger (a fresh or restored ledger on the
// same account has another nonce). Without a nonce (paper, older ledgers)
// "ap-<mode><seq>-<leg>", e.g. "ap-p1234-E". At most 35 characters, within
// Binance's 36 and its [.A-Z:/a-z0-9_-] alphabet.
inline constexpr size_t kClientIdNonceChars = 8;
ClientOrderId MakeClientOrderId(Mode mode, absl::string_view nonce, uint64_t seq, char leg);
// A new nonce from 64 random bits: kClientIdNonceChars of [0-9a-z].
std::string ClientIdNonce(uint64_t random_bits);

NewOrder EntryOrder(const TradeProposed& trade);
NewOrder ExitOrder(const Position& position, CloseReason reason);

// What closing `qty` of `position` at `price` makes before fees: the price
// move in the position's favour times qty.
Fixed PricePnl(const Position& position, Fixed qty, Fixed price);

// An event contract's market settled (run.venue kalshi): the events that
// end our part in it, in order: each order of ours still open in it
// cancelled (MARKET_SETTLED), our position in it closed at the payout
// (PositionClosed SETTLEMENT, with its entry fees), then `settled` itself.
std::vector<EventBody> SettlementEvents(const State& state, const MarketSettled& settled);

// What follows from a venue report; `before` is the state before the report
// is applied (a fill that completes an order removes it from the state).
Plan React(const State& before, const EventBody& report, const config::Config& cfg);

// The trailing stop (strategy.exit.trailing_start_atr, _distance_atr) of
// `symbol`'s open position at a decision's close and entry-timeframe ATR:
// once the close is trailing_start_atr ATR in profit, the stop goes
// trailing_distance_atr ATR behind the close (on the tick, rounded away from
// the price) if that is tighter than the stop on the venue; it never widens.
// The plan journals PositionUpdated (TRAILING_STOP), places the new stop
// and cancels the old one only once the venue accepted the new one. Nothing
// (an empty plan) without exactly one accepted stop-loss, with an exit under
// way, or when the stop would not move.
Plan TrailStop(const State& state, const Symbol& symbol, Fixed close, Fixed atr, const config::Config& cfg);

// The take-profit's quantity for `position`: strategy.exit.tp_partial_pct
// of it, floored to the journaled step; the whole position when that share
// is zero, not less than the position, or below the venue's minimum
// quantity or notional at the take-profit price.
Fixed TakeProfitQty(const State& state, const Position& position, const config::Config& cfg);

// Cancels due now: protective orders left over by a closed position (also
// after a crash between a close and its OCO cancel), a stop-loss the
// trailing stop replaced (its price is not the position's and the
// position's own stop is accepted), and limit entries older than
// EntryTimeoutSec less half a run.interval bar (ENTRY_EXPIRED; React
// journals EntrySkipped when the venue confirms the cancel).
std::vector<CancelOrder> Housekeeping(const State& state, const config::Config& cfg, int64_t now_ns);

// How long a limit entry may rest unfilled (the seed's entry lifecycle): one
// entry-timeframe bar (execution.entry_timeout_mode "timeframe") or
// execution.entry_fallback_timeout_sec ("fixed"), never more than
// execution.entry_max_duration_sec (all it is with
// execution.entry_lifecycle_enabled false).
int64_t EntryTimeoutSec(const config::Config& cfg);

// The watchdog's pass over every open position.
Plan Watchdog(const State& state, const config::Config& cfg);

}  // namespace apollo::orders

#endif  // APOLLO_ENGINE_ORDERS_ORDERS_H_
