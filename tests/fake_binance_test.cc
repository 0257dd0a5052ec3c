// Tests for the fake Binance USDⓈ-M futures server (tools/fake_binance/):
// started in-process on a free loopback port with a manual clock and a few
// designed bars, driven over HTTP with requests signed here (OpenSSL HMAC,
// independently of the server's own code). Covers authentication, the
// recvWindow, market / limit / algo order matching and its account effects
// and user events, Binance's error codes, every injected fault, and the
// `fake-binance` executable. Every wait is bounded; nothing sleeps to wait.
#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "simdjson.h"
#include "tests/support/process.h"
#include "tools/fake_binance/bars.h"
#include "tools/fake_binance/fake_exchange.h"
#include "tools/fake_binance/faults.h"
#include "tools/fake_binance/server.h"
#include "tools/fake_binance/signing.h"

namespace apollo::fake_binance {
namespace {

constexpr char kKey[] = "test-api-key";
constexpr char kSecret[] = "test-api-secret";
constexpr int64_t kStartMs = 1'700'000'000'000;
constexpr char kForm[] = "application/x-www-form-urlencoded";

// The test's own signer: lowercase hex HMAC-SHA256.
std::string Sign(const std::string& secret, const std::string& payload) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), mac, &len);
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) {
    absl::StrAppend(&hex, absl::Hex(static_cast<unsigned>(mac[i]), absl::kZeroPad2));
  }
  return hex;
}

// A parsed JSON answer, read by JSON pointer ("/o/X", "/0/positionAmt").
class Json {
 public:
  explicit Json(const std::string& text) {
    auto r = parser_.parse(text);
    ok_ = r.error() == simdjson::SUCCESS;
    if (ok_) root_ = r.value();
  }
  bool ok() const { return ok_; }
  // A string member as is; a number or bool as its JSON text; "<missing>".
  std::string Str(const std::string& pointer) const {
    if (!ok_) return "<not json>";
    auto e = root_.at_pointer(pointer);
    if (e.error()) return "<missing>";
    simdjson::dom::element v = e.value();
    if (v.is_string()) return std::string(std::string_view(v.get_string().value()));
    return simdjson::minify(v);
  }
  int64_t Int(const std::string& pointer) const {
    int64_t v = -1;
    return absl::SimpleAtoi(Str(pointer), &v) ? v : -1;
  }
  size_t Size(const std::string& pointer) const {
    if (!ok_) return 0;
    simdjson::dom::element v = root_;
    if (!pointer.empty()) {
      auto e = root_.at_pointer(pointer);
      if (e.error()) return 0;
      v = e.value();
    }
    return v.is_array() ? v.get_array().value().size() : 0;
  }

 private:
  simdjson::dom::parser parser_;
  simdjson::dom::element root_;
  bool ok_ = false;
};

Bar B(int64_t i, const char* o, const char* h, const char* l, const char* c) {
  return Bar{kStartMs + i * 300'000, *Fixed::Parse(o), *Fixed::Parse(h), *Fixed::Parse(l), *Fixed::Parse(c),
             Fixed::FromInt(100)};
}

// Designed prices: bar 1 dips to 19900, bar 2 to 19500, bar 4 rises to 20500.
std::vector<Bar> DesignedBars() {
  return {B(0, "20000", "20010", "19990", "20000"), B(1, "20010", "20100", "19900", "20050"),
          B(2, "20050", "20060", "19500", "19600"), B(3, "19600", "19650", "19550", "19600"),
          B(4, "19600", "20500", "19600", "20400"), B(5, "20400", "20450", "20350", "20400")};
}

struct Answer {
  int status = 0;  // 0: no answer (timeout, refused)
  std::string body;
  httplib::Headers headers;
  Json json() const { return Json(body); }
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

Answer ToAnswer(const httplib::Result& r) {
  if (!r) return Answer{};
  return Answer{r->status, r->body, r->headers};
}

struct SignOptions {
  std::string key = kKey;
  std::string secret = kSecret;
  std::optional<int64_t> timestamp;  // default: the fake clock
  bool with_key = true;
  bool with_signature = true;
};

class FakeBinanceTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(RateLimits{}); }

  void Start(RateLimits limits) {
    exchange_ = std::make_unique<FakeExchange>(ExchangeConfig{}, DesignedBars(), [this] { return clock_ms_.load(); });
    ServerOptions options;
    options.api_key = kKey;
    options.api_secret = kSecret;
    options.limits = limits;
    server_ = std::make_unique<FakeBinanceServer>(exchange_.get(), options);
    ASSERT_TRUE(server_->Start().ok());
    client_ = NewClient(std::chrono::seconds(10));
  }

  std::unique_ptr<httplib::Client> NewClient(std::chrono::milliseconds read_timeout) const {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    c->set_connection_timeout(std::chrono::seconds(5));
    c->set_read_timeout(read_timeout);
    return c;
  }

  // A request the way Binance wants it: timestamp appended, signed, params
  // in the query string (GET/DELETE) or a form body (POST/PUT).
  Answer Call(const std::string& method, const std::string& path, std::string params, SignOptions o = {},
              httplib::Client* client = nullptr) {
    if (client == nullptr) client = client_.get();
    if (!params.empty()) params += "&";
    params += "timestamp=" + std::to_string(o.timestamp.value_or(clock_ms_.load()));
    if (o.with_signature) params += "&signature=" + Sign(o.secret, params);
    httplib::Headers headers;
    if (o.with_key) headers.emplace("X-MBX-APIKEY", o.key);
    if (method == "GET") return ToAnswer(client->Get(path + "?" + params, headers));
    if (method == "DELETE") return ToAnswer(client->Delete(path + "?" + params, headers));
    if (method == "PUT") return ToAnswer(client->Put(path, headers, params, kForm));
    return ToAnswer(client->Post(path, headers, params, kForm));
  }
  Answer Public(const std::string& path) { return ToAnswer(client_->Get(path)); }
  Answer Admin(const std::string& method, const std::string& path, const std::string& form = "") {
    if (method == "GET") return ToAnswer(client_->Get(path));
    if (method == "DELETE") return ToAnswer(client_->Delete(path));
    return ToAnswer(client_->Post(path, form, kForm));
  }
  Answer Bar1() { return Admin("POST", "/admin/bar"); }
  Answer Market(const std::string& side, const std::string& qty, const std::string& client_id) {
    return Call("POST", "/fapi/v1/order",
                "symbol=BTCUSDT&side=" + side + "&type=MARKET&quantity=" + qty + "&newClientOrderId=" + client_id +
                    "&newOrderRespType=RESULT");
  }
  Answer Query(const std::string& client_id) {
    return Call("GET", "/fapi/v1/order", "symbol=BTCUSDT&origClientOrderId=" + client_id);
  }
  Json PositionRisk() { return Call("GET", "/fapi/v2/positionRisk", "symbol=BTCUSDT").json(); }
  Json Balance() { return Call("GET", "/fapi/v2/balance", "").json(); }

  // The drained user events, as parsed JSON texts.
  std::vector<std::string> Events() { return exchange_->TakeUserEvents(); }
  static std::vector<std::string> OfType(const std::vector<std::string>& events, const std::string& type) {
    std::vector<std::string> out;
    for (const std::string& e : events) {
      if (Json(e).Str("/e") == type) out.push_back(e);
    }
    return out;
  }

  std::atomic<int64_t> clock_ms_{kStartMs + 1'000};
  std::unique_ptr<FakeExchange> exchange_;
  std::unique_ptr<FakeBinanceServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

// ---- public endpoints and authentication -----------------------------------

TEST_F(FakeBinanceTest, TimeEndpointAnswersTheServerClockWithAWeightHeader) {
  const Answer a = Public("/fapi/v1/time");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.json().Int("/serverTime"), clock_ms_.load());
  EXPECT_EQ(a.Header("X-MBX-USED-WEIGHT-1M"), "1");
}

