// The `replay` audit commands an operator reaches for after a run: state at
// a time, export of the run's files, explain of an order or fill, diff of
// two ledgers. Ledgers come from real `bot` paper runs over the bundled
// klines into scratch directories; every wait is on a child process, with a
// deadline.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "engine/domain/events.h"
#include "ledger/event_log.h"
#include "ledger/ledger.h"
#include "tests/support/cli.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

#if !defined(BOT_BIN) || !defined(REPLAY_BIN) || !defined(APOLLO_SOURCE_DIR)
#error "BOT_BIN, REPLAY_BIN and APOLLO_SOURCE_DIR must be defined"
#endif

namespace apollo {
namespace {

using namespace std::chrono_literals;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::StartsWith;
using testing::ExitStatus;
using testing::Process;
using testing::SpawnOptions;
using testing::TempDir;
namespace fs = std::filesystem;

constexpr const char* kDataFile = testing::kBundledData;
constexpr size_t kAllBars = testing::kBundledBars;
constexpr const char* kRunFiles[] = {"trades.csv", "orders.csv", "thinking.jsonl"};
using Outcome = testing::ToolRun;
using testing::BundledBars;
using testing::Lines;
using testing::ReadFile;
using testing::RunTool;
using testing::WriteFile;

// seq and ts_ns of a `replay events` JSON line.
struct Stamp {
  uint64_t seq = 0;
  int64_t ts_ns = 0;
};
Stamp StampOf(const std::string& json) {
  std::smatch m;
  static const std::regex re("^\\{\"seq\":([0-9]+),\"ts_ns\":([0-9]+),");
  Stamp s;
  if (!std::regex_search(json, m, re) || !absl::SimpleAtoi(m[1].str(), &s.seq) ||
      !absl::SimpleAtoi(m[2].str(), &s.ts_ns)) {
    ADD_FAILURE() << "not an event line: " << json;
  }
  return s;
}

// The seq that starts a projection row ("12," or {"seq":12,).
uint64_t RowSeq(absl::string_view row) {
  absl::ConsumePrefix(&row, "{\"seq\":");
  uint64_t seq = 0;
  EXPECT_TRUE(absl::SimpleAtoi(row.substr(0, row.find_first_not_of("0123456789")), &seq)) << row;
  return seq;
}

int64_t Nanos(const std::string& rfc3339) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &err)) << err;
  return absl::ToUnixNanos(t);
}

class ReplayTools : public ::testing::Test {
 protected:
  // A paper run over the bundled data (or `data`) into `ledger`.
  void RunPaper(const std::string& ledger, const std::string& logs, const std::vector<std::string>& extra_args = {},
                const std::vector<std::string>& extra_env = {}) {
    std::vector<std::string> argv = {BOT_BIN, "--ledger", ledger, "--logs", logs};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    Outcome r = RunTool(argv, extra_env);
    ASSERT_TRUE(r.status.Exited(0)) << r.status << "\n" << r.err;
  }
  void RunPaper() { RunPaper(ledger_, logs_); }
  // A paper run into <dir>/run (ledger and logs), then renamed to <dir>/<name>:
  // the journaled config names the ledger, logs and data paths, so runs
  // meant to be comparable use the same ones.
  std::string RunPaperAs(const std::string& name, const std::vector<std::string>& extra_args = {},
                         const std::vector<std::string>& extra_env = {}) {
    RunPaper(dir_.Sub("run/ledger"), dir_.Sub("run/logs"), extra_args, extra_env);
    fs::rename(dir_.Sub("run"), dir_.Sub(name));
    return dir_.Sub(name + "/ledger");
  }
  Outcome Replay(std::vector<std::string> args) {
    args.insert(args.begin(), REPLAY_BIN);
    return RunTool(args);
  }
  std::vector<std::string> EventLines(const std::vector<std::string>& filter) {
    std::vector<std::string> args = {"events", "--ledger", ledger_};
    args.insert(args.end(), filter.begin(), filter.end());
    Outcome r = Replay(args);
    EXPECT_TRUE(r.status.Exited(0)) << r.status << "\n" << r.err;
    return Lines(r.out);
  }
  // The seq of the first OrderFilled of an entry order (client id ...-E).
  uint64_t FirstEntryFill() {
    for (const std::string& line : EventLines({"--type", "OrderFilled"})) {
      if (absl::StrContains(line, "-E\",")) return StampOf(line).seq;
    }
    ADD_FAILURE() << "the run filled no entry";
    return 0;
  }

