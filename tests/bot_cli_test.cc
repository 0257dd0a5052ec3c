// The `bot` and `ack-manual-review` executables, run as separate processes
// over the bundled recorded klines (or a prefix of them) into scratch ledger
// and logs directories: the one-instance lock, SIGTERM, SIGKILL at random
// moments and the restart after it, determinism, re-runs, the circuit
// breaker across restarts and its acknowledgement, and start-up errors.
//
// Every wait is on a pipe or on a child process, with a deadline; the only
// sleeps are the random delays before a SIGKILL.
//
// Environment knobs: APOLLO_CRASH_KILLS (default 20) and APOLLO_CRASH_SEED
// (default 20230102) for CrashRestartKeepsTheLedgerWholeAndTheTradesOfAnUninterruptedRun.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "engine/domain/codec.h"
#include "engine/domain/state.h"
#include "engine/runtime/lock.h"
#include "ledger/event_log.h"
#include "ledger/ledger.h"
#include "replay/fold.h"
#include "tests/support/ledgers.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

#if !defined(BOT_BIN) || !defined(ACK_BIN) || !defined(REPLAY_BIN) || !defined(APOLLO_SOURCE_DIR)
#error "BOT_BIN, ACK_BIN, REPLAY_BIN and APOLLO_SOURCE_DIR must be defined"
#endif

namespace apollo {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ExitStatus;
using testing::Process;
using testing::SpawnOptions;
using testing::TempDir;

constexpr char kDataFile[] = "data/market/btcusdt_perp_5m_2023-01-02_2023-02-09.csv";
constexpr size_t kAllBars = 10'999;
constexpr char kStartedPrefix[] = "bot: paper mode started";

// Deadlines. A full run at --speed max takes ~15 s on an idle machine; these
// leave room for a loaded one and only bound a hung child.
constexpr auto kStartTimeout = 60s;
constexpr auto kRunTimeout = 240s;
constexpr auto kQuickTimeout = 30s;

std::string SourcePath(const std::string& relative) { return absl::StrCat(APOLLO_SOURCE_DIR, "/", relative); }

// The environment may carry config overrides (RISK__..., RUN_MODE, ...),
// CONFIG_PATH or alert webhooks from a developer's shell: the children get
// none of them.
bool IsConfigOverride(const std::string& name) {
  return absl::StrContains(name, "__") || absl::StartsWith(name, "RUN_") || name == "CONFIG_PATH" ||
         name == "ALERT_WEBHOOKS";
}

SpawnOptions ChildOptions() {
  SpawnOptions o;
  o.cwd = APOLLO_SOURCE_DIR;  // config.yaml's relative data path resolves from here
  o.inherit_env = false;
  o.env = testing::EnvironmentWithout(&IsConfigOverride);
  // Bots run side by side (and beside a developer's own): the operator API
  // and the metrics endpoint take any free port instead of the fixed
  // defaults, and no alert leaves the machine.
  for (const char* e : {"API__PORT=0", "MONITORING__METRICS_PORT=0", "MONITORING__ALERTS_ENABLED=false"}) {
    o.env.emplace_back(e);
  }
  return o;
}

std::unique_ptr<Process> SpawnOrFail(const std::vector<std::string>& argv) {
  auto p = Process::Spawn(argv, ChildOptions());
  if (!p.ok()) {
    ADD_FAILURE() << "spawning " << argv[0] << ": " << p.status();
    return nullptr;
  }
  return *std::move(p);
}

struct Outcome {
  ExitStatus status;
  std::string out, err;
  pid_t pid = -1;
};

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  return os << "[" << o.status << "]\n--- stdout ---\n" << o.out << "--- stderr ---\n" << o.err;
}

Outcome RunToEnd(const std::vector<std::string>& argv, std::chrono::milliseconds timeout = kRunTimeout) {
  Outcome o;
  std::unique_ptr<Process> p = SpawnOrFail(argv);
  if (p == nullptr) return o;
  o.pid = p->pid();
  o.status = p->Wait(timeout);
  o.out = p->out();
  o.err = p->err();
  return o;
}

// Where a bot run keeps its things.
struct BotDirs {
  std::string ledger, logs;
};

BotDirs DirsIn(const TempDir& tmp, const std::string& name) {
  return BotDirs{tmp.Sub(name + "-ledger"), tmp.Sub(name + "-logs")};
}

std::vector<std::string> BotArgs(const BotDirs& dirs, const std::string& data, const std::string& speed = "max") {
  return {BOT_BIN,          "--config", SourcePath("config.yaml"), "--mode", "paper", "--ledger", dirs.ledger,
          "--logs",         dirs.logs,  "--data",                  data,     "--speed", speed};
}

std::vector<std::string> AckArgs(const BotDirs& dirs, const std::string& reason) {
  return {ACK_BIN, "--reason", reason, "--config", SourcePath("config.yaml"), "--ledger", dirs.ledger,
          "--logs", dirs.logs};
}

// "bot: paper mode started (pid N), ledger at seq S, B bars to run[, serving ...]"
struct Started {
  long pid = 0;
  uint64_t seq = 0;
  uint64_t bars_to_run = 0;
};

