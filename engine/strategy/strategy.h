// Strategies: from the bars seen so far and the folded State to signals.
//
//   auto strategy = MakeStrategy(cfg.strategy, cfg.regime, symbol, cfg.run.interval);  // StatusOr
//   strategy->OnBar(bar);                       // every closed base bar, in order
//   Decision d = strategy->Decide(state, now_ns);
//
// A strategy keeps only a window of recent bars (its own memory, rebuilt at
// start-up from the CandleClose events in the ledger) and is deterministic:
// what Decide returns depends only on the last WarmupBars() bars fed and on
// the State, never on how many bars came before them, the clock or chance.
// That is what makes a restarted run decide exactly as an uninterrupted one.
// No I/O here.
#ifndef APOLLO_ENGINE_STRATEGY_STRATEGY_H_
#define APOLLO_ENGINE_STRATEGY_STRATEGY_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "engine/config/config.h"
#include "engine/domain/events.h"
#include "engine/domain/state.h"

namespace apollo::strategy {

struct Bar {
  int64_t open_time_ms = 0;
  Fixed open, high, low, close, volume;
};

// An entry idea. `signal` is journaled as SignalComputed whatever happens; when
// `propose` is set the engine sizes it and asks risk (TradeProposed).
struct EntryIdea {
  SignalComputed signal;  // symbol, strategy, direction, score, confidence, reason, inputs
  bool propose = false;   // score >= threshold and the entry condition holds
  Fixed reference_price;  // the close it was computed on
  // The share of the usual risk the entry takes (the regime's
  // transitional_size_multiplier; 1 otherwise).
  Fixed size_multiplier = Fixed::FromInt(1);
  Fixed stop_price;       // protective stop, atr_stop_multiplier ATR away
  Fixed take_profit_price;
  Fixed atr;              // entry-timeframe ATR, for risk's STOP_TOO_WIDE check
};

// A reason to close the open position now (market, reduce-only).
struct ExitIdea {
  CloseReason reason = CloseReason::kTrendInvalidation;
  std::string detail;
};

struct Decision {
  std::optional<EntryIdea> entry;  // only when flat in the symbol
  std::optional<ExitIdea> exit;    // only when a position is open
  // With a position open: the close and the entry-timeframe ATR the
  // decision was made on, for the trailing stop (orders::TrailStop); 0 when
  // the strategy gives none.
  Fixed close, atr;
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual const std::string& name() const = 0;
  // Bumped whenever the same name, config and bars would decide differently
  // (journaled in ConfigLoaded, so an audit knows which logic decided).
  virtual std::string version() const = 0;
  // Base bars it needs to decide (the window it keeps).
  virtual size_t WarmupBars() const = 0;
  // Feeds the next closed base bar (strictly increasing open times).
  virtual void OnBar(const Bar& bar) = 0;
  // Decides on the bar fed last. Returns no idea unless that bar closed an
  // entry-timeframe bar and the window is warm.
  virtual Decision Decide(const State& state, int64_t now_ns) const = 0;
  // The bars that will be fed next, in order, when they are known ahead
  // (recorded data: paper at --speed max, backtests). A strategy may compute
  // from them on another thread what its decisions will need; the decisions
  // are the same as without it. `upcoming` must outlive the strategy.
  virtual void Prefetch(std::span<const Bar> upcoming) {}
};

// The configured strategy (cfg.name; today trend_following_v1) on
// `symbol` bars of `base_interval`, with the regime filter `regime`.
// InvalidArgument, one line naming the key, if the timeframes are not whole
// multiples of the base interval.
absl::StatusOr<std::unique_ptr<Strategy>> MakeStrategy(const config::StrategyConfig& cfg,
                                                      const config::RegimeConfig& regime,
                                                      const std::string& symbol,
                                                      const std::string& base_interval);

}  // namespace apollo::strategy

#endif  // APOLLO_ENGINE_STRATEGY_STRATEGY_H_
