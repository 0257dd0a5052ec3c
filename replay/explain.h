// `replay explain`: why an order, a fill or a position happened, read back
// from the ledger as its chain of causes, oldest first:
//
//   bar (the CandleClose the signal was computed on)
//   → SignalComputed (score, reason, inputs)
//   → TradeProposed (qty, entry, stop, take-profit, leverage)
//   → RiskApproved (the checks) or RiskRejected (rule, reason, numbers)
//   → the entry OrderPlaced, then the protective and exit orders whose parent
//     is the entry, with what the venue answered (accepted, fills, cancels)
//   → PositionOpened / PositionUpdated
//   → PositionClosed (reason, exit price, PnL, fees, net), or "still open".
//
// The links are the ledger's own: TradeProposed.signal_seq,
// RiskApproved.proposal_seq, the entry OrderPlaced right after the approval,
// OrderPlaced.parent, client_order_id on every venue report,
// PositionOpened.entry_order, and the symbol's PositionClosed events until
// the position is flat.
//
//   ASSIGN_OR_RETURN(std::vector<std::string> lines, ExplainEvent(*ledger, 4711));
//   // "4702 2023-01-05T10:05:00.000Z bar       CandleClose BTCUSDT 5m ..."
#ifndef APOLLO_REPLAY_EXPLAIN_H_
#define APOLLO_REPLAY_EXPLAIN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/ledger.h"

namespace apollo::replay {

// The event types ExplainEvent takes, by name.
std::vector<std::string> ExplainableEventNames();

// One line per link, each "<seq> <time> <role> <event> <details>", sorted by
// seq; the line of `seq` itself ends with "(asked)". InvalidArgument for an
// event of another type (naming the types taken), OutOfRange for a seq
// beyond the head, NotFound when a link the event names is not in the
// ledger, DataLoss from the ledger.
absl::StatusOr<std::vector<std::string>> ExplainEvent(const ledger::Ledger& ledger, uint64_t seq);

}  // namespace apollo::replay

#endif  // APOLLO_REPLAY_EXPLAIN_H_
