// The domain: fixed-point numbers, the event codec, order transitions, the
// fold and snapshot encoding.
#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include <cstdint>
#include <regex>

#include "engine/domain/codec.h"
#include "engine/domain/order_status.h"
#include "engine/domain/state.h"
#include "engine/domain/wire.h"
#include "engine/orders/orders.h"
#include "tests/support/random_events.h"

namespace apollo {
namespace {

TEST(Fixed, ParsesAndPrintsExactDecimals) {
  EXPECT_EQ(Fixed::Parse("16650.5")->ToString(), "16650.5");
  EXPECT_EQ(Fixed::Parse("-0.00000001")->raw(), -1);
  EXPECT_EQ(Fixed::Parse("0.10000000")->ToString(), "0.1");
  EXPECT_EQ(Fixed::Parse("42")->ToString(), "42");
  EXPECT_FALSE(Fixed::Parse("1.123456789").ok());
  EXPECT_FALSE(Fixed::Parse("abc").ok());
  EXPECT_FALSE(Fixed::Parse("").ok());
  EXPECT_FALSE(Fixed::Parse("1e5").ok());
  EXPECT_FALSE(Fixed::Parse("99999999999999").ok());
}

// A venue's number that is not one fails loudly: never a 0.
TEST(Fixed, RefusesEverythingThatIsNotAnExactDecimal) {
  for (const char* bad : {"", " ", "-", "+", ".", "-.", "NaN", "nan", "inf", "-Infinity", "1e-3", "0x10", " 1",
                          "1 ", "1,5", "1.2.3", "--1", "+-1", "1-", "12a", "null", "\"1\"",
                          "92233720368.54775808", "-92233720368.54775809", "100000000000000000000"}) {
    EXPECT_FALSE(Fixed::Parse(bad).ok()) << "'" << bad << "'";
  }
  EXPECT_EQ(Fixed::Parse("92233720368.54775807")->raw(), INT64_MAX);
  EXPECT_EQ(Fixed::Parse("-92233720368.54775807")->raw(), -INT64_MAX);
  EXPECT_EQ(Fixed::Parse("0.10000000000")->ToString(), "0.1");  // trailing zeros past 8 decimals are exact
}

TEST(Fixed, MultipliesAndRoundsToSteps) {
  const Fixed px = *Fixed::Parse("16650.5"), qty = *Fixed::Parse("0.003");
  EXPECT_EQ(px.Mul(qty).ToString(), "49.9515");
  EXPECT_EQ(Fixed::Parse("0.0037")->FloorTo(*Fixed::Parse("0.001")).ToString(), "0.003");
  EXPECT_EQ(Fixed::Parse("16650.56")->RoundTo(*Fixed::Parse("0.1")).ToString(), "16650.6");
  EXPECT_EQ(Fixed::FromInt(1).Div(Fixed::FromInt(3)).ToString(), "0.33333333");
}

TEST(Fixed, RoundsHalvesAwayFromZeroInEveryRoundingOperation) {
  EXPECT_EQ(Fixed::FromRaw(5).Mul(*Fixed::Parse("0.5")).raw(), 3);    // 2.5e-8 -> 3e-8
  EXPECT_EQ(Fixed::FromRaw(-5).Mul(*Fixed::Parse("0.5")).raw(), -3);
  EXPECT_EQ(Fixed::FromRaw(1).Div(Fixed::FromInt(2)).raw(), 1);       // 0.5e-8 -> 1e-8
  EXPECT_EQ(Fixed::Parse("0.15")->RoundTo(*Fixed::Parse("0.1")).ToString(), "0.2");
  EXPECT_EQ(Fixed::Parse("-0.15")->RoundTo(*Fixed::Parse("0.1")).ToString(), "-0.2");
  EXPECT_EQ(Fixed::Parse("-0.19")->FloorTo(*Fixed::Parse("0.1")).ToString(), "-0.1");  // toward zero
}

TEST(Fixed, OutOfRangeDoublesAreRefusedNotGuessed) {
  EXPECT_FALSE(Fixed::FromDoubleChecked(std::nan("")).ok());
  EXPECT_FALSE(Fixed::FromDoubleChecked(1e300).ok());
  EXPECT_FALSE(Fixed::FromDoubleChecked(-std::numeric_limits<double>::infinity()).ok());
  EXPECT_EQ(Fixed::FromDoubleChecked(-1.5)->ToString(), "-1.5");
}

TEST(FixedDeathTest, OverflowAndDivisionByZeroStopWithOneLineInsteadOfWrapping) {
  const Fixed big = *Fixed::Parse("90000000000");
  EXPECT_DEATH((void)(big + big), "fixed-point \\+ of 90000000000 and 90000000000");
  EXPECT_DEATH((void)(-big - big), "fixed-point - of");
  EXPECT_DEATH((void)big.Mul(big), "fixed-point Mul of");
  EXPECT_DEATH((void)Fixed::FromInt(1).Div(Fixed()), "fixed-point Div of 1 and 0");
  EXPECT_DEATH((void)big.RoundTo(Fixed()), "fixed-point RoundTo");
  EXPECT_DEATH((void)Fixed::FromInt(int64_t{1} << 40), "fixed-point FromInt");
  EXPECT_DEATH((void)Fixed::FromDouble(std::nan("")), "FromDouble of nan");
}

TEST(Fixed, CheckedArithmeticSaysOutOfRangeInsteadOfStopping) {
  const Fixed big = *Fixed::Parse("90000000000");
  EXPECT_EQ(big.CheckedAdd(big), std::nullopt);
  EXPECT_EQ(big.CheckedMul(big), std::nullopt);
  EXPECT_EQ(Fixed::FromInt(1).CheckedDiv(Fixed()), std::nullopt);
  EXPECT_EQ(Fixed::FromInt(2).CheckedAdd(Fixed::FromInt(3)), Fixed::FromInt(5));
  EXPECT_EQ(Fixed::FromInt(2).CheckedMul(*Fixed::Parse("0.5")), Fixed::FromInt(1));
  EXPECT_EQ(Fixed::FromInt(3).CheckedDiv(Fixed::FromInt(2)), *Fixed::Parse("1.5"));
}

TEST(Codec, EveryEventTypeRoundTripsByteForByte) {
  const std::vector<Event> events = testing::OneOfEach();
  std::set<EventTag> tags;
  for (const Event& e : events) {
    std::string bytes;
    EncodeBody(e.body, &bytes);
    auto back = DecodeBody(static_cast<uint16_t>(TagOf(e.body)), SchemaVersionOf(e.body), bytes);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, e.body) << EventName(static_cast<uint16_t>(TagOf(e.body)));
    std::string again;
    EncodeBody(*back, &again);
    EXPECT_EQ(again, bytes);
    tags.insert(TagOf(e.body));
  }
  EXPECT_EQ(tags.size(), std::variant_size_v<EventBody>) << "OneOfEach misses an event type";
}

TEST(Codec, UnknownTagOrVersionOrTrailingBytesIsAnError) {
  EXPECT_FALSE(DecodeBody(999, 1, "").ok());
  EXPECT_FALSE(DecodeBody(static_cast<uint16_t>(EventTag::kSystemStopped), 2, "").ok());
  std::string bytes;
  EncodeBody(SystemStopped{"SIGTERM"}, &bytes);
  EXPECT_FALSE(DecodeBody(static_cast<uint16_t>(EventTag::kSystemStopped), 1, bytes + "x").ok());
  EXPECT_FALSE(DecodeBody(static_cast<uint16_t>(EventTag::kSystemStopped), 1, bytes.substr(0, 3)).ok());
}

TEST(Codec, JsonNamesTheTypeAndFields) {
  const Event e{7, 1'000, OrderCancelled{ClientOrderId{"ap-7-T"}, "OCO \"x\""}};
  EXPECT_EQ(EventToJson(e),
            R"({"seq":7,"ts_ns":1000,"type":"OrderCancelled","data":{"client_order_id":"ap-7-T","reason":"OCO \"x\""}})");
}

