// The seed's performance and reconciliation metrics as the engine's observer
// renders them from the folded ledger: closes, win rate, expectancy, profit
// factors, time in market, holding time, slippage, reconciliation outcomes
// by type, and what a restarted process counts.
#include "engine/ops/engine_metrics.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/domain/codec.h"
#include "tests/support/kalshi_instruments.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace apollo::ops {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000'000'000;  // 2023-11-14T22:13:20Z
constexpr int64_t kHour = 3'600'000'000'000;
const Symbol kBtc{"BTCUSDT"};

Fixed F(const char* s) { return *Fixed::Parse(s); }

// The value of one rendered series (`series` as rendered, labels included).
std::optional<double> Sample(const std::string& body, const std::string& series) {
  for (absl::string_view line : absl::StrSplit(body, '\n')) {
    if (!absl::StartsWith(line, series + " ")) continue;
    const std::string value(line.substr(series.size() + 1));
    if (value == "+Inf") return std::numeric_limits<double>::infinity();
    double v = 0;
    if (absl::SimpleAtod(value, &v)) return v;
  }
  return std::nullopt;
}

// A ledger fed to the fold and, in commits, to the observer.
class Book {
 public:
  explicit Book(EngineMetrics* observer) : observer_(observer) {}
  void Add(EventBody body, int64_t ts_ns) {
    Event e{state_.last_seq + 1, ts_ns, std::move(body)};
    ASSERT_TRUE(Apply(state_, e).ok()) << EventToJson(e);
    pending_.push_back(std::move(e));
  }
  void Commit() {
    observer_->OnCommitted(pending_, state_, 0.001);
    pending_.clear();
  }
  // A long of 1 opened at `open_h` and closed at `close_h` hours, net `net`
  // (the entry's fee of 1 included), its market entry filled at `fill`
  // against a last close of 100.
  void Trade(int n, int open_h, int close_h, int net, const char* fill = "100") {
    const ClientOrderId id{absl::StrCat("ap-", n, "-E")};
    Add(CandleClose{kBtc, "5m", n * 300'000, F("100"), F("100"), F("100"), F("100"), F("1")}, kT0 + open_h * kHour);
    Add(OrderPlaced{id, kBtc, Side::kBuy, OrderType::kMarket, OrderPurpose::kEntry, F("1"), Fixed(), Fixed(), false, {}},
        kT0 + open_h * kHour);
    Add(OrderFilled{{id, TradeId{absl::StrCat("t", n)}, F(fill), F("1"), F("1")}}, kT0 + open_h * kHour);
    Add(PositionOpened{kBtc, Side::kBuy, F("1"), F(fill), Fixed(), Fixed(), F("1"), id}, kT0 + open_h * kHour);
    Add(PositionClosed{kBtc, Side::kBuy, F("1"), F(fill), F(fill), Fixed::FromInt(net + 1), F("1"), CloseReason::kTakeProfit},
        kT0 + close_h * kHour);
  }
  const State& state() const { return state_; }

 private:
  EngineMetrics* observer_;
  State state_;
  std::vector<Event> pending_;
};

TEST(EngineMetrics, SeedPerformanceSeriesFollowTheClosedTrades) {
  Metrics m;
  EngineMetrics observer(&m, nullptr, Mode::kPaper);
  Book book(&observer);
  book.Add(ConfigLoaded{"h", "v", Fixed::FromInt(10000)}, kT0);
  book.Trade(1, 1, 3, 30, "100.5");  // +30 after 2 h, filled 50 bps above the close
  book.Trade(2, 4, 5, -10);          // -10 after 1 h
  book.Add(ReconciliationCompleted{}, kT0 + 10 * kHour);
  book.Add(ManualInterventionDetected{{Discrepancy{InterventionAction::kBalanceMismatch}}}, kT0 + 10 * kHour);
  book.Commit();
  std::string body = m.Render();
  EXPECT_EQ(Sample(body, "trades_closed_total"), 2.0) << body;
  EXPECT_EQ(Sample(body, "fees_paid_total"), 2.0);
  EXPECT_EQ(Sample(body, "win_rate_pct"), 50.0);
  EXPECT_EQ(Sample(body, "expectancy_per_trade"), 10.0) << "(30 - 10) / 2";
  EXPECT_EQ(Sample(body, "profit_factor_7d"), 3.0);
  EXPECT_EQ(Sample(body, "profit_factor_30d"), 3.0);
  EXPECT_EQ(Sample(body, "profit_factor_session"), 0.0) << "no close since this process started";
  EXPECT_EQ(Sample(body, "avg_holding_time_hours"), 1.5);
  EXPECT_EQ(Sample(body, "time_in_market_pct"), 30.0) << "3 of the ledger's 10 hours";
  EXPECT_EQ(Sample(body, "reconciliation_success_total"), 1.0);
  EXPECT_EQ(Sample(body, "reconciliation_failure_total"), 0.0);
  EXPECT_EQ(Sample(body, "reconciliation_discrepancy_total{type=\"BALANCE_MISMATCH\"}"), 1.0);
  EXPECT_EQ(Sample(body, "reconciliation_discrepancy_total{type=\"POSITION_OPENED_EXTERNALLY\"}"), 0.0);
  EXPECT_EQ(Sample(body, "slippage_bps_count"), 2.0);
  EXPECT_NEAR(*Sample(body, "slippage_bps_sum"), 50.0, 1e-9);

  // A win after the start: this session's profit factor has no loss yet.
  book.Trade(3, 11, 12, 5);
  book.Commit();
  body = m.Render();
  EXPECT_EQ(Sample(body, "profit_factor_session"), std::numeric_limits<double>::infinity()) << body;
  EXPECT_EQ(Sample(body, "trades_closed_total"), 3.0);
  EXPECT_EQ(Sample(body, "profit_factor_7d"), 3.5);

  // Eight days on, the first two closes are out of the 7-day window.
  book.Trade(4, 8 * 24, 8 * 24 + 1, -2);
  book.Commit();
  body = m.Render();
  EXPECT_EQ(Sample(body, "profit_factor_7d"), 0.0) << "one losing close in the window";
  EXPECT_EQ(Sample(body, "profit_factor_30d"), 35.0 / 12.0);

  // An open long of 40 at 2x, last close 100, and a spread refusal.
  const ClientOrderId id{"ap-9-E"};
  book.Add(CandleClose{kBtc, "5m", 9 * 300'000, F("100"), F("100"), F("100"), F("100"), F("1")}, kT0 + 200 * kHour);
  book.Add(OrderPlaced{id, kBtc, Side::kBuy, OrderType::kMarket, OrderPurpose::kEntry, F("40"), Fixed(), Fixed(), false, {}},
           kT0 + 200 * kHour);
  book.Add(OrderFilled{{id, TradeId{"t9"}, F("100"), F("40"), Fixed()}}, kT0 + 200 * kHour);
  book.Add(PositionOpened{kBtc, Side::kBuy, F("40"), F("100"), Fixed(), Fixed(), F("2"), id}, kT0 + 200 * kHour);
  book.Add(RiskRejected{kBtc, 1, RiskRule::kSpreadTooWide, "spread wider than the limit", {}}, kT0 + 200 * kHour);
  book.Commit();
  body = m.Render();
  const double equity = book.state().balance.ToDouble();
  EXPECT_NEAR(*Sample(body, "margin_ratio"), 2000 * 100 / equity, 1e-9) << body;
  EXPECT_NEAR(*Sample(body, "leverage_used"), 4000 / equity, 1e-9);
  EXPECT_EQ(Sample(body, "spread_rejections_total"), 1.0);

  // last_reconciliation_age_hr: hours since the last completed pass.
  runtime::EngineView view;
  observer.UpdateAges(view, kT0);
  EXPECT_EQ(Sample(m.Render(), "last_reconciliation_age_hr"), -1.0) << "none yet";
  view.last_reconcile_wall_ns = kT0;
  observer.UpdateAges(view, kT0 + 2 * kHour);
  EXPECT_EQ(Sample(m.Render(), "last_reconciliation_age_hr"), 2.0);
}

// The AI-TS runbook's P1 pair: per-trade Sharpe of the last 30 days and the
// drawdown from the equity peak.
TEST(EngineMetrics, SharpeOfTheLast30DaysClosesAndTheEquityDrawdownFollowTheTrades) {
  Metrics m;
  EngineMetrics observer(&m, nullptr, Mode::kPaper);
  Book book(&observer);
  book.Add(ConfigLoaded{"h", "v", Fixed::FromInt(10000)}, kT0);
  book.Trade(1, 1, 2, 30);
  book.Commit();
  EXPECT_EQ(Sample(m.Render(), "trading_sharpe_ratio"), 0.0) << "one close: no standard deviation";
  book.Trade(2, 3, 4, -10);
  book.Trade(3, 5, 6, -50);
  book.Commit();
  const std::string body = m.Render();
  // Nets 30, -10, -50: mean -10, sample standard deviation 40.
  EXPECT_NEAR(*Sample(body, "trading_sharpe_ratio"), -0.25, 1e-9) << body;
  EXPECT_NEAR(*Sample(body, "equity_curve_drawdown_pct"), book.state().drawdown_pct.ToDouble(), 1e-12);
  EXPECT_GT(*Sample(body, "equity_curve_drawdown_pct"), 0.5) << "60 below a peak of 10,030";
  // Forty days on, only the new close is in the window.
  book.Trade(4, 40 * 24, 40 * 24 + 1, 20);
  book.Commit();
  EXPECT_EQ(Sample(m.Render(), "trading_sharpe_ratio"), 0.0);
  observer.UpdateDiskFree("/");
  const double free_pct = *Sample(m.Render(), "ledger_disk_free_pct");
  EXPECT_GE(free_pct, 0);
  EXPECT_LE(free_pct, 100);
  observer.UpdateDiskFree("/no/such/dir");
  EXPECT_EQ(Sample(m.Render(), "ledger_disk_free_pct"), -1.0);
}

TEST(EngineMetrics, RestartedProcessCountsTheLedgersTotalsOnce) {
  Metrics first_metrics;
  EngineMetrics first(&first_metrics, nullptr, Mode::kPaper);
  Book book(&first);
  book.Add(ConfigLoaded{"h", "v", Fixed::FromInt(10000)}, kT0);
  book.Trade(1, 1, 2, 7);
  book.Trade(2, 3, 4, -3);
  book.Commit();
  // A new process: its first commit (the start-up's) sees the whole ledger.
  Metrics m;
  EngineMetrics restarted(&m, nullptr, Mode::kPaper);
  restarted.OnCommitted({}, book.state(), 0.001);
  restarted.OnCommitted({}, book.state(), 0.001);
  const std::string body = m.Render();
  EXPECT_EQ(Sample(body, "trades_closed_total"), 2.0) << body;
  EXPECT_EQ(Sample(body, "fees_paid_total"), 2.0);
  EXPECT_EQ(Sample(body, "profit_factor_30d"), 7.0 / 3.0);
  EXPECT_EQ(Sample(body, "profit_factor_session"), 0.0);
}

TEST(EngineMetrics, SeedSeriesPassPromtool) {
  constexpr char kPromtool[] = "/usr/bin/promtool";
  if (::access(kPromtool, X_OK) != 0) GTEST_SKIP() << kPromtool << " is not installed";
  Metrics m;
  EngineMetrics observer(&m, nullptr, Mode::kPaper);
  Book book(&observer);
  book.Add(ConfigLoaded{"h", "v", Fixed::FromInt(10000)}, kT0);
  book.Trade(1, 1, 2, 7);
  book.Commit();
  testing::TempDir tmp;
  const std::string file = tmp.Sub("metrics.txt");
  std::ofstream(file, std::ios::trunc) << m.Render();
  auto promtool = testing::Process::Spawn({"/bin/sh", "-c", "exec \"$0\" check metrics < \"$1\"", kPromtool, file});
  ASSERT_TRUE(promtool.ok()) << promtool.status();
  const testing::ExitStatus status = (*promtool)->Wait(std::chrono::seconds(30));
  // Exit 3 is lint findings: only the seed's names that spell their units
  // (kept so its dashboards work) may have any.
  ASSERT_TRUE(status.Exited(0) || status.Exited(3)) << status << "\n" << (*promtool)->out() << (*promtool)->err();
  for (absl::string_view line : absl::StrSplit((*promtool)->out() + (*promtool)->err(), '\n', absl::SkipWhitespace())) {
    EXPECT_TRUE(line == "avg_holding_time_hours use base unit \"seconds\" instead of \"hours\"" ||
                absl::EndsWith(line, "_sec metric names should not contain abbreviated units"))
        << line;
  }
}

// Milkbot's risk report as gauges: what the open Kalshi contracts could lose,
// in all, per city and per cluster; a Binance run has none of them.
TEST(EngineMetrics, AKalshiRunShowsWhatItsOpenContractsCouldLosePerCityAndCluster) {
  Metrics m;
  EngineMetrics observer(&m, nullptr, Mode::kTestnet);
  Book book(&observer);
  book.Add(ConfigLoaded{"h", "v", Fixed::FromInt(1000)}, kT0);
  book.Commit();
  EXPECT_FALSE(Sample(m.Render(), "weather_open_risk_usd").has_value()) << "no Kalshi market yet";
  const Symbol ticker{apollo::testing::kNycBucketTicker};
  book.Add(InstrumentDefined{ticker, "kalshi", apollo::testing::NycBucket()}, kT0);
  // Long 95 YES at 0.10 can lose 9.50.
  book.Add(PositionOpened{ticker, Side::kBuy, Fixed::FromInt(95), F("0.1"), Fixed(), Fixed(), Fixed::FromInt(1),
                          ClientOrderId{"ap-1-E"}},
           kT0);
  book.Commit();
  const std::string body = m.Render();
  EXPECT_EQ(Sample(body, "weather_open_risk_usd"), 9.5) << body;
  EXPECT_EQ(Sample(body, "weather_city_exposure_usd{city=\"NYC\"}"), 9.5);
  EXPECT_EQ(Sample(body, "weather_city_exposure_usd{city=\"MIA\"}"), 0.0);
  EXPECT_EQ(Sample(body, "weather_cluster_exposure_usd{cluster=\"NE\"}"), 9.5);
  EXPECT_EQ(Sample(body, "weather_cluster_exposure_usd{cluster=\"SE\"}"), 0.0);
}

}  // namespace
}  // namespace apollo::ops
