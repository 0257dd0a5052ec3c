// The decision re-run behind `replay decisions` (see decisions.h).
#include "replay/decisions.h"

#include <algorithm>
#include <deque>
#include <memory>
#include <utility>

#include "absl/container/btree_map.h"
#include "absl/strings/str_cat.h"
#include "engine/decision/decision.h"
#include "engine/domain/codec.h"
#include "engine/domain/status_macros.h"
#include "engine/news/news.h"
#include "engine/orders/orders.h"
#include "engine/reconcile/reconcile.h"
#include "engine/strategy/strategy.h"
#include "engine/universe/universe.h"
#include "ledger/event_log.h"

namespace apollo::replay {
namespace {

constexpr uint64_t kProgressEvery = 65536;
// Bars kept to warm a strategy rebuilt by a later ConfigLoaded, whose window
// may be longer than the one before (the engine warms from the ledger).
constexpr size_t kRecentBarsKept = 50'000;

std::string TypeOf(const EventBody& body) { return std::string(EventName(static_cast<uint16_t>(TagOf(body)))); }

// A sink over a copy of the folded state: what the engine would have
// emitted, applied as the engine applies it.
class ScratchSink : public decision::Sink {
 public:
  ScratchSink(const State& state, int64_t ts_ns) : state_(state), ts_ns_(ts_ns) {}
  const State& state() const override { return state_; }
  absl::Status Emit(EventBody body) override {
    Event e{state_.last_seq + 1, ts_ns_, std::move(body)};
    absl::Status st = Apply(state_, e);
    if (!st.ok()) {
      return absl::FailedPreconditionError(absl::StrCat("the derived ", TypeOf(e.body), " is refused by the fold: ",
                                                        st.message()));
    }
    events_.push_back(std::move(e.body));
    return absl::OkStatus();
  }
  std::vector<EventBody> Take() { return std::move(events_); }

 private:
  State state_;
  int64_t ts_ns_;
  std::vector<EventBody> events_;
};

class Checker {
 public:
  Checker(const DecisionsOptions& o, uint64_t head) : o_(o), head_(head) {}

  absl::Status OnEvent(Event e) {
    ++report_.events;
    // A bar step starts at its first bar; on an event-contract venue every
    // event belongs to the market step its TradeCycleCompleted closes.
    if (std::holds_alternative<CandleClose>(e.body) || (cfg_ && cfg_->run.venue == "kalshi")) in_step_ = true;
    if (!in_step_) return Process(std::move(e));
    step_.push_back(std::move(e));
    if (std::holds_alternative<TradeCycleCompleted>(step_.back().body)) return ProcessStep();
    return absl::OkStatus();
  }

  absl::StatusOr<DecisionsReport> Finish() {
    for (Event& e : std::exchange(step_, {})) RETURN_IF_ERROR(Process(std::move(e)));
    CloseExpectation(state_.last_seq);
    return std::move(report_);
  }

 private:
  struct Expectation {
    std::string kind;
    uint64_t point_seq = 0;  // where the decision was taken
    uint64_t end_seq = 0;    // bar: the TradeCycleCompleted closing the region; 0: as many as derived
    std::deque<EventBody> events;
    bool diverged = false;
    bool active = false;
  };

  bool InWindow(uint64_t seq) const { return seq >= o_.from_seq && seq <= o_.to_seq; }

  // A bar step is buffered up to its TradeCycleCompleted, which says where
  // the decision was taken.
  absl::Status ProcessStep() {
    std::vector<Event> step = std::exchange(step_, {});
    in_step_ = false;
    const auto& tcc = std::get<TradeCycleCompleted>(step.back().body);
    for (Event& e : step) {
      if (tcc.decided_after_seq != 0 && state_.last_seq == tcc.decided_after_seq) {
        RETURN_IF_ERROR(DeriveBar(tcc, step.back().seq));
      }
      RETURN_IF_ERROR(Process(std::move(e)));
    }
    step_symbols_.clear();
    return absl::OkStatus();
  }

