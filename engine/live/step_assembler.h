// Closed klines of several symbols into engine steps: the bars of one open
// time make one step (Engine::OnStep), as in paper mode. Binance closes every
// symbol's kline at the same moment, but they arrive one by one; a step
// leaves once every symbol's bar of its open time is here, or kStepGraceMs
// after its first bar came (a symbol whose kline is late or missing is left
// out of that step), or as soon as every symbol missing from it has handed
// over a later bar (then its bar of that time is not coming). Steps leave oldest first. A bar that comes after its
// open time's step left (a late kline, a backfill that took longer) is a
// step of its own: nothing is dropped, and each symbol's bars still reach
// the engine in order (MarketFeed sees to that).
//
//   StepAssembler steps({Symbol{"BTCUSDT"}, Symbol{"ETHUSDT"}});
//   steps.Add(symbol, bar, now_ms);                       // from each MarketFeed
//   for (auto& step : steps.TakeReady(now_ms)) RETURN_IF_ERROR(engine.OnStep(step));
//
// Pure: time comes in as numbers.
#ifndef APOLLO_ENGINE_LIVE_STEP_ASSEMBLER_H_
#define APOLLO_ENGINE_LIVE_STEP_ASSEMBLER_H_

#include <cstdint>
#include <map>
#include <vector>

#include "absl/container/btree_set.h"
#include "engine/runtime/engine.h"

namespace apollo::live {

// How long a step waits for the klines of its other symbols.
inline constexpr int64_t kStepGraceMs = 3'000;

class StepAssembler {
 public:
  explicit StepAssembler(std::vector<Symbol> symbols, int64_t grace_ms = kStepGraceMs);

  // A symbol joins (its bars are waited for from now on) or leaves (no bar
  // of it is waited for any more, and its bars waiting here are dropped).
  void AddSymbol(const Symbol& symbol) { symbols_.insert(symbol); }
  void RemoveSymbol(const Symbol& symbol);
  size_t symbols() const { return symbols_.size(); }
  // A closed bar of one of the symbols, as its feed hands it over.
  void Add(const Symbol& symbol, const strategy::Bar& bar, int64_t now_ms);
  // The steps ready at `now_ms`, oldest first; each holds its bars in
  // symbol order.
  std::vector<std::vector<runtime::SymbolBar>> TakeReady(int64_t now_ms);
  // Bars waiting for their step.
  size_t held() const;
  // Steps that left without some symbol's bar (the grace ran out).
  uint64_t partial_steps() const { return partial_; }

 private:
  struct Pending {
    int64_t first_seen_ms = 0;
    std::vector<runtime::SymbolBar> bars;
  };
  absl::btree_set<Symbol> symbols_;
  int64_t grace_ms_;
  std::map<int64_t, Pending> pending_;  // by open time
  std::map<Symbol, int64_t> latest_;    // each symbol's newest open time handed over
  std::vector<std::vector<runtime::SymbolBar>> late_;
  int64_t last_left_open_ms_ = INT64_MIN;
  uint64_t partial_ = 0;
};

}  // namespace apollo::live

#endif  // APOLLO_ENGINE_LIVE_STEP_ASSEMBLER_H_
