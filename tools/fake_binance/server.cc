// The fake Binance REST server: routing, authentication, weights, faults
// (see server.h).
#include "tools/fake_binance/server.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/net/ws_server.h"
#include "tools/fake_binance/json_writer.h"
#include "tools/fake_binance/market_payloads.h"
#include "tools/fake_binance/signing.h"

namespace apollo::fake_binance {
namespace {

constexpr int64_t kDefaultRecvWindowMs = 5'000;
constexpr int64_t kMaxRecvWindowMs = 60'000;
constexpr int64_t kBarsPerAdminCallMax = 100'000;
constexpr auto kStartTimeout = std::chrono::seconds(10);

enum class Security : uint8_t { kNone, kApiKey, kSigned };

// "5m" -> 300000; 0 if not an interval.
int64_t IntervalMs(absl::string_view interval) {
  if (interval.size() < 2) return 0;
  int64_t n = 0;
  if (!absl::SimpleAtoi(interval.substr(0, interval.size() - 1), &n) || n <= 0) return 0;
  switch (interval.back()) {
    case 'm': return n * 60'000;
    case 'h': return n * 3'600'000;
    case 'd': return n * 86'400'000;
    case 'w': return n * 7 * 86'400'000;
    default: return 0;
  }
}

// A message for the WebSocket pump, in exchange order.
struct WsItem {
  enum Kind { kUserEvent, kKline, kListenKeyExpired, kRaw } kind = kUserEvent;
  std::string json;    // kUserEvent, kRaw
  Bar bar;             // kKline
  std::string stream;  // kRaw: "user" or "market"
  std::string symbol;  // kKline
};

// A drill on the next stream message of `stream` ("user" or "market") that
// contains `match`: one field's value replaced, or the text cut in half.
struct WsMutation {
  std::string stream, match;
  bool truncate = false;
  std::string field, value;
};

constexpr size_t kWsMutationsMax = 100;
constexpr int64_t kOversizeBytesMax = 64 << 20;

struct Reply {
  int status = 200;
  std::string body;
};

Reply Ok(std::string body) { return Reply{200, std::move(body)}; }
Reply Fail(const ApiError& e) { return Reply{e.http_status, e.ToJson()}; }

struct Endpoint {
  Security security = Security::kSigned;
  int weight = 1;
  int weight_without_symbol = 0;  // 0: same as `weight`
  bool order_entry = false;       // counts toward X-MBX-ORDER-COUNT-*
  std::function<Reply(const Params&)> handler;
};

bool IsLoopback(const std::string& addr) {
  return addr == "127.0.0.1" || addr == "::1" || addr == "::ffff:127.0.0.1";
}

std::string AdminError(absl::string_view what) { return JsonObject().Str("error", what).Close(); }

// Query string (as sent) and form body (as sent) of a request.
std::pair<std::string, std::string> RawParts(const httplib::Request& req) {
  std::string query;
  if (size_t q = req.target.find('?'); q != std::string::npos) query = req.target.substr(q + 1);
  std::string body;
  if (absl::StartsWith(req.get_header_value("Content-Type"), "application/x-www-form-urlencoded")) body = req.body;
  return {std::move(query), std::move(body)};
}

Params AllParams(const httplib::Request& req) {
  auto [query, body] = RawParts(req);
  Params params;
  ParseForm(body, &params);
  ParseForm(query, &params);  // the query string wins
  return params;
}

template <class T, class Render>
Reply Render1(const ApiResult<T>& r, Render render) {
  return r.ok() ? Ok(render(r.value())) : Fail(r.error());
}

template <class T, class Render>
Reply RenderAll(const ApiResult<std::vector<T>>& r, Render render) {
  if (!r.ok()) return Fail(r.error());
  std::vector<std::string> items;
  for (const T& v : r.value()) items.push_back(render(v));
  return Ok(JsonArray(items));
}

// `render` of a result, or its error.
template <class T, class Render>
ApiResult<std::string> RenderOk(const ApiResult<T>& r, Render render) {
  if (!r.ok()) return r.error();
  return render(r.value());
}

// A market endpoint's answer: the object of ?symbol= (-1121 when unknown),
// else an array of every symbol's, in market order.
Reply PerSymbol(const FakeExchange& ex, const Params& p,
                const std::function<ApiResult<std::string>(const std::string& symbol)>& one) {
  if (auto s = p.find("symbol"); s != p.end()) {
    ApiResult<std::string> r = one(s->second);
    return r.ok() ? Ok(*r) : Fail(r.error());
  }
  std::vector<std::string> items;
  for (const std::string& symbol : ex.Symbols()) {
    ApiResult<std::string> r = one(symbol);
    if (!r.ok()) return Fail(r.error());
    items.push_back(*r);
  }
  return Ok(JsonArray(items));
}

// An admin decimal parameter, if sent; false (with a one-line error) if malformed.
bool AdminDecimal(const Params& p, const char* key, std::optional<Fixed>* out, std::string* error) {
  auto it = p.find(key);
  if (it == p.end()) return true;
  absl::StatusOr<Fixed> v = Fixed::Parse(it->second);
  if (!v.ok()) {
    *error = absl::StrCat(key, ": expected a decimal, got '", it->second, "'");
    return false;
  }
  *out = *v;
  return true;
}

}  // namespace

struct FakeBinanceServer::Impl {
  Impl(FakeExchange* ex, ServerOptions opts) : exchange(ex), options(std::move(opts)) {}