  absl::Status Process(Event e) {
    Compare(e);
    std::optional<orders::Plan> plan;
    // The reports the order manager reacts to: fills, and a protective
    // order cancelled by someone else.
    if (cfg_ && (std::holds_alternative<OrderFilled>(e.body) || std::holds_alternative<OrderPartialFill>(e.body) ||
                 std::holds_alternative<OrderCancelled>(e.body))) {
      plan = orders::React(state_, e.body, *cfg_);
    }
    if (auto* snap = std::get_if<ReconciliationSnapshot>(&e.body)) ExpectVerdict(*snap, e.seq);
    if (auto* u = std::get_if<UniverseUpdated>(&e.body)) JudgeUniverse(*u, e.seq);
    if (auto* f = std::get_if<FundingPaid>(&e.body)) JudgeFunding(*f, e.seq);
    RETURN_IF_ERROR(Judge(e));
    RETURN_IF_ERROR(Apply(state_, e));
    if (auto* n = std::get_if<NewsIngested>(&e.body)) DeriveNews(*n, e.seq);
    if (auto* c = std::get_if<ConfigLoaded>(&e.body)) RETURN_IF_ERROR(LoadConfig(*c, e.seq));
    if (auto* c = std::get_if<CandleClose>(&e.body)) RETURN_IF_ERROR(Feed(*c));
    if (plan && (!plan->events.empty() || !plan->orders.empty())) DeriveReaction(std::move(*plan), e);
    if (o_.progress && e.seq % kProgressEvery == 0) o_.progress(e.seq, head_);
    return absl::OkStatus();
  }

  absl::Status LoadConfig(const ConfigLoaded& c, uint64_t seq) {
    config::Config base;
    if (o_.config) {
      base = *o_.config;
    } else if (c.config_text.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "seq ", seq, ": ConfigLoaded has no config text (written before ConfigLoaded v2); pass --config FILE"));
    } else {
      ASSIGN_OR_RETURN(base, config::ParseCanonical(c.config_text, absl::StrCat("ConfigLoaded at seq ", seq)));
    }
    ASSIGN_OR_RETURN(config::Config cfg, config::ApplyOverrides(base, o_.overrides));
    if (cfg_ && !strategies_.empty() && cfg.Canonical() == cfg_->Canonical()) return absl::OkStatus();
    strategies_.clear();
    cfg_ = std::move(cfg);
    fallback_ = risk::Filters{cfg_->paper_sim.price_tick, cfg_->paper_sim.qty_step, cfg_->paper_sim.min_notional, {}, {}};
    // As the engine does at start: the new strategies, warmed from the
    // journaled bars (the config's symbols, and those added since).
    for (const std::string& name : cfg_->Symbols()) RETURN_IF_ERROR(AddStrategy(Symbol{name}));
    for (const auto& [symbol, recent] : recent_) RETURN_IF_ERROR(AddStrategy(symbol));
    return absl::OkStatus();
  }

  // A strategy for `symbol` (none yet), fed the journaled bars the engine's
  // would have been warmed with.
  absl::Status AddStrategy(const Symbol& symbol) {
    if (strategies_.contains(symbol)) return absl::OkStatus();
    ASSIGN_OR_RETURN(std::unique_ptr<strategy::Strategy> strategy,
                     strategy::MakeStrategy(cfg_->strategy, cfg_->regime, symbol.value, cfg_->run.interval));
    const std::deque<strategy::Bar>& recent = recent_[symbol];
    const size_t warm = std::min(recent.size(), strategy->WarmupBars());
    for (auto it = recent.end() - static_cast<std::ptrdiff_t>(warm); it != recent.end(); ++it) strategy->OnBar(*it);
    strategies_[symbol] = std::move(strategy);
    return absl::OkStatus();
  }

  // A symbol the run added after it started (Engine::AddSymbol) gets its
  // strategy at its first journaled bar.
  absl::Status Feed(const CandleClose& c) {
    if (!cfg_) return absl::OkStatus();
    RETURN_IF_ERROR(AddStrategy(c.symbol));
    auto it = strategies_.find(c.symbol);
    const strategy::Bar bar{c.open_time_ms, c.open, c.high, c.low, c.close, c.volume};
    it->second->OnBar(bar);
    step_symbols_.push_back(c.symbol);
    std::deque<strategy::Bar>& recent = recent_[c.symbol];
    recent.push_back(bar);
    if (recent.size() > std::max(kRecentBarsKept, it->second->WarmupBars())) recent.pop_front();
    return absl::OkStatus();
  }

