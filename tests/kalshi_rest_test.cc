// The Kalshi REST client (engine/venue/kalshi/rest_client.h) against a
// loopback server that checks every signed request with the public half of
// the test key (tests/data/kalshi/signing_vectors.json): what reaches
// Kalshi, what is retried and what is never sent twice.
#include <httplib.h>
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <future>
#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "engine/net/rate_gate.h"
#include "engine/venue/kalshi/kalshi_venue.h"
#include "engine/venue/kalshi/orders_api.h"
#include "engine/venue/kalshi/payloads.h"
#include "engine/venue/kalshi/rest_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/kalshi_keys.h"

namespace apollo::venue::kalshi {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kKeyId = apollo::testing::kKalshiKeyId;
using TestKey = apollo::testing::KalshiTestKey;
TestKey ReadTestKey() { return apollo::testing::ReadKalshiTestKey(); }

struct Hit {
  std::string method, path, query, body;
  bool signed_ok = false;   // all three headers, and the signature verifies
  bool has_key = false;     // KALSHI-ACCESS-KEY present
};
struct Reply {
  int status = 200;
  std::string body = "{}";
  int delay_ms = 0;  // a slow venue
};

// A loopback stand-in for Kalshi's trade-api v2: scripted replies per
// "METHOD /path", every request recorded and its signature checked.
class Venue {
 public:
  explicit Venue(std::string public_pem) : public_pem_(std::move(public_pem)) {
    auto handle = [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); };
    server_.Get(R"(/trade-api/.*)", handle);
    server_.Post(R"(/trade-api/.*)", handle);
    server_.Delete(R"(/trade-api/.*)", handle);
    server_.Get("/ready", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok", "text/plain"); });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // An answer proves the accept loop runs, so stop() cannot race its start.
    httplib::Client ready("127.0.0.1", port_);
    ready.set_connection_timeout(5);
    ready.set_read_timeout(5);
    auto answered = ready.Get("/ready");
    EXPECT_TRUE(answered && answered->status == 200) << "the loopback venue did not start";
  }
  ~Venue() {
    server_.stop();
    thread_.join();
  }
  std::string BaseUrl() const { return absl::StrCat("http://127.0.0.1:", port_, "/trade-api/v2"); }
  void Script(const std::string& route, std::vector<Reply> replies) {
    std::lock_guard<std::mutex> l(mu_);
    for (Reply& r : replies) scripts_[route].push_back(std::move(r));
  }
  std::vector<Hit> Hits() {
    std::lock_guard<std::mutex> l(mu_);
    return hits_;
  }

 private:
  void Handle(const httplib::Request& req, httplib::Response& res) {
    Hit hit{req.method, req.path, "", req.body};
    for (const auto& [k, v] : req.params) absl::StrAppend(&hit.query, hit.query.empty() ? "" : "&", k, "=", v);
    hit.has_key = req.has_header("KALSHI-ACCESS-KEY");
    int64_t ts = 0;
    if (hit.has_key && req.get_header_value("KALSHI-ACCESS-KEY") == kKeyId &&
        absl::SimpleAtoi(req.get_header_value("KALSHI-ACCESS-TIMESTAMP"), &ts)) {
      hit.signed_ok = Verify(public_pem_, SigningMessage(ts, req.method, req.path),
                             req.get_header_value("KALSHI-ACCESS-SIGNATURE"))
                          .ok();
    }
    Reply reply;
    {
      std::lock_guard<std::mutex> l(mu_);
      hits_.push_back(hit);
      auto& queue = scripts_[req.method + " " + req.path];
      if (!queue.empty()) {
        reply = queue.front();
        queue.pop_front();
      }
    }
    if (reply.delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(reply.delay_ms));
    res.status = reply.status;
    res.set_content(reply.body, "application/json");
  }

  std::string public_pem_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::map<std::string, std::deque<Reply>> scripts_;
  std::vector<Hit> hits_;
};

class KalshiRest : public ::testing::Test {
 protected:
  KalshiRest() : key_(ReadTestKey()), venue_(key_.public_pem) {}

