// OperatorServer: the HTTP surface. cpp-httplib stays in this one
// translation unit (its header is heavy).
#include "engine/ops/operator_api.h"

#include <httplib.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <deque>
#include <future>
#include <optional>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "engine/domain/codec.h"
#include "engine/domain/json.h"
#include "engine/ops/dashboard.h"
#include "ledger/event_log.h"

namespace apollo::ops {
namespace {

constexpr int kMaxEventsPerPage = 1000;
constexpr int kMaxEquityPoints = 10000;
constexpr const char* kJson = "application/json";

std::string ErrorJson(absl::string_view message) {
  std::string out = "{\"error\":";
  json::AppendString(&out, message);
  out += "}";
  return out;
}

// Equal tokens, compared without leaking where they differ (or their
// lengths: the digests are compared, not the strings).
bool TokenMatches(const std::string& given, const std::string& expected) {
  if (expected.empty() || given.empty()) return false;
  unsigned char a[SHA256_DIGEST_LENGTH], b[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(given.data()), given.size(), a);
  SHA256(reinterpret_cast<const unsigned char*>(expected.data()), expected.size(), b);
  return CRYPTO_memcmp(a, b, sizeof a) == 0;
}

// What a POST says: {"reason": "...", "symbol": "...", "enabled": bool}
// as JSON (each optional), or ?reason= / ?symbol=, or the body as plain
// text (the reason). The reason is "api" when none is given and at most
// 500 characters. A body that starts as JSON but is not an object with
// those fields of those types is InvalidArgument: the operator meant
// something else.
struct CommandBody {
  std::string reason = "api";
  std::string symbol;
  std::optional<bool> enabled;
  std::vector<NamedValue> weights;
};

// "weights": {"trend_following_v1": 0.1, ...}: each a name and a number 0..1.
absl::Status ReadWeights(simdjson::dom::element field, std::vector<NamedValue>* out) {
  constexpr size_t kMaxWeights = 32;
  simdjson::dom::object weights;
  if (field.get(weights) != simdjson::SUCCESS || weights.size() == 0 || weights.size() > kMaxWeights) {
    return absl::InvalidArgumentError("\"weights\" must be an object such as {\"trend_following_v1\": 0.1}");
  }
  for (auto [name, value] : weights) {
    // A strategy.name: printable, without quotes, at most 64 characters.
    const bool named = !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
      return absl::ascii_isgraph(c) && c != '"' && c != '\\';
    });
    if (!named) return absl::InvalidArgumentError("a strategy name is strategy.name, e.g. trend_following_v1");
    double number = -1;
    const bool in_range = value.get(number) == simdjson::SUCCESS && number >= 0 && number <= 1;
    absl::StatusOr<Fixed> weight = in_range ? Fixed::FromDoubleChecked(number) : absl::InvalidArgumentError("");
    if (!weight.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("the weight of ", std::string(name), " must be a number from 0 to 1"));
    }
    // Weights are kept to 8 decimals: one that would round to 0 (and stop
    // the strategy) or to 1 is not what was asked.
    if ((number > 0 && weight->raw() == 0) || (number < 1 && *weight == Fixed::FromInt(1))) {
      return absl::InvalidArgumentError(
          absl::StrCat("the weight of ", std::string(name), " has more than 8 decimals: say 0, 1 or what lies between"));
    }
    out->push_back(NamedValue{std::string(name), *weight});
  }
  return absl::OkStatus();
}

