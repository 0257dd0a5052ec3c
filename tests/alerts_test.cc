// Tests for the alert webhooks (engine/ops/alerts.h) against a local
// cpp-httplib receiver: payload shapes, one alert per incident, retries, and
// that a dead or stalled webhook never blocks the caller.
#include "engine/ops/alerts.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/time/clock.h"

namespace apollo::ops {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr int64_t kDrainMs = 10000;  // generous: the machine is shared

// Parses a JSON object whose members are all strings; nullopt if the text is
// anything else (including raw control characters inside a string).
class FlatJsonParser {
 public:
  explicit FlatJsonParser(std::string_view s) : s_(s) {}

  std::optional<std::map<std::string, std::string>> Parse() {
    std::map<std::string, std::string> members;
    if (!Eat('{')) return std::nullopt;
    if (Eat('}')) return End(members);
    do {
      std::optional<std::string> key = String();
      if (!key || !Eat(':')) return std::nullopt;
      std::optional<std::string> value = String();
      if (!value) return std::nullopt;
      members[*key] = *value;
    } while (Eat(','));
    if (!Eat('}')) return std::nullopt;
    return End(members);
  }

 private:
  void SkipSpace() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t')) ++i_;
  }
  bool Eat(char c) {
    SkipSpace();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  std::optional<std::map<std::string, std::string>> End(std::map<std::string, std::string> m) {
    SkipSpace();
    if (i_ != s_.size()) return std::nullopt;
    return m;
  }
  std::optional<std::string> String() {
    if (!Eat('"')) return std::nullopt;
    std::string out;
    while (i_ < s_.size()) {
      unsigned char c = s_[i_++];
      if (c == '"') return out;
      if (c < 0x20) return std::nullopt;
      if (c != '\\') {
        out.push_back(static_cast<char>(c));
        continue;
      }
      if (i_ >= s_.size()) return std::nullopt;
      char e = s_[i_++];
      switch (e) {
        case '"': case '\\': case '/': out.push_back(e); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
          if (i_ + 4 > s_.size()) return std::nullopt;
          unsigned cp = std::stoul(std::string(s_.substr(i_, 4)), nullptr, 16);
          i_ += 4;
          if (cp >= 0x80) return std::nullopt;  // enough for these tests
          out.push_back(static_cast<char>(cp));
          break;
        }
        default: return std::nullopt;
      }
    }
    return std::nullopt;
  }

  std::string_view s_;
  size_t i_ = 0;
};

std::optional<std::map<std::string, std::string>> ParseFlatJson(std::string_view s) {
  return FlatJsonParser(s).Parse();
}

// One POST as the receiver saw it.
struct Hit {
  std::string path;
  std::string body;
  std::string content_type;
  bool has_query = false;
};

// A local webhook on 127.0.0.1. `status_for` chooses the answer to the n-th
// POST (0-based); Stall() makes handlers block until Release() (bounded).
class Receiver {
 public:
  explicit Receiver(std::function<int(int)> status_for = [](int) { return 200; })
      : status_for_(std::move(status_for)) {
    server_.Post(R"(/.*)", [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); });
    server_.Get("/ready", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok", "text/plain"); });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // A request answered proves the accept loop runs, so stop() cannot race it.
    httplib::Client client("127.0.0.1", port_);
    client.set_connection_timeout(5);
    client.set_read_timeout(5);
    auto ready = client.Get("/ready");
    EXPECT_TRUE(ready && ready->status == 200) << "receiver did not start";
  }
  ~Receiver() {
    Release();
    server_.stop();
    thread_.join();
  }

  std::string Url(const std::string& path_and_query) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path_and_query;
  }
  void Stall() {
    std::lock_guard<std::mutex> lock(mu_);
    stalled_ = true;
  }
  void Release() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stalled_ = false;
    }
    cv_.notify_all();
  }
  // Waits (bounded) until at least n POSTs have arrived.
  bool WaitForHits(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return hits_.size() >= n; });
  }
  std::vector<Hit> hits() {
    std::lock_guard<std::mutex> lock(mu_);
    return hits_;
  }

 private:
  void Handle(const httplib::Request& req, httplib::Response& res) {
    std::unique_lock<std::mutex> lock(mu_);
    int n = static_cast<int>(hits_.size());
    hits_.push_back(Hit{req.path, req.body, req.get_header_value("Content-Type"), !req.params.empty()});
    cv_.notify_all();
    cv_.wait_for(lock, std::chrono::seconds(10), [this] { return !stalled_; });
    res.status = status_for_(n);
    res.set_content("{\"ok\":true}", "application/json");
  }

  std::function<int(int)> status_for_;
  httplib::Server server_;
  int port_ = -1;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stalled_ = false;
  std::vector<Hit> hits_;
};