  struct Usage {
    int64_t weight_1m = 0, orders_1m = 0, orders_10s = 0;
  };

  void RegisterRoutes();
  void Register(absl::string_view method, const std::string& path, Endpoint ep);
  void Serve(const Endpoint& ep, const httplib::Request& req, httplib::Response& res);
  std::optional<ApiError> Authenticate(Security security, const httplib::Request& req, const Params& params,
                                       int64_t now_ms) const;
  Usage Count(int64_t now_ms, int weight, bool order_entry);
  bool SleepUnlessStopping(int64_t ms);
  void AnswerFault(const Fault& f, httplib::Response& res) const;
  void Log(const httplib::Request& req, const httplib::Response& res) const {
    if (options.access_log) options.access_log(absl::StrCat(req.method, " ", req.path, " -> ", res.status));
  }
  void RegisterAdmin();
  Reply AdminFault(const Params& p);
  Reply AdminWs(const Params& p);
  Reply AdminMarket(const Params& p);
  void PushWs(WsItem item);
  void PumpWs();
  void SendWs(const WsItem& item);
  std::string Mutate(absl::string_view stream, std::string text);
  void Broadcast(absl::string_view stream, const std::string& text);
  std::vector<std::string> ConnectedListenKeys() const;
  void StopWs();

  FakeExchange* const exchange;
  const ServerOptions options;
  FaultInjector faults;
  httplib::Server http;
  std::thread thread;
  int port = -1;

  std::mutex stop_mu;
  std::condition_variable stop_cv;
  bool stopping = false;

  std::unique_ptr<net::WsServer> ws;
  std::thread ws_thread;
  mutable std::mutex ws_mu;
  mutable std::condition_variable ws_cv;
  std::deque<WsItem> ws_queue;
  std::deque<WsMutation> ws_mutations;  // under ws_mu
  bool ws_busy = false;  // the pump holds an item it has not sent yet
  int64_t book_updates = 0;  // the bookTicker stream's "u" (the pump thread only)
  bool ws_stopping = false;

  std::mutex count_mu;
  int64_t weight_minute = -1, weight_used = 0;
  int64_t order_minute = -1, orders_1m = 0;
  int64_t order_10s = -1, orders_10s = 0;
};

void FakeBinanceServer::Impl::Register(absl::string_view method, const std::string& path, Endpoint ep) {
  auto handler = [this, ep = std::move(ep)](const httplib::Request& req, httplib::Response& res) {
    Serve(ep, req, res);
    Log(req, res);
  };
  if (method == "GET") {
    http.Get(path, handler);
  } else if (method == "POST") {
    http.Post(path, handler);
  } else if (method == "PUT") {
    http.Put(path, handler);
  } else {
    http.Delete(path, handler);
  }
}

FakeBinanceServer::Impl::Usage FakeBinanceServer::Impl::Count(int64_t now_ms, int weight, bool order_entry) {
  std::lock_guard<std::mutex> lock(count_mu);
  const int64_t minute = now_ms / 60'000, ten_s = now_ms / 10'000;
  if (minute != weight_minute) weight_minute = minute, weight_used = 0;
  weight_used += weight;
  if (order_entry) {
    if (minute != order_minute) order_minute = minute, orders_1m = 0;
    if (ten_s != order_10s) order_10s = ten_s, orders_10s = 0;
    ++orders_1m;
    ++orders_10s;
  }
  return Usage{weight_used, orders_1m, orders_10s};
}

bool FakeBinanceServer::Impl::SleepUnlessStopping(int64_t ms) {
  std::unique_lock<std::mutex> lock(stop_mu);
  return !stop_cv.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping; });
}

void FakeBinanceServer::Impl::AnswerFault(const Fault& f, httplib::Response& res) const {
  res.status = f.http_status;
  if (f.retry_after_s >= 0) res.set_header("Retry-After", absl::StrCat(f.retry_after_s));
  if (f.code != 0) {
    ApiError e = Error(f.code, f.msg);
    res.set_content(e.ToJson(), "application/json");
  }
}

