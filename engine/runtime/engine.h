// The engine: one thread, one writer of the ledger. Each step journals the
// inputs it acts on, runs strategy → risk → order manager, appends the
// step's events as one synced batch, and only then performs side effects
// (orders to the venue), whose results are journaled as the next inputs.
//
//   Engine engine(deps);
//   RETURN_IF_ERROR(engine.Start());          // rebuild, SystemStarted, in-doubt orders
//   for (const auto& step : steps) RETURN_IF_ERROR(engine.OnStep(step));  // bars of one close time
//   RETURN_IF_ERROR(engine.Stop("END_OF_DATA"));
//
// State is only ever the fold of the ledger: every change goes through
// Emit (Apply) and is appended before anything leaves the process. Any
// error is returned and the engine must not be used again: the caller exits
// and a restart rebuilds from the ledger (crash-only).
#ifndef APOLLO_ENGINE_RUNTIME_ENGINE_H_
#define APOLLO_ENGINE_RUNTIME_ENGINE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/config/config.h"
#include "engine/decision/decision.h"
#include "engine/domain/state.h"
#include "engine/orders/orders.h"
#include "engine/reconcile/reconcile.h"
#include "engine/risk/risk.h"
#include "engine/runtime/clock.h"
#include "engine/runtime/group_writer.h"
#include "engine/runtime/log.h"
#include "engine/runtime/operator_inbox.h"
#include "engine/runtime/projections.h"
#include "engine/strategy/strategy.h"
#include "engine/venue/venue.h"
#include "ledger/ledger.h"

namespace apollo::runtime {

// Hooks for the operator's surface (metrics, alerts), called on the engine
// thread after the fact; they must not block.
class EngineObserver {
 public:
  virtual ~EngineObserver() = default;
  // After each append: the events, the state after them, the synced
  // append's latency (with background appends: when the group is handed to
  // the writer thread, latency 0).
  virtual void OnCommitted(absl::Span<const Event> events, const State& state, double append_seconds) {}
  // After each order sent to the venue, with what it answered.
  virtual void OnSubmitted(const Order& order, const venue::Reports& reports) {}
  // The watchdog ran its pass.
  virtual void OnWatchdog() {}
};

// A symbol the engine trades: its own strategy (its own window of bars) and
// the venue's filters for it.
struct TradedSymbol {
  strategy::Strategy* strategy = nullptr;
  risk::Filters filters;
};

// One closed base bar of one traded symbol.
struct SymbolBar {
  Symbol symbol;
  strategy::Bar bar;
};

struct EngineDeps {
  config::Config cfg;
  std::string build_version;
  ledger::Ledger* ledger = nullptr;
  venue::Venue* venue = nullptr;
  // Every symbol traded (cfg.Symbols()), each with its strategy; a step
  // handles its bars in this (symbol) order.
  absl::btree_map<Symbol, TradedSymbol> symbols;
  Clock* clock = nullptr;
  Log* log = nullptr;
  Projections* projections = nullptr;  // optional
  EngineObserver* observer = nullptr;   // optional
  std::string filters_source = "paper_sim";  // journaled with them: paper_sim, exchangeInfo
  // The client id nonce a ledger without one gets at this start (testnet,
  // live: random, orders::ClientIdNonce); "" keeps ids without one (paper).
  std::string client_id_nonce;
  // 0: each step is one synced append (testnet, live, paced paper). N > 0:
  // steps are appended unsynced in groups of at least N events, and synced
  // at Stop; for simulated venues only (paper at --speed max, backtest),
  // where nothing has left the process: a crash loses at most the last
  // group, which the restarted run decides again identically.
  size_t unsynced_group_events = 0;
  // With unsynced groups: append them on a thread of their own while the
  // engine goes on (the log and the observer then see a group when it is
  // handed over, not once it is appended). Synced appends (start, operator
  // commands, the stop) first wait for the groups before them.
  bool background_appends = false;
};

// What the last reconciliation pass found (POST /actions/reconcile answers
// with it): result "completed" (the venue agrees), "differences" (manual
// review), "failed" (the venue could not be read) or "deferred" (an order is
// in doubt: nothing compared yet).
struct ReconcileOutcome {
  std::string result;
  std::string detail;  // the error, or why deferred
  uint32_t positions = 0, open_orders = 0;  // completed: what the venue holds
  std::vector<Discrepancy> discrepancies;   // differences
};

// What start-up found, for the log and the summary.
struct StartInfo {
  uint64_t events_folded = 0, snapshot_seq = 0, last_seq = 0;
  double rebuild_ms = 0;
  size_t in_doubt_orders = 0;
};

class Engine : private decision::Sink {
 public:
  explicit Engine(EngineDeps deps);
  ~Engine() override;  // waits for groups being appended in the background