std::optional<Started> ParseStarted(const std::string& line) {
  static const std::regex re(R"(^bot: paper mode started \(pid (\d+)\), ledger at seq (\d+), (\d+) bars to run(, .*)?$)");
  std::smatch m;
  if (!std::regex_match(line, m, re)) return std::nullopt;
  Started s;
  if (!absl::SimpleAtoi(m[1].str(), &s.pid) || !absl::SimpleAtoi(m[2].str(), &s.seq) ||
      !absl::SimpleAtoi(m[3].str(), &s.bars_to_run)) {
    return std::nullopt;
  }
  return s;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

// The first line of `text` that starts with `prefix` once its indentation
// is stripped; "" if none.
std::string LineStartingWith(const std::string& text, absl::string_view prefix) {
  for (const std::string& line : Lines(text)) {
    const absl::string_view l = absl::StripLeadingAsciiWhitespace(line);
    if (absl::StartsWith(l, prefix)) return std::string(l);
  }
  return "";
}

// One line, ending in a newline, with something on it.
::testing::AssertionResult IsOneLine(const std::string& text) {
  if (text.size() < 2 || text.back() != '\n' || text.find('\n') != text.size() - 1) {
    return ::testing::AssertionFailure() << "not a single line: \"" << text << "\"";
  }
  return ::testing::AssertionSuccess();
}

// ---------------------------------------------------------------------------
// Data files.

const std::vector<std::string>& SourceDataLines() {
  static const std::vector<std::string>* const lines = [] {
    std::ifstream in(SourcePath(kDataFile));
    auto* out = new std::vector<std::string>;
    for (std::string line; std::getline(in, line);) out->push_back(line);
    return out;
  }();
  return *lines;
}

// Header + the first `bars` rows of the bundled data, written to `path`.
std::string WriteFirstBars(const std::string& path, size_t bars) {
  const std::vector<std::string>& lines = SourceDataLines();
  EXPECT_EQ(lines.size(), kAllBars + 1) << SourcePath(kDataFile) << " changed: these tests assume 10,999 bars";
  std::ofstream out(path, std::ios::trunc);
  for (size_t i = 0; i <= bars && i < lines.size(); ++i) out << lines[i] << "\n";
  return path;
}

std::string ReadFileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// ---------------------------------------------------------------------------
// Ledgers.

using testing::EventsOf;
using testing::FoldState;
using testing::ReadEvents;

// `replay verify`: "OK events=N last_seq=N head_hash=H".
struct Verified {
  Outcome run;
  uint64_t last_seq = 0;
  std::string head_hash;
  bool ok() const { return run.status.Exited(0) && !head_hash.empty(); }
};

Verified ReplayVerify(const std::string& ledger_dir) {
  Verified v;
  v.run = RunToEnd({REPLAY_BIN, "verify", "--ledger", ledger_dir}, kStartTimeout);
  static const std::regex re(R"(^OK events=\d+ last_seq=(\d+) head_hash=([0-9a-f]+)\s*$)");
  std::smatch m;
  if (std::regex_match(v.run.out, m, re) && absl::SimpleAtoi(m[1].str(), &v.last_seq)) v.head_hash = m[2].str();
  return v;
}

std::string PositionClosedText(const PositionClosed& c) {
  return absl::StrCat(c.symbol.value, " ", EnumName(c.side), " qty ", c.qty.ToString(), " entry ",
                      c.entry_price.ToString(), " exit ", c.exit_price.ToString(), " pnl ", c.realized_pnl.ToString(),
                      " fees ", c.fees.ToString(), " ", EnumName(c.reason));
}

std::string TradesText(const std::vector<std::pair<uint64_t, PositionClosed>>& trades) {
  std::string out;
  for (const auto& [seq, c] : trades) absl::StrAppend(&out, "  seq ", seq, ": ", PositionClosedText(c), "\n");
  return out;
}

// trades.csv rows (no header) split into (seq, the row without seq and ts_ns).
std::vector<std::pair<uint64_t, std::string>> TradeRows(const std::string& logs_dir) {
  std::vector<std::pair<uint64_t, std::string>> rows;
  std::vector<std::string> lines = Lines(ReadFileText(logs_dir + "/trades.csv"));
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> cols = absl::StrSplit(lines[i], absl::MaxSplits(',', 2));
    uint64_t seq = 0;
    if (cols.size() != 3 || !absl::SimpleAtoi(cols[0], &seq)) {
      ADD_FAILURE() << logs_dir << "/trades.csv line " << i + 1 << " is malformed: " << lines[i];
      continue;
    }
    rows.emplace_back(seq, cols[2]);
  }
  return rows;
}

// Directory entries with their sizes, to see that a refused start changed nothing.
std::map<std::string, uintmax_t> Listing(const std::string& dir) {
  std::map<std::string, uintmax_t> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir, ec)) {
    out[entry.path().string()] = entry.is_regular_file() ? entry.file_size() : 0;
  }
  return out;
}

// A finished paper run into `dirs` over `data`.
Outcome RunBot(const BotDirs& dirs, const std::string& data) { return RunToEnd(BotArgs(dirs, data)); }

#define ASSERT_RAN_OK(outcome)                                         \
  do {                                                                 \
    const Outcome& assert_ran_ok_o = (outcome);                        \
    ASSERT_TRUE(assert_ran_ok_o.status.Exited(0)) << assert_ran_ok_o;  \
  } while (0)

