// One engine over several symbols, with the paper venue and a scripted
// strategy per symbol: what a step journals and in which order, the
// candidates of a step taken best score first under a portfolio-wide
// risk.max_positions, a symbol without a bar not deciding again, and each
// strategy warmed with its own bars after a restart. (`replay decisions`
// re-derives the real strategy's; audit_test runs it on several symbols.)
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "engine/domain/codec.h"
#include "engine/runtime/bar_file.h"
#include "engine/runtime/engine.h"
#include "engine/strategy/strategy.h"
#include "engine/venue/paper_venue.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/event_log.h"
#include "replay/decisions.h"
#include "tests/support/ledgers.h"
#include "tests/support/scripted_strategy.h"
#include "tests/support/temp_dir.h"

namespace apollo {
namespace {

using ::testing::ElementsAre;

constexpr int64_t kT0Ms = 1'688'169'600'000;  // 2023-07-01 00:00 UTC
constexpr int64_t kBarMs = 300'000;
const Symbol kAda{"ADAUSDT"}, kBtc{"BTCUSDT"}, kEth{"ETHUSDT"};

Fixed F(const char* s) { return *Fixed::Parse(s); }

using testing::ScriptedStrategy;

// A long idea on `symbol` at `close` with the given score: stop 1% below,
// take-profit 2% above.
strategy::Decision Long(const Symbol& symbol, const char* close, const char* score) {
  strategy::EntryIdea idea;
  idea.signal = SignalComputed{symbol, "scripted", Side::kBuy, F(score), F(score), "test", {}};
  idea.propose = true;
  idea.reference_price = F(close);
  idea.stop_price = F(close).Mul(F("0.99"));
  idea.take_profit_price = F(close).Mul(F("1.02"));
  idea.atr = F(close).Mul(F("0.01"));
  return strategy::Decision{idea, std::nullopt};
}

struct Prices {
  const char* ada = "0.3";
  const char* btc = "30000";
  const char* eth = "1900";
};

class PortfolioTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cfg_.universe.symbols = {"BTCUSDT", "ETHUSDT", "ADAUSDT"};
    cfg_.paper_sim.slippage_base_bps = Fixed();
    cfg_.risk.max_position_notional_usd = Fixed::FromInt(1'000'000);
    cfg_.risk.max_positions = 1;
    Restart();
  }

  void Restart() {
    engine_.reset();
    venue_.reset();
    ledger_.reset();
    for (auto& [symbol, s] : strategies_) s = std::make_unique<ScriptedStrategy>(/*warmup_bars=*/2);
    ledger_ = *ledger::Ledger::OpenWriter(dir_.Sub("ledger"), {});
    log_ = std::make_unique<runtime::Log>(*runtime::Log::Open(dir_.Sub("bot.log"), runtime::LogLevel::kDebug));
    runtime::EngineDeps deps;
    deps.cfg = cfg_;
    deps.build_version = "test";
    deps.ledger = ledger_.get();
    deps.symbols[kAda] = {strategies_[kAda].get(), risk::Filters{F("0.0001"), F("1"), F("5"), {}, {}}};
    deps.symbols[kBtc] = {strategies_[kBtc].get(), risk::Filters{F("0.1"), F("0.001"), F("5"), {}, {}}};
    deps.symbols[kEth] = {strategies_[kEth].get(), risk::Filters{F("0.01"), F("0.001"), F("5"), {}, {}}};
    deps.filters_source = "test";
    deps.clock = &clock_;
    deps.log = log_.get();
    engine_ = std::make_unique<runtime::Engine>(deps);
    venue_ = std::make_unique<venue::PaperVenue>(cfg_.paper_sim, &engine_->state());
    engine_->set_venue(venue_.get());
    ASSERT_TRUE(engine_->RebuildState().ok());
    clock_.Set(next_open_ms_ * 1'000'000);
    absl::Status st = engine_->Start();
    ASSERT_TRUE(st.ok()) << st;
  }