// `weights`: the command takes weights (POST /strategy/weights); any other
// ignores the field.
absl::StatusOr<CommandBody> BodyOf(const httplib::Request& req, bool weights) {
  constexpr size_t kMaxReasonChars = 500;
  CommandBody out;
  if (req.has_param("symbol")) out.symbol = req.get_param_value("symbol");
  const std::string body(absl::StripAsciiWhitespace(req.body));
  if (!body.empty() && body.front() != '{') out.reason = body.substr(0, kMaxReasonChars);
  if (!body.empty() && body.front() == '{') {
    simdjson::dom::parser parser;
    simdjson::dom::object object;
    if (parser.parse(body).get(object) != simdjson::SUCCESS) {
      return absl::InvalidArgumentError("the body is not JSON: send {\"reason\": \"...\"} or plain text");
    }
    std::string_view text;
    bool flag = false;
    simdjson::dom::element field;
    if (object["reason"].get(field) == simdjson::SUCCESS) {
      if (field.get(text) != simdjson::SUCCESS) return absl::InvalidArgumentError("\"reason\" must be a string");
      out.reason = std::string(text.substr(0, kMaxReasonChars));
    }
    if (object["symbol"].get(field) == simdjson::SUCCESS) {
      if (field.get(text) != simdjson::SUCCESS) return absl::InvalidArgumentError("\"symbol\" must be a string");
      out.symbol = std::string(text);
    }
    if (object["enabled"].get(field) == simdjson::SUCCESS) {
      if (field.get(flag) != simdjson::SUCCESS) return absl::InvalidArgumentError("\"enabled\" must be true or false");
      out.enabled = flag;
    }
    if (weights && object["weights"].get(field) == simdjson::SUCCESS) {
      if (absl::Status st = ReadWeights(field, &out.weights); !st.ok()) return st;
    }
  }
  if (req.has_param("reason")) out.reason = req.get_param_value("reason").substr(0, kMaxReasonChars);
  if (!out.symbol.empty() && !IsSymbolName(out.symbol)) {
    return absl::InvalidArgumentError("\"symbol\" must be a symbol such as BTCUSDT (A-Z, 0-9)");
  }
  return out;
}

// A connection over strings: the server reads `in` and writes to *out. A
// read past the end returns 0, as a socket closed by the client does.
class StringStream final : public httplib::Stream {
 public:
  StringStream(absl::string_view in, std::string* out) : in_(in), out_(out) {}
  bool is_readable() const override { return true; }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, size_t size) override {
    const size_t n = std::min(size, in_.size());
    std::memcpy(ptr, in_.data(), n);
    in_.remove_prefix(n);
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, size_t size) override {
    out_->append(ptr, size);
    return static_cast<ssize_t>(size);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 0;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override { get_remote_ip_and_port(ip, port); }
  socket_t socket() const override { return INVALID_SOCKET; }
  bool exhausted() const { return in_.empty(); }

 private:
  absl::string_view in_;
  std::string* out_;
};

// httplib's server with its per-request processing (parse, route, handle,
// write) reachable without a socket.
class ApiServer : public httplib::Server {
 public:
  // The requests in `raw`, one after another as on one kept-alive
  // connection (at most kMaxRequests); what the server wrote back.
  std::string ServeRaw(absl::string_view raw) {
    constexpr int kMaxRequests = 8;
    std::string out;
    StringStream stream(raw, &out);
    bool closed = false;
    for (int i = 0; i < kMaxRequests && !closed && !stream.exhausted(); ++i) {
      if (!process_request(stream, /*close_connection=*/false, closed, nullptr)) break;
    }
    return out;
  }
};

}  // namespace

bool IsLoopbackHost(const std::string& host) {
  return host == "localhost" || host == "::1" || absl::StartsWith(host, "127.");
}

class OperatorServer::Impl {
 public:
  Impl(OperatorServerOptions o, runtime::ViewBoard* views, runtime::OperatorInbox* inbox, Metrics* metrics,
       EngineMetrics* engine_metrics, runtime::Log* log)
      : o_(std::move(o)),
        views_(views),
        inbox_(inbox),
        metrics_(metrics),
        engine_metrics_(engine_metrics),
        log_(log),
        dashboard_page_(DashboardPage(o_.dashboard_refresh_sec)) {}

  ~Impl() {
    api_.stop();
    metrics_server_.stop();
    if (api_thread_.joinable()) api_thread_.join();
    if (metrics_thread_.joinable()) metrics_thread_.join();
  }

