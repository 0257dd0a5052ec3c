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
// The testnet half runs the bot against fake-binance (in this process)
// with faults switched on at random (5xx on order entry, an answer held back
// after acceptance, 429s), kills it while an order is being sent, after the
// venue answered, during reconciliation, inside an append, during start-up
// and at random, and checks after every restart that the ledger verifies,
// and at the end that the venue never holds two orders with one client id,
// that a reconciliation finds the venue and the ledger equal, and that
// `replay decisions` re-derives every decision.
//
// APOLLO_CRASH_KILLS (default 25) kills per mode, APOLLO_CRASH_SEED (default
// 20261205). `make crash N=1000` runs it with N kills and prints the summary.
// APOLLO_CRASH_BIN_DIR runs the bot and replay found there instead of the
// build's, with the config.yaml beside them when there is one (a long run
// on copies, while the build and the tree move on).
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <cstdio>
#include <filesystem>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/domain/codec.h"
#include "tests/support/cli.h"
#include "tests/support/ledgers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/recorded_markets.h"
#include "tools/fake_binance/bars.h"
#include "tools/fake_binance/fake_exchange.h"
#include "tools/fake_binance/faults.h"
#include "tools/fake_binance/server.h"

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

// The executable `name`: from APOLLO_CRASH_BIN_DIR when set, else the build's.
std::string Bin(const char* name, const char* built) {
  const char* dir = std::getenv("APOLLO_CRASH_BIN_DIR");
  return dir != nullptr && *dir != '\0' ? absl::StrCat(dir, "/", name) : std::string(built);
}
std::string BotBin() { return Bin("bot", BOT_BIN); }
std::string ReplayBin() { return Bin("replay", REPLAY_BIN); }
// The config those binaries read: a config.yaml copied beside them (the
// source tree's may have moved on during a long run), else the tree's.
std::string ConfigFile() {
  const std::string copied = Bin("config.yaml", "");
  return !copied.empty() && std::filesystem::exists(copied) ? copied : "config.yaml";
}

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

// `data`: --data values (FILE, or SYMBOL=FILE for each of several symbols).
std::vector<std::string> BotArgs(const std::string& ledger, const std::string& logs, const std::vector<std::string>& data) {
  std::vector<std::string> args = {BotBin(), "--config", ConfigFile(), "--mode", "paper", "--ledger", ledger,
                                   "--logs", logs, "--speed", "max"};
  for (const std::string& d : data) args.insert(args.end(), {"--data", d});
  return args;
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
  const testing::ToolRun verify = testing::RunTool({ReplayBin(), "verify", "--ledger", ledger}, {}, 60s);
  ASSERT_TRUE(verify.status.Exited(0)) << when << ": replay verify: " << verify.out << verify.err;
  auto full = testing::FoldState(ledger, /*use_snapshot=*/false);
  auto rebuilt = testing::FoldState(ledger, /*use_snapshot=*/true);
  ASSERT_TRUE(full.ok() && rebuilt.ok()) << when << ": " << full.status() << " " << rebuilt.status();
  EXPECT_TRUE(*full == *rebuilt) << when << ": snapshot + tail differs from the full fold";
}

