// The seed's universe choice (engine/universe): candidates ranked by 24 h
// quote volume, each dropped for the first limit it breaks, the best
// `size` of the rest kept, and when a new choice is due.
#include "engine/universe/universe.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace apollo {
namespace {

using ::testing::ElementsAre;

Fixed F(const char* s) { return *Fixed::Parse(s); }

UniverseCandidate Candidate(const char* symbol, int64_t quote_volume, const char* min_notional = "5",
                            const char* funding_pct = nullptr) {
  UniverseCandidate c;
  c.symbol = Symbol{symbol};
  c.quote_volume_24h = quote_volume;
  c.min_notional = F(min_notional);
  if (funding_pct != nullptr) {
    c.funding_rate_pct = F(funding_pct);
    c.funding_known = true;
  }
  return c;
}

// "SYMBOL rank reason" per candidate, in the event's order.
std::vector<std::string> Verdicts(const UniverseUpdated& u) {
  std::vector<std::string> out;
  for (const UniverseCandidate& c : u.candidates) out.push_back(c.symbol.value + " " + std::to_string(c.rank) + " " + c.reason);
  return out;
}

config::UniverseConfig Seed() {
  config::UniverseConfig cfg;
  cfg.size = 2;  // the seed's limits, a smaller size to see BEYOND_SIZE
  return cfg;
}

TEST(Universe, CandidatesAreRankedByQuoteVolumeAndTheBestSizeOfThoseWithinTheLimitsKept) {
  const UniverseUpdated u = universe::Select(
      {Candidate("XRPUSDT", 900'000'000), Candidate("BTCUSDT", 18'000'000'000), Candidate("ADAUSDT", 40'000'000),
       Candidate("SOLUSDT", 700'000'000, "10"), Candidate("ETHUSDT", 9'000'000'000, "5", "0.15"),
       Candidate("DOGEUSDT", 600'000'000, "5", "-0.05"), Candidate("BNBUSDT", 500'000'000)},
      Seed(), "recorded_bars");
  EXPECT_THAT(Verdicts(u), ElementsAre("BTCUSDT 1 KEPT", "ETHUSDT 2 FUNDING_TOO_HIGH", "XRPUSDT 3 KEPT",
                                       "SOLUSDT 4 MIN_NOTIONAL_TOO_HIGH", "DOGEUSDT 5 BEYOND_SIZE",
                                       "BNBUSDT 6 BEYOND_SIZE", "ADAUSDT 7 LOW_QUOTE_VOLUME"));
  EXPECT_THAT(u.symbols, ElementsAre(Symbol{"BTCUSDT"}, Symbol{"XRPUSDT"}));
  EXPECT_EQ(u.source, "recorded_bars");
}

TEST(Universe, ARateNotKnownDropsNothingAndEqualVolumesRankBySymbol) {
  config::UniverseConfig cfg = Seed();
  cfg.size = 5;
  const UniverseUpdated u = universe::Select(
      {Candidate("ETHUSDT", 100'000'000), Candidate("BTCUSDT", 100'000'000), Candidate("SOLUSDT", 100'000'000, "5", "-0.1")},
      cfg, "test");
  // -0.1 % is at the limit, not beyond it.
  EXPECT_THAT(Verdicts(u), ElementsAre("BTCUSDT 1 KEPT", "ETHUSDT 2 KEPT", "SOLUSDT 3 KEPT"));
}

TEST(Universe, AVolumeAboveWhatFixedHoldsIsRankedExactly) {
  // 2e11 USDT in a day (beyond Fixed's ~9.2e10): ranked, never overflowing.
  const UniverseUpdated u = universe::Select({Candidate("BTCUSDT", 200'000'000'000), Candidate("ETHUSDT", 150'000'000'000)},
                                             Seed(), "test");
  EXPECT_THAT(Verdicts(u), ElementsAre("BTCUSDT 1 KEPT", "ETHUSDT 2 KEPT"));
}

TEST(Universe, AChoiceIsDueWhenNoneWasMadeAndThenEveryRefreshInterval) {
  config::UniverseConfig cfg;
  State state;
  EXPECT_FALSE(universe::Due(state, cfg, 1)) << "size 0 ranks nothing";
  cfg.size = 5;
  EXPECT_TRUE(universe::Due(state, cfg, 1));
  state.universe_updated_ns = 1'000'000'000'000;
  const int64_t day_ns = int64_t{24} * 3'600'000'000'000;
  EXPECT_FALSE(universe::Due(state, cfg, state.universe_updated_ns + day_ns - 1));
  EXPECT_TRUE(universe::Due(state, cfg, state.universe_updated_ns + day_ns));
}

}  // namespace
}  // namespace apollo
