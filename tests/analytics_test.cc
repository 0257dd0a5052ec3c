// The analytics projection (engine/analytics): the runbook's SQL
// (runbooks/sql/*.sql, run with the sqlite3 shell as an operator does) over
// what a paper run wrote says what its CSV projections say; a catch-up run
// twice writes each row once; a database of another ledger is written again.
#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>
#include <unistd.h>
#include <fstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "engine/analytics/analytics.h"
#include "ledger/event_log.h"
#include "ledger/ledger.h"
#include "tests/support/process.h"
#include "tests/support/random_events.h"
#include "tests/support/temp_dir.h"

#if !defined(BOT_BIN) || !defined(APOLLO_SOURCE_DIR)
#error "BOT_BIN and APOLLO_SOURCE_DIR must be defined"
#endif

namespace apollo {
namespace {

using namespace std::chrono_literals;
using testing::Process;
using testing::SpawnOptions;
using testing::TempDir;
namespace fs = std::filesystem;

constexpr char kDataFile[] = "data/market/btcusdt_perp_5m_2023-01-02_2023-02-09.csv";
constexpr char kSqlite[] = "/usr/bin/sqlite3";

std::string SourcePath(const std::string& relative) { return absl::StrCat(APOLLO_SOURCE_DIR, "/", relative); }

// The rows `sqlite3 -separator | DB '.read runbooks/sql/NAME'` prints.
std::vector<std::vector<std::string>> RunbookQuery(const std::string& db, const std::string& name) {
  SpawnOptions o;
  o.cwd = APOLLO_SOURCE_DIR;
  auto p = Process::Spawn({kSqlite, "-batch", "-bail", "-separator", "|", db, absl::StrCat(".read runbooks/sql/", name)}, o);
  EXPECT_TRUE(p.ok()) << p.status();
  if (!p.ok()) return {};
  const testing::ExitStatus st = (*p)->Wait(60s);
  EXPECT_TRUE(st.Exited(0)) << name << ": " << st << "\n" << (*p)->err();
  std::vector<std::vector<std::string>> rows;
  for (absl::string_view line : absl::StrSplit((*p)->out(), '\n', absl::SkipEmpty())) {
    rows.push_back(absl::StrSplit(line, '|'));
  }
  return rows;
}

std::vector<std::vector<std::string>> CsvRows(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) rows.push_back(absl::StrSplit(line, ','));
  return rows;
}

double Number(const std::string& text) {
  double v = 0;
  EXPECT_TRUE(absl::SimpleAtod(text, &v)) << "'" << text << "'";
  return v;
}

// A paper run over the first `bars` bundled bars into `ledger` / `logs`.
void PaperRun(const TempDir& tmp, const std::string& ledger, const std::string& logs, size_t bars,
              const std::vector<std::string>& env = {}) {
  const std::string data = tmp.Sub(absl::StrCat("bars-", bars, ".csv"));
  {
    std::ifstream in(SourcePath(kDataFile));
    std::ofstream out(data);
    std::string row;
    for (size_t i = 0; i <= bars && std::getline(in, row); ++i) out << row << "\n";
  }
  SpawnOptions o;
  o.cwd = tmp.path();
  o.inherit_env = false;
  o.env = testing::EnvironmentWithout([](const std::string& name) {
    return absl::StrContains(name, "__") || absl::StartsWith(name, "RUN_") || name == "CONFIG_PATH";
  });
  for (const char* e : {"API__PORT=0", "MONITORING__METRICS_PORT=0", "MONITORING__ALERTS_ENABLED=false"}) o.env.push_back(e);
  o.env.insert(o.env.end(), env.begin(), env.end());
  auto p = Process::Spawn({BOT_BIN, "--config", SourcePath("config.yaml"), "--ledger", ledger, "--logs", logs, "--data",
                           data, "--speed", "max"},
                          o);
  ASSERT_TRUE(p.ok()) << p.status();
  const testing::ExitStatus st = (*p)->Wait(120s);
  ASSERT_TRUE(st.Exited(0)) << st << "\n" << (*p)->out() << (*p)->err();
}

TEST(Analytics, APaperRunsTablesAnswerTheRunbooksQueriesAsItsCsvsSay) {
  if (::access(kSqlite, X_OK) != 0) GTEST_SKIP() << kSqlite << " is not installed (make test installs it)";
  TempDir tmp;
  const std::string ledger = tmp.Sub("ledger"), logs = tmp.Sub("logs");
  ASSERT_NO_FATAL_FAILURE(PaperRun(tmp, ledger, logs, 6000));
  const std::string db = (fs::path(logs) / "apollo.sqlite").string();
  ASSERT_TRUE(fs::exists(db)) << "the bot writes logs/apollo.sqlite by default";

  // Recent trades: the CSV's closes, newest first, the same net results.
  const auto csv_trades = CsvRows((fs::path(logs) / "trades.csv").string());
  ASSERT_GE(csv_trades.size(), 2u);
  const auto trades = RunbookQuery(db, "recent_trades.sql");
  ASSERT_EQ(trades.size(), std::min<size_t>(csv_trades.size(), 20));
  for (size_t i = 0; i < trades.size(); ++i) {
    const auto& csv = csv_trades[csv_trades.size() - 1 - i];
    EXPECT_EQ(trades[i][1], csv[2]) << "symbol of close " << i;
    EXPECT_NEAR(Number(trades[i][8]), Number(csv[9]), 1e-6) << "net_pnl of close " << i;
    EXPECT_EQ(trades[i][9], csv[10]) << "reason of close " << i;
  }

  // The last 10 orders: the newest OrderPlaced first, each with a status.
  std::vector<std::string> placed;
  for (const auto& row : CsvRows((fs::path(logs) / "orders.csv").string())) {
    if (row.size() > 3 && row[2] == "OrderPlaced") placed.push_back(row[3]);
  }
  const auto orders = RunbookQuery(db, "last_10_orders.sql");
  ASSERT_EQ(orders.size(), std::min<size_t>(placed.size(), 10));
  EXPECT_EQ(orders[0][1], placed.back());
  for (const auto& o : orders) EXPECT_THAT(o[9], ::testing::AnyOf("FILLED", "CANCELLED", "ACCEPTED", "REJECTED", "EXPIRED"));

  // The days add up to the run's net result (closes net of fees, funding).
  double net = 0;
  for (const auto& row : csv_trades) net += Number(row[9]);
  double days = 0;
  for (const auto& d : RunbookQuery(db, "daily_pnl.sql")) days += Number(d[1]);
  EXPECT_NEAR(days, net, 1e-6);
  // The paper run's days are 2023's: nothing closed today.
  EXPECT_TRUE(RunbookQuery(db, "todays_pnl.sql").empty());
}

TEST(Analytics, CatchingUpInStepsWritesEachRowOnceAndAnotherLedgersDatabaseIsWrittenAgain) {
  TempDir tmp;
  const std::string ledger = tmp.Sub("ledger"), other = tmp.Sub("other"), logs = tmp.Sub("logs");
  auto db = analytics::OpenSqlite(tmp.Sub("copy.sqlite"));
  ASSERT_TRUE(db.ok()) << db.status();
  auto count = [&](const char* table) {
    auto n = (*db)->QueryOne({absl::StrCat("SELECT COUNT(*) FROM ", table), {}});
    EXPECT_TRUE(n.ok()) << n.status();
    return n.ok() && *n ? **n : std::string("?");
  };
  // The ledger grows between catch-ups, as under a running bot.
  ASSERT_NO_FATAL_FAILURE(PaperRun(tmp, ledger, logs, 3000));
  ASSERT_TRUE(analytics::Projector::CatchUpOnce(**db, ledger).ok());
  ASSERT_NO_FATAL_FAILURE(PaperRun(tmp, ledger, logs, 6000));
  ASSERT_TRUE(analytics::Projector::CatchUpOnce(**db, ledger).ok());
  ASSERT_TRUE(analytics::Projector::CatchUpOnce(**db, ledger).ok());
  const auto csv_trades = CsvRows((fs::path(logs) / "trades.csv").string());
  ASSERT_GE(csv_trades.size(), 2u);
  EXPECT_EQ(count("trades"), absl::StrCat(csv_trades.size()));
  size_t fills = 0;
  for (const auto& row : CsvRows((fs::path(logs) / "orders.csv").string())) {
    fills += row.size() > 2 && (row[2] == "OrderFilled" || row[2] == "OrderPartialFill") ? 1 : 0;
  }
  EXPECT_EQ(count("fills"), absl::StrCat(fills));
  auto head = ledger::Ledger::OpenReader(ledger);
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(**(*db)->QueryOne({"SELECT value FROM analytics_meta WHERE key = 'last_seq'", {}}),
            absl::StrCat((*head)->head().last_seq));

  // The same database against another ledger (a restore, a new ledger):
  // the record at its cursor has another hash there (another initial
  // equity), so it is emptied and written again.
  const std::string other_logs = tmp.Sub("other-logs");
  ASSERT_NO_FATAL_FAILURE(PaperRun(tmp, other, other_logs, 6000, {"RUN__INITIAL_EQUITY=5000"}));
  ASSERT_TRUE(analytics::Projector::CatchUpOnce(**db, other).ok());
  EXPECT_EQ(count("trades"), absl::StrCat(CsvRows((fs::path(other_logs) / "trades.csv").string()).size()));
  auto first_equity = (*db)->QueryOne({"SELECT equity FROM equity ORDER BY seq LIMIT 1", {}});
  ASSERT_TRUE(first_equity.ok() && *first_equity);
  EXPECT_LT(Number(**first_equity), 6000) << "the other ledger's equity, not the first one's";
}

TEST(Analytics, TodaysPnlIsTheUtcDaysClosesNetOfFeesWithItsFunding) {
  if (::access(kSqlite, X_OK) != 0) GTEST_SKIP() << kSqlite << " is not installed (make test installs it)";
  TempDir tmp;
  const std::string ledger = tmp.Sub("ledger");
  // Every kind of event once, stamped now: one close, one funding payment.
  std::vector<Event> events = testing::OneOfEach();
  double expected = 0;
  const int64_t now = absl::GetCurrentTimeNanos();
  for (Event& e : events) {
    e.ts_ns = now;
    if (auto* c = std::get_if<PositionClosed>(&e.body)) expected += (c->realized_pnl - c->fees).ToDouble();
    if (auto* f = std::get_if<FundingPaid>(&e.body)) expected += f->amount.ToDouble();
  }
  {
    auto writer = ledger::Ledger::OpenWriter(ledger);
    ASSERT_TRUE(writer.ok()) << writer.status();
    for (Event& e : events) e.seq = 0;
    ASSERT_TRUE(ledger::AppendEvents(**writer, events, /*sync=*/true).ok());
  }
  const std::string path = tmp.Sub("apollo.sqlite");
  {
    auto db = analytics::OpenSqlite(path);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE(analytics::Projector::CatchUpOnce(**db, ledger).ok());
  }
  const auto today = RunbookQuery(path, "todays_pnl.sql");
  const std::string day = absl::FormatTime("%Y-%m-%d", absl::FromUnixNanos(now), absl::UTCTimeZone());
  if (day != absl::FormatTime("%Y-%m-%d", absl::Now(), absl::UTCTimeZone())) GTEST_SKIP() << "ran across UTC midnight";
  ASSERT_EQ(today.size(), 1u);
  EXPECT_EQ(today[0][0], day);
  EXPECT_NEAR(Number(today[0][1]), expected, 1e-6);
  EXPECT_EQ(today[0][2], "1") << "one close";
}

// The bot's projector follows a ledger being written and reports a database
// it cannot write, once, then catches up when it can.
TEST(Analytics, TheProjectorReportsAnUnwritableDatabaseOnceAndCatchesUpWhenItHeals) {
  TempDir tmp;
  const std::string ledger = tmp.Sub("ledger"), logs = tmp.Sub("logs");
  ASSERT_NO_FATAL_FAILURE(PaperRun(tmp, ledger, logs, 300));
  const std::string dir = tmp.Sub("db-dir");
  fs::remove_all(dir);  // absent: the database cannot be opened
  std::mutex mu;
  std::vector<std::pair<bool, std::string>> faults;
  analytics::Projector::Options o;
  o.ledger_dir = ledger;
  o.poll = absl::Milliseconds(10);
  o.retry = absl::Milliseconds(10);
  o.on_fault = [&](bool ok, const std::string& what) {
    std::lock_guard<std::mutex> l(mu);
    faults.emplace_back(ok, what);
  };
  const std::string path = (fs::path(dir) / "apollo.sqlite").string();
  auto projector = analytics::Projector::Start([path] { return analytics::OpenSqlite(path); }, o);
  auto wait = [&](size_t n) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      {
        std::lock_guard<std::mutex> l(mu);
        if (faults.size() >= n) return true;
      }
      std::this_thread::sleep_for(5ms);
    }
    return false;
  };
  ASSERT_TRUE(wait(1));
  fs::create_directories(dir);  // it heals
  ASSERT_TRUE(wait(2));
  projector.reset();
  std::lock_guard<std::mutex> l(mu);
  ASSERT_EQ(faults.size(), 2u) << "reported once, not at every retry";
  EXPECT_FALSE(faults[0].first);
  EXPECT_THAT(faults[0].second, ::testing::HasSubstr("cannot open"));
  EXPECT_TRUE(faults[1].first);
  auto db = analytics::OpenSqlite(path);
  ASSERT_TRUE(db.ok());
  auto last = (*db)->QueryOne({"SELECT value FROM analytics_meta WHERE key = 'last_seq'", {}});
  ASSERT_TRUE(last.ok() && *last);
  auto reader = ledger::Ledger::OpenReader(ledger);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(**last, absl::StrCat((*reader)->head().last_seq)) << "caught up to the head";
}

}  // namespace
}  // namespace apollo