std::optional<ApiError> FakeBinanceServer::Impl::Authenticate(Security security, const httplib::Request& req,
                                                              const Params& params, int64_t now_ms) const {
  if (security == Security::kNone) return std::nullopt;
  const std::string key = req.get_header_value("X-MBX-APIKEY");
  if (key.empty()) return Error(kBadApiKeyFormat);
  if (key != options.api_key) return Error(kRejectedApiKey);
  if (security == Security::kApiKey) return std::nullopt;

  auto [query, body] = RawParts(req);
  std::optional<std::string> signature;
  const std::string payload = StripSignature(query, &signature) + StripSignature(body, &signature);
  if (!signature || signature->empty()) return Error(kMandatoryParam, MandatoryParamMsg("signature"));
  int64_t timestamp = 0;
  auto ts = params.find("timestamp");
  if (ts == params.end() || !absl::SimpleAtoi(ts->second, &timestamp)) {
    return Error(kMandatoryParam, MandatoryParamMsg("timestamp"));
  }
  int64_t recv_window = kDefaultRecvWindowMs;
  if (auto rw = params.find("recvWindow"); rw != params.end()) {
    if (!absl::SimpleAtoi(rw->second, &recv_window) || recv_window <= 0) {
      return Error(kMandatoryParam, MandatoryParamMsg("recvWindow"));
    }
    if (recv_window > kMaxRecvWindowMs) return Error(kBadRecvWindow);
  }
  if (!SignaturesEqual(HmacSha256Hex(options.api_secret, payload), *signature)) return Error(kInvalidSignature);
  if (options.on_signature) options.on_signature(*signature);
  if (timestamp >= now_ms + 1000) {
    return Error(kInvalidTimestamp, "Timestamp for this request was 1000ms ahead of the server's time.");
  }
  if (now_ms - timestamp > recv_window) return Error(kInvalidTimestamp);
  return std::nullopt;
}

void FakeBinanceServer::Impl::Serve(const Endpoint& ep, const httplib::Request& req, httplib::Response& res) {
  const int64_t now = exchange->NowMs();
  const Params params = AllParams(req);
  const bool all_symbols = ep.weight_without_symbol > 0 && params.count("symbol") == 0;
  const Usage usage = Count(now, all_symbols ? ep.weight_without_symbol : ep.weight, ep.order_entry);
  res.set_header("X-MBX-USED-WEIGHT-1M", absl::StrCat(usage.weight_1m));
  if (ep.order_entry) {
    res.set_header("X-MBX-ORDER-COUNT-1M", absl::StrCat(usage.orders_1m));
    res.set_header("X-MBX-ORDER-COUNT-10S", absl::StrCat(usage.orders_10s));
  }
  if (usage.weight_1m > options.limits.request_weight_1m) {
    const int64_t retry_after_s = (60'000 - now % 60'000 + 999) / 1000;
    res.status = 429;
    res.set_header("Retry-After", absl::StrCat(retry_after_s));
    res.set_content(Error(kTooManyRequests).ToJson(), "application/json");
    return;
  }
  if (std::optional<Fault> f = faults.Take(FaultStage::kGateway, req.method, req.path)) {
    if (f->delay_ms > 0 && !SleepUnlessStopping(f->delay_ms)) {
      res.status = 503;
      return;
    }
    if (f->http_status != 0) return AnswerFault(*f, res);
  }
  if (std::optional<ApiError> e = Authenticate(ep.security, req, params, now)) {
    res.status = e->http_status;
    res.set_content(e->ToJson(), "application/json");
    return;
  }
  if (ep.security == Security::kSigned) {
    if (std::optional<Fault> f = faults.Take(FaultStage::kEngine, req.method, req.path)) return AnswerFault(*f, res);
  }
  Reply reply = ep.handler(params);
  if (reply.status == 200) {
    if (std::optional<Fault> f = faults.Take(FaultStage::kAfterAccept, req.method, req.path)) {
      if (f->delay_ms > 0 && !SleepUnlessStopping(f->delay_ms)) {
        res.status = 503;
        return;
      }
      if (!f->corrupt_field.empty()) {
        reply.body = CorruptJsonField(reply.body, f->corrupt_field, f->corrupt_value);
      } else if (f->http_status != 0) {
        return AnswerFault(*f, res);
      }
    }
  }
  res.status = reply.status;
  res.set_content(reply.body, "application/json");
}

