// `bot --venue kalshi --mode testnet` end to end (issue 15 §2-§4): the bot
// against an in-process fake-kalshi (REST and its signed WebSocket) and a
// loopback NWS, on the day after today's NYC markets. It lists the markets,
// reads the books from the stream, journals NWS's forecast with its sigma
// by lead, buys the market whose edge clears the fee, holds the one whose
// edge does not, reconciles with Kalshi, and after a restart sends nothing
// twice.
#include <httplib.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "engine/domain/codec.h"
#include "engine/domain/events.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/cli.h"
#include "tests/support/kalshi_keys.h"
#include "tests/support/ledgers.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tools/fake_kalshi/exchange.h"
#include "tools/fake_kalshi/server.h"
#include "tools/fake_kalshi/stream.h"
#include "tools/fake_nws/fake_nws.h"

namespace apollo {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using testing::Process;

Fixed D(const char* text) { return *Fixed::Parse(text); }

// New York's climate days run on EST (UTC-5) all year.
const absl::TimeZone kEst = absl::FixedTimeZone(-5 * 3600);

class KalshiLive : public ::testing::Test {
 protected:
  KalshiLive()
      : keys_(testing::ReadKalshiTestKey()),
        exchange_([] { return absl::ToUnixMillis(absl::Now()); }),
        stream_(&exchange_, {testing::kKalshiKeyId, keys_.public_pem}),
        server_(&exchange_, {testing::kKalshiKeyId, keys_.public_pem, 0, &stream_}),
        nws_(50) {
    // Tomorrow's NYC event: its markets trade until the day ends.
    const absl::CivilDay day = absl::ToCivilDay(absl::Now(), kEst) + 1;
    event_ = absl::StrCat("KXHIGHNY-", absl::AsciiStrToUpper(absl::FormatCivilTime(day).substr(2, 2)),
                          absl::AsciiStrToUpper(absl::FormatTime("%b", absl::FromCivil(day, kEst), kEst)),
                          absl::FormatTime("%d", absl::FromCivil(day, kEst), kEst));
    day_ = absl::FormatCivilTime(day);
    fake_kalshi::MarketSpec between;
    between.ticker = absl::StrCat(event_, "-B49.5");
    between.event_ticker = event_;
    between.strike_type = "between";
    between.floor_strike = Fixed::FromInt(49);
    between.cap_strike = Fixed::FromInt(50);
    between.open_time_ms = absl::ToUnixMillis(absl::Now() - absl::Hours(12));
    between.close_time_ms = absl::ToUnixMillis(absl::FromCivil(day + 1, kEst));
    between.expected_expiration_ms = between.close_time_ms + 10 * 3'600'000;
    // The forecast says 50 +- 3.5: about 0.22 for 49-50, asked at 0.10.
    between.yes_bids = {{D("0.08"), Fixed::FromInt(100)}};
    between.no_bids = {{D("0.90"), Fixed::FromInt(200)}};
    between.volume = Fixed::FromInt(600);  // with no open interest: past the liquidity gate's 500
    fake_kalshi::MarketSpec above = between;
    above.ticker = absl::StrCat(event_, "-T52");
    above.strike_type = "greater";
    above.floor_strike = Fixed::FromInt(52);
    above.cap_strike.reset();
    // About 0.24 for 53 or more, asked at 0.22: no edge after the fee.
    above.yes_bids = {{D("0.20"), Fixed::FromInt(100)}};
    above.no_bids = {{D("0.78"), Fixed::FromInt(100)}};
    exchange_.AddMarket(between);
    exchange_.AddMarket(above);
    between_ = between.ticker;
    between_spec_ = between;
    above_ = above.ticker;
    EXPECT_TRUE(stream_.Start().ok());
    EXPECT_TRUE(server_.Start().ok());
    EXPECT_TRUE(nws_.Start().ok());
  }