  absl::Status Bind() {
    if (o_.api_enabled) {
      if (!IsLoopbackHost(o_.api_host) && o_.token.empty()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "api.host ", o_.api_host, " is not loopback: set OPERATOR_API_TOKEN or bind 127.0.0.1"));
      }
      RouteApi();
      api_port_ = BindOne(api_, o_.api_host, o_.api_port);
      if (api_port_ < 0) {
        return absl::FailedPreconditionError(
            absl::StrCat("cannot bind the operator API to ", o_.api_host, ":", o_.api_port, " (api.host/api.port)"));
      }
    }
    if (o_.metrics_enabled) {
      metrics_server_.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
        if (auto view = views_->Get(); view && engine_metrics_ != nullptr) {
          engine_metrics_->UpdateAges(*view, absl::GetCurrentTimeNanos());
        }
        if (engine_metrics_ != nullptr && !o_.ledger_dir.empty()) engine_metrics_->UpdateDiskFree(o_.ledger_dir);
        if (engine_metrics_ != nullptr) engine_metrics_->UpdateRateGate();
        res.set_content(metrics_->Render(), "text/plain; version=0.0.4; charset=utf-8");
      });
      metrics_port_ = BindOne(metrics_server_, o_.metrics_host, o_.metrics_port);
      if (metrics_port_ < 0) {
        return absl::FailedPreconditionError(absl::StrCat("cannot bind the metrics endpoint to ", o_.metrics_host, ":",
                                                          o_.metrics_port, " (monitoring.metrics_host/metrics_port)"));
      }
    }
    if (o_.api_enabled) api_thread_ = Listen(api_, api_done_);
    if (o_.metrics_enabled) metrics_thread_ = Listen(metrics_server_, metrics_done_);
    return absl::OkStatus();
  }

  int api_port() const { return api_port_; }
  int metrics_port() const { return metrics_port_; }

 private:
  // Starts serving and returns once the server accepts connections:
  // httplib's stop() is a no-op until then, so a bot that fails right after
  // start-up would otherwise wait forever on a listener blocked in accept().
  static std::thread Listen(httplib::Server& server, std::atomic<bool>& done) {
    std::thread t([&server, &done] {
      server.listen_after_bind();
      done = true;
    });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!server.is_running() && !done && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return t;
  }

  static int BindOne(httplib::Server& server, const std::string& host, int port) {
    // SO_REUSEADDR only: httplib's default also sets SO_REUSEPORT, which lets
    // a second bot bind the same port silently and split the requests.
    server.set_socket_options([](socket_t sock) {
      int yes = 1;
      setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    if (port == 0) return server.bind_to_any_port(host);
    return server.bind_to_port(host, port) ? port : -1;
  }

 public:
  // The API's routes, handlers and limits; Bind() serves them on a socket,
  // ServeRaw() on strings.
  void RouteApi() {
    api_.set_payload_max_length(kMaxRequestBodyBytes);
    api_.set_logger([this](const httplib::Request& req, const httplib::Response& res) { LogHttp(req, res); });
    // Every answer is JSON, errors included.
    api_.set_error_handler([](const httplib::Request&, httplib::Response& res) {
      if (res.body.empty()) res.set_content(ErrorJson(absl::StrCat("HTTP ", res.status)), kJson);
    });
    api_.Get("/", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(
          "{\"endpoints\":[\"GET /health\",\"GET /state\",\"GET /positions\",\"GET /orders\","
          "\"GET /events?from=SEQ&limit=N&type=T\",\"GET /config\",\"POST /pause\",\"POST /resume\",\"POST /ack\","
          "\"POST /actions/pause\",\"POST /actions/resume\",\"POST /actions/ack-manual-review\","
          "\"POST /actions/kill-switch\",\"POST /kill\",\"POST /actions/cancel-all\",\"POST /actions/close\","
          "\"POST /actions/flatten\",\"POST /actions/reconcile\",\"POST /actions/reset-circuit-breaker\","
          "\"POST /actions/backup\",\"POST /strategy/weights\",\"GET /strategy/status\",\"GET /ratelimit/status\","
          "\"POST /ratelimit/reset/{provider}\",\"GET /pnl_dashboard.html\",\"GET /pnl_daily\",\"GET /equity?points=N\","
          "\"GET /trades?limit=N\"]}",
          kJson);
    });
    api_.Get("/health", [this](const httplib::Request&, httplib::Response& res) { Health(res); });
    api_.Get("/state", [this](const httplib::Request&, httplib::Response& res) {
      // The seed's top-level flags first, then the folded state.
      WithView(res, [](const runtime::EngineView& v) {
        return absl::StrCat("{\"requires_manual_review\":", v.state.manual_review.active ? "true" : "false",
                            ",\"circuit_breaker_active\":", v.state.circuit_breaker.active ? "true" : "false",
                            ",\"trading_paused\":", v.state.paused.active ? "true" : "false", ",",
                            absl::string_view(StateToJson(v.state)).substr(1));
      });
    });
    api_.Get("/positions", [this](const httplib::Request&, httplib::Response& res) {
      WithView(res, [](const runtime::EngineView& v) {
        std::string out = "{\"positions\":";
        json::Append(&out, v.state.positions);
        return out + "}";
      });
    });
    api_.Get("/orders", [this](const httplib::Request&, httplib::Response& res) {
      WithView(res, [](const runtime::EngineView& v) {
        std::string out = "{\"orders\":";
        json::Append(&out, v.state.orders);
        return out + "}";
      });
    });
    api_.Get("/events", [this](const httplib::Request& req, httplib::Response& res) { Events(req, res); });
    api_.Get("/config", [this](const httplib::Request&, httplib::Response& res) { Config(res); });
    // The PnL dashboard and what it draws (the ledger's performance fold).
    api_.Get("/pnl_dashboard.html", [this](const httplib::Request&, httplib::Response& res) {
      res.set_header("Cache-Control", "no-store");
      // Nothing from elsewhere, and no framing by another site.
      res.set_header("Content-Security-Policy",
                     "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                     "connect-src 'self'; img-src data:; frame-ancestors 'none'");
      res.set_content(dashboard_page_, "text/html; charset=utf-8");
    });
    api_.Get("/strategy/status", [this](const httplib::Request&, httplib::Response& res) {
      WithView(res, [this](const runtime::EngineView& v) { return StrategyStatus(v.state); });
    });
    api_.Get("/pnl_daily", [this](const httplib::Request&, httplib::Response& res) {
      WithPnl(res, [](const replay::Performance& p) { return replay::DailyJson(p); });
    });
    api_.Get("/equity", [this](const httplib::Request& req, httplib::Response& res) {
      int points = 1000;
      if (req.has_param("points") && (!absl::SimpleAtoi(req.get_param_value("points"), &points) || points < 10 ||
                                      points > kMaxEquityPoints)) {
        res.status = 400;
        res.set_content(ErrorJson(absl::StrCat("bad query: points 10..", kMaxEquityPoints)), kJson);
        return;
      }
      WithPnl(res, [points](const replay::Performance& p) { return replay::EquityJson(p, static_cast<size_t>(points)); });
    });
    api_.Get("/trades", [this](const httplib::Request& req, httplib::Response& res) {
      int limit = 20;
      if (req.has_param("limit") && (!absl::SimpleAtoi(req.get_param_value("limit"), &limit) || limit < 1 ||
                                     limit > kMaxEventsPerPage)) {
        res.status = 400;
        res.set_content(ErrorJson(absl::StrCat("bad query: limit 1..", kMaxEventsPerPage)), kJson);
        return;
      }
      WithPnl(res, [limit](const replay::Performance& p) { return replay::TradesJson(p, static_cast<size_t>(limit)); });
    });
    const std::pair<const char*, runtime::OperatorCommand::Kind> posts[] = {
        {"/pause", runtime::OperatorCommand::kPause},
        {"/resume", runtime::OperatorCommand::kResume},
        {"/ack", runtime::OperatorCommand::kAck},
        {"/actions/pause", runtime::OperatorCommand::kPause},
        {"/actions/resume", runtime::OperatorCommand::kResume},
        {"/actions/ack-manual-review", runtime::OperatorCommand::kAck},
        {"/actions/kill-switch", runtime::OperatorCommand::kKillSwitch},
        {"/actions/cancel-all", runtime::OperatorCommand::kCancelAll},
        {"/actions/close", runtime::OperatorCommand::kClose},
        {"/actions/flatten", runtime::OperatorCommand::kFlatten},
        {"/actions/reconcile", runtime::OperatorCommand::kReconcile},
        {"/actions/reset-circuit-breaker", runtime::OperatorCommand::kResetBreaker},
        {"/actions/backup", runtime::OperatorCommand::kBackup},
        {"/strategy/weights", runtime::OperatorCommand::kSetWeights},
    };
    for (const auto& [path, kind] : posts) {
      api_.Post(path, [this, kind = kind](const httplib::Request& req, httplib::Response& res) {
        Command(req, res, kind);
      });
    }
    api_.Get("/ratelimit/status", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(RateLimitStatus(), kJson);
    });
    api_.Post(R"(/ratelimit/reset/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
      ResetRateLimit(req, res);
    });
    // hmm_ops' switch, mirroring TRADING_ENABLED: {"enabled": false} is the
    // kill switch, {"enabled": true} a resume.
    api_.Post("/kill", [this](const httplib::Request& req, httplib::Response& res) {
      Command(req, res, std::nullopt);
    });
  }

  std::string ServeRaw(absl::string_view raw) { return api_.ServeRaw(raw); }

 private:
  template <class Render>
  void WithView(httplib::Response& res, Render render) {
    auto view = views_->Get();
    if (!view) {
      res.status = 503;
      res.set_content(ErrorJson("the engine is starting"), kJson);
      return;
    }
    res.set_content(render(*view), kJson);
  }

  // The strategies with their weights, the policy in force, and the seed's
  // leaderboard (best net PnL first; one strategy per bot today).
  std::string StrategyStatus(const State& s) const {
    const std::string& name = o_.strategy_name;
    std::string entry = "{\"name\":";
    json::AppendString(&entry, name);
    const Fixed net = s.realized_pnl - s.fees_paid + s.funding_received - s.funding_paid;  // as /pnl_daily's
    const uint64_t closes = s.counters.wins + s.counters.losses;
    absl::StrAppend(&entry, ",\"weight\":", s.StrategyWeight(name).ToString(), ",\"trades_closed\":",
                    s.counters.trades_closed, ",\"wins\":", s.counters.wins, ",\"losses\":", s.counters.losses,
                    ",\"win_rate_pct\":", closes == 0 ? 0.0 : 100.0 * static_cast<double>(s.counters.wins) / static_cast<double>(closes),
                    ",\"net_pnl\":", net.ToString(), ",\"trading\":", s.TradingBlocked() ? "false" : "true", "}");
    std::string out = absl::StrCat("{\"strategies\":[", entry, "],\"leaderboard\":[", entry, "],\"policy\":{\"rails\":");
    json::Append(&out, s.policy);
    absl::StrAppend(&out, ",\"seq\":", s.policy_seq, "}}");
    return out;
  }

  // Each provider of the rate gate as it stands.
  std::string RateLimitStatus() const {
    const absl::Time now = absl::Now();
    std::string out = "{\"providers\":[";
    const std::vector<net::ProviderStatus> providers = o_.gate ? o_.gate->Snapshot() : std::vector<net::ProviderStatus>{};
    for (size_t i = 0; i < providers.size(); ++i) {
      const net::ProviderStatus& p = providers[i];
      const bool backing_off = p.backoff_until > now;
      if (i > 0) out += ",";
      out += "{\"provider\":";
      json::AppendString(&out, p.provider);
      absl::StrAppend(&out, ",\"tokens\":", std::floor(p.tokens * 100) / 100, ",\"capacity\":", p.capacity,
                      ",\"refill_per_sec\":", p.refill_per_sec, ",\"backing_off\":", backing_off ? "true" : "false",
                      ",\"backoff_remaining_sec\":",
                      backing_off ? absl::ToDoubleSeconds(p.backoff_until - now) : 0.0, ",\"backoff_until\":");
      if (backing_off) {
        json::AppendString(&out, absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", p.backoff_until, absl::UTCTimeZone()));
      } else {
        out += "null";
      }
      out += ",\"last_backoff_reason\":";
      json::AppendString(&out, p.backoff_reason);
      absl::StrAppend(&out, ",\"backoffs\":", p.backoffs, ",\"waits\":", p.waits, ",\"refused\":", p.refused, "}");
    }
    return out + "]}";
  }

  // What the gate holds of one provider, for the journal: "12.5 of 2400
  // tokens, backing off 95 s more (HTTP 418: IP banned)".
  static std::string GateDetail(const net::ProviderStatus& p, absl::Time now) {
    std::string out = absl::StrCat(std::floor(p.tokens * 100) / 100, " of ", p.capacity, " tokens, ");
    if (p.backoff_until > now) {
      absl::StrAppend(&out, "backing off ", std::ceil(absl::ToDoubleSeconds(p.backoff_until - now)), " s more (",
                      p.backoff_reason, ")");
    } else {
      out += "not backing off";
    }
    return out;
  }

  // POST /ratelimit/reset/{provider}: the engine journals it first; the gate
  // is reset only once that is in the ledger (on_journaled).
  void ResetRateLimit(const httplib::Request& req, httplib::Response& res) {
    if (!Authorized(req, res)) return;
    absl::StatusOr<CommandBody> body = BodyOf(req, /*weights=*/false);
    if (!body.ok()) {
      res.status = 400;
      res.set_content(ErrorJson(body.status().message()), kJson);
      return;
    }
    const std::string provider = req.matches.size() > 1 ? std::string(req.matches[1]) : std::string();
    std::optional<net::ProviderStatus> found;
    std::string names;
    for (net::ProviderStatus& p : o_.gate ? o_.gate->Snapshot() : std::vector<net::ProviderStatus>{}) {
      absl::StrAppend(&names, names.empty() ? "" : ", ", p.provider);
      if (p.provider == provider) found = std::move(p);
    }
    if (!found) {
      res.status = 404;
      res.set_content(ErrorJson(names.empty() ? std::string("this bot has no rate gate")
                                              : absl::StrCat("the rate gate has no such provider; it has: ", names)),
                      kJson);
      return;
    }
    runtime::OperatorCommand cmd{runtime::OperatorCommand::kResetRateLimit, absl::StrCat("api@", req.remote_addr),
                                 std::move(body->reason)};
    cmd.provider = provider;
    cmd.detail = GateDetail(*found, absl::Now());
    // Once journaled, even if this request has stopped waiting (503).
    cmd.on_journaled = [gate = o_.gate, log = log_, provider, was = cmd.detail] {
      (void)gate->Reset(provider);  // it exists: found above
      log->Warning("ratelimit_reset", runtime::LogFields().Add("provider", provider).Add("was", was));
    };
    SubmitAndAnswer(std::move(cmd), res);
  }

  template <class Render>
  void WithPnl(httplib::Response& res, Render render) {
    absl::StatusOr<std::shared_ptr<const replay::Performance>> p = pnl_.Now();
    if (!p.ok()) {
      res.status = 503;
      res.set_content(ErrorJson(p.status().message()), kJson);
      return;
    }
    res.set_content(render(**p), kJson);
  }

  void Health(httplib::Response& res) {
    auto view = views_->Get();
    const int64_t now = absl::GetCurrentTimeNanos();
    if (!view) {
      res.status = 503;
      res.set_content("{\"status\":\"starting\"}", kJson);
      return;
    }
    const double age = static_cast<double>(now - view->heartbeat_wall_ns) / 1e9;
    const bool healthy = !view->halted && age * 1000 < static_cast<double>(o_.unhealthy_after_ms);
    res.status = healthy ? 200 : 503;
    std::string out = absl::StrCat("{\"status\":\"", healthy ? "ok" : "unhealthy", "\",\"mode\":\"",
                                   EnumName(view->mode), "\",\"uptime_sec\":",
                                   static_cast<double>(now - view->started_wall_ns) / 1e9,
                                   ",\"loop_age_sec\":", age, ",\"ledger_head\":", view->state.last_seq,
                                   ",\"ws\":{\"connected\":", view->ws_connected ? "true" : "false",
                                   ",\"state\":\"",
                                   view->mode == Mode::kPaper ? "not_used_in_paper"
                                   : view->ws_connected       ? "connected"
                                                              : "disconnected",
                                   "\",\"last_message_age_sec\":", view->ws_last_message_age_sec,
                                   "},\"trading_paused\":", view->state.paused.active ? "true" : "false",
                                   ",\"manual_review_required\":", view->state.manual_review.active ? "true" : "false",
                                   ",\"circuit_breaker_active\":", view->state.circuit_breaker.active ? "true" : "false",
                                   ",\"trading_enabled\":",
                                   !view->halted && !view->state.paused.active && !view->state.manual_review.active &&
                                           !view->state.circuit_breaker.active
                                       ? "true"
                                       : "false",
                                   ",\"halted\":", view->halted ? "true" : "false");
    if (view->halted) {
      out += ",\"halt_reason\":";
      json::AppendString(&out, view->halt_reason);
    }
    res.set_content(out + "}", kJson);
  }

  void Events(const httplib::Request& req, httplib::Response& res) {
    uint64_t from = 1, tail = 0;
    int limit = 100;
    EventTag type{};
    const bool has_type = req.has_param("type");
    if ((req.has_param("from") && (!absl::SimpleAtoi(req.get_param_value("from"), &from) || from == 0)) ||
        (req.has_param("limit") && (!absl::SimpleAtoi(req.get_param_value("limit"), &limit) || limit < 1 ||
                                    limit > kMaxEventsPerPage)) ||
        (req.has_param("tail") && !absl::SimpleAtoi(req.get_param_value("tail"), &tail)) ||
        (has_type && !EventTagFromName(req.get_param_value("type"), &type))) {
      res.status = 400;
      res.set_content(ErrorJson(absl::StrCat("bad query: from >= 1, limit 1..", kMaxEventsPerPage,
                                             ", tail >= 0, type an event name such as OrderFilled")),
                      kJson);
      return;
    }
    std::lock_guard<std::mutex> l(reader_mu_);
    if (reader_ == nullptr) {
      auto reader = ledger::Ledger::OpenReader(o_.ledger_dir);
      if (!reader.ok()) {
        res.status = 503;
        res.set_content(ErrorJson(reader.status().message()), kJson);
        return;
      }
      reader_ = std::move(*reader);
    }
    if (absl::Status st = reader_->Refresh(); !st.ok()) {
      res.status = 503;
      res.set_content(ErrorJson(st.message()), kJson);
      return;
    }
    const uint64_t head = reader_->head().last_seq;
    // The seed's windows: ?tail=N is the newest N (at most a page), and
    // ?type=T without from the newest `limit` of that type; with from, a
    // page forward from it.
    const bool newest = tail > 0 || (has_type && !req.has_param("from"));
    if (tail > 0) limit = static_cast<int>(std::min<uint64_t>(tail, kMaxEventsPerPage));
    std::string out = "{\"events\":[";
    int n = 0;
    absl::Status st = absl::OkStatus();
    auto matches = [&](const ledger::RecordView& r) { return !has_type || r.tag == static_cast<uint16_t>(type); };
    if (newest && head > 0) {
      // Windows back from the head, doubling, until they hold `limit` matches.
      std::deque<uint64_t> seqs;
      for (uint64_t span = std::max<uint64_t>(4 * static_cast<uint64_t>(limit), 4096);; span *= 2) {
        const uint64_t start = span >= head ? 1 : head - span + 1;
        seqs.clear();
        st = reader_->Scan(start, head, [&](const ledger::RecordView& r) -> absl::Status {
          if (!matches(r)) return absl::OkStatus();
          seqs.push_back(r.seq);
          if (seqs.size() > static_cast<size_t>(limit)) seqs.pop_front();
          return absl::OkStatus();
        });
        if (!st.ok() || seqs.size() >= static_cast<size_t>(limit) || start == 1) break;
      }
      from = seqs.empty() ? head + 1 : seqs.front();
    }
    if (st.ok() && from <= head) {
      st = reader_->Scan(from, head, [&](const ledger::RecordView& r) -> absl::Status {
        if (n >= limit) return absl::CancelledError("page full");
        if (!matches(r)) return absl::OkStatus();
        auto e = ledger::DecodeRecord(r);
        if (!e.ok()) return e.status();
        absl::StrAppend(&out, n++ == 0 ? "" : ",", EventToJson(*e));
        return absl::OkStatus();
      });
    }
    if (!st.ok() && !absl::IsCancelled(st)) {
      res.status = 500;
      res.set_content(ErrorJson(st.message()), kJson);
      return;
    }
    absl::StrAppend(&out, "],\"count\":", n, ",\"head\":", head, "}");
    res.set_content(out, kJson);
  }

  void Config(httplib::Response& res) {
    std::string out = "{\"config\":{";
    bool first = true;
    for (absl::string_view line : absl::StrSplit(o_.config_canonical, '\n', absl::SkipEmpty())) {
      const size_t eq = line.find(" = ");
      if (eq == absl::string_view::npos) continue;
      out += first ? "" : ",";
      first = false;
      json::AppendString(&out, line.substr(0, eq));
      out += ":";
      json::AppendString(&out, line.substr(eq + 3));
    }
    out += "},\"secrets\":{";
    first = true;
    for (const std::string& name : o_.secret_names_set) {
      out += first ? "" : ",";
      first = false;
      json::AppendString(&out, name);
      out += ":\"[REDACTED]\"";
    }
    res.set_content(out + "}}", kJson);
  }

  // `kind` nullopt: POST /kill, whose kind the body's "enabled" says.
  // The token check of every POST: false (answered 401) when it fails.
  bool Authorized(const httplib::Request& req, httplib::Response& res) {
    if (TokenMatches(req.get_header_value("X-OPS-TOKEN"), o_.token)) return true;
    log_->Warning("operator_auth_failed", runtime::LogFields().Add("path", req.path).Add("remote_addr", req.remote_addr)
                                              .Add("token_present", req.has_header("X-OPS-TOKEN")));
    res.status = 401;
    res.set_content(ErrorJson(o_.token.empty() ? "no OPERATOR_API_TOKEN is configured: POSTs are refused"
                                               : "missing or wrong X-OPS-TOKEN header"),
                    kJson);
    return false;
  }

  // Hands the command to the engine and answers with its result, or 503
  // when the engine did not take it in time (it stays queued).
  void SubmitAndAnswer(runtime::OperatorCommand cmd, httplib::Response& res) {
    std::future<runtime::OperatorResult> done = inbox_->Submit(std::move(cmd));
    if (done.wait_for(std::chrono::milliseconds(o_.command_timeout_ms)) != std::future_status::ready) {
      res.status = 503;
      res.set_content(ErrorJson("the engine did not take the command in time; it stays queued"), kJson);
      return;
    }
    runtime::OperatorResult result = done.get();
    res.status = result.http_status;
    res.set_content(result.json, kJson);
  }

  void Command(const httplib::Request& req, httplib::Response& res,
               std::optional<runtime::OperatorCommand::Kind> kind) {
    if (!Authorized(req, res)) return;
    absl::StatusOr<CommandBody> body = BodyOf(req, kind == runtime::OperatorCommand::kSetWeights);
    if (body.ok() && !kind && !body->enabled) {
      body = absl::InvalidArgumentError("send {\"enabled\": false} to stop trading (the kill switch) or true to resume");
    }
    if (body.ok() && kind == runtime::OperatorCommand::kClose && body->symbol.empty()) {
      body = absl::InvalidArgumentError("send {\"symbol\": \"BTCUSDT\"}: which position to close");
    }
    if (body.ok() && kind == runtime::OperatorCommand::kSetWeights && body->weights.empty()) {
      body = absl::InvalidArgumentError("send {\"weights\": {\"trend_following_v1\": 0.1}}: each strategy's weight, 0 to 1");
    }
    if (!body.ok()) {
      res.status = 400;
      res.set_content(ErrorJson(body.status().message()), kJson);
      return;
    }
    if (!kind) kind = *body->enabled ? runtime::OperatorCommand::kResume : runtime::OperatorCommand::kKillSwitch;
    runtime::OperatorCommand cmd{*kind, absl::StrCat("api@", req.remote_addr), std::move(body->reason),
                                 std::move(body->symbol), std::move(body->weights)};
    SubmitAndAnswer(std::move(cmd), res);
  }

  void LogHttp(const httplib::Request& req, const httplib::Response& res) {
    if (!o_.log_http) return;
    runtime::LogFields f;
    f.Add("method", req.method).Add("path", req.path).Add("status", res.status).Add("remote_addr", req.remote_addr);
    if (o_.log_http_responses) {
      f.Add("body", res.body.substr(0, static_cast<size_t>(o_.log_http_max_body_chars)));
    }
    log_->Info("http_request", f);  // the token header is never logged
  }

  OperatorServerOptions o_;
  runtime::ViewBoard* views_;
  runtime::OperatorInbox* inbox_;
  Metrics* metrics_;
  EngineMetrics* engine_metrics_;
  runtime::Log* log_;
  const std::string dashboard_page_;
  ApiServer api_;
  httplib::Server metrics_server_;
  std::thread api_thread_, metrics_thread_;
  std::atomic<bool> api_done_{false}, metrics_done_{false};
  int api_port_ = -1, metrics_port_ = -1;
  std::mutex reader_mu_;
  std::unique_ptr<ledger::Ledger> reader_;
  PnlFeed pnl_{o_.ledger_dir};
};

