// BinanceVenue: venue calls against a local stand-in for Binance's REST API,
// and user-data stream messages (recorded payloads) turned into reports; and
// the market stream's klines read (ParseKlineMessage).
#include <httplib.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "engine/venue/binance/market_payloads.h"
#include "engine/venue/binance/binance_venue.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace apollo::venue::binance {
namespace {

Fixed F(const char* s) { return *Fixed::Parse(s); }

std::string ReadData(const std::string& name) {
  std::ifstream in(std::string(APOLLO_SOURCE_DIR) + "/tests/data/binance/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Order MakeOrder(const std::string& id, OrderType type, OrderStatus status, const char* qty) {
  Order o;
  o.client_order_id = ClientOrderId{id};
  o.symbol = Symbol{"BTCUSDT"};
  o.order_type = type;
  o.purpose = type == OrderType::kStopMarket ? OrderPurpose::kStopLoss : OrderPurpose::kEntry;
  o.side = type == OrderType::kStopMarket ? Side::kSell : Side::kBuy;
  o.status = status;
  o.qty = F(qty);
  o.stop_price = F("19000");
  o.reduce_only = type == OrderType::kStopMarket;
  return o;
}

// A loopback stand-in for the few endpoints a test scripts.
class FakeRest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Get("/fapi/v1/time", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(absl::StrCat("{\"serverTime\":", absl::ToUnixMillis(absl::Now()), "}"), "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();
    RestOptions options;
    options.base_url = absl::StrCat("http://127.0.0.1:", port_);
    options.api_key = "test-key";
    options.api_secret = "test-secret";
    options.request_timeout_ms = 300;
    options.max_retries = 0;
    client_ = *RestClient::Create(options);
    BinanceVenueOptions venue_options;
    venue_options.in_flight_ms = kInFlightMs;
    venue_options.previous_in_flight_ms = kPreviousInFlightMs;
    venue_options.now_ms = [this] { return now_ms_.load(); };
    venue_ = std::make_unique<BinanceVenue>(client_.get(), venue_options);
  }
  static constexpr int64_t kInFlightMs = 7'000;
  static constexpr int64_t kPreviousInFlightMs = 62'000;
  void TearDown() override {
    venue_.reset();
    client_.reset();  // closes the kept-alive connection, so stop() need not wait it out
    server_.stop();
    thread_.join();
  }
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int64_t> now_ms_{1'700'000'000'000};  // the venue's clock
  std::unique_ptr<RestClient> client_;
  std::unique_ptr<BinanceVenue> venue_;
};

TEST_F(FakeRest, RejectedOrderCarriesTheVenueCode) {
  server_.Post("/fapi/v1/order", [](const httplib::Request&, httplib::Response& res) {
    res.status = 400;
    res.set_content(R"({"code":-2019,"msg":"Margin is insufficient."})", "application/json");
  });
  Reports r = venue_->Submit(MakeOrder("ap-t5-E", OrderType::kMarket, OrderStatus::kPlaced, "0.01"));
  ASSERT_EQ(r.size(), 1u);
  const auto& rejected = std::get<OrderRejected>(r[0]);
  EXPECT_EQ(rejected.code, -2019);
  EXPECT_EQ(rejected.reason, "Margin is insufficient.");
}

TEST_F(FakeRest, TimedOutOrderIsLeftInDoubtThenResolvedByQueryWithoutResending) {
  int posts = 0;
  server_.Post("/fapi/v1/order", [&](const httplib::Request&, httplib::Response& res) {
    ++posts;
    std::this_thread::sleep_for(std::chrono::milliseconds(600));  // past the client's timeout
    res.set_content("{}", "application/json");
  });
  server_.Get("/fapi/v1/order", [](const httplib::Request& req, httplib::Response& res) {
    EXPECT_EQ(req.get_param_value("origClientOrderId"), "ap-t7-E");
    res.set_content(R"({"orderId":42,"symbol":"BTCUSDT","status":"FILLED","clientOrderId":"ap-t7-E","price":"0",
      "avgPrice":"20000","origQty":"0.010","executedQty":"0.010","cumQuote":"200","side":"BUY","type":"MARKET",
      "reduceOnly":false,"updateTime":1})",
                    "application/json");
  });
  server_.Get("/fapi/v1/userTrades", [](const httplib::Request& req, httplib::Response& res) {
    EXPECT_EQ(req.get_param_value("orderId"), "42");
    res.set_content(R"([{"symbol":"BTCUSDT","id":777,"orderId":42,"side":"BUY","price":"20000","qty":"0.010",
      "realizedPnl":"0","marginAsset":"USDT","quoteQty":"200","commission":"0.0801","commissionAsset":"USDT",
      "time":1,"positionSide":"BOTH","buyer":true,"maker":false}])",
                    "application/json");
  });
  const Order placed = MakeOrder("ap-t7-E", OrderType::kMarket, OrderStatus::kPlaced, "0.01");
  EXPECT_TRUE(venue_->Submit(placed).empty());  // outcome unknown: nothing journaled
  auto resolved = venue_->Query(placed);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  ASSERT_EQ(resolved->size(), 2u);
  EXPECT_EQ(std::get<OrderAccepted>((*resolved)[0]).venue_order_id.value, "42");
  const auto& fill = std::get<OrderFilled>((*resolved)[1]);
  EXPECT_EQ(fill.qty, F("0.01"));
  EXPECT_EQ(fill.price, F("20000"));
  EXPECT_EQ(fill.fee, F("0.0801"));  // the venue's commission for that trade, never a rate from config
  EXPECT_EQ(fill.trade_id.value, "777");
  EXPECT_EQ(posts, 1);
}

