// Reconciliation: the fold's view of the account against the venue's. Pure:
// the caller fetches the venue's positions, open orders (plain and algo) and
// balance; this says how they differ, each difference typed as the seed's
// ManualInterventionDetected actions. The engine journals the result
// (ReconciliationCompleted, or ManualInterventionDetected which pauses
// trading until ack-manual-review) and never edits State to match.
//
//   VenueSnapshot v = fetch();          // positionRisk, openOrders, openAlgoOrders, account
//   std::vector<Discrepancy> d = Reconcile(state, v, tolerances);
#ifndef APOLLO_ENGINE_RECONCILE_RECONCILE_H_
#define APOLLO_ENGINE_RECONCILE_RECONCILE_H_

#include <map>
#include <vector>

#include "engine/domain/events.h"
#include "engine/domain/state.h"

namespace apollo::reconcile {

struct VenuePosition {
  Symbol symbol;
  Side side = Side::kBuy;
  Fixed qty;  // > 0
  Fixed entry_price;
};

struct VenueOrder {
  ClientOrderId client_order_id;  // newClientOrderId or clientAlgoId
  Symbol symbol;
  bool algo = false;  // from openAlgoOrders (stop-loss / take-profit)
  Side side = Side::kBuy;
  Fixed qty;
};

// Fills of orders that are not ours (a close in the Binance UI), as the
// user-data stream told them since our last entry fill in the symbol.
struct ForeignFills {
  Fixed qty;
  Fixed avg_price;
  Fixed commission;  // in the quote asset
};

struct VenueSnapshot {
  std::vector<VenuePosition> positions;
  std::vector<VenueOrder> open_orders;
  Fixed balance;  // wallet balance of the quote asset
  std::map<Symbol, ForeignFills> foreign_fills;  // what a hand close was filled at, when known
};

struct Tolerances {
  Fixed qty;      // position sizes within this are equal (exchange rounding)
  Fixed balance;  // wallet vs fold: funding payments and rounding drift
};

// Every difference, in a stable order (positions, then orders, then
// balance). Empty when the two agree.
std::vector<Discrepancy> Reconcile(const State& state, const VenueSnapshot& venue, const Tolerances& tolerances);

// The journaled form of what a pass compared (ReconciliationSnapshot), and
// back, so an audit can judge the pass again from the ledger.
ReconciliationSnapshot ToSnapshotEvent(const VenueSnapshot& venue, const Tolerances& tolerances);
VenueSnapshot FromSnapshotEvent(const ReconciliationSnapshot& snapshot);
Tolerances TolerancesOf(const ReconciliationSnapshot& snapshot);

// Orders the fold holds open at the venue (accepted, partly filled) that the
// venue does not list: filled or cancelled, with the stream's report
// possibly still on its way. Ask for each before calling them missing.
std::vector<ClientOrderId> OpenButNotListed(const State& state, const VenueSnapshot& venue);

}  // namespace apollo::reconcile

#endif  // APOLLO_ENGINE_RECONCILE_RECONCILE_H_
