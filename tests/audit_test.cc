// Audits and backtests as an operator runs them: `bot` and `bot backtest`
// over the bundled klines into scratch directories, then `replay decisions`
// on what they wrote. Every wait is on a child process, with a deadline.
#include <signal.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tests/support/cli.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

#if !defined(BOT_BIN) || !defined(REPLAY_BIN) || !defined(APOLLO_SOURCE_DIR)
#error "BOT_BIN, REPLAY_BIN and APOLLO_SOURCE_DIR must be defined"
#endif

namespace apollo {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;
using testing::BundledBars;
using testing::Lines;
using testing::Process;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;
namespace fs = std::filesystem;

constexpr const char* kDataFile = testing::kBundledData;
constexpr size_t kAllBars = testing::kBundledBars;
constexpr auto kRunTimeout = 240s;
using Outcome = testing::ToolRun;

Outcome RunTool(const std::vector<std::string>& argv) { return testing::RunTool(argv); }

std::string SourcePath(const std::string& relative) { return absl::StrCat(APOLLO_SOURCE_DIR, "/", relative); }

// CSV rows without their first column (the event's seq).
std::vector<std::string> WithoutSeq(const std::string& csv) {
  std::vector<std::string> rows;
  for (const std::string& line : Lines(csv)) rows.push_back(line.substr(line.find(',') + 1));
  return rows;
}

// A number from report.json ("key": value).
double JsonNumber(const std::string& json, const std::string& key) {
  std::smatch m;
  const std::regex re("\"" + key + "\": (-?[0-9.eE+-]+)");
  if (!std::regex_search(json, m, re)) {
    ADD_FAILURE() << "report.json has no " << key;
    return NAN;
  }
  return std::stod(m[1]);
}

class Audit : public ::testing::Test {
 protected:
  // A paper run over the bundled data into the scratch directory.
  void RunPaper(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {BOT_BIN, "--ledger", ledger_, "--logs", logs_};
    argv.insert(argv.end(), extra.begin(), extra.end());
    Outcome r = RunTool(argv);
    ASSERT_TRUE(r.status.Exited(0)) << r.status << "\n" << r.err;
  }
  Outcome Replay(std::vector<std::string> args) {
    args.insert(args.begin(), REPLAY_BIN);
    return RunTool(args);
  }
  Outcome Backtest(std::vector<std::string> args) {
    args.insert(args.begin(), {BOT_BIN, "backtest"});
    return RunTool(args);
  }

  TempDir dir_;
  std::string ledger_ = dir_.path() + "/ledger", logs_ = dir_.path() + "/logs";
};

TEST_F(Audit, DecisionsOfAPaperRunAreReDerivedWithoutOneDivergence) {
  RunPaper();
  Outcome r = Replay({"decisions", "--ledger", ledger_});
  EXPECT_TRUE(r.status.Exited(0)) << r.status << "\n" << r.out << r.err;
  EXPECT_THAT(r.out, MatchesRegex("(.|\n)*0 divergences over [0-9]+ decisions \\(bar 10999, reaction [1-9][0-9]*\\)\n"));
}

// The seed's limit entries on recorded bars: those the price never came back
// to are cancelled after one entry bar and journaled as skipped, and the
// audit derives each skip again.
TEST_F(Audit, LimitEntriesThatExpireAreSkippedAndReDerivedWithoutADivergence) {
  Outcome run = testing::RunTool({BOT_BIN, "--ledger", ledger_, "--logs", logs_},
                                 {"EXECUTION__ENTRY_ORDER_TYPE=limit", "EXECUTION__LIMIT_ORDER_BUFFER_PCT=0.3"});
  ASSERT_TRUE(run.status.Exited(0)) << run.status << "\n" << run.err;
  Outcome skipped = Replay({"events", "--ledger", ledger_, "--type", "EntrySkipped"});
  ASSERT_TRUE(skipped.status.Exited(0)) << skipped.err;
  const std::vector<std::string> lines = Lines(skipped.out);
  ASSERT_FALSE(lines.empty()) << "no limit entry expired on the recorded bars";
  for (const std::string& line : lines) {
    EXPECT_THAT(line, HasSubstr("\"reason\":\"ENTRY_EXPIRED\""));
    EXPECT_THAT(line, HasSubstr("\"timeout_sec\":900"));
  }
  Outcome filled = Replay({"events", "--ledger", ledger_, "--type", "PositionOpened"});
  EXPECT_FALSE(Lines(filled.out).empty()) << "no limit entry filled either";
  Outcome r = Replay({"decisions", "--ledger", ledger_});
  EXPECT_TRUE(r.status.Exited(0)) << r.status << "\n" << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("0 divergences"));
}

TEST_F(Audit, DecisionsNeedOnlyTheLedgerNotTheConfigFileOrTheMarketData) {
  const std::string config = dir_.path() + "/config.yaml", data = dir_.path() + "/bars.csv";
  fs::copy_file(SourcePath("config.yaml"), config);
  WriteFile(data, BundledBars(4000));
  RunPaper({"--config", config, "--data", data});
  fs::remove(config);
  fs::remove(data);
  Outcome r = Replay({"decisions", "--ledger", ledger_});
  EXPECT_TRUE(r.status.Exited(0)) << r.status << "\n" << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("0 divergences over"));
}

