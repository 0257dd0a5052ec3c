// The engine step with the paper venue and a scripted strategy: protection
// only after the entry fills, OCO, stop-first bars, the watchdog, in-doubt
// orders after a crash, and the risk rules with their numbers.
#include <map>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "engine/domain/codec.h"
#include "engine/orders/orders.h"
#include "engine/risk/risk.h"
#include "engine/runtime/engine.h"
#include "engine/runtime/group_writer.h"
#include "engine/venue/paper_venue.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/event_log.h"
#include "tests/support/ledgers.h"
#include "tests/support/scripted_strategy.h"
#include "tests/support/temp_dir.h"

namespace apollo {
namespace {

using ::testing::ElementsAre;

constexpr int64_t kT0Ms = 1'672'531'200'000;  // 2023-01-01 00:00 UTC
constexpr int64_t kBarMs = 300'000;
const Symbol kBtc{"BTCUSDT"};

// A BTCUSDT stop-loss the venue accepted (ap-p9-S).
Order AcceptedStop(const char* qty, const char* stop_price) {
  Order o;
  o.client_order_id = ClientOrderId{"ap-p9-S"};
  o.symbol = kBtc;
  o.purpose = OrderPurpose::kStopLoss;
  o.status = OrderStatus::kAccepted;
  o.qty = *Fixed::Parse(qty);
  o.stop_price = *Fixed::Parse(stop_price);
  return o;
}

Fixed F(const char* s) { return *Fixed::Parse(s); }

using testing::ScriptedStrategy;

strategy::Decision Long(Fixed close, Fixed stop, Fixed take_profit) {
  strategy::EntryIdea idea;
  idea.signal = SignalComputed{kBtc, "scripted", Side::kBuy, F("0.9"), F("0.9"), "test", {}};
  idea.propose = true;
  idea.reference_price = close;
  idea.stop_price = stop;
  idea.take_profit_price = take_profit;
  idea.atr = F("100");
  return strategy::Decision{idea, std::nullopt};
}

// The paper venue, counting what reaches it.
class CountingVenue : public venue::Venue {
 public:
  explicit CountingVenue(venue::Venue* real) : real_(real) {}
  venue::Reports Submit(const Order& order) override {
    ++submitted;
    return real_->Submit(order);
  }
  venue::Reports Cancel(const Order& order, const std::string& reason) override { return real_->Cancel(order, reason); }
  absl::StatusOr<venue::Reports> Query(const Order& order) override { return real_->Query(order); }
  venue::Reports OnBar(const State& state, const CandleClose& bar) override { return real_->OnBar(state, bar); }
  int submitted = 0;

 private:
  venue::Venue* real_;
};

// An engine over a fresh ledger; Restart() builds a new one over the same
// ledger, as a new process would.
class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cfg_.paper_sim.slippage_base_bps = Fixed();
    cfg_.risk.max_position_notional_usd = Fixed::FromInt(1'000'000);
    Restart();
  }

  void Restart(int reject_protective = 0) {
    counting_.reset();
    venue_.reset();
    engine_.reset();
    ledger_.reset();
    ledger_ = *ledger::Ledger::OpenWriter(dir_.Sub("ledger"), {.faults = faults_});
    log_ = std::make_unique<runtime::Log>(*runtime::Log::Open(dir_.Sub("bot.log"), runtime::LogLevel::kDebug));
    runtime::EngineDeps deps;
    deps.cfg = cfg_;
    deps.build_version = "test";
    deps.ledger = ledger_.get();
    deps.symbols[Symbol{cfg_.run.symbol}] = runtime::TradedSymbol{&strategy_, risk::Filters{F("0.1"), F("0.001"), F("5"), {}, {}}};
    deps.clock = &clock_;
    deps.log = log_.get();
    engine_ = std::make_unique<runtime::Engine>(deps);
    venue_ = std::make_unique<venue::PaperVenue>(cfg_.paper_sim, &engine_->state());
    venue_->RejectNextProtective(reject_protective);
    counting_ = std::make_unique<CountingVenue>(venue_.get());
    engine_->set_venue(counting_.get());
    ASSERT_TRUE(engine_->RebuildState().ok());
    clock_.Set((next_open_ms_) * 1'000'000);
    absl::Status st = engine_->Start();
    ASSERT_TRUE(st.ok()) << st;
  }

  // Feeds the next 5m bar.
  void Bar(const char* open, const char* high, const char* low, const char* close) {
    strategy::Bar b{next_open_ms_, F(open), F(high), F(low), F(close), F("10")};
    next_open_ms_ += kBarMs;
    clock_.Set(next_open_ms_ * 1'000'000);
    absl::Status st = engine_->OnBar(b);
    ASSERT_TRUE(st.ok()) << st;
  }
  int64_t NextOpen() const { return next_open_ms_; }

  std::vector<Event> Events() {
    absl::StatusOr<std::vector<Event>> events = testing::ReadEvents(*ledger_);
    EXPECT_TRUE(events.ok()) << events.status();
    return events.ok() ? *std::move(events) : std::vector<Event>{};
  }
  template <class T>
  std::vector<T> All() {
    std::vector<T> out;
    for (const Event& e : Events()) {
      if (auto* x = std::get_if<T>(&e.body)) out.push_back(*x);
    }
    return out;
  }
  std::vector<Fixed> OpenStopPrices() const {
    std::vector<Fixed> out;
    for (const auto& [id, o] : engine_->state().orders) {
      if (o.purpose == OrderPurpose::kStopLoss) out.push_back(o.stop_price);
    }
    return out;
  }
  std::vector<OrderPurpose> OpenOrderPurposes() const {
    std::vector<OrderPurpose> out;
    for (const auto& [id, o] : engine_->state().orders) out.push_back(o.purpose);
    return out;
  }

  config::Config cfg_;
  testing::TempDir dir_;
  runtime::DataClock clock_;
  ScriptedStrategy strategy_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<runtime::Log> log_;
  std::unique_ptr<runtime::Engine> engine_;
  std::unique_ptr<venue::PaperVenue> venue_;
  std::unique_ptr<CountingVenue> counting_;
  std::shared_ptr<ledger::DiskFaults> faults_ = std::make_shared<ledger::DiskFaults>();
  int64_t next_open_ms_ = kT0Ms;
};

TEST_F(EngineTest, ProtectiveOrdersArePlacedOnlyAfterTheEntryFills) {
  cfg_.execution.entry_order_type = OrderType::kLimit;
  Restart();
  strategy_.At(NextOpen(), Long(F("20000"), F("19800"), F("20400")));
  Bar("20000", "20010", "19995", "20000");
  // A resting limit entry, nothing protecting a position that does not exist.
  EXPECT_THAT(OpenOrderPurposes(), ElementsAre(OrderPurpose::kEntry));
  EXPECT_TRUE(engine_->state().positions.empty());
  Bar("20000", "20005", "19980", "19990");  // touches the limit (20000 - 0.05% = 19990)
  ASSERT_EQ(engine_->state().positions.size(), 1u);
  EXPECT_EQ(engine_->state().positions.at(kBtc).entry_price, F("19990"));
  EXPECT_THAT(OpenOrderPurposes(), ::testing::UnorderedElementsAre(OrderPurpose::kStopLoss, OrderPurpose::kTakeProfit));
  for (const auto& [id, o] : engine_->state().orders) {
    EXPECT_TRUE(o.reduce_only) << id.value;
    EXPECT_EQ(o.status, OrderStatus::kAccepted) << id.value;
  }
  // Each protective OrderPlaced comes after the entry's OrderFilled in the ledger.
  uint64_t fill_seq = 0;
  for (const Event& e : Events()) {
    if (std::holds_alternative<OrderFilled>(e.body)) fill_seq = e.seq;
    if (auto* p = std::get_if<OrderPlaced>(&e.body); p && p->reduce_only) {
      EXPECT_GT(e.seq, fill_seq);
    }
  }
  EXPECT_GT(fill_seq, 0u);
}

// The seed's entry lifecycle: a limit entry rests one entry-timeframe bar
// (15m), then is cancelled and journaled as skipped.
TEST_F(EngineTest, UnfilledLimitEntryIsCancelledAfterOneEntryBarAndJournaledAsSkipped) {
  cfg_.execution.entry_order_type = OrderType::kLimit;
  Restart();
  strategy_.At(NextOpen(), Long(F("20000"), F("19800"), F("20400")));
  Bar("20000", "20010", "19995", "20000");  // the limit rests at 19990
  Bar("20000", "20050", "19995", "20040");
  Bar("20040", "20080", "20030", "20070");
  EXPECT_THAT(OpenOrderPurposes(), ElementsAre(OrderPurpose::kEntry)) << "10 minutes: still within its 15";
  EXPECT_TRUE(All<EntrySkipped>().empty());
  Bar("20070", "20090", "20050", "20080");  // 15 minutes after it was placed
  EXPECT_TRUE(engine_->state().orders.empty());
  EXPECT_TRUE(engine_->state().positions.empty());
  const std::vector<OrderCancelled> cancels = All<OrderCancelled>();
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0].reason, "ENTRY_EXPIRED");
  const std::vector<EntrySkipped> skipped = All<EntrySkipped>();
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_EQ(skipped[0].client_order_id, cancels[0].client_order_id);
  EXPECT_EQ(skipped[0].price, F("19990"));
  EXPECT_EQ(skipped[0].filled_qty, Fixed());
  EXPECT_GT(skipped[0].qty, Fixed());
  EXPECT_EQ(skipped[0].reason, "ENTRY_EXPIRED");
  EXPECT_EQ(skipped[0].timeout_sec, 900);
}

