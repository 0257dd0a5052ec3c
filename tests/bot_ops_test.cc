// The bot's operator subcommands: `bot backup` and `bot restore` (a
// verified checkpoint of the ledger taken under the lock or through the
// running bot, the daily/weekly retention, a restored ledger that trades
// on) and `bot health` (one line per check, exit 0/1/2, --alert).
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <thread>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "engine/domain/events.h"
#include "ledger/event_log.h"
#include "ledger/ledger.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tools/backup.h"

#if !defined(BOT_BIN) || !defined(APOLLO_SOURCE_DIR)
#error "BOT_BIN and APOLLO_SOURCE_DIR must be defined"
#endif

namespace apollo {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using testing::ExitStatus;
using testing::Process;
using testing::SpawnOptions;
using testing::TempDir;
namespace fs = std::filesystem;

constexpr char kDataFile[] = "data/market/btcusdt_perp_5m_2023-01-02_2023-02-09.csv";
constexpr char kToken[] = "backup-test-token-71c0";
constexpr auto kTimeout = 120s;

std::string SourcePath(const std::string& relative) { return absl::StrCat(APOLLO_SOURCE_DIR, "/", relative); }

absl::Time At(int y, int m, int d, int hh = 2) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, 0, 0), absl::UTCTimeZone());
}

// ---------------------------------------------------------------------------
// Names and retention (pure).

TEST(BackupNames, NameOfATimeReadsBackAndOtherNamesAreNotBackups) {
  const absl::Time t = At(2026, 12, 6, 2);
  EXPECT_EQ(tools::BackupName(t), "ledger-20261206-020000");
  ASSERT_TRUE(tools::BackupTime("ledger-20261206-020000").has_value());
  EXPECT_EQ(*tools::BackupTime("ledger-20261206-020000"), t);
  for (const char* other : {"ledger-20261306-020000", "ledger-20261206-020000.verify", "ledger-20261206-020000.partial",
                            "ledger", "notes.txt", "ledger-2026120-0200000", "ledger-20261206_020000"}) {
    EXPECT_FALSE(tools::BackupTime(other).has_value()) << other;
  }
}

TEST(BackupRetention, KeepsTheNewestOfEachOfTheLastDaysAndWeeksAndNothingElse) {
  // Two backups a day (02:00 and 14:00) from 2026-10-01 to 2026-12-06.
  std::vector<std::string> names;
  for (absl::CivilDay d(2026, 10, 1); d <= absl::CivilDay(2026, 12, 6); ++d) {
    for (int hh : {2, 14}) names.push_back(tools::BackupName(At(d.year(), d.month(), d.day(), hh)));
  }
  names.push_back("notes.txt");
  const std::vector<std::string> expired = tools::ExpiredBackups(names, /*keep_daily=*/7, /*keep_weekly=*/4);
  std::vector<std::string> kept;
  for (const std::string& n : names) {
    if (std::find(expired.begin(), expired.end(), n) == expired.end() && n != "notes.txt") kept.push_back(n);
  }
  // The last 7 days' 14:00 backups (2026-11-30 .. 12-06), and for the weeks:
  // the week of 11-30 is in already; the three before end on Sundays 11-29,
  // 11-22, 11-15 (ISO weeks start on Monday).
  EXPECT_THAT(kept, ::testing::UnorderedElementsAre(
                        "ledger-20261115-140000", "ledger-20261122-140000", "ledger-20261129-140000",
                        "ledger-20261130-140000", "ledger-20261201-140000", "ledger-20261202-140000",
                        "ledger-20261203-140000", "ledger-20261204-140000", "ledger-20261205-140000",
                        "ledger-20261206-140000"));
  EXPECT_THAT(expired, ::testing::Not(::testing::Contains("notes.txt")));
  EXPECT_TRUE(tools::ExpiredBackups(names, 0, 0).empty()) << "no retention asked, nothing removed";
  EXPECT_THAT(tools::ExpiredBackups({"ledger-20261206-020000"}, 0, 1), ::testing::IsEmpty());
}