  // One step: a flat bar per symbol at its price (nullptr: no bar for it).
  void Step(const Prices& p, std::vector<EventBody> inputs = {}) {
    std::vector<runtime::SymbolBar> bars;
    // Handed over out of order on purpose: the engine orders them.
    for (auto [symbol, price] : {std::pair{kEth, p.eth}, std::pair{kAda, p.ada}, std::pair{kBtc, p.btc}}) {
      if (price != nullptr) bars.push_back({symbol, strategy::Bar{next_open_ms_, F(price), F(price), F(price), F(price), F("10")}});
    }
    next_open_ms_ += kBarMs;
    clock_.Set(next_open_ms_ * 1'000'000);
    step_start_seq_ = ledger_->head().last_seq;
    absl::Status st = engine_->OnStep(bars, std::move(inputs));
    ASSERT_TRUE(st.ok()) << st;
  }
  int64_t NextOpen() const { return next_open_ms_; }
  ScriptedStrategy& Strategy(const Symbol& s) { return *strategies_[s]; }

  std::vector<Event> Events() {
    absl::StatusOr<std::vector<Event>> events = testing::ReadEvents(*ledger_);
    EXPECT_TRUE(events.ok()) << events.status();
    return events.ok() ? *std::move(events) : std::vector<Event>{};
  }
  // The events of the last Step(), its orders' outcomes included.
  std::vector<Event> LastStep() {
    std::vector<Event> out;
    for (Event& e : Events()) {
      if (e.seq > step_start_seq_) out.push_back(std::move(e));
    }
    return out;
  }
  std::string Describe(const Event& e) {
    if (auto* c = std::get_if<CandleClose>(&e.body)) return "CandleClose " + c->symbol.value;
    if (auto* s = std::get_if<SignalComputed>(&e.body)) return "SignalComputed " + s->symbol.value;
    if (auto* t = std::get_if<TradeProposed>(&e.body)) return "TradeProposed " + t->symbol.value;
    if (auto* a = std::get_if<RiskApproved>(&e.body)) return "RiskApproved " + a->symbol.value;
    if (auto* r = std::get_if<RiskRejected>(&e.body)) return "RiskRejected " + r->symbol.value + " " + std::string(EnumName(r->rule));
    if (auto* o = std::get_if<OrderPlaced>(&e.body)) return "OrderPlaced " + o->symbol.value + " " + std::string(EnumName(o->purpose));
    if (auto* n = std::get_if<NewsClassified>(&e.body)) return "NewsClassified " + n->symbol.value + " " + std::string(EnumName(n->risk));
    return std::string(EventName(static_cast<uint16_t>(TagOf(e.body))));
  }
  std::vector<std::string> Describe(const std::vector<Event>& events) {
    std::vector<std::string> out;
    for (const Event& e : events) out.push_back(Describe(e));
    return out;
  }

  config::Config cfg_;
  testing::TempDir dir_;
  runtime::DataClock clock_;
  std::map<Symbol, std::unique_ptr<ScriptedStrategy>> strategies_ = [] {
    std::map<Symbol, std::unique_ptr<ScriptedStrategy>> m;
    for (const Symbol& s : {kAda, kBtc, kEth}) m[s] = nullptr;
    return m;
  }();
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<runtime::Log> log_;
  std::unique_ptr<runtime::Engine> engine_;
  std::unique_ptr<venue::PaperVenue> venue_;
  int64_t next_open_ms_ = kT0Ms;
  uint64_t step_start_seq_ = 0;
};

TEST_F(PortfolioTest, AStepJournalsEachSymbolsBarInSymbolOrderThenOneTradeCycle) {
  Step({});
  EXPECT_THAT(Describe(LastStep()), ElementsAre("CandleClose ADAUSDT", "CandleClose BTCUSDT", "CandleClose ETHUSDT",
                                                "TradeCycleCompleted"));
  // Each symbol's filters were journaled at start, with where they came from.
  for (const Symbol& s : {kAda, kBtc, kEth}) EXPECT_TRUE(engine_->state().filters.contains(s)) << s.value;
  EXPECT_EQ(engine_->state().filters.at(kAda).tick_size, F("0.0001"));
}