TEST(OrderStatusTable, AllowsTheLifeCycleAndRefusesTheRest) {
  using S = OrderStatus;
  using R = OrderReport;
  EXPECT_EQ(*NextOrderStatus(S::kPlaced, R::kAccepted), S::kAccepted);
  EXPECT_EQ(*NextOrderStatus(S::kAccepted, R::kPartialFill), S::kPartiallyFilled);
  EXPECT_EQ(*NextOrderStatus(S::kPartiallyFilled, R::kPartialFill), S::kPartiallyFilled);
  EXPECT_EQ(*NextOrderStatus(S::kPartiallyFilled, R::kFill), S::kFilled);
  EXPECT_EQ(*NextOrderStatus(S::kPlaced, R::kFill), S::kFilled);
  EXPECT_EQ(*NextOrderStatus(S::kPlaced, R::kRejected), S::kRejected);
  EXPECT_FALSE(NextOrderStatus(S::kAccepted, R::kAccepted).ok());
  EXPECT_FALSE(NextOrderStatus(S::kAccepted, R::kRejected).ok());
  for (S terminal : {S::kFilled, S::kCancelled, S::kRejected, S::kExpired}) {
    for (R r : {R::kAccepted, R::kRejected, R::kPartialFill, R::kFill, R::kCancelled, R::kExpired}) {
      EXPECT_FALSE(NextOrderStatus(terminal, r).ok());
    }
  }
}