// A restart with another config: each decision is re-derived with the config
// journaled at the start it followed.
TEST_F(Audit, DecisionsFollowTheConfigJournaledAtEachStart) {
  const std::string first = dir_.path() + "/first.csv";
  WriteFile(first, BundledBars(5000));  // most trades come after this
  RunPaper({"--data", first});
  Outcome second = testing::RunTool({BOT_BIN, "--ledger", ledger_, "--logs", logs_}, {"RISK__RISK_PER_TRADE_PCT=0.5"});
  ASSERT_TRUE(second.status.Exited(0)) << second.status << "\n" << second.err;
  Outcome r = Replay({"decisions", "--ledger", ledger_});
  EXPECT_TRUE(r.status.Exited(0)) << r.status << "\n" << r.out << r.err;
  EXPECT_THAT(r.out, MatchesRegex("0 divergences over [0-9]+ decisions \\(bar 10999, reaction [0-9]+\\)\n"));
}

TEST_F(Audit, WhatIfWithAChangedParameterListsWhatWouldDifferAndExitsZero) {
  RunPaper();
  Outcome r = Replay({"decisions", "--ledger", ledger_, "--set", "risk.risk_per_trade_pct=0.5"});
  EXPECT_TRUE(r.status.Exited(0)) << r.status << "\n" << r.err;
  EXPECT_THAT(r.out, MatchesRegex("what-if risk.risk_per_trade_pct=0.5: [1-9][0-9]* of [0-9]+ decisions would differ "
                                  "\\(bar [1-9][0-9]* of 10999(.|\n)*"));
  EXPECT_THAT(r.out, MatchesRegex("(.|\n)*seq [0-9]+ bar TradeProposed.qty: recorded [0-9.]+ vs re-derived [0-9.]+\n(.|\n)*"));
}

TEST_F(Audit, ADifferentConfigIsReportedDivergenceByDivergenceAndExitsOne) {
  RunPaper();
  const std::string config = dir_.path() + "/other.yaml";
  std::string text = ReadFile(SourcePath("config.yaml"));
  ASSERT_TRUE(absl::StrContains(text, "risk_per_trade_pct: 0.75")) << "config.yaml changed: update this test";
  text = std::regex_replace(text, std::regex("risk_per_trade_pct: 0.75"), "risk_per_trade_pct: 0.5");
  WriteFile(config, text);
  Outcome r = Replay({"decisions", "--ledger", ledger_, "--config", config});
  EXPECT_TRUE(r.status.Exited(1)) << r.status << "\n" << r.err;
  EXPECT_THAT(r.out, MatchesRegex("seq [0-9]+ bar TradeProposed.qty: recorded [0-9.]+ vs re-derived [0-9.]+\n(.|\n)*"));
  EXPECT_THAT(r.out, MatchesRegex("(.|\n)*\n[1-9][0-9]* divergences over [0-9]+ decisions (.|\n)*"));
}

TEST_F(Audit, AnUnknownOverrideIsAOneLineError) {
  WriteFile(dir_.path() + "/bars.csv", BundledBars(300));
  RunPaper({"--data", dir_.path() + "/bars.csv"});
  Outcome r = Replay({"decisions", "--ledger", ledger_, "--set", "risk.no_such_key=1"});
  EXPECT_FALSE(r.status.Exited(0));
  EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
}

TEST_F(Audit, BacktestWritesItsReportAndALedgerEveryReplayCommandReads) {
  const std::string report = dir_.path() + "/report";
  Outcome r = Backtest({"--data", kDataFile, "--ledger", ledger_, "--report", report});
  ASSERT_TRUE(r.status.Exited(0)) << r.status << "\n" << r.err;
  EXPECT_THAT(r.out, HasSubstr("| Trades | 20 (long 20, short 0) |"));
  EXPECT_THAT(r.out, HasSubstr("| Bars | 10999 |"));
  for (const char* f : {"report.json", "report.md", "equity.svg", "equity.csv", "pnl_daily.csv", "trades.csv",
                        "orders.csv", "thinking.jsonl"}) {
    EXPECT_TRUE(fs::exists(fs::path(report) / f)) << f;
  }
  const std::string svg = ReadFile(fs::path(report) / "equity.svg");
  EXPECT_TRUE(absl::StartsWith(svg, "<svg") || absl::StartsWith(svg, "<?xml")) << svg.substr(0, 80);
  EXPECT_THAT(svg, HasSubstr("2023-01-"));
  Outcome verify = Replay({"verify", "--ledger", ledger_});
  EXPECT_TRUE(verify.status.Exited(0)) << verify.out << verify.err;
  Outcome decisions = Replay({"decisions", "--ledger", ledger_});
  EXPECT_TRUE(decisions.status.Exited(0)) << decisions.out << decisions.err;
}