#define ASSERT_OK_AND_ASSIGN(lhs, expr)                      \
  auto ASSERT_OK_TMP_##lhs = (expr);                         \
  ASSERT_TRUE(ASSERT_OK_TMP_##lhs.ok()) << ASSERT_OK_TMP_##lhs.status(); \
  auto lhs = *std::move(ASSERT_OK_TMP_##lhs)

// ---------------------------------------------------------------------------
// The lock-holding child of LockLeftByAKilledProcessDoesNotBlock: this binary
// re-executed with --gtest_filter=BotCliChildProcess.HoldLock, so the child
// starts clean instead of inheriting a forked copy of the test's threads.

constexpr char kHoldLockEnv[] = "APOLLO_BOT_CLI_HOLD_LOCK";
constexpr char kLockedPrefix[] = "LOCK HELD pid=";

TEST(BotCliChildProcess, HoldLock) {
  const char* path = std::getenv(kHoldLockEnv);
  if (path == nullptr) GTEST_SKIP() << "runs only as the child of LockLeftByAKilledProcessDoesNotBlock";
  auto lock = runtime::InstanceLock::Acquire(path);
  if (!lock.ok()) {
    std::printf("LOCK FAILED %s\n", std::string(lock.status().message()).c_str());
    std::fflush(stdout);
    std::_Exit(3);
  }
  std::printf("%s%d\n", kLockedPrefix, static_cast<int>(::getpid()));
  std::fflush(stdout);
  for (;;) ::pause();  // until the parent's SIGKILL (or its death: PDEATHSIG)
}

// ---------------------------------------------------------------------------
// 1. One instance per mode.

TEST(BotCli, SecondInstanceIsRefusedWithAnotherInstanceRunning) {
  TempDir tmp;
  const std::string data = WriteFirstBars(tmp.Sub("300.csv"), 300);
  const BotDirs dirs = DirsIn(tmp, "bot");
  ASSERT_RAN_OK(RunBot(dirs, data));  // an existing ledger the refused start must leave alone
  const Verified before = ReplayVerify(dirs.ledger);
  ASSERT_TRUE(before.ok()) << before.run;
  const auto listing_before = Listing(dirs.ledger);

  auto held = runtime::InstanceLock::Acquire(runtime::LockPath(dirs.logs, "paper"));
  ASSERT_TRUE(held.ok()) << held.status();

  const Outcome second = RunBot(dirs, data);
  EXPECT_FALSE(second.status.exited && second.status.code == 0) << second;
  EXPECT_TRUE(second.status.exited) << second;
  static const std::regex holder_re(R"(another_instance_running pid=(\d+))");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(second.err, m, holder_re)) << second;
  EXPECT_EQ(m[1].str(), absl::StrCat(::getpid())) << "the refusal should name this test (the holder): " << second;
  EXPECT_TRUE(IsOneLine(second.err)) << second;
  EXPECT_THAT(second.out, Not(HasSubstr(kStartedPrefix))) << second;

  EXPECT_EQ(Listing(dirs.ledger), listing_before) << "the refused start touched the ledger directory";
  const Verified after = ReplayVerify(dirs.ledger);
  EXPECT_EQ(after.last_seq, before.last_seq);
  EXPECT_EQ(after.head_hash, before.head_hash);

  // A start into a ledger that does not exist yet creates none.
  BotDirs fresh = dirs;
  fresh.ledger = tmp.Sub("never-created-ledger");
  const Outcome third = RunBot(fresh, data);
  EXPECT_THAT(third.err, HasSubstr("another_instance_running")) << third;
  EXPECT_FALSE(std::filesystem::exists(fresh.ledger)) << "a refused start created " << fresh.ledger;
}

// 2. flock dies with its holder: a lock file left by a SIGKILLed process does
// not block the next start.
TEST(BotCli, LockLeftByAKilledProcessDoesNotBlock) {
  TempDir tmp;
  const std::string data = WriteFirstBars(tmp.Sub("300.csv"), 300);
  const BotDirs dirs = DirsIn(tmp, "bot");
  const std::string lock_path = runtime::LockPath(dirs.logs, "paper");

  SpawnOptions options = ChildOptions();
  options.env.push_back(absl::StrCat(kHoldLockEnv, "=", lock_path));
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  auto holder = Process::Spawn({self, "--gtest_filter=BotCliChildProcess.HoldLock"}, options);
  ASSERT_TRUE(holder.ok()) << holder.status();
  const std::optional<std::string> locked = (*holder)->ReadLineStartingWith(kLockedPrefix, kStartTimeout);
  ASSERT_TRUE(locked.has_value()) << "the child never said it holds the lock:\n"
                                  << (*holder)->out() << (*holder)->err();
  const pid_t holder_pid = (*holder)->pid();
  EXPECT_EQ(*locked, absl::StrCat(kLockedPrefix, holder_pid));

  // While it lives, it holds the lock.
  auto while_alive = runtime::InstanceLock::Acquire(lock_path);
  ASSERT_FALSE(while_alive.ok());
  EXPECT_THAT(std::string(while_alive.status().message()),
              HasSubstr(absl::StrCat("another_instance_running pid=", holder_pid)));

  ASSERT_TRUE((*holder)->Signal(SIGKILL));
  const ExitStatus killed = (*holder)->Wait(kQuickTimeout);
  ASSERT_TRUE(killed.KilledBy(SIGKILL)) << killed;
  // The file is still there, naming the dead holder.
  ASSERT_TRUE(std::filesystem::exists(lock_path));
  EXPECT_EQ(runtime::ReadLockHolder(lock_path), holder_pid);

  const Outcome run = RunBot(dirs, data);
  ASSERT_RAN_OK(run);
  EXPECT_THAT(run.out, HasSubstr("paper run END_OF_DATA")) << run;
  EXPECT_THAT(run.out, HasSubstr("bars 300 (this run 300)")) << run;
  EXPECT_EQ(runtime::ReadLockHolder(lock_path), run.pid) << "the lock file should name the bot that took it";
  EXPECT_TRUE(ReplayVerify(dirs.ledger).ok());
}

// 3. SIGTERM: the current step finishes, SystemStopped{SIGTERM} is journaled,
// the exit is clean and the lock is free.
TEST(BotCli, SigtermStopsAfterTheCurrentStepAndReleasesTheLock) {
  TempDir tmp;
  const BotDirs dirs = DirsIn(tmp, "bot");
  std::unique_ptr<Process> bot = SpawnOrFail(BotArgs(dirs, SourcePath(kDataFile), "realtime"));
  ASSERT_NE(bot, nullptr);
  const std::optional<std::string> line = bot->ReadLineStartingWith(kStartedPrefix, kStartTimeout);
  ASSERT_TRUE(line.has_value()) << "no started line:\n" << bot->out() << bot->err();
  const std::optional<Started> started = ParseStarted(*line);
  ASSERT_TRUE(started.has_value()) << "unexpected started line: " << *line;
  EXPECT_EQ(started->pid, bot->pid());
  EXPECT_EQ(started->bars_to_run, kAllBars);

  // Realtime pacing: the second bar is due five minutes after the first, so
  // the bot is mid-run (waiting) when the signal lands.
  ASSERT_TRUE(bot->Signal(SIGTERM));
  const ExitStatus st = bot->Wait(kQuickTimeout);
  ASSERT_TRUE(st.Exited(0)) << st << "\n" << bot->out() << bot->err();
  EXPECT_THAT(bot->out(), HasSubstr("paper run SIGTERM:")) << bot->out();

  ASSERT_OK_AND_ASSIGN(events, ReadEvents(dirs.ledger));
  ASSERT_FALSE(events.empty());
  const auto* stopped = std::get_if<SystemStopped>(&events.back().body);
  ASSERT_NE(stopped, nullptr) << "last event (seq " << events.back().seq << ") is "
                              << EventName(static_cast<uint16_t>(TagOf(events.back().body)));
  EXPECT_EQ(stopped->reason, "SIGTERM");
  ASSERT_OK_AND_ASSIGN(state, FoldState(dirs.ledger, /*use_snapshot=*/false));
  EXPECT_FALSE(state.running);
  EXPECT_LE(state.counters.bars, 1u) << "more than the current step ran after SIGTERM at realtime speed";

  const Verified v = ReplayVerify(dirs.ledger);
  EXPECT_TRUE(v.ok()) << v.run;
  EXPECT_EQ(v.last_seq, events.back().seq);

  auto again = runtime::InstanceLock::Acquire(runtime::LockPath(dirs.logs, "paper"));
  EXPECT_TRUE(again.ok()) << again.status();
}

// 4. SIGKILL at random moments, then a run to the end: the ledger verifies,
// snapshot + tail equals the full fold, no order was sent twice, and the
// trades (ledger and trades.csv) are exactly those of an uninterrupted run.
TEST(BotCli, CrashRestartKeepsTheLedgerWholeAndTheTradesOfAnUninterruptedRun) {
  int kills = 20;
  if (const char* k = std::getenv("APOLLO_CRASH_KILLS")) {
    ASSERT_TRUE(absl::SimpleAtoi(k, &kills) && kills >= 0) << "APOLLO_CRASH_KILLS=" << k;
  }
  uint32_t seed = 20230102;
  if (const char* s = std::getenv("APOLLO_CRASH_SEED")) {
    ASSERT_TRUE(absl::SimpleAtoi(s, &seed)) << "APOLLO_CRASH_SEED=" << s;
  }
  RecordProperty("kills", kills);
  RecordProperty("seed", static_cast<int>(seed));

  TempDir tmp;
  const std::string data = SourcePath(kDataFile);
  const BotDirs ref_dirs = DirsIn(tmp, "reference"), crash_dirs = DirsIn(tmp, "crash");

  // The reference runs beside the crash loop: it shares nothing with it.
  const auto t0 = std::chrono::steady_clock::now();
  std::unique_ptr<Process> reference = SpawnOrFail(BotArgs(ref_dirs, data));
  ASSERT_NE(reference, nullptr);

  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> delay_ms(10, 700);
  int mid_run = 0;
  std::vector<std::string> history;  // "bars left@seq -> outcome" per start
  for (int i = 0; i < kills; ++i) {
    std::unique_ptr<Process> bot = SpawnOrFail(BotArgs(crash_dirs, data));
    ASSERT_NE(bot, nullptr);
    const std::optional<std::string> line = bot->ReadLineStartingWith(kStartedPrefix, kStartTimeout);
    ASSERT_TRUE(line.has_value()) << "start " << i << " never said it started:\n"
                                  << bot->out() << bot->err() << "\nhistory: " << absl::StrJoin(history, ", ");
    const std::optional<Started> started = ParseStarted(*line);
    ASSERT_TRUE(started.has_value()) << *line;
    const int delay = delay_ms(rng);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    bot->Signal(SIGKILL);
    const ExitStatus st = bot->Wait(kQuickTimeout);
    if (st.KilledBy(SIGKILL)) {
      ++mid_run;
    } else {
      ASSERT_TRUE(st.Exited(0)) << "start " << i << ": " << st << "\n" << bot->out() << bot->err();
    }
    history.push_back(absl::StrCat(started->bars_to_run, "@", started->seq, "+", delay, "ms",
                                   st.KilledBy(SIGKILL) ? "" : "(finished)"));
  }
  const Outcome final_run = RunBot(crash_dirs, data);
  ASSERT_RAN_OK(final_run);
  EXPECT_THAT(final_run.out, HasSubstr("paper run END_OF_DATA")) << final_run;
  const ExitStatus ref_status = reference->Wait(kRunTimeout);
  ASSERT_TRUE(ref_status.Exited(0)) << ref_status << "\n" << reference->out() << reference->err();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("crash run: %d SIGKILLs (seed %u), %d landed mid-run; %.1f s; bars left@seq+delay per start: %s\n",
              kills, seed, mid_run, seconds, absl::StrJoin(history, " ").c_str());
  RecordProperty("kills_mid_run", mid_run);

  // The ledger is whole.
  const Verified v = ReplayVerify(crash_dirs.ledger);
  ASSERT_TRUE(v.ok()) << v.run;
  uint64_t snapshot_seq = 0;
  ASSERT_OK_AND_ASSIGN(full, FoldState(crash_dirs.ledger, /*use_snapshot=*/false));
  ASSERT_OK_AND_ASSIGN(from_snapshot, FoldState(crash_dirs.ledger, /*use_snapshot=*/true, &snapshot_seq));
  EXPECT_GT(snapshot_seq, 0u) << "no snapshot to test against";
  EXPECT_TRUE(full == from_snapshot) << "snapshot (seq " << snapshot_seq << ") + tail differs from the full fold:\n"
                                     << StateToJson(full) << "\nvs\n" << StateToJson(from_snapshot);
  EXPECT_EQ(full.last_seq, v.last_seq);

  ASSERT_OK_AND_ASSIGN(crash_events, ReadEvents(crash_dirs.ledger));
  ASSERT_OK_AND_ASSIGN(ref_events, ReadEvents(ref_dirs.ledger));
  EXPECT_EQ(EventsOf<SystemStarted>(crash_events).size(), static_cast<size_t>(kills) + 1)
      << "every start that printed its started line should have journaled SystemStarted";
  EXPECT_EQ(EventsOf<CandleClose>(crash_events).size(), kAllBars) << "a bar was journaled twice or skipped";

  // Every order was placed once and answered at most once.
  std::map<std::string, int> placed, answered;
  for (const auto& [seq, p] : EventsOf<OrderPlaced>(crash_events)) ++placed[p.client_order_id.value];
  for (const auto& [seq, a] : EventsOf<OrderAccepted>(crash_events)) ++answered[a.client_order_id.value];
  for (const auto& [seq, r] : EventsOf<OrderRejected>(crash_events)) ++answered[r.client_order_id.value];
  EXPECT_FALSE(placed.empty());
  for (const auto& [id, n] : placed) EXPECT_EQ(n, 1) << "client_order_id " << id << " placed " << n << " times";
  for (const auto& [id, n] : answered) {
    EXPECT_TRUE(placed.count(id)) << "an answer for " << id << ", which was never placed";
    EXPECT_LE(n, 1) << "client_order_id " << id << " answered " << n << " times (sent twice?)";
  }

  // The trades are the uninterrupted run's.
  const auto crash_trades = EventsOf<PositionClosed>(crash_events);
  const auto ref_trades = EventsOf<PositionClosed>(ref_events);
  EXPECT_FALSE(ref_trades.empty()) << "the reference run made no trades: nothing to compare";
  std::vector<PositionClosed> crash_bodies, ref_bodies;
  for (const auto& [seq, c] : crash_trades) crash_bodies.push_back(c);
  for (const auto& [seq, c] : ref_trades) ref_bodies.push_back(c);
  EXPECT_TRUE(crash_bodies == ref_bodies) << "trades after crashes:\n"
                                          << TradesText(crash_trades) << "uninterrupted run:\n"
                                          << TradesText(ref_trades);
  ASSERT_OK_AND_ASSIGN(ref_state, FoldState(ref_dirs.ledger, /*use_snapshot=*/false));
  EXPECT_TRUE(full.balance == ref_state.balance && full.positions == ref_state.positions &&
              full.circuit_breaker.active == ref_state.circuit_breaker.active)
      << "the money, positions or breaker differ from the uninterrupted run's";

  // trades.csv: one row per PositionClosed, no duplicates from the catch-up.
  const auto crash_rows = TradeRows(crash_dirs.logs);
  const auto ref_rows = TradeRows(ref_dirs.logs);
  std::vector<uint64_t> row_seqs, closed_seqs;
  for (const auto& [seq, row] : crash_rows) row_seqs.push_back(seq);
  for (const auto& [seq, c] : crash_trades) closed_seqs.push_back(seq);
  EXPECT_EQ(row_seqs, closed_seqs) << "trades.csv rows (by seq) vs PositionClosed events of the crash ledger:\n"
                                   << ReadFileText(crash_dirs.logs + "/trades.csv");
  EXPECT_EQ(ref_rows.size(), ref_trades.size());
  std::vector<std::string> crash_text, ref_text;
  for (const auto& [seq, row] : crash_rows) crash_text.push_back(row);
  for (const auto& [seq, row] : ref_rows) ref_text.push_back(row);
  EXPECT_EQ(crash_text, ref_text) << "trades.csv (minus seq, ts_ns) differs from the uninterrupted run's";
}

// 5. Determinism: the same bars, config and paths give the same ledger, byte
// for byte (same head hash). The two runs use the same ledger and logs paths
// (the first ledger is moved away), because the storage paths are part of the
// effective config whose hash ConfigLoaded records.
TEST(BotCli, SameInputsGiveAByteIdenticalLedger) {
  TempDir tmp;
  const std::string data = WriteFirstBars(tmp.Sub("3000.csv"), 3000);
  const BotDirs dirs = DirsIn(tmp, "bot");
  ASSERT_RAN_OK(RunBot(dirs, data));
  const Verified first = ReplayVerify(dirs.ledger);
  ASSERT_TRUE(first.ok()) << first.run;
  std::filesystem::rename(dirs.ledger, tmp.Sub("first-ledger"));
  std::filesystem::rename(dirs.logs, tmp.Sub("first-logs"));

  ASSERT_RAN_OK(RunBot(dirs, data));
  const Verified second = ReplayVerify(dirs.ledger);
  ASSERT_TRUE(second.ok()) << second.run;
  EXPECT_GT(first.last_seq, 3000u);
  EXPECT_EQ(second.last_seq, first.last_seq);
  EXPECT_EQ(second.head_hash, first.head_hash) << first.run.out << second.run.out;
  EXPECT_EQ(ReadFileText(tmp.Sub("first-logs") + "/trades.csv"), ReadFileText(dirs.logs + "/trades.csv"));
  EXPECT_EQ(ReadFileText(tmp.Sub("first-logs") + "/orders.csv"), ReadFileText(dirs.logs + "/orders.csv"));
}

// 6. A second run over data the ledger has already seen runs no bar and
// reports the same totals.
TEST(BotCli, RerunAfterTheEndFindsNothingNewAndPrintsTheSameSummary) {
  TempDir tmp;
  const std::string data = WriteFirstBars(tmp.Sub("2000.csv"), 2000);
  const BotDirs dirs = DirsIn(tmp, "bot");
  const Outcome first = RunBot(dirs, data);
  ASSERT_RAN_OK(first);
  const Outcome second = RunBot(dirs, data);
  ASSERT_RAN_OK(second);

  const std::string first_started = LineStartingWith(first.out, kStartedPrefix);
  const std::string second_started = LineStartingWith(second.out, kStartedPrefix);
  EXPECT_THAT(first_started, HasSubstr(", 2000 bars to run")) << first;
  EXPECT_THAT(second_started, HasSubstr(", 0 bars to run")) << second;
  EXPECT_THAT(first.out, HasSubstr("bars 2000 (this run 2000)")) << first;
  EXPECT_THAT(second.out, HasSubstr("bars 2000 (this run 0)")) << second;

  // The "bars" line minus "(this run N)", and the "net PnL ... max drawdown" line.
  auto totals = [](const std::string& out) {
    return std::regex_replace(LineStartingWith(out, "bars "), std::regex(R"( \(this run \d+\))"), "");
  };
  EXPECT_FALSE(totals(first.out).empty()) << first;
  EXPECT_EQ(totals(second.out), totals(first.out));
  EXPECT_FALSE(LineStartingWith(first.out, "net PnL ").empty()) << first;
  EXPECT_THAT(LineStartingWith(first.out, "net PnL "), HasSubstr("max drawdown")) << first;
  EXPECT_EQ(LineStartingWith(second.out, "net PnL "), LineStartingWith(first.out, "net PnL "));
  EXPECT_EQ(LineStartingWith(second.out, "paper run "), LineStartingWith(first.out, "paper run "));
  EXPECT_EQ(LineStartingWith(second.out, "CIRCUIT BREAKER"), LineStartingWith(first.out, "CIRCUIT BREAKER"));
}

// 7. The circuit breaker is state folded from the ledger: a restart keeps it,
// it refuses every entry while active, and only ack-manual-review clears it.
TEST(BotCli, CircuitBreakerSurvivesARestartAndOnlyAckManualReviewClearsIt) {
  TempDir tmp;
  const std::string data_a = WriteFirstBars(tmp.Sub("7300.csv"), 7300);
  const std::string data_b = WriteFirstBars(tmp.Sub("8300.csv"), 8300);
  const std::string data_c = SourcePath(kDataFile);
  const BotDirs dirs = DirsIn(tmp, "bot");

  const Outcome run_a = RunBot(dirs, data_a);
  ASSERT_RAN_OK(run_a);
  ASSERT_THAT(run_a.out, HasSubstr("CIRCUIT BREAKER ACTIVE"))
      << "with the default config the bundled data used to trip the breaker (3 consecutive losses) around "
         "bar 6,900 (2023-01-26); the data, the strategy or the risk rules changed so that the first 7,300 bars "
         "no longer do, and this test needs a new place to stop:\n"
      << run_a;

  const Outcome run_b = RunBot(dirs, data_b);
  ASSERT_RAN_OK(run_b);
  EXPECT_THAT(run_b.out, HasSubstr("bars 8300 (this run 1000)")) << run_b;
  EXPECT_THAT(run_b.out, HasSubstr("CIRCUIT BREAKER ACTIVE")) << "a restart forgot the breaker:\n" << run_b;

  {
    ASSERT_OK_AND_ASSIGN(events, ReadEvents(dirs.ledger));
    const auto trips = EventsOf<CircuitBreakerTriggered>(events);
    ASSERT_FALSE(trips.empty());
    const uint64_t tripped_at = trips.back().first;
    int gate_rejections = 0;
    for (const auto& [seq, r] : EventsOf<RiskRejected>(events)) {
      if (seq <= tripped_at) continue;
      EXPECT_EQ(r.rule, RiskRule::kCircuitBreakerActive)
          << "seq " << seq << ": rejected by " << EnumName(r.rule) << " while the breaker was active";
      ++gate_rejections;
    }
    for (const auto& [seq, p] : EventsOf<OrderPlaced>(events)) {
      EXPECT_FALSE(seq > tripped_at && p.purpose == OrderPurpose::kEntry)
          << "entry " << p.client_order_id.value << " placed at seq " << seq << " after the breaker (seq "
          << tripped_at << ")";
    }
    const auto approvals = EventsOf<RiskApproved>(events);
    EXPECT_TRUE(approvals.empty() || approvals.back().first < tripped_at)
        << "RiskApproved at seq " << approvals.back().first << " while the breaker (seq " << tripped_at << ") was active";
    std::printf("breaker tripped at seq %llu; %d proposals refused by it since\n",
                static_cast<unsigned long long>(tripped_at), gate_rejections);
  }

  const Outcome ack = RunToEnd(AckArgs(dirs, "reviewed"), kStartTimeout);
  ASSERT_RAN_OK(ack);
  static const std::regex acked_re(R"(acknowledged at seq (\d+))");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(ack.out, m, acked_re)) << ack;
  uint64_t ack_seq = 0;
  ASSERT_TRUE(absl::SimpleAtoi(m[1].str(), &ack_seq));
  EXPECT_THAT(ack.out, HasSubstr("circuit breaker")) << ack;
  {
    ASSERT_OK_AND_ASSIGN(events, ReadEvents(dirs.ledger));
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events.back().seq, ack_seq);
    const auto* a = std::get_if<ManualReviewAcknowledged>(&events.back().body);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->reason, "reviewed");
  }

  const Outcome ack_again = RunToEnd(AckArgs(dirs, "reviewed"), kStartTimeout);
  ASSERT_RAN_OK(ack_again);
  EXPECT_THAT(ack_again.out, HasSubstr("nothing to acknowledge")) << ack_again;

  const Outcome run_c = RunBot(dirs, data_c);
  ASSERT_RAN_OK(run_c);
  ASSERT_OK_AND_ASSIGN(events, ReadEvents(dirs.ledger));
  bool approved_after = false, entry_after = false;
  for (const auto& [seq, r] : EventsOf<RiskApproved>(events)) approved_after |= seq > ack_seq;
  for (const auto& [seq, p] : EventsOf<OrderPlaced>(events)) {
    entry_after |= seq > ack_seq && p.purpose == OrderPurpose::kEntry;
  }
  EXPECT_TRUE(approved_after) << "no RiskApproved after the ack (seq " << ack_seq << "):\n" << run_c;
  EXPECT_TRUE(entry_after) << "no entry OrderPlaced after the ack (seq " << ack_seq << "):\n" << run_c;
  EXPECT_TRUE(ReplayVerify(dirs.ledger).ok());
}