TEST_F(PortfolioTest, CandidatesAreTakenBestScoreFirstAndMaxPositionsCountsTheEntryJustPlaced) {
  Step({});
  Strategy(kAda).At(NextOpen(), Long(kAda, "0.3", "0.6"));
  Strategy(kBtc).At(NextOpen(), Long(kBtc, "30000", "0.7"));
  Strategy(kEth).At(NextOpen(), Long(kEth, "1900", "0.9"));
  Step({});
  // Signals in symbol order, then the proposals by score: ETH (0.9) gets the
  // one slot; BTC and ADA find its entry order and are refused.
  EXPECT_THAT(Describe(LastStep()),
              ElementsAre("CandleClose ADAUSDT", "CandleClose BTCUSDT", "CandleClose ETHUSDT", "SignalComputed ADAUSDT",
                          "SignalComputed BTCUSDT", "SignalComputed ETHUSDT", "TradeProposed ETHUSDT",
                          "RiskApproved ETHUSDT", "OrderPlaced ETHUSDT ENTRY", "TradeProposed BTCUSDT",
                          "RiskRejected BTCUSDT MAX_POSITIONS_REACHED", "TradeProposed ADAUSDT",
                          "RiskRejected ADAUSDT MAX_POSITIONS_REACHED", "TradeCycleCompleted", "OrderAccepted",
                          "OrderFilled", "PositionOpened", "OrderPlaced ETHUSDT STOP_LOSS",
                          "OrderPlaced ETHUSDT TAKE_PROFIT", "OrderAccepted", "OrderAccepted"));
  EXPECT_THAT(engine_->state().positions, ::testing::SizeIs(1));
  EXPECT_TRUE(engine_->state().positions.contains(kEth));
  // The refusal says what held it: no position yet, one entry on its way.
  for (const Event& e : LastStep()) {
    if (auto* r = std::get_if<RiskRejected>(&e.body)) {
      ASSERT_GE(r->values.size(), 2u);
      EXPECT_EQ(r->values[0].name, "open_positions");
      EXPECT_EQ(r->values[1].name, "pending_entries");
      EXPECT_EQ(r->values[1].value, F("1"));
    }
  }
}

// A market fill slips by paper_sim.slippage_base_bps and lands on its own
// symbol's tick: ADAUSDT's 0.0001, not paper_sim.price_tick's 0.1 (which
// priced every ADA fill at 0.3).
TEST_F(PortfolioTest, AFillIsPricedOnItsOwnSymbolsTick) {
  cfg_.paper_sim.slippage_base_bps = Fixed::FromInt(2);
  Restart();
  Step({});
  Strategy(kAda).At(NextOpen(), Long(kAda, "0.2963", "0.9"));
  Step({.ada = "0.2963"});
  ASSERT_TRUE(engine_->state().positions.contains(kAda));
  EXPECT_EQ(engine_->state().positions.at(kAda).entry_price, F("0.2964"));  // 0.2963 x 1.0002, to the tick
}

TEST_F(PortfolioTest, MaxPositionsOfTwoOpensTheTwoBestAndRefusesTheThird) {
  cfg_.risk.max_positions = 2;
  Restart();
  Step({});
  Strategy(kAda).At(NextOpen(), Long(kAda, "0.3", "0.8"));
  Strategy(kBtc).At(NextOpen(), Long(kBtc, "30000", "0.6"));
  Strategy(kEth).At(NextOpen(), Long(kEth, "1900", "0.7"));
  Step({});
  EXPECT_TRUE(engine_->state().positions.contains(kAda));
  EXPECT_TRUE(engine_->state().positions.contains(kEth));
  EXPECT_FALSE(engine_->state().positions.contains(kBtc));
  // A later candidate finds both positions open.
  Strategy(kBtc).At(NextOpen(), Long(kBtc, "30000", "0.9"));
  Step({});
  EXPECT_THAT(Describe(LastStep()), ::testing::Contains("RiskRejected BTCUSDT MAX_POSITIONS_REACHED"));
  EXPECT_EQ(engine_->state().positions.size(), 2u);
}

TEST_F(PortfolioTest, EqualScoresAreTakenInSymbolOrder) {
  Step({});
  Strategy(kEth).At(NextOpen(), Long(kEth, "1900", "0.8"));
  Strategy(kBtc).At(NextOpen(), Long(kBtc, "30000", "0.8"));
  Step({});
  EXPECT_TRUE(engine_->state().positions.contains(kBtc));
  EXPECT_FALSE(engine_->state().positions.contains(kEth));
}

TEST_F(PortfolioTest, ASymbolWithoutABarInAStepDoesNotDecideAgain) {
  Step({});
  Strategy(kEth).At(NextOpen(), Long(kEth, "1900", "0.9"));
  Step({.eth = "1900"});  // only ETH closed: only ETH decides
  const auto signals_after_first = engine_->state().counters.signals;
  EXPECT_EQ(signals_after_first, 1u);
  // ETH's data pauses; its last bar's idea must not be decided a second time.
  Step({.ada = "0.3", .btc = "30000", .eth = nullptr});
  EXPECT_EQ(engine_->state().counters.signals, signals_after_first);
  EXPECT_THAT(Describe(LastStep()), ElementsAre("CandleClose ADAUSDT", "CandleClose BTCUSDT", "TradeCycleCompleted"));
}

