// The analytics projection (engine/analytics), in SQLite and in PostgreSQL
// (a throwaway server of the test's own): the runbook's SQL
// (runbooks/sql/*.sql, run with the sqlite3 shell or psql as an operator
// does) over what a paper run wrote says what its CSV projections say; a
// catch-up run twice writes each row once; a database of another ledger is
// written again; an outage is reported once and caught up.
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
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
#include "tests/support/cli.h"
#include "tests/support/paper_bot.h"
#include "tests/support/postgres.h"
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

constexpr char kSqlite[] = "/usr/bin/sqlite3";

std::vector<std::vector<std::string>> Rows(const std::string& out) {
  std::vector<std::vector<std::string>> rows;
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) rows.push_back(absl::StrSplit(line, '|'));
  return rows;
}

// A database the projection writes to, and the operator's shell on it.
class Database {
 public:
  virtual ~Database() = default;
  // What the bot is given: ANALYTICS_URL=... ({} = the default file).
  virtual std::vector<std::string> BotEnv() const = 0;
  virtual absl::StatusOr<std::unique_ptr<analytics::SqlBackend>> Open() const = 0;
  // The rows runbooks/sql/NAME prints, '|'-separated, as an operator runs it.
  virtual std::vector<std::vector<std::string>> RunbookQuery(const std::string& name) const = 0;
};

// SQLite at <logs>/apollo.sqlite, queried with `sqlite3 -separator '|' DB '.read FILE'`.
class SqliteDatabase final : public Database {
 public:
  explicit SqliteDatabase(std::string path) : path_(std::move(path)) {}
  std::vector<std::string> BotEnv() const override { return {}; }
  absl::StatusOr<std::unique_ptr<analytics::SqlBackend>> Open() const override { return analytics::OpenSqlite(path_); }
  std::vector<std::vector<std::string>> RunbookQuery(const std::string& name) const override {
    SpawnOptions o;
    o.cwd = APOLLO_SOURCE_DIR;
    auto p = Process::Spawn({kSqlite, "-batch", "-bail", "-separator", "|", path_, absl::StrCat(".read runbooks/sql/", name)}, o);
    EXPECT_TRUE(p.ok()) << p.status();
    if (!p.ok()) return {};
    const testing::ExitStatus st = (*p)->Wait(60s);
    EXPECT_TRUE(st.Exited(0)) << name << ": " << st << "\n" << (*p)->err();
    return Rows((*p)->out());
  }

 private:
  std::string path_;
};

// A database of its own on the suite's throwaway server, queried with
// `psql -A -t -F '|' -f FILE`; the bot gets its URL, password included,
// through ANALYTICS_URL.
class PostgresDatabase final : public Database {
 public:
  PostgresDatabase(const testing::ThrowawayPostgres& server, std::string name) : server_(server), name_(std::move(name)) {}
  std::vector<std::string> BotEnv() const override { return {absl::StrCat("ANALYTICS_URL=", server_.Url(name_))}; }
  absl::StatusOr<std::unique_ptr<analytics::SqlBackend>> Open() const override {
    return analytics::OpenPostgres(server_.Url(name_));
  }
  std::vector<std::vector<std::string>> RunbookQuery(const std::string& name) const override {
    auto p = server_.Psql(name_, {"-f", absl::StrCat("runbooks/sql/", name)}, APOLLO_SOURCE_DIR);
    EXPECT_TRUE(p.ok()) << name << ": " << p.status();
    return p.ok() ? Rows((*p)->out()) : std::vector<std::vector<std::string>>{};
  }

 private:
  const testing::ThrowawayPostgres& server_;
  std::string name_;
};

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
// Its stdout and stderr are appended to `output`.
void PaperRun(const TempDir& tmp, const std::string& ledger, const std::string& logs, size_t bars,
              const std::vector<std::string>& env = {}, std::string* output = nullptr) {
  const testing::PaperBot bot(BOT_BIN, tmp);
  std::string out;
  const testing::ExitStatus st = bot.RunToEnd(bot.Args(ledger, bars, "max", logs), &out, env);
  ASSERT_TRUE(st.Exited(0)) << st << "\n" << out;
  if (output != nullptr) absl::StrAppend(output, out);
}

// What a projector reported through on_fault, waited on without sleeping.
struct Faults {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<bool, std::string>> seen;
  void Add(bool ok, const std::string& what) {
    std::lock_guard<std::mutex> l(mu);
    seen.emplace_back(ok, what);
    cv.notify_all();
  }
  bool WaitFor(size_t n) {
    std::unique_lock<std::mutex> l(mu);
    return cv.wait_for(l, 60s, [&] { return seen.size() >= n; });
  }
};