// 8. ack-manual-review never writes beside a running bot.
TEST(BotCli, AckManualReviewWithABotRunningSaysSoAndExitsNonZero) {
  TempDir tmp;
  const std::string data = WriteFirstBars(tmp.Sub("300.csv"), 300);
  const BotDirs dirs = DirsIn(tmp, "bot");
  ASSERT_RAN_OK(RunBot(dirs, data));
  const Verified before = ReplayVerify(dirs.ledger);
  ASSERT_TRUE(before.ok()) << before.run;

  auto held = runtime::InstanceLock::Acquire(runtime::LockPath(dirs.logs, "paper"));
  ASSERT_TRUE(held.ok()) << held.status();
  const Outcome ack = RunToEnd(AckArgs(dirs, "reviewed"), kStartTimeout);
  EXPECT_TRUE(ack.status.exited && ack.status.code != 0) << ack;
  EXPECT_THAT(ack.err, HasSubstr("bot is running")) << ack;
  EXPECT_THAT(ack.err, HasSubstr(absl::StrCat("(pid ", ::getpid(), ")"))) << ack;
  EXPECT_TRUE(IsOneLine(ack.err)) << ack;

  const Verified after = ReplayVerify(dirs.ledger);
  EXPECT_EQ(after.last_seq, before.last_seq);
  EXPECT_EQ(after.head_hash, before.head_hash);
}