// A testnet or live ledger restored goes back in sequence numbers: its
// next orders must not reuse client ids the venue saw after the backup.
TEST(BackupRestore, ALedgerWithAClientIdNonceGetsANewOneSoNoIdIsReused) {
  TempDir tmp;
  const std::string backup = tmp.Sub("backup"), ledger = tmp.Sub("ledger"), logs = tmp.Sub("logs");
  {
    auto writer = ledger::Ledger::OpenWriter(backup);
    ASSERT_TRUE(writer.ok()) << writer.status();
    std::vector<Event> events{Event{0, 1'000, SystemStarted{Mode::kTestnet, "v1", "k3x9q2za"}},
                              Event{0, 2'000, SystemStopped{"SIGTERM"}}};
    ASSERT_TRUE(ledger::AppendEvents(**writer, events, /*sync=*/true).ok());
  }
  fs::create_directories(logs);
  std::ofstream(fs::path(logs) / "trades.csv") << "seq,...\n";
  auto restored = tools::RestoreLedger(backup, ledger, logs, At(2026, 12, 6));
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(restored->verified.last_seq, 2u);
  ASSERT_EQ(restored->rotated_nonce.size(), 8u);
  EXPECT_NE(restored->rotated_nonce, "k3x9q2za");
  EXPECT_FALSE(fs::exists(fs::path(logs) / "trades.csv"));
  EXPECT_TRUE(fs::exists(fs::path(restored->previous_logs) / "trades.csv"));
  auto after = tools::VerifyLedgerDir(ledger);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->last_seq, 3u) << "the rotation is journaled after the backup's events";
  auto reader = ledger::Ledger::OpenReader(ledger);
  ASSERT_TRUE(reader.ok());
  std::string chunk;
  auto record = (*reader)->Get(3, &chunk);
  ASSERT_TRUE(record.ok());
  auto event = ledger::DecodeRecord(*record);
  ASSERT_TRUE(event.ok());
  const auto* rotated = std::get_if<ClientIdNonceRotated>(&event->body);
  ASSERT_NE(rotated, nullptr);
  EXPECT_EQ(rotated->old_nonce, "k3x9q2za");
  EXPECT_EQ(rotated->nonce, restored->rotated_nonce);
  EXPECT_TRUE(tools::VerifyLedgerDir(backup).ok()) << "the backup itself is untouched";
  EXPECT_EQ(tools::VerifyLedgerDir(backup)->last_seq, 2u);
}

// ---------------------------------------------------------------------------
// The commands, end to end.

std::vector<std::string> ChildEnv(const std::vector<std::string>& extra) {
  std::vector<std::string> env = testing::EnvironmentWithout([](const std::string& name) {
    return absl::StrContains(name, "__") || absl::StartsWith(name, "RUN_") || name == "CONFIG_PATH" ||
           name == "ALERT_WEBHOOKS" || name == "OPERATOR_API_TOKEN";
  });
  for (const char* e : {"API__PORT=0", "MONITORING__METRICS_PORT=0", "MONITORING__ALERTS_ENABLED=false"}) env.push_back(e);
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

struct Outcome {
  ExitStatus status;
  std::string out, err;
};
std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  return os << "[" << o.status << "]\n--- stdout ---\n" << o.out << "--- stderr ---\n" << o.err;
}

class BotBackup : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_ = tmp_.Sub("ledger");
    logs_ = tmp_.Sub("logs");
    root_ = tmp_.Sub("backups");
  }

  // Header + the first `bars` rows of the bundled data.
  std::string Bars(size_t bars) {
    const std::string path = tmp_.Sub(absl::StrCat("bars-", bars, ".csv"));
    std::ifstream in(SourcePath(kDataFile));
    std::ofstream out(path, std::ios::trunc);
    std::string row;
    for (size_t i = 0; i <= bars && std::getline(in, row); ++i) out << row << "\n";
    return path;
  }
  SpawnOptions Options(const std::vector<std::string>& extra_env = {}) const {
    SpawnOptions o;
    o.cwd = tmp_.path();
    o.inherit_env = false;
    o.env = ChildEnv(extra_env);
    return o;
  }
  std::vector<std::string> Where(const std::string& ledger) const {
    return {"--config", SourcePath("config.yaml"), "--ledger", ledger, "--logs", logs_};
  }
  Outcome Run(std::vector<std::string> argv, const std::vector<std::string>& env = {}) {
    Outcome o;
    auto p = Process::Spawn(argv, Options(env));
    if (!p.ok()) {
      ADD_FAILURE() << p.status();
      return o;
    }
    o.status = (*p)->Wait(kTimeout);
    o.out = (*p)->out();
    o.err = (*p)->err();
    return o;
  }
  // A paper run over the first `bars` bars into `ledger` (resuming it).
  Outcome Paper(const std::string& ledger, size_t bars) {
    std::vector<std::string> argv = {BOT_BIN, "--data", Bars(bars), "--speed", "max"};
    for (const std::string& a : Where(ledger)) argv.push_back(a);
    return Run(argv);
  }
  Outcome Backup(const std::vector<std::string>& extra_flags = {}, const std::vector<std::string>& env = {}) {
    std::vector<std::string> argv = {BOT_BIN, "backup", "--out", root_};
    for (const std::string& a : Where(ledger_)) argv.push_back(a);
    argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
    return Run(argv, env);
  }
  Outcome Restore(const std::string& from) {
    std::vector<std::string> argv = {BOT_BIN, "restore", "--from", from};
    for (const std::string& a : Where(ledger_)) argv.push_back(a);
    return Run(argv);
  }
  // A bot over the first `bars` bars at --speed realtime (the ledger holds
  // all but the last two: the first runs at once, the next is due in five
  // minutes, so it stays up for the test); *started gets its started line.
  std::unique_ptr<Process> StartRealtimeBot(size_t bars, const std::vector<std::string>& env,
                                            std::string* started = nullptr) {
    std::vector<std::string> argv = {BOT_BIN, "--data", Bars(bars), "--speed", "realtime"};
    for (const std::string& a : Where(ledger_)) argv.push_back(a);
    auto bot = Process::Spawn(argv, Options(env));
    if (!bot.ok()) {
      ADD_FAILURE() << bot.status();
      return nullptr;
    }
    std::optional<std::string> line = (*bot)->ReadLineStartingWith("bot: paper mode started", kTimeout);
    if (!line) {
      ADD_FAILURE() << "no started line: " << (*bot)->err();
      return nullptr;
    }
    if (started != nullptr) *started = *line;
    return *std::move(bot);
  }

  // The backup directory a `bot backup` printed.
  static std::string BackupDir(const Outcome& o) {
    static const std::regex re(R"(^backup (\S+) .*: OK events=\d+ last_seq=(\d+) head_hash=[0-9a-f]{64}\n)");
    std::smatch m;
    return std::regex_search(o.out, m, re) ? m[1].str() : "";
  }
  // "net PnL ... max drawdown ..." from a paper summary.
  static std::string PnlLine(const std::string& out) {
    for (absl::string_view line : absl::StrSplit(out, '\n')) {
      if (absl::StrContains(line, "net PnL")) return std::string(line);
    }
    return "";
  }

  TempDir tmp_;
  std::string ledger_, logs_, root_;
};