  std::unique_ptr<RestClient> Client(RestOptions options = {}) {
    options.base_url = venue_.BaseUrl();
    options.key_id = kKeyId;
    options.backoff_initial_ms = 100;
    options.backoff_max_ms = 400;
    options.jitter_seed = 7;
    absl::StatusOr<Signer> signer = Signer::FromPem(key_.private_pem);
    EXPECT_TRUE(signer.ok()) << signer.status();
    RestHooks hooks;
    hooks.sleep = [this](absl::Duration d) {
      std::lock_guard<std::mutex> l(mu_);
      sleeps_.push_back(d);
    };
    hooks.on_log = [this](absl::string_view line) {
      std::lock_guard<std::mutex> l(mu_);
      logs_.emplace_back(line);
    };
    absl::StatusOr<std::unique_ptr<RestClient>> client = RestClient::Create(options, *std::move(signer), hooks);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }

  TestKey key_;
  Venue venue_;
  std::mutex mu_;
  std::vector<absl::Duration> sleeps_;
  std::vector<std::string> logs_;
};

TEST_F(KalshiRest, ASignedCallCarriesTheKeyAndASignatureKalshiVerifiesOverThePathWithoutTheQuery) {
  venue_.Script("GET /trade-api/v2/portfolio/orders",
                {Reply{200, R"({"orders":[],"cursor":"abc"})"}});
  auto client = Client();
  absl::StatusOr<RestResponse> r = client->Call(HttpMethod::kGet, "/portfolio/orders",
                                                {{"ticker", "KXHIGHNY-25APR01-B77.5"}, {"cursor", "a b/c="}}, "",
                                                Auth::kSigned);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(ParseOrders(r->body)->cursor, "abc");
  std::vector<Hit> hits = venue_.Hits();
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_TRUE(hits[0].signed_ok);
  EXPECT_EQ(hits[0].query, "cursor=a b/c=&ticker=KXHIGHNY-25APR01-B77.5") << "encoded on the way, decoded by the server";
}

TEST_F(KalshiRest, APublicCallCarriesNoKeyAndAnOrderBodyIsJson) {
  auto client = Client();
  ASSERT_TRUE(client->Call(HttpMethod::kGet, "/markets", {{"series_ticker", "KXHIGHNY"}}, "", Auth::kNone).ok());
  const std::string order = R"({"ticker":"KXHIGHNY-25APR01-B77.5","side":"yes","action":"buy","count":1})";
  venue_.Script("POST /trade-api/v2/portfolio/orders", {Reply{201, R"({"order":{}})"}});
  absl::StatusOr<RestResponse> placed = client->Call(HttpMethod::kPost, "/portfolio/orders", {}, order, Auth::kSigned);
  ASSERT_TRUE(placed.ok()) << placed.status();
  EXPECT_EQ(placed->http_status, 201);
  std::vector<Hit> hits = venue_.Hits();
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_FALSE(hits[0].has_key);
  EXPECT_TRUE(hits[1].signed_ok);
  EXPECT_EQ(hits[1].body, order);
}

TEST_F(KalshiRest, A429IsRetriedWithAGrowingWaitAndTheGateHoldsTheWholeBucket) {
  net::RateGate gate({{kReadProvider, net::Quota{200, absl::Seconds(1), 0}},
                      {kWriteProvider, net::Quota{100, absl::Seconds(1), 0}}});
  RestOptions options;
  options.gate = &gate;
  auto client = Client(options);
  const Reply limited{429, R"({"error":"too many requests"})"};
  venue_.Script("GET /trade-api/v2/portfolio/balance", {limited, limited});
  absl::StatusOr<RestResponse> r = client->Call(HttpMethod::kGet, "/portfolio/balance", {}, "", Auth::kSigned);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(venue_.Hits().size(), 3u);
  ASSERT_EQ(sleeps_.size(), 2u);
  EXPECT_GE(sleeps_[0], absl::Milliseconds(50));
  EXPECT_LE(sleeps_[0], absl::Milliseconds(100));
  EXPECT_GE(sleeps_[1], absl::Milliseconds(100));
  EXPECT_LE(sleeps_[1], absl::Milliseconds(200)) << "doubled (jittered to [d/2, d])";
  const std::vector<net::ProviderStatus> s = gate.Snapshot();
  const auto read = std::find_if(s.begin(), s.end(), [](const auto& p) { return p.provider == kReadProvider; });
  EXPECT_EQ(read->backoffs, 2u);
  EXPECT_EQ(read->backoff_reason, "HTTP 429");

  venue_.Script("GET /trade-api/v2/portfolio/balance", {limited, limited, limited, limited});
  absl::Status spent = client->Call(HttpMethod::kGet, "/portfolio/balance", {}, "", Auth::kSigned).status();
  EXPECT_EQ(spent.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(spent.message(), "kalshi: GET /portfolio/balance: HTTP 429: too many requests after 4 attempts");
}

TEST_F(KalshiRest, AnOrderWhoseAnswerDidNotComeIsNeverSentAgain) {
  RestOptions options;
  options.request_timeout_ms = 300;
  auto client = Client(options);
  venue_.Script("POST /trade-api/v2/portfolio/orders", {Reply{201, R"({"order":{}})", /*delay_ms=*/800}});
  absl::Status st = client->Call(HttpMethod::kPost, "/portfolio/orders", {}, R"({"client_order_id":"apollo-7"})",
                                 Auth::kSigned).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kDeadlineExceeded) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr("outcome unknown, look the order up by its client_order_id"));
  EXPECT_EQ(venue_.Hits().size(), 1u);

