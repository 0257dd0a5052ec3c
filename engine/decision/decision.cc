// The decision path: strategy decision → risk → order manager, as events.
#include "engine/decision/decision.h"

#include <algorithm>
#include <utility>

#include "absl/container/btree_map.h"
#include "engine/config/policy.h"
#include "engine/domain/status_macros.h"
#include "engine/weather/markets.h"

namespace apollo::decision {
namespace {

bool ExitUnderway(const State& state, const Symbol& symbol) {
  return std::any_of(state.orders.begin(), state.orders.end(), [&](const auto& kv) {
    return kv.second.symbol == symbol && kv.second.purpose == OrderPurpose::kExit;
  });
}

// Sizes the idea, asks risk, and places the entry if approved; risk's
// limits are config.yaml's tightened by the policy in force.
absl::Status ConsiderEntry(const strategy::EntryIdea& idea, const config::Config& configured,
                           const risk::Filters& fallback, int64_t now_ns, Sink& sink, Counts& counts) {
  const config::Config cfg = config::Tightened(configured, sink.state().policy);
  const risk::Filters filters = risk::FiltersFor(sink.state(), idea.signal.symbol, fallback);
  const TradeProposed trade = risk::Size(idea, sink.state(), cfg, filters, sink.state().last_seq);
  RETURN_IF_ERROR(sink.Emit(trade));
  risk::Verdict verdict = risk::Evaluate(trade, sink.state().last_seq, idea.atr, sink.state(), cfg, filters, now_ns);
  if (auto* rejected = std::get_if<RiskRejected>(&verdict)) return sink.Emit(std::move(*rejected));
  RETURN_IF_ERROR(sink.Emit(std::get<RiskApproved>(std::move(verdict))));
  ++counts.orders;
  return Place(orders::EntryOrder(trade), cfg.run.mode, sink);
}

}  // namespace

absl::Status Place(orders::NewOrder n, Mode mode, Sink& sink, ClientOrderId* id_out) {
  n.order.client_order_id =
      orders::MakeClientOrderId(mode, sink.state().client_id_nonce, sink.state().last_seq + 1, n.leg);
  const ClientOrderId id = n.order.client_order_id;
  RETURN_IF_ERROR(sink.Emit(std::move(n.order)));
  sink.Placed(id);
  if (id_out != nullptr) *id_out = id;
  return absl::OkStatus();
}

absl::StatusOr<Counts> ActStep(std::span<const SymbolDecision> decisions, const config::Config& cfg, int64_t now_ns,
                               Sink& sink) {
  Counts counts;
  for (const SymbolDecision& d : decisions) {
    auto pos = sink.state().positions.find(d.symbol);
    if (pos == sink.state().positions.end()) continue;
    if (!d.decision.exit) {
      // Held on: the stop may trail the price.
      orders::Plan trail = orders::TrailStop(sink.state(), d.symbol, d.decision.close, d.decision.atr, cfg);
      counts.orders += static_cast<uint32_t>(trail.orders.size());
      RETURN_IF_ERROR(ApplyPlan(std::move(trail), cfg.run.mode, sink));
    } else if (!ExitUnderway(sink.state(), d.symbol)) {
      ++counts.orders;
      RETURN_IF_ERROR(Place(orders::ExitOrder(pos->second, d.decision.exit->reason), cfg.run.mode, sink));
    }
  }
  std::vector<const SymbolDecision*> proposals;
  for (const SymbolDecision& d : decisions) {
    // Outside the universe a symbol's bars are journaled and its position
    // managed, but no entry is looked for (the seed does not evaluate it).
    if (!d.decision.entry || !sink.state().InUniverse(d.symbol)) continue;
    ++counts.signals;
    RETURN_IF_ERROR(sink.Emit(d.decision.entry->signal));
    if (d.decision.entry->propose) proposals.push_back(&d);
  }
  std::stable_sort(proposals.begin(), proposals.end(), [](const SymbolDecision* a, const SymbolDecision* b) {
    return a->decision.entry->signal.score > b->decision.entry->signal.score;
  });
  for (const SymbolDecision* d : proposals) {
    RETURN_IF_ERROR(ConsiderEntry(*d->decision.entry, cfg, d->fallback, now_ns, sink, counts));
  }
  return counts;
}

absl::StatusOr<Counts> ActMarkets(const config::Config& configured, int64_t now_ns, Sink& sink) {
  const config::Config cfg = config::Tightened(configured, sink.state().policy);
  Counts counts;
  std::vector<weather::MarketSignal> verdicts = weather::DecideMarkets(sink.state(), cfg, now_ns);
  std::vector<std::pair<const weather::MarketSignal*, uint64_t>> proposals;  // with their signal's seq
  for (weather::MarketSignal& m : verdicts) {
    ++counts.signals;
    RETURN_IF_ERROR(sink.Emit(m.signal));
    const Symbol& symbol = m.signal.symbol;
    // Our resting entries in the market: kept, repriced (cancelled now,
    // entered again at the next step) or cancelled.
    bool ours = sink.state().positions.contains(symbol);
    std::vector<orders::CancelOrder> cancels;
    for (const auto& [id, order] : sink.state().orders) {
      if (order.symbol != symbol) continue;
      ours = true;
      switch (weather::ReviewEntry(order, m, sink.state(), cfg, now_ns)) {
        case weather::EntryAction::kKeep: break;
        case weather::EntryAction::kReprice: cancels.push_back(orders::Cancel(id, "REPRICE")); break;
        case weather::EntryAction::kSignalGone: cancels.push_back(orders::Cancel(id, "SIGNAL_GONE")); break;
      }
    }
    for (orders::CancelOrder& c : cancels) {
      ++counts.cancels;
      RETURN_IF_ERROR(sink.Emit(CancelRequested{c.id, c.reason}));
      sink.Cancel(std::move(c));
    }
    if (!m.propose || ours) continue;
    m.limit_price = weather::ChasedLimit(sink.state(), cfg, symbol, m.side, m.limit_price);
    proposals.emplace_back(&m, sink.state().last_seq);
  }
  std::stable_sort(proposals.begin(), proposals.end(),
                   [](const auto& a, const auto& b) { return a.first->signal.score > b.first->signal.score; });
  for (const auto& [m, signal_seq] : proposals) {
    const TradeProposed trade = weather::SizeContracts(*m, sink.state(), cfg, signal_seq);
    RETURN_IF_ERROR(sink.Emit(trade));
    risk::Verdict verdict = weather::Judge(trade, sink.state().last_seq, sink.state(), cfg, now_ns);
    if (auto* rejected = std::get_if<RiskRejected>(&verdict)) {
      RETURN_IF_ERROR(sink.Emit(std::move(*rejected)));
      continue;
    }
    RETURN_IF_ERROR(sink.Emit(std::get<RiskApproved>(std::move(verdict))));
    ++counts.orders;
    RETURN_IF_ERROR(Place(orders::EntryOrder(trade), cfg.run.mode, sink));
  }
  return counts;
}

absl::Status ApplyPlan(orders::Plan plan, Mode mode, Sink& sink) {
  for (EventBody& e : plan.events) RETURN_IF_ERROR(sink.Emit(std::move(e)));
  absl::btree_map<Symbol, ProtectiveOrdersReplaced> replaced;
  for (orders::NewOrder& n : plan.orders) {
    const Symbol symbol = n.order.symbol;
    const OrderPurpose purpose = n.order.purpose;
    ClientOrderId id;
    RETURN_IF_ERROR(Place(std::move(n), mode, sink, &id));
    ProtectiveOrdersReplaced& r = replaced[symbol];
    r.symbol = symbol;
    (purpose == OrderPurpose::kStopLoss ? r.stop_loss : r.take_profit) = id;
  }
  if (plan.replaced) {
    for (auto& [symbol, r] : replaced) RETURN_IF_ERROR(sink.Emit(std::move(r)));
  }
  for (orders::CancelOrder& c : plan.cancels) {
    if (c.after_new_stop) {
      auto it = sink.state().orders.find(c.id);
      if (it != sink.state().orders.end()) c.after = replaced[it->second.symbol].stop_loss;
    }
    sink.Cancel(std::move(c));
  }
  return absl::OkStatus();
}

}  // namespace apollo::decision