TEST_F(Audit, BacktestFiguresRecomputeFromTradesCsvAndEquityCsv) {
  const fs::path report = dir_.path() + "/report";
  Outcome r = Backtest({"--data", kDataFile, "--report", report.string()});
  ASSERT_TRUE(r.status.Exited(0)) << r.status << "\n" << r.err;
  const std::string json = ReadFile(report / "report.json");

  // trades.csv: seq,ts_ns,symbol,side,qty,entry_price,exit_price,realized_pnl,fees,net_pnl,reason
  double realized = 0, trade_fees = 0, wins = 0, gross_win = 0, gross_loss = 0;
  std::vector<std::string> rows = Lines(ReadFile(report / "trades.csv"));
  ASSERT_GT(rows.size(), 1u);
  for (size_t i = 1; i < rows.size(); ++i) {
    std::vector<std::string> c = absl::StrSplit(rows[i], ',');
    ASSERT_EQ(c.size(), 11u) << rows[i];
    const double pnl = std::stod(c[7]), fees = std::stod(c[8]), net = pnl - fees;
    realized += pnl;
    trade_fees += fees;
    if (net >= 0) {
      ++wins;
      gross_win += net;
    } else {
      gross_loss -= net;
    }
  }
  const double trades = static_cast<double>(rows.size() - 1);
  EXPECT_EQ(JsonNumber(json, "trades"), trades);
  EXPECT_NEAR(JsonNumber(json, "win_rate_pct"), 100 * wins / trades, 1e-6);
  EXPECT_NEAR(JsonNumber(json, "profit_factor"), gross_win / gross_loss, 1e-6);
  EXPECT_NEAR(JsonNumber(json, "gross_pnl"), realized, 1e-6);

  // equity.csv: seq,time,equity,balance,open_pnl,drawdown_pct; one row per closed bar.
  std::vector<std::string> equity = Lines(ReadFile(report / "equity.csv"));
  ASSERT_EQ(equity.size(), kAllBars + 1);
  double peak = JsonNumber(json, "initial_equity"), max_dd = 0, last = 0;
  for (size_t i = 1; i < equity.size(); ++i) {
    std::vector<std::string> c = absl::StrSplit(equity[i], ',');
    last = std::stod(c[2]);
    peak = std::max(peak, last);
    max_dd = std::max(max_dd, 100 * (peak - last) / peak);
  }
  EXPECT_NEAR(JsonNumber(json, "final_equity"), last, 1e-6);
  EXPECT_NEAR(JsonNumber(json, "max_drawdown_pct"), max_dd, 1e-6);
  // The accounting identity: final = initial + Σ realised − fees + open PnL.
  EXPECT_NEAR(JsonNumber(json, "final_equity"),
              JsonNumber(json, "initial_equity") + realized - JsonNumber(json, "fees") + JsonNumber(json, "open_pnl"),
              1e-6);
  EXPECT_NEAR(JsonNumber(json, "net_pnl"), JsonNumber(json, "final_equity") - JsonNumber(json, "initial_equity"), 1e-6);
  EXPECT_LE(trade_fees, JsonNumber(json, "fees") + 1e-6);
}

TEST_F(Audit, BacktestFromToKeepsOnlyThoseBars) {
  Outcome r = Backtest({"--data", kDataFile, "--from", "2023-01-10", "--to", "2023-01-20T00:00:00Z"});
  ASSERT_TRUE(r.status.Exited(0)) << r.status << "\n" << r.err;
  EXPECT_THAT(r.out, HasSubstr("| Bars | 2880 |"));
  EXPECT_THAT(r.out, HasSubstr("| Period start | 2023-01-10T00:00:00Z |"));
}

TEST_F(Audit, AGapInTheBarsIsRefusedNamingFileLineAndTimeInBacktestAndPaper) {
  const std::string data = dir_.path() + "/holed.csv";
  WriteFile(data, BundledBars(1000, 400, 500));  // 100 bars cut out
  Outcome bt = Backtest({"--data", data});
  EXPECT_TRUE(bt.status.Exited(1)) << bt.status << "\n" << bt.out;
  EXPECT_EQ(Lines(bt.err).size(), 1u) << bt.err;
  EXPECT_THAT(bt.err, HasSubstr(absl::StrCat(data, ":402:")));
  EXPECT_THAT(bt.err, HasSubstr("2023-01-"));
  EXPECT_THAT(bt.err, HasSubstr("--allow-gaps"));
  Outcome paper = RunTool({BOT_BIN, "--ledger", ledger_, "--logs", logs_, "--data", data});
  EXPECT_FALSE(paper.status.Exited(0)) << paper.out;
  EXPECT_THAT(paper.err, HasSubstr(absl::StrCat(data, ":402:")));
}