  venue_.Script("POST /trade-api/v2/portfolio/orders", {Reply{503, R"({"code":"internal","message":"try later"})"}});
  EXPECT_EQ(client->Call(HttpMethod::kPost, "/portfolio/orders", {}, "{}", Auth::kSigned).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(venue_.Hits().size(), 2u) << "a 5xx on an order: not resent either";

  venue_.Script("GET /trade-api/v2/portfolio/orders", {Reply{503, "{}"}});
  EXPECT_TRUE(client->Call(HttpMethod::kGet, "/portfolio/orders", {}, "", Auth::kSigned).ok()) << "a read is retried";
}

TEST_F(KalshiRest, KalshisErrorsBecomeStatusesNamingItsCodeAndMessage) {
  auto client = Client();
  struct Case {
    int http;
    std::string body;
    absl::StatusCode code;
    std::string message, kalshi_code;
  };
  const Case cases[] = {
      {400, R"({"code":"invalid_order","message":"price must be 1-99 cents","details":"yes_price"})",
       absl::StatusCode::kInvalidArgument,
       "kalshi: POST /portfolio/orders: HTTP 400 invalid_order: price must be 1-99 cents (yes_price)", "invalid_order"},
      {409, R"({"code":"order_already_exists","message":"duplicate client_order_id"})", absl::StatusCode::kAlreadyExists,
       "kalshi: POST /portfolio/orders: HTTP 409 order_already_exists: duplicate client_order_id",
       "order_already_exists"},
      {400, R"({"code":"MARKET_INACTIVE","message":"market is closed"})", absl::StatusCode::kFailedPrecondition,
       "kalshi: POST /portfolio/orders: HTTP 400 MARKET_INACTIVE: market is closed", "MARKET_INACTIVE"},
      {401, "not json", absl::StatusCode::kUnauthenticated, "kalshi: POST /portfolio/orders: HTTP 401: not json", ""},
  };
  for (const Case& c : cases) {
    venue_.Script("POST /trade-api/v2/portfolio/orders", {Reply{c.http, c.body}});
    absl::Status st = client->Call(HttpMethod::kPost, "/portfolio/orders", {}, "{}", Auth::kSigned).status();
    EXPECT_EQ(st.code(), c.code) << st;
    EXPECT_EQ(st.message(), c.message);
    EXPECT_EQ(ErrorCode(st).value_or(""), c.kalshi_code);
  }
}

TEST_F(KalshiRest, AnEmptyWriteBucketSendsNothingAndNoTextNamesTheKey) {
  net::RateGate gate({{kReadProvider, net::Quota{200, absl::Seconds(1), 0}},
                      {kWriteProvider, net::Quota{20, absl::Hours(1), 0}}});  // two requests
  RestOptions options;
  options.gate = &gate;
  options.gate_max_wait_ms = 100;
  auto client = Client(options);
  venue_.Script("DELETE /trade-api/v2/portfolio/orders/ee6f4a7c", {Reply{503, "{}"}});  // a retry is logged
  ASSERT_TRUE(client->Call(HttpMethod::kDelete, "/portfolio/orders/ee6f4a7c", {}, "", Auth::kSigned).ok());
  ASSERT_FALSE(logs_.empty());
  absl::Status held = client->Call(HttpMethod::kDelete, "/portfolio/orders/ee6f4a7c", {}, "", Auth::kSigned).status();
  EXPECT_EQ(held.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(held.message()), HasSubstr("DELETE /portfolio/orders/ee6f4a7c, not sent: rate gate: kalshi_write"));
  EXPECT_EQ(venue_.Hits().size(), 2u) << "the first and its retry";

  absl::StatusOr<std::unique_ptr<RestClient>> keyless = RestClient::Create({.base_url = venue_.BaseUrl()}, std::nullopt);
  ASSERT_TRUE(keyless.ok());
  EXPECT_EQ((*keyless)->Call(HttpMethod::kGet, "/portfolio/balance", {}, "", Auth::kSigned).status().message(),
            "kalshi rest: no API key (KALSHI_API_KEY and KALSHI_PRIVATE_KEY_PATH) for GET /portfolio/balance");
  std::vector<std::string> texts = logs_;
  texts.push_back(std::string(held.message()));
  for (const std::string& t : texts) {
    EXPECT_THAT(t, Not(HasSubstr(kKeyId)));
    EXPECT_THAT(t, Not(HasSubstr("PRIVATE KEY")));
  }
}

// One order as Kalshi answers it (the spec's fields and example values).
std::string OrderJson(const std::string& order_id, const std::string& client_order_id) {
  return absl::StrCat(R"({"order_id":")", order_id, R"(","client_order_id":")", client_order_id,
                      R"(","ticker":"KXHIGHNY-25APR01-B77.5","side":"yes","action":"buy","type":"limit","status":"resting",)"
                      R"("yes_price_dollars":"0.4200","no_price_dollars":"0.5800","fill_count_fp":"0.00",)"
                      R"("remaining_count_fp":"5.00","initial_count_fp":"5.00","created_time":"2026-12-06T12:00:00Z"})");
}
std::string OrdersPage(const std::vector<std::string>& orders, const std::string& cursor) {
  std::string out = R"({"orders":[)";
  for (size_t i = 0; i < orders.size(); ++i) absl::StrAppend(&out, i ? "," : "", orders[i]);
  return absl::StrCat(out, R"(],"cursor":")", cursor, R"("})");
}