// With no bot running, the checkpoint is taken under the mode's lock and
// verified before it is reported; a restore puts it back, keeps the ledger
// it replaces, and the restored ledger trades on to the very result of a
// run that was never restored.
TEST_F(BotBackup, StoppedBotIsBackedUpVerifiedAndTheRestoredLedgerTradesOnToTheSameResult) {
  const Outcome first = Paper(ledger_, 3000);
  ASSERT_TRUE(first.status.Exited(0)) << first;
  const Outcome backup = Backup();
  ASSERT_TRUE(backup.status.Exited(0)) << backup;
  EXPECT_THAT(backup.out, HasSubstr("under the lock (no bot running)"));
  const std::string dir = BackupDir(backup);
  ASSERT_FALSE(dir.empty()) << backup;
  EXPECT_TRUE(fs::exists(fs::path(dir) / "CURRENT"));
  std::ifstream verify_file(dir + ".verify");
  std::string verify_line;
  std::getline(verify_file, verify_line);
  EXPECT_TRUE(absl::StartsWith(verify_line, "OK events=")) << verify_line;
  auto verified = tools::VerifyLedgerDir(dir);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->Line(), verify_line);

  // The ledger moves on past the backup, then is restored to it.
  const Outcome later = Paper(ledger_, 3500);
  ASSERT_TRUE(later.status.Exited(0)) << later;
  const Outcome restored = Restore(dir);
  ASSERT_TRUE(restored.status.Exited(0)) << restored;
  EXPECT_THAT(restored.out, HasSubstr(absl::StrCat("restored ", dir, " into ", ledger_, ": ", verify_line)));
  EXPECT_THAT(restored.out, HasSubstr("the ledger that was there is kept at " + ledger_ + ".before-restore-"));
  EXPECT_THAT(restored.out, HasSubstr("the next start resumes from seq " + std::to_string(verified->last_seq)));
  EXPECT_FALSE(fs::exists(fs::path(logs_) / "trades.csv")) << "the old projections moved aside";
  EXPECT_TRUE(fs::exists(fs::path(dir) / "CURRENT")) << "a restore copies: the backup stays";

  const Outcome resumed = Paper(ledger_, 3500);
  ASSERT_TRUE(resumed.status.Exited(0)) << resumed;
  EXPECT_EQ(PnlLine(resumed.out), PnlLine(later.out)) << resumed << "\n" << later;
  EXPECT_FALSE(PnlLine(resumed.out).empty()) << resumed;
  EXPECT_TRUE(fs::exists(fs::path(logs_) / "trades.csv")) << "written again from the restored ledger";
}