  // The step's decisions: the symbols that had a bar in it, as the engine
  // decides them; on an event-contract venue, weather_high_v1 over every
  // listed market (decision::ActMarkets).
  absl::Status DeriveBar(const TradeCycleCompleted& tcc, uint64_t tcc_seq) {
    if (!cfg_ || !InWindow(tcc.decided_after_seq + 1)) return absl::OkStatus();
    CloseExpectation(state_.last_seq);
    if (cfg_->run.venue == "kalshi" && step_symbols_.empty()) {
      ScratchSink sink(state_, tcc.decided_at_ns);
      absl::StatusOr<decision::Counts> counts = decision::ActMarkets(*cfg_, tcc.decided_at_ns, sink);
      if (!counts.ok()) {
        Refused("market", tcc.decided_after_seq + 1, counts.status());
        return absl::OkStatus();
      }
      Open("market", tcc.decided_after_seq + 1, tcc_seq, sink.Take());
      return absl::OkStatus();
    }
    std::vector<decision::SymbolDecision> step;
    std::sort(step_symbols_.begin(), step_symbols_.end());
    for (const Symbol& symbol : step_symbols_) {
      step.push_back({symbol, strategies_.at(symbol)->Decide(state_, tcc.decided_at_ns), fallback_});
    }
    ScratchSink sink(state_, tcc.decided_at_ns);
    absl::StatusOr<decision::Counts> counts = decision::ActStep(step, *cfg_, tcc.decided_at_ns, sink);
    if (!counts.ok()) {
      Refused("bar", tcc.decided_after_seq + 1, counts.status());
      return absl::OkStatus();
    }
    Open("bar", tcc.decided_after_seq + 1, tcc_seq, sink.Take());
    return absl::OkStatus();
  }

  // A news item's classification, derived again: the NewsClassified
  // events that follow it.
  void DeriveNews(const NewsIngested& item, uint64_t seq) {
    if (!cfg_ || !InWindow(seq)) return;
    CloseExpectation(state_.last_seq);
    std::vector<EventBody> derived;
    for (NewsClassified& c : news::Judge(item, *cfg_, news::Traded(*cfg_, state_))) derived.push_back(std::move(c));
    Open("news", seq, 0, std::move(derived));
  }

  void DeriveReaction(orders::Plan plan, const Event& report) {
    if (!InWindow(report.seq)) return;
    CloseExpectation(state_.last_seq);
    ScratchSink sink(state_, report.ts_ns);
    absl::Status st = decision::ApplyPlan(std::move(plan), cfg_->run.mode, sink);
    if (!st.ok()) {
      Refused("reaction", report.seq, st);
      return;
    }
    Open("reaction", report.seq, 0, sink.Take());
  }

  // The derivation itself failed (a derived event the fold refuses): one divergence.
  void Refused(const std::string& kind, uint64_t seq, const absl::Status& st) {
    exp_ = Expectation{kind, seq, 0, {}, false, true};
    Diverge("(derivation)", "error", "", std::string(st.message()), seq);
    CloseExpectation(seq);
  }

  void Open(const std::string& kind, uint64_t point_seq, uint64_t end_seq, std::vector<EventBody> derived) {
    exp_ = Expectation{kind, point_seq, end_seq, {}, false, true};
    for (EventBody& b : derived) exp_.events.push_back(std::move(b));
    if (end_seq == 0 && exp_.events.empty()) CloseExpectation(point_seq);
  }

  // Counts the open decision point and reports what was derived but never recorded.
  void CloseExpectation(uint64_t seq) {
    if (!exp_.active) return;
    for (const EventBody& d : exp_.events) Diverge(TypeOf(d), "type", "none", BodyToJson(d), seq);
    ++report_.decisions;
    ++report_.checked[exp_.kind];
    if (exp_.diverged) ++report_.diverged[exp_.kind];
    exp_ = Expectation{};
  }

  // The recorded event against the next derived one.
  void Compare(const Event& e) {
    if (!exp_.active) return;
    if (exp_.end_seq != 0 && e.seq >= exp_.end_seq) {
      CloseExpectation(e.seq);
      return;
    }
    if (exp_.events.empty()) {
      if (exp_.end_seq != 0) Diverge(TypeOf(e.body), "type", BodyToJson(e.body), "none", e.seq);
      return;
    }
    EventBody derived = std::move(exp_.events.front());
    exp_.events.pop_front();
    if (TagOf(derived) != TagOf(e.body)) {
      Diverge(TypeOf(e.body), "type", TypeOf(e.body), TypeOf(derived), e.seq);
    } else {
      const auto recorded_fields = FieldsAsJson(e.body), derived_fields = FieldsAsJson(derived);
      for (size_t i = 0; i < recorded_fields.size(); ++i) {
        if (recorded_fields[i].second != derived_fields[i].second) {
          Diverge(TypeOf(e.body), recorded_fields[i].first, recorded_fields[i].second, derived_fields[i].second, e.seq);
        }
      }
    }
    if (exp_.end_seq == 0 && exp_.events.empty()) CloseExpectation(e.seq);
  }

  // Reconciliation: the verdict on the journaled venue snapshot, judged again.
  void ExpectVerdict(const ReconciliationSnapshot& snap, uint64_t seq) {
    if (!InWindow(seq)) return;
    verdict_seq_ = seq;
    verdict_agree_ = reconcile::Reconcile(state_, reconcile::FromSnapshotEvent(snap), reconcile::TolerancesOf(snap)).empty();
  }