// Every test runs on SQLite and on PostgreSQL.
class AnalyticsOn : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sqlite") {
      if (::access(kSqlite, X_OK) != 0) {
        GTEST_SKIP() << kSqlite << " is not installed (make test installs it)";
      }
      db_ = std::make_unique<SqliteDatabase>((fs::path(logs_) / "apollo.sqlite").string());
      return;
    }
    if (auto why = testing::ThrowawayPostgres::Unavailable()) {
      GTEST_SKIP() << *why;
    }
    auto server = testing::ThrowawayPostgres::Create();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_TRUE(server_->CreateDatabase("apollo").ok());
    db_ = std::make_unique<PostgresDatabase>(*server_, "apollo");
  }

  std::string Count(analytics::SqlBackend& db, const char* table) {
    auto n = db.QueryOne({absl::StrCat("SELECT COUNT(*) FROM ", table), {}});
    EXPECT_TRUE(n.ok()) << n.status();
    return n.ok() && *n ? **n : std::string("?");
  }
  uint64_t Cursor(analytics::SqlBackend& db) {
    auto last = db.QueryOne({"SELECT value FROM analytics_meta WHERE key = 'last_seq'", {}});
    uint64_t seq = 0;
    EXPECT_TRUE(last.ok() && *last && absl::SimpleAtoi(**last, &seq)) << last.status();
    return seq;
  }
  uint64_t Head(const std::string& ledger) {
    auto reader = ledger::Ledger::OpenReader(ledger);
    EXPECT_TRUE(reader.ok()) << reader.status();
    return reader.ok() ? (*reader)->head().last_seq : 0;
  }

  TempDir tmp_;
  const std::string ledger_ = tmp_.Sub("ledger"), logs_ = tmp_.Sub("logs");
  std::unique_ptr<testing::ThrowawayPostgres> server_;
  std::unique_ptr<Database> db_;
};