  // The bot in testnet mode against the fakes; `extra_env` adds to its environment.
  std::unique_ptr<Process> StartBot(const std::vector<std::string>& extra_env = {}) {
    std::vector<std::string> env = {
        "RUN__VENUE=kalshi", "RUN_ENABLE_TRADING=true", "RUN__INITIAL_EQUITY=1000", "WEATHER__CITIES=NYC",
        absl::StrCat("WEATHER__NWS_BASE_URL=", nws_.Url()), absl::StrCat("KALSHI_API_BASE=", server_.BaseUrl()),
        absl::StrCat("KALSHI_WS_URL=", stream_.Url()), absl::StrCat("KALSHI_API_KEY=", testing::kKalshiKeyId),
        absl::StrCat("KALSHI_API_SECRET=", keys_.private_pem)};
    env.insert(env.end(), extra_env.begin(), extra_env.end());
    testing::SpawnOptions o = testing::ToolOptions(env);
    auto p = Process::Spawn({BOT_BIN, "--config", absl::StrCat(APOLLO_SOURCE_DIR, "/config.yaml"), "--mode", "testnet", "--ledger",
                             dir_.Sub("ledger"), "--logs", dir_.Sub("logs")},
                            o);
    EXPECT_TRUE(p.ok()) << p.status();
    if (!p.ok()) return nullptr;
    std::optional<std::string> line = (*p)->ReadLineStartingWith("bot: testnet mode started", 30s);
    EXPECT_TRUE(line.has_value()) << (*p)->out() << (*p)->err();
    started_line_ = line.value_or("");
    return *std::move(p);
  }

  // The bot's /metrics (its port from the started line); "" when not served.
  std::string Metrics() const {
    const size_t at = started_line_.find("metrics=127.0.0.1:");
    if (at == std::string::npos) return "";
    httplib::Client c("127.0.0.1", std::stoi(started_line_.substr(at + 18)));
    c.set_connection_timeout(5);
    c.set_read_timeout(5);
    auto r = c.Get("/metrics");
    return r && r->status == 200 ? r->body : "";
  }

  // The ledger's events once `pred` holds of them (polled, at most 30 s).
  template <class Pred>
  std::vector<Event> EventsWhen(Pred pred) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    std::vector<Event> events;
    while (std::chrono::steady_clock::now() < deadline) {
      auto read = testing::ReadEvents(dir_.Sub("ledger"));
      if (read.ok()) {
        events = *std::move(read);
        if (pred(events)) break;
      }
      std::this_thread::sleep_for(20ms);
    }
    return events;
  }

  // The events as JSON lines (for a failure's message), each cut at 300 characters.
  std::string Dump(const std::vector<Event>& events) const {
    std::string out;
    for (const Event& e : events) absl::StrAppend(&out, EventToJson(e).substr(0, 300), "\n");
    return out;
  }

  template <class T>
  static std::vector<T> Of(const std::vector<Event>& events) {
    std::vector<T> out;
    for (const Event& e : events) {
      if (const T* t = std::get_if<T>(&e.body)) out.push_back(*t);
    }
    return out;
  }

  testing::KalshiTestKey keys_;
  fake_kalshi::Exchange exchange_;
  fake_kalshi::FakeKalshiStream stream_;
  fake_kalshi::FakeKalshiServer server_;
  fake_nws::FakeNws nws_;
  testing::TempDir dir_;
  std::string event_, day_, between_, above_;
  fake_kalshi::MarketSpec between_spec_;  // as listed at the start
  std::string started_line_;
};