TEST_F(Audit, AllowGapsRunsAcrossTheHoleAndTheReportListsIt) {
  const std::string data = dir_.path() + "/holed.csv", report = dir_.path() + "/report";
  WriteFile(data, BundledBars(1000, 400, 500));
  Outcome r = Backtest({"--data", data, "--allow-gaps", "--report", report});
  ASSERT_TRUE(r.status.Exited(0)) << r.status << "\n" << r.err;
  EXPECT_THAT(r.out, HasSubstr("| Bars | 900 |"));
  EXPECT_THAT(r.out, HasSubstr("Gaps in the data"));
  EXPECT_THAT(ReadFile(fs::path(report) / "report.json"), HasSubstr("\"missing_bars\": 100"));
}

TEST_F(Audit, BinanceKlineDumpsBacktestLikeTheBundledCsv) {
  // The first 2000 bundled bars as data.binance.vision writes them: no
  // header, twelve columns, open times in microseconds (2025 dumps).
  const std::vector<std::string> lines = Lines(BundledBars(2000));
  std::string dump;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> c = absl::StrSplit(lines[i], ',');
    int64_t ms = 0;
    ASSERT_TRUE(absl::SimpleAtoi(c[0], &ms));
    absl::StrAppend(&dump, ms * 1000, ",", c[1], ",", c[2], ",", c[3], ",", c[4], ",", c[5], ",", (ms + 299'999) * 1000,
                    ",0,0,0,0,0\n");
  }
  WriteFile(dir_.path() + "/BTCUSDT-5m-2023-01.csv", dump);
  WriteFile(dir_.path() + "/bundled.csv", BundledBars(2000));
  Outcome a = Backtest({"--data", dir_.path() + "/BTCUSDT-5m-2023-01.csv"});
  Outcome b = Backtest({"--data", dir_.path() + "/bundled.csv"});
  ASSERT_TRUE(a.status.Exited(0)) << a.status << "\n" << a.err;
  ASSERT_TRUE(b.status.Exited(0)) << b.status << "\n" << b.err;
  const std::string table_a = a.out.substr(0, a.out.find("\nbars ")), table_b = b.out.substr(0, b.out.find("\nbars "));
  EXPECT_EQ(table_a, table_b);
  EXPECT_THAT(table_a, HasSubstr("| Bars | 2000 |"));
}

// A backtest appends without a sync per step; killed, it resumes from its
// ledger and ends with the trades of an uninterrupted run.
TEST_F(Audit, BacktestKilledMidRunResumesToTheTradesOfAnUninterruptedRun) {
  const std::string whole = dir_.path() + "/whole", cut = dir_.path() + "/cut";
  Outcome ref = Backtest({"--data", kDataFile, "--ledger", whole + "/ledger", "--report", whole});
  ASSERT_TRUE(ref.status.Exited(0)) << ref.status << "\n" << ref.err;
  const std::vector<std::string> argv = {BOT_BIN, "backtest", "--data", kDataFile, "--ledger", cut + "/ledger",
                                         "--report", cut};
  auto p = Process::Spawn(argv, testing::ToolOptions());
  ASSERT_TRUE(p.ok()) << p.status();
  std::this_thread::sleep_for(150ms);  // a random-enough instant inside the run (the only sleep here)
  (*p)->Signal(SIGKILL);
  (*p)->Wait(kRunTimeout);
  Outcome again = RunTool(argv);
  ASSERT_TRUE(again.status.Exited(0)) << again.status << "\n" << again.err;
  // The same trades; their seqs differ by the restart's SystemStarted + ConfigLoaded.
  EXPECT_EQ(WithoutSeq(ReadFile(fs::path(cut) / "trades.csv")), WithoutSeq(ReadFile(fs::path(whole) / "trades.csv")));
  Outcome verify = Replay({"verify", "--ledger", cut + "/ledger"});
  EXPECT_TRUE(verify.status.Exited(0)) << verify.out << verify.err;
  Outcome decisions = Replay({"decisions", "--ledger", cut + "/ledger"});
  EXPECT_TRUE(decisions.status.Exited(0)) << decisions.out << decisions.err;
}

TEST_F(Audit, BacktestLikeALedgerReRunsItsBarsAndComparesTheTrades) {
  RunPaper();
  const std::string report = dir_.path() + "/like";
  Outcome same = Backtest({"--like", ledger_, "--report", report});
  ASSERT_TRUE(same.status.Exited(0)) << same.status << "\n" << same.err;
  EXPECT_THAT(same.out, HasSubstr("| Trades | 13 | 13 |"));
  EXPECT_THAT(same.out, HasSubstr("Trades in both: 13 (0 differ), only in the ledger: 0, only in the backtest: 0"));
  EXPECT_TRUE(fs::exists(fs::path(report) / "like.md"));
  // Costlier fills in the backtest: the same trades, at other prices.
  Outcome costly = Backtest({"--like", ledger_, "--slippage-pct", "0.1"});
  ASSERT_TRUE(costly.status.Exited(0)) << costly.status << "\n" << costly.err;
  EXPECT_THAT(costly.out, MatchesRegex("(.|\n)*Trades in both: [0-9]+ \\([1-9][0-9]* differ\\)(.|\n)*"));
  EXPECT_THAT(costly.out, HasSubstr("| Average entry slippage | 2.00 bps | 10.00 bps |"));
  EXPECT_THAT(Backtest({"--like", ledger_, "--data", kDataFile}).err, HasSubstr("--like re-runs the ledger's own bars"));
}