  // Rebuilds State from the ledger (newest snapshot + tail) unless
  // RebuildState was called, warms the strategy from the journaled bars,
  // appends SystemStarted + ConfigLoaded, resolves in-doubt orders with the
  // venue (those it cannot answer for yet are left to ResolvePending) and
  // catches up the projections.
  absl::Status Start();
  // Only the first half of Start: for callers that need the state (the
  // resume point) before the clock can be set.
  absl::Status RebuildState();
  // One step: the closed base bars of one open time, at most one per traded
  // symbol (a symbol may lack one: its data starts later or has a hole).
  // Each bar is journaled with the venue's fills on it and fed to its
  // symbol's strategy; then one watchdog pass when due, the decisions of
  // the symbols that had a bar (decision::ActStep: exits, signals, then
  // entries best score first) and one TradeCycleCompleted. `inputs` (what
  // the venue said for this step: FundingUpdate, MarketTick; and the news
  // items read since the last step, NewsIngested, each followed by its
  // NewsClassified) are journaled first, in the same synced batch.
  absl::Status OnStep(absl::Span<const SymbolBar> bars, std::vector<EventBody> inputs = {});
  // One step of an event-contract venue (run.venue kalshi) at `step_ms`:
  // the venue's reports since the last step (fills of resting orders,
  // cancels at a market's close) are journaled and reacted to, then
  // `inputs` in order (InstrumentDefined, ForecastObserved, MarketTick,
  // MarketSettled). A MarketSettled is preceded by the cancel of any order
  // of ours still open in that market (OrderCancelled MARKET_SETTLED) and
  // the close of our position in it at its payout (PositionClosed
  // SETTLEMENT, with one position_closed log line), in one batch. Then the weather
  // strategy decides on every listed market (decision::ActMarkets) and one
  // TradeCycleCompleted closes the step, appended as one batch before any
  // order is sent. Returns the step's counts (cancels: resting entries the
  // step cancelled to reprice or because their signal went).
  absl::StatusOr<decision::Counts> OnMarketStep(int64_t step_ms, std::vector<EventBody> inputs,
                                                venue::Reports reports = {});
  // universe.size > 0 and a universe is to be chosen now (none yet, or the
  // last is universe.refresh_interval_hours old).
  bool UniverseDue() const;
  // The universe chosen from `candidates` (their numbers from the run's
  // source: recorded bars, the venue's 24 h tickers), journaled as
  // UniverseUpdated and committed, with one universe_selected log line.
  absl::Status OnUniverse(std::vector<UniverseCandidate> candidates, const std::string& source);
  // The venue account's set-up (AccountSettingUpdated / AccountSettingFailed
  // events, see venue/binance/account_setup.h), journaled and committed; a
  // failure is logged as a warning.
  absl::Status OnAccountSettings(std::vector<EventBody> outcomes);
  // Funding rates, each journaled as FundingUpdate (what risk and the
  // universe judge funding by) and committed. With `settle` (the paper
  // venue at a funding time), an open position in the symbol also pays or
  // receives its funding: a FundingPaid event and one funding_paid log line.
  absl::Status OnFunding(std::vector<FundingUpdate> updates, bool settle);
  // Open time of the newest bar journaled, of any symbol (INT64_MIN before
  // the first): a run resumes after it, as time only moves forward.
  int64_t LastBarOpenMs() const;
  // A symbol traded from now on (one entering the venue-wide universe): its
  // strategy, owned by the engine from now, warmed from the symbol's
  // journaled bars, and the venue's filters, journaled when they are new
  // (InstrumentFiltersUpdated). InvalidArgument for a symbol traded already.
  absl::Status AddSymbol(const Symbol& symbol, std::unique_ptr<strategy::Strategy> strategy,
                         const risk::Filters& filters);
  bool Trades(const Symbol& symbol) const { return d_.symbols.contains(symbol); }
  // The venue's filters of a traded symbol as read now, journaled when they
  // changed (a symbol entering the universe again).
  absl::Status UpdateFilters(const Symbol& symbol, const risk::Filters& filters);
  // History of a traded symbol read from the venue, so its strategy is warm
  // before it first decides: `bars` (oldest first, each after the last one
  // journaled for the symbol, on the base interval's grid) are journaled as
  // CandleClose events closed by a TradeCycleCompleted that decided nothing
  // (decided_after_seq 0), in one synced batch, and fed to the strategy. No
  // fills, no watchdog, no decision: `replay decisions` derives none there.
  absl::Status OnHistory(const Symbol& symbol, absl::Span<const strategy::Bar> bars);
  // A step of the first (with one symbol: the only) traded symbol.
  absl::Status OnBar(const strategy::Bar& bar);
  // Reports a venue sent on its own (a real venue's user-data stream):
  // journaled, reacted to (positions, protection, OCO) and committed as one
  // step, then the effects they call for.
  absl::Status OnVenueReports(const venue::Reports& reports);
  // Orders still PLACED after their submission returned (the venue's answer
  // was lost: timeout, 5xx) are asked for by client id and journaled, or
  // sent if the venue never got them. A venue that cannot be asked now is
  // asked again next time.
  absl::Status ResolvePending();
  // The outcome of one reconciliation pass: ReconciliationFailed when the
  // venue could not be read, ManualInterventionDetected (pausing trading
  // until ack-manual-review) when it disagrees with the fold, else
  // ReconciliationCompleted. State is never edited to match the venue; a
  // position the venue closed by hand is journaled as PositionClosed
  // (CLOSED_EXTERNALLY) at the price of the venue's fills of that close
  // (venue.foreign_fills) with their commission, else at the last close.
  absl::Status OnReconciliation(const absl::StatusOr<reconcile::VenueSnapshot>& venue,
                                const reconcile::Tolerances& tolerances);
  // One reconciliation pass against what `fetch` reads from the venue, made
  // fair first: orders the fold holds open that the venue no longer lists
  // are asked for by client id (their fill or cancel is usually still on
  // its way on the stream), their answers journaled and acted on, and the
  // venue read again. While an order is in doubt (sent, answer unknown) the
  // venue's position cannot be judged: the pass is put off (false; nothing
  // compared) and the caller tries again soon; a whole
  // reconciliation.interval_min of that is journaled as a failed pass.
  // Else OnReconciliation; true.
  absl::StatusOr<bool> Reconcile(const std::function<absl::StatusOr<reconcile::VenueSnapshot>()>& fetch,
                                 const reconcile::Tolerances& tolerances);
  // An operator command, journaled and acted on in one step: pause,
  // resume, ack (TradingPaused, TradingResumed, ManualReviewAcknowledged);
  // the others as an OperatorAction (who, why, what it did) before their
  // effects:
  //   cancel_all  cancels every open order that does not protect an open
  //               position (a position's stop-loss and take-profit stay);
  //   close       closes one position at market, reduce-only (404 without
  //               one; 409 while it is being closed); its legs go when it
  //               is closed (OCO);
  //   flatten     pauses, then cancel_all and close for every position;
  //   kill_switch flatten, then asks the run to stop (stop_requested()):
  //               the run waits for Flat() and calls FinishKillSwitch;
  //   reconcile   journals the outcome of the pass the caller just ran
  //               (Reconcile), answered with it;
  //   reset_circuit_breaker  ManualReviewAcknowledged while the breaker is
  //               active (409 when it is not);
  //   backup      a checkpoint of the ledger beside it, into
  //               `<ledger>.checkpoint-YYYYMMDD-HHMMSS` (absolute; hard links,
  //               milliseconds), answered with its dir and seq, for `bot
  //               backup` to move to the backups; not journaled; a checkpoint
  //               that fails is answered 500 and trading goes on.
  //   strategy_weights  StrategyWeightsChanged when a weight differs (400
  //               for a strategy this bot does not run).
  //   ratelimit_reset  journals the provider and what its gate held, then
  //               (synced) calls the command's on_journaled: the gate's reset.
  absl::StatusOr<OperatorResult> OnOperator(const OperatorCommand& command);
  // A governance policy read from its file (config/policy.h): journaled as
  // PolicyChanged when its rails differ from those in force, holding from
  // the next step. True when it was journaled.
  absl::StatusOr<bool> OnPolicy(PolicyChanged policy);
  bool stop_requested() const { return stop_requested_; }
  // While the kill switch waits (the run calls it each pass): a position
  // whose close is not open (refused) or whose size changed (a late fill)
  // is closed again, once per size; an order that does not protect a
  // position and can be cancelled now (an in-doubt order the venue has
  // since accepted) is cancelled. Nothing to do: nothing journaled.
  absl::Status KillSwitchSweep();
  // Nothing of ours left on the venue: no position, no open order.
  bool Flat() const { return state_.positions.empty() && state_.orders.empty(); }
  // The end of the kill switch's wait (execution.order_timeout_sec, or
  // sooner once Flat()): true when it left the venue flat and the venue
  // agreed (`venue_agrees`: the last reconciliation pass found no
  // difference; paper: true). Otherwise each position and order still open
  // is journaled as EXIT_NOT_FILLED in one ManualInterventionDetected
  // (manual review, alerted), and false: the run exits non-zero.
  absl::StatusOr<bool> FinishKillSwitch(bool venue_agrees);
  const ReconcileOutcome& last_reconcile() const { return last_reconcile_; }
  // An order was sent and its outcome is not known yet (PLACED).
  bool HasOrderInDoubt() const;
  // Watchdog passes run so far (for the watchdog loop's heartbeat).
  uint64_t watchdog_runs() const { return watchdog_runs_; }
  // Appends SystemStopped and a snapshot; flushes.
  absl::Status Stop(const std::string& reason);

