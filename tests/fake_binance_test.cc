// Tests for the fake Binance USDⓈ-M futures server (tools/fake_binance/):
// started in-process on a free loopback port with a manual clock and a few
// designed bars, driven over HTTP with requests signed here (OpenSSL HMAC,
// independently of the server's own code). Covers authentication, the
// recvWindow, market / limit / algo order matching and its account effects
// and user events, Binance's error codes, every injected fault, several
// symbols on one timeline (recorded ETHUSDT and SOLUSDT bars: orders,
// positions, tickers, the book and the market stream per symbol), and the
// `fake-binance` executable. Every wait is bounded; nothing sleeps to wait.
#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "engine/net/ws_client.h"
#include "simdjson.h"
#include "tests/support/process.h"
#include "tests/support/recorded_markets.h"
#include "tools/fake_binance/bars.h"
#include "tools/fake_binance/fake_exchange.h"
#include "tools/fake_binance/markets.h"
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

  // The exchange under test: BTCUSDT on the designed bars.
  virtual std::unique_ptr<FakeExchange> MakeExchange() {
    return std::make_unique<FakeExchange>(ExchangeConfig{}, DesignedBars(), [this] { return clock_ms_.load(); });
  }

  void Start(RateLimits limits) {
    exchange_ = MakeExchange();
    ASSERT_NE(exchange_, nullptr);
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

// ---- several symbols -------------------------------------------------------

// A designed bar at one price, volume 10.
Bar Flat(int64_t i, const char* price) {
  const Fixed p = *Fixed::Parse(price);
  return Bar{kStartMs + i * 300'000, p, p, p, p, Fixed::FromInt(10)};
}

Instrument Inst(const char* symbol, const char* base, const char* tick, const char* step) {
  Instrument inst;
  inst.symbol = symbol;
  inst.base_asset = base;
  inst.tick_size = *Fixed::Parse(tick);
  inst.step_size = *Fixed::Parse(step);
  return inst;
}

TEST(FakeBinanceMarkets, AMarketWithoutABarAtAStepKeepsItsLastBarAndSendsNothing) {
  // AAA has every bar 0..3; BBB starts earlier (bar -1, dropped), then
  // skips bar 1.
  std::vector<Market> markets = {
      {Inst("AAAUSDT", "AAA", "0.1", "0.001"), {Flat(0, "100"), Flat(1, "101"), Flat(2, "102"), Flat(3, "103")}},
      {Inst("BBBUSDT", "BBB", "0.1", "0.001"), {Flat(-1, "49"), Flat(0, "50"), Flat(2, "52"), Flat(3, "53")}}};
  ASSERT_TRUE(ValidateMarkets(markets).ok());
  FakeExchange ex(ExchangeConfig{}, std::move(markets), [] { return kStartMs; });
  EXPECT_EQ(ex.config().instrument.symbol, "AAAUSDT");
  EXPECT_EQ(ex.Symbols(), (std::vector<std::string>{"AAAUSDT", "BBBUSDT"}));
  EXPECT_EQ(ex.bar_count(), 4u);  // the union of open times from bar 0
  EXPECT_EQ(ex.CurrentBar("BBBUSDT").open_time_ms, kStartMs);
  EXPECT_EQ(ex.ClosedBars("BBBUSDT", 0, 10).size(), 1u);  // bar -1 is gone
  std::vector<std::string> closed;
  ex.SetBarSink([&](const std::string& symbol, const Bar& bar) {
    closed.push_back(absl::StrCat(symbol, "@", (bar.open_time_ms - kStartMs) / 300'000));
  });

  ASSERT_TRUE(ex.AdvanceBar().ok());
  EXPECT_EQ(closed, (std::vector<std::string>{"AAAUSDT@1"}));
  EXPECT_EQ(ex.CurrentBar("BBBUSDT").close, *Fixed::Parse("50"));  // kept
  ASSERT_TRUE(ex.AdvanceBar().ok());
  EXPECT_EQ(closed, (std::vector<std::string>{"AAAUSDT@1", "AAAUSDT@2", "BBBUSDT@2"}));
  EXPECT_EQ(ex.CurrentBar("BBBUSDT").close, *Fixed::Parse("52"));
  EXPECT_EQ(ex.bar_index(), 2u);
}

TEST(FakeBinanceMarkets, DuplicateSymbolsAndMarketsThatNeverOverlapAreRefused) {
  const Instrument a = Inst("AAAUSDT", "AAA", "0.1", "0.001");
  EXPECT_FALSE(ValidateMarkets({}).ok());
  EXPECT_FALSE(ValidateMarkets({{a, {Flat(0, "1")}}, {a, {Flat(0, "1")}}}).ok());
  EXPECT_FALSE(ValidateMarkets({{a, {}}}).ok());
  const absl::Status apart =
      ValidateMarkets({{a, {Flat(0, "1"), Flat(1, "1")}}, {Inst("BBBUSDT", "BBB", "0.1", "0.001"), {Flat(5, "1")}}});
  EXPECT_TRUE(absl::StrContains(apart.message(), "AAAUSDT's bars end")) << apart;
}

#ifdef APOLLO_SOURCE_DIR
using testing::kEthCsv;
using testing::kSolCsv;
constexpr int64_t kSolFirstOpenMs = 1689678900000;  // 2023-07-18 11:15 UTC: the later first bar
constexpr int64_t kDayMs = 86'400'000;

std::vector<Bar> RecordedBars(const char* file) {
  absl::StatusOr<std::vector<Bar>> bars = ReadBarsCsv(absl::StrCat(APOLLO_SOURCE_DIR, "/", file));
  EXPECT_TRUE(bars.ok()) << bars.status();
  return bars.ok() ? *std::move(bars) : std::vector<Bar>{};
}

// ETHUSDT (tick 0.01, step 0.001) and SOLUSDT (tick 0.001, step 1) from
// their recorded 5m klines (tests/support/recorded_markets.h); ETH's start
// three weeks earlier.
class FakeBinanceTwoSymbolsTest : public FakeBinanceTest {
 protected:
  std::unique_ptr<FakeExchange> MakeExchange() override {
    absl::StatusOr<std::vector<fake_binance::Market>> markets = testing::EthAndSolMarkets(APOLLO_SOURCE_DIR);
    if (!markets.ok() || !ValidateMarkets(*markets).ok()) return nullptr;
    return std::make_unique<FakeExchange>(ExchangeConfig{}, *std::move(markets), [this] { return clock_ms_.load(); });
  }

  Answer Order(const std::string& symbol, const std::string& side, const std::string& qty,
               const std::string& client_id) {
    return Call("POST", "/fapi/v1/order",
                absl::StrCat("symbol=", symbol, "&side=", side, "&type=MARKET&quantity=", qty,
                             "&newClientOrderId=", client_id, "&newOrderRespType=RESULT"));
  }
  Answer Limit(const std::string& symbol, const std::string& side, const std::string& qty, const std::string& price) {
    return Call("POST", "/fapi/v1/order",
                absl::StrCat("symbol=", symbol, "&side=", side, "&type=LIMIT&timeInForce=GTC&quantity=", qty,
                             "&price=", price));
  }
  std::string Weight(const std::string& path) { return Public(path).Header("X-MBX-USED-WEIGHT-1M"); }
};

TEST_F(FakeBinanceTwoSymbolsTest, TheTimelineStartsAtTheLaterFirstBarAndAdvancesBothSymbols) {
  EXPECT_EQ(exchange_->Symbols(), (std::vector<std::string>{"ETHUSDT", "SOLUSDT"}));
  EXPECT_EQ(exchange_->config().instrument.symbol, "ETHUSDT");
  EXPECT_EQ(exchange_->bar_count(), 8'639u);  // SOL's bars; ETH's earlier ones are dropped
  EXPECT_EQ(exchange_->CurrentBar("ETHUSDT").open_time_ms, kSolFirstOpenMs);
  EXPECT_EQ(exchange_->CurrentBar("ETHUSDT").close, *Fixed::Parse("1904.82"));
  EXPECT_EQ(exchange_->CurrentBar("SOLUSDT").open_time_ms, kSolFirstOpenMs);
  EXPECT_EQ(exchange_->CurrentBar("SOLUSDT").close, *Fixed::Parse("25.585"));
  const Answer eth = Public("/fapi/v1/klines?symbol=ETHUSDT&interval=5m&startTime=0");
  ASSERT_EQ(eth.status, 200) << eth.body;
  EXPECT_EQ(eth.json().Size(""), 1u);

  const Answer bar = Admin("POST", "/admin/bar", "count=2");
  ASSERT_EQ(bar.status, 200) << bar.body;
  EXPECT_EQ(bar.json().Int("/barIndex"), 2);
  for (const char* symbol : {"ETHUSDT", "SOLUSDT"}) {
    const Json k = Public(absl::StrCat("/fapi/v1/klines?symbol=", symbol, "&interval=5m&startTime=0")).json();
    ASSERT_EQ(k.Size(""), 3u) << symbol;
    EXPECT_EQ(k.Int("/2/0"), kSolFirstOpenMs + 600'000) << symbol;
  }
  EXPECT_EQ(Public("/fapi/v1/klines?symbol=SOLUSDT&interval=5m").json().Str("/2/4"), "25.523");  // SOL's 3rd close
  EXPECT_EQ(Public("/fapi/v1/klines?symbol=BTCUSDT&interval=5m").json().Int("/code"), -1121);
}

TEST_F(FakeBinanceTwoSymbolsTest, AnOrderFillsAtItsOwnSymbolsCloseAndLeavesTheOtherPositionAlone) {
  const Answer eth = Order("ETHUSDT", "BUY", "0.100", "eth-1");
  ASSERT_EQ(eth.status, 200) << eth.body;
  EXPECT_EQ(eth.json().Str("/symbol"), "ETHUSDT");
  EXPECT_EQ(eth.json().Str("/avgPrice"), "1904.82");
  EXPECT_EQ(Call("GET", "/fapi/v2/positionRisk", "symbol=SOLUSDT").json().Str("/0/positionAmt"), "0");

  const Answer sol = Order("SOLUSDT", "SELL", "10", "sol-1");
  ASSERT_EQ(sol.status, 200) << sol.body;
  EXPECT_EQ(sol.json().Str("/avgPrice"), "25.585");
  EXPECT_EQ(Call("GET", "/fapi/v2/positionRisk", "symbol=ETHUSDT").json().Str("/0/positionAmt"), "0.1");
  EXPECT_EQ(Call("GET", "/fapi/v2/positionRisk", "symbol=SOLUSDT").json().Str("/0/positionAmt"), "-10");
  // The user stream's ACCOUNT_UPDATE carries the symbol that changed.
  const Json update(OfType(Events(), "ACCOUNT_UPDATE").back());
  ASSERT_EQ(update.Size("/a/P"), 1u);
  EXPECT_EQ(update.Str("/a/P/0/s"), "SOLUSDT");
  EXPECT_EQ(update.Str("/a/P/0/pa"), "-10");

  // Each symbol's filters and position: SOL trades whole coins, ETH's tick
  // is 0.01, reduce-only looks at the order's own symbol.
  EXPECT_EQ(Order("SOLUSDT", "BUY", "0.5", "x").json().Int("/code"), -1111);
  EXPECT_EQ(Limit("ETHUSDT", "BUY", "0.010", "1900.005").json().Int("/code"), -1111);
  EXPECT_EQ(Limit("SOLUSDT", "BUY", "1", "4.000").json().Int("/code"), -4164);  // 4 USDT < 5
  EXPECT_EQ(Call("POST", "/fapi/v1/order", "symbol=SOLUSDT&side=SELL&type=MARKET&quantity=1&reduceOnly=true")
                .json()
                .Int("/code"),
            -2022);  // SOL is short: a sell adds to it
  EXPECT_EQ(Order("DOGEUSDT", "BUY", "1", "x").json().Int("/code"), -1121);

  // A bar later each position is marked at its own close.
  ASSERT_EQ(Bar1().status, 200);
  const AccountSnapshot account = exchange_->Account();
  ASSERT_EQ(account.positions.size(), 2u);
  const PositionSnapshot* eth_pos = account.Find("ETHUSDT");
  const PositionSnapshot* sol_pos = account.Find("SOLUSDT");
  ASSERT_TRUE(eth_pos != nullptr && sol_pos != nullptr);
  EXPECT_EQ(eth_pos->mark_price, exchange_->CurrentBar("ETHUSDT").close);
  EXPECT_EQ(sol_pos->mark_price, exchange_->CurrentBar("SOLUSDT").close);
  EXPECT_EQ(account.unrealized_pnl, eth_pos->unrealized_pnl + sol_pos->unrealized_pnl);
  EXPECT_EQ(account.position.symbol, "ETHUSDT");
}

TEST_F(FakeBinanceTwoSymbolsTest, PositionRiskAndAccountListEverySymbolWithItsOwnLeverage) {
  const Json flat = Call("GET", "/fapi/v2/positionRisk", "").json();
  ASSERT_EQ(flat.Size(""), 2u);
  EXPECT_EQ(flat.Str("/0/symbol"), "ETHUSDT");
  EXPECT_EQ(flat.Str("/1/symbol"), "SOLUSDT");
  EXPECT_EQ(Call("GET", "/fapi/v3/positionRisk", "").json().Size(""), 0u);
  EXPECT_EQ(Call("GET", "/fapi/v2/positionRisk", "symbol=BTCUSDT").json().Int("/code"), -1121);

  const Answer lev = Call("POST", "/fapi/v1/leverage", "symbol=SOLUSDT&leverage=5");
  ASSERT_EQ(lev.status, 200) << lev.body;
  EXPECT_EQ(lev.json().Str("/symbol"), "SOLUSDT");
  ASSERT_EQ(Call("POST", "/fapi/v1/marginType", "symbol=SOLUSDT&marginType=ISOLATED").status, 200);
  EXPECT_EQ(exchange_->leverage("SOLUSDT"), 5);
  EXPECT_EQ(exchange_->leverage("ETHUSDT"), 20);
  EXPECT_EQ(exchange_->margin_type("SOLUSDT"), "ISOLATED");
  EXPECT_EQ(exchange_->margin_type(), "CROSSED");  // the first symbol's

  ASSERT_EQ(Order("ETHUSDT", "BUY", "1.000", "e").status, 200);   // 1904.82 notional, 20x: 95.241
  ASSERT_EQ(Order("SOLUSDT", "BUY", "100", "s").status, 200);     // 2558.5 notional, 5x: 511.7
  const Json v2 = Call("GET", "/fapi/v2/positionRisk", "").json();
  EXPECT_EQ(v2.Str("/0/leverage"), "20");
  EXPECT_EQ(v2.Str("/1/leverage"), "5");
  EXPECT_EQ(v2.Str("/1/marginType"), "isolated");
  const Json v3 = Call("GET", "/fapi/v3/positionRisk", "").json();
  ASSERT_EQ(v3.Size(""), 2u);
  EXPECT_EQ(v3.Str("/0/initialMargin"), "95.241");
  EXPECT_EQ(v3.Str("/1/initialMargin"), "511.7");
  const Json acct = Call("GET", "/fapi/v2/account", "").json();
  ASSERT_EQ(acct.Size("/positions"), 2u);
  EXPECT_EQ(acct.Str("/positions/1/symbol"), "SOLUSDT");
  EXPECT_EQ(acct.Str("/positions/1/positionAmt"), "100");
  EXPECT_EQ(acct.Str("/totalPositionInitialMargin"), "606.941");  // cross: both symbols
  EXPECT_EQ(Call("GET", "/fapi/v3/account", "").json().Size("/positions"), 2u);
  // Changing SOL's margin type now is refused for SOL's position alone.
  EXPECT_EQ(Call("POST", "/fapi/v1/marginType", "symbol=SOLUSDT&marginType=CROSSED").json().Int("/code"), -4048);
}

TEST_F(FakeBinanceTwoSymbolsTest, OpenOrdersAndTradesAreKeptPerSymbol) {
  ASSERT_EQ(Limit("ETHUSDT", "BUY", "0.010", "1800.00").status, 200);
  const Answer sol_limit = Limit("SOLUSDT", "BUY", "1", "20.000");
  ASSERT_EQ(sol_limit.status, 200) << sol_limit.body;
  const Answer all = Call("GET", "/fapi/v1/openOrders", "");
  EXPECT_EQ(all.json().Size(""), 2u);
  EXPECT_EQ(all.Header("X-MBX-USED-WEIGHT-1M"), "40");
  const Json sol = Call("GET", "/fapi/v1/openOrders", "symbol=SOLUSDT").json();
  ASSERT_EQ(sol.Size(""), 1u);
  EXPECT_EQ(sol.Str("/0/symbol"), "SOLUSDT");
  // An order is found under its own symbol only.
  const std::string sol_id = absl::StrCat(sol_limit.json().Int("/orderId"));
  EXPECT_EQ(Call("GET", "/fapi/v1/order", "symbol=ETHUSDT&orderId=" + sol_id).json().Int("/code"), -2013);
  EXPECT_EQ(Call("GET", "/fapi/v1/order", "symbol=SOLUSDT&orderId=" + sol_id).json().Str("/status"), "NEW");

  ASSERT_EQ(Call("POST", "/fapi/v1/algoOrder",
                 "algoType=CONDITIONAL&symbol=SOLUSDT&side=SELL&type=STOP_MARKET&triggerPrice=20.000&quantity=1")
                .status,
            200);
  EXPECT_EQ(Call("GET", "/fapi/v1/openAlgoOrders", "").json().Size(""), 1u);
  EXPECT_EQ(Call("GET", "/fapi/v1/openAlgoOrders", "symbol=ETHUSDT").json().Size(""), 0u);
  EXPECT_EQ(Admin("POST", "/admin/fault", "kind=cancel_algo&type=STOP_MARKET&symbol=ETHUSDT").status, 409);
  EXPECT_EQ(Admin("POST", "/admin/fault", "kind=cancel_algo&type=STOP_MARKET&symbol=SOLUSDT").status, 200);

  ASSERT_EQ(Order("ETHUSDT", "BUY", "0.010", "t-eth").status, 200);
  ASSERT_EQ(Order("SOLUSDT", "BUY", "2", "t-sol").status, 200);
  const Json trades = Call("GET", "/fapi/v1/userTrades", "symbol=SOLUSDT").json();
  ASSERT_EQ(trades.Size(""), 1u);
  EXPECT_EQ(trades.Str("/0/symbol"), "SOLUSDT");
  EXPECT_EQ(trades.Str("/0/qty"), "2");

  // Funding is settled per symbol, on that symbol's position.
  Events();
  const Fixed paid = exchange_->SettleFunding("SOLUSDT", *Fixed::Parse("0.001"));
  EXPECT_EQ(paid, -*Fixed::Parse("0.05117"));  // 2 x 25.585 x 0.1 %
  const Json funding(OfType(Events(), "ACCOUNT_UPDATE").back());
  EXPECT_EQ(funding.Str("/a/m"), "FUNDING_FEE");
  EXPECT_EQ(funding.Str("/a/P/0/s"), "SOLUSDT");
  ASSERT_TRUE(exchange_->ClosePositionByHand("SOLUSDT").ok());
  EXPECT_TRUE(exchange_->Account().Find("SOLUSDT")->position.qty.is_zero());
  EXPECT_FALSE(exchange_->Account().Find("ETHUSDT")->position.qty.is_zero());
}

TEST_F(FakeBinanceTwoSymbolsTest, ExchangeInfoListsBothSymbolsWithTheirFilters) {
  const Json j = Public("/fapi/v1/exchangeInfo").json();
  ASSERT_EQ(j.Size("/symbols"), 2u);
  EXPECT_EQ(j.Str("/symbols/0/symbol"), "ETHUSDT");
  EXPECT_EQ(j.Str("/symbols/0/baseAsset"), "ETH");
  EXPECT_EQ(j.Str("/symbols/0/filters/0/tickSize"), "0.01");
  EXPECT_EQ(j.Str("/symbols/0/filters/1/stepSize"), "0.001");
  EXPECT_EQ(j.Str("/symbols/1/symbol"), "SOLUSDT");
  EXPECT_EQ(j.Str("/symbols/1/baseAsset"), "SOL");
  EXPECT_EQ(j.Str("/symbols/1/filters/0/tickSize"), "0.001");
  EXPECT_EQ(j.Str("/symbols/1/filters/1/stepSize"), "1");
  EXPECT_EQ(j.Int("/symbols/1/pricePrecision"), 3);
  EXPECT_EQ(j.Int("/symbols/1/quantityPrecision"), 0);
  EXPECT_EQ(j.Str("/assets/2/asset"), "SOL");
}

TEST_F(FakeBinanceTwoSymbolsTest, Ticker24hSummarisesTheLastDayOfEachSymbolsBars) {
  constexpr int kSteps = 300;  // past one day (288 bars) of the shared timeline
  ASSERT_EQ(Admin("POST", "/admin/bar", absl::StrCat("count=", kSteps)).status, 200);
  const Answer a = Public("/fapi/v1/ticker/24hr?symbol=SOLUSDT");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.Header("X-MBX-USED-WEIGHT-1M"), "1");

  // The same day computed here from the file: the 288 bars opening less
  // than 24 h before the current one, and the current one.
  const std::vector<Bar> bars = RecordedBars(kSolCsv);
  const Bar& current = bars[kSteps];
  ASSERT_EQ(current.open_time_ms, kSolFirstOpenMs + kSteps * 300'000);
  Fixed volume, quote_volume, high = current.high, low = current.low;
  std::vector<Bar> day;
  for (const Bar& b : bars) {
    if (b.open_time_ms <= current.open_time_ms - kDayMs || b.open_time_ms > current.open_time_ms) continue;
    day.push_back(b);
    volume += b.volume;
    quote_volume += b.volume.Mul(b.close);
    high = std::max(high, b.high);
    low = std::min(low, b.low);
  }
  ASSERT_EQ(day.size(), 288u);
  const Json t = a.json();
  EXPECT_EQ(t.Str("/symbol"), "SOLUSDT");
  EXPECT_EQ(t.Str("/volume"), volume.ToString());
  EXPECT_EQ(t.Str("/quoteVolume"), quote_volume.ToString());
  EXPECT_EQ(t.Str("/openPrice"), day.front().open.ToString());
  EXPECT_EQ(t.Str("/lastPrice"), current.close.ToString());
  EXPECT_EQ(t.Str("/highPrice"), high.ToString());
  EXPECT_EQ(t.Str("/lowPrice"), low.ToString());
  EXPECT_EQ(t.Str("/priceChange"), (current.close - day.front().open).ToString());
  EXPECT_EQ(t.Int("/openTime"), day.front().open_time_ms);
  EXPECT_EQ(t.Int("/closeTime"), current.open_time_ms + 300'000 - 1);
  double pct = 0, avg = 0;
  ASSERT_TRUE(absl::SimpleAtod(t.Str("/priceChangePercent"), &pct));
  ASSERT_TRUE(absl::SimpleAtod(t.Str("/weightedAvgPrice"), &avg));
  const double open = day.front().open.ToDouble(), last = current.close.ToDouble();
  EXPECT_NEAR(pct, (last - open) / open * 100, 0.001);
  EXPECT_NEAR(avg, quote_volume.ToDouble() / volume.ToDouble(), 1e-6);
  for (const char* field : {"/lastQty", "/firstId", "/lastId", "/count"}) EXPECT_NE(t.Str(field), "<missing>");

  const Answer all = Public("/fapi/v1/ticker/24hr");
  ASSERT_EQ(all.json().Size(""), 2u);
  EXPECT_EQ(all.json().Str("/0/symbol"), "ETHUSDT");
  EXPECT_EQ(all.json().Str("/1/quoteVolume"), quote_volume.ToString());
  EXPECT_EQ(all.Header("X-MBX-USED-WEIGHT-1M"), "41");  // 40 without a symbol
  EXPECT_EQ(Public("/fapi/v1/ticker/24hr?symbol=BTCUSDT").json().Int("/code"), -1121);
}

TEST_F(FakeBinanceTwoSymbolsTest, AVolumeScaleMultipliesOneSymbolsTickerVolumes) {
  const Answer before = Public("/fapi/v1/ticker/24hr?symbol=SOLUSDT");
  ASSERT_EQ(before.status, 200) << before.body;
  const Fixed volume = *Fixed::Parse(before.json().Str("/volume"));
  ASSERT_EQ(Admin("POST", "/admin/market", "symbol=SOLUSDT&volume_scale=10").status, 200);
  const Answer after = Public("/fapi/v1/ticker/24hr?symbol=SOLUSDT");
  EXPECT_EQ(*Fixed::Parse(after.json().Str("/volume")), volume.Mul(Fixed::FromInt(10)));
  EXPECT_EQ(Public("/fapi/v1/ticker/24hr?symbol=ETHUSDT").json().Str("/symbol"), "ETHUSDT");
  EXPECT_EQ(Admin("POST", "/admin/market", "symbol=SOLUSDT&volume_scale=0").status, 400);
  EXPECT_EQ(Admin("POST", "/admin/market", "symbol=SOLUSDT&volume_scale=-1").status, 400);
}

TEST_F(FakeBinanceTwoSymbolsTest, PremiumIndexReportsEachSymbolsFundingRate) {
  EXPECT_EQ(Public("/fapi/v1/premiumIndex?symbol=SOLUSDT").json().Str("/lastFundingRate"), "0.0001");  // default
  const Answer set = Admin("POST", "/admin/market", "symbol=SOLUSDT&funding_rate=-0.0005");
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(set.json().Str("/premiumIndex/lastFundingRate"), "-0.0005");
  ASSERT_TRUE(exchange_->SetFundingRate("ETHUSDT", *Fixed::Parse("0.0003")).ok());

  const Answer sol = Public("/fapi/v1/premiumIndex?symbol=SOLUSDT");
  ASSERT_EQ(sol.status, 200) << sol.body;
  EXPECT_EQ(sol.Header("X-MBX-USED-WEIGHT-1M"), "2");  // 1 each
  const Json j = sol.json();
  EXPECT_EQ(j.Str("/symbol"), "SOLUSDT");
  EXPECT_EQ(j.Str("/markPrice"), "25.585");
  EXPECT_EQ(j.Str("/indexPrice"), "25.585");
  EXPECT_EQ(j.Str("/lastFundingRate"), "-0.0005");
  EXPECT_EQ(j.Str("/interestRate"), "0.00010000");
  const int64_t period = 8 * 3'600'000;
  EXPECT_EQ(j.Int("/nextFundingTime"), (clock_ms_.load() / period + 1) * period);
  EXPECT_EQ(j.Int("/time"), clock_ms_.load());

  const Answer all = Public("/fapi/v1/premiumIndex");
  ASSERT_EQ(all.json().Size(""), 2u);
  EXPECT_EQ(all.json().Str("/0/lastFundingRate"), "0.0003");
  EXPECT_EQ(all.json().Str("/1/lastFundingRate"), "-0.0005");
  EXPECT_EQ(all.Header("X-MBX-USED-WEIGHT-1M"), "12");  // 10 without a symbol
  EXPECT_EQ(Admin("POST", "/admin/market", "symbol=BTCUSDT&funding_rate=0.1").status, 400);
  EXPECT_EQ(Admin("POST", "/admin/market", "symbol=SOLUSDT&funding_rate=lots").status, 400);
  EXPECT_EQ(Public("/fapi/v1/premiumIndex?symbol=SOLUSDT").json().Str("/lastFundingRate"), "-0.0005");
}

TEST_F(FakeBinanceTwoSymbolsTest, BookTickerStraddlesTheCloseAndWidensWithTheSpread) {
  const Answer tight = Public("/fapi/v1/ticker/bookTicker?symbol=ETHUSDT");
  ASSERT_EQ(tight.status, 200) << tight.body;
  EXPECT_EQ(tight.Header("X-MBX-USED-WEIGHT-1M"), "2");
  EXPECT_EQ(tight.json().Str("/bidPrice"), "1904.82");  // the close, on the tick grid
  EXPECT_EQ(tight.json().Str("/askPrice"), "1904.83");  // one tick above
  EXPECT_EQ(tight.json().Str("/bidQty"), "10");

  ASSERT_EQ(Admin("POST", "/admin/market", "symbol=ETHUSDT&spread=0.002").status, 200);
  const Json wide = Public("/fapi/v1/ticker/bookTicker?symbol=ETHUSDT").json();
  const Fixed bid = *Fixed::Parse(wide.Str("/bidPrice")), ask = *Fixed::Parse(wide.Str("/askPrice"));
  const Fixed close = *Fixed::Parse("1904.82"), tick = *Fixed::Parse("0.01");
  EXPECT_LE(bid, close);
  EXPECT_GE(ask, close);
  EXPECT_EQ(bid.raw() % tick.raw(), 0);
  EXPECT_EQ(ask.raw() % tick.raw(), 0);
  const Fixed width = close.Mul(*Fixed::Parse("0.002"));  // 3.80964
  EXPECT_LE((ask - bid - width).Abs(), tick + tick) << bid.ToString() << " " << ask.ToString();

  const Answer all = Public("/fapi/v1/ticker/bookTicker");
  ASSERT_EQ(all.json().Size(""), 2u);
  EXPECT_EQ(all.json().Str("/1/bidPrice"), "25.585");  // SOL untouched
  EXPECT_EQ(all.json().Str("/1/askPrice"), "25.586");
  EXPECT_EQ(all.Header("X-MBX-USED-WEIGHT-1M"), "9");  // 2 + 2 + 5 without a symbol
  EXPECT_EQ(Admin("POST", "/admin/market", "symbol=ETHUSDT&spread=1.5").status, 400);
  EXPECT_EQ(Public("/fapi/v1/ticker/bookTicker?symbol=XRPUSDT").json().Int("/code"), -1121);
}

// Stream messages, collected on the client's thread.
class Inbox {
 public:
  void Push(std::string_view text) {
    std::lock_guard<std::mutex> lock(mu_);
    messages_.emplace_back(text);
    cv_.notify_all();
  }
  // Every message so far once there are at least n (bounded wait).
  std::vector<std::string> WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(10), [&] { return messages_.size() >= n; });
    return messages_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> messages_;
};

TEST_F(FakeBinanceTwoSymbolsTest, TheStreamSendsEachSymbolsBookMarkPriceAndKlinePerBar) {
  ASSERT_TRUE(server_->StartWs(0).ok());
  Inbox inbox;
  net::WsClientOptions o;
  o.url = absl::StrCat("ws://127.0.0.1:", server_->ws_port(),
                       "/stream?streams=ethusdt@kline_5m/ethusdt@markPrice/ethusdt@bookTicker/solusdt@kline_5m/"
                       "solusdt@markPrice/solusdt@bookTicker");
  o.ping_interval_ms = 0;
  o.on_message = [&](std::string_view text) { inbox.Push(text); };
  net::WsClient client(std::move(o));
  ASSERT_TRUE(client.Start().ok());
  ASSERT_TRUE(server_->WaitForWsClients("/stream", 1, 10'000));
  ASSERT_TRUE(exchange_->SetFundingRate("SOLUSDT", *Fixed::Parse("0.0002")).ok());
  ASSERT_TRUE(exchange_->SetSpread("SOLUSDT", *Fixed::Parse("0.002")).ok());

  ASSERT_EQ(Bar1().status, 200);
  const std::vector<std::string> got = inbox.WaitFor(6);
  ASSERT_EQ(got.size(), 6u);
  const std::vector<std::string> streams = {"ethusdt@bookTicker", "ethusdt@markPrice", "ethusdt@kline_5m",
                                            "solusdt@bookTicker", "solusdt@markPrice", "solusdt@kline_5m"};
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ(Json(got[i]).Str("/stream"), streams[i]) << got[i];
  EXPECT_EQ(Json(got[2]).Str("/data/s"), "ETHUSDT");
  EXPECT_EQ(Json(got[2]).Int("/data/k/t"), kSolFirstOpenMs + 300'000);
  EXPECT_EQ(Json(got[2]).Str("/data/k/c"), exchange_->CurrentBar("ETHUSDT").close.ToString());
  // The book as GET /fapi/v1/ticker/bookTicker gives it: SOL's 0.2 % wide.
  auto sol_book = exchange_->BookTicker("SOLUSDT");
  ASSERT_TRUE(sol_book.ok());
  EXPECT_EQ(Json(got[3]).Str("/data/e"), "bookTicker");
  EXPECT_EQ(Json(got[3]).Str("/data/b"), sol_book->bid_price.ToString());
  EXPECT_EQ(Json(got[3]).Str("/data/a"), sol_book->ask_price.ToString());
  EXPECT_GT(sol_book->ask_price - sol_book->bid_price, *Fixed::Parse("0.04"));
  EXPECT_EQ(Json(got[4]).Str("/data/r"), "0.0002");
  EXPECT_EQ(Json(got[5]).Str("/data/s"), "SOLUSDT");
  EXPECT_EQ(Json(got[5]).Str("/data/k/s"), "SOLUSDT");
  EXPECT_EQ(Json(got[5]).Str("/data/k/c"), "25.536");
  EXPECT_EQ(Json(got[5]).Str("/data/k/x"), "true");

  // The kline drill, for one symbol: its book, mark price and kline again.
  ASSERT_EQ(Admin("POST", "/admin/ws", "kind=kline&back=1&symbol=SOLUSDT").status, 200);
  const std::vector<std::string> again = inbox.WaitFor(9);
  ASSERT_EQ(again.size(), 9u);
  EXPECT_EQ(Json(again[8]).Str("/stream"), "solusdt@kline_5m");
  EXPECT_EQ(Json(again[8]).Int("/data/k/t"), kSolFirstOpenMs);
  EXPECT_EQ(Admin("POST", "/admin/ws", "kind=kline&symbol=XRPUSDT").status, 400);
  client.Stop();
}
#endif  // APOLLO_SOURCE_DIR

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
// The fake-binance executable started with `args` after its port, key and
// secret, and a client on the port it printed; a null process on failure.
struct RunningFake {
  std::unique_ptr<testing::Process> process;
  std::unique_ptr<httplib::Client> client;
};
RunningFake StartFake(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {FAKE_BINANCE_BIN, "--port", "0", "--api-key", kKey, "--secret", kSecret};
  argv.insert(argv.end(), args.begin(), args.end());
  auto p = testing::Process::Spawn(argv);
  EXPECT_TRUE(p.ok()) << p.status();
  if (!p.ok()) return {};
  const std::optional<std::string> line =
      (*p)->ReadLineStartingWith("fake-binance listening on 127.0.0.1:", std::chrono::seconds(30));
  int port = 0;
  EXPECT_TRUE(line.has_value() && absl::SimpleAtoi(line->substr(line->rfind(':') + 1), &port)) << (*p)->err();
  if (port == 0) return {};
  auto client = std::make_unique<httplib::Client>("127.0.0.1", port);
  client->set_read_timeout(std::chrono::seconds(10));
  return {*std::move(p), std::move(client)};
}

// SIGTERM, then a clean exit.
void StopFake(testing::Process& p) {
  ASSERT_TRUE(p.Signal(SIGTERM));
  const testing::ExitStatus st = p.Wait(std::chrono::seconds(30));
  EXPECT_TRUE(st.Exited(0)) << st << "\n" << p.err();
}

TEST(FakeBinanceCli, ListensOnAFreePortAnswersAndStopsOnSigterm) {
  const std::string data = ::testing::TempDir() + "/fake_binance_bars.csv";
  {
    std::FILE* f = std::fopen(data.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("open_time_ms,open,high,low,close,volume\n1672677900000,16727.3,16728.8,16726,16726.1,691.508\n", f);
    std::fclose(f);
  }
  RunningFake fake = StartFake({"--data", data});
  ASSERT_NE(fake.process, nullptr);
  auto r = fake.client->Get("/fapi/v1/exchangeInfo");
  ASSERT_TRUE(r);
  EXPECT_EQ(Json(r->body).Str("/symbols/0/symbol"), "BTCUSDT");
  StopFake(*fake.process);
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

#ifdef APOLLO_SOURCE_DIR
TEST(FakeBinanceCli, TwoDataFilesServeTwoSymbolsFromTheStartBarOfTheSharedTimeline) {
  const std::string dir = absl::StrCat(APOLLO_SOURCE_DIR, "/");
  RunningFake fake = StartFake({"--data", dir + kEthCsv, "--symbol", "ETHUSDT", "--tick-size", "0.01",
                                "--data", dir + kSolCsv, "--symbol", "SOLUSDT", "--tick-size", "0.001",
                                "--step-size", "0.001", "--step-size", "1", "--start-bar", "10"});
  ASSERT_NE(fake.process, nullptr);
  httplib::Client& client = *fake.client;
  auto info = client.Get("/fapi/v1/exchangeInfo");
  ASSERT_TRUE(info);
  const Json j(info->body);
  ASSERT_EQ(j.Size("/symbols"), 2u);
  EXPECT_EQ(j.Str("/symbols/0/symbol"), "ETHUSDT");
  EXPECT_EQ(j.Str("/symbols/0/filters/0/tickSize"), "0.01");
  EXPECT_EQ(j.Str("/symbols/1/symbol"), "SOLUSDT");
  EXPECT_EQ(j.Str("/symbols/1/filters/0/tickSize"), "0.001");
  EXPECT_EQ(j.Str("/symbols/1/filters/1/stepSize"), "1");
  for (const char* symbol : {"ETHUSDT", "SOLUSDT"}) {
    auto k = client.Get(absl::StrCat("/fapi/v1/klines?symbol=", symbol, "&interval=5m&limit=1500"));
    ASSERT_TRUE(k);
    EXPECT_EQ(Json(k->body).Size(""), 1u) << k->body;
    EXPECT_EQ(Json(k->body).Int("/0/0"), kSolFirstOpenMs + 10 * 300'000) << symbol;
  }
  auto tickers = client.Get("/fapi/v1/ticker/bookTicker");
  ASSERT_TRUE(tickers);
  EXPECT_EQ(Json(tickers->body).Size(""), 2u);
  StopFake(*fake.process);
}

TEST(FakeBinanceCli, DataAndSymbolsThatDoNotPairAreOneLineAndExit2) {
  const std::string eth = absl::StrCat(APOLLO_SOURCE_DIR, "/", kEthCsv), sol = absl::StrCat(APOLLO_SOURCE_DIR, "/", kSolCsv);
  const std::vector<std::string> base = {FAKE_BINANCE_BIN, "--api-key", "k", "--secret", "s", "--data", eth,
                                         "--data", sol};
  struct Case {
    std::vector<std::string> extra;
    std::string err;
  };
  const std::vector<Case> cases = {
      {{"--symbol", "ETHUSDT"},
       "fake-binance: 2 --data file(s) need as many --symbol values, paired in order; got 1\n"},
      {{"--symbol", "ETHUSDT", "--symbol", "SOLUSDT", "--tick-size", "0.01", "--tick-size", "0.1", "--tick-size",
        "1"},
       "fake-binance: --tick-size: expected one value or one per --data (2), got 3\n"},
      {{"--symbol", "ETHUSDT", "--symbol", "ETHUSDT"}, "fake-binance: symbol ETHUSDT given twice\n"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> argv = base;
    argv.insert(argv.end(), c.extra.begin(), c.extra.end());
    auto p = testing::Process::Spawn(argv);
    ASSERT_TRUE(p.ok()) << p.status();
    const testing::ExitStatus st = (*p)->Wait(std::chrono::seconds(60));
    EXPECT_TRUE(st.Exited(2)) << st << " " << c.err;
    EXPECT_EQ((*p)->err(), c.err);
  }
}
#endif  // APOLLO_SOURCE_DIR
#endif  // FAKE_BINANCE_BIN

}  // namespace
}  // namespace apollo::fake_binance