class FoldTest : public ::testing::Test {
 protected:
  absl::Status Add(EventBody body, int64_t ts_ns = 1'700'000'000'000'000'000) {
    return Apply(state_, Event{state_.last_seq + 1, ts_ns, std::move(body)});
  }
  State state_;
};

TEST_F(FoldTest, DuplicateFillIsRefusedAndChangesNothing) {
  const ClientOrderId id{"ap-2-E"};
  ASSERT_TRUE(Add(ConfigLoaded{"h", "v", Fixed::FromInt(1000)}).ok());
  ASSERT_TRUE(Add(OrderPlaced{id, Symbol{"BTCUSDT"}, Side::kBuy, OrderType::kMarket, OrderPurpose::kEntry,
                              Fixed::FromInt(2), Fixed(), Fixed(), false, {}}).ok());
  const Fill fill{id, TradeId{"t1"}, Fixed::FromInt(100), Fixed::FromInt(1), Fixed::FromInt(1)};
  ASSERT_TRUE(Add(OrderPartialFill{fill}).ok());
  const State before = state_;
  const absl::Status dup = Add(OrderPartialFill{fill});
  EXPECT_EQ(dup.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(dup.message().find("duplicate fill t1"), absl::string_view::npos);
  EXPECT_EQ(state_, before);
}

TEST_F(FoldTest, FillAfterCancelIsRefused) {
  const ClientOrderId id{"ap-2-E"};
  ASSERT_TRUE(Add(OrderPlaced{id, Symbol{"BTCUSDT"}, Side::kBuy, OrderType::kLimit, OrderPurpose::kEntry,
                              Fixed::FromInt(1), Fixed::FromInt(100), Fixed(), false, {}}).ok());
  ASSERT_TRUE(Add(OrderCancelled{id, "OPERATOR"}).ok());
  EXPECT_FALSE(Add(OrderFilled{{id, TradeId{"t1"}, Fixed::FromInt(100), Fixed::FromInt(1), Fixed()}}).ok());
  EXPECT_TRUE(state_.orders.empty());
}

TEST_F(FoldTest, OverfillAndShortFinalFillAreRefused) {
  const ClientOrderId id{"ap-2-E"};
  ASSERT_TRUE(Add(OrderPlaced{id, Symbol{"BTCUSDT"}, Side::kBuy, OrderType::kMarket, OrderPurpose::kEntry,
                              Fixed::FromInt(2), Fixed(), Fixed(), false, {}}).ok());
  EXPECT_FALSE(Add(OrderPartialFill{{id, TradeId{"a"}, Fixed::FromInt(1), Fixed::FromInt(3), Fixed()}}).ok());
  EXPECT_FALSE(Add(OrderFilled{{id, TradeId{"b"}, Fixed::FromInt(1), Fixed::FromInt(1), Fixed()}}).ok());
  EXPECT_FALSE(Add(OrderPartialFill{{id, TradeId{"c"}, Fixed::FromInt(1), Fixed::FromInt(2), Fixed()}}).ok());
}

TEST_F(FoldTest, LossesDrawdownAndDailyPnlFollowClosedTrades) {
  const Symbol btc{"BTCUSDT"};
  ASSERT_TRUE(Add(ConfigLoaded{"h", "v", Fixed::FromInt(1000)}).ok());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(Add(PositionOpened{btc, Side::kBuy, Fixed::FromInt(1), Fixed::FromInt(100), Fixed(), Fixed(),
                                   Fixed::FromInt(1), {}}).ok());
    ASSERT_TRUE(Add(PositionClosed{btc, Side::kBuy, Fixed::FromInt(1), Fixed::FromInt(100), Fixed::FromInt(90), Fixed::FromInt(-10), Fixed(),
                                   CloseReason::kStopLoss}).ok());
  }
  EXPECT_EQ(state_.consecutive_losses, 3u);
  EXPECT_EQ(state_.balance, Fixed::FromInt(970));
  EXPECT_EQ(state_.max_drawdown_pct, Fixed::FromInt(3));
  EXPECT_EQ(state_.DailyPnlPct(), Fixed::FromInt(-3));
  // The next UTC day starts at zero.
  ASSERT_TRUE(Add(TradeCycleCompleted{}, 1'700'000'000'000'000'000 + 86'400'000'000'000).ok());
  EXPECT_EQ(state_.DailyPnlPct(), Fixed());
  ASSERT_TRUE(Add(ManualReviewAcknowledged{"cli", "reviewed"}).ok());
  EXPECT_EQ(state_.consecutive_losses, 0u);
  EXPECT_EQ(state_.drawdown_pct, Fixed());
}

