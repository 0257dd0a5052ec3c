// The crash matrix: `bot` SIGKILLed at N instants chosen at random among
// kinds (inside a ledger append, between an order's OrderPlaced and its
// send, between the venue's answer and its journaling, while a snapshot is
// stored, between an append and its projection rows, during start-up, and
// at a random time), restarted after each kill. After every restart: the
// ledger verifies and the state a start rebuilds (snapshot + tail) equals
// the full fold. At the end of each episode (a fresh ledger run to the end
// of its data under kills): no client order id placed or answered twice,
// the trades and trades.csv equal an uncrashed run's, and `replay decisions`
// finds 0 divergences.
//
// APOLLO_CRASH_KILLS (default 25) kills, APOLLO_CRASH_SEED (default
// 20261205). `make crash N=1000` runs it with N kills and prints the summary.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tests/support/cli.h"
#include "tests/support/ledgers.h"
#include "tests/support/temp_dir.h"

#if !defined(BOT_BIN) || !defined(REPLAY_BIN)
#error "BOT_BIN and REPLAY_BIN must be defined"
#endif

namespace apollo {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using testing::ExitStatus;
using testing::Process;

constexpr size_t kBars = 5000;  // the default strategy's first trade comes after ~3,260 bars
constexpr char kStarted[] = "bot: paper mode started";

int EnvInt(const char* name, int fallback) {
  int v = fallback;
  if (const char* s = std::getenv(name)) {
    if (!absl::SimpleAtoi(s, &v) || v < 0) ADD_FAILURE() << name << "=" << s << " is not a count";
  }
  return v;
}

// One kind of kill instant, and how a run is told to die at it.
struct Kind {
  const char* name;
  // The environment for one run; `rng` picks where within the kind.
  std::vector<std::string> (*env)(std::mt19937_64& rng);
};

int Pick(std::mt19937_64& rng, int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }

const Kind kKinds[] = {
    {"append", [](std::mt19937_64& r) {  // mid-write of the WAL (or of a flushed table)
       return std::vector<std::string>{absl::StrCat("APOLLO_LEDGER_FAULTS=kill_after_bytes=", Pick(r, 0, 600'000))};
     }},
    {"before_send", [](std::mt19937_64& r) { return std::vector<std::string>{absl::StrCat("APOLLO_CRASH_AT=before_send:", Pick(r, 1, 12))}; }},
    {"after_send", [](std::mt19937_64& r) { return std::vector<std::string>{absl::StrCat("APOLLO_CRASH_AT=after_send:", Pick(r, 1, 12))}; }},
    {"snapshot", [](std::mt19937_64& r) { return std::vector<std::string>{absl::StrCat("APOLLO_CRASH_AT=snapshot:", Pick(r, 1, 2))}; }},
    {"projection", [](std::mt19937_64& r) { return std::vector<std::string>{absl::StrCat("APOLLO_CRASH_AT=projection:", Pick(r, 1, 8))}; }},
    {"startup", [](std::mt19937_64&) { return std::vector<std::string>{"APOLLO_CRASH_AT=startup:1"}; }},
    {"random", [](std::mt19937_64&) { return std::vector<std::string>{}; }},  // a SIGKILL from outside, at a random time
};

struct Tally {
  int hit = 0, missed = 0;  // killed at the instant / the run ended before reaching it
};

std::vector<std::string> BotArgs(const std::string& ledger, const std::string& logs, const std::string& data) {
  return {BOT_BIN, "--config", "config.yaml", "--mode", "paper", "--ledger", ledger, "--logs", logs,
          "--data", data, "--speed", "max"};
}

std::vector<std::string> Rows(const std::string& csv) {  // trades.csv without header and seq
  std::vector<std::string> rows;
  const std::vector<std::string> lines = testing::Lines(csv);
  for (size_t i = 1; i < lines.size(); ++i) rows.push_back(lines[i].substr(lines[i].find(',') + 1));
  return rows;
}

std::vector<PositionClosed> Trades(const std::vector<Event>& events) {
  std::vector<PositionClosed> out;
  for (const auto& [seq, c] : testing::EventsOf<PositionClosed>(events)) out.push_back(c);
  return out;
}

// After every restart: whole, and a start's rebuild is the full fold.
void CheckAfterRestart(const std::string& ledger, const std::string& when) {
  const testing::ToolRun verify = testing::RunTool({REPLAY_BIN, "verify", "--ledger", ledger}, {}, 60s);
  ASSERT_TRUE(verify.status.Exited(0)) << when << ": replay verify: " << verify.out << verify.err;
  auto full = testing::FoldState(ledger, /*use_snapshot=*/false);
  auto rebuilt = testing::FoldState(ledger, /*use_snapshot=*/true);
  ASSERT_TRUE(full.ok() && rebuilt.ok()) << when << ": " << full.status() << " " << rebuilt.status();
  EXPECT_TRUE(*full == *rebuilt) << when << ": snapshot + tail differs from the full fold";
}

// At the end of an episode: nothing twice, the uncrashed run's trades, and
// the decisions re-derived from the ledger alone.
void CheckEpisode(const std::string& ledger, const std::string& logs, const std::vector<Event>& reference,
                  const std::string& reference_csv, const std::string& when) {
  auto events = testing::ReadEvents(ledger);
  ASSERT_TRUE(events.ok()) << when << ": " << events.status();
  std::map<std::string, int> placed, answered;
  for (const auto& [seq, p] : testing::EventsOf<OrderPlaced>(*events)) ++placed[p.client_order_id.value];
  for (const auto& [seq, a] : testing::EventsOf<OrderAccepted>(*events)) ++answered[a.client_order_id.value];
  for (const auto& [seq, r] : testing::EventsOf<OrderRejected>(*events)) ++answered[r.client_order_id.value];
  for (const auto& [id, n] : placed) EXPECT_EQ(n, 1) << when << ": " << id << " placed " << n << " times";
  for (const auto& [id, n] : answered) EXPECT_LE(n, 1) << when << ": " << id << " answered " << n << " times";
  EXPECT_EQ(testing::EventsOf<CandleClose>(*events).size(), kBars) << when << ": a bar journaled twice or skipped";
  EXPECT_TRUE(Trades(*events) == Trades(reference)) << when << ": the trades differ from the uncrashed run's";
  EXPECT_EQ(Rows(testing::ReadFile(logs + "/trades.csv")), Rows(reference_csv)) << when << ": trades.csv differs";
  const testing::ToolRun decisions = testing::RunTool({REPLAY_BIN, "decisions", "--ledger", ledger}, {}, 120s);
  EXPECT_TRUE(decisions.status.Exited(0)) << when << ": " << decisions.out << decisions.err;
  EXPECT_THAT(decisions.out, HasSubstr("0 divergences")) << when;
}

TEST(CrashMatrix, PaperBotKilledAnywhereLosesNothingAndTradesAsAnUncrashedRun) {
  const int kills = EnvInt("APOLLO_CRASH_KILLS", 25);
  const int seed = EnvInt("APOLLO_CRASH_SEED", 20261205);
  testing::TempDir tmp;
  const std::string data = tmp.Sub("bars.csv");
  testing::WriteFile(data, testing::BundledBars(kBars));

  const testing::ToolRun ref = testing::RunTool(BotArgs(tmp.Sub("ref-ledger"), tmp.Sub("ref-logs"), data));
  ASSERT_TRUE(ref.status.Exited(0)) << ref.err;
  auto reference = testing::ReadEvents(tmp.Sub("ref-ledger"));
  ASSERT_TRUE(reference.ok()) << reference.status();
  ASSERT_FALSE(Trades(*reference).empty()) << "the reference run made no trades: nothing to compare";
  const std::string reference_csv = testing::ReadFile(tmp.Sub("ref-logs/trades.csv"));

  std::mt19937_64 rng(static_cast<uint64_t>(seed));
  std::map<std::string, Tally> tally;
  int episode = 0, done = 0;
  const auto t0 = std::chrono::steady_clock::now();
  std::string ledger, logs;
  auto new_episode = [&] {
    ++episode;
    ledger = tmp.Sub(absl::StrCat("ep", episode, "-ledger"));
    logs = tmp.Sub(absl::StrCat("ep", episode, "-logs"));
  };
  new_episode();
  while (done < kills) {
    const Kind& kind = kKinds[std::uniform_int_distribution<size_t>(0, std::size(kKinds) - 1)(rng)];
    const std::string when = absl::StrCat("kill ", done + 1, " (", kind.name, ", episode ", episode, ")");
    auto bot = Process::Spawn(BotArgs(ledger, logs, data), testing::ToolOptions(kind.env(rng)));
    ASSERT_TRUE(bot.ok()) << bot.status();
    if (std::string(kind.name) == "random") {
      if ((*bot)->ReadLineStartingWith(kStarted, 60s).has_value()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(Pick(rng, 0, 150)));  // the random instant itself
      }
      (*bot)->Signal(SIGKILL);
    }
    const ExitStatus st = (*bot)->Wait(120s);
    if (st.KilledBy(SIGKILL)) {
      ++tally[kind.name].hit;
      ++done;
      CheckAfterRestart(ledger, when);
      if (HasFailure()) return;
      continue;
    }
    ASSERT_TRUE(st.Exited(0)) << when << ": " << st << "\n" << (*bot)->err();
    ++tally[kind.name].missed;  // ran to the end of the data: the episode is over
    CheckAfterRestart(ledger, when);
    CheckEpisode(ledger, logs, *reference, reference_csv, when);
    if (HasFailure()) return;
    new_episode();
  }
  // The last episode, run to its end without a kill.
  const testing::ToolRun last = testing::RunTool(BotArgs(ledger, logs, data));
  ASSERT_TRUE(last.status.Exited(0)) << last.err;
  CheckEpisode(ledger, logs, *reference, reference_csv, absl::StrCat("episode ", episode));

  std::vector<std::string> by_kind;
  for (const auto& [name, t] : tally) by_kind.push_back(absl::StrCat(name, " ", t.hit, " (", t.missed, " ran out)"));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("crash matrix (paper): %d kills over %d episodes of %zu bars, seed %d, %.1f s; by kind: %s\n", done,
              episode, kBars, seed, seconds, absl::StrJoin(by_kind, ", ").c_str());
  RecordProperty("kills", done);
  RecordProperty("episodes", episode);
}

}  // namespace
}  // namespace apollo