TEST_F(Audit, BacktestRefusesBadFlagsWithOneLine) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--data", kDataFile, "--from", "last tuesday"},
           {"--data", kDataFile, "--from", "2023-01-20", "--to", "2023-01-10"},
           {"--data", kDataFile, "--slippage-pct", "-1"},
           {"--data", kDataFile, "--fee-pct", "abc"},
           {"--data", kDataFile, "--set", "strategy.entry.score_threshold=2"},
           {"--data", dir_.path() + "/missing.csv"},
       }) {
    Outcome r = Backtest(args);
    EXPECT_FALSE(r.status.Exited(0)) << args[2];
    EXPECT_EQ(Lines(r.err).size(), 1u) << args[2] << ": " << r.err;
  }
}

// ---------------------------------------------------------------- several symbols

// Three of the bundled perpetuals over their common 30 days, on the
// recorded exchangeInfo's filters (set in a config file, as an operator would).
const std::vector<std::string> kThreeSymbols = {
    "--data", "SOLUSDT=data/market/solusdt_perp_5m_2023-07-18_2023-08-17.csv",
    "--data", "BNBUSDT=data/market/bnbusdt_perp_5m_2023-07-18_2023-08-17.csv",
    "--data", "XRPUSDT=data/market/xrpusdt_perp_5m_2023-07-18_2023-08-17.csv"};
constexpr size_t kThreeSymbolsBars = 3 * 8639;
const std::vector<std::string> kThreeFunding = {
    "--funding-data", "SOLUSDT=data/market/funding/solusdt_perp_funding_2023-07-18_2023-08-17.csv",
    "--funding-data", "BNBUSDT=data/market/funding/bnbusdt_perp_funding_2023-07-18_2023-08-17.csv",
    "--funding-data", "XRPUSDT=data/market/funding/xrpusdt_perp_funding_2023-07-18_2023-08-17.csv"};
constexpr size_t kThreeFundingTimes = 3 * 89;  // each file's 89 rates fall within the bars

// The data of an events line: its JSON without seq and ts_ns.
std::string EventData(const std::string& line) { return line.substr(line.find("\"type\"")); }

class Universe : public Audit {
 protected:
  void SetUp() override {
    config_ = Config("config.yaml", "");
  }
  // The documented config with the filters' file set and, unless empty,
  // universe.symbols set to `symbols` (YAML list text).
  std::string Config(const std::string& name, const std::string& symbols) {
    std::string text = ReadFile(SourcePath("config.yaml"));
    Replace(text, "  exchange_info_file: \"\"", "  exchange_info_file: data/market/exchangeInfo_fapi_2021-07-21.json");
    if (!symbols.empty()) Replace(text, "  symbols: []", absl::StrCat("  symbols: ", symbols));
    const std::string path = dir_.path() + "/" + name;
    WriteFile(path, text);
    return path;
  }
  static void Replace(std::string& text, const std::string& from, const std::string& to) {
    const size_t at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
  }
  std::vector<std::string> With(std::vector<std::string> args, const std::vector<std::string>& more) {
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }
  std::string config_;
};

TEST_F(Universe, PaperTradesSeveralRecordedSymbolsInOneLedgerAndReplayFindsNoDivergence) {
  Outcome run = RunTool(With({BOT_BIN, "--config", config_, "--ledger", ledger_, "--logs", logs_}, kThreeSymbols));
  ASSERT_TRUE(run.status.Exited(0)) << run.status << "\n" << run.err;
  EXPECT_THAT(run.out, HasSubstr("paper run END_OF_DATA: 3 symbols: BNBUSDT SOLUSDT XRPUSDT"));
  EXPECT_THAT(run.out, HasSubstr(absl::StrCat("bars ", kThreeSymbolsBars, " (this run ", kThreeSymbolsBars, ")")));
  // One decision per step over the three: 8639 steps, not 3 x 8639.
  Outcome decisions = Replay({"decisions", "--ledger", ledger_});
  EXPECT_TRUE(decisions.status.Exited(0)) << decisions.out << decisions.err;
  EXPECT_THAT(decisions.out, MatchesRegex("(.|\n)*0 divergences over [0-9]+ decisions \\(bar 8639, reaction [0-9]+\\)\n"));
  // Each symbol's own filters, from the file, journaled at start.
  Outcome filters = Replay({"events", "--ledger", ledger_, "--type", "InstrumentFiltersUpdated"});
  ASSERT_TRUE(filters.status.Exited(0)) << filters.err;
  EXPECT_THAT(filters.out, MatchesRegex("(.|\n)*\"SOLUSDT\"(.|\n)*\"exchangeInfo_file\"(.|\n)*\"tick_size\":0.001,(.|\n)*"));
  EXPECT_EQ(Lines(filters.out).size(), 3u) << filters.out;
  // The effective universe is journaled with the config.
  Outcome config = Replay({"events", "--ledger", ledger_, "--type", "ConfigLoaded"});
  EXPECT_THAT(config.out, HasSubstr("universe.symbols = BNBUSDT,SOLUSDT,XRPUSDT"));
  // Never more open at once than risk.max_positions (1): the state after
  // every event says so.
  Outcome positions = Replay({"events", "--ledger", ledger_, "--type", "PositionOpened", "--type", "PositionClosed"});
  int open = 0, most = 0;
  for (const std::string& line : Lines(positions.out)) {
    open += absl::StrContains(line, "PositionOpened") ? 1 : -1;
    most = std::max(most, open);
  }
  EXPECT_EQ(most, 1) << positions.out;
  // Run again: it resumes after the last step and finds nothing new.
  Outcome again = RunTool(With({BOT_BIN, "--config", config_, "--ledger", ledger_, "--logs", logs_}, kThreeSymbols));
  ASSERT_TRUE(again.status.Exited(0)) << again.err;
  EXPECT_THAT(again.out, HasSubstr(absl::StrCat("bars ", kThreeSymbolsBars, " (this run 0)")));
}