// "No such order" is believed only once the order's request can no longer
// reach Binance (recvWindow + skew after the send returned; 60 s + skew after
// start-up for an order a previous process sent): before that, the venue
// cannot say yet.
TEST_F(FakeRest, OrderTheVenueNeverGotIsNotFoundOnlyOnceItsRequestCannotArrive) {
  server_.Get("/fapi/v1/order", [](const httplib::Request&, httplib::Response& res) {
    res.status = 400;
    res.set_content(R"({"code":-2013,"msg":"Order does not exist."})", "application/json");
  });
  const Order from_before = MakeOrder("ap-t9-E", OrderType::kMarket, OrderStatus::kPlaced, "0.01");
  auto r = venue_->Query(from_before);
  EXPECT_TRUE(absl::IsUnavailable(r.status())) << r.status();
  now_ms_ += kInFlightMs;  // that process may have used a longer recvWindow
  r = venue_->Query(from_before);
  EXPECT_TRUE(absl::IsUnavailable(r.status())) << r.status();
  now_ms_ += kPreviousInFlightMs - kInFlightMs;
  r = venue_->Query(from_before);
  EXPECT_TRUE(absl::IsNotFound(r.status())) << r.status();

  // One this venue sent (its answer lost) waits from its own send.
  int posts = 0;
  server_.Post("/fapi/v1/order", [&](const httplib::Request&, httplib::Response& res) {
    ++posts;
    res.status = 503;
  });
  const Order sent = MakeOrder("ap-t10-E", OrderType::kMarket, OrderStatus::kPlaced, "0.01");
  EXPECT_TRUE(venue_->Submit(sent).empty());
  EXPECT_EQ(posts, 1);
  now_ms_ += kInFlightMs - 1;
  r = venue_->Query(sent);
  EXPECT_TRUE(absl::IsUnavailable(r.status())) << r.status();
  EXPECT_THAT(std::string(r.status().message()), ::testing::HasSubstr("ap-t10-E"));
  now_ms_ += 1;
  r = venue_->Query(sent);
  EXPECT_TRUE(absl::IsNotFound(r.status())) << r.status();
}

// A previous run's order in doubt, found by a start that lives only a few
// seconds (a crash loop): the process that sent it had stopped by the
// first start after it, so "no such order" is believed 62 s after that
// start, not 62 s after each new one.
TEST_F(FakeRest, PreviousRunsOrderIsSettledFromTheFirstStartAfterItNotFromThisOne) {
  server_.Get("/fapi/v1/order", [](const httplib::Request&, httplib::Response& res) {
    res.status = 400;
    res.set_content(R"({"code":-2013,"msg":"Order does not exist."})", "application/json");
  });
  std::atomic<int64_t> wall_ms{1'700'000'100'000};
  const int64_t first_start_after_ms = 1'700'000'000'000;  // 100 s before this start
  BinanceVenueOptions options;
  options.previous_in_flight_ms = kPreviousInFlightMs;
  options.now_ms = [this] { return now_ms_.load(); };
  options.wall_now_ms = [&wall_ms] { return wall_ms.load(); };
  options.sender_stopped_wall_ms = [&](const Order&) { return std::optional<int64_t>(first_start_after_ms); };
  BinanceVenue venue(client_.get(), options);
  const Order from_before = MakeOrder("ap-t9-E", OrderType::kMarket, OrderStatus::kPlaced, "0.01");
  auto r = venue.Query(from_before);
  EXPECT_TRUE(absl::IsNotFound(r.status())) << r.status();

  wall_ms = first_start_after_ms + kPreviousInFlightMs - 1;  // its request could still arrive
  r = venue.Query(from_before);
  EXPECT_TRUE(absl::IsUnavailable(r.status())) << r.status();
  // Unknown when the sender stopped: from this start, as before.
  options.sender_stopped_wall_ms = [](const Order&) { return std::optional<int64_t>(); };
  BinanceVenue unknown(client_.get(), options);
  wall_ms = first_start_after_ms + 10 * kPreviousInFlightMs;
  EXPECT_TRUE(absl::IsUnavailable(unknown.Query(from_before).status()));
}

