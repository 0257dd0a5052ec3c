// A strategy for engine tests: for the bar fed last it returns whatever the
// test scripted for that bar's open time (nothing otherwise), and it keeps
// the open times of every bar fed (the warm-up a restart gave it included).
//
//   testing::ScriptedStrategy s(/*warmup_bars=*/2);
//   s.At(open_ms, decision);        // decided when the bar opening at open_ms is the last fed
//   EXPECT_THAT(s.fed, ElementsAre(...));
#ifndef APOLLO_TESTS_SUPPORT_SCRIPTED_STRATEGY_H_
#define APOLLO_TESTS_SUPPORT_SCRIPTED_STRATEGY_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/strategy/strategy.h"

namespace apollo::testing {

class ScriptedStrategy : public strategy::Strategy {
 public:
  explicit ScriptedStrategy(size_t warmup_bars = 1) : warmup_bars_(warmup_bars) {}
  const std::string& name() const override { return name_; }
  std::string version() const override { return "test"; }
  size_t WarmupBars() const override { return warmup_bars_; }
  void OnBar(const strategy::Bar& bar) override { fed.push_back(bar.open_time_ms); }
  strategy::Decision Decide(const State&, int64_t) const override {
    if (fed.empty()) return {};
    auto it = script_.find(fed.back());
    return it == script_.end() ? strategy::Decision{} : it->second;
  }
  void At(int64_t open_ms, strategy::Decision d) { script_[open_ms] = std::move(d); }

  std::vector<int64_t> fed;  // open times, in the order fed

 private:
  std::string name_ = "scripted";
  size_t warmup_bars_;
  std::map<int64_t, strategy::Decision> script_;
};

}  // namespace apollo::testing

#endif  // APOLLO_TESTS_SUPPORT_SCRIPTED_STRATEGY_H_