// At the end of an episode: nothing twice, the uncrashed run's trades, and
// the decisions re-derived from the ledger alone.
void CheckEpisode(const std::string& ledger, const std::string& logs, const std::vector<Event>& reference,
                  const std::string& reference_csv, size_t bars, const std::string& when) {
  auto events = testing::ReadEvents(ledger);
  ASSERT_TRUE(events.ok()) << when << ": " << events.status();
  std::map<std::string, int> placed, answered;
  for (const auto& [seq, p] : testing::EventsOf<OrderPlaced>(*events)) ++placed[p.client_order_id.value];
  for (const auto& [seq, a] : testing::EventsOf<OrderAccepted>(*events)) ++answered[a.client_order_id.value];
  for (const auto& [seq, r] : testing::EventsOf<OrderRejected>(*events)) ++answered[r.client_order_id.value];
  for (const auto& [id, n] : placed) EXPECT_EQ(n, 1) << when << ": " << id << " placed " << n << " times";
  for (const auto& [id, n] : answered) EXPECT_LE(n, 1) << when << ": " << id << " answered " << n << " times";
  EXPECT_EQ(testing::EventsOf<CandleClose>(*events).size(), bars) << when << ": a bar journaled twice or skipped";
  EXPECT_TRUE(Trades(*events) == Trades(reference)) << when << ": the trades differ from the uncrashed run's";
  EXPECT_EQ(Rows(testing::ReadFile(logs + "/trades.csv")), Rows(reference_csv)) << when << ": trades.csv differs";
  const testing::ToolRun decisions = testing::RunTool({ReplayBin(), "decisions", "--ledger", ledger}, {}, 120s);
  EXPECT_TRUE(decisions.status.Exited(0)) << when << ": " << decisions.out << decisions.err;
  EXPECT_THAT(decisions.out, HasSubstr("0 divergences")) << when;
}

// The paper bot over `data` (--data values, `bars` bars in all, `env` for
// every run), killed `APOLLO_CRASH_KILLS` times at the kinds' instants.
void RunPaperMatrix(const char* label, const testing::TempDir& tmp, const std::vector<std::string>& data, size_t bars,
                    const std::vector<std::string>& env) {
  const int kills = EnvInt("APOLLO_CRASH_KILLS", 25);
  const int seed = EnvInt("APOLLO_CRASH_SEED", 20261205);
  const testing::ToolRun ref = testing::RunTool(BotArgs(tmp.Sub("ref-ledger"), tmp.Sub("ref-logs"), data), env);
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
    std::vector<std::string> run_env = kind.env(rng);
    run_env.insert(run_env.end(), env.begin(), env.end());
    auto bot = Process::Spawn(BotArgs(ledger, logs, data), testing::ToolOptions(run_env));
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
      if (::testing::Test::HasFailure()) return;
      continue;
    }
    ASSERT_TRUE(st.Exited(0)) << when << ": " << st << "\n" << (*bot)->err();
    ++tally[kind.name].missed;  // ran to the end of the data: the episode is over
    CheckAfterRestart(ledger, when);
    CheckEpisode(ledger, logs, *reference, reference_csv, bars, when);
    if (::testing::Test::HasFailure()) return;
    new_episode();
  }
  // The last episode, run to its end without a kill.
  const testing::ToolRun last = testing::RunTool(BotArgs(ledger, logs, data), env);
  ASSERT_TRUE(last.status.Exited(0)) << last.err;
  CheckEpisode(ledger, logs, *reference, reference_csv, bars, absl::StrCat("episode ", episode));

  std::vector<std::string> by_kind;
  for (const auto& [name, t] : tally) by_kind.push_back(absl::StrCat(name, " ", t.hit, " (", t.missed, " ran out)"));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("crash matrix (%s): %d kills over %d episodes of %zu bars, seed %d, %.1f s; by kind: %s\n", label, done,
              episode, bars, seed, seconds, absl::StrJoin(by_kind, ", ").c_str());
  ::testing::Test::RecordProperty("kills", done);
  ::testing::Test::RecordProperty("episodes", episode);
}

TEST(CrashMatrix, PaperBotKilledAnywhereLosesNothingAndTradesAsAnUncrashedRun) {
  testing::TempDir tmp;
  const std::string data = tmp.Sub("bars.csv");
  testing::WriteFile(data, testing::BundledBars(kBars));
  RunPaperMatrix("paper", tmp, {data}, kBars, {});
}

