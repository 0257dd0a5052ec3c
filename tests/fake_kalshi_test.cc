// fake-kalshi (issue 15 §2) and Kalshi as the engine's venue against it:
// signed requests checked, matching against the book as a taker, a resting
// order filled by a later print, an order whose answer was lost found by its
// client_order_id and never sent twice, settlement paying the winners, and
// injected faults the REST client rides out.
#include <simdjson.h>

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/net/rate_gate.h"
#include "engine/venue/kalshi/kalshi_venue.h"
#include "engine/venue/kalshi/orders_api.h"
#include "engine/venue/kalshi/rest_client.h"
#include "engine/venue/kalshi/signer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/kalshi_keys.h"
#include "tools/fake_kalshi/exchange.h"
#include "tools/fake_kalshi/server.h"

namespace apollo::fake_kalshi {
namespace {

using ::testing::HasSubstr;
using venue::kalshi::KalshiVenue;

constexpr const char* kKeyId = apollo::testing::kKalshiKeyId;
constexpr char kTicker[] = "KXHIGHNY-25APR01-B77.5";

Fixed D(const char* text) { return *Fixed::Parse(text); }

using Keys = apollo::testing::KalshiTestKey;
Keys ReadKeys() { return apollo::testing::ReadKalshiTestKey(); }

class FakeKalshi : public ::testing::Test {
 protected:
  FakeKalshi() : keys_(ReadKeys()), exchange_([this] { return now_ms_; }), server_(&exchange_, {kKeyId, keys_.public_pem}) {
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
    EXPECT_TRUE(server_.Start().ok());
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
  FakeKalshiServer server_;
};

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

}  // namespace
}  // namespace apollo::fake_kalshi
