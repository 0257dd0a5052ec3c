// fake-kalshi (issue 15 §2) and Kalshi as the engine's venue against it:
// signed requests checked, matching against the book as a taker, a resting
// order filled by a later print, an order whose answer was lost found by its
// client_order_id and never sent twice, settlement paying the winners, and
// injected faults the REST client rides out; and the stream client on the
// fake's WebSocket: books from snapshots and deltas, a lost message and a
// dropped connection recovered, a bad handshake refused, our own fills,
// orders and positions on the private channels.
#include <simdjson.h>

#include <chrono>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/net/rate_gate.h"
#include "engine/venue/kalshi/kalshi_venue.h"
#include "engine/venue/kalshi/orders_api.h"
#include "engine/venue/kalshi/rest_client.h"
#include "engine/venue/kalshi/signer.h"
#include "engine/venue/kalshi/stream_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/kalshi_keys.h"
#include "tools/fake_kalshi/exchange.h"
#include "tools/fake_kalshi/server.h"
#include "tools/fake_kalshi/stream.h"

namespace apollo::fake_kalshi {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using venue::kalshi::KalshiVenue;

constexpr const char* kKeyId = apollo::testing::kKalshiKeyId;
constexpr char kTicker[] = "KXHIGHNY-25APR01-B77.5";
constexpr char kOther[] = "KXHIGHNY-25APR01-B79.5";

Fixed D(const char* text) { return *Fixed::Parse(text); }

using Keys = apollo::testing::KalshiTestKey;
Keys ReadKeys() { return apollo::testing::ReadKalshiTestKey(); }

class FakeKalshi : public ::testing::Test {
 protected:
  FakeKalshi()
      : keys_(ReadKeys()),
        exchange_([this] { return now_ms_; }),
        stream_(&exchange_, {kKeyId, keys_.public_pem}),
        server_(&exchange_, {kKeyId, keys_.public_pem, 0, &stream_}) {
    MarketSpec m;
    m.ticker = kTicker;
    m.event_ticker = "KXHIGHNY-25APR01";
    m.strike_type = "between";
    m.floor_strike = Fixed::FromInt(77);
    m.cap_strike = Fixed::FromInt(78);
    m.open_time_ms = now_ms_ - 3'600'000;
    m.close_time_ms = now_ms_ + 86'400'000;
    m.expected_expiration_ms = now_ms_ + 2 * 86'400'000;
    m.yes_bids = {{D("0.28"), Fixed::FromInt(50)}};
    m.no_bids = {{D("0.70"), Fixed::FromInt(4)}, {D("0.69"), Fixed::FromInt(100)}};  // YES asks 0.30 x4, 0.31 x100
    exchange_.AddMarket(m);
    m.ticker = kOther;
    m.floor_strike = Fixed::FromInt(79);
    m.cap_strike = Fixed::FromInt(80);
    m.yes_bids = {{D("0.10"), Fixed::FromInt(7)}};
    m.no_bids = {{D("0.85"), Fixed::FromInt(9)}};
    exchange_.AddMarket(m);
    EXPECT_TRUE(stream_.Start().ok());
    EXPECT_TRUE(server_.Start().ok());
  }

  // A stream client on the fake's WebSocket, signed with `pem`.
  std::unique_ptr<venue::kalshi::StreamClient> Stream(std::vector<std::string> markets, const std::string& key_id = kKeyId) {
    venue::kalshi::StreamClientOptions o;
    o.url = stream_.Url();
    o.key_id = key_id;
    o.markets = std::move(markets);
    o.reconnect_initial_ms = 20;
    o.reconnect_max_ms = 100;
    o.on_private = [this](const venue::kalshi::StreamMessage& m) {
      std::lock_guard<std::mutex> lock(mu_);
      private_.push_back(m);
    };
    o.on_log = [this](std::string_view line) {
      std::lock_guard<std::mutex> lock(mu_);
      logs_.emplace_back(line);
    };
    return std::make_unique<venue::kalshi::StreamClient>(std::move(o), *venue::kalshi::Signer::FromPem(keys_.private_pem));
  }
  std::vector<venue::kalshi::StreamMessage> Private() {
    std::lock_guard<std::mutex> lock(mu_);
    return private_;
  }
  std::vector<std::string> Logs() {
    std::lock_guard<std::mutex> lock(mu_);
    return logs_;
  }