  const State& state() const override { return state_; }
  // For venues that read the engine's state (the paper venue) and so are
  // made after it.
  void set_venue(venue::Venue* venue) { d_.venue = venue; }
  const StartInfo& start_info() const { return start_info_; }

 private:
  // decision::Sink: events are applied at once and appended at Commit;
  // orders and cancels are queued for RunEffects.
  absl::Status Emit(EventBody body) override;
  void Placed(const ClientOrderId& id) override { to_submit_.push_back(id); }
  void Cancel(orders::CancelOrder cancel) override { to_cancel_.push_back(std::move(cancel)); }
  absl::Status JournalFilters();
  // The operator's cancel_all / close / flatten / kill_switch: the
  // OperatorAction, then the cancels and closes it asks for.
  absl::StatusOr<OperatorResult> OperatorOrders(const OperatorCommand& cmd, const char* action);
  // Queues the cancels of cancel_when_known_ whose orders became cancellable.
  void CancelWhenKnown();
  // An exit order of ours is open (or in doubt) for the symbol.
  bool BeingClosed(const Symbol& symbol) const;
  // Appends the pending events (now, or with a later step when grouping).
  absl::Status Commit();
  absl::Status Append(bool sync);
  absl::Status HandOver();
  absl::Status JournalReports(const venue::Reports& reports);
  absl::Status Place(orders::NewOrder order, ClientOrderId* id_out = nullptr);
  absl::Status ApplyPlan(orders::Plan plan);
  absl::Status RunEffects();
  absl::Status CheckBreaker();
  absl::Status TrailingStopFailed(const Order& old, const ClientOrderId& refused);
  PositionClosed ExternalClose(const Position& position, const reconcile::VenueSnapshot& venue) const;
  absl::Status RunWatchdog();
  absl::Status ClassifyNews(const NewsIngested& item);
  absl::Status Decide(absl::Span<const SymbolBar* const> bars, int64_t now_ns, uint32_t* signals, uint32_t* orders);
  // Feeds each of `which`'s strategies the last WarmupBars() journaled bars
  // of its symbol.
  absl::Status WarmStrategies(const std::vector<Symbol>& which);
  absl::Status ResolveInDoubt();
  // ResolveInDoubt, with a venue that cannot answer yet logged, not fatal.
  absl::Status ResolveInDoubtOrWarn();
  void QueueHousekeeping();
  void LogEvents(absl::Span<const Event> events);
  void MaybeSnapshot(bool force);
  // The days closed by the events just committed (daily_summary.h).
  void WriteClosedDays();