// As ledgers from before the lifecycle read: the maximum, no EntrySkipped.
TEST_F(EngineTest, WithoutTheLifecycleALimitEntryRestsTheMaximumAndIsNotJournaledAsSkipped) {
  cfg_.execution.entry_order_type = OrderType::kLimit;
  cfg_.execution.entry_lifecycle_enabled = false;
  cfg_.execution.entry_max_duration_sec = 1800;
  Restart();
  strategy_.At(NextOpen(), Long(F("20000"), F("19800"), F("20400")));
  Bar("20000", "20010", "19995", "20000");
  for (int i = 0; i < 5; ++i) Bar("20000", "20050", "19995", "20040");
  EXPECT_THAT(OpenOrderPurposes(), ElementsAre(OrderPurpose::kEntry)) << "25 minutes: within its 30";
  Bar("20000", "20050", "19995", "20040");
  EXPECT_TRUE(engine_->state().orders.empty());
  ASSERT_EQ(All<OrderCancelled>().size(), 1u);
  EXPECT_EQ(All<OrderCancelled>()[0].reason, "ENTRY_EXPIRED");
  EXPECT_TRUE(All<EntrySkipped>().empty());
}

TEST_F(EngineTest, FixedEntryTimeoutWaitsItsSecondsCappedByTheMaximum) {
  cfg_.execution.entry_order_type = OrderType::kLimit;
  cfg_.execution.entry_timeout_mode = "fixed";
  cfg_.execution.entry_fallback_timeout_sec = 3600;
  cfg_.execution.entry_max_duration_sec = 1200;  // the cap wins: 20 minutes
  Restart();
  strategy_.At(NextOpen(), Long(F("20000"), F("19800"), F("20400")));
  Bar("20000", "20010", "19995", "20000");
  for (int i = 0; i < 3; ++i) Bar("20000", "20050", "19995", "20040");
  EXPECT_THAT(OpenOrderPurposes(), ElementsAre(OrderPurpose::kEntry)) << "15 minutes: within its 20";
  Bar("20000", "20050", "19995", "20040");
  EXPECT_TRUE(engine_->state().orders.empty());
  ASSERT_EQ(All<EntrySkipped>().size(), 1u);
  EXPECT_EQ(All<EntrySkipped>()[0].timeout_sec, 1200);
}

// The step that decides an entry cannot be synced: its order must not leave
// the process, the engine stops with the ledger's one line, and a restart on
// a healed disk trades on from what was synced.
TEST_F(EngineTest, FailedFsyncOfAStepSendsNoOrderAndARestartResumes) {
  Bar("20000", "20010", "19995", "20000");
  const uint64_t synced = ledger_->head().last_seq;
  strategy_.At(NextOpen(), Long(F("20000"), F("19800"), F("20400")));
  faults_->FailSyncsAfter(0);
  strategy::Bar b{next_open_ms_, F("20000"), F("20010"), F("19995"), F("20000"), F("10")};
  const absl::Status st = engine_->OnBar(b);
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(std::string(st.message()), ::testing::HasSubstr("Input/output error"));
  EXPECT_EQ(counting_->submitted, 0) << "an order left for a step the ledger does not hold";
  next_open_ms_ += kBarMs;
  faults_->Heal();
  Restart();
  EXPECT_GE(ledger_->head().last_seq, synced);
  // The step's intent, if its bytes reached the disk, is in doubt and resolved
  // by client id; either way the engine trades on.
  EXPECT_LE(counting_->submitted, 3);
  strategy_.At(NextOpen(), Long(F("20000"), F("19800"), F("20400")));
  Bar("20000", "20010", "19995", "20000");
  EXPECT_EQ(engine_->state().positions.size(), 1u);
}

TEST(OperatorInbox, CommandsBeyondTheBoundAreAnswered503InsteadOfQueued) {
  runtime::OperatorInbox inbox;
  std::vector<std::future<runtime::OperatorResult>> waiting;
  for (size_t i = 0; i < runtime::OperatorInbox::kMaxPending; ++i) {
    waiting.push_back(inbox.Submit(runtime::OperatorCommand{runtime::OperatorCommand::kPause, "test", "r"}));
  }
  std::future<runtime::OperatorResult> refused =
      inbox.Submit(runtime::OperatorCommand{runtime::OperatorCommand::kPause, "test", "r"});
  ASSERT_EQ(refused.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  EXPECT_EQ(refused.get().http_status, 503);
  EXPECT_EQ(inbox.TakeAll().size(), runtime::OperatorInbox::kMaxPending);
}

TEST_F(EngineTest, AWholeTakeProfitFillCancelsTheStopLoss) {
  cfg_.strategy.exit.tp_partial_pct = Fixed::FromInt(100);  // as ledgers from before partial take-profits read
  Restart();
  strategy_.At(NextOpen(), Long(F("20000"), F("19800"), F("20400")));
  Bar("20000", "20010", "19995", "20000");
  ASSERT_EQ(engine_->state().positions.size(), 1u);
  Bar("20000", "20450", "19950", "20420");
  EXPECT_TRUE(engine_->state().positions.empty());
  EXPECT_TRUE(engine_->state().orders.empty());
  const auto closed = All<PositionClosed>();
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].reason, CloseReason::kTakeProfit);
  EXPECT_EQ(closed[0].exit_price, F("20400"));
  EXPECT_EQ(closed[0].realized_pnl, closed[0].qty.Mul(F("400")));
  const auto cancelled = All<OrderCancelled>();
  ASSERT_EQ(cancelled.size(), 1u);
  EXPECT_EQ(cancelled[0].reason, "OCO");
  EXPECT_THAT(cancelled[0].client_order_id.value, ::testing::EndsWith("-S"));
}

// The seed's take-profit: 25 % of the position at the target; the rest
// runs with the stop, and the watchdog does not put a take-profit back.
TEST_F(EngineTest, APartialTakeProfitClosesItsShareAndTheRestRunsWithTheStop) {
  strategy_.At(NextOpen(), Long(F("20000"), F("19800"), F("20400")));
  Bar("20000", "20010", "19995", "20000");
  ASSERT_EQ(engine_->state().positions.size(), 1u);
  const Fixed qty = engine_->state().positions.at(kBtc).qty;
  const Fixed share = qty.Mul(F("0.25")).FloorTo(F("0.001"));
  for (const auto& [id, o] : engine_->state().orders) {
    EXPECT_EQ(o.qty, o.purpose == OrderPurpose::kTakeProfit ? share : qty) << id.value;
  }
  Bar("20000", "20450", "19950", "20420");
  ASSERT_EQ(engine_->state().positions.size(), 1u);
  EXPECT_EQ(engine_->state().positions.at(kBtc).qty, qty - share);
  EXPECT_EQ(engine_->state().positions.at(kBtc).take_profit, Fixed());
  EXPECT_THAT(OpenOrderPurposes(), ElementsAre(OrderPurpose::kStopLoss));
  const auto updated = All<PositionUpdated>();
  ASSERT_EQ(updated.size(), 1u);
  EXPECT_EQ(updated[0].reason, "TAKE_PROFIT_PARTIAL");
  for (int i = 0; i < 3; ++i) Bar("20400", "20420", "20380", "20400");  // quiet bars: the watchdog runs
  EXPECT_THAT(OpenOrderPurposes(), ElementsAre(OrderPurpose::kStopLoss));
  EXPECT_TRUE(All<ProtectiveOrdersMissing>().empty());
  Bar("20400", "20400", "19700", "19750");  // the rest goes at the stop
  EXPECT_TRUE(engine_->state().positions.empty());
  EXPECT_TRUE(engine_->state().orders.empty());
  const auto closed = All<PositionClosed>();
  ASSERT_EQ(closed.size(), 2u);
  EXPECT_EQ(closed[0].reason, CloseReason::kTakeProfit);
  EXPECT_EQ(closed[0].qty, share);
  EXPECT_EQ(closed[1].reason, CloseReason::kStopLoss);
  EXPECT_EQ(closed[1].qty, qty - share);
}

// The seed's trailing stop: from 1.5 ATR in profit it sits 1.5 ATR behind
// the close, replaced new-before-old (one stop on the venue after each
// replacement), never widening, and a refused replacement keeps the old
// stop and asks for review.
strategy::Decision Holding(const char* close, const char* atr) {
  strategy::Decision d;
  d.close = F(close);
  d.atr = F(atr);
  return d;
}