TEST_F(Universe, ABacktestCutAtAnInstantAndRunOnTradesAsOneUninterruptedRun) {
  const std::string whole = dir_.path() + "/whole", cut = dir_.path() + "/cut";
  Outcome ref = Backtest(With({"--config", config_, "--ledger", whole + "/ledger", "--report", whole}, kThreeSymbols));
  ASSERT_TRUE(ref.status.Exited(0)) << ref.status << "\n" << ref.err;
  EXPECT_THAT(ref.out, HasSubstr("trend_following_v1 on BNBUSDT, SOLUSDT, XRPUSDT 5m"));
  Outcome first = Backtest(With({"--config", config_, "--ledger", cut + "/ledger", "--to", "2023-08-01T07:35:00Z"}, kThreeSymbols));
  ASSERT_TRUE(first.status.Exited(0)) << first.status << "\n" << first.err;
  Outcome rest = Backtest(With({"--config", config_, "--ledger", cut + "/ledger", "--report", cut}, kThreeSymbols));
  ASSERT_TRUE(rest.status.Exited(0)) << rest.status << "\n" << rest.err;
  const std::vector<std::string> trades = WithoutSeq(ReadFile(fs::path(whole) / "trades.csv"));
  EXPECT_GT(trades.size(), 2u);
  EXPECT_EQ(WithoutSeq(ReadFile(fs::path(cut) / "trades.csv")), trades);
  Outcome decisions = Replay({"decisions", "--ledger", cut + "/ledger"});
  EXPECT_TRUE(decisions.status.Exited(0)) << decisions.out << decisions.err;
}

TEST_F(Universe, BacktestLikeASeveralSymbolLedgerReRunsEachSymbolsBarsOnItsFilters) {
  RunPaper(With({"--config", config_}, kThreeSymbols));
  Outcome like = Backtest({"--like", ledger_});
  ASSERT_TRUE(like.status.Exited(0)) << like.status << "\n" << like.err;
  EXPECT_THAT(like.out, MatchesRegex("(.|\n)*Trades in both: [1-9][0-9]* \\(0 differ\\), only in the ledger: 0, only in the backtest: 0(.|\n)*"));
}

// The seed's ranked universe over recorded bars: chosen once a day of bars
// is known and every day after, each choice judged again by the audit, and
// no position ever opened in a symbol outside the universe of its time.
TEST_F(Universe, ARankedUniverseOpensPositionsOnlyInTheSymbolsOfItsDay) {
  const std::string ranked = Config("ranked.yaml", "");
  std::string text = ReadFile(ranked);
  Replace(text, "  size: 0", "  size: 2");
  WriteFile(ranked, text);
  RunPaper(With({"--config", ranked}, kThreeSymbols));
  Outcome decisions = Replay({"decisions", "--ledger", ledger_});
  EXPECT_TRUE(decisions.status.Exited(0)) << decisions.out << decisions.err;
  // 30 days of bars: a choice on each day after the first.
  EXPECT_THAT(decisions.out, MatchesRegex("(.|\n)*0 divergences over [0-9]+ decisions \\(bar 8639, reaction [0-9]+, universe 29\\)\n"));
  Outcome events = Replay({"events", "--ledger", ledger_, "--type", "UniverseUpdated", "--type", "PositionOpened"});
  ASSERT_TRUE(events.status.Exited(0)) << events.err;
  std::set<std::string> universe;
  int opened = 0;
  const std::regex symbols_re("\"symbols\":\\[([^\\]]*)\\]"), symbol_re("\"symbol\":\"([A-Z0-9]+)\"");
  for (const std::string& line : Lines(events.out)) {
    std::smatch m;
    if (absl::StrContains(line, "\"type\":\"UniverseUpdated\"")) {
      ASSERT_TRUE(std::regex_search(line, m, symbols_re)) << line;
      universe.clear();
      for (absl::string_view s : absl::StrSplit(m[1].str(), ',', absl::SkipEmpty())) {
        universe.insert(std::string(absl::StripAsciiWhitespace(absl::StripSuffix(absl::StripPrefix(s, "\""), "\""))));
      }
      EXPECT_EQ(universe.size(), 2u) << line;
    } else {
      ASSERT_TRUE(std::regex_search(line, m, symbol_re)) << line;
      ++opened;
      if (!universe.empty()) EXPECT_TRUE(universe.contains(m[1].str())) << m[1] << " opened outside the universe: " << line;
    }
  }
  EXPECT_GT(opened, 0) << "no position opened: nothing was checked";
}

