// The backtest report: figures from trades and the equity curve, and the
// three files a user opens (report.json, report.md, equity.svg).
#include "replay/report.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <regex>
#include <string>
#include <utility>
#include <vector>

namespace apollo::replay {
namespace {

constexpr int64_t kHourNs = int64_t{3'600} * 1'000'000'000;
constexpr int64_t kDayNs = 24 * kHourNs;
constexpr int64_t kJan1Ns = int64_t{1'672'531'200} * 1'000'000'000;  // 2023-01-01T00:00:00Z

int64_t At(int day, int hour = 0) { return kJan1Ns + day * kDayNs + hour * kHourNs; }
Fixed Usdt(double v) { return Fixed::FromDouble(v); }

TradeRow Trade(double pnl, double fees, Side side = Side::kBuy, int64_t close_ns = At(1)) {
  TradeRow t;
  t.symbol = "BTCUSDT";
  t.side = side;
  t.qty = Usdt(0.01);
  t.realized_pnl = Usdt(pnl);
  t.fees = Usdt(fees);
  t.close_ts_ns = close_ns;
  t.reason = "TAKE_PROFIT";
  return t;
}

// An input whose equity points are the given values, one per day at noon.
ReportInput DailyCurve(double initial, const std::vector<double>& values) {
  ReportInput in;
  in.title = "test";
  in.initial_equity = Usdt(initial);
  in.from_ns = At(0);
  in.to_ns = At(static_cast<int>(values.size()));
  for (size_t i = 0; i < values.size(); ++i) in.equity.push_back({At(static_cast<int>(i), 12), Usdt(values[i])});
  in.final_equity = values.empty() ? in.initial_equity : Usdt(values.back());
  in.bars = values.size();
  return in;
}

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

// Every tag closed in order, quotes balanced inside tags; "" if so.
std::string XmlProblem(const std::string& doc) {
  std::vector<std::string> open;
  for (size_t at = doc.find('<'); at != std::string::npos; at = doc.find('<', at + 1)) {
    const size_t end = doc.find('>', at);
    if (end == std::string::npos) return "unterminated tag";
    const std::string tag = doc.substr(at + 1, end - at - 1);
    if (Count(tag, "\"") % 2 != 0) return "unbalanced quotes in <" + tag + ">";
    const std::string name = tag.substr(tag[0] == '/' ? 1 : 0, tag.find_first_of(" />", 1) - (tag[0] == '/' ? 1 : 0));
    if (tag[0] == '/') {
      if (open.empty() || open.back() != name) return "unexpected </" + name + ">";
      open.pop_back();
    } else if (tag.back() != '/') {
      open.push_back(name);
    }
  }
  return open.empty() ? "" : "unclosed <" + open.back() + ">";
}

// The y coordinates of the equity polyline.
std::vector<double> EquityYs(const std::string& svg) {
  const size_t line = svg.find("<polyline class=\"equity\"");
  const size_t begin = svg.find("points=\"", line) + 8;
  const std::string points = svg.substr(begin, svg.find('"', begin) - begin);
  std::vector<double> ys;
  for (size_t comma = points.find(','); comma != std::string::npos; comma = points.find(',', comma + 1)) {
    ys.push_back(std::stod(points.substr(comma + 1)));
  }
  return ys;
}

std::vector<std::string> TopLevelJsonKeys(const std::string& json) {
  std::vector<std::string> keys;
  const std::regex key("^  \"([a-z_]+)\": ");
  size_t begin = 0;
  for (size_t nl = json.find('\n'); nl != std::string::npos; begin = nl + 1, nl = json.find('\n', begin)) {
    std::smatch m;
    const std::string line = json.substr(begin, nl - begin);
    if (std::regex_search(line, m, key)) keys.push_back(m[1]);
  }
  return keys;
}

TEST(Report, WinRateAndProfitFactorFromTrades) {
  ReportInput in = DailyCurve(1000, {1000});
  in.trades = {Trade(101, 1), Trade(-48, 2), Trade(1, 1), Trade(31, 1, Side::kSell)};  // +100 -50 0 +30
  const Report r = ComputeReport(in);
  EXPECT_EQ(r.trades, 4u);
  EXPECT_EQ(r.long_trades, 3u);
  EXPECT_EQ(r.short_trades, 1u);
  EXPECT_EQ(r.wins, 3u);  // a trade netting exactly 0 is a win, as the fold counts it
  EXPECT_EQ(r.losses, 1u);
  EXPECT_DOUBLE_EQ(r.win_rate_pct, 75.0);
  EXPECT_DOUBLE_EQ(r.profit_factor, 130.0 / 50.0);
  EXPECT_DOUBLE_EQ(r.expectancy, 80.0 / 4);
  EXPECT_DOUBLE_EQ(r.avg_win, 130.0 / 3);
  EXPECT_DOUBLE_EQ(r.avg_loss, -50.0);
  EXPECT_DOUBLE_EQ(r.best_trade, 100.0);
  EXPECT_DOUBLE_EQ(r.worst_trade, -50.0);
  EXPECT_DOUBLE_EQ(r.gross_pnl, 101 - 48 + 1 + 31);
  EXPECT_EQ(r.max_consecutive_wins, 2u);
  EXPECT_EQ(r.max_consecutive_losses, 1u);
}

TEST(Report, StreaksCountTheLongestRunOfWinsAndOfLosses) {
  ReportInput in = DailyCurve(1000, {1000});
  in.trades = {Trade(5, 0), Trade(-1, 0), Trade(-1, 0), Trade(-1, 0), Trade(5, 0), Trade(-1, 0)};
  const Report r = ComputeReport(in);
  EXPECT_EQ(r.max_consecutive_wins, 1u);
  EXPECT_EQ(r.max_consecutive_losses, 3u);
}

TEST(Report, OnlyWinsGivesProfitFactorZeroNotInfinity) {
  ReportInput in = DailyCurve(1000, {1010});
  in.trades = {Trade(6, 1), Trade(6, 1)};
  const Report r = ComputeReport(in);
  EXPECT_EQ(r.profit_factor, 0.0);
  EXPECT_EQ(r.avg_loss, 0.0);
  EXPECT_DOUBLE_EQ(r.win_rate_pct, 100.0);
}

TEST(Report, MaxDrawdownHasPeakTroughAndDuration) {
  // Peak 1100 on day 1, trough 880 on day 3 (-20 %), back at 1100 on day 5;
  // a shallower dip afterwards does not replace it.
  const ReportInput in = DailyCurve(1000, {1000, 1100, 990, 880, 1000, 1100, 1050, 1200});
  const Report r = ComputeReport(in);
  EXPECT_NEAR(r.max_drawdown_pct, 20.0, 1e-9);
  EXPECT_NEAR(r.max_drawdown_abs, 220.0, 1e-9);
  EXPECT_EQ(r.max_drawdown_start_ns, At(1, 12));
  EXPECT_EQ(r.max_drawdown_end_ns, At(3, 12));
  EXPECT_NEAR(r.max_drawdown_duration_days, 4.0, 1e-12);
}

TEST(Report, DrawdownNeverRecoveredLastsToTheLastPoint) {
  const ReportInput in = DailyCurve(1000, {1000, 900, 950, 960});
  const Report r = ComputeReport(in);
  EXPECT_NEAR(r.max_drawdown_pct, 10.0, 1e-9);
  EXPECT_EQ(r.max_drawdown_start_ns, At(0, 12));  // 1000 again at the first point: the peak moves there
  EXPECT_EQ(r.max_drawdown_end_ns, At(1, 12));
  EXPECT_NEAR(r.max_drawdown_duration_days, 3.0, 1e-12);
}

TEST(Report, DrawdownBelowTheInitialEquityCountsFromTheStart) {
  const ReportInput in = DailyCurve(1000, {800, 1000});
  const Report r = ComputeReport(in);
  EXPECT_NEAR(r.max_drawdown_pct, 20.0, 1e-9);
  EXPECT_EQ(r.max_drawdown_start_ns, in.from_ns);
  EXPECT_NEAR(r.max_drawdown_duration_days, 1.5, 1e-12);
}

TEST(Report, SharpeUsesDailyReturnsAndSqrt365) {
  // Several points a day: only each UTC day's last one counts.
  ReportInput in = DailyCurve(100, {});
  const std::vector<std::pair<int64_t, double>> points = {
      {At(0, 1), 150}, {At(0, 23), 110},   // day 0: 110 / 100 - 1 = +10 %
      {At(1, 5), 50},  {At(1, 20), 99},    // day 1:  99 / 110 - 1 = -10 %
      {At(2, 12), 108.9}};                 // day 2: 108.9 / 99 - 1 = +10 %
  for (const auto& [ts, v] : points) in.equity.push_back({ts, Usdt(v)});
  in.to_ns = At(3);
  in.final_equity = Usdt(108.9);
  const Report r = ComputeReport(in);

  const double mean = (0.1 - 0.1 + 0.1) / 3;
  const double sample_var = ((0.1 - mean) * (0.1 - mean) * 2 + (-0.1 - mean) * (-0.1 - mean)) / (3 - 1);
  EXPECT_NEAR(r.sharpe, mean / std::sqrt(sample_var) * std::sqrt(365.0), 1e-9);
  const double downside = std::sqrt(0.1 * 0.1 / 3);  // one losing day, over all three days
  EXPECT_NEAR(r.sortino, mean / downside * std::sqrt(365.0), 1e-9);
  EXPECT_NEAR(r.sharpe, 5.5151, 1e-4);  // = sqrt(365 / 12)
}

TEST(Report, SortinoIsZeroWithoutALosingDay) {
  const Report r = ComputeReport(DailyCurve(100, {101, 102, 103}));
  EXPECT_GT(r.sharpe, 0);
  EXPECT_EQ(r.sortino, 0.0);
}

TEST(Report, CagrOverThePeriodAndCalmarAgainstMaxDrawdown) {
  ReportInput in = DailyCurve(1000, {900, 1100});
  in.to_ns = in.from_ns + 730 * kDayNs;  // two 365-day years
  const Report r = ComputeReport(in);
  EXPECT_NEAR(r.total_return_pct, 10.0, 1e-9);
  EXPECT_NEAR(r.cagr_pct, (std::sqrt(1.1) - 1) * 100, 1e-9);
  EXPECT_NEAR(r.max_drawdown_pct, 10.0, 1e-9);
  EXPECT_NEAR(r.calmar, r.cagr_pct / 10.0, 1e-9);
}

TEST(Report, NoTradesGivesZerosNotNaN) {
  for (const ReportInput& in : {ReportInput{}, DailyCurve(1000, {1000}), DailyCurve(0, {0, 0}),
                                DailyCurve(1000, {1000, 1000, 1000})}) {
    const Report r = ComputeReport(in);
    for (const double v : {r.win_rate_pct, r.profit_factor, r.expectancy, r.avg_win, r.avg_loss, r.best_trade,
                           r.worst_trade, r.gross_pnl, r.net_pnl, r.total_return_pct, r.cagr_pct, r.sharpe, r.sortino,
                           r.calmar, r.max_drawdown_pct, r.max_drawdown_abs, r.max_drawdown_duration_days}) {
      EXPECT_EQ(v, 0.0);
    }
    EXPECT_EQ(r.trades, 0u);
    EXPECT_EQ(r.max_drawdown_start_ns, 0);
    const std::string all = ReportJson(in, r) + ReportMarkdown(in, r) + EquitySvg(in, r);
    EXPECT_EQ(all.find("nan"), std::string::npos);
    EXPECT_EQ(all.find("inf"), std::string::npos);
    EXPECT_EQ(XmlProblem(EquitySvg(in, r)), "");
  }
}

TEST(Report, ABarsWorthOfProfitDoesNotOverflowCagr) {
  ReportInput in = DailyCurve(1000, {2000});
  in.to_ns = in.from_ns + kHourNs / 12;  // 5 minutes: (2)^(105120) - 1
  const Report r = ComputeReport(in);
  EXPECT_TRUE(std::isfinite(r.cagr_pct));
  EXPECT_EQ(ReportJson(in, r).find("inf"), std::string::npos);
}

TEST(Report, AccountingIdentityNetPnlEqualsFinalMinusInitial) {
  ReportInput in = DailyCurve(10000, {10000, 10150});
  in.trades = {Trade(120, 4), Trade(-30, 3, Side::kSell)};
  in.fees = Usdt(4 + 3 + 2.5);  // also the entry fee of the position still open
  in.funding = Usdt(-1.25);
  in.open_pnl = Usdt(70.75);
  in.final_equity = in.initial_equity + Usdt(120 - 30) - in.fees + in.funding + in.open_pnl;
  const Report r = ComputeReport(in);
  EXPECT_DOUBLE_EQ(r.net_pnl, r.final_equity - r.initial_equity);
  EXPECT_NEAR(r.gross_pnl - r.fees + r.funding + r.open_pnl, r.net_pnl, 1e-8);
  EXPECT_NEAR(r.net_pnl, 150.0, 1e-8);
  EXPECT_NEAR(r.total_return_pct, 1.5, 1e-9);
}

TEST(Report, TimeInMarketIsTheShareOfBarsWithAPosition) {
  ReportInput in = DailyCurve(1000, {1000, 1000, 1000, 1000});
  in.equity[1].in_market = in.equity[2].in_market = in.equity[3].in_market = true;
  EXPECT_DOUBLE_EQ(ComputeReport(in).time_in_market_pct, 75.0);
}

TEST(Report, SvgIsWellFormedAndMarksEveryTrade) {
  ReportInput in = DailyCurve(10000, {10000, 10100, 10050, 9900, 10200, 10300, 10250, 10400, 10350, 10500});
  in.title = "trend <v1> & \"co\"";
  in.trades = {Trade(100, 1, Side::kBuy, At(1, 12)), Trade(-150, 1, Side::kSell, At(3, 12)),
               Trade(300, 1, Side::kBuy, At(4, 12)), Trade(200, 2, Side::kBuy, At(9, 12))};
  in.trades[0].open_ts_ns = At(0, 12);
  const std::string svg = EquitySvg(in, ComputeReport(in));

  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
  EXPECT_EQ(XmlProblem(svg), "");
  EXPECT_NE(svg.find("trend &lt;v1&gt; &amp; &quot;co&quot;"), std::string::npos);
  EXPECT_EQ(Count(svg, "<circle class=\"exit "), in.trades.size());
  EXPECT_EQ(Count(svg, "<circle class=\"exit win\""), 3u);
  EXPECT_EQ(Count(svg, "<circle class=\"exit loss\""), 1u);
  EXPECT_EQ(Count(svg, "<path class=\"entry win\""), 1u);
  EXPECT_EQ(Count(svg, "<polyline class=\"equity\""), 1u);
  EXPECT_EQ(Count(svg, "<polygon class=\"underwater\""), 1u);

  const std::regex date_label("class=\"date\"[^>]*>(\\d{4}-\\d{2}-\\d{2})<");
  const auto labels = std::distance(std::sregex_iterator(svg.begin(), svg.end(), date_label), std::sregex_iterator());
  EXPECT_GE(labels, 4);
  EXPECT_LE(labels, 8);
  EXPECT_NE(svg.find(">2023-01-01<"), std::string::npos);
  EXPECT_NE(svg.find(">10,000<"), std::string::npos);
  EXPECT_NE(svg.find("Equity (USDT)"), std::string::npos);
}

TEST(Report, SvgOfALongRunIsDownsampledDeterministicAndKeepsTheDip) {
  ReportInput in = DailyCurve(1000, {});
  for (int i = 0; i < 20000; ++i) {
    const double v = i == 12345 ? 500 : 1000 + (i % 2);
    in.equity.push_back({in.from_ns + (i + 1) * kHourNs / 12, Usdt(v)});
  }
  in.to_ns = in.equity.back().ts_ns;
  in.final_equity = in.equity.back().equity;
  const Report r = ComputeReport(in);
  const std::string svg = EquitySvg(in, r);
  EXPECT_EQ(svg, EquitySvg(in, r));
  EXPECT_EQ(XmlProblem(svg), "");

  std::vector<double> ys = EquityYs(svg);
  EXPECT_LE(ys.size(), 4000u);
  EXPECT_GT(ys.size(), 1000u);
  std::sort(ys.begin(), ys.end());
  EXPECT_GT(ys.back() - ys[ys.size() / 2], 100.0) << "the dip to 500 is drawn, well below the rest";
}

TEST(Report, MarkdownTableListsEveryMetric) {
  ReportInput in = DailyCurve(10000, {10000, 10500, 10200});
  in.trades = {Trade(600, 1), Trade(-200, 1, Side::kSell)};
  const std::string md = ReportMarkdown(in, ComputeReport(in));
  EXPECT_EQ(md.rfind("# Backtest report: test\n", 0), 0u);
  EXPECT_NE(md.find("| metric | value |\n"), std::string::npos);
  for (const char* metric :
       {"Period start", "Period end", "Days", "Bars", "Trades", "Wins / losses", "Win rate", "Profit factor",
        "Expectancy", "Average win", "Average loss", "Best trade", "Worst trade", "Max consecutive wins",
        "Max consecutive losses", "Gross PnL", "Fees", "Funding", "Open PnL", "Net PnL", "Initial equity",
        "Final equity", "Total return", "CAGR", "Sharpe", "Sortino", "Calmar", "Max drawdown", "Max drawdown peak",
        "Max drawdown trough", "Max drawdown duration", "Time in market", "Circuit-breaker trips",
        "Gaps in the data"}) {
    EXPECT_NE(md.find(std::string("\n| ") + metric + " | "), std::string::npos) << metric;
  }
  EXPECT_NE(md.find("| Win rate | 50.00 % |"), std::string::npos);
  EXPECT_NE(md.find("| Trades | 2 (long 1, short 1) |"), std::string::npos);
  EXPECT_NE(md.find("| Net PnL | 200.00 USDT |"), std::string::npos);
  EXPECT_NE(md.find("| Initial equity | 10,000.00 USDT |"), std::string::npos);
  EXPECT_NE(md.find("| Worst trade | -201.00 USDT |"), std::string::npos);
  EXPECT_NE(md.find("| Period start | 2023-01-01T00:00:00Z |"), std::string::npos);
}

TEST(Report, MarkdownListsRejectionsAndGapsOnlyWhenThereAreAny) {
  ReportInput in = DailyCurve(1000, {1000});
  const std::string plain = ReportMarkdown(in, ComputeReport(in));
  EXPECT_NE(plain.find("## Risk rejections\n\nNone.\n"), std::string::npos);
  EXPECT_EQ(plain.find("## Gaps"), std::string::npos);

  in.risk_rejections = {{"MAX_DAILY_LOSS", 3}, {"MAX_LEVERAGE", 1}};
  in.gaps = {{"data/BTCUSDT-5m-2023-01.csv", 1672574400000, 1672576200000, 5}};
  const std::string md = ReportMarkdown(in, ComputeReport(in));
  EXPECT_NE(md.find("- MAX_DAILY_LOSS: 3\n- MAX_LEVERAGE: 1\n"), std::string::npos);
  EXPECT_NE(md.find("## Gaps in the data\n\n- data/BTCUSDT-5m-2023-01.csv: after 2023-01-01T12:00:00Z, before "
                    "2023-01-01T12:30:00Z, 5 missing bars\n"),
            std::string::npos);
}

TEST(Report, JsonHasStableKeys) {
  const std::vector<std::string> expected = {
      "title", "currency", "from", "to", "days", "bars", "trades", "long_trades", "short_trades", "wins", "losses",
      "win_rate_pct", "profit_factor", "expectancy", "avg_win", "avg_loss", "best_trade", "worst_trade",
      "max_consecutive_wins", "max_consecutive_losses", "gross_pnl", "net_pnl", "fees", "funding", "open_pnl",
      "initial_equity", "final_equity", "total_return_pct", "cagr_pct", "sharpe", "sortino", "calmar",
      "max_drawdown_pct", "max_drawdown_abs", "max_drawdown_start", "max_drawdown_end", "max_drawdown_duration_days",
      "time_in_market_pct", "risk_rejections", "circuit_breaker_trips", "gaps"};
  ReportInput full = DailyCurve(1000, {1000, 900, 1100});
  full.trades = {Trade(100, 1)};
  full.risk_rejections = {{"MAX_LEVERAGE", 2}};
  full.gaps = {{"a.csv", 1672574400000, 1672576200000, 5}};
  for (const ReportInput& in : {ReportInput{}, full}) {
    const std::string json = ReportJson(in, ComputeReport(in));
    EXPECT_EQ(TopLevelJsonKeys(json), expected);
    EXPECT_EQ(json.front(), '{');
    EXPECT_EQ(json.substr(json.size() - 2), "}\n");
  }
}

TEST(Report, JsonPrintsTimesAsIsoAndEscapesStrings) {
  ReportInput in = DailyCurve(1000, {1000, 900, 1100});
  in.title = "say \"hi\"\nback\\slash";
  in.risk_rejections = {{"MAX_LEVERAGE", 2}, {"MAX_DAILY_LOSS", 1}};
  in.circuit_breaker_trips = 1;
  in.gaps = {{"a.csv", 1672574400000, 1672576200000, 5}};
  const std::string json = ReportJson(in, ComputeReport(in));
  EXPECT_NE(json.find(R"("title": "say \"hi\"\nback\\slash",)"), std::string::npos);
  EXPECT_NE(json.find(R"("from": "2023-01-01T00:00:00Z",)"), std::string::npos);
  EXPECT_NE(json.find(R"("max_drawdown_start": "2023-01-01T12:00:00Z",)"), std::string::npos);
  EXPECT_NE(json.find(R"("max_drawdown_pct": 10,)"), std::string::npos);
  EXPECT_NE(json.find(R"("initial_equity": 1000.00000000,)"), std::string::npos);
  EXPECT_NE(json.find(R"("risk_rejections": {"MAX_DAILY_LOSS": 1, "MAX_LEVERAGE": 2},)"), std::string::npos);
  EXPECT_NE(json.find(R"("circuit_breaker_trips": 1,)"), std::string::npos);
  EXPECT_NE(json.find(R"({"file": "a.csv", "after_open_time": "2023-01-01T12:00:00Z", )"
                      R"("next_open_time": "2023-01-01T12:30:00Z", "missing_bars": 5})"),
            std::string::npos);
  EXPECT_NE(ReportJson(ReportInput{}, ComputeReport(ReportInput{})).find(R"("max_drawdown_start": null,)"),
            std::string::npos);
}

}  // namespace
}  // namespace apollo::replay
