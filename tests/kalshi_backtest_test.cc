// weather_high_v1 through the engine on the recorded Kalshi weather markets
// (issue 15 §4): markets listed from their fields, our limit orders filled
// only by the recorded tape with Kalshi's fee, every position ended by its
// recorded settlement, and a forecast that never sees the high it bets on.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "engine/config/config.h"
#include "engine/runtime/kalshi_backtest.h"
#include "engine/venue/kalshi/fees.h"
#include "engine/venue/kalshi/recorded.h"
#include "engine/weather/standin.h"
#include "ledger/ledger.h"
#include "replay/decisions.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/ledgers.h"
#include "tests/support/temp_dir.h"

namespace apollo::runtime {
namespace {

using ::testing::HasSubstr;

std::string Source(const std::string& path) { return std::string(APOLLO_SOURCE_DIR) + "/" + path; }

KalshiBacktestOptions Options(const std::string& ledger_dir) {
  KalshiBacktestOptions o;
  o.cfg.run.venue = "kalshi";
  o.cfg.weather.cities = {"AUS", "CHI", "MIA", "NYC"};
  // The stand-in's error is about 6.6 F a day ahead: Milkbot's uncertainty
  // gate (0.30, i.e. sigma 4.5 F) would hold every market.
  o.cfg.weather.max_uncertainty = *Fixed::Parse("0.6");
  o.cfg.risk.max_consecutive_losses = 1000;
  o.cfg.risk.max_drawdown_pct = Fixed::FromInt(50);
  o.markets_file = Source(o.markets_file);
  o.settlements_file = Source(o.settlements_file);
  for (std::string& f : o.trade_files) f = Source(f);
  o.history_file = Source(o.history_file);
  o.normals_file = Source(o.normals_file);
  o.ledger_dir = ledger_dir;
  o.build_version = "test";
  return o;
}

class KalshiBacktest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new apollo::testing::TempDir;
    auto r = RunKalshiBacktest(Options(dir_->Sub("ledger")));
    ASSERT_TRUE(r.ok()) << r.status();
    result_ = new KalshiBacktestResult(*r);
    auto events = apollo::testing::ReadEvents(dir_->Sub("ledger"));
    ASSERT_TRUE(events.ok()) << events.status();
    events_ = new std::vector<Event>(std::move(*events));
  }
  static void TearDownTestSuite() {
    delete events_;
    delete result_;
    delete dir_;
  }
  template <class T>
  static std::vector<std::pair<const Event*, const T*>> All() {
    std::vector<std::pair<const Event*, const T*>> out;
    for (const Event& e : *events_) {
      if (const T* t = std::get_if<T>(&e.body)) out.emplace_back(&e, t);
    }
    return out;
  }
  static apollo::testing::TempDir* dir_;
  static KalshiBacktestResult* result_;
  static std::vector<Event>* events_;
};
apollo::testing::TempDir* KalshiBacktest::dir_ = nullptr;
KalshiBacktestResult* KalshiBacktest::result_ = nullptr;
std::vector<Event>* KalshiBacktest::events_ = nullptr;

TEST_F(KalshiBacktest, EveryMarketOfTheFourteenDaysIsListedAndSettledOnItsRecordedResult) {
  const KalshiBacktestResult& r = *result_;
  std::printf("%s", r.markdown.c_str());
  EXPECT_EQ(r.markets, 4u * 14 * 6);
  EXPECT_EQ(r.settled, 4u * 14 * 6);
  EXPECT_EQ(All<InstrumentDefined>().size(), r.markets);
  int yes = 0;
  for (const auto& [e, m] : All<MarketSettled>()) yes += m->result == MarketResult::kYes;
  EXPECT_EQ(yes, 4 * 14) << "one YES per event";
  EXPECT_EQ(r.forecast_cities, (std::vector<std::string>{"MIA", "NYC"}));
  EXPECT_EQ(r.cities_without_forecast, (std::vector<std::string>{"AUS", "CHI"}));
  EXPECT_THAT(r.markdown, HasSubstr("a stand-in, not NWS"));
}

