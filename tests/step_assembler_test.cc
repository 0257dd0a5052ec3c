// Closed klines of several symbols into engine steps (live/step_assembler.h).
#include "engine/live/step_assembler.h"

#include <gtest/gtest.h>

namespace apollo::live {
namespace {

constexpr int64_t k5m = 300'000;
constexpr int64_t kOpen = 1'689'638'400'000;  // 2023-07-18 00:00 UTC
const Symbol kBtc{"BTCUSDT"}, kEth{"ETHUSDT"}, kSol{"SOLUSDT"};

strategy::Bar BarAt(int64_t open_ms, int64_t close) {
  return strategy::Bar{open_ms, Fixed::FromInt(close), Fixed::FromInt(close), Fixed::FromInt(close),
                       Fixed::FromInt(close), Fixed::FromInt(1)};
}

std::vector<std::string> Names(const std::vector<runtime::SymbolBar>& step) {
  std::vector<std::string> out;
  for (const runtime::SymbolBar& b : step) out.push_back(b.symbol.value);
  return out;
}

TEST(StepAssembler, AStepLeavesOnceEverySymbolsBarOfItsTimeCame) {
  StepAssembler steps({kSol, kBtc, kEth});
  steps.Add(kSol, BarAt(kOpen, 20), 1'000);
  steps.Add(kBtc, BarAt(kOpen, 30'000), 1'010);
  EXPECT_TRUE(steps.TakeReady(1'020).empty());  // ETH's kline is on its way
  EXPECT_EQ(steps.held(), 2u);
  steps.Add(kEth, BarAt(kOpen, 1'900), 1'030);
  const auto ready = steps.TakeReady(1'030);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(Names(ready[0]), (std::vector<std::string>{"BTCUSDT", "ETHUSDT", "SOLUSDT"}));  // symbol order
  EXPECT_EQ(steps.held(), 0u);
  EXPECT_EQ(steps.partial_steps(), 0u);
}

TEST(StepAssembler, AMissingKlineHoldsItsStepOnlyForTheGrace) {
  StepAssembler steps({kBtc, kEth}, /*grace_ms=*/3'000);
  steps.Add(kBtc, BarAt(kOpen, 30'000), 10'000);
  EXPECT_TRUE(steps.TakeReady(12'999).empty());
  const auto ready = steps.TakeReady(13'000);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(Names(ready[0]), (std::vector<std::string>{"BTCUSDT"}));
  EXPECT_EQ(steps.partial_steps(), 1u);
  // The late kline is not dropped: a step of its own.
  steps.Add(kEth, BarAt(kOpen, 1'900), 14'000);
  const auto late = steps.TakeReady(14'000);
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(Names(late[0]), (std::vector<std::string>{"ETHUSDT"}));
  EXPECT_EQ(late[0][0].bar.open_time_ms, kOpen);
}

TEST(StepAssembler, StepsLeaveOldestFirstAndASymbolPastATimeDoesNotHoldIt) {
  StepAssembler steps({kBtc, kEth});
  // A backfill hands BTC's three bars over, ETH's feed only the last two (its
  // data starts later): the first step cannot get ETH's bar, so it leaves
  // as soon as ETH has handed over a later one.
  for (int i = 0; i < 3; ++i) steps.Add(kBtc, BarAt(kOpen + i * k5m, 30'000 + i), 5'000);
  for (int i = 1; i < 3; ++i) steps.Add(kEth, BarAt(kOpen + i * k5m, 1'900 + i), 5'000);
  const auto ready = steps.TakeReady(5'000);
  ASSERT_EQ(ready.size(), 3u);
  EXPECT_EQ(ready[0][0].bar.open_time_ms, kOpen);
  EXPECT_EQ(Names(ready[0]), (std::vector<std::string>{"BTCUSDT"}));
  EXPECT_EQ(Names(ready[1]), (std::vector<std::string>{"BTCUSDT", "ETHUSDT"}));
  EXPECT_EQ(ready[2][0].bar.open_time_ms, kOpen + 2 * k5m);
}

// The venue-wide universe: a symbol that joins is waited for from then
// on; one that leaves holds no step.
TEST(StepAssembler, ASymbolThatJoinsIsWaitedForAndOneThatLeavesIsNot) {
  StepAssembler steps({kBtc});
  steps.AddSymbol(kEth);
  EXPECT_EQ(steps.symbols(), 2u);
  steps.Add(kBtc, BarAt(kOpen, 30'000), 1'000);
  EXPECT_TRUE(steps.TakeReady(1'010).empty()) << "ETH's kline is waited for";
  steps.Add(kEth, BarAt(kOpen, 1'900), 1'020);
  ASSERT_EQ(steps.TakeReady(1'020).size(), 1u);
  steps.RemoveSymbol(kEth);
  steps.Add(kBtc, BarAt(kOpen + 300'000, 30'100), 2'000);
  const auto ready = steps.TakeReady(2'000);
  ASSERT_EQ(ready.size(), 1u) << "ETH, gone, holds nothing";
  EXPECT_EQ(Names(ready[0]), (std::vector<std::string>{"BTCUSDT"}));
  EXPECT_EQ(steps.partial_steps(), 0u);
}

TEST(StepAssembler, OneSymbolStepsLeaveAtOnce) {
  StepAssembler steps({kBtc});
  steps.Add(kBtc, BarAt(kOpen, 30'000), 0);
  EXPECT_EQ(steps.TakeReady(0).size(), 1u);
}

}  // namespace
}  // namespace apollo::live