INSTANTIATE_TEST_SUITE_P(Databases, AnalyticsOn, ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

TEST_P(AnalyticsOn, APaperRunsTablesAnswerTheRunbooksQueriesAsItsCsvsSay) {
  std::string output;
  ASSERT_NO_FATAL_FAILURE(PaperRun(tmp_, ledger_, logs_, 6000, db_->BotEnv(), &output));
  if (GetParam() == "sqlite") {
    ASSERT_TRUE(fs::exists(fs::path(logs_) / "apollo.sqlite")) << "the bot writes logs/apollo.sqlite by default";
  }
  {
    auto db = db_->Open();
    ASSERT_TRUE(db.ok()) << db.status();
    EXPECT_GT(Cursor(**db), 0u) << "the bot wrote the tables while it ran";
    // What the exit's bounded last pass left is written at the next start.
    ASSERT_TRUE(analytics::Projector::CatchUpOnce(**db, ledger_).ok());
  }
  if (server_) {
    // ANALYTICS_URL's password is in no log line, output or ledger record.
    const std::string& password = server_->password();
    EXPECT_THAT(output, ::testing::Not(::testing::HasSubstr(password)));
    std::string logged;
    for (const auto& f : fs::recursive_directory_iterator(logs_)) {
      if (f.is_regular_file()) logged += testing::ReadFile(f.path());
    }
    EXPECT_THAT(logged, ::testing::HasSubstr("\"analytics_started\""));
    EXPECT_THAT(logged, ::testing::HasSubstr("postgresql://postgres@"));
    EXPECT_THAT(logged, ::testing::Not(::testing::HasSubstr(password)));
    auto reader = ledger::Ledger::OpenReader(ledger_);
    ASSERT_TRUE(reader.ok());
    ASSERT_TRUE((*reader)
                    ->Scan(1, (*reader)->head().last_seq,
                           [&](const ledger::RecordView& r) {
                             EXPECT_FALSE(absl::StrContains(r.payload, password)) << "seq " << r.seq;
                             return absl::OkStatus();
                           })
                    .ok());
  }

  // Recent trades: the CSV's closes, newest first, the same net results.
  const auto csv_trades = CsvRows((fs::path(logs_) / "trades.csv").string());
  ASSERT_GE(csv_trades.size(), 2u);
  const auto trades = db_->RunbookQuery("recent_trades.sql");
  ASSERT_EQ(trades.size(), std::min<size_t>(csv_trades.size(), 20));
  for (size_t i = 0; i < trades.size(); ++i) {
    const auto& csv = csv_trades[csv_trades.size() - 1 - i];
    EXPECT_EQ(trades[i][1], csv[2]) << "symbol of close " << i;
    EXPECT_NEAR(Number(trades[i][8]), Number(csv[9]), 1e-6) << "net_pnl of close " << i;
    EXPECT_EQ(trades[i][9], csv[10]) << "reason of close " << i;
  }

  // The last 10 orders: the newest OrderPlaced first, each with a status.
  std::vector<std::string> placed;
  for (const auto& row : CsvRows((fs::path(logs_) / "orders.csv").string())) {
    if (row.size() > 3 && row[2] == "OrderPlaced") placed.push_back(row[3]);
  }
  const auto orders = db_->RunbookQuery("last_10_orders.sql");
  ASSERT_EQ(orders.size(), std::min<size_t>(placed.size(), 10));
  EXPECT_EQ(orders[0][1], placed.back());
  for (const auto& o : orders) EXPECT_THAT(o[9], ::testing::AnyOf("FILLED", "CANCELLED", "ACCEPTED", "REJECTED", "EXPIRED"));

  // The days add up to the run's net result (closes net of fees, funding).
  double net = 0;
  for (const auto& row : csv_trades) net += Number(row[9]);
  double days = 0;
  for (const auto& d : db_->RunbookQuery("daily_pnl.sql")) days += Number(d[1]);
  EXPECT_NEAR(days, net, 1e-6);
  // The paper run's days are 2023's: nothing closed today.
  EXPECT_TRUE(db_->RunbookQuery("todays_pnl.sql").empty());
}

TEST_P(AnalyticsOn, CatchingUpInStepsWritesEachRowOnceAndAnotherLedgersDatabaseIsWrittenAgain) {
  fs::create_directories(logs_);
  auto db = db_->Open();
  ASSERT_TRUE(db.ok()) << db.status();
  // The ledger grows between catch-ups, as under a running bot (whose own
  // projection goes to a file of its logs here).
  const std::vector<std::string> own_file = {"ANALYTICS__URL=sqlite:own.sqlite"};
  ASSERT_NO_FATAL_FAILURE(PaperRun(tmp_, ledger_, logs_, 3000, own_file));
  ASSERT_TRUE(analytics::Projector::CatchUpOnce(**db, ledger_).ok());
  ASSERT_NO_FATAL_FAILURE(PaperRun(tmp_, ledger_, logs_, 6000, own_file));
  ASSERT_TRUE(analytics::Projector::CatchUpOnce(**db, ledger_).ok());
  ASSERT_TRUE(analytics::Projector::CatchUpOnce(**db, ledger_).ok());
  const auto csv_trades = CsvRows((fs::path(logs_) / "trades.csv").string());
  ASSERT_GE(csv_trades.size(), 2u);
  EXPECT_EQ(Count(**db, "trades"), absl::StrCat(csv_trades.size()));
  size_t fills = 0;
  for (const auto& row : CsvRows((fs::path(logs_) / "orders.csv").string())) {
    fills += row.size() > 2 && (row[2] == "OrderFilled" || row[2] == "OrderPartialFill") ? 1 : 0;
  }
  EXPECT_EQ(Count(**db, "fills"), absl::StrCat(fills));
  EXPECT_EQ(Cursor(**db), Head(ledger_));

  // The same database against another ledger (a restore, a new ledger):
  // the record at its cursor has another hash there (another initial
  // equity), so it is emptied and written again.
  const std::string other = tmp_.Sub("other"), other_logs = tmp_.Sub("other-logs");
  ASSERT_NO_FATAL_FAILURE(
      PaperRun(tmp_, other, other_logs, 6000, {"RUN__INITIAL_EQUITY=5000", "ANALYTICS__URL=sqlite:other.sqlite"}));
  ASSERT_TRUE(analytics::Projector::CatchUpOnce(**db, other).ok());
  EXPECT_EQ(Count(**db, "trades"), absl::StrCat(CsvRows((fs::path(other_logs) / "trades.csv").string()).size()));
  auto first_equity = (*db)->QueryOne({"SELECT equity FROM equity ORDER BY seq LIMIT 1", {}});
  ASSERT_TRUE(first_equity.ok() && *first_equity);
  EXPECT_LT(Number(**first_equity), 6000) << "the other ledger's equity, not the first one's";
}

// PostgreSQL's server here runs in a zone whose date is not UTC's (see
// tests/support/postgres.h): the day is still the UTC one.
TEST_P(AnalyticsOn, TodaysPnlIsTheUtcDaysClosesNetOfFeesWithItsFunding) {
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
    auto writer = ledger::Ledger::OpenWriter(ledger_);
    ASSERT_TRUE(writer.ok()) << writer.status();
    for (Event& e : events) e.seq = 0;
    ASSERT_TRUE(ledger::AppendEvents(**writer, events, /*sync=*/true).ok());
  }
  fs::create_directories(logs_);
  {
    auto db = db_->Open();
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE(analytics::Projector::CatchUpOnce(**db, ledger_).ok());
  }
  const auto today = db_->RunbookQuery("todays_pnl.sql");
  const std::string day = absl::FormatTime("%Y-%m-%d", absl::FromUnixNanos(now), absl::UTCTimeZone());
  if (day != absl::FormatTime("%Y-%m-%d", absl::Now(), absl::UTCTimeZone())) GTEST_SKIP() << "ran across UTC midnight";
  ASSERT_EQ(today.size(), 1u);
  EXPECT_EQ(today[0][0], day);
  EXPECT_NEAR(Number(today[0][1]), expected, 1e-6);
  EXPECT_EQ(today[0][2], "1") << "one close";
}

