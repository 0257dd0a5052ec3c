// The engine step. See engine.h; the order of each step is the contract:
// journal inputs → decide → append (synced) → effects → journal results.
#include "engine/runtime/engine.h"

#include <algorithm>

#include <deque>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "engine/domain/codec.h"
#include "engine/domain/json.h"
#include "engine/config/policy.h"
#include "engine/decision/decision.h"
#include "engine/domain/status_macros.h"
#include "engine/weather/signal.h"
#include "engine/news/news.h"
#include "engine/runtime/crash_point.h"
#include "engine/universe/universe.h"
#include "ledger/event_log.h"
#include "replay/fold.h"

namespace apollo::runtime {
namespace {

// Bound on submit/report rounds after one step (entry → protection → ...).
constexpr int kMaxEffectRounds = 8;

bool IsGateRule(RiskRule r) {
  return r == RiskRule::kTradingPaused || r == RiskRule::kManualReviewRequired ||
         r == RiskRule::kCircuitBreakerActive;
}

const char* CommandName(OperatorCommand::Kind kind) {
  switch (kind) {
    case OperatorCommand::kPause: return "pause";
    case OperatorCommand::kResume: return "resume";
    case OperatorCommand::kAck: return "ack";
    case OperatorCommand::kKillSwitch: return "kill_switch";
    case OperatorCommand::kCancelAll: return "cancel_all";
    case OperatorCommand::kClose: return "close";
    case OperatorCommand::kFlatten: return "flatten";
    case OperatorCommand::kReconcile: return "reconcile";
    case OperatorCommand::kResetBreaker: return "reset_circuit_breaker";
    case OperatorCommand::kBackup: return "backup";
    case OperatorCommand::kSetWeights: return "strategy_weights";
    case OperatorCommand::kResetRateLimit: return "ratelimit_reset";
  }
  return "unknown";
}

bool Cancellable(const Order& o) {
  return o.status == OrderStatus::kAccepted || o.status == OrderStatus::kPartiallyFilled;
}

// A reduce-only order of a symbol with a position open: its stop-loss or
// take-profit (or its close), never cancelled by an operator's sweep.
bool ProtectsAPosition(const State& s, const Order& o) { return o.reduce_only && s.positions.contains(o.symbol); }

}  // namespace

Engine::Engine(EngineDeps deps) : d_(std::move(deps)) {
  interval_ms_ = config::ParseTimeframe(d_.cfg.run.interval).value_or(300) * 1000;
}

Engine::~Engine() = default;

absl::Status Engine::Emit(EventBody body) {
  Event e{state_.last_seq + 1, d_.clock->NowNs(), std::move(body)};
  absl::Status st = Apply(state_, e);
  if (!st.ok()) {
    return absl::InternalError(absl::StrCat("the engine made an event the fold refuses (",
                                            EventName(static_cast<uint16_t>(TagOf(e.body))), "): ", st.message()));
  }
  pending_.push_back(std::move(e));
  // A day this event closed: written once the group it is in is committed.
  if (state_.last_day.day_utc >= 0 && state_.last_day.day_utc != day_noted_) {
    day_noted_ = state_.last_day.day_utc;
    closed_days_.push_back(state_.last_day);
  }
  return absl::OkStatus();
}

absl::Status Engine::Commit() {
  const size_t group = d_.unsynced_group_events;
  if (group > 0 && pending_.size() < group) return absl::OkStatus();  // appended with a later step
  return Append(/*sync=*/group == 0);
}

absl::Status Engine::Append(bool sync) {
  if (writer_ != nullptr && !sync) return HandOver();
  if (writer_ != nullptr) RETURN_IF_ERROR(writer_->Drain());  // the ledger is this thread's again
  if (pending_.empty()) return absl::OkStatus();
  double append_seconds = 0;
  RETURN_IF_ERROR(AppendAndProject(*d_.ledger, d_.projections, pending_, sync, &append_seconds));
  LogEvents(pending_);
  if (d_.observer != nullptr) d_.observer->OnCommitted(pending_, state_, append_seconds);
  pending_.clear();
  WriteClosedDays();
  MaybeSnapshot(false);
  return absl::OkStatus();
}

// The group goes to the writer thread; the log and the observer see it now.
absl::Status Engine::HandOver() {
  if (pending_.empty()) return absl::OkStatus();
  LogEvents(pending_);
  if (d_.observer != nullptr) d_.observer->OnCommitted(pending_, state_, 0);
  // The writer thread owns the projections while groups are in flight: it
  // writes the days these events closed once they are appended.
  RETURN_IF_ERROR(writer_->Submit(std::exchange(pending_, {}), std::exchange(closed_days_, {})));
  if (std::string error = writer_->TakeSnapshotError(); !error.empty()) {
    d_.log->Warning("snapshot_failed", LogFields().Add("error", error));
  }
  MaybeSnapshot(false);
  return absl::OkStatus();
}

void Engine::WriteClosedDays() {
  if (d_.projections != nullptr) {
    for (const DaySummary& day : closed_days_) d_.projections->WriteDay(day);
  }
  closed_days_.clear();
}

void Engine::MaybeSnapshot(bool force) {
  const auto& storage = d_.cfg.storage;
  if (state_.last_seq == last_snapshot_seq_) return;
  if (!force && state_.last_seq - last_snapshot_seq_ < static_cast<uint64_t>(storage.snapshot_every_events)) return;
  if (writer_ != nullptr && !force) {  // stored once the groups before it are appended
    writer_->SubmitSnapshot(state_.last_seq, EncodeState(state_), static_cast<size_t>(storage.snapshots_kept));
    last_snapshot_seq_ = state_.last_seq;
    return;
  }
  // A snapshot only shortens recovery; failing to write one is worth a
  // warning, not a halt (the ledger itself is intact).
  absl::Status st = d_.ledger->PutSnapshot(state_.last_seq, EncodeState(state_), /*sync=*/force);
  CrashPoint("snapshot");
  if (st.ok()) st = d_.ledger->PruneSnapshots(static_cast<size_t>(storage.snapshots_kept));
  if (!st.ok()) {
    d_.log->Warning("snapshot_failed", LogFields().Add("seq", state_.last_seq).Add("error", st.message()));
    return;
  }
  last_snapshot_seq_ = state_.last_seq;
}

absl::Status Engine::JournalReports(const venue::Reports& reports) {
  for (const EventBody& report : reports) {
    orders::Plan plan = orders::React(state_, report, d_.cfg);
    RETURN_IF_ERROR(Emit(report));
    RETURN_IF_ERROR(ApplyPlan(std::move(plan)));
  }
  return absl::OkStatus();
}

absl::Status Engine::Place(orders::NewOrder n, ClientOrderId* id_out) {
  return decision::Place(std::move(n), d_.cfg.run.mode, *this, id_out);
}

absl::Status Engine::ApplyPlan(orders::Plan plan) { return decision::ApplyPlan(std::move(plan), d_.cfg.run.mode, *this); }

// Side effects of what was just committed. Every venue call's reports are
// journaled and committed before the next round acts on them.
void Engine::CancelWhenKnown() {
  for (auto it = cancel_when_known_.begin(); it != cancel_when_known_.end();) {
    auto order = state_.orders.find(it->first);
    if (order != state_.orders.end() && !Cancellable(order->second)) {
      ++it;  // still in doubt
      continue;
    }
    if (order != state_.orders.end()) to_cancel_.push_back(orders::Cancel(it->first, it->second));
    it = cancel_when_known_.erase(it);  // cancelled now, or gone (filled, rejected, expired)
  }
}

absl::Status Engine::RunEffects() {
  if (!cancel_when_known_.empty()) CancelWhenKnown();
  for (int round = 0; !to_submit_.empty() || !to_cancel_.empty(); ++round) {
    if (round == kMaxEffectRounds) return absl::InternalError("order effects did not settle");
    std::vector<ClientOrderId> submits = std::exchange(to_submit_, {});
    std::vector<orders::CancelOrder> cancels = std::exchange(to_cancel_, {});
    for (const ClientOrderId& id : submits) {
      auto it = state_.orders.find(id);
      if (it == state_.orders.end() || it->second.status != OrderStatus::kPlaced) continue;
      const Order order = it->second;
      CrashPoint("before_send");
      const venue::Reports reports = d_.venue->Submit(order);
      CrashPoint("after_send");
      if (d_.observer != nullptr) d_.observer->OnSubmitted(order, reports);
      RETURN_IF_ERROR(JournalReports(reports));
    }
    for (const orders::CancelOrder& c : cancels) {
      auto it = state_.orders.find(c.id);
      if (it == state_.orders.end() || !Cancellable(it->second)) continue;  // gone, or asked twice
      const Order order = it->second;
      if (!c.after.value.empty()) {
        auto replacement = state_.orders.find(c.after);
        if (replacement == state_.orders.end()) {  // refused: the old stop stays, and so does its price
          RETURN_IF_ERROR(TrailingStopFailed(order, c.after));
          continue;
        }
        if (replacement->second.status == OrderStatus::kPlaced) continue;  // in doubt: housekeeping cancels it later
      }
      RETURN_IF_ERROR(JournalReports(d_.venue->Cancel(order, c.reason)));
    }
    RETURN_IF_ERROR(CheckBreaker());
    RETURN_IF_ERROR(Commit());
  }
  return absl::OkStatus();
}

// The stop that was to replace `old` (the trailing stop) was refused: the
// position keeps the old stop, its price journaled back, and a person looks
// (the seed's TRAILING_STOP_UPDATE_FAILED).
absl::Status Engine::TrailingStopFailed(const Order& old, const ClientOrderId& refused) {
  auto pos = state_.positions.find(old.symbol);
  if (pos == state_.positions.end()) return absl::OkStatus();
  const Position& p = pos->second;
  d_.log->Warning("trailing_stop_update_failed", LogFields().Add("symbol", old.symbol.value)
                                                     .Add("refused", refused.value).Add("kept", old.client_order_id.value)
                                                     .Add("stop_price", old.stop_price));
  RETURN_IF_ERROR(Emit(PositionUpdated{p.symbol, p.qty, p.entry_price, old.stop_price, p.take_profit,
                                       "TRAILING_STOP_UPDATE_FAILED"}));
  return Emit(ManualInterventionDetected{{Discrepancy{
      InterventionAction::kTrailingStopUpdateFailed, old.symbol, refused, Fixed(), Fixed(),
      absl::StrCat("the venue refused the trailing stop; the stop at ", old.stop_price.ToString(), " (",
                   old.client_order_id.value, ") stays")}}});
}

absl::Status Engine::CheckBreaker() {
  // The limits of config.yaml, tightened by the policy in force.
  const config::RiskConfig risk = state_.policy.empty() ? d_.cfg.risk : config::Tightened(d_.cfg, state_.policy).risk;
  if (auto cooldown = risk::CheckDailyCooldown(state_, risk, d_.clock->NowNs())) {
    RETURN_IF_ERROR(Emit(std::move(*cooldown)));
  }
  if (auto trip = risk::CheckBreaker(state_, risk)) return Emit(std::move(*trip));
  return absl::OkStatus();
}

void Engine::QueueHousekeeping() {
  for (orders::CancelOrder& c : orders::Housekeeping(state_, d_.cfg, d_.clock->NowNs())) {
    to_cancel_.push_back(std::move(c));
  }
}

absl::Status Engine::RunWatchdog() {
  if (!d_.cfg.watchdog.enabled) return absl::OkStatus();
  ++watchdog_runs_;
  if (d_.observer != nullptr) d_.observer->OnWatchdog();
  return ApplyPlan(orders::Watchdog(state_, d_.cfg));
}

absl::Status Engine::Decide(absl::Span<const SymbolBar* const> bars, int64_t now_ns, uint32_t* signals,
                            uint32_t* orders) {
  std::vector<decision::SymbolDecision> step;
  step.reserve(bars.size());
  for (const SymbolBar* b : bars) {
    const TradedSymbol& traded = d_.symbols.at(b->symbol);
    step.push_back({b->symbol, traded.strategy->Decide(state_, now_ns), traded.filters});
  }
  ASSIGN_OR_RETURN(decision::Counts counts, decision::ActStep(step, d_.cfg, now_ns, *this));
  *signals = counts.signals;
  *orders = counts.orders;
  if (counts.signals > 0) {
    if (auto* rejected = std::get_if<RiskRejected>(&pending_.back().body); rejected != nullptr && IsGateRule(rejected->rule)) {
      d_.log->Info("strategy_paused", LogFields().Add("rule", EnumName(rejected->rule)).Add("reason", rejected->reason));
    }
  }
  return absl::OkStatus();
}

bool Engine::UniverseDue() const { return universe::Due(state_, d_.cfg.universe, d_.clock->NowNs()); }

absl::Status Engine::OnUniverse(std::vector<UniverseCandidate> candidates, const std::string& source) {
  UniverseUpdated chosen = universe::Select(std::move(candidates), d_.cfg.universe, source);
  std::vector<std::string> kept;
  for (const Symbol& s : chosen.symbols) kept.push_back(s.value);
  const size_t considered = chosen.candidates.size();
  RETURN_IF_ERROR(Emit(std::move(chosen)));
  d_.log->Info("universe_selected", LogFields().Add("symbols", absl::StrJoin(kept, ","))
                                        .Add("candidates", static_cast<uint64_t>(considered)).Add("source", source));
  return Commit();
}

absl::Status Engine::OnAccountSettings(std::vector<EventBody> outcomes) {
  for (EventBody& e : outcomes) {
    if (auto* f = std::get_if<AccountSettingFailed>(&e)) {
      d_.log->Warning("account_setting_failed", LogFields().Add("symbol", f->symbol.value).Add("setting", f->setting)
                                                    .Add("value", f->value).Add("code", static_cast<int64_t>(f->code))
                                                    .Add("reason", f->reason));
    } else if (auto* u = std::get_if<AccountSettingUpdated>(&e)) {
      d_.log->Info("account_setting_updated", LogFields().Add("symbol", u->symbol.value).Add("setting", u->setting)
                                                  .Add("value", u->value).Add("detail", u->detail));
    }
    RETURN_IF_ERROR(Emit(std::move(e)));
  }
  return Commit();
}

absl::Status Engine::OnFunding(std::vector<FundingUpdate> updates, bool settle) {
  for (FundingUpdate& u : updates) {
    const FundingUpdate update = u;
    RETURN_IF_ERROR(Emit(std::move(u)));
    auto it = state_.positions.find(update.symbol);
    if (!settle || it == state_.positions.end()) continue;
    const Position& p = it->second;
    FundingPaid paid{update.symbol, p.side, p.qty, update.mark_price, update.funding_rate,
                     FundingAmount(p.side, p.qty, update.mark_price, update.funding_rate), update.funding_time_ms};
    d_.log->Info("funding_paid", LogFields().Add("symbol", paid.symbol.value).Add("side", EnumName(paid.side))
                                     .Add("qty", paid.qty).Add("mark_price", paid.mark_price)
                                     .Add("funding_rate", paid.funding_rate).Add("amount", paid.amount));
    RETURN_IF_ERROR(Emit(std::move(paid)));
  }
  return Commit();
}

// A news item's classification, right after it: one NewsClassified per
// traded symbol it names (replay decisions derives the same).
absl::Status Engine::ClassifyNews(const NewsIngested& item) {
  for (NewsClassified& c : news::Judge(item, d_.cfg, news::Traded(d_.cfg, state_))) {
    if (c.risk != NewsRisk::kLow) {
      d_.log->Warning("news_classified", LogFields().Add("source", item.source).Add("symbol", c.symbol.value)
                                             .Add("category", c.category).Add("risk", EnumName(c.risk))
                                             .Add("headline", c.headline).Add("block_until_ns", c.block_until_ns));
    }
    RETURN_IF_ERROR(Emit(std::move(c)));
  }
  return absl::OkStatus();
}

int64_t Engine::LastBarOpenMs() const {
  int64_t last = INT64_MIN;
  for (const auto& [symbol, bar] : state_.last_bars) last = std::max(last, bar.open_time_ms);
  return last;
}

absl::Status Engine::OnBar(const strategy::Bar& bar) {
  if (d_.symbols.empty()) return absl::FailedPreconditionError("the engine trades no symbol");
  const SymbolBar step[] = {{d_.symbols.begin()->first, bar}};
  return OnStep(step);
}

absl::Status Engine::OnStep(absl::Span<const SymbolBar> step, std::vector<EventBody> inputs) {
  if (step.empty()) return absl::OkStatus();
  std::vector<const SymbolBar*> bars;
  for (const SymbolBar& b : step) bars.push_back(&b);
  std::sort(bars.begin(), bars.end(), [](const SymbolBar* a, const SymbolBar* b) { return a->symbol < b->symbol; });
  const int64_t open_ms = bars.front()->bar.open_time_ms;
  for (size_t i = 0; i < bars.size(); ++i) {
    const SymbolBar& b = *bars[i];
    if (!d_.symbols.contains(b.symbol) || b.bar.open_time_ms != open_ms || (i > 0 && bars[i - 1]->symbol == b.symbol)) {
      return absl::InvalidArgumentError(absl::StrCat("a step's bars must be of traded symbols, one each, of one open time (",
                                                     b.symbol.value, " at ", b.bar.open_time_ms, ")"));
    }
  }
  const int64_t last_open_ms = LastBarOpenMs();
  const int64_t prev_close_ms = last_open_ms == INT64_MIN ? -1 : last_open_ms + interval_ms_;
  for (EventBody& input : inputs) {
    std::optional<NewsIngested> item;
    if (const auto* n = std::get_if<NewsIngested>(&input)) item = *n;
    RETURN_IF_ERROR(Emit(std::move(input)));
    if (item) RETURN_IF_ERROR(ClassifyNews(*item));
  }
  for (const SymbolBar* b : bars) {
    const strategy::Bar& bar = b->bar;
    const CandleClose candle{b->symbol, d_.cfg.run.interval, bar.open_time_ms, bar.open, bar.high, bar.low, bar.close,
                             bar.volume};
    const venue::Reports fills = d_.venue->OnBar(state_, candle);
    RETURN_IF_ERROR(Emit(candle));
    RETURN_IF_ERROR(JournalReports(fills));
    d_.symbols.at(b->symbol).strategy->OnBar(bar);
  }
  RETURN_IF_ERROR(CheckBreaker());
  QueueHousekeeping();
  // The watchdog runs when the step's close enters a new interval_sec
  // slot: a function of the data, so a restarted run checks when an
  // uninterrupted one would. A late symbol's step of an earlier close
  // (live runs) enters none.
  const int64_t slot_ms = int64_t{d_.cfg.watchdog.interval_sec} * 1000;
  const int64_t close_ms = open_ms + interval_ms_;
  if (prev_close_ms < 0 || (close_ms > prev_close_ms && close_ms / slot_ms != prev_close_ms / slot_ms)) {
    RETURN_IF_ERROR(RunWatchdog());
  }
  uint32_t signals = 0, orders = 0;
  const uint64_t decided_after_seq = state_.last_seq;
  const int64_t decided_at_ns = d_.clock->NowNs();
  RETURN_IF_ERROR(Decide(bars, decided_at_ns, &signals, &orders));
  RETURN_IF_ERROR(Emit(TradeCycleCompleted{open_ms, signals, orders, decided_after_seq, decided_at_ns}));
  RETURN_IF_ERROR(Commit());
  RETURN_IF_ERROR(RunEffects());
  if (d_.cfg.monitoring.log_cycles) {
    LogFields fields;
    fields.Add("bar_open_time_ms", open_ms);
    if (bars.size() == 1) {
      fields.Add("close", bars.front()->bar.close);
    } else {
      fields.Add("bars", static_cast<uint64_t>(bars.size()));
    }
    d_.log->Info("strategy_cycle_complete",
                 fields.Add("signals", static_cast<int64_t>(signals)).Add("orders", static_cast<int64_t>(orders))
                     .Add("open_positions", static_cast<uint64_t>(state_.positions.size()))
                     .Add("equity", state_.balance).Add("seq", state_.last_seq));
  }
  return absl::OkStatus();
}

absl::StatusOr<decision::Counts> Engine::OnMarketStep(int64_t step_ms, std::vector<EventBody> inputs,
                                                      venue::Reports reports) {
  RETURN_IF_ERROR(JournalReports(reports));
  for (EventBody& input : inputs) {
    if (const auto* settled = std::get_if<MarketSettled>(&input)) {
      for (EventBody& e : orders::SettlementEvents(state_, *settled)) RETURN_IF_ERROR(Emit(std::move(e)));
    } else {
      RETURN_IF_ERROR(Emit(std::move(input)));
    }
  }
  RETURN_IF_ERROR(CheckBreaker());
  QueueHousekeeping();
  const uint64_t decided_after_seq = state_.last_seq;
  const int64_t decided_at_ns = d_.clock->NowNs();
  ASSIGN_OR_RETURN(decision::Counts counts, decision::ActMarkets(d_.cfg, decided_at_ns, *this));
  RETURN_IF_ERROR(Emit(TradeCycleCompleted{step_ms, counts.signals, counts.orders, decided_after_seq, decided_at_ns}));
  RETURN_IF_ERROR(Commit());
  RETURN_IF_ERROR(RunEffects());
  if (d_.cfg.monitoring.log_cycles) {
    d_.log->Info("strategy_cycle_complete",
                 LogFields().Add("step_ms", step_ms).Add("signals", static_cast<int64_t>(counts.signals))
                     .Add("orders", static_cast<int64_t>(counts.orders)).Add("cancels", static_cast<int64_t>(counts.cancels))
                     .Add("open_positions", static_cast<uint64_t>(state_.positions.size()))
                     .Add("markets", static_cast<uint64_t>(state_.instruments.size()))
                     .Add("equity", state_.balance).Add("seq", state_.last_seq));
  }
  return counts;
}

absl::Status Engine::RebuildState() {
  const absl::Time t0 = absl::Now();
  ASSIGN_OR_RETURN(replay::FoldResult folded, replay::FoldLedger(*d_.ledger, replay::FoldOptions{}));
  state_ = std::move(folded.state);
  rebuilt_ = true;
  last_snapshot_seq_ = folded.snapshot_seq;
  start_info_.events_folded = folded.events_folded;
  start_info_.snapshot_seq = folded.snapshot_seq;
  start_info_.last_seq = state_.last_seq;
  start_info_.rebuild_ms = absl::ToDoubleMilliseconds(absl::Now() - t0);
  for (const std::string& why : folded.skipped_snapshots) d_.log->Warning("snapshot_skipped", LogFields().Add("why", why));
  d_.log->Info("state_rebuilt", LogFields().Add("events", state_.last_seq).Add("events_folded", folded.events_folded)
                                    .Add("snapshot_seq", folded.snapshot_seq).Add("ms", start_info_.rebuild_ms)
                                    .Add("open_positions", static_cast<uint64_t>(state_.positions.size()))
                                    .Add("open_orders", static_cast<uint64_t>(state_.orders.size())));
  if (state_.running) d_.log->Warning("unclean_shutdown_detected", LogFields().Add("last_seq", state_.last_seq));
  return absl::OkStatus();
}

// The strategies' windows come back from the journaled bars, so a restarted
// run decides exactly as an uninterrupted one would. Each strategy sees the
// last WarmupBars() journaled bars of its symbol. They are looked for at the
// ledger's end, in a window of events that doubles until it holds enough of
// every symbol's (or reaches seq 1): start-up reads what the indicators
// need, however long the ledger.
absl::Status Engine::WarmStrategies(const std::vector<Symbol>& which) {
  const uint64_t head = d_.ledger->head().last_seq;
  if (head == 0 || which.empty()) return absl::OkStatus();
  absl::btree_map<Symbol, std::deque<strategy::Bar>> bars;
  absl::btree_map<Symbol, strategy::Strategy*> warmed;
  size_t most = 0;
  for (const Symbol& symbol : which) {
    strategy::Strategy* s = d_.symbols.at(symbol).strategy;
    warmed[symbol] = s;
    most = std::max(most, s->WarmupBars());
  }
  if (most == 0) return absl::OkStatus();
  for (uint64_t span = std::max<uint64_t>(4 * most * d_.symbols.size(), 4096);; span *= 2) {
    const uint64_t from = span >= head ? 1 : head - span + 1;
    bars.clear();
    RETURN_IF_ERROR(d_.ledger->Scan(from, head, [&](const ledger::RecordView& r) -> absl::Status {
      if (r.tag != static_cast<uint16_t>(EventTag::kCandleClose)) return absl::OkStatus();
      ASSIGN_OR_RETURN(Event e, ledger::DecodeRecord(r));
      const auto& c = std::get<CandleClose>(e.body);
      auto traded = warmed.find(c.symbol);
      if (traded == warmed.end()) return absl::OkStatus();
      std::deque<strategy::Bar>& window = bars[c.symbol];
      window.push_back(strategy::Bar{c.open_time_ms, c.open, c.high, c.low, c.close, c.volume});
      if (window.size() > traded->second->WarmupBars()) window.pop_front();
      return absl::OkStatus();
    }));
    const bool enough = std::all_of(warmed.begin(), warmed.end(), [&](const auto& kv) {
      auto it = bars.find(kv.first);
      return it != bars.end() && it->second.size() >= kv.second->WarmupBars();
    });
    if (enough || from == 1) break;
  }
  for (const auto& [symbol, window] : bars) {
    for (const strategy::Bar& b : window) warmed.at(symbol)->OnBar(b);
  }
  return absl::OkStatus();
}

absl::Status Engine::AddSymbol(const Symbol& symbol, std::unique_ptr<strategy::Strategy> strategy,
                               const risk::Filters& filters) {
  if (strategy == nullptr) return absl::InvalidArgumentError(absl::StrCat("no strategy for ", symbol.value));
  if (d_.symbols.contains(symbol)) return absl::InvalidArgumentError(absl::StrCat(symbol.value, " is traded already"));
  d_.symbols[symbol] = TradedSymbol{strategy.get(), filters};
  added_strategies_.push_back(std::move(strategy));
  // A symbol never journaled has nothing to warm from: no ledger scan.
  if (state_.last_bars.contains(symbol)) RETURN_IF_ERROR(WarmStrategies({symbol}));
  RETURN_IF_ERROR(JournalFilters());
  return Commit();
}

absl::Status Engine::UpdateFilters(const Symbol& symbol, const risk::Filters& filters) {
  auto traded = d_.symbols.find(symbol);
  if (traded == d_.symbols.end()) return absl::InvalidArgumentError(absl::StrCat(symbol.value, " is not traded"));
  traded->second.filters = filters;
  RETURN_IF_ERROR(JournalFilters());
  return Commit();
}

absl::Status Engine::OnHistory(const Symbol& symbol, absl::Span<const strategy::Bar> bars) {
  auto traded = d_.symbols.find(symbol);
  if (traded == d_.symbols.end()) return absl::InvalidArgumentError(absl::StrCat(symbol.value, " is not traded"));
  if (bars.empty()) return absl::OkStatus();
  auto last = state_.last_bars.find(symbol);
  int64_t after_ms = last == state_.last_bars.end() ? INT64_MIN : last->second.open_time_ms;
  for (const strategy::Bar& b : bars) {
    if (b.open_time_ms <= after_ms || b.open_time_ms % interval_ms_ != 0) {
      return absl::InvalidArgumentError(absl::StrCat("history bar ", b.open_time_ms, " of ", symbol.value,
                                                     " is not after ", after_ms, " on the ", d_.cfg.run.interval, " grid"));
    }
    after_ms = b.open_time_ms;
  }
  for (const strategy::Bar& b : bars) {
    RETURN_IF_ERROR(Emit(CandleClose{symbol, d_.cfg.run.interval, b.open_time_ms, b.open, b.high, b.low, b.close, b.volume}));
    traded->second.strategy->OnBar(b);
  }
  RETURN_IF_ERROR(Emit(TradeCycleCompleted{bars.back().open_time_ms, 0, 0, 0, 0}));
  d_.log->Info("history_journaled", LogFields().Add("symbol", symbol.value).Add("bars", static_cast<uint64_t>(bars.size()))
                                        .Add("last_open_time_ms", bars.back().open_time_ms));
  return Commit();
}

// Orders journaled as placed whose fate the venue never told us: ask it by
// client order id before anything is sent again.
absl::Status Engine::ResolveInDoubt() {
  std::vector<Order> in_doubt;
  for (const auto& [id, o] : state_.orders) {
    if (o.status == OrderStatus::kPlaced) in_doubt.push_back(o);
  }
  start_info_.in_doubt_orders = in_doubt.size();
  absl::Status unresolved;
  for (const Order& o : in_doubt) {
    absl::StatusOr<venue::Reports> reports = d_.venue->Query(o);
    if (reports.ok()) {
      d_.log->Info("in_doubt_order_resolved", LogFields().Add("client_order_id", o.client_order_id.value).Add("outcome", "reported"));
      RETURN_IF_ERROR(JournalReports(*reports));
    } else if (absl::IsNotFound(reports.status())) {
      // Never received: sending it now is its first submission, unless the
      // market has moved on since it was decided.
      const int64_t age_ns = d_.clock->NowNs() - o.placed_ts_ns;
      const bool fresh = age_ns <= int64_t{d_.cfg.execution.order_timeout_sec} * 1'000'000'000;
      d_.log->Info("in_doubt_order_resolved", LogFields().Add("client_order_id", o.client_order_id.value)
                                                 .Add("outcome", fresh ? "not_received_sending_now" : "not_received_expired"));
      if (fresh) {
        to_submit_.push_back(o.client_order_id);
      } else {
        RETURN_IF_ERROR(Emit(OrderExpired{o.client_order_id, "NOT_RECEIVED_BY_VENUE"}));
      }
    } else {
      if (unresolved.ok()) {
        unresolved = absl::UnavailableError(absl::StrCat("cannot resolve in-doubt order ", o.client_order_id.value,
                                                         ": ", reports.status().message()));
      }
      // The venue did not answer in time: asking the others now would wait
      // as long again, and the engine loop must go on (bars, the operator).
      // They are all asked again at the next pass.
      if (absl::IsDeadlineExceeded(reports.status())) break;
    }
  }
  return unresolved;
}

absl::Status Engine::ResolveInDoubtOrWarn() {
  absl::Status st = ResolveInDoubt();
  if (!absl::IsUnavailable(st)) return st;
  // Asked again at the next ResolvePending.
  d_.log->Warning("in_doubt_order_unresolved", LogFields().Add("error", st.message()));
  return absl::OkStatus();
}

absl::Status Engine::Start() {
  if (!rebuilt_) RETURN_IF_ERROR(RebuildState());
  // From here on, with a simulated venue, groups are appended in the background.
  if (d_.background_appends && d_.unsynced_group_events > 0 && writer_ == nullptr) {
    writer_ = std::make_unique<GroupWriter>(d_.ledger, d_.projections);
  }
  std::vector<Symbol> all;
  for (const auto& [symbol, traded] : d_.symbols) all.push_back(symbol);
  RETURN_IF_ERROR(WarmStrategies(all));
  if (d_.projections != nullptr) RETURN_IF_ERROR(d_.projections->CatchUp(*d_.ledger));
  // The last day closed, again: a crash may have cut its files.
  if (state_.last_day.day_utc >= 0) closed_days_.push_back(state_.last_day);
  day_noted_ = state_.last_day.day_utc;
  WriteClosedDays();
  CrashPoint("startup");
  const std::string nonce = state_.client_id_nonce.empty() ? d_.client_id_nonce : state_.client_id_nonce;
  RETURN_IF_ERROR(Emit(SystemStarted{d_.cfg.run.mode, d_.build_version, nonce}));
  // An event-contract venue's markets come and go with its listings: its
  // strategy decides over whatever is listed (OnMarketStep).
  const bool markets = d_.cfg.run.venue == "kalshi";
  if (d_.symbols.empty() && !markets) return absl::FailedPreconditionError("the engine trades no symbol");
  const std::string strategy_name =
      markets ? std::string(weather::kStrategyName) : d_.symbols.begin()->second.strategy->name();  // one per symbol, all alike
  const std::string strategy_version =
      markets ? std::string(weather::kStrategyVersion) : d_.symbols.begin()->second.strategy->version();
  RETURN_IF_ERROR(Emit(ConfigLoaded{d_.cfg.Hash(), d_.build_version, d_.cfg.run.initial_equity, d_.cfg.Canonical(),
                                    strategy_name, strategy_version}));
  RETURN_IF_ERROR(JournalFilters());
  // Synced even when steps go in unsynced groups: a start that said it
  // started (its log line, bot's "started" line) is in the ledger.
  RETURN_IF_ERROR(Append(/*sync=*/true));
  RETURN_IF_ERROR(ResolveInDoubtOrWarn());
  QueueHousekeeping();
  RETURN_IF_ERROR(Commit());
  return RunEffects();
}

absl::Status Engine::JournalFilters() {
  for (const auto& [symbol, traded] : d_.symbols) {
    const InstrumentFilters filters = risk::ToInstrumentFilters(traded.filters);
    auto it = state_.filters.find(symbol);
    if (it != state_.filters.end() && it->second == filters) continue;
    RETURN_IF_ERROR(Emit(InstrumentFiltersUpdated{symbol, d_.filters_source, filters}));
  }
  return absl::OkStatus();
}

absl::Status Engine::OnVenueReports(const venue::Reports& reports) {
  RETURN_IF_ERROR(JournalReports(reports));
  RETURN_IF_ERROR(CheckBreaker());
  QueueHousekeeping();
  RETURN_IF_ERROR(Commit());
  return RunEffects();
}

absl::Status Engine::ResolvePending() {
  if (!HasOrderInDoubt()) return absl::OkStatus();
  RETURN_IF_ERROR(ResolveInDoubtOrWarn());
  RETURN_IF_ERROR(Commit());
  return RunEffects();
}

absl::Status Engine::OnReconciliation(const absl::StatusOr<reconcile::VenueSnapshot>& venue,
                                      const reconcile::Tolerances& tolerances) {
  if (!venue.ok()) {
    last_reconcile_ = ReconcileOutcome{"failed", std::string(venue.status().message()), 0, 0, {}};
    RETURN_IF_ERROR(Emit(ReconciliationFailed{std::string(venue.status().message())}));
    d_.log->Warning("reconciliation_failed", LogFields().Add("error", venue.status().message())
                                                 .Add("consecutive_failures", static_cast<uint64_t>(
                                                          state_.reconciliation_consecutive_failures)));
    // Flying blind for too long: someone must look before trading goes on.
    if (state_.reconciliation_consecutive_failures == static_cast<uint32_t>(d_.cfg.reconciliation.failure_threshold)) {
      RETURN_IF_ERROR(Emit(ManualInterventionDetected{{Discrepancy{
          InterventionAction::kReconciliationFailureThreshold, Symbol{}, {}, Fixed(),
          Fixed::FromInt(state_.reconciliation_consecutive_failures),
          absl::StrCat(state_.reconciliation_consecutive_failures, " reconciliation passes failed in a row")}}}));
    }
    return Commit();
  }
  RETURN_IF_ERROR(Emit(reconcile::ToSnapshotEvent(*venue, tolerances)));
  std::vector<Discrepancy> differences = reconcile::Reconcile(state_, *venue, tolerances);
  last_reconcile_ = ReconcileOutcome{differences.empty() ? "completed" : "differences", "",
                                     static_cast<uint32_t>(venue->positions.size()),
                                     static_cast<uint32_t>(venue->open_orders.size()), {}};
  if (differences.empty()) {
    RETURN_IF_ERROR(Emit(ReconciliationCompleted{static_cast<uint32_t>(venue->positions.size()),
                                                 static_cast<uint32_t>(venue->open_orders.size()), venue->balance}));
    d_.log->Info("reconciliation_completed", LogFields().Add("positions", static_cast<uint64_t>(venue->positions.size()))
                                                 .Add("open_orders", static_cast<uint64_t>(venue->open_orders.size())));
  } else {
    // A position the venue no longer has is gone: journal its close (at the
    // venue's fill price when its stream told it, else the last close),
    // so the engine stops protecting and exiting a position that does not
    // exist. Its leftover protective orders are cancelled as orphans. The
    // closes are booked first, so the balance is compared after them (an
    // acknowledged gap must not count the hand close's PnL twice).
    std::vector<Discrepancy> closed_by_hand;
    for (const Discrepancy& d : differences) {
      auto it = state_.positions.find(d.symbol);
      if (d.action == InterventionAction::kPositionClosedExternally && it != state_.positions.end()) {
        RETURN_IF_ERROR(Emit(ExternalClose(it->second, *venue)));
        closed_by_hand.push_back(d);
      }
    }
    if (!closed_by_hand.empty()) {
      differences = std::move(closed_by_hand);
      for (Discrepancy& d : reconcile::Reconcile(state_, *venue, tolerances)) differences.push_back(std::move(d));
    }
    last_reconcile_.discrepancies = differences;
    RETURN_IF_ERROR(Emit(ManualInterventionDetected{std::move(differences)}));
    QueueHousekeeping();
  }
  RETURN_IF_ERROR(Commit());
  return RunEffects();
}

bool Engine::HasOrderInDoubt() const {
  return std::any_of(state_.orders.begin(), state_.orders.end(),
                     [](const auto& kv) { return kv.second.status == OrderStatus::kPlaced; });
}

absl::StatusOr<bool> Engine::Reconcile(const std::function<absl::StatusOr<reconcile::VenueSnapshot>()>& fetch,
                                       const reconcile::Tolerances& tolerances) {
  // Put off while an order is in doubt; but an order that stays in doubt
  // for a whole reconciliation interval counts as a failed pass (so
  // reconciliation.failure_threshold of them need a person).
  auto defer = [this, &tolerances]() -> absl::StatusOr<bool> {
    const int64_t now = d_.clock->NowNs();
    last_reconcile_ = ReconcileOutcome{"deferred", "an order is in doubt (sent, answer unknown): tried again soon", 0, 0, {}};
    if (deferred_since_ns_ == 0) {
      d_.log->Info("reconciliation_deferred", LogFields().Add("reason", "order_in_doubt"));
      deferred_since_ns_ = now;
    } else if (now - deferred_since_ns_ >= int64_t{d_.cfg.reconciliation.interval_min} * 60'000'000'000) {
      deferred_since_ns_ = now;
      RETURN_IF_ERROR(OnReconciliation(
          absl::UnavailableError(absl::StrCat("an order has been in doubt for ", d_.cfg.reconciliation.interval_min,
                                              " min: its outcome cannot be learnt from the venue")),
          tolerances));
    }
    return false;
  };
  if (HasOrderInDoubt()) return defer();
  absl::StatusOr<reconcile::VenueSnapshot> venue = fetch();
  if (venue.ok()) {
    bool learnt = false;
    for (const ClientOrderId& id : reconcile::OpenButNotListed(state_, *venue)) {
      const Order order = state_.orders.at(id);
      absl::StatusOr<venue::Reports> reports = d_.venue->Query(order);
      if (!reports.ok() || reports->empty()) continue;  // reconciliation will say it is missing
      d_.log->Info("order_settled_before_reconciliation", LogFields().Add("client_order_id", id.value));
      RETURN_IF_ERROR(JournalReports(*reports));
      learnt = true;
    }
    if (learnt) {
      RETURN_IF_ERROR(CheckBreaker());
      QueueHousekeeping();
      RETURN_IF_ERROR(Commit());
      RETURN_IF_ERROR(RunEffects());
      if (HasOrderInDoubt()) return defer();
      venue = fetch();
    }
  }
  deferred_since_ns_ = 0;
  // The venue is read in four calls, not atomically: a trade between them
  // shows as a difference that is not one. A difference must still be
  // there when the venue is read again.
  if (venue.ok() && !reconcile::Reconcile(state_, *venue, tolerances).empty()) venue = fetch();
  CrashPoint("reconcile");
  RETURN_IF_ERROR(OnReconciliation(venue, tolerances));
  return true;
}

PositionClosed Engine::ExternalClose(const Position& p, const reconcile::VenueSnapshot& venue) const {
  auto bar = state_.last_bars.find(p.symbol);
  Fixed price = bar == state_.last_bars.end() ? p.entry_price : bar->second.close;
  Fixed commission;
  if (auto f = venue.foreign_fills.find(p.symbol); f != venue.foreign_fills.end() && f->second.qty.raw() > 0) {
    price = f->second.avg_price;
    commission = f->second.commission;
  }
  // No fill of ours carries the hand close's commission, so it is taken
  // from the realised PnL: the fold's balance then moves as the wallet did.
  return PositionClosed{p.symbol, p.side, p.qty, p.entry_price, price, orders::PricePnl(p, p.qty, price) - commission,
                        p.entry_fees, CloseReason::kClosedExternally};
}

absl::StatusOr<OperatorResult> Engine::OnOperator(const OperatorCommand& cmd) {
  const std::string who = cmd.who, reason = cmd.reason;
  bool changed = false;
  std::string extra;  // more of the answer, after the common fields
  switch (cmd.kind) {
    case OperatorCommand::kPause:
      if (!state_.paused.active) {
        RETURN_IF_ERROR(Emit(TradingPaused{who, reason}));
        changed = true;
      }
      break;
    case OperatorCommand::kResume:
      if (stop_requested_) {
        return OperatorResult{409, R"({"error":"the kill switch is stopping the bot: trading does not resume"})"};
      }
      if (state_.paused.active) {
        RETURN_IF_ERROR(Emit(TradingResumed{who, reason}));
        changed = true;
      }
      break;
    case OperatorCommand::kAck:
      if (state_.manual_review.active || state_.circuit_breaker.active) {
        RETURN_IF_ERROR(Emit(ManualReviewAcknowledged{who, reason}));
        changed = true;
      }
      break;
    case OperatorCommand::kResetBreaker: {
      if (!state_.circuit_breaker.active) {
        return OperatorResult{409, R"({"error":"the circuit breaker is not active: nothing to reset"})"};
      }
      if (state_.manual_review.active) {  // an acknowledgement clears both: it must be meant for both
        std::string out = "{\"error\":";
        json::AppendString(&out, absl::StrCat("manual review is required too (", state_.manual_review.reason,
                                              "): acknowledge both with POST /ack once it is resolved"));
        return OperatorResult{409, out + "}"};
      }
      const std::string was = state_.circuit_breaker.reason;
      RETURN_IF_ERROR(Emit(OperatorAction{who, reason, "reset_circuit_breaker", Symbol{},
                                          absl::StrCat("circuit breaker cleared (", was, ")")}));
      RETURN_IF_ERROR(Emit(ManualReviewAcknowledged{who, reason}));
      changed = true;
      extra = ",\"was\":";
      json::AppendString(&extra, was);
      break;
    }
    case OperatorCommand::kReconcile: {
      const ReconcileOutcome& r = last_reconcile_;
      std::string outcome = r.result;
      if (r.result == "completed") {
        absl::StrAppend(&outcome, ": ", r.positions, " positions, ", r.open_orders, " open orders on the venue");
      } else if (r.result == "differences") {
        absl::StrAppend(&outcome, ": ", r.discrepancies.size(), " (manual review)");
      } else if (!r.detail.empty()) {
        absl::StrAppend(&outcome, ": ", r.detail);
      }
      RETURN_IF_ERROR(Emit(OperatorAction{who, reason, "reconcile", Symbol{}, outcome}));
      changed = r.result == "differences";
      extra = ",\"result\":";
      json::AppendString(&extra, r.result);
      absl::StrAppend(&extra, ",\"positions\":", r.positions, ",\"open_orders\":", r.open_orders, ",\"discrepancies\":");
      json::Append(&extra, r.discrepancies);
      extra += ",\"detail\":";
      json::AppendString(&extra, r.detail);
      break;
    }
    case OperatorCommand::kBackup: {
      RETURN_IF_ERROR(Append(/*sync=*/true));  // everything journaled so far is in the copy
      const absl::Time t0 = absl::Now();
      // Beside the ledger, on its filesystem: the table files are hard
      // links and the checkpoint takes milliseconds; `bot backup` moves it
      // to the backups (the slow copy, if any, is that process's).
      const std::string dir = ledger::CheckpointDir(d_.cfg.storage.ledger_path, t0);
      const absl::Status st = d_.ledger->Checkpoint(dir);
      const double ms = absl::ToDoubleMilliseconds(absl::Now() - t0);
      d_.log->Write(st.ok() ? LogLevel::kInfo : LogLevel::kError, "ledger_checkpoint",
                    LogFields().Add("dir", dir).Add("seq", state_.last_seq).Add("ms", ms).Add("ok", st.ok())
                        .Add("error", st.message()).Add("who", who));
      std::string out;
      if (!st.ok()) {
        out = "{\"error\":";
        json::AppendString(&out, st.message());
        return OperatorResult{500, out + "}"};
      }
      out = absl::StrCat("{\"seq\":", state_.last_seq, ",\"ms\":", ms, ",\"dir\":");
      json::AppendString(&out, dir);
      return OperatorResult{200, out + "}"};
    }
    case OperatorCommand::kSetWeights: {
      for (const NamedValue& w : cmd.weights) {
        if (w.name != d_.cfg.strategy.name) {
          std::string out = "{\"error\":";
          json::AppendString(&out, absl::StrCat("unknown strategy ", w.name, ": this bot runs ", d_.cfg.strategy.name));
          return OperatorResult{400, out + "}"};
        }
      }
      const bool differs = std::any_of(cmd.weights.begin(), cmd.weights.end(), [&](const NamedValue& w) {
        return state_.StrategyWeight(w.name) != w.value;
      });
      if (differs) {
        RETURN_IF_ERROR(Emit(StrategyWeightsChanged{who, reason, cmd.weights}));
        changed = true;
      }
      absl::StrAppend(&extra, ",\"weights\":{");
      json::AppendString(&extra, d_.cfg.strategy.name);
      absl::StrAppend(&extra, ":", state_.StrategyWeight(d_.cfg.strategy.name).ToString(), "}");
      break;
    }
    case OperatorCommand::kResetRateLimit:
      RETURN_IF_ERROR(Emit(OperatorAction{who, reason, "ratelimit_reset", Symbol{},
                                          absl::StrCat(cmd.provider, ": ", cmd.detail)}));
      changed = true;
      extra = ",\"provider\":";
      json::AppendString(&extra, cmd.provider);
      extra += ",\"was\":";
      json::AppendString(&extra, cmd.detail);
      break;
    case OperatorCommand::kCancelAll: return OperatorOrders(cmd, "cancel_all");
    case OperatorCommand::kClose: return OperatorOrders(cmd, "close");
    case OperatorCommand::kFlatten: return OperatorOrders(cmd, "flatten");
    case OperatorCommand::kKillSwitch: return OperatorOrders(cmd, "kill_switch");
  }
  RETURN_IF_ERROR(Commit());
  RETURN_IF_ERROR(RunEffects());
  RETURN_IF_ERROR(Append(/*sync=*/true));  // the answer names a seq: it is in the ledger
  if (cmd.on_journaled) cmd.on_journaled();
  d_.log->Info("operator_command", LogFields().Add("who", who).Add("reason", reason)
                                       .Add("command", CommandName(cmd.kind)).Add("changed", changed));
  return OperatorResult{200, absl::StrCat("{\"changed\":", changed ? "true" : "false", ",\"seq\":", state_.last_seq,
                                          ",\"paused\":", state_.paused.active ? "true" : "false",
                                          ",\"manual_review_required\":", state_.manual_review.active ? "true" : "false",
                                          ",\"circuit_breaker_active\":", state_.circuit_breaker.active ? "true" : "false",
                                          extra, "}")};
}

absl::StatusOr<bool> Engine::OnPolicy(PolicyChanged policy) {
  absl::btree_map<std::string, Fixed> rails;
  for (const NamedValue& r : policy.rails) rails[r.name] = r.value;
  if (rails == state_.policy) return false;
  RETURN_IF_ERROR(Emit(std::move(policy)));
  RETURN_IF_ERROR(Commit());
  RETURN_IF_ERROR(Append(/*sync=*/true));
  return true;
}

absl::StatusOr<OperatorResult> Engine::OperatorOrders(const OperatorCommand& cmd, const char* action) {
  const std::string_view kind(action);
  const bool one = kind == "close", all_positions = kind == "flatten" || kind == "kill_switch";
  Symbol target{cmd.symbol};
  if (one) {
    if (target.empty()) return OperatorResult{400, R"({"error":"send {\"symbol\": \"BTCUSDT\"}: which position to close"})"};
    if (!state_.positions.contains(target)) {
      return OperatorResult{404, absl::StrCat("{\"error\":\"no open position in ", IsSymbolName(target.value) ? target.value : "that symbol", "\"}")};
    }
    if (BeingClosed(target)) {
      return OperatorResult{409, absl::StrCat("{\"error\":\"", target.value, " is being closed already\"}")};
    }
  }
  // Orders to cancel: every open order that does not protect an open
  // position (its stop-loss and take-profit stay until the position is
  // closed: never a naked position if the close does not fill). close
  // cancels nothing: its legs go with the position (OCO).
  const std::string cancel_reason = kind == "kill_switch" ? "KILL_SWITCH" : "OPERATOR";
  std::vector<ClientOrderId> cancel;
  size_t in_doubt = 0, kept = 0;
  if (!one) {
    for (const auto& [id, o] : state_.orders) {
      if (ProtectsAPosition(state_, o)) {
        ++kept;
      } else if (Cancellable(o)) {
        cancel.push_back(id);
      } else {
        ++in_doubt;  // sent, answer unknown: cancelled once the venue's answer is known
        cancel_when_known_[id] = cancel_reason;
      }
    }
  }
  std::vector<Position> close;  // Place() changes the state it would iterate
  for (const auto& [symbol, p] : state_.positions) {
    if ((all_positions || (one && symbol == target)) && !BeingClosed(symbol)) close.push_back(p);
  }
  std::vector<std::string> closed_symbols;
  for (const Position& p : close) closed_symbols.push_back(p.symbol.value);
  std::string outcome;
  if (!one) {
    absl::StrAppend(&outcome, "cancelling ", cancel.size(), cancel.size() == 1 ? " order" : " orders");
    if (kept > 0) absl::StrAppend(&outcome, ", keeping ", kept, " protective until their position is closed");
    if (in_doubt > 0) absl::StrAppend(&outcome, ", ", in_doubt, " in doubt");
  }
  if (one || all_positions) {
    absl::StrAppend(&outcome, outcome.empty() ? "" : "; ", "closing ", close.size(), close.size() == 1 ? " position" : " positions");
    if (!close.empty()) absl::StrAppend(&outcome, " (", absl::StrJoin(closed_symbols, ","), ")");
  }
  if (kind == "kill_switch") outcome += "; then stopping";
  RETURN_IF_ERROR(Emit(OperatorAction{cmd.who, cmd.reason, std::string(kind), one ? target : Symbol{}, outcome}));
  bool changed = !cancel.empty() || !close.empty() || in_doubt > 0 || kind == "kill_switch";
  if (all_positions && !state_.paused.active) {
    const char* tag = kind == "kill_switch" ? "KILL_SWITCH" : "FLATTEN";
    RETURN_IF_ERROR(Emit(TradingPaused{cmd.who, absl::StrCat(tag, ": ", cmd.reason)}));
    changed = true;
  }
  if (kind == "kill_switch") stop_requested_ = true;
  // The cancels go first: an entry that fills meanwhile is in the position
  // before its close is sized.
  for (const ClientOrderId& id : cancel) to_cancel_.push_back(orders::Cancel(id, cancel_reason));
  RETURN_IF_ERROR(Commit());
  RETURN_IF_ERROR(RunEffects());
  const CloseReason why = kind == "kill_switch" ? CloseReason::kKillSwitch : CloseReason::kOperatorClose;
  closed_symbols.clear();
  for (const Position& was : close) {
    auto p = state_.positions.find(was.symbol);
    if (p == state_.positions.end() || BeingClosed(was.symbol)) continue;
    closed_symbols.push_back(p->first.value);
    if (kind == "kill_switch") kill_closed_qty_[p->first] = p->second.qty;
    RETURN_IF_ERROR(Place(orders::ExitOrder(p->second, why)));
  }
  RETURN_IF_ERROR(Commit());
  RETURN_IF_ERROR(RunEffects());
  RETURN_IF_ERROR(Append(/*sync=*/true));
  size_t cancelled = 0;  // what the venue confirmed (gone from the fold)
  for (const ClientOrderId& id : cancel) cancelled += state_.orders.contains(id) ? 0 : 1;
  d_.log->Info("operator_command", LogFields().Add("who", cmd.who).Add("reason", cmd.reason)
                                       .Add("command", action).Add("outcome", outcome));
  std::string out = absl::StrCat("{\"changed\":", changed ? "true" : "false", ",\"seq\":", state_.last_seq,
                                 ",\"outcome\":");
  json::AppendString(&out, outcome);
  absl::StrAppend(&out, ",\"cancelled\":", cancelled, ",\"closing\":");
  json::Append(&out, closed_symbols);
  absl::StrAppend(&out, ",\"open_positions\":", state_.positions.size(), ",\"open_orders\":", state_.orders.size(),
                  ",\"paused\":", state_.paused.active ? "true" : "false", "}");
  return OperatorResult{200, out};
}

bool Engine::BeingClosed(const Symbol& symbol) const {
  return std::any_of(state_.orders.begin(), state_.orders.end(), [&symbol](const auto& kv) {
    return kv.second.symbol == symbol && kv.second.purpose == OrderPurpose::kExit;
  });
}

absl::Status Engine::KillSwitchSweep() {
  if (!stop_requested_) return absl::OkStatus();
  bool acted = false;
  for (const auto& [id, o] : state_.orders) {
    if (!ProtectsAPosition(state_, o) && Cancellable(o)) {
      to_cancel_.push_back(orders::Cancel(id, "KILL_SWITCH"));
      acted = true;
    }
  }
  std::vector<Position> again;
  for (const auto& [symbol, p] : state_.positions) {
    auto last = kill_closed_qty_.find(symbol);
    if (!BeingClosed(symbol) && (last == kill_closed_qty_.end() || last->second != p.qty)) again.push_back(p);
  }
  for (const Position& p : again) {
    d_.log->Warning("kill_switch_close_again", LogFields().Add("symbol", p.symbol.value).Add("qty", p.qty));
    kill_closed_qty_[p.symbol] = p.qty;
    RETURN_IF_ERROR(Place(orders::ExitOrder(p, CloseReason::kKillSwitch)));
    acted = true;
  }
  if (!acted) return absl::OkStatus();
  RETURN_IF_ERROR(Commit());
  RETURN_IF_ERROR(RunEffects());
  return Append(/*sync=*/true);
}

absl::StatusOr<bool> Engine::FinishKillSwitch(bool venue_agrees) {
  if (Flat() && venue_agrees) return true;
  std::vector<Discrepancy> left;
  for (const auto& [symbol, p] : state_.positions) {
    left.push_back(Discrepancy{InterventionAction::kExitNotFilled, symbol, {}, p.qty, Fixed(),
                               absl::StrCat("kill switch: the position was not closed within execution.order_timeout_sec (",
                                            d_.cfg.execution.order_timeout_sec, " s)")});
  }
  for (const auto& [id, o] : state_.orders) {
    left.push_back(Discrepancy{InterventionAction::kExitNotFilled, o.symbol, id, o.qty - o.filled_qty, Fixed(),
                               absl::StrCat("kill switch: ", EnumName(o.purpose), " order still open (",
                                            EnumName(o.status), ")")});
  }
  if (left.empty()) {
    left.push_back(Discrepancy{InterventionAction::kExitNotFilled, Symbol{}, {}, Fixed(), Fixed(),
                               "kill switch: the venue does not agree that nothing is open (see the reconciliation)"});
  }
  RETURN_IF_ERROR(Emit(ManualInterventionDetected{std::move(left)}));
  RETURN_IF_ERROR(Append(/*sync=*/true));
  return false;
}

absl::Status Engine::Stop(const std::string& reason) {
  RETURN_IF_ERROR(Emit(SystemStopped{reason}));
  RETURN_IF_ERROR(Append(/*sync=*/true));
  MaybeSnapshot(/*force=*/true);
  RETURN_IF_ERROR(d_.ledger->Flush());
  if (d_.projections != nullptr) d_.projections->Flush();
  d_.log->Flush();
  return absl::OkStatus();
}

void Engine::LogEvents(absl::Span<const Event> events) {
  Log& log = *d_.log;
  for (const Event& e : events) {
    if (auto* f = std::get_if<OrderFilled>(&e.body)) {
      log.Info("order_filled", LogFields().Add("seq", e.seq).Add("client_order_id", f->client_order_id.value)
                                   .Add("price", f->price).Add("qty", f->qty).Add("fee", f->fee));
    } else if (auto* o = std::get_if<PositionOpened>(&e.body)) {
      log.Info("position_opened", LogFields().Add("seq", e.seq).Add("symbol", o->symbol.value).Add("side", EnumName(o->side))
                                      .Add("qty", o->qty).Add("entry_price", o->entry_price)
                                      .Add("stop_price", o->stop_price).Add("take_profit", o->take_profit));
    } else if (auto* c = std::get_if<PositionClosed>(&e.body)) {
      log.Info("position_closed", LogFields().Add("seq", e.seq).Add("symbol", c->symbol.value).Add("side", EnumName(c->side))
                                      .Add("qty", c->qty).Add("exit_price", c->exit_price)
                                      .Add("realized_pnl", c->realized_pnl).Add("fees", c->fees)
                                      .Add("reason", EnumName(c->reason)));
    } else if (auto* b = std::get_if<CircuitBreakerTriggered>(&e.body)) {
      log.Warning("circuit_breaker_triggered", LogFields().Add("seq", e.seq).Add("rule", EnumName(b->rule)).Add("reason", b->reason));
    } else if (auto* m = std::get_if<ManualInterventionDetected>(&e.body)) {
      log.Warning("manual_intervention_detected", LogFields().Add("seq", e.seq).Add("reason", state_.manual_review.reason)
                                                     .Add("discrepancies", static_cast<uint64_t>(m->discrepancies.size())));
    } else if (auto* k = std::get_if<EntrySkipped>(&e.body)) {
      log.Info("entry_skipped", LogFields().Add("seq", e.seq).Add("symbol", k->symbol.value).Add("side", EnumName(k->side))
                                    .Add("client_order_id", k->client_order_id.value).Add("price", k->price.ToString())
                                    .Add("qty", k->qty.ToString()).Add("filled_qty", k->filled_qty.ToString())
                                    .Add("reason", k->reason).Add("timeout_sec", k->timeout_sec));
    } else if (auto* r = std::get_if<OrderRejected>(&e.body)) {
      log.Warning("order_rejected", LogFields().Add("seq", e.seq).Add("client_order_id", r->client_order_id.value)
                                        .Add("code", static_cast<int64_t>(r->code)).Add("reason", r->reason));
    } else if (auto* p = std::get_if<ProtectiveOrdersMissing>(&e.body)) {
      log.Warning("protective_orders_missing", LogFields().Add("seq", e.seq).Add("symbol", p->symbol.value)
                                                   .Add("stop_loss_missing", p->stop_loss_missing)
                                                   .Add("take_profit_missing", p->take_profit_missing));
    } else if (std::holds_alternative<ProtectiveOrdersReplaced>(e.body)) {
      log.Info("watchdog_recovery", LogFields().Add("seq", e.seq));
    } else if (auto* s = std::get_if<SystemStarted>(&e.body)) {
      log.Info("engine_started", LogFields().Add("seq", e.seq).Add("mode", EnumName(s->mode)).Add("build", s->build_version));
    } else if (auto* x = std::get_if<SystemStopped>(&e.body)) {
      log.Info("engine_stopped", LogFields().Add("seq", e.seq).Add("reason", x->reason));
    } else if (auto* a = std::get_if<ManualReviewAcknowledged>(&e.body)) {
      log.Info("manual_review_acknowledged", LogFields().Add("seq", e.seq).Add("who", a->who).Add("reason", a->reason));
    }
  }
}

}  // namespace apollo::runtime