// What the seed's performance metrics read: results of the closes, holding
// and in-market time, and the closes of the last 30 days.
TEST_F(FoldTest, TradeStatsFollowClosesHoldingTimeAndTimeInMarket) {
  const Symbol btc{"BTCUSDT"}, eth{"ETHUSDT"};
  constexpr int64_t kT0 = 1'700'000'000'000'000'000, kHour = 3'600'000'000'000;
  ASSERT_TRUE(Add(ConfigLoaded{"h", "v", Fixed::FromInt(1000)}, kT0).ok());
  auto open = [&](const Symbol& s, int64_t ts) {
    return Add(PositionOpened{s, Side::kBuy, Fixed::FromInt(2), Fixed::FromInt(100), Fixed(), Fixed(), Fixed::FromInt(1), {}}, ts);
  };
  auto close = [&](const Symbol& s, int64_t ts, int qty, int pnl, int fee) {
    return Add(PositionClosed{s, Side::kBuy, Fixed::FromInt(qty), Fixed::FromInt(100), Fixed::FromInt(100 + pnl / qty),
                              Fixed::FromInt(pnl), Fixed::FromInt(fee), CloseReason::kTakeProfit},
               ts);
  };
  ASSERT_TRUE(open(btc, kT0 + kHour).ok());
  ASSERT_TRUE(open(eth, kT0 + 2 * kHour).ok());
  ASSERT_TRUE(close(btc, kT0 + 3 * kHour, 1, 30, 2).ok());  // partial: +28 after 2 h
  ASSERT_TRUE(close(btc, kT0 + 4 * kHour, 1, 10, 1).ok());  // +9 after 3 h
  ASSERT_TRUE(close(eth, kT0 + 5 * kHour, 2, -20, 2).ok()); // -22 after 3 h, the book is flat
  const TradeStats& st = state_.stats;
  EXPECT_EQ(st.gross_profit, Fixed::FromInt(37));
  EXPECT_EQ(st.gross_loss, Fixed::FromInt(22));
  EXPECT_EQ(st.holding_ns, 8 * kHour);
  EXPECT_EQ(st.in_market_ns, 4 * kHour) << "from the first opening to the last close";
  EXPECT_EQ(st.in_market_since_ns, 0);
  EXPECT_EQ(st.first_ts_ns, kT0);
  ASSERT_EQ(st.recent.size(), 3u);
  EXPECT_EQ(st.recent[2].net, Fixed::FromInt(-22));
  // 31 days later the old closes leave the window.
  ASSERT_TRUE(open(btc, kT0 + 31 * 24 * kHour).ok());
  EXPECT_EQ(st.in_market_since_ns, kT0 + 31 * 24 * kHour);
  ASSERT_TRUE(close(btc, kT0 + 31 * 24 * kHour + kHour, 2, 4, 0).ok());
  ASSERT_EQ(st.recent.size(), 1u);
  EXPECT_EQ(st.recent[0].net, Fixed::FromInt(4));
  EXPECT_EQ(st.gross_profit, Fixed::FromInt(41)) << "the totals keep everything";
}