// While the bot runs it holds the ledger: the backup goes through its API,
// the bot trades on, and the retention removes what is out of its window.
TEST_F(BotBackup, RunningBotIsCheckpointedThroughItsApiAndTheRetentionPrunes) {
  const Outcome first = Paper(ledger_, 200);
  ASSERT_TRUE(first.status.Exited(0)) << first;
  std::unique_ptr<Process> bot = StartRealtimeBot(202, {absl::StrCat("OPERATOR_API_TOKEN=", kToken)});
  ASSERT_NE(bot, nullptr);

  // Without the token the running bot cannot be asked: one line, nothing left behind.
  const Outcome refused = Backup();
  EXPECT_TRUE(refused.status.Exited(1)) << refused;
  EXPECT_THAT(refused.err, HasSubstr("OPERATOR_API_TOKEN"));
  EXPECT_EQ(std::count(refused.err.begin(), refused.err.end(), '\n'), 1) << refused;
  size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(root_)) files += e.is_directory() ? 0 : 1;
  EXPECT_EQ(files, 0u) << "a refused backup left something";

  // Old backups (a directory with its verify line), a crashed one's
  // partial copy, and a checkpoint a crashed backup left beside the ledger.
  const fs::path paper = fs::path(root_) / "paper";
  for (const char* old : {"ledger-20200101-020000", "ledger-20200102-020000", "ledger-20200102-020000.partial"}) {
    fs::create_directories(paper / old);
  }
  std::ofstream(paper / "ledger-20200101-020000.verify") << "OK\n";
  std::ofstream(paper / "ledger-20200102-020000.verify") << "OK\n";
  fs::create_directories(ledger_ + ".checkpoint-20200103-020000");
  const Outcome backup =
      Backup({"--keep-daily", "1", "--keep-weekly", "0"}, {absl::StrCat("OPERATOR_API_TOKEN=", kToken)});
  ASSERT_TRUE(backup.status.Exited(0)) << backup;
  EXPECT_THAT(backup.out, HasSubstr("through the running bot (pid "));
  const std::string dir = BackupDir(backup);
  ASSERT_FALSE(dir.empty()) << backup;
  EXPECT_TRUE(tools::VerifyLedgerDir(dir).ok());
  EXPECT_THAT(backup.out, HasSubstr("retention (keep-daily 1, keep-weekly 0): removed 3"));
  EXPECT_THAT(backup.err, HasSubstr("removed ledger.checkpoint-20200103-020000, left by a backup that did not finish"));
  EXPECT_FALSE(fs::exists(ledger_ + ".checkpoint-20200103-020000"));
  EXPECT_EQ(fs::path(dir).parent_path(), paper) << "each mode's backups in a directory of its own";
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(paper)) left.push_back(e.path().filename().string());
  EXPECT_THAT(left, ::testing::UnorderedElementsAre(fs::path(dir).filename().string(),
                                                     fs::path(dir).filename().string() + ".verify"));

  // The bot traded on: it still answers a SIGTERM with a clean stop.
  bot->Signal(SIGTERM);
  const ExitStatus st = bot->Wait(kTimeout);
  EXPECT_TRUE(st.Exited(0)) << st << bot->err();
}