TEST_F(FakeBinanceTest, ExchangeInfoCarriesTheConfiguredFiltersInTheRealShape) {
  const Answer a = Public("/fapi/v1/exchangeInfo");
  ASSERT_EQ(a.status, 200);
  const Json j = a.json();
  EXPECT_EQ(j.Str("/symbols/0/symbol"), "BTCUSDT");
  EXPECT_EQ(j.Str("/symbols/0/filters/0/filterType"), "PRICE_FILTER");
  EXPECT_EQ(j.Str("/symbols/0/filters/0/tickSize"), "0.1");
  EXPECT_EQ(j.Str("/symbols/0/filters/1/stepSize"), "0.001");
  EXPECT_EQ(j.Str("/symbols/0/filters/2/filterType"), "MARKET_LOT_SIZE");
  EXPECT_EQ(j.Str("/symbols/0/filters/5/filterType"), "MIN_NOTIONAL");
  EXPECT_EQ(j.Str("/symbols/0/filters/5/notional"), "5");
  EXPECT_EQ(j.Str("/rateLimits/0/rateLimitType"), "REQUEST_WEIGHT");
  EXPECT_EQ(j.Int("/rateLimits/0/limit"), 2400);
}

TEST(FakeBinanceSigning, ServerSignatureMatchesBinanceDocsVectorAndTheTestSigner) {
  // shared/data/binance/signing_vectors.json, usdm_futures_post_order_query_string.
  const std::string secret = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9";
  const std::string payload =
      "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&recvWindow=5000&timestamp="
      "1591702613943";
  const std::string expected = "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9";
  EXPECT_EQ(HmacSha256Hex(secret, payload), expected);
  EXPECT_EQ(Sign(secret, payload), expected);
  std::optional<std::string> sig;
  EXPECT_EQ(StripSignature(payload + "&signature=" + expected, &sig), payload);
  EXPECT_EQ(sig, expected);
}

TEST_F(FakeBinanceTest, SignedEndpointsAcceptAGoodSignatureAndRejectBadOnesWithBinanceCodes) {
  EXPECT_EQ(Call("GET", "/fapi/v1/openOrders", "symbol=BTCUSDT").status, 200);

  SignOptions bad_secret;
  bad_secret.secret = "wrong";
  Answer a = Call("GET", "/fapi/v1/openOrders", "symbol=BTCUSDT", bad_secret);
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.json().Int("/code"), -1022);
  EXPECT_EQ(a.json().Str("/msg"), "Signature for this request is not valid.");

  SignOptions no_key;
  no_key.with_key = false;
  a = Call("GET", "/fapi/v1/openOrders", "symbol=BTCUSDT", no_key);
  EXPECT_EQ(a.status, 401);
  EXPECT_EQ(a.json().Int("/code"), -2014);

  SignOptions wrong_key;
  wrong_key.key = "someone-else";
  a = Call("GET", "/fapi/v1/openOrders", "symbol=BTCUSDT", wrong_key);
  EXPECT_EQ(a.status, 401);
  EXPECT_EQ(a.json().Int("/code"), -2015);

  SignOptions unsigned_request;
  unsigned_request.with_signature = false;
  a = Call("GET", "/fapi/v1/openOrders", "symbol=BTCUSDT", unsigned_request);
  EXPECT_EQ(a.json().Int("/code"), -1102);
  EXPECT_TRUE(absl::StrContains(a.json().Str("/msg"), "'signature'"));

  // A signed POST body: tampering with a parameter after signing breaks it.
  std::string body = "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001&timestamp=" + std::to_string(clock_ms_.load());
  body += "&signature=" + Sign(kSecret, body);
  absl::StrReplaceAll({{"quantity=0.001", "quantity=0.002"}}, &body);
  auto r = client_->Post("/fapi/v1/order", httplib::Headers{{"X-MBX-APIKEY", kKey}}, body, kForm);
  ASSERT_TRUE(r);
  EXPECT_EQ(Json(r->body).Int("/code"), -1022);
  EXPECT_EQ(exchange_->Account().position.qty, Fixed());
}

TEST_F(FakeBinanceTest, TimestampOutsideTheRecvWindowIsMinus1021) {
  const int64_t now = clock_ms_.load();
  SignOptions old;
  old.timestamp = now - 6'000;  // default recvWindow 5000
  Answer a = Call("GET", "/fapi/v1/openOrders", "", old);
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.json().Int("/code"), -1021);
  EXPECT_EQ(a.json().Str("/msg"), "Timestamp for this request is outside of the recvWindow.");

  EXPECT_EQ(Call("GET", "/fapi/v1/openOrders", "recvWindow=10000", old).status, 200);

  SignOptions ahead;
  ahead.timestamp = now + 1'500;
  a = Call("GET", "/fapi/v1/openOrders", "", ahead);
  EXPECT_EQ(a.json().Int("/code"), -1021);
  EXPECT_TRUE(absl::StrContains(a.json().Str("/msg"), "ahead of the server's time"));

  EXPECT_EQ(Call("GET", "/fapi/v1/openOrders", "recvWindow=60001").json().Int("/code"), -1131);

  // A skewed server clock: the client's own time is now 10 s behind.
  ASSERT_EQ(Admin("POST", "/admin/clock", "skew_ms=10000").status, 200);
  EXPECT_EQ(Call("GET", "/fapi/v1/openOrders", "").json().Int("/code"), -1021);
  const int64_t server_time = Public("/fapi/v1/time").json().Int("/serverTime");
  EXPECT_EQ(server_time, now + 10'000);
  SignOptions synced;
  synced.timestamp = server_time;
  EXPECT_EQ(Call("GET", "/fapi/v1/openOrders", "", synced).status, 200);
}

