// Instruments beside the linear perpetual (issue 15 §1): a Kalshi market is
// a binary event contract priced inside (0, 1) dollars on its grid, whose
// loss is bounded by what was paid, and which ends by settlement. Checked on
// the fold's rules and on every recorded Kalshi weather market and
// settlement in data/kalshi (the legacy integer-cent shape, read exactly).
#include <fstream>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/domain/instrument.h"
#include "engine/domain/state.h"
#include "engine/orders/orders.h"
#include "engine/venue/kalshi/recorded.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/kalshi_instruments.h"
#include "tests/support/temp_dir.h"

namespace apollo {
namespace {

using ::testing::HasSubstr;

Fixed D(const char* text) { return *Fixed::Parse(text); }

std::string DataPath(const std::string& name) { return std::string(APOLLO_SOURCE_DIR) + "/data/kalshi/" + name; }

// A KXHIGHNY bucket as Kalshi lists it: 1 cent to 99 cents, 81-82 F.
Instrument Bucket() { return apollo::testing::NycBucket(); }

TEST(Instrument, BinaryContractMustBePricedStrictlyInsideZeroToItsValue) {
  EXPECT_EQ(InstrumentProblem(Bucket()), "");
  Instrument at_one = Bucket();
  at_one.max_price = Fixed::FromInt(1);
  at_one.price_bands[0].end = Fixed::FromInt(1);
  EXPECT_THAT(InstrumentProblem(at_one), HasSubstr("strictly between 0 and its contract value 1"));
  Instrument no_strike = Bucket();
  no_strike.terms.strike_type = StrikeType::kNone;
  EXPECT_THAT(InstrumentProblem(no_strike), HasSubstr("no strike type"));
  Instrument inverted = Bucket();
  inverted.terms.floor_strike = Fixed::FromInt(90);
  EXPECT_THAT(InstrumentProblem(inverted), HasSubstr("cap_strike is below its floor_strike"));
  Instrument band_outside = Bucket();
  band_outside.price_bands.push_back(PriceBand{D("0.5"), D("1.5"), D("0.1")});
  EXPECT_THAT(InstrumentProblem(band_outside), HasSubstr("leaves the bounds"));
  EXPECT_EQ(InstrumentProblem(Instrument{}), "") << "a perpetual needs no bounds";
}

TEST(Instrument, PricesOffTheTaperedGridAreNotTradable) {
  // Kalshi's tapered grid: tenths of a cent near the ends, cents between.
  Instrument i = Bucket();
  i.min_price = D("0.001");
  i.max_price = D("0.999");
  i.price_bands = {PriceBand{D("0.001"), D("0.1"), D("0.001")}, PriceBand{D("0.1"), D("0.9"), D("0.01")},
                   PriceBand{D("0.9"), D("0.999"), D("0.001")}};
  ASSERT_EQ(InstrumentProblem(i), "");
  EXPECT_TRUE(OnPriceGrid(i, D("0.057")));
  EXPECT_TRUE(OnPriceGrid(i, D("0.45")));
  EXPECT_FALSE(OnPriceGrid(i, D("0.455"))) << "mid-grid prices move in whole cents";
  EXPECT_TRUE(OnPriceGrid(i, D("0.995")));
  EXPECT_FALSE(OnPriceGrid(i, D("0.0005")));
  EXPECT_FALSE(OnPriceGrid(i, Fixed::FromInt(1)));
  EXPECT_TRUE(OnPriceGrid(Instrument{}, D("16650.37"))) << "a perpetual's grid is its filters' tick";
}

TEST(Instrument, BuyingYesRisksThePriceAndBuyingNoRisksTheRest) {
  const Instrument i = Bucket();
  EXPECT_EQ(MaxLoss(i, Side::kBuy, D("0.41"), Fixed::FromInt(10)), D("4.1"));
  EXPECT_EQ(MaxLoss(i, Side::kSell, D("0.41"), Fixed::FromInt(10)), D("5.9")) << "short YES at 0.41 = NO at 0.59";
  EXPECT_EQ(MaxLoss(Instrument{}, Side::kBuy, D("16650"), Fixed::FromInt(1)), std::nullopt);
  EXPECT_EQ(YesPayout(i, MarketResult::kYes), Fixed::FromInt(1));
  EXPECT_EQ(YesPayout(i, MarketResult::kNo), Fixed());
}

TEST(Instrument, StrikeTypesResolveOnTheirOwnBounds) {
  ContractTerms t;
  t.strike_type = StrikeType::kGreater;
  t.floor_strike = Fixed::FromInt(79);
  EXPECT_FALSE(ResolvesYes(t, Fixed::FromInt(79)));
  EXPECT_TRUE(ResolvesYes(t, Fixed::FromInt(80)));
  t = ContractTerms{};
  t.strike_type = StrikeType::kLess;
  t.cap_strike = Fixed::FromInt(84);
  EXPECT_TRUE(ResolvesYes(t, Fixed::FromInt(83)));
  EXPECT_FALSE(ResolvesYes(t, Fixed::FromInt(84)));
  t = Bucket().terms;
  EXPECT_TRUE(ResolvesYes(t, Fixed::FromInt(81)));
  EXPECT_TRUE(ResolvesYes(t, Fixed::FromInt(82)));
  EXPECT_FALSE(ResolvesYes(t, Fixed::FromInt(83)));
  EXPECT_FALSE(ResolvesYes(ContractTerms{}, Fixed::FromInt(83)));
}

class SettlementFold : public ::testing::Test {
 protected:
  absl::Status Add(EventBody body, int64_t ts_ns = 1'743'300'000'000'000'000) {
    return Apply(state_, Event{state_.last_seq + 1, ts_ns, std::move(body)});
  }
  void SetUp() override {
    ASSERT_TRUE(Add(ConfigLoaded{"h", "v", Fixed::FromInt(1000), "", "weather_high_v1", "1"}).ok());
    ASSERT_TRUE(Add(InstrumentDefined{ticker_, "recorded", Bucket()}).ok());
  }
  const Symbol ticker_{apollo::testing::kNycBucketTicker};
  State state_;
};

TEST_F(SettlementFold, AnInstrumentThatCannotTradeIsRefused) {
  Instrument bad = Bucket();
  bad.min_price = Fixed();
  const absl::Status st = Add(InstrumentDefined{Symbol{"KXHIGHNY-25MAR29-T80"}, "kalshi", bad});
  EXPECT_THAT(std::string(st.message()), HasSubstr("instrument KXHIGHNY-25MAR29-T80: a binary contract's prices"));
  EXPECT_EQ(state_.instruments.size(), 1u);
}

TEST_F(SettlementFold, ASettledMarketIsNoLongerListedAndCannotSettleTwice) {
  EXPECT_EQ(InstrumentOf(state_, ticker_).kind, InstrumentKind::kBinaryEventContract);
  ASSERT_TRUE(Add(MarketSettled{ticker_, MarketResult::kYes, Fixed::FromInt(1), 1'743'343'200'000, "recorded"}).ok());
  EXPECT_FALSE(state_.instruments.contains(ticker_));
  EXPECT_EQ(InstrumentOf(state_, ticker_).kind, InstrumentKind::kLinearPerpetual);
  const absl::Status again = Add(MarketSettled{ticker_, MarketResult::kYes, Fixed::FromInt(1), 1'743'343'200'000, "kalshi"});
  EXPECT_THAT(std::string(again.message()), HasSubstr("not a listed event contract (or settled already)"));
}

TEST_F(SettlementFold, APayoutThatDoesNotMatchTheResultIsRefused) {
  const absl::Status st = Add(MarketSettled{ticker_, MarketResult::kNo, Fixed::FromInt(1), 0, "kalshi"});
  EXPECT_THAT(std::string(st.message()), HasSubstr("settled no pays 0 a YES, not 1"));
  EXPECT_TRUE(state_.instruments.contains(ticker_));
}

TEST_F(SettlementFold, AMarketCannotSettleWhileOurOrderRestsInIt) {
  ASSERT_TRUE(Add(OrderPlaced{ClientOrderId{"ap-3-E"}, ticker_, Side::kBuy, OrderType::kLimit, OrderPurpose::kEntry,
                              Fixed::FromInt(5), D("0.41"), Fixed(), false, ClientOrderId{}})
                  .ok());
  const absl::Status st = Add(MarketSettled{ticker_, MarketResult::kNo, Fixed(), 0, "kalshi"});
  EXPECT_THAT(std::string(st.message()), HasSubstr("with order ap-3-E still open"));
  ASSERT_TRUE(Add(OrderCancelled{ClientOrderId{"ap-3-E"}, "market closed"}).ok());
  EXPECT_TRUE(Add(MarketSettled{ticker_, MarketResult::kNo, Fixed(), 0, "kalshi"}).ok());
}

TEST_F(SettlementFold, AHeldContractClosesAtItsPayoutWithTheLossBoundedByThePrice) {
  ASSERT_TRUE(Add(PositionOpened{ticker_, Side::kBuy, Fixed::FromInt(10), D("0.41"), Fixed(), Fixed(),
                                 Fixed::FromInt(1), ClientOrderId{"ap-3-E"}})
                  .ok());
  const absl::Status early = Add(MarketSettled{ticker_, MarketResult::kNo, Fixed(), 0, "recorded"});
  EXPECT_THAT(std::string(early.message()), HasSubstr("settled with our position in it still open"));
  ASSERT_TRUE(Add(PositionClosed{ticker_, Side::kBuy, Fixed::FromInt(10), D("0.41"), Fixed(), D("-4.1"), Fixed(),
                                 CloseReason::kSettlement})
                  .ok());
  ASSERT_TRUE(Add(MarketSettled{ticker_, MarketResult::kNo, Fixed(), 0, "recorded"}).ok());
  EXPECT_TRUE(state_.positions.empty());
  EXPECT_EQ(state_.balance, D("995.9"));
  EXPECT_EQ(state_.counters.losses, 1u);
}

TEST_F(SettlementFold, SettlementCancelsOurOrderClosesAShortYesAtThePayoutThenSettles) {
  const Symbol other{"KXHIGHNY-25MAR29-T83"};
  Instrument tail = Bucket();
  tail.terms.strike_type = StrikeType::kGreater;
  tail.terms.floor_strike = Fixed::FromInt(83);
  tail.terms.cap_strike = Fixed();
  ASSERT_TRUE(Add(InstrumentDefined{other, "recorded", tail}).ok());
  ASSERT_TRUE(Add(PositionOpened{ticker_, Side::kSell, Fixed::FromInt(10), D("0.3"), Fixed(), Fixed(), Fixed::FromInt(1),
                                 ClientOrderId{"ap-3-E"}, D("0.15")})
                  .ok());
  ASSERT_TRUE(Add(OrderPlaced{ClientOrderId{"ap-9-E"}, ticker_, Side::kSell, OrderType::kLimit, OrderPurpose::kEntry,
                              Fixed::FromInt(5), D("0.35"), Fixed(), false, ClientOrderId{}})
                  .ok());
  ASSERT_TRUE(Add(OrderPlaced{ClientOrderId{"ap-10-E"}, other, Side::kBuy, OrderType::kLimit, OrderPurpose::kEntry,
                              Fixed::FromInt(5), D("0.2"), Fixed(), false, ClientOrderId{}})
                  .ok());
  const MarketSettled settled{ticker_, MarketResult::kNo, Fixed(), 1'743'343'200'000, "kalshi"};
  const std::vector<EventBody> events = orders::SettlementEvents(state_, settled);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(std::get<OrderCancelled>(events[0]).client_order_id.value, "ap-9-E") << "not the other market's order";
  const PositionClosed& close = std::get<PositionClosed>(events[1]);
  EXPECT_EQ(close.exit_price, Fixed());
  EXPECT_EQ(close.realized_pnl, D("3")) << "short YES at 0.30 settled NO: 0.30 a contract";
  EXPECT_EQ(close.fees, D("0.15"));
  EXPECT_EQ(close.reason, CloseReason::kSettlement);
  EXPECT_EQ(std::get<MarketSettled>(events[2]), settled);
  for (const EventBody& e : events) ASSERT_TRUE(Add(e).ok());
  EXPECT_FALSE(state_.instruments.contains(ticker_));
  EXPECT_TRUE(state_.orders.contains(ClientOrderId{"ap-10-E"}));
}

TEST_F(SettlementFold, AnEntryFilledInPiecesCarriesEveryPiecesFeeToItsClose) {
  const ClientOrderId id{"ap-3-E"};
  ASSERT_TRUE(Add(OrderPlaced{id, ticker_, Side::kBuy, OrderType::kLimit, OrderPurpose::kEntry, Fixed::FromInt(10),
                              D("0.41"), Fixed(), false, ClientOrderId{}})
                  .ok());
  ASSERT_TRUE(Add(OrderAccepted{id, VenueOrderId{"k-1"}}).ok());
  ASSERT_TRUE(Add(OrderPartialFill{{id, TradeId{"t1"}, D("0.41"), Fixed::FromInt(4), D("0.07")}}).ok());
  ASSERT_TRUE(Add(PositionOpened{ticker_, Side::kBuy, Fixed::FromInt(4), D("0.41"), Fixed(), Fixed(), Fixed::FromInt(1),
                                 id, D("0.07")})
                  .ok());
  ASSERT_TRUE(Add(OrderFilled{{id, TradeId{"t2"}, D("0.41"), Fixed::FromInt(6), D("0.11")}}).ok());
  EXPECT_EQ(state_.positions.at(ticker_).entry_fees, D("0.18")) << "both pieces' fees";
}

TEST_F(SettlementFold, AForecastIssuedAfterItWasReadIsRefused) {
  const int64_t now_ns = 1'743'300'000'000'000'000;
  const int64_t now_ms = now_ns / 1'000'000;
  ASSERT_TRUE(Add(ForecastObserved{"NYC", "KNYC", "2025-03-29", Fixed::FromInt(80), Fixed::FromInt(3), now_ms, "nws", ""}, now_ns).ok());
  const absl::Status later =
      Add(ForecastObserved{"NYC", "KNYC", "2025-03-29", Fixed::FromInt(83), Fixed::FromInt(3), now_ms + 1, "nws", ""}, now_ns);
  EXPECT_THAT(std::string(later.message()), HasSubstr("after it was observed"));
  EXPECT_EQ(state_.forecasts["NYC"]["2025-03-29"].high_f, Fixed::FromInt(80));
  EXPECT_FALSE(Add(ForecastObserved{"NYC", "KNYC", "2025-3-29", Fixed::FromInt(80), Fixed::FromInt(3), 0, "nws", ""}, now_ns).ok());
  EXPECT_FALSE(Add(ForecastObserved{"NYC", "KNYC", "2025-03-29", Fixed::FromInt(999), Fixed::FromInt(3), 0, "nws", ""}, now_ns).ok());
  EXPECT_FALSE(Add(ForecastObserved{"NYC", "KNYC", "2025-03-29", Fixed::FromInt(80), Fixed(), 0, "nws", ""}, now_ns).ok())
      << "a forecast without its error cannot be priced";
}

TEST_F(SettlementFold, ACityKeepsItsLatestEightClimateDays) {
  for (int d = 1; d <= 12; ++d) {
    ASSERT_TRUE(Add(ForecastObserved{"NYC", "KNYC", absl::StrCat("2025-03-", d < 10 ? "0" : "", d), Fixed::FromInt(50 + d), Fixed::FromInt(3),
                                     0, "standin", ""})
                    .ok());
  }
  ASSERT_EQ(state_.forecasts["NYC"].size(), kForecastDaysKept);
  EXPECT_EQ(state_.forecasts["NYC"].begin()->first, "2025-03-05");
  // A snapshot keeps instruments and forecasts.
  absl::StatusOr<State> back = DecodeState(EncodeState(state_));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, state_);
}

TEST(RecordedKalshi, EveryMarketReadsAsABinaryContractOnTheCentGrid) {
  auto markets = venue::kalshi::ReadRecordedMarkets(DataPath("kalshi_weather_markets_2024-08-16_2025-05-08.csv"));
  ASSERT_TRUE(markets.ok()) << markets.status();
  ASSERT_EQ(markets->size(), 7404u);
  std::map<StrikeType, int> by_type;
  int settled = 0;
  for (const auto& m : *markets) {
    ASSERT_EQ(InstrumentProblem(m.instrument), "") << m.ticker.value;
    ++by_type[m.instrument.terms.strike_type];
    settled += m.result.has_value();
  }
  EXPECT_EQ(by_type[StrikeType::kBetween], 4936);
  EXPECT_EQ(by_type[StrikeType::kGreater], 1234);
  EXPECT_EQ(by_type[StrikeType::kLess], 1234);
  EXPECT_EQ(settled, 7020);
  const auto& first = markets->front();  // HIGHNY-24AUG16-T84: "83° or below"
  EXPECT_EQ(first.ticker.value, "HIGHNY-24AUG16-T84");
  EXPECT_EQ(first.instrument.terms.strike_type, StrikeType::kLess);
  EXPECT_EQ(first.instrument.terms.cap_strike, Fixed::FromInt(84));
  EXPECT_EQ(first.instrument.min_price, D("0.01"));
  EXPECT_EQ(first.instrument.max_price, D("0.99"));
  EXPECT_EQ(first.instrument.contract_value, Fixed::FromInt(1));
  EXPECT_EQ(first.result, MarketResult::kNo);
}

// Each settled event's six results imply the day's high; every market's
// strikes, read from its fields, must say the same.
TEST(RecordedKalshi, EveryRecordedResultFollowsFromTheStrikesAndTheDaysHigh) {
  auto markets = venue::kalshi::ReadRecordedMarkets(DataPath("kalshi_weather_markets_2024-08-16_2025-05-08.csv"));
  auto settlements =
      venue::kalshi::ReadRecordedSettlements(DataPath("kalshi_weather_settlements_2024-08-16_2025-05-08.csv"));
  ASSERT_TRUE(markets.ok() && settlements.ok());
  ASSERT_EQ(settlements->size(), 1170u);
  std::map<std::string, int> high_by_event;
  for (const auto& s : *settlements) high_by_event[s.event] = s.high_min_f ? *s.high_min_f : *s.high_max_f;
  int checked = 0;
  for (const auto& m : *markets) {
    auto it = high_by_event.find(m.instrument.terms.event);
    if (it == high_by_event.end() || !m.result) continue;
    EXPECT_EQ(ResolvesYes(m.instrument.terms, Fixed::FromInt(it->second)), *m.result == MarketResult::kYes)
        << m.ticker.value << " at " << it->second << " F";
    ++checked;
  }
  EXPECT_EQ(checked, 1170 * 6);
}

TEST(RecordedKalshi, TradesReadInDollarsExactlyAndInTimeOrder) {
  auto tape = venue::kalshi::ReadRecordedTrades(DataPath("trades/kxhighny_trades_2025-03-29_2025-04-11.csv"));
  ASSERT_TRUE(tape.ok()) << tape.status();
  ASSERT_EQ(tape->size(), 20271u);
  const auto& first = tape->front();
  EXPECT_EQ(first.ticker.value, "KXHIGHNY-25MAR29-B81.5");
  EXPECT_EQ(first.yes_price, D("0.41"));
  EXPECT_EQ(first.count, Fixed::FromInt(4));
  EXPECT_TRUE(first.taker_bought_yes);
  EXPECT_EQ(first.time_ms, 1'743'170'466'734);
}

TEST(RecordedKalshi, ABadCellIsRefusedNamingFileLineAndColumn) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/trades.csv";
  std::ofstream(path) << "event_date,trade_id,ticker,created_time,yes_price,no_price,count,taker_side\n"
                      << "2025-03-29,a,KXHIGHNY-25MAR29-B81.5,2025-03-28T14:01:06Z,41,59,4,yes\n"
                      << "2025-03-29,b,KXHIGHNY-25MAR29-B81.5,2025-03-28T14:01:07Z,41,58,4,yes\n";
  auto tape = venue::kalshi::ReadRecordedTrades(path);
  ASSERT_FALSE(tape.ok());
  EXPECT_EQ(tape.status().message(), path + ":3: yes_price '41' and no_price 58 do not make 100 cents");
  EXPECT_FALSE(venue::kalshi::ReadRecordedTrades(dir.path() + "/none.csv").ok());
}