TEST_F(FoldTest, ReconciliationOutcomesAndTheirDifferencesAreCountedByType) {
  ASSERT_TRUE(Add(ReconciliationCompleted{}).ok());
  ASSERT_TRUE(Add(ReconciliationFailed{"timeout"}).ok());
  ASSERT_TRUE(Add(ManualInterventionDetected{{Discrepancy{InterventionAction::kPositionClosedExternally},
                                              Discrepancy{InterventionAction::kBalanceMismatch},
                                              Discrepancy{InterventionAction::kTrailingStopUpdateFailed}}}).ok());
  EXPECT_EQ(state_.stats.reconciliations_ok, 1u);
  EXPECT_EQ(state_.stats.reconciliations_failed, 1u);
  EXPECT_EQ(state_.stats.discrepancies, (absl::btree_map<std::string, uint64_t>{
                                            {"BALANCE_MISMATCH", 1}, {"POSITION_CLOSED_EXTERNALLY", 1}}))
      << "a failed trailing-stop move is not a reconciliation difference";
}

// The seed's daily summary: the first event of a later UTC day closes the day.
TEST_F(FoldTest, FirstEventOfANewDayClosesTheDayWithItsTotals) {
  const Symbol btc{"BTCUSDT"};
  constexpr int64_t kDay = 86'400'000'000'000;
  constexpr int64_t kMidnight = 19'700 * kDay;  // 2023-12-09T00:00Z
  ASSERT_TRUE(Add(ConfigLoaded{"h", "v", Fixed::FromInt(1000)}, kMidnight + 60'000'000'000).ok());
  EXPECT_EQ(state_.last_day.day_utc, -1) << "no day closed yet";
  ASSERT_TRUE(Add(SignalComputed{btc}, kMidnight + kDay / 2).ok());
  ASSERT_TRUE(Add(PositionOpened{btc, Side::kBuy, Fixed::FromInt(1), Fixed::FromInt(100), Fixed(), Fixed(), Fixed::FromInt(1), {}},
                  kMidnight + kDay / 2).ok());
  ASSERT_TRUE(Add(PositionClosed{btc, Side::kBuy, Fixed::FromInt(1), Fixed::FromInt(100), Fixed::FromInt(125),
                                 Fixed::FromInt(25), Fixed(), CloseReason::kTakeProfit},
                  kMidnight + kDay - 1).ok());
  ASSERT_TRUE(Add(FundingPaid{btc, Side::kBuy, Fixed::FromInt(1), Fixed::FromInt(100), *Fixed::Parse("0.01"), Fixed::FromInt(-1), 0},
                  kMidnight + kDay - 1).ok());
  EXPECT_EQ(state_.last_day.day_utc, -1);
  ASSERT_TRUE(Add(TradeCycleCompleted{}, kMidnight + kDay).ok());
  const DaySummary& d = state_.last_day;
  EXPECT_EQ(d.day_utc, 19'700);
  EXPECT_EQ(d.start.balance, Fixed::FromInt(1000));
  EXPECT_EQ(d.end.balance, Fixed::FromInt(1024));
  EXPECT_EQ(d.end.realized_pnl - d.start.realized_pnl, Fixed::FromInt(25));
  EXPECT_EQ(d.end.funding_paid - d.start.funding_paid, Fixed::FromInt(1));
  EXPECT_EQ(d.end.counters.signals - d.start.counters.signals, 1u);
  EXPECT_EQ(d.end.counters.wins - d.start.counters.wins, 1u);
  EXPECT_EQ(d.open_positions, 0u);
  EXPECT_EQ(state_.day_start.balance, Fixed::FromInt(1024)) << "the new day starts where the old one ended";
  // A refused first event of a day closes nothing.
  const State before = state_;
  EXPECT_FALSE(Add(PositionClosed{btc, Side::kBuy, Fixed::FromInt(1)}, kMidnight + 2 * kDay).ok());
  EXPECT_EQ(state_, before);
}

TEST_F(FoldTest, FlagsAreSetAndClearedOnlyByTheirEvents) {
  ASSERT_TRUE(Add(CircuitBreakerTriggered{RiskRule::kConsecutiveLosses, "3 losses", {}}).ok());
  ASSERT_TRUE(Add(ManualInterventionDetected{{Discrepancy{InterventionAction::kPositionClosedExternally}}}).ok());
  ASSERT_TRUE(Add(TradingPaused{"api", "lunch"}).ok());
  EXPECT_TRUE(state_.TradingBlocked());
  EXPECT_EQ(state_.manual_review.reason, "POSITION_CLOSED_EXTERNALLY");
  ASSERT_TRUE(Add(TradingResumed{"api", "back"}).ok());
  EXPECT_TRUE(state_.TradingBlocked());
  ASSERT_TRUE(Add(ManualReviewAcknowledged{"cli", "ok"}).ok());
  EXPECT_FALSE(state_.TradingBlocked());
  EXPECT_EQ(state_.manual_review.who, "cli");
}

TEST_F(FoldTest, NewsBlockExpires) {
  const Symbol btc{"BTCUSDT"};
  const int64_t t0 = 1'700'000'000'000'000'000;
  ASSERT_TRUE(Add(NewsClassified{btc, "hack", "hack_exploit", NewsRisk::kHigh, Fixed(), t0 + 1000}, t0).ok());
  EXPECT_TRUE(state_.NewsBlocked(btc, t0 + 999));
  EXPECT_FALSE(state_.NewsBlocked(btc, t0 + 1000));
  EXPECT_FALSE(state_.NewsBlocked(Symbol{"ETHUSDT"}, t0));
}

TEST_F(FoldTest, OutOfSequenceEventIsRefused) {
  EXPECT_FALSE(Apply(state_, Event{2, 0, TradeCycleCompleted{}}).ok());
}

TEST(Snapshot, StateRoundTripsAndUnknownVersionIsRefused) {
  testing::RandomEventStream stream(7);
  for (int i = 0; i < 2000; ++i) stream.Next();
  const std::string bytes = EncodeState(stream.state());
  auto back = DecodeState(bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, stream.state());
  EXPECT_EQ(EncodeState(*back), bytes);
  std::string bad = bytes;
  bad[0] = 99;
  EXPECT_FALSE(DecodeState(bad).ok());
  EXPECT_FALSE(DecodeState(bytes.substr(0, bytes.size() - 1)).ok());
}

// For thousands of random valid streams: folding a snapshot taken at any
// point, then the tail, gives exactly the full fold.
TEST(Snapshot, SnapshotPlusTailEqualsFullFoldForRandomStreams) {
  for (uint64_t seed = 1; seed <= 2000; ++seed) {
    testing::RandomEventStream stream(seed);
    std::mt19937_64 rng(seed);
    const size_t n = 20 + rng() % 200;
    const size_t cut = rng() % (n + 1);
    std::vector<Event> events;
    for (size_t i = 0; i < n; ++i) events.push_back(stream.Next());
    State partial;
    for (size_t i = 0; i < cut; ++i) ASSERT_TRUE(Apply(partial, events[i]).ok());
    auto restored = DecodeState(EncodeState(partial));
    ASSERT_TRUE(restored.ok());
    for (size_t i = cut; i < n; ++i) ASSERT_TRUE(Apply(*restored, events[i]).ok());
    ASSERT_EQ(*restored, stream.state()) << "seed " << seed << " cut " << cut;
  }
}

// Ledgers written before ConfigLoaded v2 / TradeCycleCompleted v2 still read.
TEST(Codec, ConfigLoadedOfSchemaOneReadsWithoutItsText) {
  std::string bytes;
  wire::Writer w(&bytes);
  wire::Put(w, ConfigLoadedV1{"cafe", "v0.1", Fixed::FromInt(5000)});
  absl::StatusOr<EventBody> body = DecodeBody(static_cast<uint16_t>(EventTag::kConfigLoaded), 1, bytes);
  ASSERT_TRUE(body.ok()) << body.status();
  const auto& c = std::get<ConfigLoaded>(*body);
  EXPECT_EQ(c.config_hash, "cafe");
  EXPECT_EQ(c.initial_equity, Fixed::FromInt(5000));
  EXPECT_TRUE(c.config_text.empty());
}

TEST(Codec, SystemStartedOfSchemaOneReadsWithoutANonce) {
  std::string bytes;
  wire::Writer w(&bytes);
  wire::Put(w, SystemStartedV1{Mode::kTestnet, "v0.1"});
  absl::StatusOr<EventBody> body = DecodeBody(static_cast<uint16_t>(EventTag::kSystemStarted), 1, bytes);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(std::get<SystemStarted>(*body), (SystemStarted{Mode::kTestnet, "v0.1", ""}));
}

// The nonce is set by the first start that carries one and never changes;
// client ids fold it in, within Binance's 36 characters.
TEST(Fold, ClientIdNonceIsTheLedgersForGood) {
  State s;
  ASSERT_TRUE(Apply(s, Event{1, 0, SystemStarted{Mode::kTestnet, "old", ""}}).ok());
  EXPECT_EQ(s.client_id_nonce, "");
  ASSERT_TRUE(Apply(s, Event{2, 0, SystemStarted{Mode::kTestnet, "new", "k3x9q2mw"}}).ok());
  EXPECT_EQ(s.client_id_nonce, "k3x9q2mw");
  ASSERT_TRUE(Apply(s, Event{3, 0, SystemStarted{Mode::kTestnet, "new", "k3x9q2mw"}}).ok());
  EXPECT_FALSE(Apply(s, Event{4, 0, SystemStarted{Mode::kTestnet, "new", "zzzzzzzz"}}).ok());
  EXPECT_EQ(DecodeState(EncodeState(s))->client_id_nonce, "k3x9q2mw");

  EXPECT_EQ(orders::MakeClientOrderId(Mode::kPaper, "", 1234, 'E').value, "ap-p1234-E");
  EXPECT_EQ(orders::MakeClientOrderId(Mode::kTestnet, "k3x9q2mw", 1234, 'S').value, "ap-tk3x9q2mw-1234-S");
  const std::string longest = orders::MakeClientOrderId(Mode::kLive, orders::ClientIdNonce(UINT64_MAX), UINT64_MAX, 'T').value;
  EXPECT_LE(longest.size(), 36u) << longest;
  EXPECT_TRUE(std::regex_match(longest, std::regex("^[.A-Z:/a-z0-9_-]{1,36}$"))) << longest;
  EXPECT_NE(orders::ClientIdNonce(1), orders::ClientIdNonce(2));
  EXPECT_EQ(orders::ClientIdNonce(0).size(), orders::kClientIdNonceChars);
}

TEST(Codec, TradeCycleCompletedOfSchemaOneReadsWithoutItsDecisionPoint) {
  std::string bytes;
  wire::Writer w(&bytes);
  wire::Put(w, TradeCycleCompletedV1{1'672'675'500'000, 1, 2});
  absl::StatusOr<EventBody> body = DecodeBody(static_cast<uint16_t>(EventTag::kTradeCycleCompleted), 1, bytes);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(std::get<TradeCycleCompleted>(*body), (TradeCycleCompleted{1'672'675'500'000, 1, 2, 0, 0}));
  EXPECT_FALSE(DecodeBody(static_cast<uint16_t>(EventTag::kTradeCycleCompleted), 3, bytes).ok());
}

TEST(Codec, MarketTickOfSchemaOneReadsWithNoVolumeOrOpenInterest) {
  std::string bytes;
  wire::Writer w(&bytes);
  const Fixed bid = Fixed::FromInt(16849), ask = *Fixed::Parse("16849.1");
  wire::Put(w, MarketTickV1{Symbol{"BTCUSDT"}, bid, ask, 1'672'675'200'000});
  absl::StatusOr<EventBody> body = DecodeBody(static_cast<uint16_t>(EventTag::kMarketTick), 1, bytes);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(std::get<MarketTick>(*body), (MarketTick{Symbol{"BTCUSDT"}, bid, ask, 1'672'675'200'000, Fixed(), Fixed()}));
}

TEST(Fold, JournaledFiltersAreTheStatesPerSymbol) {
  State s;
  const InstrumentFilters f{Fixed::FromRaw(10'000'000), Fixed::FromRaw(100'000), {}, {}, Fixed::FromInt(5)};
  ASSERT_TRUE(Apply(s, Event{1, 0, InstrumentFiltersUpdated{Symbol{"BTCUSDT"}, "paper_sim", f}}).ok());
  EXPECT_EQ(s.filters.at(Symbol{"BTCUSDT"}), f);
  EXPECT_FALSE(Apply(s, Event{2, 0, InstrumentFiltersUpdated{Symbol{}, "paper_sim", f}}).ok());
}

}  // namespace
}  // namespace apollo