TEST_F(KalshiRest, AnOrderGoesAsKalshisFixedPointJsonWithOurClientIdAndIsReadBack) {
  auto client = Client();
  venue_.Script("POST /trade-api/v2/portfolio/orders", {Reply{201, absl::StrCat(R"({"order":)", OrderJson("o-1", "apollo-1"), "}")}});
  NewOrderRequest req{.ticker = "KXHIGHNY-25APR01-B77.5", .side = "yes", .action = "buy",
                      .count = *Fixed::Parse("5"), .price = *Fixed::Parse("0.42"), .client_order_id = "apollo-1"};
  absl::StatusOr<Order> order = CreateOrder(*client, req);
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_EQ(order->order_id, "o-1");
  EXPECT_EQ(order->client_order_id, "apollo-1");
  EXPECT_EQ(order->remaining_count, *Fixed::Parse("5"));
  ASSERT_EQ(venue_.Hits().size(), 1u);
  EXPECT_EQ(venue_.Hits()[0].body,
            R"({"ticker":"KXHIGHNY-25APR01-B77.5","client_order_id":"apollo-1","side":"yes","action":"buy",)"
            R"("count_fp":"5.00","yes_price_dollars":"0.4200","time_in_force":"good_till_canceled","post_only":false,)"
            R"("reduce_only":false})");
  req.side = "no";
  req.price = *Fixed::Parse("0.0575");
  req.count = *Fixed::Parse("12.5");
  EXPECT_THAT(*OrderBody(req), HasSubstr(R"("count_fp":"12.50","no_price_dollars":"0.0575")"));
}