// -4116 means the venue already has an order with our id (an earlier send
// of it): not a rejection, the order is asked for by client id.
TEST_F(FakeRest, DuplicateClientIdLeavesTheOrderInDoubtNotRejected) {
  server_.Post("/fapi/v1/order", [](const httplib::Request&, httplib::Response& res) {
    res.status = 400;
    res.set_content(R"({"code":-4116,"msg":"ClientOrderId is duplicated."})", "application/json");
  });
  EXPECT_TRUE(venue_->Submit(MakeOrder("ap-t11-E", OrderType::kMarket, OrderStatus::kPlaced, "0.01")).empty());
}

// A stop-loss that triggered: its fills are those of the order it became,
// asked for by Binance's orderId (the stream's report may still be coming).
TEST_F(FakeRest, TriggeredAlgoOrderIsResolvedThroughTheOrderItBecame) {
  server_.Get("/fapi/v1/algoOrder", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"algoId":7,"clientAlgoId":"ap-t12-S","algoType":"CONDITIONAL","orderType":"STOP_MARKET",
      "symbol":"BTCUSDT","side":"SELL","algoStatus":"FINISHED","triggerPrice":"19000","quantity":"0.010",
      "reduceOnly":true,"actualOrderId":"991"})",
                    "application/json");
  });
  server_.Get("/fapi/v1/order", [](const httplib::Request& req, httplib::Response& res) {
    EXPECT_EQ(req.get_param_value("orderId"), "991");
    res.set_content(R"({"orderId":991,"symbol":"BTCUSDT","status":"FILLED","clientOrderId":"autoclose-1","price":"0",
      "avgPrice":"18990","origQty":"0.010","executedQty":"0.010","cumQuote":"189.9","side":"SELL","type":"MARKET",
      "reduceOnly":true,"updateTime":1})",
                    "application/json");
  });
  server_.Get("/fapi/v1/userTrades", [](const httplib::Request& req, httplib::Response& res) {
    EXPECT_EQ(req.get_param_value("orderId"), "991");
    res.set_content(R"([{"symbol":"BTCUSDT","id":5,"orderId":991,"side":"SELL","price":"18990","qty":"0.006",
      "commission":"0.04557","commissionAsset":"USDT","time":1},
      {"symbol":"BTCUSDT","id":6,"orderId":991,"side":"SELL","price":"18990","qty":"0.004",
      "commission":"0.03038","commissionAsset":"USDT","time":2}])",
                    "application/json");
  });
  Order stop = MakeOrder("ap-t12-S", OrderType::kStopMarket, OrderStatus::kAccepted, "0.01");
  stop.filled_qty = F("0.006");  // trade 5 came on the stream
  stop.trade_ids.insert(TradeId{"5"});
  auto r = venue_->Query(stop);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 1u);
  const auto& fill = std::get<OrderFilled>((*r)[0]);
  EXPECT_EQ(fill.trade_id.value, "6");
  EXPECT_EQ(fill.qty, F("0.004"));
  EXPECT_EQ(fill.price, F("18990"));
  EXPECT_EQ(fill.fee, F("0.03038"));
}

// A cancel whose order is no longer open (-2011) asks what it became: here
// cancelled by an earlier request of ours, whose answer was lost.
TEST_F(FakeRest, CancelOfAnOrderNoLongerOpenReportsWhatItBecame) {
  server_.Delete("/fapi/v1/algoOrder", [](const httplib::Request&, httplib::Response& res) {
    res.status = 400;
    res.set_content(R"({"code":-2011,"msg":"Unknown order sent."})", "application/json");
  });
  server_.Get("/fapi/v1/algoOrder", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"algoId":7,"clientAlgoId":"ap-t13-S","algoType":"CONDITIONAL","orderType":"STOP_MARKET",
      "symbol":"BTCUSDT","side":"SELL","algoStatus":"CANCELED","triggerPrice":"19000","quantity":"0.010"})",
                    "application/json");
  });
  const Order stop = MakeOrder("ap-t13-S", OrderType::kStopMarket, OrderStatus::kAccepted, "0.01");
  Reports r = venue_->Cancel(stop, "OCO");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(std::get<OrderCancelled>(r[0]).reason, "OCO");
}