void FakeBinanceServer::Impl::RegisterRoutes() {
  FakeExchange& ex = *exchange;
  const ExchangeConfig& cfg = ex.config();
  auto pub = [](int weight, int weight_without_symbol, std::function<Reply(const Params&)> h) {
    return Endpoint{Security::kNone, weight, weight_without_symbol, false, std::move(h)};
  };
  auto sig = [](int weight, int weight_without_symbol, std::function<Reply(const Params&)> h) {
    return Endpoint{Security::kSigned, weight, weight_without_symbol, false, std::move(h)};
  };

  Register("GET", "/fapi/v1/ping", pub(1, 0, [](const Params&) { return Ok("{}"); }));
  Register("GET", "/fapi/v1/time",
           pub(1, 0, [&ex](const Params&) { return Ok(JsonObject().Int("serverTime", ex.NowMs()).Close()); }));
  Register("GET", "/fapi/v1/exchangeInfo", pub(1, 0, [this, &ex, &cfg](const Params&) {
             return Ok(ExchangeInfoJson(ex.Instruments(), cfg, options.limits, ex.NowMs()));
           }));

  // Market summaries: one symbol's object, or every symbol's in an array.
  const int64_t interval_ms = IntervalMs(options.kline_interval);
  Register("GET", "/fapi/v1/ticker/24hr", pub(1, 40, [&ex, interval_ms](const Params& p) {
             return PerSymbol(ex, p, [&ex, interval_ms](const std::string& symbol) {
               return RenderOk(ex.LastDayBars(symbol),
                               [&](const std::vector<Bar>& day) { return Ticker24hJson(symbol, day, interval_ms); });
             });
           }));
  Register("GET", "/fapi/v1/premiumIndex", pub(1, 10, [&ex](const Params& p) {
             return PerSymbol(ex, p,
                              [&ex](const std::string& s) { return RenderOk(ex.MarkPriceOf(s), PremiumIndexJson); });
           }));
  Register("GET", "/fapi/v1/ticker/bookTicker", pub(2, 5, [&ex](const Params& p) {
             return PerSymbol(ex, p,
                              [&ex](const std::string& s) { return RenderOk(ex.BookTicker(s), BookTickerJson); });
           }));

  // Orders. POST weighs 0 on the IP limit and 1 on the order counters.
  Endpoint new_order = sig(0, 0, [&ex](const Params& p) {
    ApiResult<NewOrderResult> r = ex.NewOrder(p);
    if (!r.ok()) return Fail(r.error());
    auto resp_type = p.find("newOrderRespType");
    const bool full = resp_type != p.end() && resp_type->second == "RESULT";
    return Ok(OrderJson(full ? r->result : r->accepted));
  });
  new_order.order_entry = true;
  Register("POST", "/fapi/v1/order", std::move(new_order));
  Register("GET", "/fapi/v1/order", sig(1, 0, [&ex](const Params& p) { return Render1(ex.QueryOrder(p), OrderJson); }));
  Register("DELETE", "/fapi/v1/order",
           sig(1, 0, [&ex](const Params& p) { return Render1(ex.CancelOrder(p), OrderJson); }));
  Register("GET", "/fapi/v1/openOrders",
           sig(1, 40, [&ex](const Params& p) { return RenderAll(ex.OpenOrders(p), OrderJson); }));

  // Algo (conditional) orders.
  Register("POST", "/fapi/v1/algoOrder",
           sig(0, 0, [&ex](const Params& p) { return Render1(ex.NewAlgoOrder(p), AlgoOrderJson); }));
  Register("GET", "/fapi/v1/algoOrder",
           sig(1, 0, [&ex](const Params& p) { return Render1(ex.QueryAlgoOrder(p), AlgoOrderJson); }));
  Register("DELETE", "/fapi/v1/algoOrder",
           sig(1, 0, [&ex](const Params& p) { return Render1(ex.CancelAlgoOrder(p), AlgoCancelJson); }));
  Register("GET", "/fapi/v1/openAlgoOrders",
           sig(1, 40, [&ex](const Params& p) { return RenderAll(ex.OpenAlgoOrders(p), AlgoOrderJson); }));

  // The account's trades: weight 5.
  Register("GET", "/fapi/v1/userTrades", sig(5, 0, [&ex, &cfg](const Params& p) {
             return RenderAll(ex.UserTrades(p), [&cfg](const Trade& t) { return UserTradeJson(t, cfg); });
           }));
  // Klines of the closed bars: weight by limit, as Binance documents it.
  Endpoint klines = pub(1, 0, [this, &ex](const Params& p) {
    auto symbol = p.find("symbol");
    auto interval = p.find("interval");
    if (symbol == p.end() || symbol->second.empty()) return Fail(Error(kMandatoryParam, MandatoryParamMsg("symbol")));
    if (!ex.HasSymbol(symbol->second)) return Fail(Error(kBadSymbol));
    if (interval == p.end() || interval->second != options.kline_interval) {
      return Fail(Error(kMandatoryParam, MandatoryParamMsg("interval")));
    }
    int64_t start = 0, limit = 500;
    if (auto s = p.find("startTime"); s != p.end() && !absl::SimpleAtoi(s->second, &start)) {
      return Fail(Error(kMandatoryParam, MandatoryParamMsg("startTime")));
    }
    if (auto l = p.find("limit"); l != p.end() && (!absl::SimpleAtoi(l->second, &limit) || limit < 1)) {
      return Fail(Error(kMandatoryParam, MandatoryParamMsg("limit")));
    }
    limit = std::min<int64_t>(limit, 1500);
    return Ok(KlinesJson(ex.ClosedBars(symbol->second, start, static_cast<size_t>(limit)),
                         IntervalMs(options.kline_interval)));
  });
  Register("GET", "/fapi/v1/klines", std::move(klines));

  // Account.
  for (int version : {2, 3}) {
    const std::string v = absl::StrCat("/fapi/v", version);
    Register("GET", v + "/positionRisk", sig(5, 0, [&ex, &cfg, version](const Params& p) {
               const AccountSnapshot account = ex.Account();
               auto symbol = p.find("symbol");
               if (symbol == p.end()) return Ok(PositionRiskJson(account.positions, cfg, version));
               const PositionSnapshot* one = account.Find(symbol->second);
               if (one == nullptr) return Fail(Error(kBadSymbol));
               return Ok(PositionRiskJson({*one}, cfg, version));
             }));
    Register("GET", v + "/account", sig(5, 0, [&ex, &cfg, version](const Params&) {
               return Ok(AccountJson(ex.Account(), cfg, version));
             }));
    Register("GET", v + "/balance",
             sig(5, 0, [&ex, &cfg](const Params&) { return Ok(BalanceJson(ex.Account(), cfg)); }));
  }

  // Account settings (TRADE / USER_DATA).
  Register("POST", "/fapi/v1/leverage", sig(1, 0, [&ex](const Params& p) {
             ApiResult<int64_t> r = ex.ChangeLeverage(p);
             if (!r.ok()) return Fail(r.error());
             return Ok(JsonObject()
                           .Int("leverage", *r)
                           .Str("maxNotionalValue", "1000000")
                           .Str("symbol", p.at("symbol"))
                           .Close());
           }));
  Register("POST", "/fapi/v1/marginType", sig(1, 0, [&ex](const Params& p) {
             std::optional<ApiError> e = ex.ChangeMarginType(p);
             return e ? Fail(*e) : Ok(JsonObject().Int("code", 200).Str("msg", "success").Close());
           }));
  Register("GET", "/fapi/v1/positionSide/dual", sig(30, 0, [&ex](const Params&) {
             return Ok(JsonObject().Bool("dualSidePosition", ex.DualSidePosition()).Close());
           }));
  Register("POST", "/fapi/v1/positionSide/dual", sig(1, 0, [&ex](const Params& p) {
             std::optional<ApiError> e = ex.ChangeDualSidePosition(p);
             return e ? Fail(*e) : Ok(JsonObject().Int("code", 200).Str("msg", "success").Close());
           }));

  // User-data stream keys: API key, no signature.
  auto key_only = [](std::function<Reply(const Params&)> h) {
    return Endpoint{Security::kApiKey, 1, 0, false, std::move(h)};
  };
  Register("POST", "/fapi/v1/listenKey", key_only([&ex](const Params&) {
             return Ok(JsonObject().Str("listenKey", ex.StartUserStream()).Close());
           }));
  Register("PUT", "/fapi/v1/listenKey", key_only([&ex](const Params& p) {
             auto k = p.find("listenKey");
             ApiResult<std::string> r = ex.KeepAliveUserStream(k == p.end() ? "" : k->second);
             return r.ok() ? Ok(JsonObject().Str("listenKey", r.value()).Close()) : Fail(r.error());
           }));
  Register("DELETE", "/fapi/v1/listenKey", key_only([&ex](const Params& p) {
             auto k = p.find("listenKey");
             std::optional<ApiError> e = ex.CloseUserStream(k == p.end() ? "" : k->second);
             return e ? Fail(*e) : Ok("{}");
           }));
  RegisterAdmin();
}

