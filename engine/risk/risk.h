// Risk: sizes an entry idea into a trade, decides on it, and watches the
// numbers that trip the circuit breaker. Pure: every input is the folded
// State, the config and the event time, so a decision re-runs identically in
// replay. Each decision becomes a RiskApproved / RiskRejected event carrying
// the rule and the numbers it saw.
//
//   TradeProposed t = risk::Size(idea, state, cfg, filters);
//   RiskVerdict v = risk::Evaluate(t, idea.atr, state, cfg, filters, now_ns);
//   if (auto trip = risk::CheckBreaker(state, cfg.risk)) emit(*trip);
#ifndef APOLLO_ENGINE_RISK_RISK_H_
#define APOLLO_ENGINE_RISK_RISK_H_

#include <optional>
#include <variant>

#include "engine/config/config.h"
#include "engine/domain/events.h"
#include "engine/domain/state.h"
#include "engine/strategy/strategy.h"

namespace apollo::risk {

// The venue's order filters (Binance exchangeInfo: PRICE_FILTER tickSize,
// LOT_SIZE stepSize, MIN_NOTIONAL), applied before anything is sent.
struct Filters {
  Fixed price_tick, qty_step, min_notional;
  Fixed min_qty, max_qty;  // LOT_SIZE bounds; 0 = not known (journaled, not yet checked)
};

// The journaled form (InstrumentFiltersUpdated) and back.
InstrumentFilters ToInstrumentFilters(const Filters& f);
Filters FromInstrumentFilters(const InstrumentFilters& f);
// The filters the fold holds for `symbol` (as last journaled); `fallback`
// when none were journaled (a ledger older than InstrumentFiltersUpdated).
Filters FiltersFor(const State& state, const Symbol& symbol, const Filters& fallback);

// qty = equity × risk_per_trade_pct / stop distance, capped so the notional
// stays within equity × default_leverage and max_position_notional_usd,
// times the idea's size_multiplier (the regime's) and the strategy's weight
// (State::StrategyWeight), floored to the step.
// Prices are rounded to the tick.
TradeProposed Size(const strategy::EntryIdea& idea, const State& state, const config::Config& cfg,
                   const Filters& filters, uint64_t signal_seq);

// The initial margin the account holds: each open position's notional at
// its symbol's last close over its leverage (PositionMargin), and each open
// entry order's unfilled notional (at its limit price, or the last close)
// over `entry_leverage`. MARGIN_RATIO_HIGH adds a new entry's margin to it.
Fixed MarginInUse(const State& state, Fixed entry_leverage);
Fixed PositionMargin(const State& state);
// The open positions' notional at their last close.
Fixed PositionNotional(const State& state);

using Verdict = std::variant<RiskApproved, RiskRejected>;

// The first rule the trade breaks (in the seed's order: gates, account
// limits, exposure, the trade itself), or approval with every number checked.
Verdict Evaluate(const TradeProposed& trade, uint64_t proposal_seq, Fixed atr, const State& state,
                 const config::Config& cfg, const Filters& filters, int64_t now_ns);

// The account's gates for an entry in `symbol`, as Evaluate checks them
// first: trading paused, manual review, circuit breaker, equity below the
// minimum, daily loss, drawdown, loss streak. The first that holds, or
// nullopt. Event contracts' risk (weather::Judge) starts with them too.
std::optional<RiskRejected> AccountGates(const Symbol& symbol, uint64_t proposal_seq, const State& state,
                                         const config::Config& cfg, int64_t now_ns);

// CooldownStarted when the day's realised loss has reached
// max_daily_loss_pct, cooldown_after_max_daily_hours is set and no cooldown
// was started this UTC day: entries are refused (COOLDOWN_ACTIVE) for that
// many hours from `now_ns`.
std::optional<CooldownStarted> CheckDailyCooldown(const State& state, const config::RiskConfig& cfg, int64_t now_ns);

// CircuitBreakerTriggered when drawdown or the loss streak has reached its
// limit and the breaker is not already active.
std::optional<CircuitBreakerTriggered> CheckBreaker(const State& state, const config::RiskConfig& cfg);

}  // namespace apollo::risk

#endif  // APOLLO_ENGINE_RISK_RISK_H_