// ---- orders ----------------------------------------------------------------

TEST_F(FakeBinanceTest, MarketOrderFillsAtTheBarCloseAndMovesPositionBalanceAndEvents) {
  const Answer a = Market("BUY", "0.010", "entry-1");
  ASSERT_EQ(a.status, 200) << a.body;
  const Json o = a.json();
  EXPECT_EQ(o.Str("/status"), "FILLED");
  EXPECT_EQ(o.Str("/clientOrderId"), "entry-1");
  EXPECT_EQ(o.Str("/executedQty"), "0.01");
  EXPECT_EQ(o.Str("/avgPrice"), "20000");
  EXPECT_EQ(o.Str("/cumQuote"), "200");
  EXPECT_EQ(a.Header("X-MBX-ORDER-COUNT-1M"), "1");

  const Json pos = PositionRisk();
  EXPECT_EQ(pos.Str("/0/positionAmt"), "0.01");
  EXPECT_EQ(pos.Str("/0/entryPrice"), "20000");
  EXPECT_EQ(pos.Str("/0/markPrice"), "20000");
  // Taker fee 0.04 % of 200 USDT.
  EXPECT_EQ(Balance().Str("/0/balance"), "9999.92");

  const std::vector<std::string> events = Events();
  const std::vector<std::string> updates = OfType(events, "ORDER_TRADE_UPDATE");
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_EQ(Json(updates[0]).Str("/o/x"), "NEW");
  const Json trade(updates[1]);
  EXPECT_EQ(trade.Str("/o/x"), "TRADE");
  EXPECT_EQ(trade.Str("/o/X"), "FILLED");
  EXPECT_EQ(trade.Str("/o/c"), "entry-1");
  EXPECT_EQ(trade.Str("/o/L"), "20000");
  EXPECT_EQ(trade.Str("/o/l"), "0.01");
  EXPECT_EQ(trade.Str("/o/n"), "0.08");
  EXPECT_EQ(trade.Str("/o/N"), "USDT");
  EXPECT_EQ(trade.Str("/o/m"), "false");
  const std::vector<std::string> accounts = OfType(events, "ACCOUNT_UPDATE");
  ASSERT_EQ(accounts.size(), 1u);
  const Json acct(accounts[0]);
  EXPECT_EQ(acct.Str("/a/m"), "ORDER");
  EXPECT_EQ(acct.Str("/a/B/0/wb"), "9999.92");
  EXPECT_EQ(acct.Str("/a/P/0/pa"), "0.01");
  EXPECT_EQ(acct.Str("/a/P/0/ep"), "20000");
  EXPECT_EQ(acct.Str("/a/P/0/ps"), "BOTH");
}

TEST_F(FakeBinanceTest, SellingBackRealisesThePnlIntoTheWallet) {
  ASSERT_EQ(Market("BUY", "0.010", "in").status, 200);
  ASSERT_EQ(Bar1().status, 200);  // close 20050
  const Answer out = Market("SELL", "0.010", "out");
  ASSERT_EQ(out.json().Str("/status"), "FILLED");
  // +0.5 realised, fees 0.08 + 0.0802.
  EXPECT_EQ(Balance().Str("/0/balance"), "10000.3398");
  EXPECT_EQ(PositionRisk().Str("/0/positionAmt"), "0");
  const std::vector<std::string> trades = OfType(Events(), "ORDER_TRADE_UPDATE");
  EXPECT_EQ(Json(trades.back()).Str("/o/rp"), "0.5");
}

TEST_F(FakeBinanceTest, LimitOrderRestsThenFillsOnTheNextBarThatReachesIt) {
  Answer a = Call("POST", "/fapi/v1/order",
                  "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.010&price=19950.0"
                  "&newClientOrderId=dip-1&newOrderRespType=RESULT");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.json().Str("/status"), "NEW");
  Json open = Call("GET", "/fapi/v1/openOrders", "symbol=BTCUSDT").json();
  ASSERT_EQ(open.Size(""), 1u);
  EXPECT_EQ(open.Str("/0/clientOrderId"), "dip-1");
  EXPECT_EQ(PositionRisk().Str("/0/positionAmt"), "0");

  ASSERT_EQ(Bar1().status, 200);  // low 19900
  const Json q = Query("dip-1").json();
  EXPECT_EQ(q.Str("/status"), "FILLED");
  EXPECT_EQ(q.Str("/avgPrice"), "19950");
  EXPECT_EQ(Call("GET", "/fapi/v1/openOrders", "symbol=BTCUSDT").json().Size(""), 0u);
  EXPECT_EQ(PositionRisk().Str("/0/entryPrice"), "19950");
  // Maker fee 0.02 % of 199.5.
  EXPECT_EQ(Balance().Str("/0/balance"), "9999.9601");
  const std::vector<std::string> trades = OfType(Events(), "ORDER_TRADE_UPDATE");
  EXPECT_EQ(Json(trades.back()).Str("/o/m"), "true");
}

TEST_F(FakeBinanceTest, LimitFilterViolationsGetBinanceCodes) {
  auto limit = [&](const std::string& qty, const std::string& price) {
    return Call("POST", "/fapi/v1/order",
                "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=" + qty + "&price=" + price)
        .json()
        .Int("/code");
  };
  EXPECT_EQ(limit("0.010", "19950.05"), -1111);  // finer than the tick's precision
  EXPECT_EQ(limit("0.0105", "19950"), -1111);
  EXPECT_EQ(limit("0.000", "19950"), -4003);
  EXPECT_EQ(limit("0.0002", "19950"), -1111);
  EXPECT_EQ(limit("0.001", "1000"), -4164);  // 1 USDT notional < 5
  EXPECT_EQ(Call("POST", "/fapi/v1/order", "symbol=ETHUSDT&side=BUY&type=MARKET&quantity=1").json().Int("/code"),
            -1121);
}

TEST_F(FakeBinanceTest, ConditionalTypesOnTheOrderEndpointAreMinus4120) {
  for (const char* type : {"STOP_MARKET", "TAKE_PROFIT_MARKET", "STOP", "TAKE_PROFIT", "TRAILING_STOP_MARKET"}) {
    const Answer a = Call("POST", "/fapi/v1/order",
                          absl::StrCat("symbol=BTCUSDT&side=SELL&type=", type, "&quantity=0.010&stopPrice=19000"));
    EXPECT_EQ(a.status, 400) << type;
    EXPECT_EQ(a.json().Int("/code"), -4120) << type;
    EXPECT_EQ(a.json().Str("/msg"),
              "Order type not supported for this endpoint. Please use the Algo Order API endpoints instead.");
  }
  EXPECT_EQ(Call("GET", "/fapi/v1/openOrders", "").json().Size(""), 0u);
}