  EngineDeps d_;
  State state_;
  int64_t deferred_since_ns_ = 0;  // reconciliation put off since (0: not)
  bool rebuilt_ = false;
  StartInfo start_info_;
  std::vector<Event> pending_;  // this step's events, applied, not yet appended
  std::vector<ClientOrderId> to_submit_;
  std::vector<orders::CancelOrder> to_cancel_;
  uint64_t last_snapshot_seq_ = 0;
  int64_t day_noted_ = -1;                // State::last_day when last looked at
  std::vector<DaySummary> closed_days_;   // closed by pending events, to be written
  int64_t interval_ms_ = 0;  // of the base bars
  bool stop_requested_ = false;
  ReconcileOutcome last_reconcile_;
  // Orders an operator's cancel-all, flatten or kill switch met in doubt
  // (PLACED): cancelled, with this reason, once the venue's answer makes
  // them cancellable (RunEffects). In memory: a restart resolves them anew.
  std::map<ClientOrderId, std::string> cancel_when_known_;
  // The kill switch: the size each position was last closed at.
  std::map<Symbol, Fixed> kill_closed_qty_;
  uint64_t watchdog_runs_ = 0;
  std::unique_ptr<GroupWriter> writer_;  // background_appends only
  std::vector<std::unique_ptr<strategy::Strategy>> added_strategies_;  // of AddSymbol's symbols
};

}  // namespace apollo::runtime

#endif  // APOLLO_ENGINE_RUNTIME_ENGINE_H_