  TempDir dir_;
  std::string ledger_ = dir_.Sub("ledger"), logs_ = dir_.Sub("logs"), out_ = dir_.Sub("export");
};

// ---- export ----

TEST_F(ReplayTools, ExportRegeneratesTheRunsCsvFilesByteForByte) {
  RunPaper();
  Outcome r = Replay({"export", "--ledger", ledger_, "--out", out_});
  ASSERT_TRUE(r.status.Exited(0)) << r.status << "\n" << r.err;
  for (const char* name : kRunFiles) {
    const std::string ran = ReadFile(fs::path(logs_) / name), exported = ReadFile(fs::path(out_) / name);
    EXPECT_GT(Lines(ran).size(), 2u) << name;
    EXPECT_TRUE(ran == exported) << name << " differs from the run's (" << ran.size() << " vs " << exported.size()
                                 << " bytes)";
  }
}

TEST_F(ReplayTools, ExportWritesEquityAndDailyPnl) {
  // `bot backtest --report` writes equity.csv and pnl_daily.csv from the
  // same ledger it keeps: export must write the same bytes.
  const std::string report = dir_.Sub("report");
  Outcome bt = RunTool({BOT_BIN, "backtest", "--data", kDataFile, "--ledger", ledger_, "--report", report});
  ASSERT_TRUE(bt.status.Exited(0)) << bt.status << "\n" << bt.err;
  Outcome r = Replay({"export", "--ledger", ledger_, "--out", out_});
  ASSERT_TRUE(r.status.Exited(0)) << r.status << "\n" << r.err;
  const std::string equity = ReadFile(fs::path(out_) / "equity.csv");
  const std::string daily = ReadFile(fs::path(out_) / "pnl_daily.csv");
  EXPECT_THAT(equity, StartsWith("seq,time,equity,balance,open_pnl,drawdown_pct\n"));
  EXPECT_EQ(Lines(equity).size(), kAllBars + 1);
  EXPECT_THAT(daily, StartsWith("date,realized_pnl,fees,funding,equity_close,trades\n2023-01-02,"));
  EXPECT_TRUE(equity == ReadFile(fs::path(report) / "equity.csv")) << "equity.csv differs from the backtest's";
  EXPECT_TRUE(daily == ReadFile(fs::path(report) / "pnl_daily.csv")) << "pnl_daily.csv differs from the backtest's";
}

// The daily_summary files a directory holds, by name.
std::map<std::string, std::string> DailySummaries(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (absl::StartsWith(name, "daily_summary_")) files[name] = ReadFile(entry.path());
  }
  return files;
}