// Three symbols in one engine: each step's bars, the per-symbol windows
// warmed after a restart and the portfolio-wide limit all come back whole.
TEST(CrashMatrix, PaperBotOverThreeSymbolsKilledAnywhereTradesAsAnUncrashedRun) {
  constexpr size_t kBarsEach = 4000;
  testing::TempDir tmp;
  std::vector<std::string> data;
  for (const char* symbol : {"SOLUSDT", "BNBUSDT", "XRPUSDT"}) {
    const std::string file = absl::StrCat(absl::AsciiStrToLower(symbol), "_perp_5m_2023-07-18_2023-08-17.csv");
    const std::vector<std::string> lines =
        testing::Lines(testing::ReadFile(std::filesystem::path(APOLLO_SOURCE_DIR) / "data/market" / file));
    ASSERT_GT(lines.size(), kBarsEach);
    const std::string part = tmp.Sub(file);
    testing::WriteFile(part, absl::StrCat(absl::StrJoin(lines.begin(), lines.begin() + kBarsEach + 1, "\n"), "\n"));
    data.push_back(absl::StrCat(symbol, "=", part));
  }
  RunPaperMatrix("paper, 3 symbols", tmp, data, 3 * kBarsEach,
                 {absl::StrCat("PAPER_SIM__EXCHANGE_INFO_FILE=", APOLLO_SOURCE_DIR,
                               "/data/market/exchangeInfo_fapi_2021-07-21.json")});
}

// --- testnet, against fake-binance -----------------------------------------

namespace fb = fake_binance;
constexpr char kKey[] = "crashKEYq7Zr4mWpXv9TnLbQ2sYd8H";
constexpr char kSecret[] = "crashSECRETk3Jf8VhNc6RxPz1GmTw5BuE";

// A strategy that trades within a few dozen bars.
std::vector<std::string> TestnetEnv(const fb::FakeBinanceServer& server) {
  return {absl::StrCat("BINANCE_TESTNET_FUTURE_API_KEY=", kKey),
          absl::StrCat("BINANCE_TESTNET_FUTURE_SECRET_KEY=", kSecret),
          absl::StrCat("BINANCE__TESTNET_BASE_URL=http://127.0.0.1:", server.port()),
          absl::StrCat("BINANCE__TESTNET_WS_URL=ws://127.0.0.1:", server.ws_port()),
          "RUN_ENABLE_TRADING=true",
          "STRATEGY__TREND_TIMEFRAME=15m", "STRATEGY__ENTRY_TIMEFRAME=5m", "STRATEGY__INDICATORS__EMA_SLOW=5",
          "STRATEGY__INDICATORS__EMA_FAST=2", "STRATEGY__INDICATORS__ADX_PERIOD=3", "STRATEGY__INDICATORS__ATR_PERIOD=3",
          "STRATEGY__ENTRY__BREAKOUT_LOOKBACK=3", "STRATEGY__ENTRY__VOLUME_CONFIRMATION_ENABLED=false",
          // Trading on through losses, so orders keep coming for the kills
          // on the order path: no cooldown, breaker or daily limit.
          "RISK__COOLDOWN_AFTER_LOSS_HOURS=0", "RISK__MAX_LOSS_STREAK_24H=0",
          "RISK__COOLDOWN_AFTER_MAX_DAILY_HOURS=0", "RISK__MAX_CONSECUTIVE_LOSSES=1000",
          "RISK__MAX_DRAWDOWN_PCT=100", "RISK__MAX_DAILY_LOSS_PCT=100"};
}