// The recorded funding rates: each journaled once at its time, open
// positions pay or receive them, the report and the summary count them, the
// audit computes each payment again, and a run cut in two pays exactly what
// one run pays.
TEST_F(Universe, RecordedFundingIsPaidOnOpenPositionsOnceAtEachFundingTimeEvenAcrossACut) {
  const std::string whole = dir_.path() + "/whole", cut = dir_.path() + "/cut";
  Outcome ref = Backtest(With(With({"--config", config_, "--ledger", whole + "/ledger", "--report", whole}, kThreeSymbols),
                              kThreeFunding));
  ASSERT_TRUE(ref.status.Exited(0)) << ref.status << "\n" << ref.err;
  Outcome updates = Replay({"events", "--ledger", whole + "/ledger", "--type", "FundingUpdate"});
  EXPECT_EQ(Lines(updates.out).size(), kThreeFundingTimes);
  Outcome paid = Replay({"events", "--ledger", whole + "/ledger", "--type", "FundingPaid"});
  const std::vector<std::string> payments = Lines(paid.out);
  ASSERT_FALSE(payments.empty()) << "no position was open at a funding time: nothing was checked";
  for (const std::string& line : payments) {
    // 2023-07/08: the rates were mostly +0.01 %, so a long paid.
    if (absl::StrContains(line, "\"side\":\"BUY\"") && absl::StrContains(line, "\"funding_rate\":0.0001,")) {
      EXPECT_THAT(line, HasSubstr("\"amount\":-")) << line;
    }
  }
  // The report's funding is the sum of the payments.
  double sum = 0;
  const std::regex amount_re("\"amount\":(-?[0-9.]+)");
  for (const std::string& line : payments) {
    std::smatch m;
    ASSERT_TRUE(std::regex_search(line, m, amount_re)) << line;
    sum += std::stod(m[1].str());
  }
  EXPECT_NEAR(JsonNumber(ReadFile(fs::path(whole) / "report.json"), "funding"), sum, 0.005);
  Outcome decisions = Replay({"decisions", "--ledger", whole + "/ledger"});
  EXPECT_TRUE(decisions.status.Exited(0)) << decisions.out << decisions.err;
  EXPECT_THAT(decisions.out, HasSubstr(absl::StrCat("funding ", payments.size())));
  EXPECT_THAT(decisions.out, HasSubstr("0 divergences"));

  Outcome first = Backtest(With(With({"--config", config_, "--ledger", cut + "/ledger", "--to", "2023-08-01T08:00:00Z"},
                                     kThreeSymbols), kThreeFunding));
  ASSERT_TRUE(first.status.Exited(0)) << first.status << "\n" << first.err;
  Outcome rest = Backtest(With(With({"--config", config_, "--ledger", cut + "/ledger"}, kThreeSymbols), kThreeFunding));
  ASSERT_TRUE(rest.status.Exited(0)) << rest.status << "\n" << rest.err;
  for (const char* type : {"FundingUpdate", "FundingPaid"}) {
    std::vector<std::string> a, b;
    for (const std::string& line : Lines(Replay({"events", "--ledger", whole + "/ledger", "--type", type}).out)) {
      a.push_back(EventData(line));
    }
    for (const std::string& line : Lines(Replay({"events", "--ledger", cut + "/ledger", "--type", type}).out)) {
      b.push_back(EventData(line));
    }
    EXPECT_EQ(b, a) << type;
  }
}