// The seed's logs/daily_summary_YYYY-MM-DD.{json,csv}: one per UTC day the
// run closed, each day starting where the one before ended, and `replay
// export` writes the same bytes from the ledger.
TEST_F(ReplayTools, RunWritesTheSeedsDailySummariesAndExportWritesTheSameBytes) {
  RunPaper();
  const std::map<std::string, std::string> ran = DailySummaries(logs_);
  // The bundled bars run 2023-01-02 .. 2023-02-09: every day but the last is closed.
  ASSERT_EQ(ran.size(), 2u * 38) << "a .json and a .csv per closed day";
  EXPECT_TRUE(ran.contains("daily_summary_2023-01-02.json"));
  EXPECT_TRUE(ran.contains("daily_summary_2023-02-08.csv"));
  EXPECT_FALSE(ran.contains("daily_summary_2023-02-09.json")) << "the day the data ends in is not closed";
  const std::string header =
      "date,start_balance,end_balance,realized_pnl,fees,funding,net_pnl,net_pnl_pct,trades_closed,wins,losses,"
      "win_rate_pct,signals,proposals,risk_rejections,orders_placed,orders_rejected,fills,open_positions,drawdown_pct";
  std::string previous_end;
  uint64_t closes = 0;
  for (const auto& [name, text] : ran) {
    if (!absl::EndsWith(name, ".csv")) continue;
    const std::vector<std::string> lines = Lines(text);
    ASSERT_EQ(lines.size(), 2u) << name;
    EXPECT_EQ(lines[0], header) << name;
    const std::vector<std::string> row = absl::StrSplit(lines[1], ',');
    ASSERT_EQ(row.size(), 20u) << lines[1];
    EXPECT_EQ(name, "daily_summary_" + row[0] + ".csv");
    if (!previous_end.empty()) EXPECT_EQ(row[1], previous_end) << name << " starts where the day before ended";
    previous_end = row[2];
    uint64_t n = 0, wins = 0, losses = 0;
    ASSERT_TRUE(absl::SimpleAtoi(row[8], &n) && absl::SimpleAtoi(row[9], &wins) && absl::SimpleAtoi(row[10], &losses));
    EXPECT_EQ(wins + losses, n) << lines[1];
    closes += n;
    const std::string json = ran.at(absl::StrCat(name.substr(0, name.size() - 4), ".json"));
    EXPECT_THAT(json, StartsWith(absl::StrCat("{\"date\":\"", row[0], "\",\"start_balance\":", row[1], ",")));
  }
  EXPECT_GT(closes, 0u) << "the run closed trades on some days";
  Outcome r = Replay({"export", "--ledger", ledger_, "--out", out_});
  ASSERT_TRUE(r.status.Exited(0)) << r.status << "\n" << r.err;
  EXPECT_EQ(DailySummaries(out_), ran);
  // A second export into the same directory is refused: the files are there.
  Outcome again = Replay({"export", "--ledger", ledger_, "--out", out_});
  EXPECT_FALSE(again.status.Exited(0));
}

TEST_F(ReplayTools, ExportFromToWritesOnlyTheRowsOfThoseSeqs) {
  RunPaper();
  const uint64_t from = 6'000, to = 15'000;
  Outcome r = Replay({"export", "--ledger", ledger_, "--out", out_, "--from", absl::StrCat(from), "--to",
                      absl::StrCat(to)});
  ASSERT_TRUE(r.status.Exited(0)) << r.status << "\n" << r.err;
  for (const char* name : kRunFiles) {
    std::vector<std::string> want;
    for (const std::string& row : Lines(ReadFile(fs::path(logs_) / name))) {
      if (absl::StartsWith(row, "seq,") || (RowSeq(row) >= from && RowSeq(row) <= to)) want.push_back(row);
    }
    EXPECT_GT(want.size(), 1u) << name;
    EXPECT_EQ(Lines(ReadFile(fs::path(out_) / name)), want) << name;
  }
  for (const std::string& row : Lines(ReadFile(fs::path(out_) / "equity.csv"))) {
    if (absl::StartsWith(row, "seq,")) continue;
    EXPECT_GE(RowSeq(row), from) << row;
    EXPECT_LE(RowSeq(row), to) << row;
  }
}

TEST_F(ReplayTools, ExportRefusesAnOutDirThatHoldsFiles) {
  WriteFile(dir_.Sub("bars.csv"), BundledBars(300));
  RunPaper(ledger_, logs_, {"--data", dir_.Sub("bars.csv")});
  fs::create_directories(out_);
  WriteFile(fs::path(out_) / "orders.csv", "precious\n");
  Outcome r = Replay({"export", "--ledger", ledger_, "--out", out_});
  EXPECT_FALSE(r.status.Exited(0)) << r.out;
  EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
  EXPECT_THAT(r.err, HasSubstr("orders.csv"));
  EXPECT_EQ(ReadFile(fs::path(out_) / "orders.csv"), "precious\n");
  EXPECT_FALSE(fs::exists(fs::path(out_) / "trades.csv"));
  // The run's own logs directory is refused too.
  Outcome into_logs = Replay({"export", "--ledger", ledger_, "--out", logs_});
  EXPECT_FALSE(into_logs.status.Exited(0));
  EXPECT_EQ(Lines(into_logs.err).size(), 1u) << into_logs.err;
}