TEST_F(KalshiLive, ADemoRunBuysTheEdgeFromNwsAndTheStreamAndAfterARestartSendsNothingTwice) {
  std::unique_ptr<Process> bot = StartBot();
  ASSERT_NE(bot, nullptr);
  std::vector<Event> events = EventsWhen([](const std::vector<Event>& ev) { return !Of<OrderFilled>(ev).empty(); });
  ASSERT_EQ(Of<OrderFilled>(events).size(), 1u) << bot->err() << Dump(events);

  // Both markets listed from Kalshi, NWS's forecast of their day with the prior's sigma at lead 1.
  EXPECT_EQ(Of<InstrumentDefined>(events).size(), 2u);
  const std::vector<ForecastObserved> forecasts = Of<ForecastObserved>(events);
  ASSERT_FALSE(forecasts.empty());
  EXPECT_EQ(forecasts[0].city, "NYC");
  EXPECT_EQ(forecasts[0].station, "KNYC");
  EXPECT_EQ(forecasts[0].climate_day, day_);
  EXPECT_EQ(forecasts[0].source, "nws");
  EXPECT_EQ(forecasts[0].high_f, Fixed::FromInt(50));
  EXPECT_EQ(forecasts[0].sigma_f, D("3.5"));
  // The books (from the stream, or from REST while its snapshots are on their way): 0.08/0.10 and 0.20/0.22.
  bool between_tick = false, above_tick = false;
  for (const MarketTick& t : Of<MarketTick>(events)) {
    between_tick |= t.symbol.value == between_ && t.bid_price == D("0.08") && t.ask_price == D("0.1");
    above_tick |= t.symbol.value == above_ && t.bid_price == D("0.2") && t.ask_price == D("0.22");
  }
  EXPECT_TRUE(between_tick);
  EXPECT_TRUE(above_tick);
  // One order: a buy of YES in 49-50, its size the per-trade risk's (95 at most).
  const std::vector<OrderPlaced> placed = Of<OrderPlaced>(events);
  ASSERT_EQ(placed.size(), 1u);
  EXPECT_EQ(placed[0].symbol.value, between_);
  EXPECT_EQ(placed[0].side, Side::kBuy);
  EXPECT_EQ(placed[0].order_type, OrderType::kLimit);
  EXPECT_EQ(placed[0].qty, Fixed::FromInt(95));
  EXPECT_FALSE(Of<ReconciliationCompleted>(events).empty()) << "reconciled with Kalshi at start";
  EXPECT_TRUE(Of<ManualInterventionDetected>(events).empty());
  EXPECT_GT(nws_.requests(), 0);
  // Milkbot's risk report as gauges: 95 YES at 0.10 can lose 9.50, all of it New York's (NE).
  const std::string metrics = Metrics();
  EXPECT_THAT(metrics, HasSubstr("\nweather_open_risk_usd 9.5\n")) << metrics;
  EXPECT_THAT(metrics, HasSubstr("\nweather_city_exposure_usd{city=\"NYC\"} 9.5\n"));
  EXPECT_THAT(metrics, HasSubstr("\nweather_cluster_exposure_usd{cluster=\"NE\"} 9.5\n"));
  EXPECT_THAT(metrics, HasSubstr("\nnws_reads_total{result=\"read\"} "));

  bot->Signal(SIGTERM);
  testing::ExitStatus st = bot->Wait(30s);
  ASSERT_TRUE(st.Exited(0)) << st << "\n" << bot->err();

  // Restarted: a step again, the position already held, nothing sent twice.
  const size_t cycles = Of<TradeCycleCompleted>(events).size();
  bot = StartBot();
  ASSERT_NE(bot, nullptr);
  events = EventsWhen([&](const std::vector<Event>& ev) { return Of<TradeCycleCompleted>(ev).size() > cycles; });
  EXPECT_GT(Of<TradeCycleCompleted>(events).size(), cycles) << bot->err();
  EXPECT_EQ(Of<OrderPlaced>(events).size(), 1u);
  EXPECT_TRUE(Of<ManualInterventionDetected>(events).empty()) << "Kalshi agrees with the ledger after the fill";
  bot->Signal(SIGTERM);
  st = bot->Wait(30s);
  EXPECT_TRUE(st.Exited(0)) << st << "\n" << bot->err();
  const fake_kalshi::Reply orders = exchange_.ListOrders("", "");
  EXPECT_EQ(orders.body.find("\"order_id\"", orders.body.find("\"order_id\"") + 1), std::string::npos)
      << "one order at Kalshi: " << orders.body;
  EXPECT_THAT(bot->err(), ::testing::Not(HasSubstr("PRIVATE KEY")));
}