TEST_F(FakeBinanceTest, UnknownOrdersAreMinus2013OnQueryAndMinus2011OnCancel) {
  Answer a = Query("never-sent");
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.json().Int("/code"), -2013);
  EXPECT_EQ(a.json().Str("/msg"), "Order does not exist.");
  a = Call("DELETE", "/fapi/v1/order", "symbol=BTCUSDT&origClientOrderId=never-sent");
  EXPECT_EQ(a.json().Int("/code"), -2011);
  EXPECT_EQ(a.json().Str("/msg"), "Unknown order sent.");
  EXPECT_EQ(Call("GET", "/fapi/v1/order", "symbol=BTCUSDT").json().Int("/code"), -1102);
  // A filled order cannot be cancelled either.
  ASSERT_EQ(Market("BUY", "0.010", "done").status, 200);
  EXPECT_EQ(Call("DELETE", "/fapi/v1/order", "symbol=BTCUSDT&origClientOrderId=done").json().Int("/code"), -2011);
}

TEST_F(FakeBinanceTest, ClientOrderIdMustBeUniqueAmongOpenOrdersOnly) {
  const std::string rest = "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.010&price=19000";
  ASSERT_EQ(Call("POST", "/fapi/v1/order", rest + "&newClientOrderId=same").status, 200);
  Answer dup = Call("POST", "/fapi/v1/order", rest + "&newClientOrderId=same");
  EXPECT_EQ(dup.json().Int("/code"), -4116);
  EXPECT_EQ(dup.json().Str("/msg"), "ClientOrderId is duplicated.");
  EXPECT_EQ(Call("POST", "/fapi/v1/order", rest + "&newClientOrderId=bad%20id").json().Int("/code"), -4015);

  const Answer cancel = Call("DELETE", "/fapi/v1/order", "symbol=BTCUSDT&origClientOrderId=same");
  ASSERT_EQ(cancel.status, 200);
  EXPECT_EQ(cancel.json().Str("/status"), "CANCELED");
  EXPECT_EQ(Call("POST", "/fapi/v1/order", rest + "&newClientOrderId=same").status, 200);  // no longer open
}

TEST_F(FakeBinanceTest, AnOrderBeyondTheMarginIsMinus2019) {
  // 20 BTC at 20000 = 400k notional, 20k margin at 20x > 10k.
  const Answer a = Market("BUY", "20", "too-big");
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.json().Int("/code"), -2019);
  EXPECT_EQ(a.json().Str("/msg"), "Margin is insufficient.");
  EXPECT_TRUE(Events().empty());
  EXPECT_EQ(Market("BUY", "9", "fits").json().Str("/status"), "FILLED");
}

TEST_F(FakeBinanceTest, ReduceOnlyWithNothingToReduceIsMinus2022) {
  const Answer a =
      Call("POST", "/fapi/v1/order", "symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.010&reduceOnly=true");
  EXPECT_EQ(a.json().Int("/code"), -2022);
}

TEST_F(FakeBinanceTest, AckResponseShowsTheOrderAsAccepted) {
  const Answer a = Call("POST", "/fapi/v1/order",
                        "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.010&newClientOrderId=ack-1");
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(a.json().Str("/status"), "NEW");
  EXPECT_EQ(a.json().Str("/executedQty"), "0");
  EXPECT_EQ(Query("ack-1").json().Str("/status"), "FILLED");
}

// ---- algo orders -----------------------------------------------------------

TEST_F(FakeBinanceTest, AlgoStopMarketTriggersOnABarLowAndClosesThePositionReduceOnly) {
  ASSERT_EQ(Market("BUY", "0.010", "entry").status, 200);
  Answer a = Call("POST", "/fapi/v1/algoOrder",
                  "algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=STOP_MARKET&triggerPrice=19700"
                  "&closePosition=true&workingType=CONTRACT_PRICE&clientAlgoId=sl-1");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.json().Str("/algoStatus"), "NEW");
  EXPECT_EQ(a.json().Str("/orderType"), "STOP_MARKET");
  EXPECT_EQ(a.json().Str("/triggerPrice"), "19700");

  // Listed among algo orders, not among plain open orders.
  const Json algos = Call("GET", "/fapi/v1/openAlgoOrders", "symbol=BTCUSDT").json();
  ASSERT_EQ(algos.Size(""), 1u);
  EXPECT_EQ(algos.Str("/0/clientAlgoId"), "sl-1");
  EXPECT_EQ(Call("GET", "/fapi/v1/openOrders", "symbol=BTCUSDT").json().Size(""), 0u);
  Events();

  ASSERT_EQ(Bar1().status, 200);  // low 19900: not yet
  EXPECT_EQ(Call("GET", "/fapi/v1/algoOrder", "clientAlgoId=sl-1").json().Str("/algoStatus"), "NEW");
  ASSERT_EQ(Bar1().status, 200);  // low 19500: triggered, filled at the trigger
  const Json q = Call("GET", "/fapi/v1/algoOrder", "clientAlgoId=sl-1").json();
  EXPECT_EQ(q.Str("/algoStatus"), "FINISHED");
  EXPECT_EQ(q.Str("/actualPrice"), "19700");
  EXPECT_NE(q.Str("/actualOrderId"), "");
  EXPECT_EQ(PositionRisk().Str("/0/positionAmt"), "0");
  // 10000 - 0.08 (entry fee) - 3 (loss) - 0.0788 (exit fee).
  EXPECT_EQ(Balance().Str("/0/balance"), "9996.8412");
  EXPECT_EQ(Call("GET", "/fapi/v1/openAlgoOrders", "").json().Size(""), 0u);

  const std::vector<std::string> events = Events();
  const std::vector<std::string> algo_updates = OfType(events, "ALGO_UPDATE");
  ASSERT_EQ(algo_updates.size(), 2u);
  EXPECT_EQ(Json(algo_updates[0]).Str("/o/X"), "TRIGGERED");
  EXPECT_EQ(Json(algo_updates[1]).Str("/o/X"), "FINISHED");
  EXPECT_EQ(Json(algo_updates[1]).Str("/o/caid"), "sl-1");
  const std::vector<std::string> trades = OfType(events, "ORDER_TRADE_UPDATE");
  ASSERT_EQ(trades.size(), 2u);
  const Json fill(trades[1]);
  EXPECT_EQ(fill.Str("/o/X"), "FILLED");
  EXPECT_EQ(fill.Str("/o/o"), "MARKET");
  EXPECT_EQ(fill.Str("/o/ot"), "STOP_MARKET");
  EXPECT_EQ(fill.Str("/o/sp"), "19700");
  EXPECT_EQ(fill.Str("/o/cp"), "true");
  EXPECT_EQ(fill.Str("/o/rp"), "-3");
  EXPECT_EQ(Json(OfType(events, "ACCOUNT_UPDATE").back()).Str("/a/P/0/pa"), "0");
}