Reply FakeBinanceServer::Impl::AdminFault(const Params& p) {
  auto kind = p.find("kind");
  const std::string k = kind == p.end() ? "" : kind->second;
  if (k == "partial_fill") {
    auto pct = p.find("percent");
    int percent = 0;
    if (pct == p.end() || !absl::SimpleAtoi(pct->second, &percent)) {
      return Reply{400, AdminError("partial_fill: percent= (1..99) is required")};
    }
    if (absl::Status s = exchange->SetPartialFillNextMarket(percent); !s.ok()) {
      return Reply{400, AdminError(s.message())};
    }
  } else if (k == "cancel_algo") {
    auto type = p.find("type");
    auto symbol = p.find("symbol");
    ApiResult<AlgoOrder> r = exchange->CancelAlgoByHand(type == p.end() ? "STOP_MARKET" : type->second,
                                                        symbol == p.end() ? "" : symbol->second);
    if (!r.ok()) return Reply{409, r.error().ToJson()};
    return Ok(JsonObject().Bool("ok", true).Raw("algoOrder", AlgoOrderJson(r.value())).Close());
  } else if (k == "close_position") {
    auto sym = p.find("symbol");
    ApiResult<Order> r = exchange->ClosePositionByHand(sym == p.end() ? exchange->config().instrument.symbol : sym->second);
    if (!r.ok()) return Reply{409, r.error().ToJson()};
    return Ok(JsonObject().Bool("ok", true).Raw("order", OrderJson(r.value())).Close());
  } else {
    absl::StatusOr<Fault> f = ParseFault(p, exchange->NowMs());
    if (!f.ok()) return Reply{400, AdminError(f.status().message())};
    if (absl::Status s = faults.Add(*std::move(f)); !s.ok()) return Reply{429, AdminError(s.message())};
  }
  return Ok(JsonObject().Bool("ok", true).Raw("pending", faults.PendingJson()).Close());
}

void FakeBinanceServer::Impl::PushWs(WsItem item) {
  {
    std::lock_guard<std::mutex> lock(ws_mu);
    if (ws_stopping) return;
    ws_queue.push_back(std::move(item));
  }
  ws_cv.notify_all();
}

void FakeBinanceServer::Impl::PumpWs() {
  std::unique_lock<std::mutex> lock(ws_mu);
  while (true) {
    ws_cv.wait(lock, [this] { return ws_stopping || !ws_queue.empty(); });
    if (ws_stopping) return;
    WsItem item = std::move(ws_queue.front());
    ws_queue.pop_front();
    ws_busy = true;
    lock.unlock();
    SendWs(item);  // outside ws_mu: it may take the exchange's lock
    lock.lock();
    ws_busy = false;
    ws_cv.notify_all();
  }
}