  std::unique_ptr<venue::kalshi::RestClient> Client(const std::string& pem, const std::string& key_id = kKeyId) {
    venue::kalshi::RestOptions o;
    o.base_url = server_.BaseUrl();
    o.key_id = key_id;
    o.backoff_initial_ms = 10;
    o.backoff_max_ms = 20;
    venue::kalshi::RestHooks hooks;
    hooks.sleep = [](absl::Duration) {};
    auto client = venue::kalshi::RestClient::Create(o, *venue::kalshi::Signer::FromPem(pem), hooks);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }

  apollo::Order Ours(const char* id, Side side, const char* price, int qty) {
    apollo::Order o;
    o.client_order_id = ClientOrderId{id};
    o.symbol = Symbol{kTicker};
    o.side = side;
    o.order_type = OrderType::kLimit;
    o.qty = Fixed::FromInt(qty);
    o.price = D(price);
    return o;
  }

  int64_t now_ms_ = 1'743'500'000'000;
  Keys keys_;
  Exchange exchange_;
  FakeKalshiStream stream_;
  FakeKalshiServer server_;
  std::mutex mu_;
  std::vector<venue::kalshi::StreamMessage> private_;
  std::vector<std::string> logs_;
};

// Polls `pred` until it holds, for at most 5 s (the stream runs on its own threads).
template <class Pred>
bool Eventually(Pred pred) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// The YES ask of the stream's book of `ticker`, if it has a trusted one.
std::optional<Fixed> Ask(const venue::kalshi::StreamClient& s, const std::string& ticker) {
  std::optional<venue::kalshi::Orderbook> book = s.Book(ticker);
  return book ? book->BestYesAsk() : std::nullopt;
}

TEST_F(FakeKalshi, ABuyThatCrossesTakesTheAsksAsATakerAndPaysKalshisFee) {
  auto client = Client(keys_.private_pem);
  KalshiVenue venue(client.get(), {.send_orders = true});
  venue::Reports r = venue.Submit(Ours("ap-t1-10-E", Side::kBuy, "0.31", 10));
  ASSERT_EQ(r.size(), 3u) << "accepted, 4 at 0.30, 6 at 0.31";
  const auto& first = std::get<OrderPartialFill>(r[1]);
  const auto& second = std::get<OrderFilled>(r[2]);
  EXPECT_EQ(first.price, D("0.3"));
  EXPECT_EQ(first.qty, Fixed::FromInt(4));
  EXPECT_EQ(first.fee, D("0.06")) << "0.07 x 4 x 0.3 x 0.7 = 0.0588, to the cent";
  EXPECT_EQ(second.price, D("0.31"));
  EXPECT_EQ(second.qty, Fixed::FromInt(6));
  auto balance = venue::kalshi::GetBalance(*client);
  ASSERT_TRUE(balance.ok()) << balance.status();
  EXPECT_EQ(balance->balance, Fixed::FromInt(1000) - D("1.2") - D("1.86") - first.fee - second.fee);
  auto positions = venue::kalshi::Positions(*client);
  ASSERT_TRUE(positions.ok());
  ASSERT_EQ(positions->size(), 1u);
  EXPECT_EQ((*positions)[0].position, Fixed::FromInt(10));
}

TEST_F(FakeKalshi, ARestingShortYesFillsFromALaterPrintAndSettlementPaysTheWinner) {
  auto client = Client(keys_.private_pem);
  KalshiVenue venue(client.get(), {.send_orders = true});
  apollo::Order o = Ours("ap-t1-20-E", Side::kSell, "0.40", 5);  // buy NO at 0.60: rests (YES bid is 0.28)
  venue::Reports placed = venue.Submit(o);
  ASSERT_EQ(placed.size(), 1u);
  o.status = apollo::OrderStatus::kAccepted;
  o.venue_order_id = std::get<OrderAccepted>(placed[0]).venue_order_id;
  ASSERT_EQ(exchange_.Trade(kTicker, D("0.41"), Fixed::FromInt(3), /*taker_bought_yes=*/true).status, 200);
  auto filled = venue.Query(o);
  ASSERT_TRUE(filled.ok()) << filled.status();
  ASSERT_EQ(filled->size(), 1u);
  const auto& fill = std::get<OrderPartialFill>((*filled)[0]);
  EXPECT_EQ(fill.price, D("0.4")) << "at our YES price";
  EXPECT_EQ(fill.qty, Fixed::FromInt(3));
  ASSERT_EQ(exchange_.Settle(kTicker, "no").status, 200);
  auto settlements = venue::kalshi::Settlements(*client);
  ASSERT_TRUE(settlements.ok()) << settlements.status();
  ASSERT_EQ(settlements->size(), 1u);
  EXPECT_EQ((*settlements)[0].result, "no");
  EXPECT_EQ((*settlements)[0].revenue_cents, 300) << "3 NO contracts at 1 dollar";
  venue::Reports late = venue.Submit(Ours("ap-t1-30-E", Side::kBuy, "0.5", 1));
  EXPECT_THAT(std::get<OrderRejected>(late[0]).reason, HasSubstr("market_inactive"));
}

TEST_F(FakeKalshi, ALostAnswerIsFoundByClientOrderIdAndNeverSentTwice) {
  auto client = Client(keys_.private_pem);
  int64_t now = 0;
  KalshiVenue venue(client.get(), {.send_orders = true, .in_flight_ms = 1'000, .now_ms = [&] { return now; }});
  const apollo::Order o = Ours("ap-t1-40-E", Side::kBuy, "0.2", 2);
  // The order arrives; its answer does not (a 5xx on the way back).
  ASSERT_EQ(exchange_.CreateOrder(venue::kalshi::OrderBody(KalshiVenue::RequestFor(o)).value()).status, 201);
  server_.FailNext(1, 500);
  venue::Reports again = venue.Submit(o);
  EXPECT_EQ(again.size(), 0u) << "a 5xx after the request may have left: in doubt";
  auto found = venue.Query(o);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_EQ(found->size(), 1u);
  EXPECT_FALSE(std::get<OrderAccepted>((*found)[0]).venue_order_id.empty());
  auto resting = venue::kalshi::RestingOrders(*client, std::string(kTicker));
  ASSERT_TRUE(resting.ok());
  EXPECT_EQ(resting->size(), 1u) << "one order, whatever was retried";
  // A duplicate send is a 409 answered by what Kalshi holds.
  venue::Reports dup = venue.Submit(o);
  ASSERT_EQ(dup.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<OrderAccepted>(dup[0]));
}

TEST_F(FakeKalshi, AnUnknownKeyIsRefusedAndA429IsRiddenOut) {
  auto wrong = Client(keys_.private_pem, "b0000000-0000-4000-8000-000000000000");
  auto denied = venue::kalshi::GetBalance(*wrong);
  EXPECT_TRUE(absl::IsUnauthenticated(denied.status())) << denied.status();
  EXPECT_EQ(server_.refused_signatures(), 1);
  auto client = Client(keys_.private_pem);
  server_.FailNext(2, 429);
  auto balance = venue::kalshi::GetBalance(*client);
  ASSERT_TRUE(balance.ok()) << balance.status();
  EXPECT_EQ(balance->balance, Fixed::FromInt(1000));
  auto book = venue::kalshi::GetOrderbook(*client, kTicker);
  ASSERT_TRUE(book.ok()) << book.status();
  EXPECT_EQ(book->BestYesAsk(), D("0.3"));
  auto market = venue::kalshi::GetMarket(*client, kTicker);
  ASSERT_TRUE(market.ok()) << market.status();
  EXPECT_EQ(market->strike_type, StrikeType::kBetween);
  EXPECT_TRUE(venue::kalshi::ListedInstrument(*market).ok());
}

TEST_F(FakeKalshi, TheStreamKeepsABookFromItsSnapshotAndDeltasWithTheAskOneMinusTheBestNoBid) {
  auto stream = Stream({kTicker});
  ASSERT_TRUE(stream->Start().ok());
  ASSERT_TRUE(Eventually([&] { return Ask(*stream, kTicker) == D("0.30"); })) << "ask 1 - 0.70";
  EXPECT_EQ(stream->Book(kTicker)->BestYesBid(), D("0.28"));
  EXPECT_FALSE(stream->Book(kOther).has_value()) << "a market not asked for";

  ASSERT_EQ(exchange_.ChangeBook(kTicker, "no", D("0.72"), Fixed::FromInt(10)).status, 200);  // a better NO bid
  stream_.Publish();
  ASSERT_TRUE(Eventually([&] { return Ask(*stream, kTicker) == D("0.28"); }));
  // Our own buy takes that level: the delta takes it out of the book.
  auto client = Client(keys_.private_pem);
  KalshiVenue venue(client.get(), {.send_orders = true});
  ASSERT_EQ(venue.Submit(Ours("ap-t1-60-E", Side::kBuy, "0.28", 10)).size(), 2u) << "accepted, filled";
  ASSERT_TRUE(Eventually([&] { return Ask(*stream, kTicker) == D("0.30"); }));
  // The ticker that follows the delta, in a frame of its own.
  EXPECT_TRUE(Eventually([&] {
    std::optional<venue::kalshi::TickerUpdate> t = stream->Ticker(kTicker);
    return t && t->yes_ask == D("0.30");
  }));
  EXPECT_EQ(stream->counters().gaps, 0u);
  stream->Stop();
}

TEST_F(FakeKalshi, ALostBookMessageTakesTheBooksOutOfUseUntilTheirSnapshotsAreAskedAgain) {
  auto stream = Stream({kTicker, kOther});
  ASSERT_TRUE(stream->Start().ok());
  ASSERT_TRUE(Eventually([&] { return Ask(*stream, kTicker).has_value() && Ask(*stream, kOther).has_value(); }));
  stream_.SkipSeq();  // the next book message is lost
  ASSERT_EQ(exchange_.ChangeBook(kTicker, "no", D("0.72"), Fixed::FromInt(10)).status, 200);
  stream_.Publish();
  ASSERT_EQ(exchange_.ChangeBook(kOther, "no", D("0.86"), Fixed::FromInt(1)).status, 200);  // its seq shows the gap
  stream_.Publish();
  ASSERT_TRUE(Eventually([&] { return stream->counters().gaps >= 1; }));
  // Asked again, the snapshots show both changes, the lost one included.
  ASSERT_TRUE(Eventually([&] { return Ask(*stream, kTicker) == D("0.28") && Ask(*stream, kOther) == D("0.14"); }));
  EXPECT_EQ(stream->counters().snapshots_asked, 1u);
  EXPECT_THAT(Logs(), ::testing::Contains(HasSubstr("its books are stale; resubscribe")));
  stream->Stop();
}

TEST_F(FakeKalshi, ADroppedStreamIsSignedAnewResubscribedAndItsBooksRebuilt) {
  auto stream = Stream({kTicker});
  ASSERT_TRUE(stream->Start().ok());
  ASSERT_TRUE(Eventually([&] { return Ask(*stream, kTicker).has_value(); }));
  const int commands = stream_.commands();
  stream_.DropAll();
  // While it is away, the book moves.
  ASSERT_EQ(exchange_.ChangeBook(kTicker, "no", D("0.75"), Fixed::FromInt(3)).status, 200);
  ASSERT_TRUE(Eventually([&] { return stream->counters().connections == 2 && Ask(*stream, kTicker) == D("0.25"); }));
  EXPECT_GT(stream_.commands(), commands) << "subscribed again on the new connection";
  EXPECT_EQ(stream_.refused_handshakes(), 0);
  stream->Stop();
}

TEST_F(FakeKalshi, AStreamHandshakeWithAnUnknownKeyIsRefusedAndNothingIsTrusted) {
  auto stream = Stream({kTicker}, "not-our-key");
  ASSERT_TRUE(stream->Start().ok());
  ASSERT_TRUE(Eventually([&] { return stream_.refused_handshakes() >= 2; })) << "refused, and refused again";
  EXPECT_FALSE(stream->connected());
  EXPECT_FALSE(stream->Book(kTicker).has_value());
  for (const std::string& line : Logs()) {
    EXPECT_THAT(line, Not(HasSubstr("not-our-key"))) << "a log line names the key id";
  }
  stream->Stop();
}

TEST_F(FakeKalshi, OurOrdersFillsAndPositionsArriveOnThePrivateChannels) {
  auto stream = Stream({});
  ASSERT_TRUE(stream->Start().ok());
  // The fake has taken our subscribe (its only command): what happens from now reaches us.
  ASSERT_TRUE(Eventually([&] { return stream_.commands() == 1; }));
  auto client = Client(keys_.private_pem);
  KalshiVenue venue(client.get(), {.send_orders = true});
  ASSERT_EQ(venue.Submit(Ours("ap-t1-70-E", Side::kBuy, "0.30", 1)).size(), 2u) << "accepted, filled";
  // The fill, then the position it made, then the order's new state.
  ASSERT_TRUE(Eventually([&] {
    std::vector<venue::kalshi::StreamMessage> got = Private();
    return std::any_of(got.begin(), got.end(),
                       [](const auto& m) { return std::holds_alternative<venue::kalshi::StreamOrder>(m); });
  }));
  std::vector<venue::kalshi::StreamMessage> got = Private();
  const venue::kalshi::StreamFill* fill = nullptr;
  const venue::kalshi::StreamOrder* order = nullptr;
  const venue::kalshi::StreamPosition* position = nullptr;
  for (const auto& m : got) {
    if (!fill) fill = std::get_if<venue::kalshi::StreamFill>(&m);
    if (!order) order = std::get_if<venue::kalshi::StreamOrder>(&m);
    if (!position) position = std::get_if<venue::kalshi::StreamPosition>(&m);
  }
  ASSERT_NE(fill, nullptr);
  ASSERT_NE(order, nullptr);
  ASSERT_NE(position, nullptr);
  EXPECT_EQ(position->position, Fixed::FromInt(1));
  EXPECT_EQ(fill->ticker, kTicker);
  EXPECT_EQ(fill->yes_price, D("0.30"));
  EXPECT_EQ(fill->count, Fixed::FromInt(1));
  EXPECT_TRUE(fill->is_taker);
  EXPECT_EQ(order->status, venue::kalshi::OrderStatus::kExecuted);
  EXPECT_EQ(order->client_order_id, "ap-t1-70-E");
  stream->Stop();
}

TEST_F(FakeKalshi, ReconciliationSeesAShortYesAsASellAtItsYesPriceAndTheBalanceWithWhatItCost) {
  auto client = Client(keys_.private_pem);
  KalshiVenue venue(client.get(), {.send_orders = true});
  // A sell of YES at 0.28 is a buy of NO at 0.72: it takes 5 of the YES bid at 0.28.
  ASSERT_EQ(venue.Submit(Ours("ap-t1-80-E", Side::kSell, "0.28", 5)).size(), 2u) << "accepted, filled";
  // And a buy of YES at 0.20 rests (the ask is 0.30).
  ASSERT_EQ(venue.Submit(Ours("ap-t1-81-E", Side::kBuy, "0.20", 3)).size(), 1u) << "accepted";
  absl::StatusOr<reconcile::VenueSnapshot> v = venue.Snapshot();
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_EQ(v->positions.size(), 1u);
  EXPECT_EQ(v->positions[0].symbol.value, kTicker);
  EXPECT_EQ(v->positions[0].side, Side::kSell);
  EXPECT_EQ(v->positions[0].qty, Fixed::FromInt(5));
  EXPECT_EQ(v->positions[0].entry_price, D("0.28"));
  ASSERT_EQ(v->open_orders.size(), 1u);
  EXPECT_EQ(v->open_orders[0].client_order_id.value, "ap-t1-81-E");
  EXPECT_EQ(v->open_orders[0].side, Side::kBuy);
  EXPECT_EQ(v->open_orders[0].qty, Fixed::FromInt(3));
  // Kalshi's cash paid 5 x 0.72 and the fee (0.07 x 5 x 0.72 x 0.28 = 0.0706 -> 0.08); the
  // fold has paid only the fee until the position closes.
  EXPECT_EQ(v->balance, Fixed::FromInt(1000) - D("0.08"));
}

TEST_F(FakeKalshi, ACancelAfterTheMarketClosedIsAnsweredByKalshisOwnCancelAtTheClose) {
  auto client = Client(keys_.private_pem);
  KalshiVenue venue(client.get(), {.send_orders = true});
  apollo::Order o = Ours("ap-t1-90-E", Side::kBuy, "0.20", 3);  // rests: the ask is 0.30
  venue::Reports placed = venue.Submit(o);
  ASSERT_EQ(placed.size(), 1u);
  o.status = apollo::OrderStatus::kAccepted;
  o.venue_order_id = std::get<OrderAccepted>(placed[0]).venue_order_id;
  ASSERT_EQ(exchange_.Close(kTicker).status, 200);  // trading ends: Kalshi cancels what rests
  venue::Reports r = venue.Cancel(o, "ENTRY_EXPIRED");
  ASSERT_EQ(r.size(), 1u) << "MARKET_INACTIVE is answered by what Kalshi did";
  EXPECT_EQ(std::get<OrderCancelled>(r[0]).reason, "CANCELLED_ON_KALSHI");
  EXPECT_THAT(std::string(venue.last_error().message()), HasSubstr("market_inactive"));
}

// A close at market (the kill switch, /actions/close) on a venue without
// market orders: it takes the bids at their own prices and rests nothing.
TEST_F(FakeKalshi, AMarketCloseSellsIntoTheBidsAtTheirPricesAndLeavesNothingResting) {
  auto client = Client(keys_.private_pem);
  KalshiVenue venue(client.get(), {.send_orders = true});
  ASSERT_EQ(venue.Submit(Ours("ap-t1-95-E", Side::kBuy, "0.31", 60)).size(), 3u) << "long 60 YES";
  apollo::Order close = Ours("ap-t1-96-X", Side::kSell, "0", 60);
  close.order_type = OrderType::kMarket;
  EXPECT_EQ(KalshiVenue::RequestFor(close).time_in_force, "immediate_or_cancel");
  venue::Reports r = venue.Submit(close);
  // 50 at the YES bid of 0.28 (the only one), the other 10 cancelled, not resting at 0.01.
  ASSERT_EQ(r.size(), 3u);
  EXPECT_TRUE(std::holds_alternative<OrderAccepted>(r[0]));
  const auto& fill = std::get<OrderPartialFill>(r[1]);
  EXPECT_EQ(fill.price, D("0.28"));
  EXPECT_EQ(fill.qty, Fixed::FromInt(50));
  EXPECT_EQ(std::get<OrderCancelled>(r[2]).reason, "CANCELLED_ON_KALSHI");
  EXPECT_THAT(exchange_.ListOrders(kTicker, "resting").body, Not(HasSubstr("ap-t1-96-X")));
}


// What the liquidity gate and the rate gate read: a market's volume grows
// with our taker fills and other traders' prints (each counted once), in
// its listing; the account's tier answers signed, in today's shape.
TEST_F(FakeKalshi, AMarketsVolumeCountsEveryContractTradedAndTheTierIsBasic) {
  auto client = Client(keys_.private_pem);
  KalshiVenue venue(client.get(), {.send_orders = true});
  venue.Submit(Ours("ap-t1-10-E", Side::kBuy, "0.31", 10));                                  // 10 taken
  venue.Submit(Ours("ap-t1-11-E", Side::kBuy, "0.20", 5));                                   // rests
  ASSERT_EQ(exchange_.Trade(kTicker, D("0.20"), Fixed::FromInt(8), false).status, 200);  // fills our 5 in it
  absl::StatusOr<venue::kalshi::Market> m = venue::kalshi::GetMarket(*client, kTicker);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->volume, Fixed::FromInt(18));
  absl::StatusOr<venue::kalshi::ApiLimits> tier = venue::kalshi::GetApiLimits(*client);
  ASSERT_TRUE(tier.ok()) << tier.status();
  EXPECT_EQ(tier->usage_tier, "basic");
  EXPECT_EQ(tier->read_refill, 200);
  EXPECT_EQ(tier->write_refill, 100);
}


// Kalshi's fee formula checked against what Kalshi charges: a fill at the
// schedule says nothing; after an unannounced change (the fake charges 5
// cents more a fill) each fill is told with the schedule's fee, and the
// fee reported (journaled) is still Kalshi's.
TEST_F(FakeKalshi, AFillWhoseFeeIsOffTheScheduleIsToldAndKalshisFeeKept) {
  auto client = Client(keys_.private_pem);
  std::vector<std::pair<venue::kalshi::Fill, Fixed>> told;
  venue::kalshi::KalshiVenueOptions options;
  options.send_orders = true;
  options.on_unexpected_fee = [&told](const venue::kalshi::Fill& f, Fixed expected) { told.emplace_back(f, expected); };
  KalshiVenue venue(client.get(), options);
  venue.Submit(Ours("ap-t1-10-E", Side::kBuy, "0.30", 4));
  EXPECT_TRUE(told.empty()) << "0.07 x 4 x 0.3 x 0.7 = 0.0588: 0.06, as charged";
  exchange_.SetFeeSurcharge(D("0.05"));
  venue::Reports r = venue.Submit(Ours("ap-t1-11-E", Side::kBuy, "0.31", 2));
  ASSERT_EQ(told.size(), 1u);
  EXPECT_EQ(told[0].first.fee, D("0.08"));
  EXPECT_EQ(told[0].second, D("0.03")) << "0.07 x 2 x 0.31 x 0.69 = 0.0299: 0.03, rounded up";
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(std::get<OrderFilled>(r[1]).fee, D("0.08"));
}

}  // namespace
}  // namespace apollo::fake_kalshi