// A cancel whose answer is lost reports nothing; the stream's later report
// of it carries the reason it was asked for. A cancel nobody here asked for
// is CANCELLED_EXTERNALLY.
TEST_F(FakeRest, CancelsAreOursOnlyIfAskedFor) {
  std::vector<std::string> notes;
  BinanceVenueOptions options;
  options.on_note = [&](absl::string_view event, const ClientOrderId& id, absl::string_view) {
    notes.push_back(absl::StrCat(event, " ", id.value));
  };
  BinanceVenue venue(client_.get(), options);
  server_.Delete("/fapi/v1/algoOrder", [](const httplib::Request&, httplib::Response& res) { res.status = 503; });
  State state;
  const Order asked = MakeOrder("ap-t14-S", OrderType::kStopMarket, OrderStatus::kAccepted, "0.01");
  const Order by_hand = MakeOrder("ap-t15-S", OrderType::kStopMarket, OrderStatus::kAccepted, "0.01");
  state.orders[asked.client_order_id] = asked;
  state.orders[by_hand.client_order_id] = by_hand;
  EXPECT_TRUE(venue.Cancel(asked, "OCO").empty());
  EXPECT_THAT(notes, ::testing::ElementsAre("order_cancel_unconfirmed ap-t14-S"));
  auto update = [](const std::string& id) {
    return absl::StrCat(R"({"e":"ALGO_UPDATE","T":1,"E":1,"o":{"caid":")", id, R"(","aid":7,"X":"CANCELED","ai":""}})");
  };
  UserEventEffects fx = venue.OnUserEvent(update("ap-t14-S"), state);
  ASSERT_EQ(fx.reports.size(), 1u);
  EXPECT_EQ(std::get<OrderCancelled>(fx.reports[0]).reason, "OCO");
  fx = venue.OnUserEvent(update("ap-t15-S"), state);
  ASSERT_EQ(fx.reports.size(), 1u);
  EXPECT_EQ(std::get<OrderCancelled>(fx.reports[0]).reason, "CANCELLED_EXTERNALLY");
}

// A state holding one accepted limit order.
State StateWithOrder(const std::string& id, const char* qty) {
  State state;
  Order o = MakeOrder(id, OrderType::kLimit, OrderStatus::kAccepted, qty);
  state.orders[o.client_order_id] = o;
  return state;
}

// The recorded trade update of order TEST without its commission ("n").
std::string TradeWithoutCommission() {
  std::string msg = ReadData("ws/crates_futures_user_data_order_update_trade.json");
  const std::string n = "\"n\": \"0.01000000\",";
  const size_t at = msg.find(n);
  EXPECT_NE(at, std::string::npos);
  if (at != std::string::npos) msg.erase(at, n.size());
  return msg;
}

// A stream trade without its commission ("n" is left out when there is
// none to report) takes the commission from the order's trades.
TEST_F(FakeRest, StreamTradeWithoutCommissionTakesItFromTheOrdersTrades) {
  server_.Get("/fapi/v1/userTrades", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"([{"symbol":"BTCUSDT","id":12345678,"orderId":8886774,"side":"BUY","price":"7100.5",
      "qty":"0.001","commission":"0.0028402","commissionAsset":"USDT","time":1}])",
                    "application/json");
  });
  const State state = StateWithOrder("TEST", "0.002");
  const std::string msg = TradeWithoutCommission();
  UserEventEffects fx = venue_->OnUserEvent(msg, state);
  ASSERT_EQ(fx.reports.size(), 1u);
  EXPECT_EQ(std::get<OrderPartialFill>(fx.reports[0]).fee, F("0.0028402"));
}

TEST_F(FakeRest, StopLossGoesToTheAlgoOrderApi) {
  std::string body;
  server_.Post("/fapi/v1/order", [](const httplib::Request&, httplib::Response& res) {
    res.status = 400;
    res.set_content(R"({"code":-4120,"msg":"Order type not supported for this endpoint."})", "application/json");
  });
  server_.Post("/fapi/v1/algoOrder", [&](const httplib::Request& req, httplib::Response& res) {
    body = req.body;
    res.set_content(R"({"algoId":7,"clientAlgoId":"ap-t11-S","algoType":"CONDITIONAL","orderType":"STOP_MARKET",
      "symbol":"BTCUSDT","side":"SELL","algoStatus":"NEW","triggerPrice":"19000","quantity":"0.010",
      "reduceOnly":true})",
                    "application/json");
  });
  Reports r = venue_->Submit(MakeOrder("ap-t11-S", OrderType::kStopMarket, OrderStatus::kPlaced, "0.01"));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(std::get<OrderAccepted>(r[0]).venue_order_id.value, "7");
  EXPECT_THAT(body, ::testing::HasSubstr("clientAlgoId=ap-t11-S"));
  EXPECT_THAT(body, ::testing::HasSubstr("reduceOnly=true"));
}

TEST(BinanceUserStream, TradeUpdateBecomesAFillOnlyOnce) {
  BinanceVenue venue(nullptr, {});
  State state;
  Order o = MakeOrder("TEST", OrderType::kLimit, OrderStatus::kAccepted, "0.002");
  state.orders[o.client_order_id] = o;
  const std::string msg = ReadData("ws/crates_futures_user_data_order_update_trade.json");
  UserEventEffects fx = venue.OnUserEvent(msg, state);
  ASSERT_EQ(fx.reports.size(), 1u);
  const auto& fill = std::get<OrderPartialFill>(fx.reports[0]);
  EXPECT_EQ(fill.trade_id.value, "12345678");
  EXPECT_EQ(fill.qty, F("0.001"));
  EXPECT_EQ(fill.price, F("7100.5"));
  EXPECT_EQ(fill.fee, F("0.01"));
  // The same message again (a reconnect replays it): already journaled.
  state.orders[o.client_order_id].filled_qty = F("0.001");
  EXPECT_TRUE(venue.OnUserEvent(msg, state).reports.empty());
}