// ---- explain ----

TEST_F(ReplayTools, ExplainOfAFillShowsBarSignalProposalRiskOrdersFillsAndOutcome) {
  RunPaper();
  const uint64_t fill = FirstEntryFill();
  Outcome r = Replay({"explain", "--ledger", ledger_, "--seq", absl::StrCat(fill)});
  ASSERT_TRUE(r.status.Exited(0)) << r.status << "\n" << r.err;
  const std::vector<std::string> lines = Lines(r.out);
  ASSERT_GE(lines.size(), 9u) << r.out;
  uint64_t previous = 0;
  for (const std::string& line : lines) {
    EXPECT_THAT(line, MatchesRegex("[0-9]+ 2023-[0-9-]+T[0-9:.]+Z [a-z]+ +[A-Za-z]+ .*")) << line;
    EXPECT_GE(RowSeq(line), previous) << "not oldest first:\n" << r.out;
    previous = RowSeq(line);
  }
  EXPECT_THAT(lines[0], HasSubstr(" bar "));
  EXPECT_THAT(lines[0], HasSubstr("CandleClose BTCUSDT 5m"));
  EXPECT_THAT(lines[1], ContainsRegex("signal +SignalComputed BTCUSDT .* score=[0-9.]+ .*reason=\".+\" inputs: "));
  EXPECT_THAT(lines[2], ContainsRegex("proposal +TradeProposed BTCUSDT .* qty=[0-9.]+ entry=[0-9.]+ stop=[0-9.]+ "
                                      "take_profit=[0-9.]+ leverage=[0-9.]+"));
  EXPECT_THAT(lines[3], ContainsRegex("risk +RiskApproved BTCUSDT checks: [a-z_]+="));
  std::smatch m;
  ASSERT_TRUE(std::regex_search(lines[4], m, std::regex("order +OrderPlaced (ap-p([0-9]+)-E) ENTRY"))) << lines[4];
  const std::string entry = m[1];
  EXPECT_EQ(RowSeq(lines[4]), std::stoull(m[2]));
  const std::string out = r.out;
  EXPECT_THAT(out, ContainsRegex(absl::StrCat(fill, " [^\n]* fill +OrderFilled ", entry,
                                              " price=[0-9.]+ qty=[0-9.]+ fee=[0-9.]+ [^\n]*\\(asked\\)\n")));
  EXPECT_THAT(out, ContainsRegex("position +PositionOpened BTCUSDT [^\n]*entry_order=" + entry));
  EXPECT_THAT(out, ContainsRegex("order +OrderPlaced ap-p[0-9]+-S STOP_LOSS [^\n]*parent=" + entry));
  EXPECT_THAT(out, ContainsRegex("order +OrderPlaced ap-p[0-9]+-T TAKE_PROFIT [^\n]*parent=" + entry));
  EXPECT_THAT(out, ContainsRegex("position +PositionOpened [^\n]*\n(.*\n)*[0-9]+ [^\n]* outcome +PositionClosed "
                                 "BTCUSDT [A-Z_]+ [^\n]* exit=[0-9.]+ realized_pnl=-?[0-9.]+ fees=[0-9.]+ net=-?[0-9.]+\n"));
}

