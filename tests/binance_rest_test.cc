// Binance USDⓈ-M REST layer: the published signing vectors, the payload
// parsers on recorded payloads (tests/data/binance/, see SOURCES.md) and on
// malformed variants, and the REST client against a local fake Binance
// (cpp-httplib on 127.0.0.1) that checks the API key, the HMAC signature
// (with OpenSSL directly, not our Signer) and the timestamp against its own
// clock, then answers recorded payloads or scripted faults.
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <simdjson.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "engine/net/rate_gate.h"
#include "engine/venue/binance/error.h"
#include "engine/venue/binance/orders_api.h"
#include "engine/venue/binance/payloads.h"
#include "engine/venue/binance/rest_client.h"
#include "engine/venue/binance/signer.h"
#include "gtest/gtest.h"

namespace apollo::venue::binance {
namespace {

// Recognisable credentials: the secrecy test greps every text for them.
constexpr char kKey[] = "APOLLOKEY-c0ffee-7c1e5a9b3d-TESTONLY";
constexpr char kSecret[] = "APOLLOSECRET-decaf-4f2d8e6a0c-TESTONLY";

// ---- files ----------------------------------------------------------------

std::string DataPath(const std::string& relative) {
  return std::string(APOLLO_SOURCE_DIR) + "/tests/data/binance/" + relative;
}

std::string ReadData(const std::string& relative) {
  std::ifstream in(DataPath(relative), std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing test data " << relative;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One `module::name` example of the connector SDK's expected responses, minified.
std::string SdkExample(const std::string& key) {
  static const std::string* all = new std::string(ReadData("rest/sdk/all_rest_examples_usdm.json"));
  simdjson::dom::parser parser;
  simdjson::dom::element root = parser.parse(*all);
  simdjson::dom::element example = root[key];
  return simdjson::minify(example);
}

// A string member of a DOM object (throws, failing the test, if absent).
std::string Str(simdjson::dom::element e, const char* key) {
  std::string_view v = e[key];
  return std::string(v);
}

Fixed D(absl::string_view text) {
  absl::StatusOr<Fixed> f = Fixed::Parse(text);
  EXPECT_TRUE(f.ok()) << text;
  return f.value_or(Fixed());
}

// Drops `"field": value,` (first occurrence; value a string or a bare token).
std::string WithoutField(const std::string& json, const std::string& field) {
  std::regex re("\"" + field + "\"\\s*:\\s*(\"[^\"]*\"|[^,}\\]\\s]+)\\s*,");
  std::string out = std::regex_replace(json, re, "", std::regex_constants::format_first_only);
  EXPECT_NE(out, json) << "field not found: " << field;
  return out;
}

// Replaces the value of the first `"field": value` with `raw` (JSON text).
std::string WithValue(const std::string& json, const std::string& field, const std::string& raw) {
  std::regex re("\"" + field + "\"\\s*:\\s*(\"[^\"]*\"|[^,}\\]\\s]+)");
  std::smatch m;
  if (!std::regex_search(json, m, re)) {
    ADD_FAILURE() << "field not found: " << field;
    return json;
  }
  const size_t value_at = static_cast<size_t>(m.position(1));
  return json.substr(0, value_at) + raw + json.substr(value_at + static_cast<size_t>(m.length(1)));
}

// ---- an independent HMAC and form decoding for the fake server --------------

std::string HmacHex(absl::string_view key, absl::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  size_t len = 0;
  EXPECT_NE(EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                      reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, sizeof mac, &len),
            nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (size_t i = 0; i < len; ++i) {
    hex.push_back(kHex[mac[i] >> 4]);
    hex.push_back(kHex[mac[i] & 0xF]);
  }
  return hex;
}

std::string PercentDecode(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    int hi = 0, lo = 0;
    auto hex = [](char c, int* v) {
      if (c >= '0' && c <= '9') *v = c - '0';
      else if (c >= 'A' && c <= 'F') *v = c - 'A' + 10;
      else if (c >= 'a' && c <= 'f') *v = c - 'a' + 10;
      else return false;
      return true;
    };
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1], &hi) && hex(s[i + 2], &lo)) {
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(s[i] == '+' ? ' ' : s[i]);
    }
  }
  return out;
}

std::map<std::string, std::string> ParseForm(absl::string_view text) {
  std::map<std::string, std::string> out;
  if (text.empty()) return out;
  for (absl::string_view pair : absl::StrSplit(text, '&')) {
    std::vector<absl::string_view> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
    out[PercentDecode(kv[0])] = kv.size() > 1 ? PercentDecode(kv[1]) : "";
  }
  return out;
}

int64_t WallMs() { return absl::ToUnixMillis(absl::Now()); }

// ---- the fake Binance ---------------------------------------------------------

struct Reply {
  Reply() = default;
  Reply(int status_in, std::string body_in, std::vector<std::pair<std::string, std::string>> headers_in = {})
      : status(status_in), body(std::move(body_in)), headers(std::move(headers_in)) {}
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool stall = false;         // hold the answer until Release() (at most 10 s)
  bool echo_secrets = false;  // a hostile msg quoting the key, secret and signature
};

struct Hit {
  std::string method, path, query, body, api_key, signature;
  std::map<std::string, std::string> params;
};

class FakeBinance {
 public:
  FakeBinance() {
    auto handler = [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); };
    server_.Get(".*", handler);
    server_.Post(".*", handler);
    server_.Put(".*", handler);
    server_.Delete(".*", handler);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // An answered request proves the accept loop runs, so stop() cannot race it.
    httplib::Client probe("127.0.0.1", port_);
    probe.set_connection_timeout(5);
    probe.set_read_timeout(5);
    auto ready = probe.Get("/ready");
    EXPECT_TRUE(ready && ready->status == 200) << "fake Binance did not start";
  }
  ~FakeBinance() {
    Release();
    server_.stop();
    thread_.join();
  }

  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Replies for one route, used in order before the route's default answer.
  void Script(const std::string& method, const std::string& path, std::vector<Reply> replies) {
    std::lock_guard<std::mutex> lock(mu_);
    for (Reply& r : replies) scripts_[method + " " + path].push_back(std::move(r));
  }
  void Answer(const std::string& method, const std::string& path, std::string body) {
    std::lock_guard<std::mutex> lock(mu_);
    answers_[method + " " + path] = std::move(body);
  }
  void set_skew_ms(int64_t skew) { skew_ms_ = skew; }
  void set_used_weight(int64_t weight) { used_weight_ = weight; }
  void set_order_counts(int64_t per_10s, int64_t per_1m) {
    orders_10s_ = per_10s;
    orders_1m_ = per_1m;
  }

  std::vector<Hit> Hits(const std::string& method, const std::string& path) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Hit> out;
    for (const Hit& h : hits_) {
      if (h.method == method && h.path == path) out.push_back(h);
    }
    return out;
  }
  int Count(const std::string& method, const std::string& path) {
    return static_cast<int>(Hits(method, path).size());
  }
  size_t TotalHits() {
    std::lock_guard<std::mutex> lock(mu_);
    return hits_.size();
  }
  std::vector<std::string> SignaturesSeen() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> out;
    for (const Hit& h : hits_) {
      if (!h.signature.empty()) out.push_back(h.signature);
    }
    return out;
  }
  // Waits (bounded) until `n` requests reached the route.
  bool WaitForCount(const std::string& method, const std::string& path, int n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] {
      int c = 0;
      for (const Hit& h : hits_) c += (h.method == method && h.path == path) ? 1 : 0;
      return c >= n;
    });
  }
  void Release() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      released_ = true;
    }
    cv_.notify_all();
  }
  int64_t ServerNowMs() const { return WallMs() + skew_ms_.load(); }

 private:
  static bool IsSignedPath(const std::string& path) {
    return path == "/fapi/v1/order" || path == "/fapi/v1/algoOrder" || path == "/fapi/v1/openOrders" ||
           path == "/fapi/v1/openAlgoOrders" || path == "/fapi/v3/positionRisk" || path == "/fapi/v3/account" ||
           path == "/fapi/v3/balance";
  }

  // Binance's checks, in Binance's words; nullopt when the request passes.
  std::optional<std::string> Verify(const Hit& hit) const {
    const bool is_signed = IsSignedPath(hit.path) || hit.params.count("signature") > 0;
    const bool needs_key = is_signed || hit.path == "/fapi/v1/listenKey";
    if (needs_key && hit.api_key != kKey) {
      return R"({"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."})";
    }
    if (!is_signed) return std::nullopt;
    const std::string total = hit.query + hit.body;  // the mixed rule: no '&' between
    const size_t at = total.rfind("&signature=");
    if (at == std::string::npos) {
      return R"({"code":-1102,"msg":"Mandatory parameter 'signature' was not sent, was empty/null, or malformed."})";
    }
    if (total.substr(at + 11) != HmacHex(kSecret, total.substr(0, at))) {
      return R"({"code":-1022,"msg":"Signature for this request is not valid."})";
    }
    int64_t timestamp = 0, recv_window = 5000;
    auto ts = hit.params.find("timestamp");
    auto rw = hit.params.find("recvWindow");
    if (ts == hit.params.end() || !absl::SimpleAtoi(ts->second, &timestamp) ||
        (rw != hit.params.end() && !absl::SimpleAtoi(rw->second, &recv_window))) {
      return R"({"code":-1102,"msg":"Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed."})";
    }
    const int64_t server_ms = ServerNowMs();
    if (!(timestamp < server_ms + 1000 && server_ms - timestamp <= recv_window)) {
      return R"({"code":-1021,"msg":"Timestamp for this request is outside of the recvWindow."})";
    }
    return std::nullopt;
  }

  void Handle(const httplib::Request& req, httplib::Response& res) {
    if (req.path == "/ready") {
      res.set_content("ok", "text/plain");
      return;
    }
    Hit hit;
    hit.method = req.method;
    hit.path = req.path;
    if (size_t q = req.target.find('?'); q != std::string::npos) hit.query = req.target.substr(q + 1);
    hit.body = req.body;
    hit.api_key = req.get_header_value("X-MBX-APIKEY");
    hit.params = ParseForm(hit.query);
    for (auto& [k, v] : ParseForm(hit.body)) hit.params[k] = v;
    if (auto it = hit.params.find("signature"); it != hit.params.end()) hit.signature = it->second;

    const std::string route = req.method + " " + req.path;
    std::optional<Reply> scripted;
    std::optional<std::string> answer;
    {
      std::lock_guard<std::mutex> lock(mu_);
      hits_.push_back(hit);
      auto& queue = scripts_[route];
      if (!queue.empty()) {
        scripted = queue.front();
        queue.pop_front();
      }
      if (auto it = answers_.find(route); it != answers_.end()) answer = it->second;
    }
    cv_.notify_all();
    res.set_header("X-MBX-USED-WEIGHT-1M", std::to_string(used_weight_.load()));
    res.set_header("X-MBX-ORDER-COUNT-10S", std::to_string(orders_10s_.load()));
    res.set_header("X-MBX-ORDER-COUNT-1M", std::to_string(orders_1m_.load()));
    if (std::optional<std::string> refusal = Verify(hit)) {
      res.status = 400;
      res.set_content(*refusal, "application/json");
      return;
    }
    if (scripted) {
      if (scripted->stall) {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait_for(lock, std::chrono::seconds(10), [this] { return released_; });
      }
      res.status = scripted->status;
      for (const auto& [name, value] : scripted->headers) res.set_header(name, value);
      std::string body = scripted->body;
      if (scripted->echo_secrets) {
        body = absl::StrCat(R"({"code":-1022,"msg":"Signature )", hit.signature, " for key ", hit.api_key,
                            " with secret ", kSecret, R"( is not valid."})");
      }
      res.set_content(body, "application/json");
      return;
    }
    if (req.path == "/fapi/v1/time") {
      res.set_content(absl::StrCat(R"({"serverTime":)", ServerNowMs(), "}"), "application/json");
      return;
    }
    if (!answer) {
      res.status = 404;
      res.set_content(R"({"code":-5000,"msg":"No such route in the fake."})", "application/json");
      return;
    }
    res.set_content(*answer, "application/json");
  }

  httplib::Server server_;
  int port_ = -1;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool released_ = false;
  std::vector<Hit> hits_;
  std::map<std::string, std::deque<Reply>> scripts_;
  std::map<std::string, std::string> answers_;
  std::atomic<int64_t> skew_ms_{0};
  std::atomic<int64_t> used_weight_{10};
  std::atomic<int64_t> orders_10s_{3};
  std::atomic<int64_t> orders_1m_{7};
};