TEST_F(PortfolioTest, ARestartWarmsEachStrategyWithItsOwnSymbolsBars) {
  Step({});
  Step({.ada = "0.3", .btc = nullptr, .eth = "1900"});
  Step({.ada = nullptr, .btc = "30000", .eth = "1900"});
  Restart();
  // WarmupBars() is 2: each gets its symbol's last two journaled bars.
  EXPECT_THAT(Strategy(kAda).fed, ElementsAre(kT0Ms, kT0Ms + kBarMs));
  EXPECT_THAT(Strategy(kBtc).fed, ElementsAre(kT0Ms, kT0Ms + 2 * kBarMs));
  EXPECT_THAT(Strategy(kEth).fed, ElementsAre(kT0Ms + kBarMs, kT0Ms + 2 * kBarMs));
}

TEST_F(PortfolioTest, OutsideTheUniverseNoEntryIsLookedForButAPositionThereStillExits) {
  cfg_.universe.size = 2;
  cfg_.risk.max_positions = 3;
  Restart();
  Step({});
  // ADA first, while every symbol may still open.
  Strategy(kAda).At(NextOpen(), Long(kAda, "0.3", "0.9"));
  Step({});
  ASSERT_TRUE(engine_->state().positions.contains(kAda));
  // ADA has the least volume and drops out.
  ASSERT_TRUE(engine_->UniverseDue());
  UniverseCandidate ada{kAda, 60'000'000, F("5")}, btc{kBtc, 9'000'000'000, F("5")}, eth{kEth, 4'000'000'000, F("5")};
  ASSERT_TRUE(engine_->OnUniverse({ada, btc, eth}, "test").ok());
  EXPECT_FALSE(engine_->UniverseDue());
  EXPECT_THAT(engine_->state().universe, ::testing::ElementsAre(kBtc, kEth));
  // An entry idea in ADA is not even a signal; BTC's is taken.
  Strategy(kAda).At(NextOpen(), Long(kAda, "0.3", "0.9"));
  Strategy(kBtc).At(NextOpen(), Long(kBtc, "30000", "0.6"));
  Step({});
  EXPECT_THAT(Describe(LastStep()), ::testing::Not(::testing::Contains("SignalComputed ADAUSDT")));
  EXPECT_THAT(Describe(LastStep()), ::testing::Contains("RiskApproved BTCUSDT"));
  // ADA's position is still managed: its exit goes out.
  strategy::Decision exit;
  exit.exit = strategy::ExitIdea{CloseReason::kTrendInvalidation, "test"};
  Strategy(kAda).At(NextOpen(), exit);
  Step({});
  EXPECT_FALSE(engine_->state().positions.contains(kAda));
}