TEST_F(ReplayTools, ExplainOfAPositionCloseTracesBackToTheSameEntry) {
  RunPaper();
  const uint64_t fill = FirstEntryFill();
  Outcome from_fill = Replay({"explain", "--ledger", ledger_, "--seq", absl::StrCat(fill)});
  ASSERT_TRUE(from_fill.status.Exited(0)) << from_fill.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(from_fill.out, m, std::regex("\n([0-9]+) [^\n]* outcome +PositionClosed")))
      << "the first trade is still open:\n" << from_fill.out;
  Outcome from_close = Replay({"explain", "--ledger", ledger_, "--seq", m[1].str()});
  ASSERT_TRUE(from_close.status.Exited(0)) << from_close.err;
  auto unmarked = [](std::string s) { return std::regex_replace(s, std::regex("  \\(asked\\)"), ""); };
  EXPECT_EQ(unmarked(from_close.out), unmarked(from_fill.out));
  EXPECT_THAT(from_close.out, ContainsRegex(absl::StrCat("\n", m[1].str(), " [^\n]*PositionClosed[^\n]*\\(asked\\)")));
}

TEST_F(ReplayTools, ExplainOfAnotherEventTypeIsAOneLineError) {
  WriteFile(dir_.Sub("bars.csv"), BundledBars(300));
  RunPaper(ledger_, logs_, {"--data", dir_.Sub("bars.csv")});
  const uint64_t bar = StampOf(EventLines({"--type", "CandleClose"}).at(0)).seq;
  Outcome r = Replay({"explain", "--ledger", ledger_, "--seq", absl::StrCat(bar)});
  EXPECT_FALSE(r.status.Exited(0)) << r.out;
  EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
  EXPECT_THAT(r.err, HasSubstr(absl::StrCat("seq ", bar, " is a CandleClose")));
  for (const char* type : {"OrderPlaced", "OrderFilled", "OrderExpired", "PositionClosed", "StopTriggered"}) {
    EXPECT_THAT(r.err, HasSubstr(type));
  }
  Outcome beyond = Replay({"explain", "--ledger", ledger_, "--seq", "99999999"});
  EXPECT_FALSE(beyond.status.Exited(0));
  EXPECT_EQ(Lines(beyond.err).size(), 1u) << beyond.err;
  Outcome no_seq = Replay({"explain", "--ledger", ledger_});
  EXPECT_FALSE(no_seq.status.Exited(0));
}

OrderPlaced Order(const std::string& id, OrderPurpose purpose, OrderType type, int64_t qty,
                  const std::string& parent = "", int64_t stop_price = 0) {
  OrderPlaced o;
  o.client_order_id = ClientOrderId{id};
  o.symbol = Symbol{"BTCUSDT"};
  o.side = purpose == OrderPurpose::kEntry ? Side::kBuy : Side::kSell;
  o.order_type = type;
  o.purpose = purpose;
  o.qty = Fixed::FromInt(qty);
  o.stop_price = Fixed::FromInt(stop_price);
  o.reduce_only = purpose != OrderPurpose::kEntry;
  o.parent = ClientOrderId{parent};
  return o;
}