TEST_F(EngineTest, TheStopTrailsTheCloseOnceInProfitAndNeverWidens) {
  strategy_.At(NextOpen(), Long(F("20000"), F("19800"), F("20400")));
  Bar("20000", "20010", "19995", "20000");
  strategy_.At(NextOpen(), Holding("20140", "100"));  // 140 in profit: under 1.5 ATR, no trailing
  Bar("20000", "20150", "20000", "20140");
  EXPECT_TRUE(All<PositionUpdated>().empty());
  strategy_.At(NextOpen(), Holding("20300", "100"));
  Bar("20140", "20310", "20100", "20300");
  EXPECT_EQ(engine_->state().positions.at(kBtc).stop_price, F("20150"));
  EXPECT_THAT(OpenStopPrices(), ElementsAre(F("20150")));
  const auto cancelled = All<OrderCancelled>();
  ASSERT_EQ(cancelled.size(), 1u);
  EXPECT_EQ(cancelled[0].reason, "TRAILING_REPLACED");
  EXPECT_EQ(All<PositionUpdated>().back().reason, "TRAILING_STOP");
  // Each new stop is placed before the old one is cancelled.
  uint64_t placed_seq = 0, cancelled_seq = 0;
  for (const Event& e : Events()) {
    if (auto* p = std::get_if<OrderPlaced>(&e.body); p && p->purpose == OrderPurpose::kStopLoss) placed_seq = e.seq;
    if (std::holds_alternative<OrderCancelled>(e.body)) cancelled_seq = e.seq;
  }
  EXPECT_LT(placed_seq, cancelled_seq);
  strategy_.At(NextOpen(), Holding("20250", "100"));  // would be 20100: wider, so the stop stays
  Bar("20300", "20300", "20240", "20250");
  EXPECT_EQ(engine_->state().positions.at(kBtc).stop_price, F("20150"));
  EXPECT_EQ(All<OrderCancelled>().size(), 1u);
  Bar("20250", "20260", "20100", "20120");  // through the trailed stop: closed above the entry
  const auto closed = All<PositionClosed>();
  ASSERT_FALSE(closed.empty());
  EXPECT_EQ(closed.back().reason, CloseReason::kStopLoss);
  EXPECT_EQ(closed.back().exit_price, F("20150"));
  EXPECT_TRUE(engine_->state().positions.empty());
}

TEST_F(EngineTest, ARefusedTrailingStopKeepsTheOldStopAndAsksForReview) {
  strategy_.At(NextOpen(), Long(F("20000"), F("19800"), F("20400")));
  Bar("20000", "20010", "19995", "20000");
  venue_->RejectNextProtective(1);
  strategy_.At(NextOpen(), Holding("20300", "100"));
  Bar("20000", "20310", "20000", "20300");
  const State& s = engine_->state();
  EXPECT_EQ(s.positions.at(kBtc).stop_price, F("19800"));
  EXPECT_TRUE(s.manual_review.active);
  EXPECT_THAT(s.manual_review.reason, ::testing::HasSubstr("TRAILING_STOP_UPDATE_FAILED"));
  EXPECT_THAT(OpenStopPrices(), ElementsAre(F("19800")));
  EXPECT_TRUE(All<OrderCancelled>().empty());
}

TEST_F(EngineTest, StopFillsFirstWhenOneBarTouchesStopAndTakeProfit) {
  strategy_.At(NextOpen(), Long(F("20000"), F("19800"), F("20400")));
  Bar("20000", "20010", "19995", "20000");
  Bar("20000", "20500", "19700", "20100");  // both levels inside the bar
  const auto closed = All<PositionClosed>();
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].reason, CloseReason::kStopLoss);
  EXPECT_EQ(closed[0].exit_price, F("19800"));
  EXPECT_EQ(All<OrderFilled>().size(), 2u);  // the entry and the stop, never the take-profit
  EXPECT_TRUE(engine_->state().orders.empty());
}

TEST_F(EngineTest, WatchdogReplacesMissingProtection) {
  Restart(/*reject_protective=*/1);  // the venue refuses the first stop-loss
  strategy_.At(NextOpen(), Long(F("20000"), F("19800"), F("20400")));
  Bar("20000", "20010", "19995", "20000");
  EXPECT_THAT(OpenOrderPurposes(), ElementsAre(OrderPurpose::kTakeProfit));
  Bar("20000", "20050", "19950", "20010");  // next watchdog pass
  EXPECT_THAT(OpenOrderPurposes(), ::testing::UnorderedElementsAre(OrderPurpose::kStopLoss, OrderPurpose::kTakeProfit));
  const auto missing = All<ProtectiveOrdersMissing>();
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_TRUE(missing[0].stop_loss_missing);
  EXPECT_FALSE(missing[0].take_profit_missing);
  ASSERT_EQ(All<ProtectiveOrdersReplaced>().size(), 1u);
  EXPECT_FALSE(All<ProtectiveOrdersReplaced>()[0].stop_loss.empty());
  EXPECT_EQ(engine_->state().counters.watchdog_recoveries, 1u);
  Bar("20010", "20050", "19950", "20010");  // protection verified
  EXPECT_EQ(All<ProtectiveOrdersVerified>().size(), 1u);
  EXPECT_FALSE(engine_->state().manual_review.active);
}

TEST_F(EngineTest, WatchdogFlattensAfterTwoMissesAndRequiresManualReview) {
  Restart(/*reject_protective=*/3);  // the first stop and both re-placements fail
  strategy_.At(NextOpen(), Long(F("20000"), F("19800"), F("20400")));
  Bar("20000", "20010", "19995", "20000");
  Bar("20000", "20050", "19950", "20010");  // miss 1: re-place (refused)
  ASSERT_EQ(engine_->state().positions.size(), 1u);
  Bar("20010", "20050", "19950", "20020");  // miss 2: flatten
  EXPECT_TRUE(engine_->state().positions.empty());
  const auto closed = All<PositionClosed>();
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].reason, CloseReason::kWatchdogFlatten);
  EXPECT_TRUE(engine_->state().manual_review.active);
  EXPECT_THAT(engine_->state().manual_review.reason, ::testing::HasSubstr("PROTECTIVE_ORDER_MISSING"));
  // Gated: the next idea is refused for review.
  strategy_.At(NextOpen(), Long(F("20000"), F("19800"), F("20400")));
  Bar("20020", "20050", "19950", "20000");
  ASSERT_FALSE(All<RiskRejected>().empty());
  EXPECT_EQ(All<RiskRejected>().back().rule, RiskRule::kManualReviewRequired);
}

TEST_F(EngineTest, InDoubtOrderIsResolvedAndSentExactlyOnceAfterACrash) {
  // A crash right after the step was committed: the entry is journaled as
  // PLACED and was never sent. Simulate by committing the intent directly.
  Bar("20000", "20010", "19995", "20000");
  OrderPlaced intent = orders::EntryOrder(TradeProposed{kBtc, Side::kBuy, OrderType::kMarket, F("0.01"), F("20000"),
                                                        F("19800"), F("20400"), F("2"), 0}).order;
  intent.client_order_id = orders::MakeClientOrderId(Mode::kPaper, "", ledger_->head().last_seq + 1, 'E');
  std::vector<Event> batch{Event{0, clock_.NowNs(), intent}};
  ASSERT_TRUE(ledger::AppendEvents(*ledger_, batch, true).ok());
  Restart();
  EXPECT_EQ(engine_->start_info().in_doubt_orders, 1u);
  ASSERT_EQ(engine_->state().positions.size(), 1u);
  EXPECT_EQ(All<OrderAccepted>().size(), 3u);  // the entry once, then its two protective orders
  Restart();                                   // nothing in doubt any more: nothing sent again
  EXPECT_EQ(engine_->start_info().in_doubt_orders, 0u);
  EXPECT_EQ(All<OrderAccepted>().size(), 3u);
}

TEST_F(EngineTest, InDoubtOrderOlderThanTheOrderTimeoutExpiresInsteadOfBeingSentLate) {
  Bar("20000", "20010", "19995", "20000");
  OrderPlaced intent = orders::EntryOrder(TradeProposed{kBtc, Side::kBuy, OrderType::kMarket, F("0.01"), F("20000"),
                                                        F("19800"), F("20400"), F("2"), 0}).order;
  intent.client_order_id = orders::MakeClientOrderId(Mode::kPaper, "", ledger_->head().last_seq + 1, 'E');
  std::vector<Event> batch{Event{0, clock_.NowNs(), intent}};
  ASSERT_TRUE(ledger::AppendEvents(*ledger_, batch, true).ok());
  next_open_ms_ += (cfg_.execution.order_timeout_sec + 1) * 1000;  // the restart comes later than that
  Restart();
  EXPECT_EQ(engine_->start_info().in_doubt_orders, 1u);
  EXPECT_TRUE(engine_->state().positions.empty());
  EXPECT_TRUE(All<OrderAccepted>().empty());
  ASSERT_EQ(All<OrderExpired>().size(), 1u);
  EXPECT_EQ(All<OrderExpired>()[0].reason, "NOT_RECEIVED_BY_VENUE");
}