  absl::Status Judge(const Event& e) {
    const bool completed = std::holds_alternative<ReconciliationCompleted>(e.body);
    if (verdict_seq_ == 0 || (!completed && !std::holds_alternative<ManualInterventionDetected>(e.body))) {
      return absl::OkStatus();
    }
    ++report_.decisions;
    ++report_.checked["reconciliation"];
    if (completed != verdict_agree_) {
      ++report_.diverged["reconciliation"];
      Record(Divergence{e.seq, "reconciliation", TypeOf(e.body), "verdict", completed ? "agree" : "differ",
                        verdict_agree_ ? "agree" : "differ"});
    }
    verdict_seq_ = 0;
    return absl::OkStatus();
  }

  // The universe chosen again from the candidates' journaled numbers.
  void JudgeUniverse(const UniverseUpdated& recorded, uint64_t seq) {
    if (!cfg_ || !InWindow(seq)) return;
    std::vector<UniverseCandidate> numbers = recorded.candidates;
    for (UniverseCandidate& c : numbers) {
      c.rank = 0;
      c.kept = false;
      c.reason.clear();
    }
    const UniverseUpdated derived = universe::Select(std::move(numbers), cfg_->universe, recorded.source);
    Tally("universe", "symbols", seq, recorded, derived);
  }

  // A simulated funding payment computed again: the position the fold holds
  // then, at the journaled mark price and rate.
  void JudgeFunding(const FundingPaid& recorded, uint64_t seq) {
    // Mark price 0: the venue's own amount (testnet, live), nothing to compute.
    if (!cfg_ || !InWindow(seq) || recorded.mark_price.is_zero()) return;
    FundingPaid derived = recorded;
    auto it = state_.positions.find(recorded.symbol);
    derived.side = it == state_.positions.end() ? recorded.side : it->second.side;
    derived.qty = it == state_.positions.end() ? Fixed() : it->second.qty;
    derived.amount = FundingAmount(derived.side, derived.qty, recorded.mark_price, recorded.funding_rate);
    Tally("funding", "amount", seq, recorded, derived);
  }

  // One decision of `kind` judged by an event derived again whole: counted,
  // and recorded as a divergence (named by `field`) when it differs.
  template <class E>
  void Tally(const std::string& kind, const std::string& field, uint64_t seq, const E& recorded, const E& derived) {
    ++report_.decisions;
    ++report_.checked[kind];
    if (derived == recorded) return;
    ++report_.diverged[kind];
    Record(Divergence{seq, kind, std::string(E::kName), field, BodyToJson(EventBody{recorded}),
                      BodyToJson(EventBody{derived})});
  }

  // A difference at the open decision point.
  void Diverge(const std::string& event, const std::string& field, std::string recorded, std::string derived,
               uint64_t seq) {
    exp_.diverged = true;
    Record(Divergence{seq, exp_.kind, event, field, std::move(recorded), std::move(derived)});
  }

  void Record(Divergence d) {
    ++report_.divergence_count;
    if (report_.divergences.size() < o_.max_divergences_kept) report_.divergences.push_back(std::move(d));
  }

  const DecisionsOptions& o_;
  const uint64_t head_;
  DecisionsReport report_;
  State state_;
  std::optional<config::Config> cfg_;
  risk::Filters fallback_;
  absl::btree_map<Symbol, std::unique_ptr<strategy::Strategy>> strategies_;
  absl::btree_map<Symbol, std::deque<strategy::Bar>> recent_;
  std::vector<Symbol> step_symbols_;  // of the step being read, as fed
  std::vector<Event> step_;
  bool in_step_ = false;
  Expectation exp_;
  uint64_t verdict_seq_ = 0;
  bool verdict_agree_ = true;
};

}  // namespace

absl::StatusOr<DecisionsReport> CheckDecisions(const ledger::Ledger& ledger, const DecisionsOptions& options) {
  if (!options.overrides.empty() && options.config) {
    RETURN_IF_ERROR(config::ApplyOverrides(*options.config, options.overrides).status());
  }
  const uint64_t head = ledger.head().last_seq;
  if (head == 0) return absl::FailedPreconditionError("the ledger is empty");
  Checker checker(options, head);
  RETURN_IF_ERROR(ledger.Scan(1, head, [&](const ledger::RecordView& r) -> absl::Status {
    ASSIGN_OR_RETURN(Event e, ledger::DecodeRecord(r));
    return checker.OnEvent(std::move(e));
  }));
  return checker.Finish();
}

}  // namespace apollo::replay
