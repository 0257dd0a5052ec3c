// Reconcile: see reconcile.h.
#include "engine/reconcile/reconcile.h"

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/strings/str_cat.h"

namespace apollo::reconcile {
namespace {

Fixed Signed(Side side, Fixed qty) { return side == Side::kBuy ? qty : -qty; }

Discrepancy Make(InterventionAction action, const Symbol& symbol, const ClientOrderId& id, Fixed expected,
                 Fixed actual, std::string detail) {
  return Discrepancy{action, symbol, id, expected, actual, std::move(detail)};
}

// Orders the fold expects the venue to hold: those it acknowledged.
bool VenueShouldHold(const Order& o) {
  return o.status == OrderStatus::kAccepted || o.status == OrderStatus::kPartiallyFilled;
}

void ComparePositions(const State& s, const VenueSnapshot& v, const Tolerances& t, std::vector<Discrepancy>& out) {
  absl::btree_map<Symbol, Fixed> venue;
  for (const VenuePosition& p : v.positions) venue[p.symbol] += Signed(p.side, p.qty);
  for (const auto& [symbol, p] : s.positions) {
    const Fixed ours = Signed(p.side, p.qty);
    auto it = venue.find(symbol);
    const Fixed theirs = it == venue.end() ? Fixed() : it->second;
    if (theirs.is_zero()) {
      out.push_back(Make(InterventionAction::kPositionClosedExternally, symbol, p.entry_order, ours, theirs,
                         "the venue has no position"));
    } else if ((ours - theirs).Abs() > t.qty) {
      out.push_back(Make(InterventionAction::kPositionSizeChanged, symbol, p.entry_order, ours, theirs,
                         "position size differs"));
    }
  }
  for (const auto& [symbol, theirs] : venue) {
    if (!theirs.is_zero() && !s.positions.contains(symbol)) {
      out.push_back(Make(InterventionAction::kPositionOpenedExternally, symbol, {}, Fixed(), theirs,
                         "the venue has a position the ledger does not"));
    }
  }
}

void CompareOrders(const State& s, const VenueSnapshot& v, std::vector<Discrepancy>& out) {
  absl::btree_map<ClientOrderId, const VenueOrder*> venue;
  for (const VenueOrder& o : v.open_orders) venue[o.client_order_id] = &o;
  for (const auto& [id, o] : s.orders) {
    if (VenueShouldHold(o) && !venue.contains(id)) {
      const bool protective = o.purpose == OrderPurpose::kStopLoss || o.purpose == OrderPurpose::kTakeProfit;
      out.push_back(Make(protective && s.positions.contains(o.symbol) ? InterventionAction::kProtectiveOrderMissing
                                                                       : InterventionAction::kOrderMissingOnExchange,
                         o.symbol, id, o.qty - o.filled_qty, Fixed(), "open in the ledger, not at the venue"));
    }
  }
  for (const auto& [id, o] : venue) {
    // A PLACED order (sent, answer not yet journaled) is ours, not external.
    if (!s.orders.contains(id)) {
      out.push_back(Make(InterventionAction::kOrderPlacedExternally, o->symbol, id, Fixed(), o->qty,
                         o->algo ? "algo order unknown to the ledger" : "order unknown to the ledger"));
    }
  }
}

}  // namespace

ReconciliationSnapshot ToSnapshotEvent(const VenueSnapshot& venue, const Tolerances& tolerances) {
  ReconciliationSnapshot e;
  for (const VenuePosition& p : venue.positions) e.positions.push_back({p.symbol, p.side, p.qty, p.entry_price});
  for (const VenueOrder& o : venue.open_orders) {
    e.open_orders.push_back({o.client_order_id, o.symbol, o.algo, o.side, o.qty});
  }
  e.balance = venue.balance;
  for (const auto& [symbol, f] : venue.foreign_fills) {
    e.foreign_fills.push_back({symbol, f.qty, f.avg_price, f.commission});
  }
  e.qty_tolerance = tolerances.qty;
  e.balance_tolerance = tolerances.balance;
  return e;
}

VenueSnapshot FromSnapshotEvent(const ReconciliationSnapshot& e) {
  VenueSnapshot v;
  for (const SnapshotPosition& p : e.positions) v.positions.push_back({p.symbol, p.side, p.qty, p.entry_price});
  for (const SnapshotOrder& o : e.open_orders) v.open_orders.push_back({o.client_order_id, o.symbol, o.algo, o.side, o.qty});
  v.balance = e.balance;
  for (const SnapshotForeignFill& f : e.foreign_fills) v.foreign_fills[f.symbol] = {f.qty, f.avg_price, f.commission};
  return v;
}

Tolerances TolerancesOf(const ReconciliationSnapshot& e) { return Tolerances{e.qty_tolerance, e.balance_tolerance}; }

std::vector<Discrepancy> Reconcile(const State& state, const VenueSnapshot& venue, const Tolerances& tolerances) {
  std::vector<Discrepancy> out;
  ComparePositions(state, venue, tolerances, out);
  CompareOrders(state, venue, out);
  // The gap the operator accepted at the last acknowledgement is expected.
  const Fixed expected = state.balance + state.balance_gap_accepted;
  if ((expected - venue.balance).Abs() > tolerances.balance) {
    out.push_back(Make(InterventionAction::kBalanceMismatch, Symbol{}, {}, expected, venue.balance,
                       absl::StrCat("wallet balance differs by more than ", tolerances.balance.ToString())));
  }
  return out;
}

std::vector<ClientOrderId> OpenButNotListed(const State& state, const VenueSnapshot& venue) {
  absl::btree_set<ClientOrderId> listed;
  for (const VenueOrder& o : venue.open_orders) listed.insert(o.client_order_id);
  std::vector<ClientOrderId> out;
  for (const auto& [id, o] : state.orders) {
    if (VenueShouldHold(o) && !listed.contains(id)) out.push_back(id);
  }
  return out;
}

}  // namespace apollo::reconcile