std::vector<std::string> FakeBinanceServer::Impl::ConnectedListenKeys() const {
  std::set<std::string> keys;
  for (const std::string& path : ws->client_paths()) {
    if (!absl::StartsWith(path, "/ws/")) continue;
    std::string key = path.substr(4);
    if (size_t q = key.find('?'); q != std::string::npos) key.resize(q);
    if (!key.empty()) keys.insert(std::move(key));
  }
  return {keys.begin(), keys.end()};
}

void FakeBinanceServer::Impl::SendWs(const WsItem& item) {
  switch (item.kind) {
    case WsItem::kKline: {
      const std::string stream = absl::AsciiStrToLower(item.symbol);
      const std::string& interval = options.kline_interval;
      // Not subject to corrupt_next/truncate_next, which target the klines
      // (a bad book or mark price message is sent with kind=raw).
      if (ApiResult<BookTop> book = exchange->BookTicker(item.symbol); book.ok()) {
        Broadcast("market", JsonObject()
                                .Str("stream", absl::StrCat(stream, "@bookTicker"))
                                .Raw("data", BookTickerEventJson(book.value(), ++book_updates))
                                .Close());
      }
      Broadcast("market", JsonObject()
                              .Str("stream", absl::StrCat(stream, "@markPrice"))
                              .Raw("data", exchange->MarkPriceJson(item.symbol))
                              .Close());
      const std::string data =
          KlineEventJson(item.symbol, item.bar, interval, IntervalMs(interval), exchange->NowMs());
      Broadcast("market", Mutate("market", JsonObject()
                                               .Str("stream", absl::StrCat(stream, "@kline_", interval))
                                               .Raw("data", data)
                                               .Close()));
      break;
    }
    case WsItem::kUserEvent:
      Broadcast("user", Mutate("user", item.json));
      break;
    case WsItem::kRaw:
      Broadcast(item.stream, item.json);
      break;
    case WsItem::kListenKeyExpired:
      // As on Binance, the key is gone by the time the event is sent: a bot
      // that asks for a key on reading it gets a new one, not this one.
      for (const std::string& key : ConnectedListenKeys()) {
        if (!exchange->IsListenKeyActive(key)) continue;
        (void)exchange->CloseUserStream(key);
        ws->Broadcast(absl::StrCat("/ws/", key), JsonObject()
                                                     .Str("e", "listenKeyExpired")
                                                     .Int("E", exchange->NowMs())
                                                     .Str("listenKey", key)
                                                     .Close());
      }
      break;
  }
}

std::string FakeBinanceServer::Impl::Mutate(absl::string_view stream, std::string text) {
  WsMutation m;
  {
    std::lock_guard<std::mutex> lock(ws_mu);
    auto it = std::find_if(ws_mutations.begin(), ws_mutations.end(), [&](const WsMutation& w) {
      return w.stream == stream && absl::StrContains(text, w.match);
    });
    if (it == ws_mutations.end()) return text;
    m = std::move(*it);
    ws_mutations.erase(it);
  }
  if (m.truncate) return text.substr(0, text.size() / 2);
  return CorruptJsonField(text, m.field, m.value);
}

void FakeBinanceServer::Impl::Broadcast(absl::string_view stream, const std::string& text) {
  if (stream == "market") {
    ws->Broadcast("/stream", text);
    return;
  }
  for (const std::string& key : ConnectedListenKeys()) {
    if (exchange->IsListenKeyActive(key)) ws->Broadcast(absl::StrCat("/ws/", key), text);
  }
}

Reply FakeBinanceServer::Impl::AdminWs(const Params& p) {
  if (!ws) return Reply{409, AdminError("the WebSocket streams are not started (--ws-port)")};
  auto kind = p.find("kind");
  const std::string k = kind == p.end() ? "" : kind->second;
  if (k == "drop") {
    ws->DropAll();
  } else if (k == "silent") {
    auto on = p.find("on");
    const bool silent = on == p.end() || (on->second != "false" && on->second != "0");
    ws->SetSilent(silent);
  } else if (k == "listen_key_expired") {
    PushWs(WsItem{WsItem::kListenKeyExpired, {}, {}, {}, {}});
  } else if (k == "kline") {
    int64_t back = 0;
    if (auto b = p.find("back"); b != p.end() && (!absl::SimpleAtoi(b->second, &back) || back < 0)) {
      return Reply{400, AdminError("back: expected an integer >= 0")};
    }
    auto s = p.find("symbol");
    const std::string symbol = s == p.end() ? exchange->config().instrument.symbol : s->second;
    if (!exchange->HasSymbol(symbol)) return Reply{400, AdminError(absl::StrCat("symbol: no market ", symbol))};
    absl::StatusOr<Bar> bar = exchange->BarBack(symbol, static_cast<size_t>(back));
    if (!bar.ok()) return Reply{409, AdminError(bar.status().message())};
    PushWs(WsItem{WsItem::kKline, {}, *bar, {}, symbol});
  } else if (k == "corrupt_next" || k == "truncate_next" || k == "oversize" || k == "raw") {
    auto get = [&p](const char* key) {
      auto it = p.find(key);
      return it == p.end() ? std::string() : it->second;
    };
    const std::string stream = get("stream");
    if (stream != "user" && stream != "market") return Reply{400, AdminError("stream: expected user or market")};
    if (k == "oversize") {
      int64_t bytes = 0;
      if (!absl::SimpleAtoi(get("bytes"), &bytes) || bytes < 16 || bytes > kOversizeBytesMax) {
        return Reply{400, AdminError(absl::StrCat("bytes: expected 16..", kOversizeBytesMax))};
      }
      std::string text = "{\"e\":\"pad\",\"p\":\"";
      text.append(static_cast<size_t>(bytes) - text.size() - 2, 'x');
      text.append("\"}");
      PushWs(WsItem{WsItem::kRaw, std::move(text), {}, stream, {}});
    } else if (k == "raw") {
      PushWs(WsItem{WsItem::kRaw, get("text"), {}, stream, {}});
    } else {
      WsMutation m{stream, get("match"), k == "truncate_next", get("field"), get("value")};
      if (!m.truncate && m.field.empty()) return Reply{400, AdminError("corrupt_next: field= is required")};
      std::lock_guard<std::mutex> lock(ws_mu);
      if (ws_mutations.size() >= kWsMutationsMax) return Reply{429, AdminError("too many stream drills pending")};
      ws_mutations.push_back(std::move(m));
    }
  } else {
    return Reply{400, AdminError("kind: expected drop, silent, listen_key_expired, kline, corrupt_next, "
                                 "truncate_next, oversize or raw")};
  }
  return Ok(JsonObject().Bool("ok", true).Int("clients", static_cast<int64_t>(ws->client_count())).Close());
}