// A restore never runs under a bot, and never replaces a ledger with a
// backup that does not verify.
TEST_F(BotBackup, RestoreIsRefusedWhileABotRunsAndForABackupThatDoesNotVerify) {
  const Outcome first = Paper(ledger_, 300);
  ASSERT_TRUE(first.status.Exited(0)) << first;
  const Outcome backup = Backup();
  ASSERT_TRUE(backup.status.Exited(0)) << backup;
  const std::string dir = BackupDir(backup);
  ASSERT_FALSE(dir.empty()) << backup;
  auto before = tools::VerifyLedgerDir(ledger_);
  ASSERT_TRUE(before.ok()) << before.status();

  std::unique_ptr<Process> bot = StartRealtimeBot(302, {});
  ASSERT_NE(bot, nullptr);
  const Outcome under_bot = Restore(dir);
  EXPECT_TRUE(under_bot.status.Exited(1)) << under_bot;
  EXPECT_THAT(under_bot.err, HasSubstr("stop it first"));
  bot->Signal(SIGTERM);
  ASSERT_TRUE(bot->Wait(kTimeout).Exited(0));

  // A damaged copy of the backup: one record's byte flipped.
  const std::string damaged = tmp_.Sub("damaged");
  fs::copy(dir, damaged, fs::copy_options::recursive);
  {
    auto writer = ledger::Ledger::OpenWriter(damaged);
    ASSERT_TRUE(writer.ok()) << writer.status();
    ASSERT_TRUE((*writer)->CorruptRecordForTesting(10, 20).ok());
  }
  const Outcome bad = Restore(damaged);
  EXPECT_TRUE(bad.status.Exited(1)) << bad;
  EXPECT_THAT(bad.err, HasSubstr("does not verify, nothing was changed"));
  EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << bad;
  auto after = tools::VerifyLedgerDir(ledger_);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_GT(after->last_seq, before->last_seq) << "the bot's own run is still there: nothing was replaced";
  EXPECT_FALSE(fs::exists(ledger_ + ".restoring"));

  const Outcome itself = Restore(ledger_);
  EXPECT_TRUE(itself.status.Exited(1)) << itself;
  EXPECT_THAT(itself.err, HasSubstr("restore from a backup, not from the ledger"));

  const Outcome missing = Restore(tmp_.Sub("no-such-backup"));
  EXPECT_TRUE(missing.status.Exited(1)) << missing;
  EXPECT_THAT(missing.err, HasSubstr("no backup at"));
}

// ---------------------------------------------------------------------------
// bot health.

// Every line is "ok|warn|critical CHECK: detail"; the checks named, in order.
std::vector<std::string> HealthChecks(const std::string& out) {
  static const std::regex re(R"(^(ok|warn|critical) ([a-z]+): .+$)");
  std::vector<std::string> checks;
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
    std::smatch m;
    const std::string l(line);
    if (!std::regex_match(l, m, re)) {
      ADD_FAILURE() << "not a health line: " << l;
      continue;
    }
    checks.push_back(m[1].str() + " " + m[2].str());
  }
  return checks;
}

class BotHealth : public BotBackup {
 protected:
  Outcome Health(const std::vector<std::string>& extra = {}, const std::vector<std::string>& env = {}) {
    // The disk and memory thresholds out of reach: the test machine's free
    // space and a sanitizer build's RSS are not the test's.
    std::vector<std::string> argv = {BOT_BIN,           "health", "--disk-warn-pct",   "0",     "--disk-critical-pct",
                                     "0",               "--rss-warn-mb", "1000000", "--rss-critical-mb", "1000000"};
    for (const std::string& a : Where(ledger_)) argv.push_back(a);
    argv.insert(argv.end(), extra.begin(), extra.end());
    return Run(argv, env);
  }
};