const Kind kTestnetKinds[] = {
    {"append", [](std::mt19937_64& r) {
       return std::vector<std::string>{absl::StrCat("APOLLO_LEDGER_FAULTS=kill_after_bytes=", Pick(r, 0, 40'000))};
     }},
    {"before_send", [](std::mt19937_64&) { return std::vector<std::string>{"APOLLO_CRASH_AT=before_send:1"}; }},
    {"after_send", [](std::mt19937_64&) { return std::vector<std::string>{"APOLLO_CRASH_AT=after_send:1"}; }},
    {"reconcile", [](std::mt19937_64& r) { return std::vector<std::string>{absl::StrCat("APOLLO_CRASH_AT=reconcile:", Pick(r, 1, 2))}; }},
    {"startup", [](std::mt19937_64&) { return std::vector<std::string>{"APOLLO_CRASH_AT=startup:1"}; }},
    {"random", [](std::mt19937_64&) { return std::vector<std::string>{}; }},
};

// A fault on the fake for this start, or none.
void MaybeFault(fb::FakeBinanceServer& server, std::mt19937_64& rng) {
  switch (Pick(rng, 0, 4)) {
    case 0: (void)server.faults().Add(fb::ServerError(503, 2, "/fapi/v1/order")); break;
    case 1: (void)server.faults().Add(fb::DelayAfterAccept(1500)); break;
    case 2: (void)server.faults().Add(fb::RateLimited(1, 1)); break;
    default: break;
  }
}

// The testnet matrix over `markets` (the bot trading every one of them):
// `kills` kills of the kinds above, each start against a fault or none,
// then a last clean start that must reconcile; no order is ever placed
// twice, and every symbol's position on the venue is the ledger's.
void RunTestnetMatrix(const std::string& name, std::vector<fb::Market> markets, int kills, int seed,
                      const std::vector<std::string>& extra_env) {
  testing::TempDir tmp;
  fb::FakeExchange exchange(fb::ExchangeConfig{}, std::move(markets), fb::SystemClockMs);
  fb::FakeBinanceServer server(&exchange, fb::ServerOptions{.api_key = kKey, .api_secret = kSecret});
  ASSERT_TRUE(server.Start().ok());
  ASSERT_TRUE(server.StartWs(0).ok());
  const std::string ledger = tmp.Sub("ledger"), logs = tmp.Sub("logs");
  const std::vector<std::string> argv = {BotBin(), "--mode", "testnet", "--config", ConfigFile(),
                                         "--ledger", ledger, "--logs", logs};
  auto env_of = [&](std::vector<std::string> more) {
    std::vector<std::string> env = TestnetEnv(server);
    for (const std::string& e : extra_env) env.push_back(e);
    for (std::string& e : more) env.push_back(std::move(e));
    return env;
  };
  std::mt19937_64 rng(static_cast<uint64_t>(seed) + 1);
  std::map<std::string, Tally> tally;
  int done = 0, starts = 0;
  const auto t0 = std::chrono::steady_clock::now();
  // Bars advanced while one start lives: the recorded bars last for the
  // whole matrix (10,999 of them, the first ~100 for the warm-up).
  const int bars_per_start = std::clamp(10'000 / std::max(kills, 1), 4, 8);
  size_t candles = 0, placed_orders = 0;
  std::vector<std::string> outcomes;  // reconciliation verdicts since the last start, in order
  // Reads what the bot appended since the last look.
  auto follow = [&](testing::LedgerFollower& f) {
    for (const Event& e : f.Poll()) {
      candles += std::holds_alternative<CandleClose>(e.body) ? 1 : 0;
      placed_orders += std::holds_alternative<OrderPlaced>(e.body) ? 1 : 0;
      if (std::holds_alternative<SystemStarted>(e.body)) outcomes.clear();
      if (std::holds_alternative<ReconciliationCompleted>(e.body)) outcomes.push_back("completed");
      if (std::holds_alternative<ReconciliationFailed>(e.body)) outcomes.push_back("failed");
      if (std::holds_alternative<ManualInterventionDetected>(e.body)) {
        outcomes.push_back(absl::StrCat("manual intervention: ", EventToJson(e)));
      }
    }
  };
  testing::LedgerFollower follower(ledger);
  // Advances the fake a bar at a time until the bot dies, `bars` bars are
  // journaled or `enough` holds.
  auto drive = [&](Process& bot, bool random_kill, int bars, const std::function<bool()>& enough = nullptr) {
    const int kill_at = random_kill ? Pick(rng, 0, bars - 1) : -1;
    for (int i = 0; i < bars && bot.alive() && !(enough && enough()); ++i) {
      if (i == kill_at) {
        std::this_thread::sleep_for(std::chrono::milliseconds(Pick(rng, 0, 300)));
        bot.Signal(SIGKILL);
        return;
      }
      follow(follower);
      const size_t before = candles;
      if (!exchange.AdvanceBar().ok()) return;
      const auto deadline = std::chrono::steady_clock::now() + 20s;
      while (bot.alive() && candles <= before && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(10ms);
        follow(follower);
      }
    }
  };
  {  // Warm-up: a clean start until the strategy has traded once.
    auto bot = Process::Spawn(argv, testing::ToolOptions(env_of({})));
    ASSERT_TRUE(bot.ok()) << bot.status();
    ASSERT_TRUE((*bot)->ReadLineStartingWith("bot: testnet mode started", 60s).has_value()) << (*bot)->err();
    server.WaitForWsClients("/stream", 1, 10'000);
    drive(**bot, false, 300, [&] { return placed_orders > 0; });
    (*bot)->Signal(SIGTERM);
    ASSERT_TRUE((*bot)->Wait(60s).Exited(0)) << (*bot)->err();
    ASSERT_GT(placed_orders, 0u) << "the fast strategy did not trade within 300 bars";
  }
  while (done < kills) {
    const Kind& kind = kTestnetKinds[std::uniform_int_distribution<size_t>(0, std::size(kTestnetKinds) - 1)(rng)];
    const std::string when = absl::StrCat(name, " kill ", done + 1, " (", kind.name, ", start ", ++starts, ")");
    MaybeFault(server, rng);
    auto bot = Process::Spawn(argv, testing::ToolOptions(env_of(kind.env(rng))));
    ASSERT_TRUE(bot.ok()) << bot.status();
    if ((*bot)->ReadLineStartingWith("bot: testnet mode started", 60s).has_value()) {
      server.WaitForWsClients("/stream", 1, 10'000);
      drive(**bot, std::string(kind.name) == "random", bars_per_start);
    }
    follow(follower);
    if ((*bot)->alive()) (*bot)->Signal(SIGTERM);  // the instant never came: a clean stop
    const ExitStatus st = (*bot)->Wait(60s);
    server.faults().Clear();
    if (st.KilledBy(SIGKILL)) {
      ++tally[kind.name].hit;
      ++done;
    } else {
      ASSERT_TRUE(st.Exited(0)) << when << ": " << st << "\n" << (*bot)->err();
      ++tally[kind.name].missed;
    }
    CheckAfterRestart(ledger, when);
    if (::testing::Test::HasFailure()) return;
  }

  // A last start: it resolves what is in doubt and reconciles with the venue.
  auto bot = Process::Spawn(argv, testing::ToolOptions(env_of({})));
  ASSERT_TRUE(bot.ok()) << bot.status();
  ASSERT_TRUE((*bot)->ReadLineStartingWith("bot: testnet mode started", 60s).has_value()) << (*bot)->err();
  server.WaitForWsClients("/stream", 1, 10'000);
  // An order a killed start left in doubt is settled only once a request of
  // the dead process can no longer arrive (62 s after this start), and the
  // reconciliation waits for it.
  const auto deadline = std::chrono::steady_clock::now() + 100s;
  follow(follower);
  while (outcomes.empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
    follow(follower);
  }
  (*bot)->Signal(SIGTERM);
  ASSERT_TRUE((*bot)->Wait(60s).Exited(0)) << (*bot)->err();
  if (outcomes.empty()) {
    std::string why;  // what the last start logged about it
    for (const std::string& line : testing::Lines(testing::ReadFile(logs + "/bot.log"))) {
      if (absl::StrContains(line, "reconcil") || absl::StrContains(line, "doubt") || absl::StrContains(line, "ERROR")) {
        why += line.substr(0, 300) + "\n";
      }
    }
    FAIL() << "the last start never reconciled; bot.log says:\n" << why.substr(why.size() > 4000 ? why.size() - 4000 : 0);
  }
  EXPECT_EQ(outcomes.front(), "completed") << "the last start's reconciliation: the venue and the ledger differ\n"
                                           << exchange.StateJson();

  auto events = testing::ReadEvents(ledger);
  ASSERT_TRUE(events.ok()) << events.status();
  const std::string venue_state = exchange.StateJson();
  std::map<std::string, int> placed;
  for (const auto& [seq, p] : testing::EventsOf<OrderPlaced>(*events)) ++placed[p.client_order_id.value];
  for (const auto& [id, n] : placed) {
    EXPECT_EQ(n, 1) << id << " placed " << n << " times";
    for (const char* key : {"clientOrderId", "clientAlgoId"}) {
      size_t on_venue = 0;
      const std::string needle = absl::StrCat("\"", key, "\":\"", id, "\"");
      for (size_t at = venue_state.find(needle); at != std::string::npos; at = venue_state.find(needle, at + 1)) {
        ++on_venue;
      }
      EXPECT_LE(on_venue, 1u) << id << " is on the venue " << on_venue << " times as " << key << " (sent twice)";
    }
  }
  auto state = testing::FoldState(ledger, /*use_snapshot=*/false);
  ASSERT_TRUE(state.ok()) << state.status();
  for (const fb::PositionSnapshot& venue : exchange.Account().positions) {
    auto ours = state->positions.find(Symbol{venue.position.symbol});
    const Fixed ledger_qty = ours == state->positions.end() ? Fixed()
                             : ours->second.side == Side::kBuy ? ours->second.qty : -ours->second.qty;
    EXPECT_EQ(venue.position.qty, ledger_qty) << venue.position.symbol << ": the venue's position vs the ledger's";
  }
  const testing::ToolRun decisions = testing::RunTool({ReplayBin(), "decisions", "--ledger", ledger}, {}, 120s);
  EXPECT_TRUE(decisions.status.Exited(0)) << decisions.out << decisions.err;
  EXPECT_THAT(decisions.out, HasSubstr("0 divergences")) << decisions.out;

  std::vector<std::string> by_kind;
  for (const auto& [name, t] : tally) by_kind.push_back(absl::StrCat(name, " ", t.hit, " (", t.missed, " ran out)"));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("crash matrix (%s): %d kills over %d starts, %zu orders placed, seed %d, %.1f s; by kind: %s\n",
              name.c_str(), done, starts, placed.size(), seed, seconds, absl::StrJoin(by_kind, ", ").c_str());
  ::testing::Test::RecordProperty("kills", done);
  EXPECT_FALSE(placed.empty()) << "no order was placed: the matrix tested nothing of the order path";
}

TEST(CrashMatrix, TestnetBotKilledAnywhereNeverDoublesAnOrderAndEndsReconciled) {
  auto bars = fb::ReadBarsCsv(std::string(APOLLO_SOURCE_DIR) + "/" + testing::kBundledData);
  ASSERT_TRUE(bars.ok()) << bars.status();
  RunTestnetMatrix("testnet", {fb::Market{fb::Instrument{}, *std::move(bars)}}, EnvInt("APOLLO_CRASH_KILLS", 25),
                   EnvInt("APOLLO_CRASH_SEED", 20261205), {});
}

// Two symbols on one account (ETH and SOL, recorded over the same days):
// steps of two bars, entries in either, each kill anywhere in between.
TEST(CrashMatrix, TestnetBotOverTwoSymbolsKilledAnywhereNeverDoublesAnOrderAndEndsReconciled) {
  auto markets = testing::EthAndSolMarkets(APOLLO_SOURCE_DIR);
  ASSERT_TRUE(markets.ok()) << markets.status();
  RunTestnetMatrix("testnet, 2 symbols", *std::move(markets), EnvInt("APOLLO_CRASH_KILLS", 10),
                   EnvInt("APOLLO_CRASH_SEED", 20261206), {"UNIVERSE__SYMBOLS=ETHUSDT,SOLUSDT", "RISK__MAX_POSITIONS=2"});
}

}  // namespace
}  // namespace apollo