// Found by binance_ws_fuzz: a stream trade without its commission, met
// where only the stream is translated (no REST client), read the trade list
// through a null client. It is left to reconciliation instead.
TEST(BinanceUserStream, TradeWithoutCommissionAndNoRestClientIsLeftToReconciliation) {
  std::vector<std::string> notes;
  BinanceVenue venue(nullptr, {.on_note = [&](absl::string_view event, const ClientOrderId&, absl::string_view) {
                                 notes.emplace_back(event);
                               }});
  const State state = StateWithOrder("TEST", "0.002");
  const std::string msg = TradeWithoutCommission();
  const UserEventEffects fx = venue.OnUserEvent(msg, state);
  EXPECT_TRUE(fx.reports.empty());
  EXPECT_TRUE(fx.reconcile_now);
  EXPECT_EQ(notes, std::vector<std::string>{"fill_fee_unavailable"});
}

// A trade of an order that is not ours (a close in the Binance UI) is kept,
// so a position closed by hand is booked at the venue's price and fee; our
// next entry fill starts afresh.
TEST(BinanceUserStream, TradesByHandAreKeptForTheExternalCloseUntilOurNextEntry) {
  BinanceVenue venue(nullptr, {});
  State state;
  const std::string by_hand = ReadData("ws/crates_futures_user_data_order_update_trade.json");  // client id TEST
  EXPECT_TRUE(venue.OnUserEvent(by_hand, state).reconcile_now);
  std::string second = by_hand;
  const std::string price = "\"L\": \"7100.50\"";
  second.replace(second.find(price), price.size(), "\"L\": \"7102.50\"");
  EXPECT_TRUE(venue.OnUserEvent(second, state).reconcile_now);
  auto foreign = venue.ForeignFillsSinceOurEntry();
  ASSERT_EQ(foreign.count(Symbol{"BTCUSDT"}), 1u);
  EXPECT_EQ(foreign[Symbol{"BTCUSDT"}].qty, F("0.002"));
  EXPECT_EQ(foreign[Symbol{"BTCUSDT"}].avg_price, F("7101.5"));
  EXPECT_EQ(foreign[Symbol{"BTCUSDT"}].commission, F("0.02"));

  Order entry = MakeOrder("TEST", OrderType::kMarket, OrderStatus::kAccepted, "0.002");  // now ours
  state.orders[entry.client_order_id] = entry;
  EXPECT_EQ(venue.OnUserEvent(by_hand, state).reports.size(), 1u);
  EXPECT_TRUE(venue.ForeignFillsSinceOurEntry().empty());
}

// A funding fee settled by the venue (ACCOUNT_UPDATE, reason FUNDING_FEE,
// Binance's documented shape) is journaled at the venue's amount on the
// position it names; any other account update only asks for reconciliation.
TEST(BinanceUserStream, AFundingFeeIsAFundingPaidOfTheVenuesAmountOnThePositionItNames) {
  BinanceVenue venue(nullptr, {});
  State state;
  state.positions[Symbol{"BTCUSDT"}] = Position{Symbol{"BTCUSDT"}, Side::kBuy, F("0.002"), F("16850")};
  const std::string funding =
      R"({"e":"ACCOUNT_UPDATE","E":1672675200005,"T":1672675200003,"a":{"m":"FUNDING_FEE",)"
      R"("B":[{"a":"USDT","wb":"9999.663","cw":"9999.663","bc":"-0.00337"}],)"
      R"("P":[{"s":"BTCUSDT","pa":"0.002","ep":"16850","bep":"16850","cr":"0","up":"0","mt":"isolated","iw":"16.85","ps":"BOTH"}]}})";
  const UserEventEffects fx = venue.OnUserEvent(funding, state);
  EXPECT_TRUE(fx.reconcile_now);
  ASSERT_EQ(fx.reports.size(), 1u);
  const auto* paid = std::get_if<FundingPaid>(&fx.reports[0]);
  ASSERT_NE(paid, nullptr);
  EXPECT_EQ(*paid, (FundingPaid{Symbol{"BTCUSDT"}, Side::kBuy, F("0.002"), Fixed(), Fixed(), F("-0.00337"), 1672675200003}));

  const UserEventEffects order = venue.OnUserEvent(ReadData("ws/ACCOUNT_UPDATE.json"), state);  // reason ORDER
  EXPECT_TRUE(order.reconcile_now);
  EXPECT_TRUE(order.reports.empty());
  std::string huge = funding;  // beyond what the balance can hold: left to reconciliation
  huge.replace(huge.find("\"-0.00337\""), 10, "\"-92233720368\"");
  State paid_before = state;
  paid_before.funding_paid = F("1000");
  EXPECT_TRUE(venue.OnUserEvent(huge, paid_before).reports.empty());
  std::string bad = funding;
  bad.replace(bad.find("\"-0.00337\""), 10, "\"-1e-3\"");
  const UserEventEffects refused = venue.OnUserEvent(bad, state);
  EXPECT_TRUE(refused.reports.empty());
  EXPECT_THAT(refused.refused, ::testing::HasSubstr("bc"));
}