TEST_F(KalshiRest, ABadOrderIsRefusedBeforeAnythingIsSent) {
  auto client = Client();
  const NewOrderRequest good{.ticker = "KXHIGHNY-25APR01-B77.5", .side = "yes", .action = "buy",
                             .count = *Fixed::Parse("5"), .price = *Fixed::Parse("0.42"), .client_order_id = "apollo-1"};
  struct Case {
    std::function<void(NewOrderRequest&)> spoil;
    std::string error;
  };
  const Case cases[] = {
      {[](NewOrderRequest& r) { r.count = Fixed(); }, "kalshi order: count must be > 0 with at most 2 decimals (got 0)"},
      {[](NewOrderRequest& r) { r.count = *Fixed::Parse("1.005"); }, "kalshi order: count must be > 0 with at most 2 decimals (got 1.005)"},
      {[](NewOrderRequest& r) { r.price = Fixed::FromInt(1); }, "kalshi order: price must be between 0 and 1 dollars, at most 4 decimals (got 1)"},
      {[](NewOrderRequest& r) { r.price = *Fixed::Parse("0.42001"); }, "kalshi order: price must be between 0 and 1 dollars, at most 4 decimals (got 0.42001)"},
      {[](NewOrderRequest& r) { r.side = "maybe"; }, "kalshi order: side must be yes or no"},
      {[](NewOrderRequest& r) { r.ticker = "KX/../portfolio"; }, "kalshi: ticker holds a character a path cannot"},
      {[](NewOrderRequest& r) { r.client_order_id = ""; }, "kalshi order: client_order_id must be 1..64 characters"},
  };
  for (const Case& c : cases) {
    NewOrderRequest r = good;
    c.spoil(r);
    absl::Status st = CreateOrder(*client, r).status();
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(st.message(), c.error);
  }
  EXPECT_TRUE(venue_.Hits().empty());
}

TEST_F(KalshiRest, ListingsFollowTheCursorToTheLastPageAndFindOurOrderByClientId) {
  auto client = Client();
  const std::string route = "GET /trade-api/v2/portfolio/orders";
  venue_.Script(route, {Reply{200, OrdersPage({OrderJson("o-1", "apollo-1"), OrderJson("o-2", "apollo-2")}, "p2")},
                        Reply{200, OrdersPage({OrderJson("o-3", "apollo-3")}, "")}});
  absl::StatusOr<std::vector<Order>> resting = RestingOrders(*client, std::nullopt);
  ASSERT_TRUE(resting.ok()) << resting.status();
  ASSERT_EQ(resting->size(), 3u);
  EXPECT_EQ((*resting)[2].order_id, "o-3");
  std::vector<Hit> hits = venue_.Hits();
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].query, "limit=200&status=resting");
  EXPECT_EQ(hits[1].query, "cursor=p2&limit=200&status=resting");

  venue_.Script(route, {Reply{200, OrdersPage({OrderJson("o-1", "apollo-1")}, "p2")},
                        Reply{200, OrdersPage({OrderJson("o-7", "apollo-7")}, "")}});
  absl::StatusOr<std::optional<Order>> found = FindOrder(*client, "KXHIGHNY-25APR01-B77.5", "apollo-7");
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->order_id, "o-7");
  venue_.Script(route, {Reply{200, OrdersPage({}, "")}});
  EXPECT_EQ(*FindOrder(*client, "KXHIGHNY-25APR01-B77.5", "apollo-9"), std::nullopt) << "Kalshi has none: never sent";
}

TEST_F(KalshiRest, AListingLongerThanFiftyPagesIsRefusedNotCut) {
  auto client = Client();
  std::vector<Reply> pages(kMaxPages, Reply{200, OrdersPage({OrderJson("o-1", "apollo-1")}, "more")});
  venue_.Script("GET /trade-api/v2/portfolio/orders", pages);
  absl::Status st = RestingOrders(*client, std::nullopt).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(st.message(), "kalshi: GET /portfolio/orders: more than 50 pages of 200; narrow the query");
}

TEST_F(KalshiRest, ACancelNotFoundAfterARetryMayHaveBeenOursAndDotsOrAWrongBaseAreRefused) {
  RestOptions options;
  options.request_timeout_ms = 300;
  auto client = Client(options);
  venue_.Script("DELETE /trade-api/v2/portfolio/orders/o-1",
                {Reply{200, R"({"order":{}})", /*delay_ms=*/800}, Reply{404, R"({"code":"not_found","message":"no order"})"}});
  absl::Status st = client->Call(HttpMethod::kDelete, "/portfolio/orders/o-1", {}, "", Auth::kSigned).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kDeadlineExceeded) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr("an earlier attempt may have cancelled it"));

  for (const char* id : {".", ".."}) {
    EXPECT_EQ(CancelOrder(*client, id).status().message(), "kalshi: order id holds a character a path cannot");
  }
  EXPECT_EQ(RestClient::Create({.base_url = "https://external-api.kalshi.com/v2"}, std::nullopt).status().message(),
            "kalshi rest: base_url must be http(s)://host/trade-api/v2");
}