absl::StatusOr<std::unique_ptr<OperatorServer>> OperatorServer::Start(OperatorServerOptions options,
                                                                      runtime::ViewBoard* views,
                                                                      runtime::OperatorInbox* inbox, Metrics* metrics,
                                                                      EngineMetrics* engine_metrics, runtime::Log* log) {
  auto impl = std::make_unique<Impl>(std::move(options), views, inbox, metrics, engine_metrics, log);
  if (absl::Status st = impl->Bind(); !st.ok()) return st;
  return std::unique_ptr<OperatorServer>(new OperatorServer(std::move(impl)));
}

OperatorServer::OperatorServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
OperatorServer::~OperatorServer() = default;
int OperatorServer::api_port() const { return impl_->api_port(); }
int OperatorServer::metrics_port() const { return impl_->metrics_port(); }

OperatorApiHandler::OperatorApiHandler(OperatorServerOptions options, runtime::ViewBoard* views,
                                       runtime::OperatorInbox* inbox, runtime::Log* log)
    : impl_(std::make_unique<OperatorServer::Impl>(std::move(options), views, inbox, nullptr, nullptr, log)) {
  impl_->RouteApi();
}
OperatorApiHandler::~OperatorApiHandler() = default;
std::string OperatorApiHandler::Serve(absl::string_view raw_requests) { return impl_->ServeRaw(raw_requests); }

}  // namespace apollo::ops