// The reject breaker's memory: each refusal's time, the newest 64, through a
// snapshot (State's schema 12).
TEST_F(SettlementFold, TheVenuesRefusalsAreRememberedWithTheirTimesTheNewest64) {
  for (int i = 0; i < 70; ++i) {
    const ClientOrderId id{absl::StrCat("ap-", i, "-E")};
    ASSERT_TRUE(Add(OrderPlaced{id, ticker_, Side::kBuy, OrderType::kLimit, OrderPurpose::kEntry, Fixed::FromInt(1),
                                D("0.41"), Fixed(), false, ClientOrderId{}})
                    .ok());
    ASSERT_TRUE(Add(OrderRejected{id, 400, "market_inactive"}, 1'743'300'000'000'000'000 + i).ok());
  }
  ASSERT_EQ(state_.order_rejects_ns.size(), kOrderRejectsKept);
  EXPECT_EQ(state_.order_rejects_ns.front(), 1'743'300'000'000'000'000 + 6);
  EXPECT_EQ(state_.order_rejects_ns.back(), 1'743'300'000'000'000'000 + 69);
  absl::StatusOr<State> back = DecodeState(EncodeState(state_));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->order_rejects_ns, state_.order_rejects_ns);
}

// The repricer's anchor: the first entry price of our intent in a market
// on each side, kept through a reprice's cancel (a re-entry chases from
// it) and in snapshots, ended by any other way an entry leaves unfilled,
// dropped with the market at its settlement.
TEST_F(SettlementFold, AnEntryIntentKeepsItsFirstPriceOnEachSideUntilItEnds) {
  auto place = [&](const char* id, Side side, const char* price) {
    return Add(OrderPlaced{ClientOrderId{id}, ticker_, side, OrderType::kLimit, OrderPurpose::kEntry, Fixed::FromInt(5),
                           D(price), Fixed(), false, ClientOrderId{}});
  };
  ASSERT_TRUE(place("ap-3-E", Side::kBuy, "0.41").ok());
  ASSERT_TRUE(Add(OrderCancelled{ClientOrderId{"ap-3-E"}, "REPRICE"}).ok());
  ASSERT_TRUE(place("ap-5-E", Side::kBuy, "0.43").ok());
  ASSERT_TRUE(place("ap-6-E", Side::kSell, "0.52").ok());
  EXPECT_EQ(state_.entry_anchors.at(ticker_), (EntryAnchor{D("0.41"), D("0.52")}));
  absl::StatusOr<State> back = DecodeState(EncodeState(state_));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->entry_anchors, state_.entry_anchors);
  ASSERT_TRUE(Add(CancelRequested{ClientOrderId{"ap-5-E"}, "REPRICE"}).ok()) << "the order stays open";
  EXPECT_EQ(state_.orders.at(ClientOrderId{"ap-5-E"}).cancel_requested, "REPRICE");
  EXPECT_FALSE(Add(CancelRequested{ClientOrderId{"ap-3-E"}, "REPRICE"}).ok()) << "not open any more";
  // A reprice answered under another name (its reply lost, the order asked for) keeps the intent.
  ASSERT_TRUE(Add(OrderCancelled{ClientOrderId{"ap-5-E"}, "CANCELLED_ON_KALSHI"}).ok());
  EXPECT_EQ(state_.entry_anchors.at(ticker_), (EntryAnchor{D("0.41"), D("0.52")}));
  // An intent that ends otherwise than by a reprice starts afresh: withdrawn, refused.
  ASSERT_TRUE(place("ap-7-E", Side::kBuy, "0.44").ok());
  ASSERT_TRUE(Add(OrderCancelled{ClientOrderId{"ap-7-E"}, "SIGNAL_GONE"}).ok());
  EXPECT_EQ(state_.entry_anchors.at(ticker_), (EntryAnchor{Fixed(), D("0.52")}));
  ASSERT_TRUE(Add(OrderRejected{ClientOrderId{"ap-6-E"}, 400, "market_inactive"}).ok());
  EXPECT_EQ(state_.entry_anchors.at(ticker_), (EntryAnchor{}));
  ASSERT_TRUE(place("ap-9-E", Side::kBuy, "0.47").ok());
  EXPECT_EQ(state_.entry_anchors.at(ticker_).buy, D("0.47"));
  ASSERT_TRUE(Add(OrderCancelled{ClientOrderId{"ap-9-E"}, "MARKET_SETTLED"}).ok());
  ASSERT_TRUE(Add(MarketSettled{ticker_, MarketResult::kNo, Fixed(), 0, "kalshi"}).ok());
  EXPECT_TRUE(state_.entry_anchors.empty());
}

TEST_F(SettlementFold, ATicksVolumeAndOpenInterestAreTheBooksAndNeverNegative) {
  ASSERT_TRUE(Add(MarketTick{ticker_, D("0.2"), D("0.22"), 1'743'300'000'000, D("612"), D("140")}).ok());
  EXPECT_EQ(state_.book.at(ticker_).volume, D("612"));
  EXPECT_EQ(state_.book.at(ticker_).open_interest, D("140"));
  const absl::Status st = Add(MarketTick{ticker_, D("0.2"), D("0.22"), 1'743'300'000'000, D("-1"), D("140")});
  EXPECT_THAT(std::string(st.message()), HasSubstr("volume or open interest below 0"));
}

}  // namespace
}  // namespace apollo