// Threads share one client: a read waiting before its retry must not hold
// up a cancel (the wait is outside the client's lock).
TEST_F(KalshiRest, ACancelIsNotHeldUpByAReadWaitingToRetry) {
  std::mutex mu;
  std::condition_variable cv;
  bool sleeping = false, release = false;
  RestOptions options;
  options.base_url = venue_.BaseUrl();
  options.key_id = kKeyId;
  RestHooks hooks;
  hooks.sleep = [&](absl::Duration) {  // the read's retry wait lasts until the test says
    std::unique_lock<std::mutex> l(mu);
    sleeping = true;
    cv.notify_all();
    cv.wait_for(l, std::chrono::seconds(20), [&] { return release; });
  };
  absl::StatusOr<std::unique_ptr<RestClient>> client =
      RestClient::Create(options, *Signer::FromPem(key_.private_pem), hooks);
  ASSERT_TRUE(client.ok()) << client.status();
  venue_.Script("GET /trade-api/v2/portfolio/balance", {Reply{429, R"({"error":"too many requests"})"}});
  std::thread read([&] { (void)(*client)->Call(HttpMethod::kGet, "/portfolio/balance", {}, "", Auth::kSigned); });
  {
    std::unique_lock<std::mutex> l(mu);
    ASSERT_TRUE(cv.wait_for(l, std::chrono::seconds(20), [&] { return sleeping; }));
  }
  auto cancel = std::async(std::launch::async, [&] {
    return (*client)->Call(HttpMethod::kDelete, "/portfolio/orders/o-1", {}, "", Auth::kSigned).status();
  });
  const bool done = cancel.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  {
    std::lock_guard<std::mutex> l(mu);
    release = true;
  }
  cv.notify_all();
  read.join();
  ASSERT_TRUE(done) << "the cancel waited for the read's retry";
  EXPECT_TRUE(cancel.get().ok());
}


// Kalshi as the engine's venue: our YES-priced orders as Kalshi sends them,
// a 409 answered by what Kalshi holds, a refusal journaled, a lost answer
// left in doubt and resolved by client_order_id, never sent twice.
std::string KalshiOrderJson(const std::string& client_id, const std::string& status, const std::string& filled,
                            const std::string& side = "yes") {
  return absl::StrCat(R"({"order_id":"k-1","client_order_id":")", client_id,
                      R"(","ticker":"KXHIGHNY-25APR01-B77.5","side":")", side, R"(","action":"buy","status":")", status,
                      R"(","yes_price_dollars":"0.3000","no_price_dollars":"0.7000","fill_count_fp":")", filled,
                      R"(","remaining_count_fp":"0.00","initial_count_fp":"10.00","taker_fees_dollars":"0.0000",)",
                      R"("maker_fees_dollars":"0.0000","created_time":"2026-01-01T00:00:00Z",)",
                      R"("last_update_time":"2026-01-01T00:00:00Z"})");
}

apollo::Order OurSell() {
  apollo::Order o;
  o.client_order_id = ClientOrderId{"ap-t1a2b3c4d-812-E"};
  o.symbol = Symbol{"KXHIGHNY-25APR01-B77.5"};
  o.side = Side::kSell;  // short YES at 0.30 = buy NO at 0.70
  o.order_type = OrderType::kLimit;
  o.qty = Fixed::FromInt(10);
  o.price = *Fixed::Parse("0.3");
  return o;
}