// Every route answers the recorded payload for it.
void ServeRecordedPayloads(FakeBinance& fake) {
  fake.Answer("POST", "/fapi/v1/order", ReadData("rest/nautilus/crates_futures_order_response.json"));
  fake.Answer("GET", "/fapi/v1/order", ReadData("rest/sdk/query_order_GET_fapi_v1_order.json"));
  fake.Answer("DELETE", "/fapi/v1/order", ReadData("rest/sdk/cancel_order_DELETE_fapi_v1_order.json"));
  fake.Answer("GET", "/fapi/v1/openOrders", ReadData("rest/sdk/open_orders_GET_fapi_v1_openOrders.json"));
  fake.Answer("POST", "/fapi/v1/algoOrder", SdkExample("rest_api::new_algo_order"));
  fake.Answer("GET", "/fapi/v1/algoOrder", SdkExample("rest_api::query_algo_order"));
  fake.Answer("DELETE", "/fapi/v1/algoOrder", SdkExample("rest_api::cancel_algo_order"));
  fake.Answer("GET", "/fapi/v1/openAlgoOrders", SdkExample("rest_api::current_all_algo_open_orders"));
  fake.Answer("GET", "/fapi/v3/positionRisk", ReadData("rest/sdk/position_risk_GET_fapi_v3_positionRisk.json"));
  fake.Answer("GET", "/fapi/v3/account", ReadData("rest/sdk/account_GET_fapi_v3_account.json"));
  fake.Answer("GET", "/fapi/v3/balance", ReadData("rest/sdk/balance_GET_fapi_v2_balance.json"));
  fake.Answer("GET", "/fapi/v1/exchangeInfo", ReadData("rest/nautilus/http_futures_market_exchange_info.json"));
  fake.Answer("POST", "/fapi/v1/listenKey", ReadData("rest/sdk/listen_key_POST_fapi_v1_listenKey.json"));
  fake.Answer("PUT", "/fapi/v1/listenKey", ReadData("rest/sdk/listen_key_PUT_fapi_v1_listenKey.json"));
  fake.Answer("DELETE", "/fapi/v1/listenKey", "{}");
}

// Everything the client's hooks were given. Sleeps are recorded, and only
// really slept when `real_sleep` (so backoff tests take no wall time).
struct Recorder {
  std::mutex mu;
  std::vector<RequestSample> samples;
  std::vector<std::pair<BackoffReason, absl::Duration>> backoffs;
  std::vector<std::string> logs;
  std::vector<absl::Duration> sleeps;
  std::vector<size_t> hits_at_sleep;  // fake's request count when each sleep began
  FakeBinance* fake = nullptr;
  bool real_sleep = false;
  std::function<int64_t()> now_ms;
  std::function<void(absl::Duration)> advance;  // a fake clock each sleep moves

  RestHooks Hooks() {
    RestHooks h;
    if (now_ms) h.now_ms = now_ms;
    h.sleep = [this](absl::Duration d) {
      {
        std::lock_guard<std::mutex> lock(mu);
        sleeps.push_back(d);
        hits_at_sleep.push_back(fake != nullptr ? fake->TotalHits() : 0);
      }
      if (real_sleep) absl::SleepFor(d);
      if (advance) advance(d);
    };
    h.on_request = [this](const RequestSample& s) {
      std::lock_guard<std::mutex> lock(mu);
      samples.push_back(s);
    };
    h.on_backoff = [this](BackoffReason r, absl::Duration d) {
      std::lock_guard<std::mutex> lock(mu);
      backoffs.emplace_back(r, d);
    };
    h.on_log = [this](absl::string_view line) {
      std::lock_guard<std::mutex> lock(mu);
      logs.emplace_back(line);
    };
    return h;
  }

  std::vector<BackoffReason> Reasons() {
    std::lock_guard<std::mutex> lock(mu);
    std::vector<BackoffReason> out;
    for (const auto& [r, d] : backoffs) out.push_back(r);
    return out;
  }

  // Every argument any hook received, as text.
  std::vector<std::string> Texts() {
    std::lock_guard<std::mutex> lock(mu);
    std::vector<std::string> out = logs;
    for (const RequestSample& s : samples) {
      out.push_back(absl::StrCat(MethodName(s.method), " ", s.path, " ", s.http_status, " ", s.attempt, " ",
                                 s.usage.used_weight_1m));
    }
    for (const auto& [r, d] : backoffs) out.push_back(absl::StrCat(BackoffReasonName(r), " ", absl::FormatDuration(d)));
    return out;
  }
};

RestOptions TestOptions(const std::string& url) {
  RestOptions o;
  o.base_url = url;
  o.api_key = kKey;
  o.api_secret = kSecret;
  o.connect_timeout_ms = 2000;
  o.request_timeout_ms = 5000;
  o.max_retries = 3;
  o.backoff_initial_ms = 100;
  o.backoff_max_ms = 800;
  o.jitter_seed = 7;
  return o;
}

std::unique_ptr<RestClient> MakeClient(const RestOptions& options, Recorder& recorder) {
  absl::StatusOr<std::unique_ptr<RestClient>> client = RestClient::Create(options, recorder.Hooks());
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? std::move(*client) : nullptr;
}

// =============================================================================
// Signer
// =============================================================================

TEST(SignerTest, MatchesEveryPublishedSigningVector) {
  simdjson::dom::parser parser;
  const std::string text = ReadData("signing_vectors.json");
  simdjson::dom::element root = parser.parse(text);
  int checked = 0;
  for (simdjson::dom::element v : root["vectors"].get_array()) {
    const std::string id = Str(v, "id");
    const std::string query = Str(v, "query_string");
    const std::string body = Str(v, "request_body");
    const std::string payload = Str(v, "payload_signed");
    // The documented rule for mixed requests: query string then body, no '&'.
    EXPECT_EQ(payload, query + body) << id;
    absl::StatusOr<Signer> signer = Signer::Create(Str(v, "secretKey"));
    ASSERT_TRUE(signer.ok()) << signer.status();
    absl::StatusOr<std::string> signature = signer->Sign(payload);
    ASSERT_TRUE(signature.ok()) << signature.status();
    EXPECT_EQ(*signature, Str(v, "expected_signature")) << id;
    ++checked;
  }
  EXPECT_EQ(checked, 6);  // 3 USD-M futures + 3 Spot examples
}

TEST(SignerTest, FuturesMixedVectorOnlyReproducesWithTheDocsStraySpace) {
  simdjson::dom::parser parser;
  const std::string text = ReadData("signing_vectors.json");
  simdjson::dom::element root = parser.parse(text);
  bool found = false;
  for (simdjson::dom::element v : root["vectors"].get_array()) {
    if (Str(v, "id") != "usdm_futures_post_order_mixed") continue;
    found = true;
    std::string payload = Str(v, "payload_signed");
    ASSERT_TRUE(absl::StrContains(payload, "timestamp= 1591702613943"));
    absl::StatusOr<Signer> signer = Signer::Create(Str(v, "secretKey"));
    ASSERT_TRUE(signer.ok());
    const std::string without_space =
        std::regex_replace(payload, std::regex("timestamp= "), "timestamp=");
    // The value signing_vectors.json notes for the typo-free payload.
    EXPECT_EQ(signer->Sign(without_space).value(),
              "30baaf0fab549bbeda7f5ef201898b34122da25fd23c646cac2c529aebe670a4");
    EXPECT_NE(signer->Sign(without_space).value(), Str(v, "expected_signature"));
  }
  EXPECT_TRUE(found);
}

TEST(SignerTest, ReusedKeyedContextGivesIndependentSignatures) {
  absl::StatusOr<Signer> signer = Signer::Create(kSecret);
  ASSERT_TRUE(signer.ok());
  const std::string a = signer->Sign("symbol=BTCUSDT&timestamp=1").value();
  const std::string b = signer->Sign("symbol=ETHUSDT&timestamp=2").value();
  EXPECT_EQ(signer->Sign("symbol=BTCUSDT&timestamp=1").value(), a);  // no state carried over
  EXPECT_EQ(a, HmacHex(kSecret, "symbol=BTCUSDT&timestamp=1"));
  EXPECT_EQ(b, HmacHex(kSecret, "symbol=ETHUSDT&timestamp=2"));
  EXPECT_EQ(signer->Sign("").value(), HmacHex(kSecret, ""));
  Signer moved = std::move(*signer);
  EXPECT_EQ(moved.Sign("symbol=BTCUSDT&timestamp=1").value(), a);
}

TEST(SignerTest, EmptySecretIsRejectedWithoutEchoingAnything) {
  absl::StatusOr<Signer> signer = Signer::Create("");
  EXPECT_EQ(signer.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ParamsTest, KeepsOrderAndPercentEncodesValues) {
  Params p;
  p.Add("symbol", "BTCUSDT").AddDecimal("quantity", D("0.001")).AddBool("reduceOnly", true);
  p.AddInt("recvWindow", 5000).Add("newClientOrderId", "apollo:1/entry x");
  EXPECT_EQ(p.Encode(),
            "symbol=BTCUSDT&quantity=0.001&reduceOnly=true&recvWindow=5000&newClientOrderId=apollo%3A1%2Fentry%20x");
}

// =============================================================================
// Payloads: recorded shapes
// =============================================================================

TEST(PayloadsTest, FiltersFromCapturedExchangeInfo2021) {
  absl::StatusOr<ExchangeInfo> info =
      ParseExchangeInfo(ReadData("rest/exchangeInfo_fapi_full_2021-07-21_cryptofeed.json"));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->server_time_ms, 1626858243909);
  EXPECT_EQ(info->request_weight_limit_1m, 2400);
  EXPECT_EQ(info->order_limit_10s, 300);
  EXPECT_EQ(info->order_limit_1m, 1200);
  EXPECT_EQ(info->symbols.size(), 122u);
  const SymbolFilters& btc = info->symbols.at("BTCUSDT");
  EXPECT_EQ(btc.status, "TRADING");
  EXPECT_EQ(btc.tick_size, D("0.01"));
  EXPECT_EQ(btc.lot_step, D("0.001"));
  EXPECT_EQ(btc.market_lot_step, D("0.001"));
  EXPECT_EQ(btc.min_notional, D("5"));
  risk::Filters f = btc.ToRiskFilters();
  EXPECT_EQ(f.price_tick, D("0.01"));
  EXPECT_EQ(f.qty_step, D("0.001"));
  EXPECT_EQ(f.min_notional, D("5"));
  for (const auto& [name, s] : info->symbols) {
    EXPECT_GT(s.tick_size, Fixed()) << name;
    EXPECT_GT(s.min_notional, Fixed()) << name;
  }
}

TEST(PayloadsTest, FiltersFromCapturedExchangeInfo2022) {
  absl::StatusOr<ExchangeInfo> info =
      ParseExchangeInfo(ReadData("rest/nautilus/http_futures_market_exchange_info.json"));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->request_weight_limit_1m, 6000);
  EXPECT_EQ(info->symbols.size(), 3u);
  EXPECT_TRUE(info->symbols.count("BTCUSDT_220325"));
  risk::Filters f = info->symbols.at("BTCUSDT").ToRiskFilters();
  EXPECT_EQ(f.price_tick, D("0.10"));
  EXPECT_EQ(f.qty_step, D("0.001"));
  EXPECT_EQ(f.min_notional, D("10"));
}