TEST_F(FakeBinanceTest, StopIsTakenBeforeTakeProfitAndTheLaterReduceOnlyOneIsRejected) {
  ASSERT_EQ(Market("BUY", "0.010", "entry").status, 200);
  ASSERT_EQ(Bar1().status, 200);  // now at bar 1, close 20050; bar 2 spans 19500..20060
  ASSERT_EQ(Call("POST", "/fapi/v1/algoOrder",
                 "algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=TAKE_PROFIT_MARKET&triggerPrice=20055"
                 "&quantity=0.010&reduceOnly=true&clientAlgoId=tp")
                .status,
            200);
  ASSERT_EQ(Call("POST", "/fapi/v1/algoOrder",
                 "algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=STOP_MARKET&triggerPrice=19800"
                 "&quantity=0.010&reduceOnly=true&clientAlgoId=sl")
                .status,
            200);
  ASSERT_EQ(Bar1().status, 200);
  EXPECT_EQ(Call("GET", "/fapi/v1/algoOrder", "clientAlgoId=sl").json().Str("/algoStatus"), "FINISHED");
  EXPECT_EQ(Call("GET", "/fapi/v1/algoOrder", "clientAlgoId=tp").json().Str("/algoStatus"), "REJECTED");
  EXPECT_EQ(PositionRisk().Str("/0/positionAmt"), "0");
}

TEST_F(FakeBinanceTest, AlgoOrderChecksAndCancel) {
  const std::string base = "algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=STOP_MARKET&quantity=0.010";
  // Close 20000: a sell stop at or above it would trigger at once.
  EXPECT_EQ(Call("POST", "/fapi/v1/algoOrder", base + "&triggerPrice=20100").json().Int("/code"), -2021);
  EXPECT_EQ(Call("POST", "/fapi/v1/algoOrder", base + "&triggerPrice=19000.05").json().Int("/code"), -1111);
  EXPECT_EQ(Call("POST", "/fapi/v1/algoOrder", base + "&triggerPrice=19000&closePosition=true").json().Int("/code"),
            -4137);
  ASSERT_EQ(Call("POST", "/fapi/v1/algoOrder", base + "&triggerPrice=19000&clientAlgoId=s1").status, 200);
  EXPECT_EQ(Call("POST", "/fapi/v1/algoOrder", base + "&triggerPrice=19000&clientAlgoId=s1").json().Int("/code"),
            -4116);
  const Answer cancel = Call("DELETE", "/fapi/v1/algoOrder", "clientAlgoId=s1");
  ASSERT_EQ(cancel.status, 200);
  EXPECT_EQ(cancel.json().Str("/code"), "200");
  EXPECT_EQ(cancel.json().Str("/msg"), "success");
  EXPECT_EQ(Call("GET", "/fapi/v1/algoOrder", "clientAlgoId=s1").json().Str("/algoStatus"), "CANCELED");
  EXPECT_EQ(Call("DELETE", "/fapi/v1/algoOrder", "clientAlgoId=s1").json().Int("/code"), -2011);
  EXPECT_EQ(Call("GET", "/fapi/v1/algoOrder", "clientAlgoId=nope").json().Int("/code"), -2013);
  const std::vector<std::string> updates = OfType(Events(), "ALGO_UPDATE");
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_EQ(Json(updates[1]).Str("/o/X"), "CANCELED");
}

TEST_F(FakeBinanceTest, OpenAlgoOrdersAreCappedByMaxNumAlgoOrders) {
  const std::string base = "algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=STOP_MARKET&quantity=0.010";
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(Call("POST", "/fapi/v1/algoOrder", absl::StrCat(base, "&triggerPrice=", 19000 + i)).status, 200) << i;
  }
  const Answer a = Call("POST", "/fapi/v1/algoOrder", base + "&triggerPrice=18000");
  EXPECT_EQ(a.json().Int("/code"), -4045);
  EXPECT_EQ(a.json().Str("/msg"), "Reach max stop order limit.");
}

// ---- account and listen keys -----------------------------------------------

TEST_F(FakeBinanceTest, AccountAndPositionRiskVersionsHaveTheirShapes) {
  EXPECT_EQ(Call("GET", "/fapi/v3/positionRisk", "").json().Size(""), 0u);  // v3: open positions only
  ASSERT_EQ(Market("BUY", "0.010", "e").status, 200);
  const Json v3 = Call("GET", "/fapi/v3/positionRisk", "").json();
  EXPECT_EQ(v3.Str("/0/positionAmt"), "0.01");
  EXPECT_EQ(v3.Str("/0/marginAsset"), "USDT");
  const Json acct = Call("GET", "/fapi/v2/account", "").json();
  EXPECT_EQ(acct.Str("/totalWalletBalance"), "9999.92");
  EXPECT_EQ(acct.Str("/assets/0/asset"), "USDT");
  EXPECT_EQ(acct.Str("/positions/0/positionAmt"), "0.01");
  EXPECT_EQ(acct.Str("/positions/0/leverage"), "20");
  // Initial margin 200 / 20.
  EXPECT_EQ(Call("GET", "/fapi/v3/account", "").json().Str("/totalPositionInitialMargin"), "10");
  EXPECT_EQ(Call("GET", "/fapi/v3/balance", "").json().Str("/0/availableBalance"), "9989.92");
}

TEST_F(FakeBinanceTest, ListenKeyLifecycleNeedsOnlyTheApiKey) {
  const httplib::Headers key{{"X-MBX-APIKEY", kKey}};
  auto created = client_->Post("/fapi/v1/listenKey", key, "", kForm);
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 200);
  const std::string listen_key = Json(created->body).Str("/listenKey");
  EXPECT_EQ(listen_key.size(), 64u);
  EXPECT_TRUE(exchange_->IsListenKeyActive(listen_key));
  auto again = client_->Post("/fapi/v1/listenKey", key, "", kForm);
  EXPECT_EQ(Json(again->body).Str("/listenKey"), listen_key);  // the active key is reused
  auto kept = client_->Put("/fapi/v1/listenKey", key, "", kForm);
  EXPECT_EQ(kept->status, 200);
  EXPECT_EQ(client_->Delete("/fapi/v1/listenKey", key)->status, 200);
  EXPECT_FALSE(exchange_->IsListenKeyActive(listen_key));
  EXPECT_EQ(Json(client_->Put("/fapi/v1/listenKey", key, "", kForm)->body).Int("/code"), -1125);
  EXPECT_EQ(Json(client_->Post("/fapi/v1/listenKey", "", kForm)->body).Int("/code"), -2014);
}