// Found by binance_ws_fuzz: a trade by hand whose quantity times price is
// beyond what a Fixed holds stopped the bot while summing it. Such a trade
// leaves the symbol unpriced; reconciliation still hears of it.
TEST(BinanceUserStream, TradeByHandTooLargeToSumLeavesTheCloseUnpricedInsteadOfStopping) {
  BinanceVenue venue(nullptr, {});
  const State state;
  std::string huge = ReadData("ws/crates_futures_user_data_order_update_trade.json");  // client id TEST
  for (const std::string field : {"\"L\": \"7100.50\"", "\"l\": \"0.001\""}) {
    const size_t at = huge.find(field);
    ASSERT_NE(at, std::string::npos) << field;
    huge.replace(at, field.size(), field.substr(0, 6) + "90000000000\"");
  }
  EXPECT_TRUE(venue.OnUserEvent(huge, state).reconcile_now);
  EXPECT_TRUE(venue.ForeignFillsSinceOurEntry().empty());
}

// A malformed number is refused, never read as 0: nothing is reported and
// reconciliation asks the venue instead; a text cut short also asks for the
// stream to be reconnected.
TEST(BinanceUserStream, MalformedMessagesAreRefusedNotReadAsZero) {
  BinanceVenue venue(nullptr, {});
  State state;
  Order o = MakeOrder("TEST", OrderType::kLimit, OrderStatus::kAccepted, "0.002");
  state.orders[o.client_order_id] = o;
  const std::string msg = ReadData("ws/crates_futures_user_data_order_update_trade.json");
  for (const char* bad : {"\"\"", "\"abc\"", "\"NaN\"", "\"1e3\"", "\"99999999999999999999\"", "null"}) {
    std::string corrupt = msg;
    const std::string price = "\"L\": \"7100.50\"";
    corrupt.replace(corrupt.find(price), price.size(), absl::StrCat("\"L\": ", bad));
    UserEventEffects fx = venue.OnUserEvent(corrupt, state);
    EXPECT_TRUE(fx.reports.empty()) << bad;
    EXPECT_THAT(fx.refused, ::testing::HasSubstr("'L'")) << bad;
    EXPECT_TRUE(fx.reconcile_now) << bad;
    EXPECT_FALSE(fx.reconnect) << bad;
  }
  UserEventEffects cut = venue.OnUserEvent(msg.substr(0, msg.size() / 2), state);
  EXPECT_TRUE(cut.reports.empty());
  EXPECT_FALSE(cut.refused.empty());
  EXPECT_TRUE(cut.reconnect);
}

TEST(BinanceUserStream, ExpiredListenKeyAndAccountUpdatesAskForAction) {
  BinanceVenue venue(nullptr, {});
  State state;
  EXPECT_TRUE(venue.OnUserEvent(ReadData("ws/listenKeyExpired.json"), state).listen_key_expired);
  EXPECT_TRUE(venue.OnUserEvent(ReadData("ws/ACCOUNT_UPDATE.json"), state).reconcile_now);
  // A trade on an order the ledger does not know: reconciliation decides.
  EXPECT_TRUE(venue.OnUserEvent(ReadData("ws/crates_futures_user_data_order_update_trade.json"), state).reconcile_now);
}

TEST(BinanceUserStream, TriggeredAlgoOrderFillsFindTheirStopLoss) {
  BinanceVenue venue(nullptr, {});
  State state;
  Order sl = MakeOrder("O-20251211-053131-TEST-000-1", OrderType::kStopMarket, OrderStatus::kAccepted, "38");
  state.orders[sl.client_order_id] = sl;
  EXPECT_TRUE(venue.OnUserEvent(ReadData("ws/ws_futures_algo_update_triggered.json"), state).reports.empty());
  // The triggered order's own update names Binance's order id (ai), not ours.
  const std::string trade = R"({"e":"ORDER_TRADE_UPDATE","T":1,"E":1,"o":{"s":"DOGEUSDT","c":"autoclose-x","S":"BUY",
    "o":"MARKET","q":"38","x":"TRADE","X":"FILLED","i":88937381063,"l":"38","z":"38","L":"0.1386","n":"0.002",
    "t":99,"R":true}})";
  UserEventEffects fx = venue.OnUserEvent(trade, state);
  ASSERT_EQ(fx.reports.size(), 1u);
  EXPECT_EQ(std::get<OrderFilled>(fx.reports[0]).client_order_id, sl.client_order_id);
}