TEST(PayloadsTest, RiskStepIsTheCoarserOfLotAndMarketLot) {
  std::string json = ReadData("rest/nautilus/http_futures_market_exchange_info.json");
  std::regex market_lot(R"re("stepSize": "0.001",(\s*)"filterType": "MARKET_LOT_SIZE")re");
  json = std::regex_replace(json, market_lot, R"re("stepSize": "0.010",$1"filterType": "MARKET_LOT_SIZE")re",
                            std::regex_constants::format_first_only);
  absl::StatusOr<ExchangeInfo> info = ParseExchangeInfo(json);
  ASSERT_TRUE(info.ok()) << info.status();
  const SymbolFilters& btc = info->symbols.at("BTCUSDT");
  EXPECT_EQ(btc.lot_step, D("0.001"));
  EXPECT_EQ(btc.market_lot_step, D("0.01"));
  EXPECT_EQ(btc.ToRiskFilters().qty_step, D("0.01"));
}

TEST(PayloadsTest, OrderResponsesInEveryRecordedShape) {
  absl::StatusOr<OrderResult> placed = ParseOrder(ReadData("rest/nautilus/crates_futures_order_response.json"));
  ASSERT_TRUE(placed.ok()) << placed.status();
  EXPECT_EQ(placed->symbol.value, "BTCUSDT");
  EXPECT_EQ(placed->order_id.value, "12345678");
  EXPECT_EQ(placed->client_order_id.value, "testOrder123");
  EXPECT_EQ(placed->status, OrderStatus::kAccepted);
  EXPECT_EQ(placed->side, Side::kBuy);
  EXPECT_EQ(placed->type, "LIMIT");
  EXPECT_EQ(placed->price, D("50000"));
  EXPECT_EQ(placed->orig_qty, D("0.001"));
  EXPECT_EQ(placed->executed_qty, Fixed());
  EXPECT_EQ(placed->update_time_ms, 1625474304765);

  // The docs' new-order example is an ACK-style answer: no avgPrice/cumQuote.
  absl::StatusOr<OrderResult> ack = ParseOrder(ReadData("rest/sdk/new_order_POST_fapi_v1_order.json"));
  ASSERT_TRUE(ack.ok()) << ack.status();
  EXPECT_EQ(ack->order_id.value, "22542179");
  EXPECT_EQ(ack->client_order_id.value, "testOrder");
  EXPECT_EQ(ack->side, Side::kSell);
  EXPECT_EQ(ack->orig_qty, D("10"));
  EXPECT_EQ(ack->avg_price, Fixed());

  absl::StatusOr<OrderResult> queried = ParseOrder(ReadData("rest/sdk/query_order_GET_fapi_v1_order.json"));
  ASSERT_TRUE(queried.ok()) << queried.status();
  EXPECT_EQ(queried->order_id.value, "1573346959");
  EXPECT_EQ(queried->orig_qty, D("0.40"));
  EXPECT_EQ(queried->type, "TRAILING_STOP_MARKET");

  absl::StatusOr<OrderResult> cancelled = ParseOrder(ReadData("rest/sdk/cancel_order_DELETE_fapi_v1_order.json"));
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->status, OrderStatus::kCancelled);
  EXPECT_EQ(cancelled->client_order_id.value, "myOrder1");
}

TEST(PayloadsTest, EveryOrderStatusMapsAndFillsStayExact) {
  const std::string base = ReadData("rest/nautilus/crates_futures_order_response.json");
  const std::pair<const char*, OrderStatus> cases[] = {
      {"NEW", OrderStatus::kAccepted},         {"PARTIALLY_FILLED", OrderStatus::kPartiallyFilled},
      {"FILLED", OrderStatus::kFilled},        {"CANCELED", OrderStatus::kCancelled},
      {"EXPIRED", OrderStatus::kExpired},      {"EXPIRED_IN_MATCH", OrderStatus::kExpired},
      {"REJECTED", OrderStatus::kRejected}};
  for (const auto& [name, status] : cases) {
    std::string json = WithValue(base, "status", absl::StrCat("\"", name, "\""));
    json = WithValue(json, "executedQty", "\"0.001\"");
    json = WithValue(json, "avgPrice", "\"50010.55\"");
    json = WithValue(json, "cumQuote", "\"50.01055\"");
    absl::StatusOr<OrderResult> o = ParseOrder(json);
    ASSERT_TRUE(o.ok()) << name << ": " << o.status();
    EXPECT_EQ(o->status, status) << name;
    EXPECT_EQ(o->executed_qty, D("0.001"));
    EXPECT_EQ(o->avg_price, D("50010.55"));
    EXPECT_EQ(o->cum_quote, D("50.01055"));
  }
  EXPECT_FALSE(ParseOrderStatus("PENDING_CANCEL").ok());
}

TEST(PayloadsTest, OpenOrdersFromDocsAndNautilus) {
  for (const char* file : {"rest/sdk/open_orders_GET_fapi_v1_openOrders.json",
                           "rest/nautilus/http_futures_account_orders.json"}) {
    absl::StatusOr<std::vector<OrderResult>> orders = ParseOrders(ReadData(file));
    ASSERT_TRUE(orders.ok()) << file << ": " << orders.status();
    ASSERT_EQ(orders->size(), 1u) << file;
    EXPECT_EQ((*orders)[0].order_id.value, "1917641");
    EXPECT_EQ((*orders)[0].client_order_id.value, "abc");
    EXPECT_EQ((*orders)[0].status, OrderStatus::kAccepted);
  }
  absl::StatusOr<std::vector<OrderResult>> none = ParseOrders("[]");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(PayloadsTest, AlgoOrdersFromDocsExamplesAndNautilusFixture) {
  absl::StatusOr<AlgoOrderResult> placed = ParseAlgoOrder(SdkExample("rest_api::new_algo_order"));
  ASSERT_TRUE(placed.ok()) << placed.status();
  EXPECT_EQ(placed->algo_id.value, "2146760");
  EXPECT_EQ(placed->client_algo_id.value, "6B2I9XVcJpCjqPAJ4YoFX7");
  EXPECT_EQ(placed->symbol.value, "BNBUSDT");
  EXPECT_EQ(placed->side, Side::kSell);
  EXPECT_EQ(placed->order_type, "TAKE_PROFIT");
  EXPECT_EQ(placed->status, AlgoStatus::kNew);
  EXPECT_EQ(placed->trigger_price, D("750"));
  EXPECT_EQ(placed->quantity, D("0.01"));
  EXPECT_EQ(placed->working_type, "CONTRACT_PRICE");
  EXPECT_FALSE(placed->close_position);

  absl::StatusOr<AlgoOrderResult> queried = ParseAlgoOrder(SdkExample("rest_api::query_algo_order"));
  ASSERT_TRUE(queried.ok()) << queried.status();
  EXPECT_EQ(queried->status, AlgoStatus::kCanceled);
  EXPECT_EQ(queried->actual_order_id, "");
  EXPECT_EQ(queried->update_time_ms, 1750514545091);

  absl::StatusOr<std::vector<AlgoOrderResult>> open =
      ParseAlgoOrders(SdkExample("rest_api::current_all_algo_open_orders"));
  ASSERT_TRUE(open.ok()) << open.status();
  ASSERT_EQ(open->size(), 1u);
  EXPECT_EQ((*open)[0].client_algo_id.value, "MRumok0dkhrP4kCm12AHaB");

  // NautilusTrader's fixture names the order type "type".
  absl::StatusOr<std::vector<AlgoOrderResult>> nautilus =
      ParseAlgoOrders(ReadData("rest/nautilus/crates_futures_open_algo_orders.json"));
  ASSERT_TRUE(nautilus.ok()) << nautilus.status();
  ASSERT_EQ(nautilus->size(), 1u);
  EXPECT_EQ((*nautilus)[0].order_type, "STOP_MARKET");
  EXPECT_EQ((*nautilus)[0].trigger_price, D("45000"));
  EXPECT_EQ((*nautilus)[0].working_type, "MARK_PRICE");

  absl::StatusOr<AlgoCancelResult> cancelled = ParseAlgoCancel(SdkExample("rest_api::cancel_algo_order"));
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->algo_id.value, "2146760");
  EXPECT_EQ(cancelled->client_algo_id.value, "6B2I9XVcJpCjqPAJ4YoFX7");

  for (const char* s : {"NEW", "TRIGGERING", "TRIGGERED", "FINISHED", "CANCELED", "REJECTED", "EXPIRED"}) {
    absl::StatusOr<AlgoStatus> status = ParseAlgoStatus(s);
    ASSERT_TRUE(status.ok()) << s;
    EXPECT_EQ(AlgoStatusName(*status), s);
  }
  EXPECT_FALSE(ParseAlgoStatus("WORKING").ok());
}

TEST(PayloadsTest, PositionRiskV2V3AndNautilus) {
  absl::StatusOr<std::vector<PositionRisk>> v2 =
      ParsePositionRisk(ReadData("rest/sdk/position_risk_GET_fapi_v2_positionRisk.json"));
  ASSERT_TRUE(v2.ok()) << v2.status();
  ASSERT_EQ(v2->size(), 1u);
  EXPECT_EQ((*v2)[0].symbol.value, "BTCUSDT");
  EXPECT_EQ((*v2)[0].mark_price, D("6679.50671178"));
  EXPECT_EQ((*v2)[0].leverage, D("10"));
  EXPECT_EQ((*v2)[0].position_side, "BOTH");

  absl::StatusOr<std::vector<PositionRisk>> v3 =
      ParsePositionRisk(ReadData("rest/sdk/position_risk_GET_fapi_v3_positionRisk.json"));
  ASSERT_TRUE(v3.ok()) << v3.status();
  ASSERT_EQ(v3->size(), 1u);
  EXPECT_EQ((*v3)[0].symbol.value, "ADAUSDT");
  EXPECT_EQ((*v3)[0].position_amt, D("30"));
  EXPECT_EQ((*v3)[0].entry_price, D("0.385"));
  EXPECT_EQ((*v3)[0].unrealized_pnl, D("0.764277"));
  EXPECT_EQ((*v3)[0].break_even_price, D("0.385077"));
  EXPECT_FALSE((*v3)[0].leverage.has_value());

  absl::StatusOr<std::vector<PositionRisk>> nautilus =
      ParsePositionRisk(ReadData("rest/nautilus/crates_futures_position_risk.json"));
  ASSERT_TRUE(nautilus.ok()) << nautilus.status();
  EXPECT_EQ((*nautilus)[0].liquidation_price, D("45000"));
}

TEST(PayloadsTest, TickersAndPremiumIndexFromTheDocsExamplesAsOneSymbolOrAll) {
  const std::string ticker = ReadData("rest/nautilus/http_futures_market_ticker_24hr.json");
  for (const std::string& json : {ticker, absl::StrCat("[", ticker, ",", ticker, "]")}) {
    absl::StatusOr<std::vector<Ticker24h>> t = ParseTickers24h(json);
    ASSERT_TRUE(t.ok()) << t.status();
    ASSERT_GE(t->size(), 1u);
    EXPECT_EQ((*t)[0].symbol.value, "BTCUSDT");
    EXPECT_EQ((*t)[0].last_price, D("4.00000200"));
    EXPECT_EQ((*t)[0].quote_volume, 15);  // "15.30000000": whole USDT
    EXPECT_EQ((*t)[0].close_time_ms, 1499869899040);
  }
  // A day's volume beyond what Fixed holds still reads; garbage does not.
  absl::StatusOr<std::vector<Ticker24h>> busy = ParseTickers24h(
      R"([{"symbol":"BTCUSDT","lastPrice":"37000.1","quoteVolume":"21345678901.25","closeTime":1}])");
  ASSERT_TRUE(busy.ok()) << busy.status();
  EXPECT_EQ((*busy)[0].quote_volume, 21'345'678'901);
  for (const char* bad : {"", "-5", "1e9", "12.3.4", "abc"}) {
    EXPECT_FALSE(ParseTickers24h(absl::StrCat(R"({"symbol":"X","lastPrice":"1","quoteVolume":")", bad,
                                              R"(","closeTime":1})")).ok()) << bad;
  }

  absl::StatusOr<std::vector<PremiumIndex>> p =
      ParsePremiumIndexes(ReadData("rest/nautilus/http_futures_market_premium_index.json"));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)[0].symbol.value, "BTCUSDT");
  EXPECT_EQ((*p)[0].mark_price, D("11793.63104562"));
  EXPECT_EQ((*p)[0].last_funding_rate, D("0.00038246"));
  EXPECT_EQ((*p)[0].next_funding_time_ms, 1597392000000);
  // A delivery contract has no funding rate: absent, not 0.
  absl::StatusOr<std::vector<PremiumIndex>> delivery = ParsePremiumIndexes(
      R"([{"symbol":"BTCUSDT_230331","markPrice":"23000","lastFundingRate":"","nextFundingTime":0,"time":1}])");
  ASSERT_TRUE(delivery.ok()) << delivery.status();
  EXPECT_FALSE((*delivery)[0].last_funding_rate.has_value());

}

