// What the engine makes of a bar's strategy decision and of a venue's
// report, as the events to journal, in order. Pure: the events go to a Sink,
// which the engine journals (and whose orders it sends after the append) and
// an audit (`replay decisions`) compares with the ledger's. One code path for
// both is what makes "the same inputs give the same decisions" checkable.
//
//   class Journal : public decision::Sink { ... };   // Emit applies to its State
//   std::vector<decision::SymbolDecision> step = {{symbol, strategy.Decide(sink.state(), now), fallback}, ...};
//   ASSIGN_OR_RETURN(decision::Counts n, decision::ActStep(step, cfg, now, sink));
//   RETURN_IF_ERROR(decision::ApplyPlan(orders::React(before, report, cfg), cfg.run.mode, sink));
#ifndef APOLLO_ENGINE_DECISION_DECISION_H_
#define APOLLO_ENGINE_DECISION_DECISION_H_

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/config/config.h"
#include "engine/domain/events.h"
#include "engine/domain/state.h"
#include "engine/orders/orders.h"
#include "engine/risk/risk.h"
#include "engine/strategy/strategy.h"

namespace apollo::decision {

// Where the events go. Emit must apply each event to the State state()
// returns before the next one is made (seq numbers and client ids follow
// from it).
class Sink {
 public:
  virtual ~Sink() = default;
  virtual const State& state() const = 0;
  virtual absl::Status Emit(EventBody body) = 0;
  // The order whose OrderPlaced was just emitted is to be sent.
  virtual void Placed(const ClientOrderId& id) {}
  // The plan asks for this order to be cancelled.
  virtual void Cancel(orders::CancelOrder cancel) {}
};

struct Counts {
  uint32_t signals = 0, orders = 0;
  uint32_t cancels = 0;  // resting orders the step asked to cancel (ActMarkets)
};

// OrderPlaced for `n` with its client id derived from the seq it gets.
absl::Status Place(orders::NewOrder n, Mode mode, Sink& sink, ClientOrderId* id_out = nullptr);

// One symbol's decision in a step. `fallback` filters size it only when the
// ledger journaled none for the symbol.
struct SymbolDecision {
  Symbol symbol;
  strategy::Decision decision;
  risk::Filters fallback;
};

// A step's decisions, one per symbol that had a bar, in symbol order: first
// the exits they ask for (unless one is on its way) and, for a position held
// on, its trailing stop (orders::TrailStop), then every entry signal
// (none for a symbol outside a journaled universe), then the proposals best
// score first (ties in symbol order), each as the sized trade, risk's verdict
// with its numbers and, approved, the entry order. Each proposal is judged
// on the state the ones before it left, so risk.max_positions holds across
// the portfolio. With one symbol: its exit, its signal, its proposal.
absl::StatusOr<Counts> ActStep(std::span<const SymbolDecision> decisions, const config::Config& cfg, int64_t now_ns,
                               Sink& sink);

// One step of the weather strategy (weather_high_v1) over every listed
// event contract of its cities (weather::DecideMarkets): each market's
// SignalComputed, then the proposals best edge first, each as the sized
// trade (weather::SizeContracts), risk's verdict (weather::Judge) and,
// approved, the limit entry. A market with an order or a position of ours
// already (one active intent per market and side) is not proposed again;
// its resting entries are reviewed (weather::ReviewEntry), and each to be
// repriced or withdrawn is journaled as CancelRequested, then handed to the
// sink's Cancel. An entry's limit chases no further than
// weather::ChasedLimit allows.
absl::StatusOr<Counts> ActMarkets(const config::Config& cfg, int64_t now_ns, Sink& sink);

// The order manager's plan after a report: its events, its orders (each
// OrderPlaced), ProtectiveOrdersReplaced when the watchdog re-placed
// protection, and its cancels (to the sink's Cancel).
absl::Status ApplyPlan(orders::Plan plan, Mode mode, Sink& sink);

}  // namespace apollo::decision

#endif  // APOLLO_ENGINE_DECISION_DECISION_H_