// Found by binance_ws_fuzz: malformed JSON met while looking for the
// combined stream's "data" left simdjson's iterator without its parser, and
// reading the event type then called through a null pointer.
TEST(BinanceUserStream, MalformedMessageIsIgnoredNotCrashed) {
  BinanceVenue venue(nullptr, {});
  State state;
  for (const std::string msg : {R"({"e":"listenKeyExpired","E":"1","listenKey":"Ws,"T":1,"s":"B"x"})",
                                R"({"e":"ORDER_TRADE_UPDATE","o":{"c":"a"b"}})", R"({"e":"ORDER_TRADE_UPDATE","o":)",
                                "", "[]", "\x01\xff"}) {
    const UserEventEffects fx = venue.OnUserEvent(msg, state);
    EXPECT_TRUE(fx.reports.empty()) << msg;
    EXPECT_FALSE(fx.listen_key_expired) << msg;
  }
}

// A kline message of the combined market stream, as Binance sends it.
std::string KlineMessage(bool closed, const std::string& o, const std::string& h, const std::string& l, const std::string& c,
                  const std::string& v = "123.456") {
  return absl::StrCat(R"({"stream":"btcusdt@kline_5m","data":{"e":"kline","E":1672675800001,"s":"BTCUSDT","k":{)",
                      R"("t":1672675500000,"T":1672675799999,"s":"BTCUSDT","i":"5m","f":1,"L":2,"o":")", o,
                      R"(","c":")", c, R"(","h":")", h, R"(","l":")", l, R"(","v":")", v, R"(","n":100,"x":)",
                      closed ? "true" : "false", R"(,"q":"1","V":"1","Q":"1","B":"0"}}})");
}

TEST(BinanceMarketStream, ClosedKlineBecomesABar) {
  absl::StatusOr<std::optional<Kline>> k = ParseKlineMessage(KlineMessage(true, "16650.1", "16700", "16600.5", "16680"));
  ASSERT_TRUE(k.ok()) << k.status();
  ASSERT_TRUE(k->has_value());
  EXPECT_TRUE((*k)->closed);
  EXPECT_EQ((*k)->open_time_ms, 1672675500000);
  EXPECT_EQ((*k)->open, F("16650.1"));
  EXPECT_EQ((*k)->high, F("16700"));
  EXPECT_EQ((*k)->low, F("16600.5"));
  EXPECT_EQ((*k)->close, F("16680"));
  EXPECT_EQ((*k)->volume, F("123.456"));
}

TEST(BinanceMarketStream, OpenKlinesAndOtherMessagesAreNoBar) {
  absl::StatusOr<std::optional<Kline>> open = ParseKlineMessage(KlineMessage(false, "16650.1", "16700", "16600.5", "16680"));
  ASSERT_TRUE(open.ok()) << open.status();
  EXPECT_FALSE(open->has_value() && (*open)->closed);
  for (const std::string msg : {R"({"result":null,"id":1})", R"({"stream":"btcusdt@markPrice","data":{"e":"markPriceUpdate"}})"}) {
    absl::StatusOr<std::optional<Kline>> k = ParseKlineMessage(msg);
    ASSERT_TRUE(k.ok()) << msg << ": " << k.status();
    EXPECT_FALSE(k->has_value()) << msg;
  }
}

// Found by binance_ws_fuzz: a closed kline whose close lay below its low (or
// whose high was not a number, read as 0) became a bar the strategy traded
// on. Such a message is refused, naming what is wrong; the run logs it
// (venue_payload_refused) and backfills the bar from REST.
TEST(BinanceMarketStream, InconsistentOrMalformedClosedKlineIsRefusedNotTraded) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {KlineMessage(true, "16650.1", "16700", "16600.5", "16086"), "not a bar"},  // close below low
      {KlineMessage(true, "16650.1", "abc", "16600.5", "16680"), "field 'h': not a decimal"},
      {KlineMessage(true, "16650.1", "16700", "0", "16680"), "not a bar"},
      {KlineMessage(true, "16650.1", "16700", "16600.5", "16680", "-1"), "not a bar"},
      {R"({"stream":"s","data":{"e":"kline","k":{"t":1672675500000,"T":1672675799999,"s":"BTCUSDT","i":"5m",)"
       R"("o":"1","h":"1","l":"1","x":true}}})",
       "field 'c': missing"},
  };
  for (const auto& [msg, error] : cases) {
    absl::StatusOr<std::optional<Kline>> k = ParseKlineMessage(msg);
    ASSERT_FALSE(k.ok()) << msg;
    EXPECT_EQ(k.status().code(), absl::StatusCode::kInvalidArgument) << msg;
    EXPECT_THAT(k.status().message(), ::testing::HasSubstr(error)) << msg;
  }
  // Not JSON at all: the stream lost data, and the run reconnects.
  absl::StatusOr<std::optional<Kline>> garbage = ParseKlineMessage("not json");
  EXPECT_TRUE(absl::IsDataLoss(garbage.status())) << garbage.status();
}