TEST(PayloadsTest, AccountV2V3AndBalances) {
  for (const char* file : {"rest/sdk/account_GET_fapi_v2_account.json", "rest/sdk/account_GET_fapi_v3_account.json",
                           "rest/nautilus/crates_futures_account_info_v2.json"}) {
    absl::StatusOr<Account> account = ParseAccount(ReadData(file));
    ASSERT_TRUE(account.ok()) << file << ": " << account.status();
    ASSERT_EQ(account->assets.size(), 1u) << file;
    EXPECT_EQ(account->assets[0].asset, "USDT");
    EXPECT_EQ(account->assets[0].wallet_balance, D("23.72469206"));
    ASSERT_EQ(account->positions.size(), 1u);
    EXPECT_EQ(account->positions[0].symbol.value, "BTCUSDT");
  }
  absl::StatusOr<Account> v3 = ParseAccount(ReadData("rest/sdk/account_GET_fapi_v3_account.json"));
  EXPECT_EQ(v3->total_wallet_balance, D("126.72469206"));
  EXPECT_EQ(v3->positions[0].position_amt, D("1"));

  absl::StatusOr<std::vector<Balance>> sdk = ParseBalances(ReadData("rest/sdk/balance_GET_fapi_v2_balance.json"));
  ASSERT_TRUE(sdk.ok()) << sdk.status();
  EXPECT_EQ((*sdk)[0].balance, D("122607.35137903"));
  EXPECT_EQ((*sdk)[0].available_balance, D("23.72469206"));
  absl::StatusOr<std::vector<Balance>> nautilus = ParseBalances(ReadData("rest/nautilus/crates_futures_balance.json"));
  ASSERT_TRUE(nautilus.ok()) << nautilus.status();
  EXPECT_EQ((*nautilus)[0].balance, D("122.12345678"));
}

TEST(PayloadsTest, ListenKeyServerTimeAndEveryDocumentedError) {
  EXPECT_EQ(ParseListenKey(ReadData("rest/sdk/listen_key_POST_fapi_v1_listenKey.json")).value(),
            "pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1");
  EXPECT_EQ(ParseListenKey(ReadData("rest/sdk/listen_key_PUT_fapi_v1_listenKey.json")).value(),
            "3HBntNTepshgEdjIwSUIBgB9keLyOCg5qv3n6bYAtktG8ejcaW5HXz9Vx1JgIieg");
  EXPECT_EQ(ParseServerTime(ReadData("rest/sdk/time_GET_fapi_v1_time.json")).value(), 1499827319559);

  simdjson::dom::parser parser;
  const std::string text = ReadData("rest/errors_usdm_futures.docs.json");
  simdjson::dom::element root = parser.parse(text);
  int checked = 0;
  for (simdjson::dom::element e : root["errors"].get_array()) {
    absl::StatusOr<BinanceError> parsed = ParseError(simdjson::minify(e));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(parsed->code, int64_t(e["code"]));
    EXPECT_EQ(parsed->msg, Str(e, "msg"));
    ++checked;
  }
  EXPECT_GE(checked, 30);
}

// =============================================================================
// Payloads: malformed input
// =============================================================================

void ExpectFieldError(const absl::Status& status, const std::string& field, const std::string& label) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << label << ": " << status;
  EXPECT_TRUE(absl::StrContains(status.message(), "'" + field + "'")) << label << ": " << status;
}

TEST(PayloadsMalformedTest, MissingOrBadFieldsAreInvalidArgumentNamingTheField) {
  const std::string order = ReadData("rest/nautilus/crates_futures_order_response.json");
  for (const char* field : {"orderId", "symbol", "status", "clientOrderId", "executedQty", "origQty", "side", "type"}) {
    ExpectFieldError(ParseOrder(WithoutField(order, field)).status(), field, "order without " + std::string(field));
  }
  ExpectFieldError(ParseOrder(WithoutField(ReadData("rest/sdk/new_order_POST_fapi_v1_order.json"), "updateTime")).status(),
                   "updateTime", "order without updateTime");
  ExpectFieldError(ParseOrder(WithValue(order, "executedQty", "\"abc\"")).status(), "executedQty", "garbage qty");
  ExpectFieldError(ParseOrder(WithValue(order, "executedQty", "0.001")).status(), "executedQty", "number qty");
  ExpectFieldError(ParseOrder(WithValue(order, "avgPrice", "\"1.123456789\"")).status(), "avgPrice", "9 decimals");
  ExpectFieldError(ParseOrder(WithValue(order, "orderId", "\"12\"")).status(), "orderId", "string id");
  ExpectFieldError(ParseOrder(WithValue(order, "status", "\"NEWISH\"")).status(), "status", "unknown status");
  ExpectFieldError(ParseOrder(WithValue(order, "side", "\"UP\"")).status(), "side", "unknown side");
  ExpectFieldError(ParseOrder(WithValue(order, "reduceOnly", "\"no\"")).status(), "reduceOnly", "string bool");

  const std::string algo = SdkExample("rest_api::new_algo_order");
  for (const char* field : {"algoId", "clientAlgoId", "algoStatus", "triggerPrice", "symbol"}) {
    ExpectFieldError(ParseAlgoOrder(WithoutField(algo, field)).status(), field, "algo without " + std::string(field));
  }
  ExpectFieldError(ParseAlgoOrder(WithoutField(algo, "orderType")).status(), "orderType", "algo without type");
  ExpectFieldError(ParseAlgoOrder(WithValue(algo, "algoStatus", "\"WORKING\"")).status(), "algoStatus", "algo status");

  const std::string info = ReadData("rest/nautilus/http_futures_market_exchange_info.json");
  ExpectFieldError(ParseExchangeInfo(WithValue(info, "tickSize", "\"0.1x\"")).status(), "tickSize", "bad tick");
  ExpectFieldError(ParseExchangeInfo(WithoutField(info, "serverTime")).status(), "serverTime", "no serverTime");
  const std::string no_notional =
      std::regex_replace(info, std::regex(R"("filterType": "MIN_NOTIONAL")"), R"("filterType": "MIN_NOTIONAL_GONE")",
                         std::regex_constants::format_first_only);
  absl::Status missing_filter = ParseExchangeInfo(no_notional).status();
  EXPECT_EQ(missing_filter.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(missing_filter.message(), "MIN_NOTIONAL missing")) << missing_filter;

  const std::string v3 = ReadData("rest/sdk/position_risk_GET_fapi_v3_positionRisk.json");
  ExpectFieldError(ParsePositionRisk(WithoutField(v3, "positionAmt")).status(), "positionAmt", "position");
  ExpectFieldError(ParseAccount(WithoutField(ReadData("rest/sdk/account_GET_fapi_v3_account.json"), "walletBalance")).status(),
                   "walletBalance", "account asset");
  ExpectFieldError(ParseBalances(WithValue(ReadData("rest/sdk/balance_GET_fapi_v2_balance.json"), "balance", "null")).status(),
                   "balance", "null balance");
  ExpectFieldError(ParseListenKey(R"({"listenKey":""})").status(), "listenKey", "empty key");
  ExpectFieldError(ParseError(R"({"code":"-2019","msg":"x"})").status(), "code", "string code");
  ExpectFieldError(ParseServerTime(R"({"serverTime":1.5})").status(), "serverTime", "fractional time");
}

TEST(PayloadsMalformedTest, GarbageAndWrongShapesNeverParse) {
  const std::vector<std::string> garbage = {"",     " ",      "{",        "[",       "}",         "null",
                                            "42",   "\"x\"",  "{\"a\":",  "[1,2",    "{}",        "[{}]",
                                            "[42]", "[[]]",   "{\"orderId\" 1}", "<html>502 Bad Gateway</html>",
                                            std::string("{\"a\":\"\0\"}", 9)};
  for (const std::string& g : garbage) {
    EXPECT_FALSE(ParseOrder(g).ok()) << g;
    EXPECT_FALSE(ParseAlgoOrder(g).ok()) << g;
    EXPECT_FALSE(ParseAlgoCancel(g).ok()) << g;
    EXPECT_FALSE(ParseExchangeInfo(g).ok()) << g;
    EXPECT_FALSE(ParseAccount(g).ok()) << g;
    EXPECT_FALSE(ParseListenKey(g).ok()) << g;
    EXPECT_FALSE(ParseServerTime(g).ok()) << g;
    EXPECT_FALSE(ParseError(g).ok()) << g;
    for (absl::Status s : {ParseOrder(g).status(), ParseOrders(g).status(), ParseAlgoOrders(g).status(),
                           ParsePositionRisk(g).status(), ParseBalances(g).status(), ParseExchangeInfo(g).status()}) {
      if (!s.ok()) {
        EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << g << ": " << s;
      }
    }
  }
  // An array where an object belongs, and the reverse.
  EXPECT_EQ(ParseOrder(ReadData("rest/sdk/open_orders_GET_fapi_v1_openOrders.json")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseOrders(ReadData("rest/nautilus/crates_futures_order_response.json")).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Every proper prefix of a recorded payload is malformed JSON: each must be
// refused, and none may crash. Then every byte is overwritten in turn with
// structural characters: any result is acceptable except a crash.
TEST(PayloadsMalformedTest, TruncatedAndCorruptedPayloadsNeverCrash) {
  struct Case {
    std::string name, json;
    std::function<absl::Status(absl::string_view)> parse;
  };
  const std::vector<Case> cases = {
      {"order", ReadData("rest/nautilus/crates_futures_order_response.json"),
       [](absl::string_view j) { return ParseOrder(j).status(); }},
      {"openOrders", ReadData("rest/sdk/open_orders_GET_fapi_v1_openOrders.json"),
       [](absl::string_view j) { return ParseOrders(j).status(); }},
      {"algo", SdkExample("rest_api::query_algo_order"), [](absl::string_view j) { return ParseAlgoOrder(j).status(); }},
      {"openAlgo", ReadData("rest/nautilus/crates_futures_open_algo_orders.json"),
       [](absl::string_view j) { return ParseAlgoOrders(j).status(); }},
      {"positionRisk", ReadData("rest/sdk/position_risk_GET_fapi_v2_positionRisk.json"),
       [](absl::string_view j) { return ParsePositionRisk(j).status(); }},
      {"account", ReadData("rest/sdk/account_GET_fapi_v2_account.json"),
       [](absl::string_view j) { return ParseAccount(j).status(); }},
      {"balance", ReadData("rest/nautilus/crates_futures_balance.json"),
       [](absl::string_view j) { return ParseBalances(j).status(); }},
      {"exchangeInfo", ReadData("rest/nautilus/http_futures_market_exchange_info.json"),
       [](absl::string_view j) { return ParseExchangeInfo(j).status(); }},
      {"error", R"({"code":-2019,"msg":"Margin is insufficient."})",
       [](absl::string_view j) { return ParseError(j).status(); }},
  };
  for (const Case& c : cases) {
    const size_t end = c.json.find_last_not_of(" \n\r\t") + 1;
    ASSERT_TRUE(c.parse(c.json).ok()) << c.name;
    for (size_t len = 0; len < end; ++len) {
      absl::Status s = c.parse(absl::string_view(c.json).substr(0, len));
      EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.name << " prefix " << len << ": " << s;
    }
    for (size_t i = 0; i < end; ++i) {
      for (char ch : {'"', '{', '}', '[', ']', ',', ':', 'x', '\\', '\0'}) {
        std::string corrupt = c.json;
        corrupt[i] = ch;
        absl::Status s = c.parse(corrupt);
        if (!s.ok()) {
          EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.name << " @" << i;
        }
      }
    }
  }
}

// Found by binance_payloads_fuzz: malformed JSON inside an array the reader
// had already walked past (rateLimits) left simdjson's iterator spent, and
// looking up "symbols" next read through it and crashed. Every reader now
// checks the whole text first.
TEST(PayloadsMalformedTest, MalformedJsonBehindAnEarlierFieldIsRefusedNotCrashed) {
  const std::string json =
      R"({"serverTime":2,"rateLimits":[{"rateLimitType":"","interval":"","intervalNum":1,"limit":3[}]})";
  absl::Status s = ParseExchangeInfo(json).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "not JSON")) << s;
}

// =============================================================================
// The REST client against the fake Binance
// =============================================================================

class BinanceRestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServeRecordedPayloads(fake_);
    rec_.fake = &fake_;
  }
  std::unique_ptr<RestClient> Client(RestOptions options) { return MakeClient(options, rec_); }
  std::unique_ptr<RestClient> Client() { return Client(TestOptions(fake_.Url())); }

  FakeBinance fake_;
  Recorder rec_;
};