Reply FakeBinanceServer::Impl::AdminMarket(const Params& p) {
  auto s = p.find("symbol");
  if (s == p.end() || !exchange->HasSymbol(s->second)) {
    return Reply{400, AdminError(absl::StrCat("symbol: expected one of ", absl::StrJoin(exchange->Symbols(), ", ")))};
  }
  const std::string& symbol = s->second;
  std::optional<Fixed> funding_rate, spread, volume_scale;
  std::string error;
  if (!AdminDecimal(p, "funding_rate", &funding_rate, &error) || !AdminDecimal(p, "spread", &spread, &error) ||
      !AdminDecimal(p, "volume_scale", &volume_scale, &error)) {
    return Reply{400, AdminError(error)};
  }
  if (volume_scale && volume_scale->raw() <= 0) return Reply{400, AdminError("volume_scale: must be > 0")};
  // The spread first: it is the one that can be refused, and nothing is set then.
  if (spread) {
    if (absl::Status st = exchange->SetSpread(symbol, *spread); !st.ok()) return Reply{400, AdminError(st.message())};
  }
  if (volume_scale) {
    if (absl::Status st = exchange->SetVolumeScale(symbol, *volume_scale); !st.ok()) return Reply{400, AdminError(st.message())};
  }
  if (funding_rate) {
    if (absl::Status st = exchange->SetFundingRate(symbol, *funding_rate); !st.ok()) {
      return Reply{400, AdminError(st.message())};
    }
  }
  ApiResult<MarkPrice> mark = exchange->MarkPriceOf(symbol);
  ApiResult<BookTop> book = exchange->BookTicker(symbol);
  if (!mark.ok() || !book.ok()) return Reply{400, AdminError(absl::StrCat("symbol: no market ", symbol))};
  return Ok(JsonObject()
                .Bool("ok", true)
                .Raw("premiumIndex", PremiumIndexJson(*mark))
                .Raw("bookTicker", BookTickerJson(*book))
                .Close());
}

void FakeBinanceServer::Impl::StopWs() {
  if (!ws) return;
  exchange->SetUserEventSink(nullptr);
  exchange->SetBarSink(nullptr);
  {
    std::lock_guard<std::mutex> lock(ws_mu);
    ws_stopping = true;
  }
  ws_cv.notify_all();
  if (ws_thread.joinable()) ws_thread.join();
  ws->Stop();
}