// The mark price stream as Binance sends it (a recorded markPriceUpdate):
// the rate the live loop journals as FundingUpdate.
TEST(BinanceMarketStream, MarkPriceUpdateGivesTheFundingRateAndTheNextFundingTime) {
  const std::string bare = ReadData("ws/crates_futures_market_data_mark_price_stream.json");
  for (const std::string& msg : {bare, absl::StrCat(R"({"stream":"btcusdt@markPrice","data":)", bare, "}")}) {
    absl::StatusOr<std::optional<MarkPrice>> m = ParseMarkPriceMessage(msg);
    ASSERT_TRUE(m.ok()) << m.status();
    ASSERT_TRUE(m->has_value());
    EXPECT_EQ((*m)->symbol, Symbol{"BTCUSDT"});
    EXPECT_EQ((*m)->mark_price, F("11794.15"));
    EXPECT_EQ((*m)->funding_rate, F("0.00038167"));
    EXPECT_EQ((*m)->next_funding_time_ms, 1562306400000);
    EXPECT_EQ((*m)->event_time_ms, 1562305380000);
    absl::StatusOr<std::optional<Kline>> k = ParseKlineMessage(msg);
    ASSERT_TRUE(k.ok()) << k.status();
    EXPECT_FALSE(k->has_value()) << "a mark price is no bar";
  }
  absl::StatusOr<std::optional<MarkPrice>> kline = ParseMarkPriceMessage(KlineMessage(true, "1", "1", "1", "1"));
  ASSERT_TRUE(kline.ok()) << kline.status();
  EXPECT_FALSE(kline->has_value());
}

// The book ticker stream as Binance sends it: the best bid and ask the live
// loop journals as MarketTick for the spread check.
TEST(BinanceMarketStream, BookTickerGivesTheBestBidAndAskAndACrossedBookIsRefused) {
  const std::string bare = ReadData("ws/crates_futures_market_data_book_ticker_stream.json");
  for (const std::string& msg : {bare, absl::StrCat(R"({"stream":"bnbusdt@bookTicker","data":)", bare, "}")}) {
    absl::StatusOr<std::optional<BookTicker>> b = ParseBookTickerMessage(msg);
    ASSERT_TRUE(b.ok()) << b.status();
    ASSERT_TRUE(b->has_value());
    EXPECT_EQ((*b)->symbol, Symbol{"BNBUSDT"});
    EXPECT_EQ((*b)->bid_price, F("25.35190000"));
    EXPECT_EQ((*b)->ask_price, F("25.36520000"));
    EXPECT_EQ((*b)->ask_qty, F("40.66"));
    EXPECT_EQ((*b)->time_ms, 1568014460891);
    absl::StatusOr<std::optional<MarkPrice>> m = ParseMarkPriceMessage(msg);
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_FALSE(m->has_value()) << "a book is no mark price";
  }
  absl::StatusOr<std::optional<BookTicker>> crossed = ParseBookTickerMessage(
      R"({"e":"bookTicker","u":1,"E":1,"T":1,"s":"BNBUSDT","b":"25.4","B":"1","a":"25.3","A":"1"})");
  ASSERT_FALSE(crossed.ok());
  EXPECT_THAT(crossed.status().message(), ::testing::HasSubstr("not a book"));
  EXPECT_TRUE(absl::IsDataLoss(ParseBookTickerMessage(R"({"e":"bookTi)").status()));
}

TEST(BinanceMarketStream, MarkPriceWithABadRateOrPriceIsRefusedNotReadAsZero) {
  auto message = [](const std::string& p, const std::string& r) {
    return absl::StrCat(R"({"e":"markPriceUpdate","E":1562305380000,"s":"BTCUSDT","p":")", p, R"(","r":")", r,
                        R"(","T":1562306400000})");
  };
  for (const auto& [msg, error] : std::vector<std::pair<std::string, std::string>>{
           {message("11794.15", "abc"), "field 'r': not a decimal"},
           {message("11794.15", "0.5"), "field 'r': not a funding rate"},
           {message("0", "0.0001"), "field 'p': not a price"},
           {message("11794.15", ""), "field 'r'"}}) {
    absl::StatusOr<std::optional<MarkPrice>> m = ParseMarkPriceMessage(msg);
    ASSERT_FALSE(m.ok()) << msg;
    EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument) << msg;
    EXPECT_THAT(m.status().message(), ::testing::HasSubstr(error)) << msg;
  }
  EXPECT_TRUE(absl::IsDataLoss(ParseMarkPriceMessage(R"({"e":"markPriceUp)").status()));
}

}  // namespace
}  // namespace apollo::venue::binance