TEST_F(EngineTest, OcoCancelLostInACrashIsDoneAtTheNextStart) {
  strategy_.At(NextOpen(), Long(F("20000"), F("19800"), F("20400")));
  Bar("20000", "20010", "19995", "20000");
  // The stop fills; the process dies before cancelling the take-profit.
  const Order stop = [&] {
    for (const auto& [id, o] : engine_->state().orders) {
      if (o.purpose == OrderPurpose::kStopLoss) return o;
    }
    return Order{};
  }();
  const Position pos = engine_->state().positions.at(kBtc);
  std::vector<Event> batch{
      Event{0, clock_.NowNs(), OrderFilled{{stop.client_order_id, TradeId{"t"}, F("19800"), stop.qty, Fixed()}}},
      Event{0, clock_.NowNs(), PositionClosed{kBtc, Side::kBuy, pos.qty, pos.entry_price, F("19800"),
                                              pos.qty.Mul(F("-200")), pos.entry_fees, CloseReason::kStopLoss}}};
  ASSERT_TRUE(ledger::AppendEvents(*ledger_, batch, true).ok());
  Restart();
  EXPECT_TRUE(engine_->state().orders.empty());
  ASSERT_EQ(All<OrderCancelled>().size(), 1u);
  EXPECT_EQ(All<OrderCancelled>()[0].reason, "OCO");
}

TEST_F(EngineTest, ThreeLossesTripTheBreakerWhichSurvivesARestart) {
  cfg_.risk.cooldown_after_loss_hours = Fixed();  // three losses in 15 minutes: no cooldown between them
  Restart();
  for (int i = 0; i < 3; ++i) {
    strategy_.At(NextOpen(), Long(F("20000"), F("19800"), F("20400")));
    Bar("20000", "20010", "19995", "20000");
    Bar("20000", "20010", "19700", "19750");  // stopped out
  }
  EXPECT_EQ(engine_->state().consecutive_losses, 3u);
  ASSERT_TRUE(engine_->state().circuit_breaker.active);
  ASSERT_EQ(All<CircuitBreakerTriggered>().size(), 1u);
  EXPECT_EQ(All<CircuitBreakerTriggered>()[0].rule, RiskRule::kConsecutiveLosses);
  Restart();
  EXPECT_TRUE(engine_->state().circuit_breaker.active);
  strategy_.At(NextOpen(), Long(F("20000"), F("19800"), F("20400")));
  Bar("20000", "20010", "19995", "20000");
  EXPECT_EQ(All<RiskRejected>().back().rule, RiskRule::kCircuitBreakerActive);
  EXPECT_TRUE(engine_->state().positions.empty());
}

// --- reconciliation ---

reconcile::VenueSnapshot VenueMatching(const State& s) {
  reconcile::VenueSnapshot v;
  for (const auto& [symbol, p] : s.positions) v.positions.push_back({symbol, p.side, p.qty, p.entry_price});
  for (const auto& [id, o] : s.orders) {
    v.open_orders.push_back({id, o.symbol, o.purpose != OrderPurpose::kEntry, o.side, o.qty});
  }
  v.balance = s.balance;
  return v;
}

TEST_F(EngineTest, CleanReconciliationIsJournaledAndFailuresAreCounted) {
  strategy_.At(NextOpen(), Long(F("20000"), F("19800"), F("20400")));
  Bar("20000", "20010", "19995", "20000");
  ASSERT_TRUE(engine_->OnReconciliation(VenueMatching(engine_->state()), {F("0.001"), F("1")}).ok());
  ASSERT_EQ(All<ReconciliationCompleted>().size(), 1u);
  EXPECT_EQ(All<ReconciliationCompleted>()[0].positions, 1u);
  EXPECT_EQ(All<ReconciliationCompleted>()[0].open_orders, 2u);
  ASSERT_TRUE(engine_->OnReconciliation(absl::UnavailableError("HTTP 503"), {}).ok());
  ASSERT_TRUE(engine_->OnReconciliation(absl::UnavailableError("HTTP 503"), {}).ok());
  EXPECT_EQ(engine_->state().reconciliation_consecutive_failures, 2u);
  EXPECT_FALSE(engine_->state().manual_review.active);
  // The third failure in a row (reconciliation.failure_threshold) needs a person.
  ASSERT_TRUE(engine_->OnReconciliation(absl::UnavailableError("HTTP 503"), {}).ok());
  EXPECT_TRUE(engine_->state().manual_review.active);
  EXPECT_THAT(engine_->state().manual_review.reason, ::testing::HasSubstr("RECONCILIATION_FAILURE_THRESHOLD"));
  ASSERT_TRUE(engine_->OnReconciliation(VenueMatching(engine_->state()), {F("0.001"), F("1")}).ok());
  EXPECT_EQ(engine_->state().reconciliation_consecutive_failures, 0u);
}

TEST_F(EngineTest, PositionClosedByHandPausesTradingUntilAcknowledged) {
  strategy_.At(NextOpen(), Long(F("20000"), F("19800"), F("20400")));
  Bar("20000", "20010", "19995", "20000");
  reconcile::VenueSnapshot venue = VenueMatching(engine_->state());
  venue.positions.clear();  // someone closed it in the Binance UI
  ASSERT_TRUE(engine_->OnReconciliation(venue, {F("0.001"), F("1000")}).ok());
  ASSERT_EQ(All<ManualInterventionDetected>().size(), 1u);
  EXPECT_EQ(All<ManualInterventionDetected>()[0].discrepancies[0].action,
            InterventionAction::kPositionClosedExternally);
  EXPECT_TRUE(engine_->state().manual_review.active);
  // Journaled as closed by hand (not edited away), its protection cancelled.
  EXPECT_FALSE(engine_->state().positions.contains(kBtc));
  ASSERT_EQ(All<PositionClosed>().size(), 1u);
  EXPECT_EQ(All<PositionClosed>()[0].reason, CloseReason::kClosedExternally);
  EXPECT_TRUE(engine_->state().orders.empty());
  strategy_.At(NextOpen(), Long(F("20000"), F("19800"), F("20400")));
  Bar("20000", "20010", "19995", "20000");
  EXPECT_EQ(All<RiskRejected>().back().rule, RiskRule::kManualReviewRequired);
  auto ack = engine_->OnOperator(runtime::OperatorCommand{runtime::OperatorCommand::kAck, "cli", "closed by hand"});
  ASSERT_TRUE(ack.ok());
  EXPECT_FALSE(engine_->state().manual_review.active);
}

// Like Binance: accepts orders at once, reports fills later on its stream;
// a query by client id answers with what it knows.
class StreamLikeVenue : public venue::Venue {
 public:
  venue::Reports Submit(const Order& o) override {
    if (lose_answers) return {};  // timed out: in doubt
    return {OrderAccepted{o.client_order_id, VenueOrderId{absl::StrCat("v-", o.client_order_id.value)}}};
  }
  venue::Reports Cancel(const Order& o, const std::string& reason) override {
    return {OrderCancelled{o.client_order_id, reason}};
  }
  absl::StatusOr<venue::Reports> Query(const Order& o) override {
    ++queries;
    auto it = unreported_fills.find(o.client_order_id.value);
    if (it == unreported_fills.end()) return venue::Reports{};
    return venue::Reports{OrderFilled{it->second}};
  }
  venue::Reports OnBar(const State&, const CandleClose&) override { return {}; }

  bool lose_answers = false;
  int queries = 0;
  std::map<std::string, Fill> unreported_fills;  // filled, the stream's report still on its way
};

// The entry filled and the venue's ACCOUNT_UPDATE triggered reconciliation
// before the fill's ORDER_TRADE_UPDATE arrived: the venue has a position the
// fold does not, and no entry order. The pass asks for the entry first, so
// it journals the fill (and protects the position) instead of calling the
// position external.
TEST_F(EngineTest, ReconciliationAsksForAnOrderTheVenueNoLongerListsBeforeCallingItMissing) {
  StreamLikeVenue venue;
  engine_->set_venue(&venue);
  strategy_.At(NextOpen(), Long(F("20000"), F("19800"), F("20400")));
  Bar("20000", "20010", "19995", "20000");
  ASSERT_EQ(engine_->state().orders.size(), 1u);
  const Order entry = engine_->state().orders.begin()->second;
  ASSERT_EQ(entry.status, OrderStatus::kAccepted);
  venue.unreported_fills[entry.client_order_id.value] =
      Fill{entry.client_order_id, TradeId{"t-1"}, F("20000"), entry.qty, F("0.08")};
  int fetches = 0;
  auto fetch = [&]() -> absl::StatusOr<reconcile::VenueSnapshot> {
    ++fetches;
    if (fetches == 1) {  // the venue as it is: a position, no open order
      reconcile::VenueSnapshot v;
      v.positions.push_back({kBtc, Side::kBuy, entry.qty, F("20000")});
      v.balance = engine_->state().balance - F("0.08");
      return v;
    }
    return VenueMatching(engine_->state());  // and after the protection went out
  };
  absl::StatusOr<bool> ran = engine_->Reconcile(fetch, {F("0.001"), F("1")});
  ASSERT_TRUE(ran.ok()) << ran.status();
  EXPECT_TRUE(*ran);
  EXPECT_EQ(venue.queries, 1);
  EXPECT_EQ(fetches, 2);
  EXPECT_TRUE(All<ManualInterventionDetected>().empty());
  EXPECT_EQ(All<ReconciliationCompleted>().size(), 1u);
  EXPECT_FALSE(engine_->state().manual_review.active);
  ASSERT_TRUE(engine_->state().positions.contains(kBtc));
  EXPECT_EQ(All<OrderFilled>().size(), 1u);
  EXPECT_EQ(engine_->state().orders.size(), 2u);  // stop-loss and take-profit
}