// A news item read since the last step is journaled first in the step,
// its classification right after it; a HIGH item naming ETH blocks ETH's
// entries (NEWS_HIGH_RISK) while BTC trades on, and a restart keeps the block.
TEST_F(PortfolioTest, AHighRiskNewsItemBlocksEntriesOnlyInTheSymbolsItNames) {
  cfg_.news.enabled = true;
  cfg_.risk.max_positions = 3;
  Restart();
  const int64_t read_ms = NextOpen();
  Step({}, {NewsIngested{"coindesk", "guid-1", "Ethereum bridge exploited, $80M drained", "", "https://example.org/1",
                         read_ms - 60'000, read_ms}});
  const std::vector<std::string> step = Describe(LastStep());
  ASSERT_GE(step.size(), 3u);
  EXPECT_EQ(step[0], "NewsIngested");
  EXPECT_EQ(step[1], "NewsClassified ETHUSDT HIGH");
  EXPECT_EQ(step[2], "CandleClose ADAUSDT");
  EXPECT_TRUE(engine_->state().NewsSeen("coindesk", "guid-1"));
  Restart();
  Strategy(kEth).At(NextOpen(), Long(kEth, "1900", "0.9"));
  Strategy(kBtc).At(NextOpen(), Long(kBtc, "30000", "0.6"));
  Step({});
  EXPECT_THAT(Describe(LastStep()), ::testing::Contains("RiskRejected ETHUSDT NEWS_HIGH_RISK"));
  EXPECT_THAT(Describe(LastStep()), ::testing::Contains("RiskApproved BTCUSDT"));
}

// A symbol entering mid-run (the venue-wide universe): its filters are
// journaled, its history is journaled as bars that decide nothing, its
// strategy learns them, and from then on it is part of the steps; after a
// restart, adding it again warms its strategy from those journaled bars.
TEST_F(PortfolioTest, ASymbolAddedMidRunLearnsItsHistoryWithoutDecidingThenTrades) {
  const Symbol sol{"SOLUSDT"};
  Step({});
  auto added = std::make_unique<ScriptedStrategy>(/*warmup_bars=*/2);
  ScriptedStrategy* strategy = added.get();
  ASSERT_TRUE(engine_->AddSymbol(sol, std::move(added), risk::Filters{F("0.001"), F("1"), F("5"), {}, {}}).ok());
  EXPECT_FALSE(engine_->AddSymbol(sol, std::make_unique<ScriptedStrategy>(), {}).ok()) << "traded already";
  EXPECT_TRUE(engine_->state().filters.contains(sol));
  std::vector<strategy::Bar> history;
  for (int64_t open = NextOpen() - 3 * kBarMs; open < NextOpen(); open += kBarMs) {
    history.push_back(strategy::Bar{open, F("20"), F("20"), F("20"), F("20"), F("5")});
  }
  const uint64_t before = ledger_->head().last_seq;
  ASSERT_TRUE(engine_->OnHistory(sol, history).ok());
  std::vector<std::string> journaled;
  for (const Event& e : Events()) {
    if (e.seq > before) journaled.push_back(Describe(e));
  }
  EXPECT_THAT(journaled, ElementsAre("CandleClose SOLUSDT", "CandleClose SOLUSDT", "CandleClose SOLUSDT",
                                     "TradeCycleCompleted"));
  EXPECT_EQ(std::get<TradeCycleCompleted>(Events().back().body).decided_after_seq, 0u) << "nothing decided";
  EXPECT_EQ(strategy->fed.size(), 3u);
  EXPECT_FALSE(engine_->OnHistory(sol, history).ok()) << "not after the last journaled bar";
  // SOL's bar is part of the next step, and it trades.
  strategy->At(NextOpen(), Long(sol, "20", "0.9"));
  std::vector<runtime::SymbolBar> bars = {{sol, strategy::Bar{NextOpen(), F("20"), F("20"), F("20"), F("20"), F("5")}},
                                          {kBtc, strategy::Bar{NextOpen(), F("30000"), F("30000"), F("30000"), F("30000"), F("5")}}};
  const uint64_t step_from = ledger_->head().last_seq;
  ASSERT_TRUE(engine_->OnStep(bars).ok());
  std::vector<std::string> step;
  for (const Event& e : Events()) {
    if (e.seq > step_from) step.push_back(Describe(e));
  }
  EXPECT_THAT(step, ::testing::Contains("RiskApproved SOLUSDT"));
  EXPECT_THAT(step, ::testing::Contains("OrderPlaced SOLUSDT ENTRY"));
  // Restarted, the engine trades its configured symbols; adding SOL again warms it from the ledger.
  Restart();
  EXPECT_FALSE(engine_->Trades(sol));
  auto again = std::make_unique<ScriptedStrategy>(/*warmup_bars=*/2);
  ScriptedStrategy* warmed = again.get();
  ASSERT_TRUE(engine_->AddSymbol(sol, std::move(again), risk::Filters{F("0.001"), F("1"), F("5"), {}, {}}).ok());
  EXPECT_EQ(warmed->fed.size(), 2u) << "its last two journaled bars";
}

TEST_F(PortfolioTest, AStepWithABarOfASymbolNotTradedIsRefused) {
  const runtime::SymbolBar bars[] = {{Symbol{"SOLUSDT"}, strategy::Bar{NextOpen(), F("20"), F("20"), F("20"), F("20"), F("1")}}};
  absl::Status st = engine_->OnStep(bars);
  EXPECT_FALSE(st.ok());
  EXPECT_THAT(std::string(st.message()), ::testing::HasSubstr("SOLUSDT"));
}

// The real strategy trading recorded ETH (July 2023), SOL added mid-run
// with its history: `replay decisions` derives every bar decision again,
// SOL's included, from the ledger alone (its strategy made at SOL's first
// journaled bar, as the engine made it).
TEST(PortfolioDecisions, ASymbolAddedMidRunIsDecidedAgainByReplayDecisions) {
  config::Config cfg;
  cfg.universe.symbols = {"ETHUSDT"};
  cfg.strategy.trend_timeframe = "15m";
  cfg.strategy.entry_timeframe = "5m";
  cfg.strategy.indicators.ema_slow = 5;
  cfg.strategy.indicators.ema_fast = 2;
  cfg.strategy.indicators.adx_period = 3;
  cfg.strategy.indicators.atr_period = 3;
  cfg.strategy.entry.breakout_lookback = 3;
  cfg.strategy.entry.volume_confirmation_enabled = false;
  cfg.risk.max_positions = 2;
  auto read = [](const char* file) {
    runtime::BarReadOptions o;
    o.from_ms = 1'689'681'600'000;  // 2023-07-18 12:00 UTC
    o.to_ms = o.from_ms + 1'200 * kBarMs;
    absl::StatusOr<runtime::BarSeries> s = runtime::ReadBars({std::string(APOLLO_SOURCE_DIR) + "/data/market/" + file}, o);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? s->bars : std::vector<strategy::Bar>{};
  };
  const std::vector<strategy::Bar> eth = read("ethusdt_perp_5m_2023-07-03_2023-08-17.csv");
  const std::vector<strategy::Bar> sol = read("solusdt_perp_5m_2023-07-18_2023-08-17.csv");
  ASSERT_EQ(eth.size(), 1'200u);
  ASSERT_EQ(sol.size(), 1'200u);
  testing::TempDir dir;
  auto ledger = *ledger::Ledger::OpenWriter(dir.Sub("ledger"), {});
  auto log = *runtime::Log::Open(dir.Sub("bot.log"), runtime::LogLevel::kWarning);
  runtime::DataClock clock;
  auto eth_strategy = *strategy::MakeStrategy(cfg.strategy, cfg.regime, "ETHUSDT", cfg.run.interval);
  runtime::EngineDeps deps;
  deps.cfg = cfg;
  deps.build_version = "test";
  deps.ledger = ledger.get();
  deps.symbols[kEth] = {eth_strategy.get(), risk::Filters{F("0.01"), F("0.001"), F("5"), {}, {}}};
  deps.clock = &clock;
  deps.log = &log;
  runtime::Engine engine(deps);
  venue::PaperVenue venue(cfg.paper_sim, &engine.state());
  engine.set_venue(&venue);
  clock.Set(eth.front().open_time_ms * 1'000'000);
  ASSERT_TRUE(engine.Start().ok());
  const Symbol sol_symbol{"SOLUSDT"};
  constexpr size_t kAddedAt = 600, kHistory = 200;
  for (size_t i = 0; i < eth.size(); ++i) {
    if (i == kAddedAt) {
      ASSERT_TRUE(engine.AddSymbol(sol_symbol, *strategy::MakeStrategy(cfg.strategy, cfg.regime, "SOLUSDT", cfg.run.interval),
                                   risk::Filters{F("0.001"), F("1"), F("5"), {}, {}}).ok());
      ASSERT_TRUE(engine.OnHistory(sol_symbol, absl::MakeConstSpan(sol).subspan(kAddedAt - kHistory, kHistory)).ok());
    }
    std::vector<runtime::SymbolBar> step = {{kEth, eth[i]}};
    if (i >= kAddedAt) step.push_back({sol_symbol, sol[i]});
    clock.Set((eth[i].open_time_ms + kBarMs) * 1'000'000);
    absl::Status st = engine.OnStep(step);
    ASSERT_TRUE(st.ok()) << st;
  }
  ASSERT_TRUE(engine.Stop("END_OF_DATA").ok());
  size_t sol_signals = 0;
  const absl::StatusOr<std::vector<Event>> events = testing::ReadEvents(*ledger);
  ASSERT_TRUE(events.ok()) << events.status();
  for (const Event& e : *events) {
    if (auto* s = std::get_if<SignalComputed>(&e.body); s != nullptr && s->symbol == sol_symbol) ++sol_signals;
  }
  EXPECT_GT(sol_signals, 0u) << "SOL decided after it was added";
  absl::StatusOr<replay::DecisionsReport> report = replay::CheckDecisions(*ledger, replay::DecisionsOptions{});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->divergence_count, 0u) << (report->divergences.empty() ? "" : report->divergences[0].kind + " " +
                                                  report->divergences[0].event + "." + report->divergences[0].field + ": " +
                                                  report->divergences[0].recorded + " vs " + report->divergences[0].derived);
  EXPECT_GT(report->checked["bar"], 1'000u);
}

}  // namespace
}  // namespace apollo
