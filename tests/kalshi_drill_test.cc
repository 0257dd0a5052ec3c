// The Kalshi drill of runbooks/operations.md really works: the script
// runbooks/drills/kalshi_demo.sh, run as the runbook says, starts
// fake-kalshi (recorded markets listed as tomorrow's) and fake-nws, lets
// the bot buy the bucket whose edge clears the fee on Kalshi's "demo", and
// `replay decisions` derives every step of that ledger again: 0
// divergences.
#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/domain/events.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/cli.h"
#include "tests/support/kalshi_keys.h"
#include "tests/support/ledgers.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace apollo {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using testing::Process;

TEST(KalshiDrill, TheRunbooksDemoDrillTradesOnLoopbackAndItsLedgerReplaysWithNoDivergence) {
  testing::TempDir dir;
  const testing::KalshiTestKey keys = testing::ReadKalshiTestKey();  // the drill makes none when one is there
  std::ofstream(dir.Sub("kalshi.pem")) << keys.private_pem;
  std::ofstream(dir.Sub("kalshi.pub.pem")) << keys.public_pem;
  testing::SpawnOptions o =
      testing::ToolOptions({absl::StrCat("BIN=", APOLLO_BIN_DIR), absl::StrCat("DRILL=", dir.path())});
  o.own_group = true;  // a timeout stops the fakes and the bot the script started too
  auto p = Process::Spawn({"runbooks/drills/kalshi_demo.sh"}, o);
  ASSERT_TRUE(p.ok()) << p.status();
  const testing::ExitStatus st = (*p)->Wait(120s);
  ASSERT_TRUE(st.Exited(0)) << st << "\n" << (*p)->out() << (*p)->err();
  EXPECT_THAT((*p)->out(), HasSubstr("fake-kalshi: 30 markets of "));
  EXPECT_THAT((*p)->out(), ::testing::ContainsRegex("\n0 divergences over [1-9][0-9]* decisions \\(market [1-9]"));

  absl::StatusOr<std::vector<Event>> events = testing::ReadEvents(dir.Sub("ledger"));
  ASSERT_TRUE(events.ok()) << events.status();
  std::vector<OrderPlaced> placed;
  for (const Event& e : *events) {
    if (const auto* o = std::get_if<OrderPlaced>(&e.body)) placed.push_back(*o);
  }
  ASSERT_EQ(placed.size(), 1u) << (*p)->out();
  EXPECT_THAT(placed[0].symbol.value, ::testing::MatchesRegex("KXHIGHNY-[0-9]{2}[A-Z]{3}[0-9]{2}-B59.5"))
      << "the 59-60 bucket, renamed to tomorrow";
  EXPECT_EQ(placed[0].price, *Fixed::Parse("0.1"));
}

}  // namespace
}  // namespace apollo