// While an order's outcome is unknown the venue's position cannot be judged:
// the pass is put off, without even reading the venue.
TEST_F(EngineTest, ReconciliationWaitsWhileAnOrderIsInDoubt) {
  StreamLikeVenue venue;
  venue.lose_answers = true;
  engine_->set_venue(&venue);
  strategy_.At(NextOpen(), Long(F("20000"), F("19800"), F("20400")));
  Bar("20000", "20010", "19995", "20000");
  ASSERT_TRUE(engine_->HasOrderInDoubt());
  int fetches = 0;
  auto fetch = [&]() -> absl::StatusOr<reconcile::VenueSnapshot> {
    ++fetches;
    return reconcile::VenueSnapshot{};
  };
  absl::StatusOr<bool> ran = engine_->Reconcile(fetch, {F("0.001"), F("1")});
  ASSERT_TRUE(ran.ok()) << ran.status();
  EXPECT_FALSE(*ran);
  EXPECT_EQ(fetches, 0);
  EXPECT_TRUE(All<ReconciliationCompleted>().empty());
  EXPECT_TRUE(All<ManualInterventionDetected>().empty());
}

// The stream told the price and fee of the hand close: the close is booked
// at them, so the fold's balance moves as the wallet did.
TEST_F(EngineTest, PositionClosedByHandIsBookedAtTheVenuesFillPriceAndFee) {
  strategy_.At(NextOpen(), Long(F("20000"), F("19800"), F("20400")));
  Bar("20000", "20010", "19995", "20000");
  ASSERT_TRUE(engine_->state().positions.contains(kBtc));
  const Position p = engine_->state().positions.at(kBtc);
  const Fixed balance_before = engine_->state().balance;
  reconcile::VenueSnapshot venue = VenueMatching(engine_->state());
  venue.positions.clear();
  venue.foreign_fills[kBtc] = {p.qty, F("20100"), F("0.5")};
  ASSERT_TRUE(engine_->OnReconciliation(venue, {F("0.001"), F("1000")}).ok());
  ASSERT_EQ(All<PositionClosed>().size(), 1u);
  const PositionClosed closed = All<PositionClosed>()[0];
  EXPECT_EQ(closed.exit_price, F("20100"));
  EXPECT_EQ(closed.realized_pnl, (F("20100") - p.entry_price).Mul(p.qty) - F("0.5"));
  EXPECT_EQ(engine_->state().balance, balance_before + closed.realized_pnl);
}

// An order that stays in doubt a whole reconciliation interval counts as a
// failed pass, so it cannot hold reconciliation off for ever.
TEST_F(EngineTest, AnOrderInDoubtForAWholeIntervalCountsAsAFailedReconciliation) {
  StreamLikeVenue venue;
  venue.lose_answers = true;
  engine_->set_venue(&venue);
  strategy_.At(NextOpen(), Long(F("20000"), F("19800"), F("20400")));
  Bar("20000", "20010", "19995", "20000");
  ASSERT_TRUE(engine_->HasOrderInDoubt());
  auto fetch = []() -> absl::StatusOr<reconcile::VenueSnapshot> { return reconcile::VenueSnapshot{}; };
  ASSERT_FALSE(*engine_->Reconcile(fetch, {F("0.001"), F("1")}));
  clock_.Set(clock_.NowNs() + int64_t{cfg_.reconciliation.interval_min} * 60'000'000'000 - 1);
  ASSERT_FALSE(*engine_->Reconcile(fetch, {F("0.001"), F("1")}));
  EXPECT_TRUE(All<ReconciliationFailed>().empty());
  clock_.Set(clock_.NowNs() + 1);
  ASSERT_FALSE(*engine_->Reconcile(fetch, {F("0.001"), F("1")}));
  ASSERT_EQ(All<ReconciliationFailed>().size(), 1u);
  EXPECT_THAT(All<ReconciliationFailed>()[0].reason, ::testing::HasSubstr("in doubt"));
  EXPECT_EQ(engine_->state().reconciliation_consecutive_failures, 1u);
}

TEST_F(EngineTest, AnAcknowledgedBalanceGapDoesNotRaiseTheReviewAgain) {
  reconcile::VenueSnapshot venue = VenueMatching(engine_->state());
  venue.balance -= F("8");  // a fee charged outside our orders
  ASSERT_TRUE(engine_->OnReconciliation(venue, {F("0.001"), F("5")}).ok());
  ASSERT_TRUE(engine_->state().manual_review.active);
  ASSERT_TRUE(engine_->OnOperator({runtime::OperatorCommand::kAck, "cli", "fee of a hand close"}).ok());
  ASSERT_TRUE(engine_->OnReconciliation(venue, {F("0.001"), F("5")}).ok());
  EXPECT_FALSE(engine_->state().manual_review.active);
  EXPECT_EQ(All<ReconciliationCompleted>().size(), 1u);
  venue.balance -= F("8");  // a new gap is a new difference
  ASSERT_TRUE(engine_->OnReconciliation(venue, {F("0.001"), F("5")}).ok());
  EXPECT_TRUE(engine_->state().manual_review.active);
}

TEST(ReconcileTest, EveryKindOfDifferenceIsTyped) {
  State s;
  s.balance = Fixed::FromInt(10000);
  s.positions[kBtc] = Position{kBtc, Side::kBuy, F("0.5"), F("20000"), F("19800"), F("20400"), F("2"),
                               ClientOrderId{"ap-p5-E"}, 0, Fixed()};
  const Order sl = AcceptedStop("0.5", "0");
  s.orders[sl.client_order_id] = sl;
  reconcile::VenueSnapshot v;
  v.positions = {{kBtc, Side::kBuy, F("0.3"), F("20000")}, {Symbol{"ETHUSDT"}, Side::kSell, F("2"), F("1500")}};
  v.open_orders = {{ClientOrderId{"web_123"}, kBtc, false, Side::kSell, F("0.1")}};
  v.balance = Fixed::FromInt(9000);
  std::vector<InterventionAction> actions;
  for (const Discrepancy& d : reconcile::Reconcile(s, v, {F("0.001"), F("10")})) actions.push_back(d.action);
  EXPECT_THAT(actions, ElementsAre(InterventionAction::kPositionSizeChanged,
                                   InterventionAction::kPositionOpenedExternally,
                                   InterventionAction::kProtectiveOrderMissing,
                                   InterventionAction::kOrderPlacedExternally, InterventionAction::kBalanceMismatch));
}

// A funding time with a long open: the paper venue's payment is the
// position's notional at the mark times the rate, paid by a long on a
// positive rate; it moves the balance and the day's PnL, and risk then
// refuses entries while the latest rate is beyond its limit.
TEST_F(EngineTest, FundingIsPaidByAnOpenLongAndMovesTheBalanceAndTheDaysPnl) {
  strategy_.At(NextOpen(), Long(F("20000"), F("19800"), F("20400")));
  Bar("20000", "20010", "19995", "20000");
  ASSERT_EQ(engine_->state().positions.size(), 1u);
  const Position p = engine_->state().positions.at(kBtc);
  const Fixed balance = engine_->state().balance, day = engine_->state().daily_realized_pnl;
  ASSERT_TRUE(engine_->OnFunding({FundingUpdate{kBtc, F("0.0001"), F("20100"), NextOpen()}}, true).ok());
  ASSERT_TRUE(engine_->OnFunding({FundingUpdate{kBtc, F("-0.0002"), F("20000"), NextOpen() + 1}}, true).ok());
  const std::vector<FundingPaid> paid = All<FundingPaid>();
  ASSERT_EQ(paid.size(), 2u);
  EXPECT_EQ(paid[0].side, Side::kBuy);
  EXPECT_EQ(paid[0].qty, p.qty);
  EXPECT_EQ(paid[0].amount, -p.qty.Mul(F("20100")).Mul(F("0.0001")));
  EXPECT_EQ(paid[1].amount, p.qty.Mul(F("20000")).Mul(F("0.0002")));  // a negative rate pays the long
  const State& s = engine_->state();
  EXPECT_EQ(s.funding_paid, -paid[0].amount);
  EXPECT_EQ(s.funding_received, paid[1].amount);
  EXPECT_EQ(s.balance, balance + paid[0].amount + paid[1].amount);
  EXPECT_EQ(s.daily_realized_pnl, day + paid[0].amount + paid[1].amount);
  EXPECT_EQ(s.funding.at(kBtc).rate, F("-0.0002"));
  // Without a position, a rate is journaled and nothing paid.
  ASSERT_TRUE(engine_->OnFunding({FundingUpdate{Symbol{"ETHUSDT"}, F("0.0001"), F("1500"), NextOpen() + 2}}, true).ok());
  EXPECT_EQ(All<FundingPaid>().size(), 2u);
  EXPECT_EQ(All<FundingUpdate>().size(), 3u);
}

// --- exits, on their own ---

TEST(Exits, AShortsTrailingStopSitsAboveTheCloseOnTheTickAndOnlyComesDown) {
  config::Config cfg;
  State s;
  s.positions[kBtc] = Position{kBtc, Side::kSell, F("1"), F("20000"), F("20200"), F("19600"), F("2"), {}, 0, {}};
  s.filters[kBtc] = InstrumentFilters{F("0.1"), F("0.001"), F("0.001"), F("1000"), F("5")};
  const Order stop = AcceptedStop("1", "20200");
  s.orders[stop.client_order_id] = stop;
  EXPECT_TRUE(orders::TrailStop(s, kBtc, F("19900"), F("100"), cfg).events.empty()) << "100 in profit: under 1.5 ATR";
  orders::Plan plan = orders::TrailStop(s, kBtc, F("19800.04"), F("100.01"), cfg);
  ASSERT_EQ(plan.orders.size(), 1u);
  EXPECT_EQ(plan.orders[0].order.stop_price, F("19950.1"));  // 19800.04 + 150.015, up to the tick
  EXPECT_EQ(plan.orders[0].order.side, Side::kBuy);
  EXPECT_EQ(plan.orders[0].order.qty, F("1"));
  ASSERT_EQ(plan.cancels.size(), 1u);
  EXPECT_EQ(plan.cancels[0].id, stop.client_order_id);
  EXPECT_TRUE(plan.cancels[0].after_new_stop);
  s.positions[kBtc].stop_price = F("19900");
  s.orders[stop.client_order_id].stop_price = F("19900");
  EXPECT_TRUE(orders::TrailStop(s, kBtc, F("19800"), F("100"), cfg).orders.empty()) << "19950 would widen it";
  // A move journaled whose order never reached the venue: the venue's stop is the one not to widen.
  s.positions[kBtc].stop_price = F("19700");
  EXPECT_EQ(orders::TrailStop(s, kBtc, F("19700"), F("100"), cfg).orders.size(), 1u) << "19900 on the venue, 19850 tighter";
  cfg.strategy.exit.trailing_start_atr = Fixed();
  EXPECT_TRUE(orders::TrailStop(s, kBtc, F("19000"), F("100"), cfg).orders.empty()) << "0: off";
}

// Testnet and live stamp events with the wall clock: the step one entry bar
// later may run a few ms "early" against the placement, and the entry must
// still go then, not a whole bar later.
TEST(Exits, ALimitEntryOneWallClockBarOldIsDueThoughTheStepRanMillisecondsEarly) {
  config::Config cfg;  // 5m bars, 15m entry timeframe: a 900 s timeout
  State s;
  Order o;
  o.client_order_id = ClientOrderId{"ap-t7-E"};
  o.symbol = kBtc;
  o.order_type = OrderType::kLimit;
  o.purpose = OrderPurpose::kEntry;
  o.status = OrderStatus::kAccepted;
  o.qty = F("0.1");
  o.price = F("19990");
  constexpr int64_t kPlaced = 1'700'000'100'412'000'000;  // 412 ms after a bar's close
  o.placed_ts_ns = kPlaced;
  s.orders[o.client_order_id] = o;
  const int64_t ten_minutes_later = kPlaced + 600'000'000'000 - 22'000'000;
  const int64_t fifteen_minutes_later = kPlaced + 900'000'000'000 - 22'000'000;
  EXPECT_TRUE(orders::Housekeeping(s, cfg, ten_minutes_later).empty());
  const std::vector<orders::CancelOrder> due = orders::Housekeeping(s, cfg, fifteen_minutes_later);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].reason, "ENTRY_EXPIRED");
  EXPECT_EQ(orders::EntryTimeoutSec(cfg), 900);
}

