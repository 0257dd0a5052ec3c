// The weather strategy's model (issue 15 §3): market probabilities under a
// forecast error, for all three strike types with whole-degree settlement,
// and the stand-in forecast's error fitted on Central Park's real history
// (data/nws), by lead time.
#include <cmath>
#include <fstream>
#include <map>
#include <string>

#include "engine/decision/decision.h"
#include "engine/venue/kalshi/recorded.h"
#include "engine/weather/history.h"
#include "engine/weather/markets.h"
#include "engine/weather/model.h"
#include "engine/weather/signal.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/kalshi_instruments.h"
#include "tests/support/temp_dir.h"

namespace apollo::weather {
namespace {

using ::testing::HasSubstr;

std::string DataPath(const std::string& name) { return std::string(APOLLO_SOURCE_DIR) + "/data/" + name; }

ContractTerms Terms(StrikeType type, int floor, int cap) {
  ContractTerms t;
  t.strike_type = type;
  t.floor_strike = Fixed::FromInt(floor);
  t.cap_strike = Fixed::FromInt(cap);
  return t;
}

TEST(ProbabilityYes, ABucketCoversEveryTrueHighThatReportsInsideIt) {
  // 81-82 F reported: a true high in [80.5, 82.5).
  EXPECT_NEAR(ProbabilityYes(Terms(StrikeType::kBetween, 81, 82), 81.5, 3.0), 0.261117, 1e-6);
  // greater 79: YES on 80 and above, i.e. a true high >= 79.5.
  EXPECT_NEAR(ProbabilityYes(Terms(StrikeType::kGreater, 79, 0), 79.5, 3.0), 0.5, 1e-12);
  // less 84: YES on 83 and below, i.e. a true high < 83.5.
  EXPECT_NEAR(ProbabilityYes(Terms(StrikeType::kLess, 0, 84), 83.5, 2.0), 0.5, 1e-12);
  EXPECT_NEAR(ProbabilityYes(Terms(StrikeType::kGreaterOrEqual, 80, 0), 79.5, 2.0), 0.5, 1e-12);
  EXPECT_NEAR(ProbabilityYes(Terms(StrikeType::kLessOrEqual, 0, 83), 83.5, 2.0), 0.5, 1e-12);
  EXPECT_EQ(ProbabilityYes(ContractTerms{}, 80, 3.0), 0.0);
  EXPECT_EQ(ProbabilityYes(Terms(StrikeType::kBetween, 81, 82), 81.5, 0.0), 0.0);
}

// An event's six markets partition the possible highs, so their
// probabilities sum to one, whatever the forecast, on every recorded event.
TEST(ProbabilityYes, TheMarketsOfEveryRecordedEventSumToOne) {
  auto markets = venue::kalshi::ReadRecordedMarkets(DataPath("kalshi/kalshi_weather_markets_2024-08-16_2025-05-08.csv"));
  ASSERT_TRUE(markets.ok()) << markets.status();
  std::map<std::string, std::vector<ContractTerms>> by_event;
  for (const auto& m : *markets) by_event[m.instrument.terms.event].push_back(m.instrument.terms);
  ASSERT_EQ(by_event.size(), 1234u);
  for (const auto& [event, terms] : by_event) {
    for (double forecast : {30.0, 61.3, 84.5, 99.0}) {
      double sum = 0;
      for (const auto& t : terms) sum += ProbabilityYes(t, forecast, 4.0);
      ASSERT_NEAR(sum, 1.0, 1e-9) << event << " at " << forecast << " F";
    }
  }
}

class CentralPark : public ::testing::Test {
 protected:
  void SetUp() override {
    auto h = ReadDailyHighs(DataPath("nws/ghcnd_tmax_knyc_kmia_2020-01-01_2024-10-31.csv"), "KNYC");
    auto n = ReadNormals(DataPath("nws/normals_1991-2020_daily_USW00094728_temps.csv"));
    ASSERT_TRUE(h.ok()) << h.status();
    ASSERT_TRUE(n.ok()) << n.status();
    history_ = *h;
    normals_ = *n;
  }
  std::vector<DailyHigh> history_;
  Normals normals_;
};

// The stand-in's error, fitted on 2020-01 .. 2024-10 (1,766 days): it
// grows with the lead and stays below climatology's (about 8 F).
TEST_F(CentralPark, StandinErrorIsFittedOnHistoryAndGrowsWithLead) {
  ASSERT_EQ(history_.size(), 1766u);
  ASSERT_EQ(normals_.size(), 366u);
  double last_sigma = 0;
  for (int lead = 1; lead <= 3; ++lead) {
    absl::StatusOr<ErrorFit> fit = FitPersistence(history_, normals_, lead);
    ASSERT_TRUE(fit.ok()) << fit.status();
    EXPECT_EQ(fit->n, 1766u - lead);
    EXPECT_GT(fit->sigma_f, last_sigma) << "lead " << lead;
    EXPECT_LT(fit->sigma_f, 8.1) << "lead " << lead;
    last_sigma = fit->sigma_f;
    std::printf("lead %d: slope %.4f intercept %.3f F sigma %.3f F (n %zu)\n", lead, fit->slope, fit->intercept_f,
                fit->sigma_f, fit->n);
  }
  absl::StatusOr<ErrorFit> one = FitPersistence(history_, normals_, 1);
  EXPECT_NEAR(one->slope, 0.558, 0.005);
  EXPECT_NEAR(one->sigma_f, 6.56, 0.05);
  // Not Milkbot's fixed 3 F: a day ahead from persistence alone is twice as uncertain.
  EXPECT_GT(one->sigma_f, 6.0);
}

TEST_F(CentralPark, StandinForecastPersistsYesterdaysAnomaly) {
  const ErrorFit fit{1, 1.0, 0.5, 6.5, 100};
  // Normal 58 today; yesterday 70 against a normal of 57: +13 anomaly, half persists.
  EXPECT_DOUBLE_EQ(StandinHigh(58.0, fit, 70.0, 57.0), 58.0 + 1.0 + 6.5);
  EXPECT_EQ(NormalOf(Normals{{"02-28", 44.0}}, absl::CivilDay(2024, 2, 29)), 44.0) << "a leap day falls back on 02-28";
  EXPECT_TRUE(NormalOf(normals_, absl::CivilDay(2025, 3, 29)).has_value());
  EXPECT_FALSE(NormalOf(Normals{}, absl::CivilDay(2025, 3, 29)).has_value());
}

TEST(FitPersistence, TooLittleHistoryIsRefused) {
  Normals normals{{"03-01", 50.0}, {"03-02", 50.0}};
  std::vector<DailyHigh> two = {{absl::CivilDay(2025, 3, 1), 50}, {absl::CivilDay(2025, 3, 2), 51}};
  absl::StatusOr<ErrorFit> fit = FitPersistence(two, normals, 1);
  EXPECT_THAT(std::string(fit.status().message()), HasSubstr("only 1 days with a high 1 days before: at least 30"));
  EXPECT_FALSE(FitPersistence(two, normals, 0).ok());
}

TEST(ReadDailyHighs, ABadRowIsRefusedNamingItsLine) {
  apollo::testing::TempDir dir;
  const std::string path = dir.path() + "/h.csv";
  std::ofstream(path) << "date,kalshi_series,station_icao,ghcnd_id,tmax_f\n"
                      << "2020-01-01,KXHIGHNY,KNYC,USW00094728,41\n"
                      << "2020-01-02,KXHIGHNY,KNYC,USW00094728,hot\n";
  auto h = ReadDailyHighs(path, "KNYC");
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().message(), path + ":3: tmax_f 'hot' is not a decimal number");
  std::ofstream(path) << "date,kalshi_series,station_icao,ghcnd_id,tmax_f\n"
                      << "2020-01-01,KXHIGHNY,KNYC,USW00094728,41\n"
                      << "2020-01-01,KXHIGHNY,KNYC,USW00094728,42\n";
  EXPECT_THAT(std::string(ReadDailyHighs(path, "KNYC").status().message()), HasSubstr("KNYC has 2020-01-01 twice"));
}


// Kalshi's taker fee per contract, unrounded: 0.07 x P x (1 - P).
Fixed TakerFee(Fixed price) { return Fixed::FromRaw(7'000'000).Mul(price).Mul(Fixed::FromInt(1) - price); }

Instrument Bucket8182() {
  Instrument i;
  i.kind = InstrumentKind::kBinaryEventContract;
  i.min_price = *Fixed::Parse("0.01");
  i.max_price = *Fixed::Parse("0.99");
  i.price_bands = {PriceBand{i.min_price, i.max_price, *Fixed::Parse("0.01")}};
  i.terms = Terms(StrikeType::kBetween, 81, 82);
  return i;
}

Quote Book(const char* bid, const char* ask) { return Quote{*Fixed::Parse(bid), *Fixed::Parse(ask), Fixed::FromInt(500)}; }

Fixed Input(const SignalComputed& s, const std::string& name) {
  for (const auto& nv : s.inputs) {
    if (nv.name == name) return nv.value;
  }
  ADD_FAILURE() << "no input " << name;
  return Fixed();
}

const Symbol kTicker{"KXHIGHNY-25MAR29-B81.5"};

TEST(Evaluate, BuysYesAtTheAskWhenTheForecastMakesItCheapAfterTheFee) {
  // p = P(80.5 <= high < 82.5 | 81.5, 2) = 0.3829; the ask 0.22 pays a fee of 0.012012.
  MarketSignal m = Evaluate(kTicker, Bucket8182(), Book("0.20", "0.22"), Forecast{81.5, 2.0, false, "nws"}, Gates{},
                            TakerFee);
  EXPECT_TRUE(m.propose);
  EXPECT_EQ(m.side, Side::kBuy);
  EXPECT_EQ(m.limit_price, *Fixed::Parse("0.22"));
  EXPECT_EQ(m.signal.reason, "strong_edge");
  EXPECT_EQ(m.signal.strategy, "weather_high_v1");
  EXPECT_EQ(Input(m.signal, "p_yes"), *Fixed::Parse("0.3829"));
  EXPECT_EQ(Input(m.signal, "fee"), *Fixed::Parse("0.012012"));
  EXPECT_EQ(Input(m.signal, "edge"), *Fixed::Parse("0.150888"));
  EXPECT_EQ(m.signal.confidence, *Fixed::Parse("0.8667"));
}

TEST(Evaluate, SellsYesAtTheBidWhenTheMarketOverpricesIt) {
  // Forecast 90 F: the 81-82 bucket is nearly impossible, yet bid at 0.30.
  MarketSignal m = Evaluate(kTicker, Bucket8182(), Book("0.30", "0.33"), Forecast{90.0, 2.0, false, "nws"}, Gates{},
                            TakerFee);
  EXPECT_TRUE(m.propose);
  EXPECT_EQ(m.side, Side::kSell) << "short YES = buy NO at 0.70";
  EXPECT_EQ(m.limit_price, *Fixed::Parse("0.30"));
}

TEST(Evaluate, EachMilkbotGateHoldsWithItsReason) {
  const Forecast f{81.5, 2.0, false, "nws"};
  auto reason = [&](const Quote& q, const std::optional<Forecast>& fc, const Gates& g) {
    MarketSignal m = Evaluate(kTicker, Bucket8182(), q, fc, g, TakerFee);
    EXPECT_FALSE(m.propose);
    return m.signal.reason;
  };
  EXPECT_EQ(reason(Book("0.20", "0.22"), std::nullopt, Gates{}), "missing_data");
  EXPECT_EQ(reason(Book("0.20", "0.22"), Forecast{81.5, 2.0, true, "nws"}, Gates{}), "stale_data");
  EXPECT_EQ(reason(Quote{std::nullopt, *Fixed::Parse("0.22"), Fixed::FromInt(500)}, f, Gates{}), "missing_data");
  EXPECT_EQ(reason(Book("0.20", "0.225"), f, Gates{}), "missing_data") << "off the cent grid";
  EXPECT_EQ(reason(Book("0.10", "0.22"), f, Gates{}), "wide_spread");
  Gates liquid;
  liquid.min_liquidity = Fixed::FromInt(1000);
  EXPECT_EQ(reason(Book("0.20", "0.22"), f, liquid), "low_liquidity");
  EXPECT_EQ(reason(Book("0.20", "0.22"), Forecast{81.5, 6.6, false, "standin"}, Gates{}), "high_uncertainty")
      << "Milkbot's uncertainty min(sigma / 15, 1) = 0.44 > 0.30";
  EXPECT_EQ(reason(Book("0.36", "0.38"), f, Gates{}), "insufficient_edge");
}

// Milkbot's reject breaker: after weather.max_rejects refusals by the venue
// within weather.reject_window_min, no entry until the oldest leaves it.
TEST(Judge, TheVenueRefusingTooManyOrdersLatelyHoldsEntriesUntilTheyAge) {
  const int64_t now = 1'743'500'000'000'000'000;
  const int64_t minute = 60'000'000'000;
  State state;
  state.balance = Fixed::FromInt(1000);
  const Symbol ticker{apollo::testing::kNycBucketTicker};
  state.instruments[ticker] = apollo::testing::NycBucket();
  TradeProposed t;
  t.symbol = ticker;
  t.side = Side::kBuy;
  t.entry_type = OrderType::kLimit;
  t.qty = Fixed::FromInt(10);
  t.entry_price = *Fixed::Parse("0.1");
  t.leverage = Fixed::FromInt(1);
  const config::Config cfg;  // 5 in 15 min
  auto rule = [&](int64_t at) -> std::string {
    risk::Verdict v = Judge(t, 1, state, cfg, at);
    const auto* r = std::get_if<RiskRejected>(&v);
    return r == nullptr ? "approved" : std::string(EnumName(r->rule));
  };
  for (int i = 0; i < 4; ++i) state.order_rejects_ns.push_back(now - (14 - i) * minute);
  EXPECT_EQ(rule(now), "approved") << "four in the window";
  state.order_rejects_ns.push_back(now - 1 * minute);
  EXPECT_EQ(rule(now), "REJECT_RATE") << "the fifth";
  EXPECT_EQ(rule(now + minute + 1), "approved") << "the oldest (15 min ago by then) left the window";
  config::Config off;
  off.weather.max_rejects = 0;
  risk::Verdict v = Judge(t, 1, state, off, now);
  EXPECT_TRUE(std::holds_alternative<RiskApproved>(v)) << "0 turns it off";
}


// The repricer (Milkbot's REPRICE_INTERVAL_SEC 120, MAX_CHASE_CENTS 3) and
// the liquidity gate, through a whole decision step (decision::ActMarkets)
// on a State: NYC's 81-82 bucket, forecast 81.5 +- 2 (p = 0.3829), our
// buy of YES resting at 0.20 since three minutes ago.
class Repricer : public ::testing::Test {
 protected:
  static constexpr int64_t kNowNs = 1'743'200'000'000'000'000;  // 2025-03-28
  static constexpr int64_t kMinuteNs = 60'000'000'000;