// A TCP port on 127.0.0.1 that refuses connections: bound but not listening,
// held for the socket's lifetime so nobody else takes it.
class ClosedPort {
 public:
  ClosedPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    EXPECT_EQ(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    port_ = ntohs(addr.sin_port);
  }
  ~ClosedPort() { ::close(fd_); }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// What on_result reported, in order.
struct Result {
  std::string kind, host;
  bool delivered;
  int attempts;
};

class Results {
 public:
  void Attach(AlerterOptions* options) {
    options->on_result = [this](const std::string& kind, const std::string& host, bool delivered, int attempts) {
      std::lock_guard<std::mutex> lock(mu_);
      results_.push_back(Result{kind, host, delivered, attempts});
    };
  }
  std::vector<Result> get() {
    std::lock_guard<std::mutex> lock(mu_);
    return results_;
  }

 private:
  std::mutex mu_;
  std::vector<Result> results_;
};

AlerterOptions FastOptions() {
  AlerterOptions options;
  options.max_attempts = 3;
  options.timeout_ms = 300;
  options.first_backoff_ms = 10;
  return options;
}

TEST(AlertsTest, SlackWebhookGetsTheTextAsJson) {
  Receiver receiver;
  Results results;
  AlerterOptions options = FastOptions();
  results.Attach(&options);
  const std::string text = "Circuit breaker: \"3\" losses\nsee C:\\logs\ttab \x01 € end";
  {
    Alerter alerter({receiver.Url("/services/T0/B0/secret")}, options);
    ASSERT_TRUE(alerter.Raise("circuit_breaker", "seq-812", text));
    ASSERT_TRUE(alerter.Drain(kDrainMs));
  }
  std::vector<Hit> hits = receiver.hits();
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].path, "/services/T0/B0/secret");
  EXPECT_EQ(hits[0].content_type, "application/json");
  auto json = ParseFlatJson(hits[0].body);
  ASSERT_TRUE(json) << hits[0].body;
  EXPECT_EQ(*json, (std::map<std::string, std::string>{{"text", text}}));

  std::vector<Result> got = results.get();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].kind, "circuit_breaker");
  EXPECT_EQ(got[0].host, "127.0.0.1");
  EXPECT_TRUE(got[0].delivered);
  EXPECT_EQ(got[0].attempts, 1);
}

TEST(AlertsTest, TelegramUrlGetsChatIdAndTextPostedWithoutTheQuery) {
  Receiver receiver;
  {
    Alerter alerter({receiver.Url("/bot123:ABC/sendMessage?chat_id=42")}, FastOptions());
    ASSERT_TRUE(alerter.Raise("halt", "seq-1", "Trading halted: \"disk\""));
    ASSERT_TRUE(alerter.Drain(kDrainMs));
  }
  std::vector<Hit> hits = receiver.hits();
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].path, "/bot123:ABC/sendMessage");
  EXPECT_FALSE(hits[0].has_query);
  EXPECT_EQ(hits[0].content_type, "application/json");
  auto json = ParseFlatJson(hits[0].body);
  ASSERT_TRUE(json) << hits[0].body;
  EXPECT_EQ(*json, (std::map<std::string, std::string>{{"chat_id", "42"}, {"text", "Trading halted: \"disk\""}}));
}

TEST(AlertsTest, OneAlertPerIncident) {
  Receiver receiver;
  Alerter alerter({receiver.Url("/hook")}, FastOptions());
  EXPECT_TRUE(alerter.Raise("circuit_breaker", "seq-812", "first"));
  EXPECT_FALSE(alerter.Raise("circuit_breaker", "seq-812", "again"));
  EXPECT_FALSE(alerter.Raise("circuit_breaker", "seq-812", "and again"));
  ASSERT_TRUE(alerter.Drain(kDrainMs));
  EXPECT_EQ(receiver.hits().size(), 1u);

  EXPECT_TRUE(alerter.Raise("circuit_breaker", "seq-900", "new incident"));
  EXPECT_TRUE(alerter.Raise("manual_review", "seq-812", "same incident, other kind"));
  ASSERT_TRUE(alerter.Drain(kDrainMs));
  std::vector<Hit> hits = receiver.hits();
  ASSERT_EQ(hits.size(), 3u);
  EXPECT_EQ(ParseFlatJson(hits[0].body)->at("text"), "first");
  EXPECT_EQ(ParseFlatJson(hits[1].body)->at("text"), "new incident");
  EXPECT_EQ(ParseFlatJson(hits[2].body)->at("text"), "same incident, other kind");
}