TEST(Exits, ATakeProfitShareTooSmallForTheVenueTakesTheWholePosition) {
  config::Config cfg;
  State s;
  Position p{kBtc, Side::kBuy, F("0.01"), F("20000"), F("19800"), F("20400"), F("2"), {}, 0, {}};
  EXPECT_EQ(orders::TakeProfitQty(s, p, cfg), F("0.0025")) << "no filters journaled: the exact share";
  s.filters[kBtc] = InstrumentFilters{F("0.1"), F("0.001"), F("0.001"), F("1000"), F("5")};
  EXPECT_EQ(orders::TakeProfitQty(s, p, cfg), F("0.002")) << "floored to the step";
  s.filters[kBtc].min_notional = F("100");
  EXPECT_EQ(orders::TakeProfitQty(s, p, cfg), F("0.01")) << "0.002 x 20400 = 40.8 is below the minimum notional";
  p.qty = F("1");
  EXPECT_EQ(orders::TakeProfitQty(s, p, cfg), F("0.25"));
  p.qty = F("0.003");
  EXPECT_EQ(orders::TakeProfitQty(s, p, cfg), F("0.003")) << "a share below one step";
  cfg.strategy.exit.tp_partial_pct = Fixed::FromInt(100);
  p.qty = F("1");
  EXPECT_EQ(orders::TakeProfitQty(s, p, cfg), F("1"));
}

// --- risk, on its own ---

class RiskTest : public ::testing::Test {
 protected:
  RiskTest() {
    state_.balance = Fixed::FromInt(10000);
    state_.peak_equity = state_.balance;
    state_.daily_start_equity = state_.balance;
    idea_ = *Long(F("20000"), F("19800"), F("20400")).entry;
  }
  risk::Verdict Decide() {
    trade_ = risk::Size(idea_, state_, cfg_, filters_, 1);
    return risk::Evaluate(trade_, 2, idea_.atr, state_, cfg_, filters_, now_ns_);
  }
  RiskRule Rule() {
    risk::Verdict v = Decide();
    return std::holds_alternative<RiskApproved>(v) ? RiskRule::kApproved : std::get<RiskRejected>(v).rule;
  }
  config::Config cfg_;
  State state_;
  strategy::EntryIdea idea_;
  risk::Filters filters_{F("0.1"), F("0.001"), F("5")};
  TradeProposed trade_;
  int64_t now_ns_ = 0;
};