TEST_F(KalshiBacktest, ItTradesAndEveryPositionEndsAtItsPayout) {
  const KalshiBacktestResult& r = *result_;
  EXPECT_GT(r.orders, 0u);
  EXPECT_GT(r.fills, 0u);
  EXPECT_GT(r.trades_closed, 0u);
  EXPECT_EQ(r.final_equity, r.initial_equity + [&] {
    Fixed net;
    for (const auto& [e, c] : All<PositionClosed>()) net += c->realized_pnl;
    return net;
  }() - r.fees_paid);
  for (const auto& [e, c] : All<PositionClosed>()) {
    ASSERT_EQ(c->reason, CloseReason::kSettlement);
    EXPECT_TRUE(c->exit_price == Fixed() || c->exit_price == Fixed::FromInt(1)) << c->exit_price.ToString();
  }
  for (const auto& [e, p] : All<PositionOpened>()) {
    EXPECT_EQ(p->stop_price, Fixed()) << "no stop-loss legs on an event contract";
    EXPECT_EQ(p->leverage, Fixed::FromInt(1));
  }
  for (const auto& [e, o] : All<OrderPlaced>()) {
    EXPECT_EQ(o->order_type, OrderType::kLimit);
    EXPECT_EQ(o->purpose, OrderPurpose::kEntry) << "nothing but limit entries";
  }
}

TEST_F(KalshiBacktest, PaperFillsPayKalshisTakerFeeAndComeFromTheTape) {
  std::set<std::string> tape_ids;
  for (const std::string& f : Options("").trade_files) {
    auto t = venue::kalshi::ReadRecordedTrades(f);
    ASSERT_TRUE(t.ok());
    for (const auto& tr : *t) tape_ids.insert(tr.trade_id);
  }
  size_t fills = 0;
  auto check = [&](const Fill& f) {
    ++fills;
    EXPECT_TRUE(tape_ids.contains(f.trade_id.value)) << f.trade_id.value;
    EXPECT_EQ(f.fee, *venue::kalshi::TradeFee(venue::kalshi::FeeRole::kTaker, f.qty, f.price))
        << "the strategy crosses at the quote and prices its edge with the taker fee";
  };
  for (const auto& [e, f] : All<OrderFilled>()) check(*f);
  for (const auto& [e, f] : All<OrderPartialFill>()) check(*f);
  EXPECT_EQ(fills, result_->fills);
}

// The forecast a decision used existed then, and was made from days that
// had settled: never from the day it forecasts.
TEST_F(KalshiBacktest, NoForecastSeesTheHighItForecasts) {
  ASSERT_FALSE(All<ForecastObserved>().empty());
  for (const auto& [e, f] : All<ForecastObserved>()) {
    EXPECT_EQ(f->source, "standin");
    EXPECT_LE(f->issued_ms * 1'000'000, e->ts_ns);
    // "... (81 F on 2025-03-27 - normal ...)": the day it persisted.
    const size_t on = f->detail.find(" on ");
    ASSERT_NE(on, std::string::npos) << f->detail;
    EXPECT_LT(f->detail.substr(on + 4, 10), f->climate_day) << f->detail;
  }
}

TEST_F(KalshiBacktest, AnAuditDerivesEveryMarketDecisionAgainFromTheLedger) {
  auto ledger = ledger::Ledger::OpenReader(dir_->Sub("ledger"));
  ASSERT_TRUE(ledger.ok()) << ledger.status();
  auto report = replay::CheckDecisions(**ledger, replay::DecisionsOptions{});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->divergence_count, 0u) << (report->divergences.empty() ? "" : report->divergences[0].field + " " +
                                                                                  report->divergences[0].recorded + " vs " +
                                                                                  report->divergences[0].derived);
  EXPECT_EQ(report->checked["market"], result_->steps);
}