TEST_F(BotHealth, NoBotRunningIsCriticalAndTheLedgerAndDiskAreStillChecked) {
  const Outcome first = Paper(ledger_, 100);
  ASSERT_TRUE(first.status.Exited(0)) << first;
  const Outcome h = Health();
  EXPECT_TRUE(h.status.Exited(2)) << h;
  EXPECT_THAT(HealthChecks(h.out), ::testing::ElementsAre("critical bot", "ok ledger", "ok disk")) << h;
  EXPECT_THAT(h.out, HasSubstr("no paper bot holds"));
}

TEST_F(BotHealth, RunningBotIsOkAndAPausedOneWarns) {
  const Outcome first = Paper(ledger_, 100);
  ASSERT_TRUE(first.status.Exited(0)) << first;
  std::string started;
  std::unique_ptr<Process> bot = StartRealtimeBot(102, {absl::StrCat("OPERATOR_API_TOKEN=", kToken)}, &started);
  ASSERT_NE(bot, nullptr);
  std::smatch m;
  static const std::regex api(R"(api=127\.0\.0\.1:(\d+))");
  ASSERT_TRUE(std::regex_search(started, m, api)) << started;

  const Outcome ok = Health();
  EXPECT_TRUE(ok.status.Exited(0)) << ok;
  EXPECT_THAT(HealthChecks(ok.out), ::testing::ElementsAre("ok bot", "ok api", "ok loop", "ok stream", "ok trading",
                                                           "ok rss", "ok ledger", "ok disk"))
      << ok;

  httplib::Client client("127.0.0.1", std::stoi(m[1].str()));
  auto paused = client.Post("/pause", {{"X-OPS-TOKEN", kToken}}, R"({"reason":"health drill"})", "application/json");
  ASSERT_TRUE(paused && paused->status == 200);
  const Outcome warn = Health();
  EXPECT_TRUE(warn.status.Exited(1)) << warn;
  EXPECT_THAT(warn.out, HasSubstr("warn trading: held: paused"));
  bot->Signal(SIGTERM);
  EXPECT_TRUE(bot->Wait(kTimeout).Exited(0));
}

// A loopback webhook that keeps what it is sent.
class Webhook {
 public:
  Webhook() {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> l(mu_);
      bodies_.push_back(req.body);
      res.set_content("ok", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // This httplib has no wait_until_ready: poll its flag, bounded.
    for (int i = 0; i < 5000 && !server_.is_running(); ++i) std::this_thread::sleep_for(1ms);
  }
  ~Webhook() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return absl::StrCat("http://127.0.0.1:", port_, "/hook"); }
  std::vector<std::string> bodies() {
    std::lock_guard<std::mutex> l(mu_);
    return bodies_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> bodies_;
};

TEST_F(BotHealth, AlertSendsEachFailingCheckToTheWebhooks) {
  const Outcome first = Paper(ledger_, 100);
  ASSERT_TRUE(first.status.Exited(0)) << first;
  Webhook hook;
  const Outcome h = Health({"--alert"}, {"ALERT_WEBHOOKS=" + hook.url()});
  EXPECT_TRUE(h.status.Exited(2)) << h;
  // Health waits for the delivery before it exits.
  const std::vector<std::string> bodies = hook.bodies();
  ASSERT_EQ(bodies.size(), 1u) << h;
  EXPECT_THAT(bodies[0], HasSubstr("[apollo paper] health critical bot: no paper bot holds"));
  // Five minutes later the same failure is not alerted again (each hour it lasts, it is).
  const Outcome again = Health({"--alert"}, {"ALERT_WEBHOOKS=" + hook.url()});
  EXPECT_TRUE(again.status.Exited(2)) << again;
  EXPECT_EQ(hook.bodies().size(), 1u) << "the timer's next run alerted the same failure again";

  const Outcome without = Health({"--alert"});
  EXPECT_TRUE(without.status.Exited(2)) << without;
  EXPECT_THAT(without.err, HasSubstr("ALERT_WEBHOOKS is not set, nothing was sent"));
}

}  // namespace
}  // namespace apollo