TEST(AlertsTest, FailingWebhookIsRetriedUntilItAnswers2xx) {
  Receiver receiver([](int n) { return n < 2 ? 500 : 200; });
  Results results;
  AlerterOptions options = FastOptions();
  results.Attach(&options);
  Alerter alerter({receiver.Url("/hook")}, options);
  ASSERT_TRUE(alerter.Raise("halt", "seq-1", "halted"));
  ASSERT_TRUE(alerter.Drain(kDrainMs));
  EXPECT_EQ(receiver.hits().size(), 3u);
  std::vector<Result> got = results.get();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].delivered);
  EXPECT_EQ(got[0].attempts, 3);
}

TEST(AlertsTest, FailingWebhookIsRetriedThenGivenUp) {
  Receiver receiver([](int) { return 500; });
  Results results;
  AlerterOptions options = FastOptions();
  options.max_attempts = 4;
  results.Attach(&options);
  Alerter alerter({receiver.Url("/hook")}, options);
  ASSERT_TRUE(alerter.Raise("halt", "seq-1", "halted"));
  ASSERT_TRUE(alerter.Drain(kDrainMs));
  EXPECT_EQ(receiver.hits().size(), 4u);
  std::vector<Result> got = results.get();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].host, "127.0.0.1");
  EXPECT_FALSE(got[0].delivered);
  EXPECT_EQ(got[0].attempts, options.max_attempts);
}

// Deliveries take their token from the rate gate's "webhooks" bucket: a
// 429 makes the gate wait a second before the next delivery, which then
// goes through.
TEST(AlertsTest, A429MakesTheRateGateWaitASecondBeforeTheNextDelivery) {
  Receiver receiver([](int n) { return n == 0 ? 429 : 200; });
  net::RateGate gate({{std::string(kWebhooksProvider), net::Quota{30, absl::Minutes(1), 5}}});
  Results results;
  AlerterOptions options = FastOptions();
  options.timeout_ms = 3000;  // a delivery may wait out the second
  options.gate = &gate;
  results.Attach(&options);
  Alerter alerter({receiver.Url("/hook")}, options);
  const absl::Time raised = absl::Now();
  ASSERT_TRUE(alerter.Raise("halt", "seq-1", "halted"));
  ASSERT_TRUE(alerter.Drain(kDrainMs));
  EXPECT_EQ(receiver.hits().size(), 2u);
  EXPECT_GE(absl::Now() - raised, absl::Seconds(1));
  std::vector<Result> got = results.get();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].delivered);
  EXPECT_EQ(got[0].attempts, 2);
  const net::ProviderStatus webhooks = gate.Snapshot().at(0);
  EXPECT_EQ(webhooks.backoffs, 1u);
  EXPECT_EQ(webhooks.backoff_reason, "HTTP 429");
}

// Out of quota: the delivery is not sent; each attempt refused counts as a
// failed one.
TEST(AlertsTest, ASpentWebhookQuotaSendsNothingAndTheAlertIsReportedUndelivered) {
  Receiver receiver;
  net::RateGate gate({{std::string(kWebhooksProvider), net::Quota{1, absl::Minutes(1), 1}}});
  Results results;
  AlerterOptions options = FastOptions();
  options.gate = &gate;
  results.Attach(&options);
  Alerter alerter({receiver.Url("/hook")}, options);
  ASSERT_TRUE(alerter.Raise("halt", "seq-1", "first"));
  ASSERT_TRUE(alerter.Raise("halt", "seq-2", "second"));
  ASSERT_TRUE(alerter.Drain(kDrainMs));
  ASSERT_EQ(receiver.hits().size(), 1u);
  EXPECT_EQ(ParseFlatJson(receiver.hits()[0].body)->at("text"), "first");
  std::vector<Result> got = results.get();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(got[0].delivered);
  EXPECT_FALSE(got[1].delivered);
  EXPECT_EQ(got[1].attempts, options.max_attempts);
  EXPECT_EQ(gate.Snapshot().at(0).refused, static_cast<uint64_t>(options.max_attempts));
}

