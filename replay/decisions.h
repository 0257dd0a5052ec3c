// `replay decisions`: re-derives every decision in a ledger from the ledger
// alone and compares it with what was recorded.
//
// The ledger is folded event by event. At each decision point the same code
// the engine ran (engine/decision, orders::React, reconcile::Reconcile) runs
// again on a copy of the folded state, with the config the run journaled
// (ConfigLoaded) and the strategy fed the journaled bars:
//   - bar      : the strategy's decision after the bar → SignalComputed,
//                TradeProposed, RiskApproved/RiskRejected, OrderPlaced
//                (between TradeCycleCompleted.decided_after_seq and itself);
//   - market   : on an event-contract venue (run.venue kalshi), the weather
//                strategy's step over every listed market, the same way;
//   - reaction : the order manager's plan after a venue report (protection
//                after a fill, OCO, ...): the events that follow the report;
//   - reconciliation: the verdict on a ReconciliationSnapshot (agree or not);
//   - news     : a NewsIngested item's classification → the NewsClassified
//                events that follow it (universe and funding payments are
//                judged again the same way, whole).
// Each derived event is compared field by field with the recorded one.
// With overrides (--set) it is a what-if: the history stays the recorded
// one, and the report says at which decisions the changed config would have
// decided otherwise.
//
//   DecisionsOptions o;
//   ASSIGN_OR_RETURN(DecisionsReport r, CheckDecisions(*ledger, o));
//   r.divergences.empty()
#ifndef APOLLO_REPLAY_DECISIONS_H_
#define APOLLO_REPLAY_DECISIONS_H_

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/config/config.h"
#include "ledger/ledger.h"

namespace apollo::replay {

struct DecisionsOptions {
  uint64_t from_seq = 1;                                   // decision points in [from, to]
  uint64_t to_seq = std::numeric_limits<uint64_t>::max();
  std::optional<config::Config> config;  // instead of the journaled one (--config)
  std::vector<std::string> overrides;    // key=value on top (--set)
  size_t max_divergences_kept = 1000;
  std::function<void(uint64_t seq, uint64_t last_seq)> progress;  // every few thousand events
};

struct Divergence {
  uint64_t seq = 0;        // the recorded event's seq (the decision point's when none was recorded)
  std::string kind;        // bar, market (event contracts), reaction, reconciliation, news, universe, funding
  std::string event;       // event type compared
  std::string field;       // first differing field ("type" when the events differ in type)
  std::string recorded;    // as JSON; "none" when there was no recorded event
  std::string derived;     // as JSON; "none" when nothing was derived
};

struct DecisionsReport {
  uint64_t decisions = 0;                       // decision points compared
  std::map<std::string, uint64_t> checked;      // per kind
  std::map<std::string, uint64_t> diverged;     // decision points that differed, per kind
  uint64_t divergence_count = 0;                // all field-level divergences
  std::vector<Divergence> divergences;          // the first max_divergences_kept
  uint64_t events = 0;                          // events folded
};

// FailedPrecondition when a ConfigLoaded carries no config text (a ledger
// written before ConfigLoaded v2) and no config was given; InvalidArgument
// for a bad override; DataLoss from the ledger.
absl::StatusOr<DecisionsReport> CheckDecisions(const ledger::Ledger& ledger, const DecisionsOptions& options);

}  // namespace apollo::replay

#endif  // APOLLO_REPLAY_DECISIONS_H_