TEST_F(FakeBinanceTest, UsedWeightAccumulatesPerMinute) {
  EXPECT_EQ(Call("GET", "/fapi/v2/positionRisk", "").Header("X-MBX-USED-WEIGHT-1M"), "5");
  EXPECT_EQ(Call("GET", "/fapi/v1/openOrders", "").Header("X-MBX-USED-WEIGHT-1M"), "45");  // 40 without symbol
  clock_ms_ += 60'000;
  EXPECT_EQ(Call("GET", "/fapi/v1/openOrders", "symbol=BTCUSDT").Header("X-MBX-USED-WEIGHT-1M"), "1");
}

TEST(FakeBinanceWeightLimit, OverTheLimitIs429WithRetryAfterToTheNextMinute) {
  std::atomic<int64_t> clock{kStartMs + 25'000};  // 45 s into a minute
  FakeExchange exchange(ExchangeConfig{}, DesignedBars(), [&] { return clock.load(); });
  ServerOptions options;
  options.api_key = kKey;
  options.api_secret = kSecret;
  options.limits.request_weight_1m = 2;
  FakeBinanceServer server(&exchange, options);
  ASSERT_TRUE(server.Start().ok());
  httplib::Client client("127.0.0.1", server.port());
  client.set_read_timeout(std::chrono::seconds(10));
  EXPECT_EQ(client.Get("/fapi/v1/time")->status, 200);
  EXPECT_EQ(client.Get("/fapi/v1/time")->status, 200);
  auto r = client.Get("/fapi/v1/time");
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(r->get_header_value("Retry-After"), "15");
  EXPECT_EQ(Json(r->body).Int("/code"), -1003);
  clock += 15'000;
  EXPECT_EQ(client.Get("/fapi/v1/time")->status, 200);
}

// ---- faults ----------------------------------------------------------------

TEST_F(FakeBinanceTest, Fault429AnswersWithRetryAfterThenClears) {
  ASSERT_EQ(Admin("POST", "/admin/fault", "kind=429&retry_after=7").status, 200);
  Answer a = Call("GET", "/fapi/v1/openOrders", "");
  EXPECT_EQ(a.status, 429);
  EXPECT_EQ(a.Header("Retry-After"), "7");
  EXPECT_EQ(a.json().Int("/code"), -1003);
  EXPECT_EQ(Call("GET", "/fapi/v1/openOrders", "").status, 200);
}

TEST_F(FakeBinanceTest, Fault418IsAnIpBanWithRetryAfter) {
  ASSERT_EQ(Admin("POST", "/admin/fault", "kind=418&retry_after=120&count=2").status, 200);
  for (int i = 0; i < 2; ++i) {
    const Answer a = Public("/fapi/v1/time");
    EXPECT_EQ(a.status, 418);
    EXPECT_EQ(a.Header("Retry-After"), "120");
    EXPECT_TRUE(absl::StrContains(a.json().Str("/msg"), "IP banned until"));
  }
  EXPECT_EQ(Public("/fapi/v1/time").status, 200);
}

TEST_F(FakeBinanceTest, Fault5xxOnlyOnItsPath) {
  ASSERT_EQ(Admin("POST", "/admin/fault", "kind=5xx&status=502&path=/fapi/v1/order").status, 200);
  EXPECT_EQ(Public("/fapi/v1/time").status, 200);  // another path
  EXPECT_EQ(Market("BUY", "0.010", "x").status, 502);
  EXPECT_EQ(Query("x").json().Int("/code"), -2013);  // never processed
  EXPECT_EQ(Market("BUY", "0.010", "x").status, 200);
}

TEST_F(FakeBinanceTest, Fault5xxAfterAcceptLeavesTheOrderPlaced) {
  ASSERT_EQ(Admin("POST", "/admin/fault", "kind=5xx&status=503&phase=after").status, 200);
  EXPECT_EQ(Market("BUY", "0.010", "placed").status, 503);
  EXPECT_EQ(Query("placed").json().Str("/status"), "FILLED");
}

TEST_F(FakeBinanceTest, FaultTimestampHitsTheNextSignedRequestOnce) {
  ASSERT_EQ(Admin("POST", "/admin/fault", "kind=timestamp").status, 200);
  EXPECT_EQ(Public("/fapi/v1/time").status, 200);  // public: untouched
  EXPECT_EQ(Call("GET", "/fapi/v1/openOrders", "").json().Int("/code"), -1021);
  EXPECT_EQ(Call("GET", "/fapi/v1/openOrders", "").status, 200);
}

TEST_F(FakeBinanceTest, FaultMarginNoSuchOrderAndDuplicateIdOnce) {
  ASSERT_EQ(Admin("POST", "/admin/fault", "kind=margin").status, 200);
  EXPECT_EQ(Market("BUY", "0.010", "m1").json().Int("/code"), -2019);
  EXPECT_EQ(Market("BUY", "0.010", "m1").json().Str("/status"), "FILLED");

  ASSERT_EQ(Admin("POST", "/admin/fault", "kind=no_such_order").status, 200);
  EXPECT_EQ(Query("m1").json().Int("/code"), -2013);
  EXPECT_EQ(Query("m1").json().Str("/status"), "FILLED");

  ASSERT_EQ(Admin("POST", "/admin/fault", "kind=duplicate_client_id").status, 200);
  EXPECT_EQ(Market("BUY", "0.010", "m2").json().Int("/code"), -4116);
  EXPECT_EQ(Query("m2").json().Int("/code"), -2013);
}

TEST_F(FakeBinanceTest, FaultDelayAfterAcceptTimesTheClientOutButTheOrderExists) {
  ASSERT_EQ(Admin("POST", "/admin/fault", "kind=delay&ms=60000&phase=after").status, 200);
  auto impatient = NewClient(std::chrono::milliseconds(300));
  const Answer late = Call("POST", "/fapi/v1/order",
                           "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.010&newClientOrderId=late-1", {},
                           impatient.get());
  EXPECT_EQ(late.status, 0);  // no answer in time
  const Json q = Query("late-1").json();
  EXPECT_EQ(q.Str("/status"), "FILLED");
  EXPECT_EQ(PositionRisk().Str("/0/positionAmt"), "0.01");
  // TearDown stops the server, which wakes the delayed request at once.
}

TEST_F(FakeBinanceTest, FaultDelayBeforeTimesTheClientOutBeforeAnythingHappens) {
  ASSERT_EQ(Admin("POST", "/admin/fault", "kind=delay&ms=60000&path=/fapi/v1/order&method=POST").status, 200);
  auto impatient = NewClient(std::chrono::milliseconds(300));
  EXPECT_EQ(Call("POST", "/fapi/v1/order",
                 "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.010&newClientOrderId=slow-1", {}, impatient.get())
                .status,
            0);
  EXPECT_EQ(Query("slow-1").json().Int("/code"), -2013);
}

TEST_F(FakeBinanceTest, FaultPartialFillFillsTheRestOnTheNextBar) {
  ASSERT_EQ(Admin("POST", "/admin/fault", "kind=partial_fill&percent=40").status, 200);
  const Json first = Market("BUY", "0.010", "part").json();
  EXPECT_EQ(first.Str("/status"), "PARTIALLY_FILLED");
  EXPECT_EQ(first.Str("/executedQty"), "0.004");
  EXPECT_EQ(Call("GET", "/fapi/v1/openOrders", "").json().Size(""), 1u);
  ASSERT_EQ(Bar1().status, 200);  // the rest at bar 1's open, 20010
  const Json done = Query("part").json();
  EXPECT_EQ(done.Str("/status"), "FILLED");
  EXPECT_EQ(done.Str("/executedQty"), "0.01");
  EXPECT_EQ(done.Str("/avgPrice"), "20006");
  EXPECT_EQ(PositionRisk().Str("/0/entryPrice"), "20006");
  EXPECT_EQ(OfType(Events(), "ORDER_TRADE_UPDATE").size(), 3u);  // NEW, TRADE, TRADE
}

TEST_F(FakeBinanceTest, FaultClosePositionByHandFlattensAndTellsTheUserStream) {
  ASSERT_EQ(Market("BUY", "0.010", "mine").status, 200);
  Events();
  const Answer a = Admin("POST", "/admin/fault", "kind=close_position");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(PositionRisk().Str("/0/positionAmt"), "0");
  const std::vector<std::string> events = Events();
  const std::vector<std::string> trades = OfType(events, "ORDER_TRADE_UPDATE");
  ASSERT_EQ(trades.size(), 2u);
  const Json fill(trades[1]);
  EXPECT_TRUE(absl::StartsWith(fill.Str("/o/c"), "web_manual_"));
  EXPECT_EQ(fill.Str("/o/R"), "true");
  EXPECT_EQ(fill.Str("/o/S"), "SELL");
  EXPECT_EQ(fill.Str("/o/X"), "FILLED");
  EXPECT_EQ(Json(OfType(events, "ACCOUNT_UPDATE").back()).Str("/a/P/0/pa"), "0");
  EXPECT_EQ(Admin("POST", "/admin/fault", "kind=close_position").status, 409);  // nothing left
}

TEST_F(FakeBinanceTest, FaultsThroughTheCppApiAndBadAdminInput) {
  ASSERT_TRUE(server_->faults().Add(RateLimited(3)).ok());
  EXPECT_EQ(Public("/fapi/v1/time").status, 429);
  ASSERT_TRUE(server_->faults().Add(EngineError(-2019, "POST", "/fapi/v1/order")).ok());
  EXPECT_EQ(Market("BUY", "0.010", "c").json().Int("/code"), -2019);
  EXPECT_EQ(Admin("POST", "/admin/fault", "kind=nonsense").status, 400);
  EXPECT_EQ(Admin("POST", "/admin/fault", "kind=429&count=0").status, 400);
  EXPECT_EQ(Admin("POST", "/admin/fault", "kind=delay").status, 400);
  ASSERT_EQ(Admin("POST", "/admin/fault", "kind=429&count=5").status, 200);
  EXPECT_EQ(Admin("DELETE", "/admin/fault").status, 200);
  EXPECT_EQ(Public("/fapi/v1/time").status, 200);
}

TEST_F(FakeBinanceTest, FaultCorruptSendsTheAnswerWithOneFieldReplaced) {
  ASSERT_EQ(Market("BUY", "0.010", "c1").status, 200);
  EXPECT_EQ(Admin("POST", "/admin/fault", "kind=corrupt&field=positionAmt&value=NaN").status, 400);  // path, method
  ASSERT_EQ(Admin("POST", "/admin/fault", "kind=corrupt&method=GET&path=/fapi/v2/positionRisk&field=positionAmt&value=NaN")
                .status,
            200);
  EXPECT_EQ(PositionRisk().Str("/0/positionAmt"), "NaN");
  EXPECT_EQ(PositionRisk().Str("/0/positionAmt"), "0.01");  // once
  EXPECT_EQ(CorruptJsonField(R"({"a":1,"b":"2","c":3})", "b", ""), R"({"a":1,"b":"","c":3})");
  EXPECT_EQ(CorruptJsonField(R"({"a":1,"b":"2","c":3})", "c", "x"), R"({"a":1,"b":"2","c":x})");
  EXPECT_EQ(CorruptJsonField(R"({"a":1})", "z", "x"), R"({"a":1})");
}

TEST_F(FakeBinanceTest, FaultForAWhileActsOnEveryMatchingRequestUntilItEnds) {
  ASSERT_EQ(Admin("POST", "/admin/fault", "kind=5xx&status=503&for_ms=200&path=/fapi/v1/time").status, 200);
  EXPECT_EQ(Public("/fapi/v1/time").status, 503);
  EXPECT_EQ(Public("/fapi/v1/time").status, 503);  // not consumed
  EXPECT_EQ(server_->faults().Pending().size(), 1u);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!server_->faults().Pending().empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(Public("/fapi/v1/time").status, 200);
}

TEST_F(FakeBinanceTest, UserTradesListEachFillWithItsCommission) {
  ASSERT_EQ(Market("BUY", "0.010", "t1").status, 200);
  ASSERT_EQ(Market("SELL", "0.004", "t2").status, 200);
  const Answer all = Call("GET", "/fapi/v1/userTrades", "symbol=BTCUSDT");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(all.json().Size(""), 2u);
  const Json first = all.json();
  EXPECT_EQ(first.Str("/0/side"), "BUY");
  EXPECT_EQ(first.Str("/0/price"), "20000");
  EXPECT_EQ(first.Str("/0/qty"), "0.01");
  EXPECT_EQ(first.Str("/0/commission"), "0.08");  // 0.01 x 20000 x 0.04 %
  EXPECT_EQ(first.Str("/0/commissionAsset"), "USDT");
  const int64_t order_id = Query("t2").json().Int("/orderId");
  const Answer one = Call("GET", "/fapi/v1/userTrades", absl::StrCat("symbol=BTCUSDT&orderId=", order_id));
  ASSERT_EQ(one.json().Size(""), 1u) << one.body;
  EXPECT_EQ(one.json().Int("/0/orderId"), order_id);
  EXPECT_EQ(Call("GET", "/fapi/v1/userTrades", "").json().Int("/code"), -1102);  // symbol
}

TEST_F(FakeBinanceTest, KlinesListTheClosedBarsUpToTheCurrentOne) {
  ASSERT_EQ(Bar1().status, 200);
  ASSERT_EQ(Bar1().status, 200);
  const Answer a = Public("/fapi/v1/klines?symbol=BTCUSDT&interval=5m&startTime=0&limit=2");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.json().Size(""), 2u);
  EXPECT_EQ(a.json().Int("/0/0"), kStartMs);
  EXPECT_EQ(a.json().Int("/0/6"), kStartMs + 300'000 - 1);
  EXPECT_EQ(a.json().Str("/1/2"), "20100");  // bar 1's high
  const Answer rest = Public(absl::StrCat("/fapi/v1/klines?symbol=BTCUSDT&interval=5m&startTime=", kStartMs + 1));
  EXPECT_EQ(rest.json().Size(""), 2u);  // bars 1 and 2; bar 3 is not closed yet
  EXPECT_EQ(Public("/fapi/v1/klines?symbol=BTCUSDT&interval=1h").status, 400);
}

TEST_F(FakeBinanceTest, AlgoOrderCancelledByHandTellsTheUserStream) {
  ASSERT_EQ(Market("BUY", "0.010", "h1").status, 200);
  ASSERT_EQ(Call("POST", "/fapi/v1/algoOrder",
                 "algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=STOP_MARKET&triggerPrice=19000"
                 "&quantity=0.010&reduceOnly=true&clientAlgoId=h1-sl")
                .status,
            200);
  Events();
  const Answer a = Admin("POST", "/admin/fault", "kind=cancel_algo&type=STOP_MARKET");
  ASSERT_EQ(a.status, 200) << a.body;
  const std::vector<std::string> algo = OfType(Events(), "ALGO_UPDATE");
  ASSERT_EQ(algo.size(), 1u);
  EXPECT_EQ(Json(algo[0]).Str("/o/caid"), "h1-sl");
  EXPECT_EQ(Json(algo[0]).Str("/o/X"), "CANCELED");
  EXPECT_EQ(Admin("POST", "/admin/fault", "kind=cancel_algo&type=STOP_MARKET").status, 409);  // none open
}

// ---- admin -----------------------------------------------------------------

TEST_F(FakeBinanceTest, AdminStateDumpsTheExchange) {
  ASSERT_EQ(Market("BUY", "0.010", "s1").status, 200);
  ASSERT_EQ(Call("POST", "/fapi/v1/algoOrder",
                 "algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=STOP_MARKET&triggerPrice=19000"
                 "&closePosition=true&clientAlgoId=s1-sl")
                .status,
            200);
  ASSERT_EQ(Admin("POST", "/admin/fault", "kind=429&path=/fapi/v1/order").status, 200);
  const Answer a = Admin("GET", "/admin/state");
  ASSERT_EQ(a.status, 200);
  const Json s = a.json();
  ASSERT_TRUE(s.ok()) << a.body;
  EXPECT_EQ(s.Str("/symbol"), "BTCUSDT");
  EXPECT_EQ(s.Int("/barIndex"), 0);
  EXPECT_EQ(s.Int("/barCount"), 6);
  EXPECT_EQ(s.Str("/bar/close"), "20000");
  EXPECT_EQ(s.Str("/walletBalance"), "9999.92");
  EXPECT_EQ(s.Str("/position/positionAmt"), "0.01");
  EXPECT_EQ(s.Str("/orders/0/clientOrderId"), "s1");
  EXPECT_EQ(s.Str("/algoOrders/0/clientAlgoId"), "s1-sl");
  EXPECT_EQ(s.Str("/faults/0/path"), "/fapi/v1/order");
  EXPECT_EQ(s.Int("/faults/0/httpStatus"), 429);

  const Answer bars = Admin("POST", "/admin/bar", "count=5");
  EXPECT_EQ(bars.json().Int("/barIndex"), 5);
  EXPECT_EQ(Admin("POST", "/admin/bar").status, 409);  // the recording is over
}

// ---- data and executable ---------------------------------------------------

#ifdef APOLLO_SOURCE_DIR
TEST(FakeBinanceBars, TheRecordedBtcusdtKlinesLoad) {
  absl::StatusOr<std::vector<Bar>> bars =
      ReadBarsCsv(std::string(APOLLO_SOURCE_DIR) + "/data/market/btcusdt_perp_5m_2023-01-02_2023-02-09.csv");
  ASSERT_TRUE(bars.ok()) << bars.status();
  EXPECT_EQ(bars->size(), 10'999u);
  EXPECT_EQ(bars->front().open_time_ms, 1672677900000);
  EXPECT_EQ(bars->front().close, *Fixed::Parse("16726.1"));
}
#endif

#ifdef FAKE_BINANCE_BIN
TEST(FakeBinanceCli, ListensOnAFreePortAnswersAndStopsOnSigterm) {
  const std::string data = ::testing::TempDir() + "/fake_binance_bars.csv";
  {
    std::FILE* f = std::fopen(data.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("open_time_ms,open,high,low,close,volume\n1672677900000,16727.3,16728.8,16726,16726.1,691.508\n", f);
    std::fclose(f);
  }
  auto p = testing::Process::Spawn(
      {FAKE_BINANCE_BIN, "--port", "0", "--data", data, "--api-key", kKey, "--secret", kSecret});
  ASSERT_TRUE(p.ok()) << p.status();
  const std::optional<std::string> line =
      (*p)->ReadLineStartingWith("fake-binance listening on 127.0.0.1:", std::chrono::seconds(30));
  ASSERT_TRUE(line.has_value()) << (*p)->err();
  int port = 0;
  ASSERT_TRUE(absl::SimpleAtoi(line->substr(line->rfind(':') + 1), &port)) << *line;
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(std::chrono::seconds(10));
  auto r = client.Get("/fapi/v1/exchangeInfo");
  ASSERT_TRUE(r);
  EXPECT_EQ(Json(r->body).Str("/symbols/0/symbol"), "BTCUSDT");
  ASSERT_TRUE((*p)->Signal(SIGTERM));
  const testing::ExitStatus st = (*p)->Wait(std::chrono::seconds(30));
  EXPECT_TRUE(st.Exited(0)) << st << "\n" << (*p)->err();
}

TEST(FakeBinanceCli, BadInputIsAOneLineErrorAndNonZeroExit) {
  auto p = testing::Process::Spawn(
      {FAKE_BINANCE_BIN, "--data", "/nonexistent/bars.csv", "--api-key", "k", "--secret", "s"});
  ASSERT_TRUE(p.ok()) << p.status();
  const testing::ExitStatus st = (*p)->Wait(std::chrono::seconds(30));
  EXPECT_TRUE(st.Exited(1)) << st;
  EXPECT_EQ((*p)->err(), "fake-binance: bar file /nonexistent/bars.csv cannot be opened\n");

  auto missing = testing::Process::Spawn({FAKE_BINANCE_BIN, "--port", "0"});
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE((*missing)->Wait(std::chrono::seconds(30)).Exited(0));
}
#endif

}  // namespace
}  // namespace apollo::fake_binance