TEST(AlertsTest, RefusedWebhookIsReportedUndeliveredAndOthersStillGetTheAlert) {
  ClosedPort closed;
  Receiver receiver;
  Results results;
  AlerterOptions options = FastOptions();
  results.Attach(&options);
  Alerter alerter({closed.Url(), receiver.Url("/hook")}, options);
  ASSERT_TRUE(alerter.Raise("halt", "seq-1", "halted"));
  ASSERT_TRUE(alerter.Drain(kDrainMs));
  EXPECT_EQ(receiver.hits().size(), 1u);
  std::vector<Result> got = results.get();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_FALSE(got[0].delivered);
  EXPECT_EQ(got[0].attempts, options.max_attempts);
  EXPECT_TRUE(got[1].delivered);
}

TEST(AlertsTest, DeadWebhookNeverBlocksRaise) {
  ClosedPort closed;
  Receiver stalled;
  stalled.Stall();
  auto alerter = std::make_unique<Alerter>(std::vector<std::string>{closed.Url(), stalled.Url("/hook")}, FastOptions());

  auto start = steady_clock::now();
  for (int i = 0; i < 50; ++i) {
    alerter->Raise("halt", "seq-" + std::to_string(i), "halted " + std::to_string(i));
  }
  auto raise_elapsed = steady_clock::now() - start;
  EXPECT_LT(raise_elapsed, milliseconds(50));

  // Destroy while the worker is stuck inside a POST to the stalled webhook.
  ASSERT_TRUE(stalled.WaitForHits(1));
  start = steady_clock::now();
  alerter.reset();
  EXPECT_LT(steady_clock::now() - start, milliseconds(3000));
}

TEST(AlertsTest, DestructorInterruptsTheBackoffWait) {
  Receiver failing([](int) { return 500; });
  AlerterOptions options = FastOptions();
  options.first_backoff_ms = 60000;  // a wait the destructor must cut short
  auto alerter = std::make_unique<Alerter>(std::vector<std::string>{failing.Url("/hook")}, options);
  alerter->Raise("halt", "seq-1", "halted");
  ASSERT_TRUE(failing.WaitForHits(1));
  auto start = steady_clock::now();
  alerter.reset();
  EXPECT_LT(steady_clock::now() - start, milliseconds(3000));
}

TEST(AlertsTest, QueueOverflowDropsTheOldest) {
  Receiver receiver;
  receiver.Stall();
  AlerterOptions options = FastOptions();
  options.max_queued = 2;
  options.timeout_ms = 500;
  Alerter alerter({receiver.Url("/hook")}, options);

  ASSERT_TRUE(alerter.Raise("k", "1", "alert 1"));
  ASSERT_TRUE(receiver.WaitForHits(1));  // alert 1 is in flight, the queue empty
  for (int i = 2; i <= 5; ++i) {
    EXPECT_TRUE(alerter.Raise("k", std::to_string(i), "alert " + std::to_string(i)));
  }
  EXPECT_EQ(alerter.dropped(), 2u);  // alerts 2 and 3

  receiver.Release();
  ASSERT_TRUE(alerter.Drain(kDrainMs));
  std::vector<std::string> texts;
  for (const Hit& hit : receiver.hits()) texts.push_back(ParseFlatJson(hit.body)->at("text"));
  EXPECT_EQ(std::count(texts.begin(), texts.end(), "alert 2"), 0);
  EXPECT_EQ(std::count(texts.begin(), texts.end(), "alert 3"), 0);
  EXPECT_EQ(std::count(texts.begin(), texts.end(), "alert 4"), 1);
  EXPECT_EQ(std::count(texts.begin(), texts.end(), "alert 5"), 1);
}

TEST(AlertsTest, UrlHostKeepsOnlyTheHost) {
  EXPECT_EQ(UrlHost("https://hooks.slack.com/services/T0/B0/secret"), "hooks.slack.com");
  EXPECT_EQ(UrlHost("https://api.telegram.org/bot123:ABC/sendMessage?chat_id=42"), "api.telegram.org");
  EXPECT_EQ(UrlHost("https://user:token@Example.COM:8443/x?y=1#z"), "example.com");
  EXPECT_EQ(UrlHost("http://127.0.0.1:9/hook"), "127.0.0.1");
  EXPECT_EQ(UrlHost("http://[::1]:8080/hook"), "[::1]");
  EXPECT_EQ(UrlHost("hooks.example.net/path@not-userinfo"), "hooks.example.net");
}

}  // namespace
}  // namespace apollo::ops