// Milkbot's "cancel if the spread widens": our entry takes the 40 contracts
// offered at 0.10 and rests for the other 55; the offer is gone and the ask
// is 0.15, seven cents over the bid, so the next step (here: after a
// restart) cancels the rest (SIGNAL_GONE) and keeps the 40 held. The run
// also sized Kalshi's buckets from the account's tier.
TEST_F(KalshiLive, APartlyFilledEntryIsCancelledOnceItsMarketsSpreadWidens) {
  exchange_.ChangeBook(between_, "no", D("0.90"), Fixed::FromInt(-160));
  exchange_.ChangeBook(between_, "no", D("0.85"), Fixed::FromInt(200));
  std::unique_ptr<Process> bot = StartBot();
  ASSERT_NE(bot, nullptr);
  std::vector<Event> events = EventsWhen([](const std::vector<Event>& ev) { return !Of<OrderPartialFill>(ev).empty(); });
  ASSERT_EQ(Of<OrderPartialFill>(events).size(), 1u) << bot->err() << Dump(events);
  EXPECT_EQ(Of<OrderPartialFill>(events)[0].qty, Fixed::FromInt(40));
  EXPECT_THAT(testing::ReadFile(std::filesystem::path(dir_.Sub("logs")) / "bot.log"),
              ::testing::AllOf(HasSubstr("kalshi_rate_tier"), HasSubstr("basic")));
  bot->Signal(SIGTERM);
  ASSERT_TRUE(bot->Wait(30s).Exited(0)) << bot->err();

  bot = StartBot();
  ASSERT_NE(bot, nullptr);
  events = EventsWhen([](const std::vector<Event>& ev) { return !Of<OrderCancelled>(ev).empty(); });
  const std::vector<OrderCancelled> cancelled = Of<OrderCancelled>(events);
  ASSERT_EQ(cancelled.size(), 1u) << bot->err() << Dump(events);
  EXPECT_EQ(cancelled[0].reason, "SIGNAL_GONE");
  std::string between_reason;
  for (const SignalComputed& s : Of<SignalComputed>(events)) {
    if (s.symbol.value == between_) between_reason = s.reason;
  }
  EXPECT_EQ(between_reason, "wide_spread") << Dump(events);
  bot->Signal(SIGTERM);
  ASSERT_TRUE(bot->Wait(30s).Exited(0)) << bot->err();
  EXPECT_EQ(Of<OrderPlaced>(testing::ReadEvents(dir_.Sub("ledger")).value_or(std::vector<Event>{})).size(), 1u)
      << "the position is held: no new entry";
  EXPECT_THAT(exchange_.ListOrders("", "resting").body, ::testing::Not(HasSubstr("\"order_id\"")));
  EXPECT_THAT(exchange_.Positions().body, HasSubstr("\"position_fp\":\"40.00\""));
}

// A market we hold closes and Kalshi pays it out: the next step (here at
// the restart, which reconciles) reads its event's result, journals
// MarketSettled and closes the position at the payout, and Kalshi agrees
// with the ledger afterwards (no manual review).
TEST_F(KalshiLive, AHeldMarketPaidOutByKalshiIsSettledAtItsPayoutAndAgreesWithKalshi) {
  // The 51-52 bucket beside 49-50, its book the same (about 0.21, asked at
  // 0.10), but trading ends 15 s from now: time for the first run to buy.
  fake_kalshi::MarketSpec soon = between_spec_;
  soon.ticker = absl::StrCat(event_, "-B51.5");
  soon.floor_strike = Fixed::FromInt(51);
  soon.cap_strike = Fixed::FromInt(52);
  soon.close_time_ms = absl::ToUnixMillis(absl::Now() + absl::Seconds(15));
  soon.expected_expiration_ms = soon.close_time_ms;
  exchange_.AddMarket(soon);
  std::unique_ptr<Process> bot = StartBot();
  ASSERT_NE(bot, nullptr);
  std::vector<Event> events = EventsWhen([&](const std::vector<Event>& ev) {
    for (const OrderPlaced& p : Of<OrderPlaced>(ev)) {
      if (p.symbol.value == soon.ticker) return Of<OrderFilled>(ev).size() == Of<OrderPlaced>(ev).size();
    }
    return false;
  });
  ASSERT_EQ(Of<OrderFilled>(events).size(), 2u) << bot->err() << Dump(events);
  ASSERT_LT(absl::ToUnixMillis(absl::Now()), soon.close_time_ms) << "bought before the close";
  bot->Signal(SIGTERM);
  ASSERT_TRUE(bot->Wait(30s).Exited(0)) << bot->err();
  const size_t reconciled = Of<ReconciliationCompleted>(testing::ReadEvents(dir_.Sub("ledger")).value_or(std::vector<Event>{})).size();

  std::this_thread::sleep_until(std::chrono::system_clock::time_point(std::chrono::milliseconds(soon.close_time_ms + 100)));
  ASSERT_EQ(exchange_.Settle(soon.ticker, "yes").status, 200);
  bot = StartBot();
  ASSERT_NE(bot, nullptr);
  events = EventsWhen([&](const std::vector<Event>& ev) {
    return Of<ReconciliationCompleted>(ev).size() > reconciled && !Of<MarketSettled>(ev).empty();
  });
  const std::vector<MarketSettled> settled = Of<MarketSettled>(events);
  ASSERT_EQ(settled.size(), 1u) << bot->err() << Dump(events);
  EXPECT_EQ(settled[0].symbol.value, soon.ticker);
  EXPECT_EQ(settled[0].result, MarketResult::kYes);
  EXPECT_EQ(settled[0].source, "kalshi");
  bool closed_at_payout = false;
  for (const PositionClosed& c : Of<PositionClosed>(events)) {
    closed_at_payout |= c.symbol.value == soon.ticker && c.reason == CloseReason::kSettlement && c.exit_price == Fixed::FromInt(1);
  }
  EXPECT_TRUE(closed_at_payout) << Dump(events);
  bot->Signal(SIGTERM);
  EXPECT_TRUE(bot->Wait(30s).Exited(0)) << bot->err();
  events = testing::ReadEvents(dir_.Sub("ledger")).value_or(std::vector<Event>{});
  EXPECT_GT(Of<ReconciliationCompleted>(events).size(), reconciled);
  EXPECT_TRUE(Of<ManualInterventionDetected>(events).empty()) << "Kalshi's balance and positions agree: " << Dump(events);
}