void FakeBinanceServer::Impl::RegisterAdmin() {
  auto admin = [this](std::function<Reply(const Params&)> h) {
    return [this, h = std::move(h)](const httplib::Request& req, httplib::Response& res) {
      Reply r = IsLoopback(req.remote_addr) ? h(AllParams(req)) : Reply{403, AdminError("admin is loopback only")};
      res.status = r.status;
      res.set_content(r.body, "application/json");
      Log(req, res);
    };
  };
  http.Post("/admin/fault", admin([this](const Params& p) { return AdminFault(p); }));
  http.Delete("/admin/fault", admin([this](const Params&) {
                faults.Clear();
                return Ok(JsonObject().Bool("ok", true).Raw("pending", "[]").Close());
              }));
  http.Post("/admin/bar", admin([this](const Params& p) {
              int64_t count = 1;
              if (auto c = p.find("count"); c != p.end() && (!absl::SimpleAtoi(c->second, &count) || count < 1 ||
                                                             count > kBarsPerAdminCallMax)) {
                return Reply{400, AdminError(absl::StrCat("count: expected 1..", kBarsPerAdminCallMax))};
              }
              absl::StatusOr<Bar> bar;
              for (int64_t i = 0; i < count; ++i) {
                bar = exchange->AdvanceBar();
                if (!bar.ok()) return Reply{409, AdminError(bar.status().message())};
              }
              return Ok(JsonObject()
                            .Int("barIndex", static_cast<int64_t>(exchange->bar_index()))
                            .Int("openTime", bar->open_time_ms)
                            .Dec("open", bar->open)
                            .Dec("high", bar->high)
                            .Dec("low", bar->low)
                            .Dec("close", bar->close)
                            .Close());
            }));
  http.Get("/admin/state", admin([this](const Params&) {
             std::string state = exchange->StateJson();
             state.pop_back();  // '}': the server's part follows
             int64_t weight;
             {
               std::lock_guard<std::mutex> lock(count_mu);
               weight = weight_used;
             }
             absl::StrAppend(&state, ",\"usedWeight1m\":", weight, ",\"faults\":", faults.PendingJson(), "}");
             return Ok(std::move(state));
           }));
  http.Post("/admin/ws", admin([this](const Params& p) { return AdminWs(p); }));
  http.Post("/admin/market", admin([this](const Params& p) { return AdminMarket(p); }));
  http.Post("/admin/clock", admin([this](const Params& p) {
              int64_t skew = 0;
              auto s = p.find("skew_ms");
              if (s == p.end() || !absl::SimpleAtoi(s->second, &skew)) {
                return Reply{400, AdminError("skew_ms= (an integer, ms; may be negative) is required")};
              }
              exchange->SetClockSkewMs(skew);
              return Ok(JsonObject().Int("serverTime", exchange->NowMs()).Int("skewMs", skew).Close());
            }));
}

FakeBinanceServer::FakeBinanceServer(FakeExchange* exchange, ServerOptions options)
    : impl_(std::make_unique<Impl>(exchange, std::move(options))) {
  impl_->RegisterRoutes();
}

FakeBinanceServer::~FakeBinanceServer() { Stop(); }

absl::Status FakeBinanceServer::Start() {
  Impl& im = *impl_;
  if (im.thread.joinable()) return absl::FailedPreconditionError("fake-binance server already started");
  if (im.options.port == 0) {
    im.port = im.http.bind_to_any_port(im.options.host);
  } else {
    im.port = im.http.bind_to_port(im.options.host, im.options.port) ? im.options.port : -1;
  }
  if (im.port <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot bind ", im.options.host, ":", im.options.port));
  }
  im.thread = std::thread([&im] { im.http.listen_after_bind(); });
  // Stop() is only safe once the accept loop runs (httplib's stop() does
  // nothing before that), so wait for it; bounded.
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (!im.http.is_running()) {
    if (std::chrono::steady_clock::now() > deadline) return absl::UnavailableError("fake-binance server did not start");
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return absl::OkStatus();
}

void FakeBinanceServer::Stop() {
  Impl& im = *impl_;
  {
    std::lock_guard<std::mutex> lock(im.stop_mu);
    im.stopping = true;
  }
  im.stop_cv.notify_all();
  if (im.thread.joinable()) {
    im.http.stop();
    im.thread.join();
  }
  im.StopWs();
}

absl::Status FakeBinanceServer::StartWs(int port) {
  Impl& im = *impl_;
  if (im.ws) return absl::FailedPreconditionError("fake-binance WebSocket streams already started");
  if (port < 0 || port > 65535) return absl::InvalidArgumentError("ws port: expected 0..65535");
  if (IntervalMs(im.options.kline_interval) <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("kline interval: not an interval: ", im.options.kline_interval));
  }
  net::WsServerOptions wo;
  wo.bind_address = im.options.host;
  wo.port = static_cast<uint16_t>(port);
  auto ws = std::make_unique<net::WsServer>(wo);
  if (absl::Status s = ws->Start(); !s.ok()) return s;
  im.ws = std::move(ws);
  im.ws_thread = std::thread([&im] { im.PumpWs(); });
  // The sinks run under the exchange's lock: they only queue.
  im.exchange->SetUserEventSink(
      [&im](const std::string& event) { im.PushWs(WsItem{WsItem::kUserEvent, event, {}, {}, {}}); });
  im.exchange->SetBarSink([&im](const std::string& symbol, const Bar& bar) {
    im.PushWs(WsItem{WsItem::kKline, {}, bar, {}, symbol});
  });
  return absl::OkStatus();
}

int FakeBinanceServer::ws_port() const { return impl_->ws ? impl_->ws->port() : -1; }

bool FakeBinanceServer::WaitForWsClients(absl::string_view path_prefix, size_t count, int64_t timeout_ms) const {
  return impl_->ws && impl_->ws->WaitForClients(std::string_view(path_prefix.data(), path_prefix.size()), count,
                                                timeout_ms);
}

bool FakeBinanceServer::WaitWsFlushed(int64_t timeout_ms) const {
  Impl& im = *impl_;
  std::unique_lock<std::mutex> lock(im.ws_mu);
  return im.ws_cv.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                           [&im] { return im.ws_stopping || (im.ws_queue.empty() && !im.ws_busy); });
}

int FakeBinanceServer::port() const { return impl_->port; }
FaultInjector& FakeBinanceServer::faults() { return impl_->faults; }
FakeExchange& FakeBinanceServer::exchange() { return *impl_->exchange; }

}  // namespace apollo::fake_binance