  // The step's events applied to its State, its cancels kept.
  class Recorder : public decision::Sink {
   public:
    Recorder(State& state, int64_t now_ns) : state_(state), now_ns_(now_ns) {}
    const State& state() const override { return state_; }
    absl::Status Emit(EventBody body) override {
      events.push_back(body);
      return Apply(state_, Event{state_.last_seq + 1, now_ns_, std::move(body)});
    }
    void Cancel(orders::CancelOrder c) override { cancels.push_back(std::move(c)); }
    std::vector<EventBody> events;
    std::vector<orders::CancelOrder> cancels;

   private:
    State& state_;
    int64_t now_ns_;
  };

  void SetUp() override {
    Add(ConfigLoaded{"h", "v", Fixed::FromInt(1000), "", "weather_high_v1", "1"});
    Instrument bucket = apollo::testing::NycBucket();
    bucket.terms.close_time_ms = kNowNs / 1'000'000 + 86'400'000;
    Add(InstrumentDefined{ticker_, "kalshi", bucket});
    Add(ForecastObserved{"NYC", "KNYC", "2025-03-29", D("81.5"), D("2"), kNowNs / 1'000'000 - 600'000, "nws", ""});
    Book("0.20", "0.22");
  }
  void Add(EventBody body, int64_t at_ns = kNowNs - 3 * kMinuteNs) {
    ASSERT_TRUE(Apply(state_, Event{state_.last_seq + 1, at_ns, std::move(body)}).ok());
  }
  void Book(const char* bid, const char* ask, const char* volume = "600", const char* open_interest = "0") {
    Add(MarketTick{ticker_, D(bid), D(ask), kNowNs / 1'000'000, D(volume), D(open_interest)});
  }
  // Our entry at YES price `price` (a buy of YES, or a sell: a buy of NO),
  // accepted by Kalshi `age_min` minutes ago.
  ClientOrderId Resting(const char* price, int age_min = 3, Side side = Side::kBuy) {
    const ClientOrderId id{absl::StrCat("ap-", state_.last_seq + 1, "-E")};
    Add(OrderPlaced{id, ticker_, side, OrderType::kLimit, OrderPurpose::kEntry, Fixed::FromInt(10), D(price),
                    Fixed(), false, ClientOrderId{}},
        kNowNs - age_min * kMinuteNs);
    Add(OrderAccepted{id, VenueOrderId{"k-1"}}, kNowNs - age_min * kMinuteNs);
    return id;
  }
  Recorder Step(int64_t now_ns = kNowNs) {
    Recorder r(state_, now_ns);
    EXPECT_TRUE(decision::ActMarkets(cfg_, now_ns, r).ok());
    return r;
  }
  static std::vector<CancelRequested> Requested(const Recorder& r) {
    std::vector<CancelRequested> out;
    for (const EventBody& e : r.events) {
      if (const auto* c = std::get_if<CancelRequested>(&e)) out.push_back(*c);
    }
    return out;
  }
  static std::vector<OrderPlaced> Placed(const Recorder& r) {
    std::vector<OrderPlaced> out;
    for (const EventBody& e : r.events) {
      if (const auto* p = std::get_if<OrderPlaced>(&e)) out.push_back(*p);
    }
    return out;
  }
  static Fixed D(const char* text) { return *Fixed::Parse(text); }

  const Symbol ticker_{apollo::testing::kNycBucketTicker};
  State state_;
  config::Config cfg_;  // reprice 120 s, chase 3 cents, liquidity 500
};

TEST_F(Repricer, AnEntryRestingPastTheIntervalIsCancelledAndEnteredAgainAtTheAskNextStep) {
  const ClientOrderId old = Resting("0.20");
  Recorder first = Step();
  ASSERT_EQ(first.cancels.size(), 1u);
  EXPECT_EQ(first.cancels[0].id, old);
  EXPECT_EQ(first.cancels[0].reason, "REPRICE");
  ASSERT_EQ(Requested(first).size(), 1u) << "journaled with the step's decisions, for the audit";
  EXPECT_EQ(Requested(first)[0], (CancelRequested{old, "REPRICE"}));
  EXPECT_TRUE(Placed(first).empty()) << "nothing new while the old one may still fill";
  Add(OrderCancelled{old, "REPRICE"}, kNowNs);
  Recorder second = Step();
  ASSERT_EQ(Placed(second).size(), 1u);
  EXPECT_EQ(Placed(second)[0].price, D("0.22"));
  EXPECT_TRUE(second.cancels.empty());
}

TEST_F(Repricer, ARepriceChasesNoFurtherThanMaxChaseFromTheIntentsFirstPrice) {
  const ClientOrderId old = Resting("0.20");
  Book("0.29", "0.30");  // edge at 0.30 after the fee: 0.068
  ASSERT_EQ(Step().cancels.size(), 1u);
  Add(OrderCancelled{old, "REPRICE"}, kNowNs);
  Recorder second = Step();
  ASSERT_EQ(Placed(second).size(), 1u);
  EXPECT_EQ(Placed(second)[0].price, D("0.23")) << "0.20 + 3 cents, below the ask: it rests";
  const ClientOrderId chased = Placed(second)[0].client_order_id;
  Add(OrderAccepted{chased, VenueOrderId{"k-2"}}, kNowNs);
  EXPECT_TRUE(Step(kNowNs + 5 * kMinuteNs).cancels.empty())
      << "rested past the interval, but at its limit already: not cancelled again and again";
}

// A sell of YES (a buy of NO) mirrors it: its limit is the bid, the chase
// runs down, and its own edge is its price less p less the fee.
TEST_F(Repricer, AShortYesIsRepricedDownToTheBidAndChasesNoLowerThanMaxChase) {
  Add(ForecastObserved{"NYC", "KNYC", "2025-03-29", D("90"), D("2"), kNowNs / 1'000'000 - 600'000, "nws", ""});
  const ClientOrderId old = Resting("0.40", 3, Side::kSell);  // p about 0: worth selling down to the fee
  Book("0.30", "0.33");
  Recorder first = Step();
  ASSERT_EQ(first.cancels.size(), 1u);
  EXPECT_EQ(first.cancels[0].reason, "REPRICE");
  Add(OrderCancelled{old, "REPRICE"}, kNowNs);
  Recorder second = Step();
  ASSERT_EQ(Placed(second).size(), 1u);
  EXPECT_EQ(Placed(second)[0].side, Side::kSell);
  EXPECT_EQ(Placed(second)[0].price, D("0.37")) << "0.40 - 3 cents, above the bid 0.30: it rests";
}

TEST_F(Repricer, AnEntryYoungerThanTheIntervalOrPartlyFilledStaysAsPlaced) {
  Resting("0.20", /*age_min=*/1);
  EXPECT_TRUE(Step().cancels.empty());
  const ClientOrderId old = Resting("0.20");
  Add(OrderPartialFill{{old, TradeId{"t-1"}, D("0.20"), Fixed::FromInt(4), Fixed()}}, kNowNs);
  for (const orders::CancelOrder& c : Step().cancels) EXPECT_NE(c.id, old);
}

TEST_F(Repricer, AnEntryWhoseSpreadWidensOrWhosePriceLostItsEdgeIsCancelled) {
  const ClientOrderId young = Resting("0.20", /*age_min=*/0);
  Book("0.10", "0.22");
  Recorder wide = Step();
  ASSERT_EQ(wide.cancels.size(), 1u) << "however young";
  EXPECT_EQ(wide.cancels[0].id, young);
  EXPECT_EQ(wide.cancels[0].reason, "SIGNAL_GONE");
  Book("0.20", "0.22");
  Add(ForecastObserved{"NYC", "KNYC", "2025-03-29", D("86"), D("2"), kNowNs / 1'000'000 - 600'000, "nws", ""}, kNowNs);
  Recorder gone = Step();
  ASSERT_EQ(gone.cancels.size(), 1u) << "p fell to about 0.04: buying at 0.20 has no edge";
  EXPECT_EQ(gone.cancels[0].reason, "SIGNAL_GONE");
}

TEST_F(Repricer, ARestingEntryStaysWhileItsForecastIsStaleOrItsBookUnread) {
  Resting("0.20", /*age_min=*/0);
  cfg_.weather.forecast_stale_min = 1;  // the forecast was read 3 min ago
  Recorder stale = Step();
  EXPECT_EQ(std::get<SignalComputed>(stale.events[0]).reason, "stale_data");
  EXPECT_TRUE(stale.cancels.empty()) << "nothing to judge it by";
  cfg_.weather.forecast_stale_min = 15;
  state_.book.clear();
  Recorder unread = Step();
  EXPECT_EQ(std::get<SignalComputed>(unread.events[0]).reason, "missing_data");
  EXPECT_TRUE(unread.cancels.empty()) << "its price still has its edge at the forecast";
}

TEST_F(Repricer, OffAsInLedgersFromBeforeItARestingEntryStaysWhateverTheMarketDoes) {
  cfg_.weather.reprice_interval_sec = 0;
  Resting("0.20");
  Book("0.10", "0.22");
  EXPECT_TRUE(Step().cancels.empty());
}

TEST_F(Repricer, AMarketTradingLessThanTheLiquidityGateIsHeld) {
  Book("0.20", "0.22", "300", "150");
  Recorder thin = Step();
  ASSERT_FALSE(thin.events.empty());
  EXPECT_EQ(std::get<SignalComputed>(thin.events[0]).reason, "low_liquidity");
  EXPECT_EQ(Input(std::get<SignalComputed>(thin.events[0]), "liquidity"), D("450")) << "volume plus open interest";
  Book("0.20", "0.22", "300", "200");
  EXPECT_EQ(Placed(Step()).size(), 1u);
}

}  // namespace
}  // namespace apollo::weather