// A rate beyond the limits: every entry is refused FUNDING_TOO_HIGH, and a
// ranked universe drops every symbol for it.
TEST_F(Universe, AFundingRateBeyondTheLimitsRefusesEveryEntryAndEmptiesTheUniverse) {
  Outcome run = RunTool(With({BOT_BIN, "--config", config_, "--ledger", ledger_, "--logs", logs_,
                              "--constant-funding-rate", "0.0015"}, kThreeSymbols));
  ASSERT_TRUE(run.status.Exited(0)) << run.status << "\n" << run.err;
  EXPECT_THAT(run.out, HasSubstr("trades 0 "));
  Outcome rejected = Replay({"events", "--ledger", ledger_, "--type", "RiskRejected"});
  ASSERT_FALSE(Lines(rejected.out).empty()) << "no entry was proposed: nothing was checked";
  for (const std::string& line : Lines(rejected.out)) EXPECT_THAT(line, HasSubstr("FUNDING_TOO_HIGH")) << line;
  Outcome decisions = Replay({"decisions", "--ledger", ledger_});
  EXPECT_THAT(decisions.out, HasSubstr("0 divergences"));

  const std::string ranked = Config("ranked.yaml", "");
  std::string text = ReadFile(ranked);
  Replace(text, "  size: 0", "  size: 2");
  WriteFile(ranked, text);
  const std::string ledger = dir_.path() + "/ranked";
  Outcome bt = Backtest(With({"--config", ranked, "--ledger", ledger, "--constant-funding-rate", "-0.0015"}, kThreeSymbols));
  ASSERT_TRUE(bt.status.Exited(0)) << bt.status << "\n" << bt.err;
  Outcome chosen = Replay({"events", "--ledger", ledger, "--type", "UniverseUpdated"});
  ASSERT_FALSE(Lines(chosen.out).empty());
  for (const std::string& line : Lines(chosen.out)) {
    EXPECT_THAT(line, HasSubstr("\"symbols\":[]")) << line;
    EXPECT_THAT(line, Not(HasSubstr("KEPT"))) << line;
  }
}

TEST_F(Universe, FundingFlagsThatCannotBeUsedAreRefusedInOneLine) {
  struct Case {
    std::vector<std::string> args;
    std::string error;
  } cases[] = {
      {{"--funding-data", "data/market/funding/solusdt_perp_funding_2023-07-18_2023-08-17.csv"},
       "--funding-data data/market/funding/solusdt_perp_funding_2023-07-18_2023-08-17.csv: expected SYMBOL=FILE"},
      {{"--funding-data", "ETHUSDT=data/market/funding/ethusdt_perp_funding_2023-07-04_2023-08-17.csv"},
       "--funding-data ETHUSDT=data/market/funding/ethusdt_perp_funding_2023-07-04_2023-08-17.csv: no bars were given for ETHUSDT"},
      {{"--funding-data", "SOLUSDT=data/market/funding/xrpusdt_perp_funding_2023-07-18_2023-08-17.csv"},
       "data/market/funding/xrpusdt_perp_funding_2023-07-18_2023-08-17.csv:2: symbol XRPUSDT in a file given for SOLUSDT"},
      {{"--constant-funding-rate", "1%"}, "--constant-funding-rate: expected a fraction within +-0.1 per 8 h"},
      {{"--mode", "testnet", "--constant-funding-rate", "0.0001"},
       "--funding-data and --constant-funding-rate are for paper runs and backtests: testnet and live pay the venue's funding"},
  };
  for (const Case& c : cases) {
    Outcome run = RunTool(With(With({BOT_BIN, "--config", config_, "--ledger", ledger_, "--logs", logs_}, kThreeSymbols), c.args));
    EXPECT_TRUE(run.status.exited && run.status.code != 0) << run.status << " " << c.error;
    EXPECT_THAT(run.err, HasSubstr(c.error));
    EXPECT_EQ(Lines(run.err).size(), 1u) << run.err;
  }
  EXPECT_FALSE(fs::exists(ledger_)) << "a refused start wrote a ledger";
}

TEST_F(Universe, DataAndUniverseThatDisagreeAreRefusedInOneLineNamingTheSymbol) {
  const std::string sol_eth = Config("sol-eth.yaml", "[SOLUSDT, ETHUSDT]");
  const std::string sol = Config("sol.yaml", "[SOLUSDT]");
  struct Case {
    std::vector<std::string> args;
    std::string names;
  } cases[] = {
      // listed, but no bars for it
      {With({"--config", sol_eth}, {"--data", kThreeSymbols[1]}), "universe.symbols lists ETHUSDT but no bars were given for it"},
      // bars for a symbol the list does not have
      {With({"--config", sol}, kThreeSymbols), "--data BNBUSDT=...: BNBUSDT is not in universe.symbols (SOLUSDT)"},
      // a symbol on another symbol's tick
      {{"--data", "ADAUSDT=data/market/adausdt_perp_5m_2023-07-03_2023-08-17.csv"},
       "ADAUSDT: data/market/adausdt_perp_5m_2023-07-03_2023-08-17.csv: the bar opening at 2023-07-03T23:30:00Z is "
       "priced 0.2957, off the price tick 0.1 (paper_sim.price_tick)"},
      {{"--data", "BTCUSDT="}, "--data BTCUSDT=: expected FILE or SYMBOL=FILE"},
  };
  for (const Case& c : cases) {
    Outcome r = RunTool(With({BOT_BIN, "--ledger", ledger_, "--logs", logs_}, c.args));
    EXPECT_TRUE(r.status.exited && r.status.code != 0) << r.status << "\n" << r.err;
    EXPECT_THAT(r.err, HasSubstr(c.names));
    EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
  }
  EXPECT_FALSE(fs::exists(ledger_)) << "a refused start wrote a ledger";
}

}  // namespace
}  // namespace apollo