// The bot's projector follows a ledger being written and reports a database
// it cannot write (SQLite: its directory is missing; PostgreSQL: the server
// is down), once, then catches up when it can.
TEST_P(AnalyticsOn, TheProjectorReportsAnUnwritableDatabaseOnceAndCatchesUpWhenItHeals) {
  ASSERT_NO_FATAL_FAILURE(PaperRun(tmp_, ledger_, logs_, 300, {"ANALYTICS__ENABLED=false"}));
  const std::string dir = tmp_.Sub("db-dir"), path = (fs::path(dir) / "apollo.sqlite").string();
  std::function<absl::StatusOr<std::unique_ptr<analytics::SqlBackend>>()> open = [path] {
    return analytics::OpenSqlite(path);
  };
  if (server_) {
    server_->Stop();
    open = [this] { return db_->Open(); };
  }
  Faults faults;
  analytics::Projector::Options o;
  o.ledger_dir = ledger_;
  o.poll = absl::Milliseconds(10);
  o.retry = absl::Milliseconds(10);
  o.on_fault = [&faults](bool ok, const std::string& what) { faults.Add(ok, what); };
  auto projector = analytics::Projector::Start(open, o);
  ASSERT_TRUE(faults.WaitFor(1));
  if (server_) {
    ASSERT_TRUE(server_->Start().ok());  // it heals
  } else {
    fs::create_directories(dir);
  }
  ASSERT_TRUE(faults.WaitFor(2));
  projector.reset();
  std::lock_guard<std::mutex> l(faults.mu);
  ASSERT_EQ(faults.seen.size(), 2u) << "reported once, not at every retry";
  EXPECT_FALSE(faults.seen[0].first);
  EXPECT_THAT(faults.seen[0].second, ::testing::HasSubstr(server_ ? "cannot connect to postgresql://postgres@" : "cannot open"));
  if (server_) {
    EXPECT_THAT(faults.seen[0].second, ::testing::Not(::testing::HasSubstr(server_->password())));
  }
  EXPECT_TRUE(faults.seen[1].first);
  auto db = open();
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_EQ(Cursor(**db), Head(ledger_)) << "caught up to the head";
}

// libpq's own messages have the URL's password cut out (an sslmode it does
// not know is quoted back by libpq: here, the password).
TEST(AnalyticsPostgres, APasswordInLibpqsMessageIsCutOut) {
  if (auto why = testing::ThrowawayPostgres::Unavailable()) GTEST_SKIP() << *why;
  const std::string url = "postgresql://postgres:s3cr3t-pw@/apollo?host=/nonexistent&sslmode=s3cr3t-pw";
  auto db = analytics::OpenPostgres(url);
  ASSERT_FALSE(db.ok());
  EXPECT_THAT(std::string(db.status().message()), ::testing::Not(::testing::HasSubstr("s3cr3t-pw")));
  EXPECT_THAT(std::string(db.status().message()), ::testing::HasSubstr("***"));
  EXPECT_THAT(std::string(db.status().message()), ::testing::HasSubstr("cannot connect to postgresql://postgres@"));
}

}  // namespace
}  // namespace apollo