TEST(Standin, TheDaysOwnHighChangesNothingBeforeItSettles) {
  weather::Normals normals;
  for (int d = 1; d <= 31; ++d) normals[absl::StrFormat("03-%02d", d)] = 50.0 + d * 0.1;
  const std::vector<weather::ErrorFit> fits = {{1, 0.5, 0.6, 6.5, 1000}, {2, 1.0, 0.3, 7.5, 1000}};
  auto forecast = [&](double realised) {
    weather::Standin s(normals, fits);
    s.Learn(absl::CivilDay(2025, 3, 27), 61, 1'000);
    s.Learn(absl::CivilDay(2025, 3, 28), 70, 5'000);
    s.Learn(absl::CivilDay(2025, 3, 29), realised, 9'000);  // the day forecast, settled at 9 s
    return std::make_pair(s.At(absl::CivilDay(2025, 3, 29), 4'000), s.At(absl::CivilDay(2025, 3, 29), 8'999));
  };
  const auto [early, late] = forecast(55);
  const auto [early_other, late_other] = forecast(99);
  ASSERT_TRUE(early && late);
  EXPECT_EQ(early->lead_days, 2) << "the 28th was not settled yet at 4 s";
  EXPECT_EQ(late->lead_days, 1);
  EXPECT_DOUBLE_EQ(early->high_f, early_other->high_f);
  EXPECT_DOUBLE_EQ(late->high_f, late_other->high_f);
  EXPECT_DOUBLE_EQ(late->high_f, (50.0 + 2.9) + 0.5 + 0.6 * (70 - (50.0 + 2.8)));
}

// A paper run stopped half way (SIGTERM) and started again trades what an
// uninterrupted one does: the same orders, fills and closes, the same equity.
TEST(KalshiPaperRun, AnInterruptedRunResumesToTheTradesOfAnUninterruptedOne) {
  apollo::testing::TempDir whole, cut;
  auto uninterrupted = RunKalshiBacktest(Options(whole.Sub("ledger")));
  ASSERT_TRUE(uninterrupted.ok()) << uninterrupted.status();
  KalshiBacktestOptions first = Options(cut.Sub("ledger"));
  first.resume = true;
  int steps = 0;
  first.stop_requested = [&] { return ++steps > 150; };
  auto part = RunKalshiBacktest(first);
  ASSERT_TRUE(part.ok()) << part.status();
  EXPECT_EQ(part->stop_reason, "STOP_REQUESTED");
  EXPECT_EQ(part->steps, 150u);
  KalshiBacktestOptions second = Options(cut.Sub("ledger"));
  second.resume = true;
  auto rest = RunKalshiBacktest(second);
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(rest->resumed_after_steps, 150u);
  EXPECT_EQ(rest->stop_reason, "END_OF_DATA");
  EXPECT_EQ(rest->resumed_after_steps + rest->steps, uninterrupted->steps);
  EXPECT_EQ(rest->final_equity, uninterrupted->final_equity);
  // Client order ids carry the seq of their OrderPlaced, which the
  // restart's own events shift: what was traded is compared without them.
  auto trading = [](const std::string& dir) {
    std::vector<std::string> out;
    const absl::StatusOr<std::vector<Event>> events = apollo::testing::ReadEvents(dir);
    EXPECT_TRUE(events.ok()) << events.status();
    if (!events.ok()) return out;
    for (const Event& e : *events) {
      if (const auto* o = std::get_if<OrderPlaced>(&e.body)) {
        out.push_back(absl::StrCat("order ", o->symbol.value, " ", EnumName(o->side), " ", o->qty.ToString(), " @ ",
                                   o->price.ToString()));
      } else if (const auto* f = std::get_if<OrderFilled>(&e.body)) {
        out.push_back(absl::StrCat("fill ", f->trade_id.value, " ", f->qty.ToString(), " @ ", f->price.ToString()));
      } else if (const auto* p = std::get_if<OrderPartialFill>(&e.body)) {
        out.push_back(absl::StrCat("fill ", p->trade_id.value, " ", p->qty.ToString(), " @ ", p->price.ToString()));
      } else if (const auto* c = std::get_if<PositionClosed>(&e.body)) {
        out.push_back(absl::StrCat("close ", c->symbol.value, " ", c->realized_pnl.ToString(), " ", c->fees.ToString()));
      }
    }
    return out;
  };
  const std::vector<std::string> resumed = trading(cut.Sub("ledger")), straight = trading(whole.Sub("ledger"));
  ASSERT_EQ(resumed.size(), straight.size());
  for (size_t i = 0; i < resumed.size(); ++i) ASSERT_EQ(resumed[i], straight[i]) << "at " << i;
}

TEST(KalshiBacktestRun, TheSameDataGiveTheSameLedger) {
  apollo::testing::TempDir a, b;
  auto ra = RunKalshiBacktest(Options(a.Sub("ledger")));
  auto rb = RunKalshiBacktest(Options(b.Sub("ledger")));
  ASSERT_TRUE(ra.ok() && rb.ok());
  auto ea = apollo::testing::ReadEvents(a.Sub("ledger"));
  auto eb = apollo::testing::ReadEvents(b.Sub("ledger"));
  ASSERT_TRUE(ea.ok() && eb.ok());
  EXPECT_EQ(*ea, *eb);
  KalshiBacktestOptions reported = Options("");  // a temporary ledger, removed
  reported.report_dir = b.path();
  auto report = RunKalshiBacktest(reported);
  ASSERT_TRUE(report.ok()) << report.status();
  std::ifstream written(b.Sub("report.md"));
  const std::string text((std::istreambuf_iterator<char>(written)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, report->markdown) << "report.md is the printed report";
  auto again = RunKalshiBacktest(Options(a.Sub("ledger")));
  EXPECT_THAT(std::string(again.status().message()), HasSubstr("is not empty: a backtest writes a new one"));
  KalshiBacktestOptions binance = Options(b.Sub("other"));
  binance.cfg.run.venue = "binance";
  EXPECT_EQ(RunKalshiBacktest(binance).status().message(), "a Kalshi backtest needs run.venue kalshi");
}

}  // namespace
}  // namespace apollo::runtime