NewOrderRequest LimitBuy() {
  NewOrderRequest r;
  r.symbol = Symbol{"BTCUSDT"};
  r.side = Side::kBuy;
  r.type = OrderType::kLimit;
  r.quantity = D("0.001");
  r.price = D("50000");
  r.client_order_id = ClientOrderId{"apollo-42-entry"};
  return r;
}

TEST_F(BinanceRestTest, NewOrderSendsBinanceParamsWithKeyHeaderAndValidSignature) {
  auto client = Client();
  absl::StatusOr<OrderResult> order = NewOrder(*client, LimitBuy());
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_EQ(order->client_order_id.value, "testOrder123");

  std::vector<Hit> hits = fake_.Hits("POST", "/fapi/v1/order");
  ASSERT_EQ(hits.size(), 1u);
  const Hit& h = hits[0];
  EXPECT_EQ(h.api_key, kKey);
  EXPECT_TRUE(h.query.empty()) << "POST parameters belong in the body";
  EXPECT_TRUE(absl::StartsWith(h.body,
                               "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=0.001&price=50000&timeInForce=GTC&"
                               "newClientOrderId=apollo-42-entry&newOrderRespType=RESULT&recvWindow=5000&timestamp="))
      << h.body;
  EXPECT_EQ(h.signature, HmacHex(kSecret, h.body.substr(0, h.body.rfind("&signature="))));
  EXPECT_EQ(h.params.count("reduceOnly"), 0u);

  // MARKET: no price, no timeInForce; reduceOnly only when asked for.
  NewOrderRequest market = LimitBuy();
  market.type = OrderType::kMarket;
  market.side = Side::kSell;
  market.reduce_only = true;
  ASSERT_TRUE(NewOrder(*client, market).ok());
  hits = fake_.Hits("POST", "/fapi/v1/order");
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[1].params.at("type"), "MARKET");
  EXPECT_EQ(hits[1].params.at("side"), "SELL");
  EXPECT_EQ(hits[1].params.at("reduceOnly"), "true");
  EXPECT_EQ(hits[1].params.count("price"), 0u);
  EXPECT_EQ(hits[1].params.count("timeInForce"), 0u);

  // Only the signed calls carry the key; the time sync is public.
  std::vector<Hit> time = fake_.Hits("GET", "/fapi/v1/time");
  ASSERT_EQ(time.size(), 1u);
  EXPECT_TRUE(time[0].api_key.empty());
}

TEST_F(BinanceRestTest, RejectsBadOrdersBeforeSendingThem) {
  auto client = Client();
  NewOrderRequest bad = LimitBuy();
  bad.client_order_id = ClientOrderId{"has space"};
  EXPECT_EQ(NewOrder(*client, bad).status().code(), absl::StatusCode::kInvalidArgument);
  bad = LimitBuy();
  bad.price = Fixed();
  EXPECT_EQ(NewOrder(*client, bad).status().code(), absl::StatusCode::kInvalidArgument);
  bad = LimitBuy();
  bad.type = OrderType::kStopMarket;
  EXPECT_EQ(NewOrder(*client, bad).status().code(), absl::StatusCode::kInvalidArgument);
  NewAlgoOrderRequest algo;
  algo.symbol = Symbol{"BTCUSDT"};
  algo.trigger_price = D("45000");
  algo.client_algo_id = ClientOrderId{"apollo-42-sl"};
  algo.close_position = true;
  algo.reduce_only = true;  // Binance refuses reduceOnly with closePosition
  EXPECT_EQ(NewAlgoOrder(*client, algo).status().code(), absl::StatusCode::kInvalidArgument);
  algo.reduce_only = false;
  algo.quantity = D("0.001");  // and a quantity with closePosition
  EXPECT_EQ(NewAlgoOrder(*client, algo).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(fake_.TotalHits(), 0u);
}

TEST_F(BinanceRestTest, AlgoOrdersUseTheAlgoServiceParameters) {
  auto client = Client();
  NewAlgoOrderRequest stop;
  stop.symbol = Symbol{"BTCUSDT"};
  stop.side = Side::kSell;
  stop.type = OrderType::kStopMarket;
  stop.trigger_price = D("45000.5");
  stop.close_position = true;
  stop.client_algo_id = ClientOrderId{"apollo-42-sl"};
  absl::StatusOr<AlgoOrderResult> placed = NewAlgoOrder(*client, stop);
  ASSERT_TRUE(placed.ok()) << placed.status();
  EXPECT_EQ(placed->algo_id.value, "2146760");

  NewAlgoOrderRequest tp = stop;
  tp.type = OrderType::kTakeProfitMarket;
  tp.close_position = false;
  tp.quantity = D("0.002");
  tp.reduce_only = true;
  tp.working_type = WorkingType::kContractPrice;
  tp.client_algo_id = ClientOrderId{"apollo-42-tp"};
  ASSERT_TRUE(NewAlgoOrder(*client, tp).ok());

  std::vector<Hit> hits = fake_.Hits("POST", "/fapi/v1/algoOrder");
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_TRUE(absl::StartsWith(hits[0].body,
                               "algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=STOP_MARKET&triggerPrice=45000.5&"
                               "workingType=MARK_PRICE&closePosition=true&clientAlgoId=apollo-42-sl&recvWindow="))
      << hits[0].body;
  EXPECT_EQ(hits[0].params.count("quantity"), 0u);
  EXPECT_EQ(hits[0].params.count("reduceOnly"), 0u);
  EXPECT_EQ(hits[1].params.at("type"), "TAKE_PROFIT_MARKET");
  EXPECT_EQ(hits[1].params.at("quantity"), "0.002");
  EXPECT_EQ(hits[1].params.at("reduceOnly"), "true");
  EXPECT_EQ(hits[1].params.at("workingType"), "CONTRACT_PRICE");
  EXPECT_EQ(hits[1].params.count("closePosition"), 0u);

  absl::StatusOr<AlgoOrderResult> queried = QueryAlgoOrder(*client, ClientOrderId{"apollo-42-sl"});
  ASSERT_TRUE(queried.ok()) << queried.status();
  EXPECT_EQ(queried->status, AlgoStatus::kCanceled);
  absl::StatusOr<AlgoCancelResult> cancelled = CancelAlgoOrder(*client, ClientOrderId{"apollo-42-sl"});
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  for (const char* method : {"GET", "DELETE"}) {
    std::vector<Hit> h = fake_.Hits(method, "/fapi/v1/algoOrder");
    ASSERT_EQ(h.size(), 1u) << method;
    EXPECT_EQ(h[0].params.at("clientAlgoId"), "apollo-42-sl");
    EXPECT_FALSE(h[0].query.empty()) << method << " parameters belong in the query string";
  }
  absl::StatusOr<std::vector<AlgoOrderResult>> open = OpenAlgoOrders(*client, Symbol{"BNBUSDT"});
  ASSERT_TRUE(open.ok()) << open.status();
  EXPECT_EQ(fake_.Hits("GET", "/fapi/v1/openAlgoOrders")[0].params.at("symbol"), "BNBUSDT");
}

TEST_F(BinanceRestTest, QueryAndCancelByClientIdAndTheReadEndpoints) {
  auto client = Client();
  absl::StatusOr<OrderResult> queried = QueryOrder(*client, Symbol{"BTCUSDT"}, ClientOrderId{"apollo-42-entry"});
  ASSERT_TRUE(queried.ok()) << queried.status();
  absl::StatusOr<OrderResult> cancelled = CancelOrder(*client, Symbol{"BTCUSDT"}, ClientOrderId{"apollo-42-entry"});
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->status, OrderStatus::kCancelled);
  for (const char* method : {"GET", "DELETE"}) {
    std::vector<Hit> h = fake_.Hits(method, "/fapi/v1/order");
    ASSERT_EQ(h.size(), 1u);
    EXPECT_EQ(h[0].params.at("origClientOrderId"), "apollo-42-entry");
    EXPECT_EQ(h[0].params.at("symbol"), "BTCUSDT");
  }
  EXPECT_EQ(OpenOrders(*client, std::nullopt).value().size(), 1u);
  EXPECT_EQ(fake_.Hits("GET", "/fapi/v1/openOrders")[0].params.count("symbol"), 0u);
  EXPECT_EQ(GetPositionRisk(*client, Symbol{"ADAUSDT"}).value()[0].position_amt, D("30"));
  EXPECT_EQ(GetAccount(*client).value().total_wallet_balance, D("126.72469206"));
  EXPECT_EQ(GetBalances(*client).value()[0].asset, "USDT");
  absl::StatusOr<ExchangeInfo> info = GetExchangeInfo(*client);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->symbols.at("BTCUSDT").tick_size, D("0.1"));
  const int64_t before = fake_.ServerNowMs();
  absl::StatusOr<int64_t> server_time = GetServerTime(*client);
  ASSERT_TRUE(server_time.ok());
  EXPECT_GE(*server_time, before);
  EXPECT_TRUE(fake_.Hits("GET", "/fapi/v1/exchangeInfo")[0].api_key.empty());
}

TEST_F(BinanceRestTest, ListenKeyCallsCarryTheKeyButNoSignature) {
  auto client = Client();
  absl::StatusOr<std::string> key = CreateListenKey(*client);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(*key, "pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1");
  EXPECT_TRUE(KeepAliveListenKey(*client).ok());
  EXPECT_TRUE(CloseListenKey(*client).ok());
  for (const char* method : {"POST", "PUT", "DELETE"}) {
    std::vector<Hit> h = fake_.Hits(method, "/fapi/v1/listenKey");
    ASSERT_EQ(h.size(), 1u) << method;
    EXPECT_EQ(h[0].api_key, kKey);
    EXPECT_TRUE(h[0].params.empty()) << method;
  }
  EXPECT_EQ(fake_.Count("GET", "/fapi/v1/time"), 0) << "no signed call, so no time sync";
}