TEST_F(KalshiRest, AShortYesIsSentAsABuyOfNoAtOneMinusThePrice) {
  auto client = Client();
  KalshiVenue venue(client.get(), {.send_orders = true});
  const apollo::Order o = OurSell();
  venue_.Script("POST /trade-api/v2/portfolio/orders",
                {Reply{201, absl::StrCat(R"({"order":)", KalshiOrderJson(o.client_order_id.value, "resting", "0.00", "no"), "}")}});
  Reports r = venue.Submit(o);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(std::get<OrderAccepted>(r[0]).venue_order_id.value, "k-1");
  std::vector<Hit> hits = venue_.Hits();
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_THAT(hits[0].body, HasSubstr(R"("side":"no","action":"buy","count_fp":"10.00","no_price_dollars":"0.7000")"));
  EXPECT_THAT(hits[0].body, HasSubstr(R"("client_order_id":"ap-t1a2b3c4d-812-E")"));
  KalshiVenue off(client.get(), {});
  EXPECT_EQ(std::get<OrderRejected>(off.Submit(o)[0]).reason, "not sent: run.enable_trading is false");
}

TEST_F(KalshiRest, ADuplicateClientOrderIdIsAnsweredByWhatKalshiHoldsWithItsFills) {
  auto client = Client();
  KalshiVenue venue(client.get(), {.send_orders = true});
  const apollo::Order o = OurSell();
  venue_.Script("POST /trade-api/v2/portfolio/orders",
                {Reply{409, R"({"code":"order_already_exists","message":"duplicate client_order_id"})"}});
  venue_.Script("GET /trade-api/v2/portfolio/orders",
                {Reply{200, absl::StrCat(R"({"orders":[)", KalshiOrderJson(o.client_order_id.value, "executed", "10.00", "no"),
                                         R"(],"cursor":""})")}});
  venue_.Script("GET /trade-api/v2/portfolio/fills",
                {Reply{200, R"({"fills":[{"fill_id":"f1","trade_id":"t1","order_id":"k-1","ticker":"KXHIGHNY-25APR01-B77.5",)"
                            R"("side":"no","action":"buy","count_fp":"10.00","yes_price_dollars":"0.3000",)"
                            R"("no_price_dollars":"0.7000","is_taker":false,"created_time":"2026-01-01T00:00:01Z",)"
                            R"("fee_cost":"0.0400"}],"cursor":""})"}});
  Reports r = venue.Submit(o);
  ASSERT_EQ(r.size(), 2u) << "accepted, then its one fill";
  EXPECT_EQ(std::get<OrderAccepted>(r[0]).venue_order_id.value, "k-1");
  const OrderFilled& fill = std::get<OrderFilled>(r[1]);
  EXPECT_EQ(fill.price, *Fixed::Parse("0.3")) << "at its YES price";
  EXPECT_EQ(fill.qty, Fixed::FromInt(10));
  EXPECT_EQ(fill.fee, *Fixed::Parse("0.04"));
  EXPECT_EQ(fill.trade_id.value, "t1");
  size_t posts = 0;
  for (const Hit& h : venue_.Hits()) posts += h.method == "POST";
  EXPECT_EQ(posts, 1u) << "never sent twice";
}

TEST_F(KalshiRest, ARefusalIsJournaledAndALostAnswerStaysInDoubtUntilKalshiCanNoLongerGetIt) {
  auto client = Client();
  int64_t now = 1'000'000;
  KalshiVenue venue(client.get(), {.send_orders = true, .in_flight_ms = 10'000, .now_ms = [&] { return now; }});
  apollo::Order o = OurSell();
  venue_.Script("POST /trade-api/v2/portfolio/orders",
                {Reply{400, R"({"code":"market_inactive","message":"market is closed"})"}});
  Reports refused = venue.Submit(o);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_THAT(std::get<OrderRejected>(refused[0]).reason, HasSubstr("market_inactive"));
  o.client_order_id = ClientOrderId{"ap-t1a2b3c4d-900-E"};
  venue_.Script("POST /trade-api/v2/portfolio/orders", {Reply{500, "{}"}, Reply{500, "{}"}, Reply{500, "{}"}, Reply{500, "{}"}});
  EXPECT_TRUE(venue.Submit(o).empty()) << "a 5xx after the request may have left: in doubt";
  venue_.Script("GET /trade-api/v2/portfolio/orders", {Reply{200, R"({"orders":[],"cursor":""})"},
                                                        Reply{200, R"({"orders":[],"cursor":""})"}});
  EXPECT_TRUE(absl::IsUnavailable(venue.Query(o).status())) << "it may still arrive";
  now += 10'000;
  EXPECT_TRUE(absl::IsNotFound(venue.Query(o).status())) << "Kalshi never got it: the engine sends it, once";
}

}  // namespace
}  // namespace apollo::venue::kalshi