// 9. Start-up errors: one line on stderr naming what is wrong, a non-zero
// exit, and no ledger.
TEST(BotCli, BadInputIsAOneLineErrorAndNonZeroExit) {
  TempDir tmp;
  const std::string good_data = WriteFirstBars(tmp.Sub("10.csv"), 10);
  {
    std::ofstream(tmp.Sub("typo.yaml")) << "risk: {max_drawdwn_pct: 5}\n";
    std::ofstream(tmp.Sub("bad-value.yaml")) << "risk: {max_drawdown_pct: -3}\n";
    const std::vector<std::string>& lines = SourceDataLines();
    std::ofstream bad(tmp.Sub("bad-row.csv"));
    for (size_t i = 0; i <= 4; ++i) bad << lines[i] << "\n";
    bad << "1672679100000,16700,16710,16690,not_a_number,12.5\n";  // line 6
    std::ofstream binary(tmp.Sub("binary.yaml"), std::ios::binary);
    for (int i = 0; i < 4096; ++i) binary.put(static_cast<char>(i * 7 % 256));
    std::ofstream huge(tmp.Sub("huge.yaml"));
    for (int i = 0; i < 40'000; ++i) huge << "# a config file is a few kilobytes, not megabytes\n";
  }
  struct Case {
    std::string name;
    std::vector<std::string> flags;  // replacing the defaults of the same name
    std::string names;               // the error must name this
  };
  const std::vector<Case> cases = {
      {"unknown config key", {"--config", tmp.Sub("typo.yaml")}, "risk.max_drawdwn_pct"},
      {"bad config value", {"--config", tmp.Sub("bad-value.yaml")}, "risk.max_drawdown_pct"},
      {"bad --speed", {"--speed", "fast"}, "--speed"},
      {"--speed that never reaches the next bar", {"--speed", "1e-300x"}, "--speed"},
      {"infinite --speed", {"--speed", "infx"}, "--speed"},
      {"bad --mode", {"--mode", "moon"}, "--mode"},
      {"--mode with a line break", {"--mode", "pa\nper"}, "--mode"},
      {"config is a directory", {"--config", tmp.path()}, tmp.path()},
      {"config is binary", {"--config", tmp.Sub("binary.yaml")}, tmp.Sub("binary.yaml")},
      {"config over 1 MiB", {"--config", tmp.Sub("huge.yaml")}, "larger than 1 MiB"},
      {"data is a directory", {"--data", tmp.path()}, tmp.path()},
      {"live without the gates", {"--mode", "live"}, "run.enable_trading"},
      {"missing data file", {"--data", tmp.Sub("missing.csv")}, tmp.Sub("missing.csv")},
      {"bad data row", {"--data", tmp.Sub("bad-row.csv")}, tmp.Sub("bad-row.csv") + ":6"},
      {"the Python bot's config, not migrated", {"--config", SourcePath("tests/data/seed/config.yaml")},
       "not implemented in Apollo yet: backtest.execution_model, "},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    SCOPED_TRACE(c.name);
    const BotDirs dirs = DirsIn(tmp, absl::StrCat("case", i));
    std::vector<std::string> args = BotArgs(dirs, good_data);
    for (size_t f = 0; f + 1 < c.flags.size(); f += 2) {
      auto it = std::find(args.begin(), args.end(), c.flags[f]);
      ASSERT_NE(it, args.end());
      *(it + 1) = c.flags[f + 1];
    }
    const Outcome run = RunToEnd(args, kQuickTimeout);
    EXPECT_FALSE(run.status.timed_out) << "the bot reported its error but did not exit:\n" << run;
    EXPECT_TRUE(run.status.exited && run.status.code != 0) << run;
    EXPECT_TRUE(IsOneLine(run.err)) << run;
    EXPECT_THAT(run.err, HasSubstr(c.names)) << run;
    EXPECT_THAT(run.out, Not(HasSubstr(kStartedPrefix))) << run;
    EXPECT_FALSE(std::filesystem::exists(dirs.ledger)) << "a failed start created the ledger " << dirs.ledger;
  }
}

// An operator of the Python bot: its config.yaml, migrated, starts Apollo
// (one notice-free start), and the migration never overwrites a file.
TEST(BotCli, ConfigMigrateTurnsTheSeedConfigIntoOneThatRuns) {
  TempDir tmp;
  const std::string migrated = tmp.Sub("apollo.yaml");
  const Outcome migrate =
      RunToEnd({BOT_BIN, "config", "migrate", "--in", SourcePath("tests/data/seed/config.yaml"), "--out", migrated},
               kQuickTimeout);
  ASSERT_TRUE(migrate.status.Exited(0)) << migrate;
  EXPECT_THAT(migrate.out, HasSubstr("bot: wrote " + migrated + ": 68 keys kept, 6 renamed, 30 left out"));
  const Outcome again =
      RunToEnd({BOT_BIN, "config", "migrate", "--in", SourcePath("tests/data/seed/config.yaml"), "--out", migrated},
               kQuickTimeout);
  EXPECT_TRUE(again.status.Exited(2)) << again;
  EXPECT_EQ(again.err, "bot: --out " + migrated + " exists: choose a new file\n");

  const BotDirs dirs = DirsIn(tmp, "seed");
  std::vector<std::string> args = BotArgs(dirs, WriteFirstBars(tmp.Sub("bars.csv"), 600));
  *(std::find(args.begin(), args.end(), "--config") + 1) = migrated;
  const Outcome run = RunToEnd(args);
  ASSERT_TRUE(run.status.Exited(0)) << run;
  EXPECT_THAT(run.out, HasSubstr("bars 600 "));
  EXPECT_EQ(run.err, "") << "the migrated config still needs a notice";
}

// A seed key under its old name works, and says so on every start.
TEST(BotCli, SeedKeyUnderItsOldNameStartsWithANoticeNamingTheNewOne) {
  TempDir tmp;
  std::ofstream(tmp.Sub("old.yaml")) << "monitoring:\n  api_port: 0\n  metrics_port: 0\n";
  const BotDirs dirs = DirsIn(tmp, "old");
  std::vector<std::string> args = BotArgs(dirs, WriteFirstBars(tmp.Sub("bars.csv"), 50));
  *(std::find(args.begin(), args.end(), "--config") + 1) = tmp.Sub("old.yaml");
  const Outcome run = RunToEnd(args);
  ASSERT_TRUE(run.status.Exited(0)) << run;
  EXPECT_EQ(run.err, "bot: " + tmp.Sub("old.yaml") +
                         ": monitoring.api_port is the seed's name for api.port: read as api.port (rename it; "
                         "`bot config migrate` does)\n");
  EXPECT_THAT(ReadFileText(dirs.logs + "/bot.log"), HasSubstr("\"event\":\"config_notice\""));
}

// The seed's cooldowns on recorded bars (a fast strategy that trades and
// loses often): a run stopped right after a losing close and started again
// refuses the same entries, for the same rules, as a run never stopped.
TEST(BotCli, CooldownsAfterALossHoldAcrossARestart) {
  TempDir tmp;
  std::ofstream(tmp.Sub("fast.yaml"))
      << "strategy:\n  trend_timeframe: 15m\n  entry_timeframe: 5m\n"
         "  indicators: {ema_slow: 5, ema_fast: 2, adx_period: 3, atr_period: 3}\n"
         "  entry: {breakout_lookback: 3, volume_confirmation_enabled: false}\n"
         "risk:\n  max_consecutive_losses: 1000\n";
  auto args = [&](const BotDirs& dirs, const std::string& data) {
    std::vector<std::string> a = BotArgs(dirs, data);
    *(std::find(a.begin(), a.end(), "--config") + 1) = tmp.Sub("fast.yaml");
    return a;
  };
  const std::string all = WriteFirstBars(tmp.Sub("all.csv"), 3000);
  const BotDirs ref = DirsIn(tmp, "ref");
  ASSERT_TRUE(RunToEnd(args(ref, all)).status.Exited(0));
  auto ref_events = testing::ReadEvents(ref.ledger);
  ASSERT_TRUE(ref_events.ok()) << ref_events.status();
  // The bars journaled when the loss that starts the first cooldown closed.
  size_t bars = 0, split = 0;
  std::map<std::string, int> rules;  // the decisions of a run, rule by rule
  for (const Event& e : *ref_events) {
    bars += std::holds_alternative<CandleClose>(e.body) ? 1 : 0;
    if (const auto* c = std::get_if<PositionClosed>(&e.body); c != nullptr && split == 0 && c->realized_pnl.raw() < 0) {
      split = bars;
    }
    if (const auto* r = std::get_if<RiskRejected>(&e.body)) ++rules[std::string(EnumName(r->rule))];
  }
  ASSERT_GT(rules["COOLDOWN_AFTER_LOSS"], 0) << "the recorded bars gave no cooldown to test";
  ASSERT_GT(split, 0u);

  const BotDirs split_dirs = DirsIn(tmp, "split");
  ASSERT_TRUE(RunToEnd(args(split_dirs, WriteFirstBars(tmp.Sub("first.csv"), split))).status.Exited(0));
  ASSERT_TRUE(RunToEnd(args(split_dirs, all)).status.Exited(0));
  auto split_events = testing::ReadEvents(split_dirs.ledger);
  ASSERT_TRUE(split_events.ok()) << split_events.status();
  std::map<std::string, int> split_rules;
  for (const auto& [seq, r] : testing::EventsOf<RiskRejected>(*split_events)) ++split_rules[std::string(EnumName(r.rule))];
  EXPECT_EQ(split_rules, rules);
  EXPECT_EQ(testing::EventsOf<PositionClosed>(*split_events).size(), testing::EventsOf<PositionClosed>(*ref_events).size());
}

}  // namespace
}  // namespace apollo