TEST_F(BinanceRestTest, TimestampOffsetAppliedAfterServerTime) {
  fake_.set_skew_ms(-3'600'000);  // Binance's clock an hour behind ours
  auto client = Client();
  absl::StatusOr<std::vector<OrderResult>> orders = OpenOrders(*client, std::nullopt);
  ASSERT_TRUE(orders.ok()) << orders.status();
  EXPECT_EQ(fake_.Count("GET", "/fapi/v1/time"), 1);
  EXPECT_TRUE(client->time_synced());
  EXPECT_NEAR(client->server_offset_ms(), -3'600'000, 1'000);
  std::vector<Hit> hits = fake_.Hits("GET", "/fapi/v1/openOrders");
  ASSERT_EQ(hits.size(), 1u);
  int64_t timestamp = 0;
  ASSERT_TRUE(absl::SimpleAtoi(hits[0].params.at("timestamp"), &timestamp));
  EXPECT_NEAR(timestamp, fake_.ServerNowMs(), 5'000);
  EXPECT_EQ(hits[0].params.at("recvWindow"), "5000");
}

TEST_F(BinanceRestTest, Minus1021RefreshesTheOffsetAndResendsOnce) {
  auto client = Client();
  ASSERT_TRUE(OpenOrders(*client, std::nullopt).ok());
  EXPECT_NEAR(client->server_offset_ms(), 0, 1'000);
  fake_.set_skew_ms(600'000);  // Binance's clock jumps ten minutes ahead
  absl::StatusOr<std::vector<OrderResult>> orders = OpenOrders(*client, std::nullopt);
  ASSERT_TRUE(orders.ok()) << orders.status();
  EXPECT_EQ(fake_.Count("GET", "/fapi/v1/openOrders"), 3);  // ok, -1021, ok
  EXPECT_EQ(fake_.Count("GET", "/fapi/v1/time"), 2);
  EXPECT_NEAR(client->server_offset_ms(), 600'000, 1'000);
}

// binance.time_sync_interval_sec (the seed's 60 s): the offset is re-read
// before the first signed request an interval after the last reading, so a
// drifting clock is followed without a -1021; a failed re-reading keeps the
// old offset and the request goes out.
TEST_F(BinanceRestTest, ServerTimeIsReadAgainEveryIntervalAndAFailedReadingKeepsTheOffset) {
  std::atomic<int64_t> ahead_ms{0};  // our clock and the fake's move on together
  rec_.now_ms = [&ahead_ms] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
               .count() +
           ahead_ms.load();
  };
  RestOptions options = TestOptions(fake_.Url());
  options.time_sync_interval_ms = 60'000;
  auto client = Client(options);
  ASSERT_TRUE(OpenOrders(*client, std::nullopt).ok());
  EXPECT_EQ(fake_.Count("GET", "/fapi/v1/time"), 1);
  ahead_ms = 59'000;
  fake_.set_skew_ms(59'000);
  ASSERT_TRUE(OpenOrders(*client, std::nullopt).ok());
  EXPECT_EQ(fake_.Count("GET", "/fapi/v1/time"), 1) << "read again before the interval";
  ahead_ms = 60'000;
  fake_.set_skew_ms(60'000 + 300'000);  // and Binance's clock drifts 5 minutes ahead
  ASSERT_TRUE(OpenOrders(*client, std::nullopt).ok());
  EXPECT_EQ(fake_.Count("GET", "/fapi/v1/time"), 2);
  EXPECT_EQ(fake_.Count("GET", "/fapi/v1/openOrders"), 3) << "no -1021 on the way";
  EXPECT_NEAR(client->server_offset_ms(), 300'000, 1'000);

  ahead_ms = 120'000;
  fake_.set_skew_ms(120'000 + 300'000);
  fake_.Script("GET", "/fapi/v1/time", {Reply{500, "{}"}, Reply{500, "{}"}, Reply{500, "{}"}, Reply{500, "{}"}});
  ASSERT_TRUE(OpenOrders(*client, std::nullopt).ok()) << "a failed re-reading never fails the request";
  EXPECT_NEAR(client->server_offset_ms(), 300'000, 1'000);
  EXPECT_EQ(fake_.Count("GET", "/fapi/v1/openOrders"), 4);
}

TEST_F(BinanceRestTest, PersistentMinus1021StopsAfterOneResync) {
  auto client = Client();
  const std::string skew = R"({"code":-1021,"msg":"Timestamp for this request was 1000ms ahead of the server's time."})";
  fake_.Script("GET", "/fapi/v1/openOrders", {Reply{400, skew}, Reply{400, skew}, Reply{400, skew}});
  absl::Status status = OpenOrders(*client, std::nullopt).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_EQ(GetBinanceError(status).value().code, -1021);
  EXPECT_EQ(fake_.Count("GET", "/fapi/v1/openOrders"), 2);
  EXPECT_EQ(fake_.Count("GET", "/fapi/v1/time"), 2);
}

TEST_F(BinanceRestTest, Http429WaitsRetryAfterOnceThenSucceeds) {
  RestOptions options = TestOptions(fake_.Url());
  options.retry_after_scale = 0.01;  // Retry-After: 1 → 10 ms
  rec_.real_sleep = true;
  auto client = Client(options);
  fake_.Script("GET", "/fapi/v1/openOrders",
               {Reply{429, R"({"code":-1003,"msg":"Too many requests; current limit is 2400 requests per minute."})",
                      {{"Retry-After", "1"}}}});
  absl::StatusOr<std::vector<OrderResult>> orders = OpenOrders(*client, std::nullopt);
  ASSERT_TRUE(orders.ok()) << orders.status();
  EXPECT_EQ(fake_.Count("GET", "/fapi/v1/openOrders"), 2);
  ASSERT_EQ(rec_.backoffs.size(), 1u);
  EXPECT_EQ(rec_.backoffs[0].first, BackoffReason::kRateLimited);
  EXPECT_EQ(rec_.backoffs[0].second, absl::Milliseconds(10));
  EXPECT_EQ(client->backoff_count(), 1);
}

TEST_F(BinanceRestTest, Http429BeyondTheRetryBudgetIsResourceExhausted) {
  RestOptions options = TestOptions(fake_.Url());
  options.max_retries = 2;
  auto client = Client(options);
  const Reply limited{429, R"({"code":-1003,"msg":"Too many requests."})", {{"Retry-After", "30"}}};
  fake_.Script("GET", "/fapi/v1/openOrders", {limited, limited, limited, limited});
  absl::Status status = OpenOrders(*client, std::nullopt).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  EXPECT_FALSE(IsIpBanned(status));
  EXPECT_EQ(fake_.Count("GET", "/fapi/v1/openOrders"), 3);
  ASSERT_EQ(rec_.sleeps.size(), 2u);
  EXPECT_EQ(rec_.sleeps[0], absl::Seconds(30));  // honoured, unscaled
}

TEST_F(BinanceRestTest, Http418IsABanNotRetriedAndLaterCallsFailFast) {
  std::atomic<int64_t> now{1'700'000'000'000};
  rec_.now_ms = [&now] { return now.load(); };
  auto client = Client();
  fake_.Script("GET", "/fapi/v1/exchangeInfo",
               {Reply{418, R"({"code":-1003,"msg":"Way too many requests; IP banned until 1700000120000."})",
                      {{"Retry-After", "120"}}}});
  absl::Status status = GetExchangeInfo(*client).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  EXPECT_TRUE(IsIpBanned(status));
  EXPECT_TRUE(absl::StrContains(status.message(), "418")) << status;
  EXPECT_TRUE(absl::StrContains(status.message(), "Retry-After 120")) << status;
  EXPECT_EQ(client->banned_until_ms(), 1'700'000'120'000);
  EXPECT_EQ(fake_.Count("GET", "/fapi/v1/exchangeInfo"), 1);
  EXPECT_TRUE(rec_.backoffs.empty());

  now += 60'000;  // still banned: nothing reaches the network
  status = GetExchangeInfo(*client).status();
  EXPECT_TRUE(IsIpBanned(status)) << status;
  EXPECT_EQ(fake_.Count("GET", "/fapi/v1/exchangeInfo"), 1);

  now += 61'000;  // the ban is over
  EXPECT_TRUE(GetExchangeInfo(*client).ok());
  EXPECT_EQ(fake_.Count("GET", "/fapi/v1/exchangeInfo"), 2);
}

TEST_F(BinanceRestTest, Http418WithoutRetryAfterUsesTheTimeInTheMessage) {
  std::atomic<int64_t> now{1'700'000'000'000};
  rec_.now_ms = [&now] { return now.load(); };
  auto client = Client();
  fake_.Script("GET", "/fapi/v1/exchangeInfo",
               {Reply{418, R"({"code":-1003,"msg":"Way too many requests; IP banned until 1700000300000. Please use the websocket."})"}});
  EXPECT_TRUE(IsIpBanned(GetExchangeInfo(*client).status()));
  EXPECT_EQ(client->banned_until_ms(), 1'700'000'300'000);
}

TEST_F(BinanceRestTest, ServerErrorsAreRetriedWithJitteredBackoffThenSucceed) {
  auto client = Client();
  fake_.Script("GET", "/fapi/v1/openOrders", {Reply{503, "Service Unavailable"}, Reply{500, ""}});
  absl::StatusOr<std::vector<OrderResult>> orders = OpenOrders(*client, std::nullopt);
  ASSERT_TRUE(orders.ok()) << orders.status();
  EXPECT_EQ(fake_.Count("GET", "/fapi/v1/openOrders"), 3);
  ASSERT_EQ(rec_.backoffs.size(), 2u);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(rec_.backoffs[i].first, BackoffReason::kServerError);
    const absl::Duration full = absl::Milliseconds(100 << i);  // 100 ms, doubled
    EXPECT_GE(rec_.backoffs[i].second, full / 2);
    EXPECT_LE(rec_.backoffs[i].second, full);
  }
  // Latency and usage of every attempt reach the hook; paths carry no query.
  std::vector<RequestSample> order_samples;
  for (const RequestSample& s : rec_.samples) {
    EXPECT_FALSE(absl::StrContains(s.path, "?"));
    EXPECT_GE(s.latency_seconds, 0.0);
    if (s.path == "/fapi/v1/openOrders") order_samples.push_back(s);
  }
  ASSERT_EQ(order_samples.size(), 3u);
  EXPECT_EQ(order_samples[0].http_status, 503);
  EXPECT_EQ(order_samples[2].http_status, 200);
  EXPECT_EQ(order_samples[2].attempt, 2);
  EXPECT_EQ(order_samples[2].usage.used_weight_1m, 10);
  EXPECT_EQ(order_samples[2].usage.order_count_10s, 3);
  EXPECT_EQ(order_samples[2].usage.order_count_1m, 7);
  EXPECT_EQ(client->last_usage().order_count_1m, 7);
}

TEST_F(BinanceRestTest, SeededJitterIsReproducible) {
  auto run = [&](uint64_t seed) {
    Recorder rec;
    RestOptions options = TestOptions(fake_.Url());
    options.jitter_seed = seed;
    options.backoff_initial_ms = 1000;
    options.backoff_max_ms = 100000;
    auto client = MakeClient(options, rec);
    fake_.Script("GET", "/fapi/v1/openOrders", {Reply{502, ""}, Reply{502, ""}, Reply{502, ""}});
    EXPECT_TRUE(OpenOrders(*client, std::nullopt).ok());
    std::vector<absl::Duration> delays;
    for (const auto& [r, d] : rec.backoffs) delays.push_back(d);
    return delays;
  };
  const std::vector<absl::Duration> first = run(42);
  EXPECT_EQ(first.size(), 3u);
  EXPECT_EQ(run(42), first);
}

TEST_F(BinanceRestTest, ServerErrorsBeyondTheRetryBudgetAreUnavailable) {
  auto client = Client();
  fake_.Script("GET", "/fapi/v1/openOrders", {Reply{503, ""}, Reply{503, ""}, Reply{503, ""}, Reply{503, ""}, Reply{503, ""}});
  absl::Status status = OpenOrders(*client, std::nullopt).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_EQ(fake_.Count("GET", "/fapi/v1/openOrders"), 4);  // 1 + max_retries
  EXPECT_EQ(client->backoff_count(), 3);
}

TEST_F(BinanceRestTest, NewOrderTimeoutIsOutcomeUnknownAndNeverResent) {
  RestOptions options = TestOptions(fake_.Url());
  options.request_timeout_ms = 500;
  auto client = Client(options);
  ASSERT_TRUE(client->SyncTime().ok());
  Reply slow;
  slow.stall = true;  // answers only after the client gave up
  fake_.Script("POST", "/fapi/v1/order", {slow, slow});
  absl::Status status = NewOrder(*client, LimitBuy()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_TRUE(absl::StrContains(status.message(), "outcome unknown")) << status;
  ASSERT_TRUE(fake_.WaitForCount("POST", "/fapi/v1/order", 1));
  fake_.Release();
  EXPECT_EQ(fake_.Count("POST", "/fapi/v1/order"), 1);
  EXPECT_TRUE(rec_.backoffs.empty());
  // The engine's next step: ask for it by client id.
  EXPECT_TRUE(QueryOrder(*client, Symbol{"BTCUSDT"}, ClientOrderId{"apollo-42-entry"}).ok());
  EXPECT_EQ(fake_.Count("POST", "/fapi/v1/order"), 1);
}

TEST_F(BinanceRestTest, OrderPlacingServerErrorsAreOutcomeUnknownNotRetried) {
  auto client = Client();
  fake_.Script("POST", "/fapi/v1/order", {Reply{502, "Bad Gateway"}, Reply{502, ""}});
  absl::Status status = NewOrder(*client, LimitBuy()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_EQ(fake_.Count("POST", "/fapi/v1/order"), 1);

  fake_.Script("POST", "/fapi/v1/algoOrder", {Reply{503, ""}, Reply{503, ""}});
  NewAlgoOrderRequest stop;
  stop.symbol = Symbol{"BTCUSDT"};
  stop.trigger_price = D("45000");
  stop.close_position = true;
  stop.client_algo_id = ClientOrderId{"apollo-42-sl"};
  status = NewAlgoOrder(*client, stop).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_EQ(fake_.Count("POST", "/fapi/v1/algoOrder"), 1);
  EXPECT_TRUE(rec_.backoffs.empty());
}

TEST_F(BinanceRestTest, IdempotentTimeoutIsRetried) {
  RestOptions options = TestOptions(fake_.Url());
  options.request_timeout_ms = 500;
  auto client = Client(options);
  Reply slow;
  slow.stall = true;
  fake_.Script("GET", "/fapi/v1/order", {slow});
  absl::StatusOr<OrderResult> order = QueryOrder(*client, Symbol{"BTCUSDT"}, ClientOrderId{"apollo-42-entry"});
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_EQ(fake_.Count("GET", "/fapi/v1/order"), 2);
  EXPECT_EQ(rec_.Reasons(), std::vector<BackoffReason>{BackoffReason::kTransport});
}

// A TCP port on 127.0.0.1 that refuses connections (bound, never listening).
class ClosedPort {
 public:
  ClosedPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~ClosedPort() { ::close(fd_); }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST_F(BinanceRestTest, RefusedConnectionIsRetriedEvenForNewOrderBecauseNothingWasSent) {
  ClosedPort closed;
  auto client = Client(TestOptions(closed.Url()));
  // Unsigned, so no time sync comes first: the order POST itself is refused.
  absl::Status status = client->Call(HttpMethod::kPost, "/fapi/v1/order", Params(), Security::kNone).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_EQ(rec_.samples.size(), 4u);
  for (const RequestSample& s : rec_.samples) EXPECT_EQ(s.http_status, 0);
  EXPECT_EQ(rec_.Reasons(), std::vector<BackoffReason>(3, BackoffReason::kTransport));
}

TEST(RestClientOptionsTest, DefaultsToTestnetAndRejectsUnsafeOptions) {
  EXPECT_EQ(RestOptions().base_url, "https://testnet.binancefuture.com");
  EXPECT_EQ(kLiveBaseUrl, "https://fapi.binance.com");
  EXPECT_TRUE(RestClient::Create(RestOptions()).ok());  // creating touches no network
  auto invalid = [](auto mutate) {
    RestOptions o;
    mutate(o);
    return RestClient::Create(o).status().code() == absl::StatusCode::kInvalidArgument;
  };
  EXPECT_TRUE(invalid([](RestOptions& o) { o.base_url = "ftp://fapi.binance.com"; }));
  EXPECT_TRUE(invalid([](RestOptions& o) { o.recv_window_ms = 70'000; }));
  EXPECT_TRUE(invalid([](RestOptions& o) { o.max_retries = 1000; }));
  EXPECT_TRUE(invalid([](RestOptions& o) { o.weight_threshold = 1.5; }));
  EXPECT_TRUE(invalid([](RestOptions& o) { o.request_timeout_ms = 0; }));
}

TEST(RestClientOptionsTest, OnlyOrderPlacingPostsAreNotIdempotent) {
  EXPECT_FALSE(IsIdempotent(HttpMethod::kPost, "/fapi/v1/order"));
  EXPECT_FALSE(IsIdempotent(HttpMethod::kPost, "/fapi/v1/algoOrder"));
  EXPECT_FALSE(IsIdempotent(HttpMethod::kPost, "/fapi/v1/batchOrders"));
  EXPECT_TRUE(IsIdempotent(HttpMethod::kDelete, "/fapi/v1/order"));
  EXPECT_TRUE(IsIdempotent(HttpMethod::kGet, "/fapi/v1/order"));
  EXPECT_TRUE(IsIdempotent(HttpMethod::kPost, "/fapi/v1/listenKey"));
}

TEST(RestClientOptionsTest, CallsNeedingCredentialsFailBeforeSending) {
  ClosedPort closed;
  Recorder rec;
  RestOptions options = TestOptions(closed.Url());
  options.api_secret.clear();
  auto no_secret = MakeClient(options, rec);
  EXPECT_EQ(no_secret->Call(HttpMethod::kGet, "/fapi/v1/openOrders", Params(), Security::kSigned).status().code(),
            absl::StatusCode::kFailedPrecondition);
  options.api_key.clear();
  auto no_key = MakeClient(options, rec);
  EXPECT_EQ(no_key->Call(HttpMethod::kPost, "/fapi/v1/listenKey", Params(), Security::kApiKey).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(no_key->Call(HttpMethod::kGet, "/fapi/v1/time?x=1", Params(), Security::kNone).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(rec.samples.empty());
}

TEST_F(BinanceRestTest, UsedWeightAboveThresholdDelaysTheNextRequest) {
  // 35 s into a minute on the injected clock: the window rolls over in 25 s.
  std::atomic<int64_t> now{1'700'000'015'000};
  rec_.now_ms = [&now] { return now.load(); };
  RestOptions options = TestOptions(fake_.Url());
  options.weight_limit_1m = 2400;
  options.weight_threshold = 0.8;
  options.weight_delay_max_ms = 30'000;
  auto client = Client(options);

  fake_.set_used_weight(1919);  // just under 80 % of 2400
  ASSERT_TRUE(GetExchangeInfo(*client).ok());
  ASSERT_TRUE(GetExchangeInfo(*client).ok());
  EXPECT_TRUE(rec_.sleeps.empty());

  fake_.set_used_weight(2000);  // over: the request after this answer waits
  ASSERT_TRUE(GetExchangeInfo(*client).ok());
  EXPECT_TRUE(rec_.sleeps.empty());
  EXPECT_EQ(client->last_usage().used_weight_1m, 2000);
  fake_.set_used_weight(12);
  ASSERT_TRUE(GetExchangeInfo(*client).ok());
  ASSERT_EQ(rec_.sleeps.size(), 1u);
  EXPECT_EQ(rec_.sleeps[0], absl::Seconds(25));
  EXPECT_EQ(rec_.hits_at_sleep[0], 3u) << "the wait happens before the 4th request is sent";
  EXPECT_EQ(rec_.Reasons(), std::vector<BackoffReason>{BackoffReason::kUsedWeight});
  EXPECT_EQ(fake_.Count("GET", "/fapi/v1/exchangeInfo"), 4);

  ASSERT_TRUE(GetExchangeInfo(*client).ok());  // back under: no more waiting
  EXPECT_EQ(rec_.sleeps.size(), 1u);

  // The pause is bounded by weight_delay_max_ms.
  options.weight_delay_max_ms = 2'000;
  Recorder bounded;
  bounded.now_ms = rec_.now_ms;
  auto capped = MakeClient(options, bounded);
  fake_.set_used_weight(2399);
  ASSERT_TRUE(GetExchangeInfo(*capped).ok());
  ASSERT_TRUE(GetExchangeInfo(*capped).ok());
  ASSERT_EQ(bounded.sleeps.size(), 1u);
  EXPECT_EQ(bounded.sleeps[0], absl::Seconds(2));
}

// Near the order-count limits (exchangeInfo's ORDERS: 300 per 10 s, 1200 per
// minute) the next order waits for its window to roll over; other calls do
// not wait for it.
TEST_F(BinanceRestTest, OrderCountNearTheLimitDelaysTheNextOrder) {
  std::atomic<int64_t> now{1'700'000'013'000};
  rec_.now_ms = [&now] { return now.load(); };
  RestOptions options = TestOptions(fake_.Url());
  options.weight_threshold = 0.8;
  options.weight_delay_max_ms = 60'000;
  auto client = Client(options);
  client->set_order_limits(300, 1200);

  fake_.set_order_counts(239, 100);  // just under 80 % of 300
  ASSERT_TRUE(NewOrder(*client, LimitBuy()).ok());
  // The windows are the venue's: its clock is ours plus the measured offset.
  const int64_t server_ms = now + client->server_offset_ms();
  const absl::Duration to_next_10s = absl::Milliseconds(10'000 - server_ms % 10'000);
  const absl::Duration to_next_minute = absl::Milliseconds(60'000 - server_ms % 60'000);
  ASSERT_TRUE(NewOrder(*client, LimitBuy()).ok());
  EXPECT_TRUE(rec_.sleeps.empty());

  fake_.set_order_counts(250, 100);  // over per 10 s: the next order waits for the window
  ASSERT_TRUE(NewOrder(*client, LimitBuy()).ok());
  ASSERT_TRUE(GetExchangeInfo(*client).ok());  // not an order: no wait
  EXPECT_TRUE(rec_.sleeps.empty());
  fake_.set_order_counts(1, 1);
  ASSERT_TRUE(NewOrder(*client, LimitBuy()).ok());
  ASSERT_EQ(rec_.sleeps.size(), 1u);
  EXPECT_EQ(rec_.sleeps[0], to_next_10s);
  EXPECT_EQ(rec_.Reasons(), std::vector<BackoffReason>{BackoffReason::kOrderCount});

  fake_.set_order_counts(5, 1000);  // over per minute: the minute is waited out
  ASSERT_TRUE(NewOrder(*client, LimitBuy()).ok());
  fake_.set_order_counts(1, 1);
  ASSERT_TRUE(NewOrder(*client, LimitBuy()).ok());
  ASSERT_EQ(rec_.sleeps.size(), 2u);
  EXPECT_EQ(rec_.sleeps[1], to_next_minute);
  ASSERT_TRUE(NewOrder(*client, LimitBuy()).ok());  // back under: no more waiting
  EXPECT_EQ(rec_.sleeps.size(), 2u);
}

TEST_F(BinanceRestTest, BinanceErrorsBecomeStatusesCarryingCodeAndMsg) {
  auto client = Client();
  fake_.Script("POST", "/fapi/v1/order", {Reply{400, R"({"code":-2019,"msg":"Margin is insufficient."})"},
                                          Reply{400, R"({"code":-4014,"msg":"Price not increased by tick size."})"}});
  absl::Status margin = NewOrder(*client, LimitBuy()).status();
  EXPECT_EQ(margin.code(), absl::StatusCode::kFailedPrecondition) << margin;
  ASSERT_TRUE(GetBinanceError(margin).has_value());
  EXPECT_EQ(*GetBinanceError(margin), (BinanceError{-2019, "Margin is insufficient.", 400}));
  EXPECT_TRUE(absl::StrContains(margin.message(), "-2019 Margin is insufficient.")) << margin;
  EXPECT_EQ(NewOrder(*client, LimitBuy()).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(fake_.Count("POST", "/fapi/v1/order"), 2) << "refusals are answers, not retried";

  fake_.Script("GET", "/fapi/v1/order", {Reply{400, R"({"code":-2013,"msg":"Order does not exist."})"}});
  absl::Status missing = QueryOrder(*client, Symbol{"BTCUSDT"}, ClientOrderId{"apollo-42-entry"}).status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound) << missing;
  EXPECT_EQ(GetBinanceError(missing)->code, -2013);

  // A wrong secret is refused by the fake's own HMAC check.
  RestOptions wrong = TestOptions(fake_.Url());
  wrong.api_secret = "not-the-secret";
  auto impostor = Client(wrong);
  absl::Status refused = OpenOrders(*impostor, std::nullopt).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied) << refused;
  EXPECT_EQ(GetBinanceError(refused)->code, -1022);
}

TEST_F(BinanceRestTest, UnreadableAnswersAreReportedNotCrashed) {
  auto client = Client();
  fake_.Script("POST", "/fapi/v1/order", {Reply{200, "{\"orderId\": 1, \"symbol\""}});
  absl::Status placed = NewOrder(*client, LimitBuy()).status();
  EXPECT_EQ(placed.code(), absl::StatusCode::kDeadlineExceeded) << placed;  // it may exist: query it
  fake_.Script("GET", "/fapi/v1/order", {Reply{200, "{}"}});
  absl::Status queried = QueryOrder(*client, Symbol{"BTCUSDT"}, ClientOrderId{"x"}).status();
  EXPECT_EQ(queried.code(), absl::StatusCode::kInvalidArgument) << queried;
  EXPECT_TRUE(absl::StrContains(queried.message(), "'symbol'")) << queried;
  fake_.Script("GET", "/fapi/v1/openOrders", {Reply{400, "<html>bad request</html>"}});
  absl::Status html = OpenOrders(*client, std::nullopt).status();
  EXPECT_EQ(html.code(), absl::StatusCode::kFailedPrecondition) << html;
  EXPECT_EQ(GetBinanceError(html)->http_status, 400);
}

// Every failure path, with recognisable credentials: neither the key, the
// secret nor any signature the server saw may appear in a status (message or
// payload) or in anything handed to a hook.
TEST_F(BinanceRestTest, SecretsNeverAppearInStatusesOrHookArguments) {
  RestOptions options = TestOptions(fake_.Url());
  options.request_timeout_ms = 500;
  options.max_retries = 1;
  auto client = Client(options);
  std::vector<absl::Status> statuses;
  auto keep = [&](const absl::Status& s) {
    EXPECT_FALSE(s.ok());
    statuses.push_back(s);
  };

  Reply slow;
  slow.stall = true;
  Reply echo;
  echo.status = 400;
  echo.echo_secrets = true;  // Binance quoting our secrets back at us
  fake_.Script("POST", "/fapi/v1/order",
               {Reply{400, R"({"code":-2019,"msg":"Margin is insufficient."})"}, echo, Reply{502, ""}, slow,
                Reply{200, "{not json"}});
  for (int i = 0; i < 5; ++i) keep(NewOrder(*client, LimitBuy()).status());
  fake_.Release();

  const std::string skew = R"({"code":-1021,"msg":"Timestamp for this request is outside of the recvWindow."})";
  fake_.Script("GET", "/fapi/v1/openOrders",
               {Reply{429, R"({"code":-1003,"msg":"Too many requests."})", {{"Retry-After", "0"}}},
                Reply{429, R"({"code":-1003,"msg":"Too many requests."})", {{"Retry-After", "0"}}},
                Reply{503, ""}, Reply{503, ""}, Reply{400, skew}, Reply{400, skew}, echo});
  for (int i = 0; i < 4; ++i) keep(OpenOrders(*client, std::nullopt).status());
  fake_.Script("GET", "/fapi/v1/order", {Reply{200, "{}"}});
  keep(QueryOrder(*client, Symbol{"BTCUSDT"}, ClientOrderId{"apollo-1"}).status());
  fake_.Script("DELETE", "/fapi/v1/algoOrder", {echo});
  keep(CancelAlgoOrder(*client, ClientOrderId{"apollo-1-sl"}).status());
  fake_.Script("POST", "/fapi/v1/listenKey", {echo});
  keep(CreateListenKey(*client).status());

  RestOptions impostor_options = options;
  impostor_options.api_key = std::string(kKey) + "-OTHER";
  impostor_options.api_secret = std::string(kSecret) + "-OTHER";
  auto impostor = Client(impostor_options);
  keep(OpenOrders(*impostor, std::nullopt).status());  // -2015 from the fake

  ClosedPort closed;
  auto unreachable = Client([&] {
    RestOptions o = options;
    o.base_url = closed.Url();
    return o;
  }());
  keep(NewOrder(*unreachable, LimitBuy()).status());

  fake_.Script("GET", "/fapi/v1/openOrders", {Reply{418, R"({"code":-1003,"msg":"Way too many requests."})", {{"Retry-After", "5"}}}});
  keep(OpenOrders(*client, std::nullopt).status());
  keep(OpenOrders(*client, std::nullopt).status());  // fails fast while banned

  std::vector<std::string> forbidden = {kKey, kSecret, impostor_options.api_key, impostor_options.api_secret};
  for (const std::string& sig : fake_.SignaturesSeen()) forbidden.push_back(sig);
  ASSERT_GT(fake_.SignaturesSeen().size(), 5u);
  ASSERT_FALSE(fake_.Hits("POST", "/fapi/v1/order").empty());
  EXPECT_EQ(fake_.Hits("POST", "/fapi/v1/order")[0].api_key, kKey) << "the key did travel, in its header";

  std::vector<std::string> texts = rec_.Texts();
  for (const absl::Status& s : statuses) {
    texts.push_back(s.ToString());  // message and payloads
    if (auto e = GetBinanceError(s)) texts.push_back(e->msg);
  }
  EXPECT_GE(statuses.size(), 14u);
  bool saw_redaction = false;
  for (const std::string& text : texts) {
    for (const std::string& secret : forbidden) {
      EXPECT_FALSE(absl::StrContains(text, secret)) << "leaked into: " << text;
    }
    saw_redaction = saw_redaction || absl::StrContains(text, "<redacted>");
  }
  EXPECT_TRUE(saw_redaction) << "the hostile echo should have been scrubbed, not dropped";
}

// =============================================================================
// The one rate gate (issue 14 §6): the client takes each request's weight
// from the gate's "binance" bucket and tells it every wait Binance asks for.
// =============================================================================

class BinanceGateTest : public BinanceRestTest {
 protected:
  BinanceGateTest() {
    rec_.now_ms = [this] { return now_ms_.load(); };
    rec_.advance = [this](absl::Duration d) { Advance(d); };
  }
  // A gate on the same fake clock, whose waits move it too.
  std::unique_ptr<net::RateGate> Gate(int64_t per_minute) {
    return std::make_unique<net::RateGate>(
        absl::btree_map<std::string, net::Quota>{{"binance", net::Quota{per_minute, absl::Minutes(1), 0}}},
        [this] { return absl::FromUnixMillis(now_ms_.load()); },
        [this](absl::Duration d) { Advance(d); });
  }
  // A sleep moves the clock by at least what it asked (whole ms, rounded up).
  void Advance(absl::Duration d) { now_ms_ += absl::ToInt64Milliseconds(absl::Ceil(d, absl::Milliseconds(1))); }
  std::unique_ptr<RestClient> GatedClient(net::RateGate* gate, int64_t max_wait_ms = 10'000) {
    RestOptions options = TestOptions(fake_.Url());
    options.gate = gate;
    options.weight_delay_max_ms = max_wait_ms;
    return Client(options);
  }
  static net::ProviderStatus Binance(const net::RateGate& gate) { return gate.Snapshot().at(0); }

  std::atomic<int64_t> now_ms_{1'700'000'015'000};
};

TEST_F(BinanceGateTest, ASpentQuotaHoldsTheCallBackUnsentOrWaitsForItsRefill) {
  auto gate = Gate(2);  // 2 a minute: one more every 30 s
  auto client = GatedClient(gate.get());
  ASSERT_TRUE(GetExchangeInfo(*client).ok());
  ASSERT_TRUE(GetExchangeInfo(*client).ok());
  absl::Status refused = GetExchangeInfo(*client).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted) << refused;
  EXPECT_EQ(refused.message(), "GET /fapi/v1/exchangeInfo, not sent: rate gate: binance is out of its quota for 30s more");
  EXPECT_EQ(fake_.Count("GET", "/fapi/v1/exchangeInfo"), 2);
  EXPECT_EQ(Binance(*gate).refused, 1u);

  auto patient = GatedClient(gate.get(), /*max_wait_ms=*/60'000);  // a wait within its bound is taken
  const int64_t before = now_ms_.load();
  ASSERT_TRUE(GetExchangeInfo(*patient).ok());
  EXPECT_EQ(now_ms_.load() - before, 30'000);
  EXPECT_EQ(fake_.Count("GET", "/fapi/v1/exchangeInfo"), 3);
  EXPECT_EQ(Binance(*gate).waits, 1u);
}

TEST_F(BinanceGateTest, EachCallIsChargedBinancesDocumentedWeight) {
  EXPECT_EQ(RequestWeight(HttpMethod::kGet, "/fapi/v1/openOrders", Params()), 40);
  EXPECT_EQ(RequestWeight(HttpMethod::kGet, "/fapi/v1/openOrders", Params().Add("symbol", "BTCUSDT")), 1);
  EXPECT_EQ(RequestWeight(HttpMethod::kGet, "/fapi/v1/klines", Params().AddInt("limit", 1500)), 10);
  EXPECT_EQ(RequestWeight(HttpMethod::kGet, "/fapi/v1/klines", Params().AddInt("limit", 99)), 1);
  EXPECT_EQ(RequestWeight(HttpMethod::kGet, "/fapi/v3/account", Params()), 5);
  EXPECT_EQ(RequestWeight(HttpMethod::kPost, "/fapi/v1/order", Params()), 0) << "orders count in the order limits";

  auto gate = Gate(2400);
  auto client = GatedClient(gate.get());
  fake_.set_used_weight(0);
  ASSERT_TRUE(OpenOrders(*client, std::nullopt).ok());  // the server time first (1), then all symbols' (40)
  EXPECT_DOUBLE_EQ(Binance(*gate).tokens, 2359);
  fake_.set_used_weight(1800);  // Binance's own count is the lower: the gate believes it
  ASSERT_TRUE(GetExchangeInfo(*client).ok());
  EXPECT_DOUBLE_EQ(Binance(*gate).tokens, 600);
}

TEST_F(BinanceGateTest, A429BecomesTheGatesBackoffSoOtherCallsWaitItOutUnsent) {
  auto gate = Gate(2400);
  RestOptions options = TestOptions(fake_.Url());
  options.gate = gate.get();
  options.max_retries = 0;
  auto first = Client(options);
  fake_.Script("GET", "/fapi/v1/openOrders",
               {Reply{429, R"({"code":-1003,"msg":"Too many requests."})", {{"Retry-After", "20"}}}});
  EXPECT_EQ(OpenOrders(*first, std::nullopt).status().code(), absl::StatusCode::kResourceExhausted);
  net::ProviderStatus s = Binance(*gate);
  EXPECT_EQ(s.backoffs, 1u);
  EXPECT_EQ(s.backoff_reason, "HTTP 429");
  EXPECT_EQ(s.backoff_until, absl::FromUnixMillis(now_ms_.load()) + absl::Seconds(20));

  auto other = GatedClient(gate.get());  // another client of the gate: not sent during the backoff
  absl::Status held = GetExchangeInfo(*other).status();
  EXPECT_EQ(held.message(), "GET /fapi/v1/exchangeInfo, not sent: rate gate: binance is backing off (HTTP 429) for 20s more");
  EXPECT_EQ(fake_.Count("GET", "/fapi/v1/exchangeInfo"), 0);
  now_ms_ += 20'000;
  EXPECT_TRUE(GetExchangeInfo(*other).ok());
}

TEST_F(BinanceGateTest, AnOperatorsResetOfTheGateLiftsThe418Ban) {
  auto gate = Gate(2400);
  auto client = GatedClient(gate.get());
  fake_.Script("GET", "/fapi/v1/exchangeInfo",
               {Reply{418, R"({"code":-1003,"msg":"Way too many requests; IP banned."})", {{"Retry-After", "120"}}}});
  EXPECT_TRUE(IsIpBanned(GetExchangeInfo(*client).status()));
  EXPECT_EQ(Binance(*gate).backoff_reason, "HTTP 418: IP banned");
  EXPECT_EQ(Binance(*gate).backoff_until, absl::FromUnixMillis(now_ms_.load()) + absl::Seconds(120));
  EXPECT_TRUE(IsIpBanned(GetExchangeInfo(*client).status())) << "banned: not sent";
  EXPECT_EQ(fake_.Count("GET", "/fapi/v1/exchangeInfo"), 1);

  ASSERT_TRUE(gate->Reset("binance").ok());
  EXPECT_TRUE(GetExchangeInfo(*client).ok());
  EXPECT_EQ(fake_.Count("GET", "/fapi/v1/exchangeInfo"), 2);
  EXPECT_EQ(client->banned_until_ms(), 0);
}

}  // namespace
}  // namespace apollo::venue::binance