// The stream dropped (every connection reset): the bot signs in again,
// resubscribes, and reconciles with Kalshi at once for what it may have
// missed, finding it in agreement.
TEST_F(KalshiLive, AfterTheStreamDropsTheRunReconnectsAndReconcilesAtOnce) {
  std::unique_ptr<Process> bot = StartBot();
  ASSERT_NE(bot, nullptr);
  std::vector<Event> events = EventsWhen([](const std::vector<Event>& ev) { return !Of<OrderFilled>(ev).empty(); });
  ASSERT_EQ(Of<OrderFilled>(events).size(), 1u) << bot->err() << Dump(events);
  const size_t reconciled = Of<ReconciliationCompleted>(events).size();
  stream_.DropAll();
  events = EventsWhen([&](const std::vector<Event>& ev) { return Of<ReconciliationCompleted>(ev).size() > reconciled; });
  EXPECT_GT(Of<ReconciliationCompleted>(events).size(), reconciled) << bot->err();
  EXPECT_TRUE(Of<ManualInterventionDetected>(events).empty()) << Dump(events);
  bot->Signal(SIGTERM);
  ASSERT_TRUE(bot->Wait(30s).Exited(0)) << bot->err();
  const std::string log = testing::ReadFile(std::filesystem::path(dir_.Sub("logs")) / "bot.log");
  EXPECT_THAT(log, HasSubstr("\"event\":\"ws_disconnected\""));
  EXPECT_NE(log.find("\"event\":\"ws_connected\"", log.find("\"event\":\"ws_disconnected\"")), std::string::npos)
      << "connected again after the drop";
}

// Killed (SIGKILL) right after the order went out, before Kalshi's answer
// was journaled: at the restart the order is in doubt, is found at Kalshi
// by its client_order_id with its fill, and nothing is sent twice.
TEST_F(KalshiLive, ACrashRightAfterAnOrderWentOutIsResolvedByItsClientIdAndNothingIsSentTwice) {
  std::unique_ptr<Process> bot = StartBot({"APOLLO_CRASH_AT=after_send:1"});
  ASSERT_NE(bot, nullptr);
  const testing::ExitStatus st = bot->Wait(30s);
  ASSERT_TRUE(st.KilledBy(SIGKILL)) << st << "\n" << bot->err();
  std::vector<Event> events = testing::ReadEvents(dir_.Sub("ledger")).value_or(std::vector<Event>{});
  ASSERT_EQ(Of<OrderPlaced>(events).size(), 1u) << Dump(events);
  EXPECT_TRUE(Of<OrderFilled>(events).empty()) << "Kalshi's answer was lost with the process";

  bot = StartBot();
  ASSERT_NE(bot, nullptr);
  events = EventsWhen([](const std::vector<Event>& ev) { return !Of<OrderFilled>(ev).empty(); });
  ASSERT_EQ(Of<OrderFilled>(events).size(), 1u) << bot->err() << Dump(events);
  EXPECT_EQ(Of<OrderFilled>(events)[0].client_order_id, Of<OrderPlaced>(events)[0].client_order_id);
  EXPECT_EQ(Of<OrderPlaced>(events).size(), 1u);
  bot->Signal(SIGTERM);
  ASSERT_TRUE(bot->Wait(30s).Exited(0)) << bot->err();
  events = testing::ReadEvents(dir_.Sub("ledger")).value_or(std::vector<Event>{});
  EXPECT_TRUE(Of<ManualInterventionDetected>(events).empty()) << Dump(events);
  const fake_kalshi::Reply orders = exchange_.ListOrders("", "");
  EXPECT_EQ(orders.body.find("\"order_id\"", orders.body.find("\"order_id\"") + 1), std::string::npos)
      << "one order at Kalshi: " << orders.body;
}