// A trade the bundled data never makes: the entry fills in two parts and a
// TREND_INVALIDATION exit closes the position; another trade follows.
std::vector<Event> ExitedTrade() {
  auto px = [](int64_t units) { return Fixed::FromInt(units); };
  const Symbol btc{"BTCUSDT"};
  const ClientOrderId entry{"ap-p5-E"}, stop{"ap-p9-S"}, take{"ap-p10-T"}, exit{"ap-p12-X"}, next{"ap-p17-E"};
  OrderPlaced x = Order(exit.value, OrderPurpose::kExit, OrderType::kMarket, 2, entry.value);
  x.close_reason = CloseReason::kTrendInvalidation;
  const std::vector<EventBody> bodies = {
      CandleClose{btc, "5m", 1'673'000'000'000, px(100), px(110), px(95), px(105), px(7)},  // 1
      SignalComputed{btc, "trend_following_v1", Side::kBuy, Fixed::FromRaw(80'000'000), Fixed::FromRaw(80'000'000),
                     "breakout", {{"adx", px(30)}}},
      TradeProposed{btc, Side::kBuy, OrderType::kMarket, px(2), px(105), px(95), px(125), px(2), 2},
      RiskApproved{btc, 3, {{"equity", px(10'000)}}},
      Order(entry.value, OrderPurpose::kEntry, OrderType::kMarket, 2),  // 5
      OrderPartialFill{{entry, TradeId{"t1"}, px(105), px(1), px(1)}},
      OrderFilled{{entry, TradeId{"t2"}, px(106), px(1), px(1)}},
      PositionOpened{btc, Side::kBuy, px(2), Fixed::FromRaw(10'550'000'000), px(95), px(125), px(2), entry, px(2)},
      Order(stop.value, OrderPurpose::kStopLoss, OrderType::kStopMarket, 2, entry.value, 95),  // 9
      Order(take.value, OrderPurpose::kTakeProfit, OrderType::kTakeProfitMarket, 2, entry.value, 125),
      CandleClose{btc, "5m", 1'673'000'300'000, px(105), px(106), px(99), px(100), px(7)},
      x,  // 12
      OrderFilled{{exit, TradeId{"t3"}, px(100), px(2), px(1)}},
      PositionClosed{btc, Side::kBuy, px(2), Fixed::FromRaw(10'550'000'000), px(100), px(-11), px(3),
                     CloseReason::kTrendInvalidation},  // 14
      OrderCancelled{stop, "OCO"},
      OrderCancelled{take, "OCO"},
      Order(next.value, OrderPurpose::kEntry, OrderType::kMarket, 1),  // 17
      OrderFilled{{next, TradeId{"t4"}, px(101), px(1), px(1)}},
  };
  std::vector<Event> events;
  for (const EventBody& b : bodies) {
    events.push_back(Event{0, 1'673'000'300'000'000'000 + static_cast<int64_t>(events.size()), b});
  }
  return events;
}

TEST_F(ReplayTools, ExplainShowsPartialFillsAndTheExitOrderThatClosedThePosition) {
  {
    auto ledger = ledger::Ledger::OpenWriter(ledger_);
    ASSERT_TRUE(ledger.ok()) << ledger.status();
    std::vector<Event> events = ExitedTrade();
    ASSERT_TRUE(ledger::AppendEvents(**ledger, events, true).ok());
  }
  Outcome r = Replay({"explain", "--ledger", ledger_, "--seq", "14"});
  ASSERT_TRUE(r.status.Exited(0)) << r.status << "\n" << r.err;
  std::vector<uint64_t> seqs;
  for (const std::string& line : Lines(r.out)) seqs.push_back(RowSeq(line));
  EXPECT_EQ(seqs, (std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 15, 16})) << r.out;
  EXPECT_THAT(r.out, HasSubstr(" fill     OrderPartialFill ap-p5-E price=105 qty=1 fee=1 trade_id=t1\n"));
  EXPECT_THAT(r.out, HasSubstr(" order    OrderPlaced ap-p12-X EXIT BTCUSDT SELL MARKET qty=2 reduce_only "
                               "parent=ap-p5-E close_reason=TREND_INVALIDATION\n"));
  EXPECT_THAT(r.out, HasSubstr(" outcome  PositionClosed BTCUSDT TREND_INVALIDATION BUY qty=2 entry=105.5 exit=100 "
                               "realized_pnl=-11 fees=3 net=-14  (asked)\n"));
  Outcome from_exit_fill = Replay({"explain", "--ledger", ledger_, "--seq", "13"});
  EXPECT_EQ(std::regex_replace(from_exit_fill.out, std::regex("  \\(asked\\)"), ""),
            std::regex_replace(r.out, std::regex("  \\(asked\\)"), ""));
}

// ---- diff ----

TEST_F(ReplayTools, DiffOfTwoRunsOfTheSameDataIsIdentical) {
  const std::string a = RunPaperAs("a"), b = RunPaperAs("b");
  Outcome verify = Replay({"verify", "--ledger", a});
  std::smatch m;
  ASSERT_TRUE(std::regex_search(verify.out, m, std::regex("OK events=([0-9]+) last_seq=[0-9]+ head_hash=([0-9a-f]+)")))
      << verify.out;
  Outcome r = Replay({"diff", "--ledger", a, "--ledger", b});
  EXPECT_TRUE(r.status.Exited(0)) << r.status << "\n" << r.out << r.err;
  EXPECT_EQ(r.out, absl::StrCat("identical: ", m[1].str(), " events, head_hash ", m[2].str(), "\n"));
}

TEST_F(ReplayTools, DiffNamesTheFirstDifferingSeq) {
  // The same run over 900 and then 600 bars of the same file: they agree
  // until the shorter one runs out of data.
  WriteFile(dir_.Sub("bars.csv"), BundledBars(900));
  const std::string a = RunPaperAs("a", {"--data", dir_.Sub("bars.csv")});
  WriteFile(dir_.Sub("bars.csv"), BundledBars(600));
  const std::string b = RunPaperAs("b", {"--data", dir_.Sub("bars.csv")});
  Outcome r = Replay({"diff", "--ledger", a, "--ledger", b});
  EXPECT_TRUE(r.status.Exited(1)) << r.status << "\n" << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("^first difference at seq ([0-9]+)\n"))) << r.out;
  const uint64_t first = std::stoull(m[1]);
  EXPECT_GT(first, 600u) << r.out;
  const std::vector<std::string> lines = Lines(r.out);
  ASSERT_GE(lines.size(), 7u) << r.out;
  EXPECT_THAT(lines[1], StartsWith(absl::StrCat("A: {\"seq\":", first, ",")));
  EXPECT_THAT(lines[2], StartsWith(absl::StrCat("B: {\"seq\":", first, ",")));
  EXPECT_THAT(lines[3], StartsWith("differs in: "));
  EXPECT_THAT(lines[4], MatchesRegex("events: A [0-9]+, B [0-9]+"));
  EXPECT_EQ(lines[5], absl::StrCat("common prefix: ", first - 1, " events"));
  EXPECT_EQ(lines[6], "events per type where they differ (A vs B):");
  EXPECT_THAT(r.out, HasSubstr("\n  CandleClose 900 vs 600\n"));
  // The events just before it are the same in both; the ones at it are what diff printed.
  auto event_at = [this](const std::string& ledger, uint64_t seq) {
    return Replay({"events", "--ledger", ledger, "--from", absl::StrCat(seq), "--to", absl::StrCat(seq)}).out;
  };
  EXPECT_EQ(event_at(a, first - 1), event_at(b, first - 1));
  EXPECT_EQ(event_at(a, first), lines[1].substr(3) + "\n");
  EXPECT_EQ(event_at(b, first), lines[2].substr(3) + "\n");
}

TEST_F(ReplayTools, DiffOfARunWithAnotherRiskSettingPointsAtItsConfig) {
  WriteFile(dir_.Sub("bars.csv"), BundledBars(300));
  const std::string a = RunPaperAs("a", {"--data", dir_.Sub("bars.csv")});
  const std::string b = RunPaperAs("b", {"--data", dir_.Sub("bars.csv")}, {"RISK__RISK_PER_TRADE_PCT=0.5"});
  Outcome r = Replay({"diff", "--ledger", a, "--ledger", b});
  EXPECT_TRUE(r.status.Exited(1)) << r.status << "\n" << r.err;
  EXPECT_THAT(r.out, StartsWith("first difference at seq 2\nA: {\"seq\":2,"));
  EXPECT_THAT(r.out, HasSubstr("\"type\":\"ConfigLoaded\""));
  EXPECT_THAT(r.out, HasSubstr("\ndiffers in: data.config_hash, data.config_text\n"));
  EXPECT_THAT(r.out, HasSubstr("\ncommon prefix: 1 events\n"));
}

TEST_F(ReplayTools, DiffTakesExactlyTwoLedgers) {
  WriteFile(dir_.Sub("bars.csv"), BundledBars(300));
  RunPaper(ledger_, logs_, {"--data", dir_.Sub("bars.csv")});
  Outcome one = Replay({"diff", "--ledger", ledger_});
  EXPECT_TRUE(one.status.Exited(2)) << one.status;
  EXPECT_EQ(Lines(one.err).size(), 1u) << one.err;
  EXPECT_THAT(one.err, HasSubstr("exactly two"));
  Outcome missing = Replay({"diff", "--ledger", ledger_, "--ledger", dir_.Sub("no-such-ledger")});
  EXPECT_TRUE(missing.status.Exited(2)) << missing.status;
  EXPECT_EQ(Lines(missing.err).size(), 1u) << missing.err;
}

// ---- state --at-time ----

TEST_F(ReplayTools, StateAtTimeIsTheFoldOfEventsUpToThatTime) {
  RunPaper();
  const std::vector<std::string> events = EventLines({});
  for (const std::string when : {"2023-01-20T12:00:00Z", "2023-01-20", "2023-01-20T13:00:00+01:00"}) {
    const int64_t t = Nanos(absl::StrContains(when, "T") ? when : when + "T00:00:00Z");
    uint64_t last = 0;
    for (const std::string& e : events) {
      const Stamp s = StampOf(e);
      if (s.ts_ns > t) break;
      last = s.seq;
    }
    ASSERT_GT(last, 1u) << when;
    Outcome at_time = Replay({"state", "--ledger", ledger_, "--at-time", when});
    Outcome at_seq = Replay({"state", "--ledger", ledger_, "--at", absl::StrCat(last)});
    ASSERT_TRUE(at_time.status.Exited(0)) << when << ": " << at_time.err;
    EXPECT_EQ(at_time.out, at_seq.out) << when;
    EXPECT_THAT(at_time.out, HasSubstr(absl::StrCat("\"last_seq\":", last, ","))) << when;
  }
  Outcome noon = Replay({"state", "--ledger", ledger_, "--at-time", "2023-01-20T12:00:00Z"});
  Outcome midnight = Replay({"state", "--ledger", ledger_, "--at-time", "2023-01-20"});
  EXPECT_NE(noon.out, midnight.out);
}

TEST_F(ReplayTools, StateAtTimeBeforeTheFirstEventIsAnError) {
  WriteFile(dir_.Sub("bars.csv"), BundledBars(300));
  RunPaper(ledger_, logs_, {"--data", dir_.Sub("bars.csv")});
  const Stamp first = StampOf(EventLines({"--to", "1"}).at(0));
  const std::string first_time =
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixNanos(first.ts_ns), absl::UTCTimeZone());
  Outcome r = Replay({"state", "--ledger", ledger_, "--at-time", "2022-12-31"});
  EXPECT_FALSE(r.status.Exited(0)) << r.out;
  EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
  EXPECT_THAT(r.err, HasSubstr("before the first event"));
  EXPECT_THAT(r.err, HasSubstr(first_time));
  for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
           {"--at-time", "last tuesday"},
           {"--at-time", "2023-01-20T12:00:00"},
           {"--at", "5", "--at-time", "2023-01-20"},
       }) {
    std::vector<std::string> args = {"state", "--ledger", ledger_};
    args.insert(args.end(), bad.begin(), bad.end());
    Outcome b = Replay(args);
    EXPECT_FALSE(b.status.Exited(0)) << bad[1];
    EXPECT_EQ(Lines(b.err).size(), 1u) << bad[1] << ": " << b.err;
  }
}

TEST_F(ReplayTools, EveryAuditCommandHasHelp) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"state", "--help"}, {"export", "--help"}, {"explain", "--help"}, {"diff", "--help"}}) {
    Outcome r = Replay(args);
    EXPECT_TRUE(r.status.Exited(0)) << args[0] << ": " << r.status << r.err;
    EXPECT_THAT(r.out, HasSubstr("--ledger")) << args[0];
  }
  EXPECT_THAT(Replay({"state", "--help"}).out, HasSubstr("--at-time"));
  EXPECT_THAT(Replay({"export", "--help"}).out, HasSubstr("--out"));
  EXPECT_THAT(Replay({"explain", "--help"}).out, HasSubstr("--seq"));
}

}  // namespace
}  // namespace apollo