constexpr int64_t kHourNs = int64_t{3600} * 1'000'000'000;
constexpr int64_t kDay0Ns = int64_t{19'360} * 24 * kHourNs;  // 2023-01-03 00:00 UTC

TEST_F(RiskTest, CooldownAfterALosingCloseBlocksEntriesForItsHours) {
  state_.loss_times_ns = {kDay0Ns};
  now_ns_ = kDay0Ns + 4 * kHourNs - 1'000'000;  // a millisecond short of 4 h
  EXPECT_EQ(Rule(), RiskRule::kCooldownAfterLoss);
  const auto rejected = std::get<RiskRejected>(Decide());
  EXPECT_EQ(rejected.values[0].name, "hours_since_loss");
  EXPECT_EQ(rejected.values[0].value, F("3.99999972"));
  now_ns_ = kDay0Ns + 4 * kHourNs;
  EXPECT_EQ(Rule(), RiskRule::kApproved);
  cfg_.risk.cooldown_after_loss_hours = Fixed();  // 0: off
  now_ns_ = kDay0Ns + kHourNs;
  EXPECT_EQ(Rule(), RiskRule::kApproved);
}

TEST_F(RiskTest, HighAndMediumNewsBlockEntriesInTheSymbolTheyNameUntilTheirTime) {
  cfg_.news.enabled = true;
  now_ns_ = kDay0Ns;
  state_.news_blocks[Symbol{"ETHUSDT"}] = kDay0Ns + 24 * kHourNs;
  EXPECT_EQ(Rule(), RiskRule::kApproved) << "another symbol's block";
  state_.news_blocks[kBtc] = kDay0Ns + 24 * kHourNs;
  EXPECT_EQ(Rule(), RiskRule::kNewsHighRisk);
  const auto high = std::get<RiskRejected>(Decide());
  ASSERT_EQ(high.values.size(), 1u);
  EXPECT_EQ(high.values[0].name, "hours_left");
  EXPECT_EQ(high.values[0].value, F("24"));
  state_.news_blocks.clear();
  state_.news_medium_blocks[kBtc] = kDay0Ns + 6 * kHourNs;
  EXPECT_EQ(Rule(), RiskRule::kNewsMediumRisk);
  now_ns_ = kDay0Ns + 6 * kHourNs;
  EXPECT_EQ(Rule(), RiskRule::kApproved) << "the block has run out";
  now_ns_ = kDay0Ns;
  cfg_.news.enabled = false;
  EXPECT_EQ(Rule(), RiskRule::kApproved) << "news off: no news rule";
}

TEST_F(RiskTest, AFundingRateBeyondTheLimitEitherWayRefusesEntriesWithTheRate) {
  EXPECT_EQ(Rule(), RiskRule::kApproved) << "no rate known: no check";
  state_.funding[kBtc] = FundingRate{F("0.001"), F("20000"), 0};  // 0.1 %: at the limit
  EXPECT_EQ(Rule(), RiskRule::kApproved);
  state_.funding[kBtc].rate = F("-0.00101");
  EXPECT_EQ(Rule(), RiskRule::kFundingTooHigh);
  const auto rejected = std::get<RiskRejected>(Decide());
  EXPECT_EQ(rejected.values[0].name, "funding_rate_pct");
  EXPECT_EQ(rejected.values[0].value, F("-0.101"));
  EXPECT_EQ(rejected.values[1].value, F("0.1"));
  state_.funding.erase(kBtc);
  state_.funding[Symbol{"ETHUSDT"}] = FundingRate{F("0.01"), F("1500"), 0};  // another symbol's
  EXPECT_EQ(Rule(), RiskRule::kApproved);
  state_.funding[kBtc].rate = F("0.01");
  cfg_.risk.max_funding_rate_pct = Fixed();  // 0: off, as ledgers from before the rule read
  EXPECT_EQ(Rule(), RiskRule::kApproved);
}

TEST_F(RiskTest, ASpreadWiderThanTheLimitRefusesEntriesWhileTheQuoteIsFresh) {
  now_ns_ = kDay0Ns;
  const int64_t now_ms = kDay0Ns / 1'000'000;
  EXPECT_EQ(Rule(), RiskRule::kApproved) << "no book known: no check";
  state_.book[kBtc] = BookTop{F("20000"), F("20060"), now_ms, Fixed(), Fixed()};  // 0.2996 %: within 0.3
  EXPECT_EQ(Rule(), RiskRule::kApproved);
  state_.book[kBtc].ask = F("20070");  // 0.3494 %
  EXPECT_EQ(Rule(), RiskRule::kSpreadTooWide);
  const auto rejected = std::get<RiskRejected>(Decide());
  EXPECT_EQ(rejected.values[0].name, "spread_pct");
  EXPECT_EQ(rejected.values[0].value, F("0.34938857"));
  EXPECT_EQ(rejected.values[1].name, "max_spread_pct");
  EXPECT_EQ(rejected.values[1].value, F("0.3"));
  now_ns_ = kDay0Ns + 61 * int64_t{1'000'000'000};  // the quote is over a minute old: not judged
  EXPECT_EQ(Rule(), RiskRule::kApproved);
  now_ns_ = kDay0Ns;
  state_.book[Symbol{"ETHUSDT"}] = BookTop{F("1500"), F("1600"), now_ms, Fixed(), Fixed()};  // another symbol's book
  state_.book[kBtc].ask = F("20001");
  EXPECT_EQ(Rule(), RiskRule::kApproved);
  state_.book[kBtc].ask = F("20070");
  cfg_.execution.max_spread_pct = Fixed();  // 0: off, as ledgers from before the rule read
  EXPECT_EQ(Rule(), RiskRule::kApproved);
}

TEST_F(RiskTest, TheDynamicSpreadLimitFollowsTheEntryBarsVolatility) {
  cfg_.execution.use_dynamic_spread_threshold = true;
  state_.book[kBtc] = BookTop{F("20000"), F("20020"), 0, Fixed(), Fixed()};  // 0.1 %
  idea_.atr = F("100");  // 0.5 % of the price: calm, limit 0.05 %
  EXPECT_EQ(Rule(), RiskRule::kSpreadTooWide);
  EXPECT_EQ(std::get<RiskRejected>(Decide()).values[1].value, F("0.05"));
  EXPECT_EQ(std::get<RiskRejected>(Decide()).values[2].value, F("0.5"));  // atr_pct
  idea_.atr = F("600");  // 3 %: normal, limit 0.1 %
  idea_.stop_price = F("19000");
  EXPECT_EQ(Rule(), RiskRule::kApproved);
  state_.book[kBtc].ask = F("20030");  // 0.15 %
  EXPECT_EQ(Rule(), RiskRule::kSpreadTooWide);
  idea_.atr = F("1000");  // 5 %: volatile, limit 0.2 %
  idea_.stop_price = F("18000");
  EXPECT_EQ(Rule(), RiskRule::kApproved);
}

TEST_F(RiskTest, AnEntryWhoseMarginWouldNotFitBesideTheOpenPositionsIsRefused) {
  cfg_.risk.max_positions = 3;
  // An open ETH position holding 6,000 of margin (60 ETH at the last close
  // 200 at 2x) and a resting SOL entry for 2,000 more (100 at 40, 2x).
  const Symbol eth{"ETHUSDT"}, sol{"SOLUSDT"};
  Position held;
  held.symbol = eth;
  held.qty = F("60");
  held.entry_price = F("190");
  held.stop_price = F("180");
  held.take_profit = F("220");
  held.leverage = F("2");
  state_.positions[eth] = held;
  state_.last_bars[eth] = LastBar{0, F("200"), F("201"), F("199")};
  Order entry;
  entry.client_order_id = ClientOrderId{"ap-9-E"};
  entry.symbol = sol;
  entry.order_type = OrderType::kLimit;
  entry.qty = F("100");
  entry.price = F("40");
  state_.orders[entry.client_order_id] = entry;
  EXPECT_EQ(risk::MarginInUse(state_, F("2")), F("8000"));
  // The BTC entry: 0.75 % risk over a 200 stop is 0.375 BTC, 7,500
  // notional, 3,750 of margin: 117.5 % of the equity with the rest.
  EXPECT_EQ(Rule(), RiskRule::kMarginRatioHigh);
  const auto rejected = std::get<RiskRejected>(Decide());
  EXPECT_EQ(rejected.values[1].name, "entry_margin");
  EXPECT_EQ(rejected.values[1].value, F("3750"));
  EXPECT_EQ(rejected.values[3].name, "margin_ratio_pct");
  EXPECT_EQ(rejected.values[3].value, F("117.5"));
  EXPECT_EQ(rejected.values[4].value, F("98")) << "100 less risk.margin_buffer_pct";
  // Without the SOL entry it fits (97.5 %); beside a bigger ETH position not.
  state_.orders.clear();
  EXPECT_EQ(Rule(), RiskRule::kApproved);
  state_.positions[eth].qty = F("70");  // 7,000 + 3,750
  EXPECT_EQ(Rule(), RiskRule::kMarginRatioHigh);
  cfg_.risk.max_margin_ratio_pct = Fixed();  // 0: off, as ledgers from before the rule read
  EXPECT_EQ(Rule(), RiskRule::kApproved);
}

TEST_F(RiskTest, LossStreakWithinTheWindowBlocksEntriesUntilTheOldestLeavesIt) {
  cfg_.risk.cooldown_after_loss_hours = Fixed();
  for (int i = 0; i < 5; ++i) state_.loss_times_ns.push_back(kDay0Ns + i * 5 * kHourNs);  // 0 h .. 20 h
  now_ns_ = kDay0Ns + 23 * kHourNs;
  EXPECT_EQ(Rule(), RiskRule::kCooldownAfterLossStreak);
  const auto rejected = std::get<RiskRejected>(Decide());
  EXPECT_EQ(rejected.values[0].value, Fixed::FromInt(5));
  now_ns_ = kDay0Ns + 24 * kHourNs;  // the first loss is 24 h old: 4 in the window
  EXPECT_EQ(Rule(), RiskRule::kApproved);
  cfg_.risk.max_loss_streak_24h = 4;
  EXPECT_EQ(Rule(), RiskRule::kCooldownAfterLossStreak);
  cfg_.risk.max_loss_streak_24h = 0;  // off
  EXPECT_EQ(Rule(), RiskRule::kApproved);
}

TEST_F(RiskTest, DailyLossLimitStartsOneCooldownThatOutlastsTheDay) {
  state_.day_utc = 19'360;
  state_.daily_realized_pnl = Fixed::FromInt(-299);
  const int64_t hit_ns = kDay0Ns + 20 * kHourNs;
  EXPECT_FALSE(risk::CheckDailyCooldown(state_, cfg_.risk, hit_ns).has_value());
  state_.daily_realized_pnl = Fixed::FromInt(-300);  // -3%: the limit
  std::optional<CooldownStarted> c = risk::CheckDailyCooldown(state_, cfg_.risk, hit_ns);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->rule, RiskRule::kDailyLossLimit);
  EXPECT_EQ(c->until_ns, hit_ns + 24 * kHourNs);
  state_.last_seq = 1;
  ASSERT_TRUE(Apply(state_, Event{2, hit_ns, *c}).ok());
  EXPECT_FALSE(risk::CheckDailyCooldown(state_, cfg_.risk, hit_ns).has_value()) << "once per UTC day";
  // The next day the daily loss is 0 again, but the cooldown holds.
  state_.day_utc = 19'361;
  state_.daily_realized_pnl = Fixed();
  state_.daily_start_equity = Fixed::FromInt(9700);
  now_ns_ = hit_ns + 23 * kHourNs;
  EXPECT_EQ(Rule(), RiskRule::kCooldownActive);
  EXPECT_THAT(std::get<RiskRejected>(Decide()).reason, ::testing::HasSubstr("DAILY_LOSS_LIMIT: daily loss -3% reached the limit"));
  now_ns_ = hit_ns + 24 * kHourNs;
  EXPECT_EQ(Rule(), RiskRule::kApproved);
}

TEST_F(RiskTest, SizeRisksTheConfiguredShareOfEquityFlooredToTheStep) {
  EXPECT_EQ(Rule(), RiskRule::kApproved);
  // 0.75% of 10000 = 75 USDT over a 200 USDT stop = 0.375 BTC.
  EXPECT_EQ(trade_.qty, F("0.375"));
  idea_.stop_price = F("19700");  // 300 away: 0.25
  EXPECT_EQ(Rule(), RiskRule::kApproved);
  EXPECT_EQ(trade_.qty, F("0.25"));
}

TEST_F(RiskTest, TransitionalRegimeEntryTakesItsMultiplierOfTheSize) {
  idea_.size_multiplier = F("0.5");  // the regime's transitional_size_multiplier
  EXPECT_EQ(Rule(), RiskRule::kApproved);
  EXPECT_EQ(trade_.qty, F("0.187")) << "half of 0.375, floored to the 0.001 step";
  idea_.stop_price = F("19990");  // capped by leverage first, then halved
  idea_.atr = F("5");
  EXPECT_EQ(Rule(), RiskRule::kApproved);
  const Fixed capped = trade_.qty;
  idea_.size_multiplier = F("1");
  EXPECT_EQ(Rule(), RiskRule::kApproved);
  EXPECT_LE(capped, trade_.qty.Mul(F("0.5")));
  EXPECT_GT(capped, trade_.qty.Mul(F("0.499")));
}

TEST_F(RiskTest, NotionalIsCappedByLeverage) {
  idea_.stop_price = F("19990");  // a tight stop would size 7.5 BTC
  idea_.atr = F("5");
  EXPECT_EQ(Rule(), RiskRule::kApproved);
  EXPECT_EQ(trade_.qty, F("0.98"));  // 10000 x 2 leverage less the 2% margin buffer / 20000
  cfg_.risk.margin_buffer_pct = Fixed();  // as ledgers from before the buffer read
  EXPECT_EQ(Rule(), RiskRule::kApproved);
  EXPECT_EQ(trade_.qty, F("1"));
}

TEST_F(RiskTest, EachRuleRejectsWithItsNumbers) {
  state_.daily_realized_pnl = Fixed::FromInt(-300);
  EXPECT_EQ(Rule(), RiskRule::kDailyLossLimit);
  const auto rejected = std::get<RiskRejected>(Decide());
  ASSERT_FALSE(rejected.values.empty());
  EXPECT_EQ(rejected.values[0].name, "daily_pnl_pct");
  EXPECT_EQ(rejected.values[0].value, Fixed::FromInt(-3));
  state_.daily_realized_pnl = Fixed();

  state_.positions[Symbol{"ETHUSDT"}] = Position{};
  EXPECT_EQ(Rule(), RiskRule::kMaxPositionsReached);
  state_.positions.clear();

  idea_.stop_price = F("20100");  // on the wrong side
  EXPECT_EQ(Rule(), RiskRule::kStopLossMissing);
  idea_.stop_price = F("19600");  // 4 ATR away
  EXPECT_EQ(Rule(), RiskRule::kStopTooWide);
  idea_.stop_price = F("19800");

  cfg_.risk.default_leverage = Fixed::FromInt(6);
  EXPECT_EQ(Rule(), RiskRule::kLeverageExceedsLimit);
  cfg_.risk.default_leverage = Fixed::FromInt(2);

  state_.balance = Fixed::FromInt(120);
  state_.peak_equity = Fixed::FromInt(120);
  filters_.min_notional = Fixed::FromInt(100);
  EXPECT_EQ(Rule(), RiskRule::kSizeBelowMinNotional);
}

TEST_F(RiskTest, OrdersOffTheVenuesFiltersAreRejectedWithTheNumbers) {
  trade_ = risk::Size(idea_, state_, cfg_, filters_, 1);
  TradeProposed off_step = trade_;
  off_step.qty = F("0.3755");
  auto v = risk::Evaluate(off_step, 2, idea_.atr, state_, cfg_, filters_, 0);
  ASSERT_TRUE(std::holds_alternative<RiskRejected>(v));
  EXPECT_EQ(std::get<RiskRejected>(v).rule, RiskRule::kLotSize);
  EXPECT_EQ(std::get<RiskRejected>(v).values[1].value, F("0.001"));
  TradeProposed off_tick = trade_;
  off_tick.stop_price = F("19800.05");
  v = risk::Evaluate(off_tick, 2, idea_.atr, state_, cfg_, filters_, 0);
  ASSERT_TRUE(std::holds_alternative<RiskRejected>(v));
  EXPECT_EQ(std::get<RiskRejected>(v).rule, RiskRule::kPriceFilter);
  // Filters from another exchangeInfo (tick 0.5): Size rounds onto them, so the trade passes.
  filters_.price_tick = F("0.5");
  idea_.stop_price = F("19800.3");
  EXPECT_EQ(Rule(), RiskRule::kApproved);
  EXPECT_EQ(trade_.stop_price, F("19800.5"));
}

TEST_F(RiskTest, GatesComeFirst) {
  state_.circuit_breaker = Flag{true, "CONSECUTIVE_LOSSES: 3 consecutive losses", "risk", 9};
  state_.daily_realized_pnl = Fixed::FromInt(-300);
  EXPECT_EQ(Rule(), RiskRule::kCircuitBreakerActive);
  state_.paused = Flag{true, "operator", "api", 10};
  EXPECT_EQ(Rule(), RiskRule::kTradingPaused);
}

TEST_F(RiskTest, BreakerTripsOnDrawdownAndOnTheLossStreakOnce) {
  EXPECT_FALSE(risk::CheckBreaker(state_, cfg_.risk).has_value());
  state_.drawdown_pct = Fixed::FromInt(10);
  auto trip = risk::CheckBreaker(state_, cfg_.risk);
  ASSERT_TRUE(trip.has_value());
  EXPECT_EQ(trip->rule, RiskRule::kMaxDrawdown);
  state_.drawdown_pct = Fixed();
  state_.consecutive_losses = 3;
  ASSERT_TRUE(risk::CheckBreaker(state_, cfg_.risk).has_value());
  EXPECT_EQ(risk::CheckBreaker(state_, cfg_.risk)->rule, RiskRule::kConsecutiveLosses);
  state_.circuit_breaker.active = true;
  EXPECT_FALSE(risk::CheckBreaker(state_, cfg_.risk).has_value());
}

// The background appender of simulated runs: groups land in order, a
// snapshot waits for the groups before it, and a failed group latches.
TEST(GroupWriter, GroupsLandInOrderAndASnapshotAfterThem) {
  testing::TempDir tmp;
  auto ledger = ledger::Ledger::OpenWriter(tmp.Sub("ledger"));
  ASSERT_TRUE(ledger.ok()) << ledger.status();
  {
    runtime::GroupWriter writer(ledger->get(), nullptr, /*max_queued=*/2);
    uint64_t seq = 1;
    for (int g = 0; g < 20; ++g) {
      std::vector<Event> group;
      for (int i = 0; i < 50; ++i, ++seq) group.push_back(Event{seq, static_cast<int64_t>(seq), TradeCycleCompleted{}});
      ASSERT_TRUE(writer.Submit(std::move(group)).ok());
      if (g == 9) writer.SubmitSnapshot(seq - 1, EncodeState(State{}), 3);
    }
    ASSERT_TRUE(writer.Drain().ok());
    EXPECT_EQ(writer.TakeSnapshotError(), "");
  }
  EXPECT_EQ((*ledger)->head().last_seq, 1000u);
  std::vector<std::string> skipped;
  auto snapshot = (*ledger)->LatestSnapshot(1000, &skipped);
  ASSERT_TRUE(snapshot.ok() && snapshot->has_value()) << snapshot.status();
  EXPECT_EQ((*snapshot)->seq, 500u);
}

TEST(GroupWriter, AFailedGroupLatchesAndLaterGroupsAreDropped) {
  testing::TempDir tmp;
  auto ledger = ledger::Ledger::OpenWriter(tmp.Sub("ledger"));
  ASSERT_TRUE(ledger.ok()) << ledger.status();
  runtime::GroupWriter writer(ledger->get(), nullptr);
  ASSERT_TRUE(writer.Submit({Event{1, 1, TradeCycleCompleted{}}}).ok());
  ASSERT_TRUE(writer.Submit({Event{7, 2, TradeCycleCompleted{}}}).ok());  // not the next seq
  const absl::Status drained = writer.Drain();
  EXPECT_THAT(drained.message(), ::testing::HasSubstr("where the fold expected 7"));
  EXPECT_EQ(writer.Submit({Event{3, 3, TradeCycleCompleted{}}}).message(), drained.message());
  ASSERT_TRUE(writer.Drain().code() == drained.code());
}

}  // namespace
}  // namespace apollo