// The kill switch on Kalshi: POST /actions/kill-switch closes the 95 YES
// held into Kalshi's bids (a buy of NO at 0.99, immediate_or_cancel, which
// takes the YES bids at their own 0.08), reads Kalshi once more, finds it
// flat and stops: SystemStopped KILL_SWITCH, exit 0, nothing resting.
TEST_F(KalshiLive, TheKillSwitchSellsIntoKalshisBidsAndStopsFlat) {
  std::unique_ptr<Process> bot = StartBot({"OPERATOR_API_TOKEN=kalshi-e2e-token"});
  ASSERT_NE(bot, nullptr);
  std::vector<Event> events = EventsWhen([](const std::vector<Event>& ev) { return !Of<OrderFilled>(ev).empty(); });
  ASSERT_EQ(Of<OrderFilled>(events).size(), 1u) << bot->err() << Dump(events);
  const size_t at = started_line_.find("api=127.0.0.1:");
  ASSERT_NE(at, std::string::npos) << started_line_;
  httplib::Client ops("127.0.0.1", std::stoi(started_line_.substr(at + 14)));
  ops.set_read_timeout(30);
  auto answer = ops.Post("/actions/kill-switch", {{"X-OPS-TOKEN", "kalshi-e2e-token"}}, R"({"reason":"kalshi drill"})",
                         "application/json");
  ASSERT_TRUE(answer) << httplib::to_string(answer.error());
  EXPECT_EQ(answer->status, 200) << answer->body;
  const testing::ExitStatus st = bot->Wait(30s);
  EXPECT_TRUE(st.Exited(0)) << st << "\n" << bot->out() << bot->err();
  EXPECT_THAT(bot->out(), HasSubstr("kalshi testnet run KILL_SWITCH: http://127.0.0.1:"));
  EXPECT_THAT(bot->out(), HasSubstr(" USD  equity "));
  events = testing::ReadEvents(dir_.Sub("ledger")).value_or(std::vector<Event>{});
  ASSERT_FALSE(events.empty());
  ASSERT_TRUE(std::holds_alternative<SystemStopped>(events.back().body)) << Dump(events);
  EXPECT_EQ(std::get<SystemStopped>(events.back().body).reason, "KILL_SWITCH");
  bool closed = false;
  for (const PositionClosed& c : Of<PositionClosed>(events)) closed |= c.symbol.value == between_ && c.exit_price == D("0.08");
  EXPECT_TRUE(closed) << "sold into the 0.08 bid: " << Dump(events);
  EXPECT_TRUE(Of<ManualInterventionDetected>(events).empty()) << Dump(events);
  EXPECT_THAT(exchange_.Positions().body, ::testing::Not(HasSubstr("position_fp"))) << "flat at Kalshi";
  EXPECT_THAT(exchange_.ListOrders("", "resting").body, ::testing::Not(HasSubstr("\"order_id\"")));
}

TEST_F(KalshiLive, ADemoRunWithoutItsKeyIsRefusedInOneLine) {
  testing::SpawnOptions o = testing::ToolOptions({"RUN__VENUE=kalshi", absl::StrCat("KALSHI_API_BASE=", server_.BaseUrl()),
                                                  absl::StrCat("KALSHI_WS_URL=", stream_.Url())});
  auto p = Process::Spawn({BOT_BIN, "--config", absl::StrCat(APOLLO_SOURCE_DIR, "/config.yaml"), "--mode", "testnet",
                           "--ledger", dir_.Sub("ledger"), "--logs", dir_.Sub("logs")},
                          o);
  ASSERT_TRUE(p.ok()) << p.status();
  testing::ExitStatus st = (*p)->Wait(30s);
  EXPECT_TRUE(st.Exited(2)) << st << "\n" << (*p)->err();
  EXPECT_EQ((*p)->err(), "bot: KALSHI_API_KEY is not set (the API key id, in .env or the environment)\n");
}

}  // namespace
}  // namespace apollo
