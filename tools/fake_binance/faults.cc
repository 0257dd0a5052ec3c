// Fault injection for the fake server (see faults.h).
#include "tools/fake_binance/faults.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tools/fake_binance/api_error.h"
#include "tools/fake_binance/json_writer.h"

namespace apollo::fake_binance {
namespace {

constexpr int kCountMax = 1'000'000;
constexpr int64_t kDelayMaxMs = 10 * 60 * 1000;

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

absl::string_view StageName(FaultStage stage) {
  switch (stage) {
    case FaultStage::kGateway: return "gateway";
    case FaultStage::kEngine: return "engine";
    case FaultStage::kAfterAccept: return "after_accept";
  }
  return "?";
}

std::string Param(const Params& p, const std::string& key, const std::string& fallback = "") {
  auto it = p.find(key);
  return it == p.end() || it->second.empty() ? fallback : it->second;
}

absl::Status IntParam(const Params& p, const std::string& key, int64_t min, int64_t max, int64_t* out) {
  auto it = p.find(key);
  if (it == p.end() || it->second.empty()) return absl::OkStatus();  // keep the default
  int64_t v = 0;
  if (!absl::SimpleAtoi(it->second, &v) || v < min || v > max) {
    return absl::InvalidArgumentError(absl::StrCat(key, ": expected an integer in [", min, ", ", max, "], got '",
                                                   it->second, "'"));
  }
  *out = v;
  return absl::OkStatus();
}

}  // namespace

std::string Fault::ToJson() const {
  return JsonObject()
      .Str("stage", StageName(stage))
      .Str("method", method)
      .Str("path", path)
      .Int("count", count)
      .Int("httpStatus", http_status)
      .Int("retryAfterS", retry_after_s)
      .Int("code", code)
      .Str("msg", msg)
      .Int("delayMs", delay_ms)
      .Str("corruptField", corrupt_field)
      .Str("corruptValue", corrupt_value)
      .Int("forMs", for_ms)
      .Close();
}

Fault RateLimited(int retry_after_s, int count, std::string path) {
  Fault f;
  f.path = std::move(path);
  f.count = count;
  f.http_status = 429;
  f.retry_after_s = retry_after_s;
  f.code = kTooManyRequests;
  return f;
}

Fault IpBanned(int retry_after_s, int64_t now_ms, int count, std::string path) {
  Fault f = RateLimited(retry_after_s, count, std::move(path));
  f.http_status = 418;
  f.msg = absl::StrCat("Way too many requests; IP banned until ", now_ms + int64_t{retry_after_s} * 1000,
                       ". Please use the websocket for live updates to avoid bans.");
  return f;
}

Fault ServerError(int http_status, int count, std::string path) {
  Fault f;
  f.path = std::move(path);
  f.count = count;
  f.http_status = http_status;
  f.code = http_status == 503 ? kUnknown : kDisconnected;
  if (http_status == 503) f.msg = "Unknown error, please check your request or try again later.";
  return f;
}

Fault DelayBefore(int64_t delay_ms, int count, std::string path) {
  Fault f;
  f.path = std::move(path);
  f.count = count;
  f.delay_ms = delay_ms;
  return f;
}

Fault DelayAfterAccept(int64_t delay_ms, std::string method, std::string path) {
  Fault f;
  f.stage = FaultStage::kAfterAccept;
  f.method = std::move(method);
  f.path = std::move(path);
  f.delay_ms = delay_ms;
  return f;
}

Fault ServerErrorAfterAccept(int http_status, std::string method, std::string path) {
  Fault f = ServerError(http_status, 1, std::move(path));
  f.stage = FaultStage::kAfterAccept;
  f.method = std::move(method);
  return f;
}

Fault CorruptAnswer(std::string field, std::string value, std::string method, std::string path) {
  Fault f;
  f.stage = FaultStage::kAfterAccept;
  f.method = std::move(method);
  f.path = std::move(path);
  f.corrupt_field = std::move(field);
  f.corrupt_value = std::move(value);
  return f;
}

Fault EngineError(int code, std::string method, std::string path, int count) {
  Fault f;
  f.stage = FaultStage::kEngine;
  f.method = std::move(method);
  f.path = std::move(path);
  f.count = count;
  const ApiError e = Error(code);
  f.http_status = e.http_status;
  f.code = code;
  f.msg = e.msg;
  return f;
}

absl::Status FaultInjector::Add(Fault fault) {
  std::lock_guard<std::mutex> lock(mu_);
  if (faults_.size() >= kPendingMax) {
    return absl::ResourceExhaustedError(absl::StrCat("already ", kPendingMax, " faults pending"));
  }
  if (fault.for_ms > 0) fault.until_ms = SteadyMs() + fault.for_ms;
  faults_.push_back(std::move(fault));
  return absl::OkStatus();
}

void FaultInjector::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.clear();
}

std::optional<Fault> FaultInjector::Take(FaultStage stage, absl::string_view method, absl::string_view path) {
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t now = SteadyMs();
  std::erase_if(faults_, [now](const Fault& f) { return f.for_ms > 0 && now >= f.until_ms; });
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (it->stage != stage || it->count <= 0) continue;
    if (!it->method.empty() && it->method != method) continue;
    if (!it->path.empty() && it->path != path) continue;
    Fault taken = *it;
    if (it->for_ms == 0 && --it->count <= 0) faults_.erase(it);
    return taken;
  }
  return std::nullopt;
}

std::vector<Fault> FaultInjector::Pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t now = SteadyMs();
  std::vector<Fault> out;
  for (const Fault& f : faults_) {
    if (f.for_ms == 0 || now < f.until_ms) out.push_back(f);
  }
  return out;
}

std::string FaultInjector::PendingJson() const {
  std::vector<std::string> items;
  for (const Fault& f : Pending()) items.push_back(f.ToJson());
  return JsonArray(items);
}

absl::StatusOr<Fault> ParseFault(const Params& p, int64_t now_ms) {
  const std::string kind = Param(p, "kind");
  int64_t count = 1, retry_after = 1, status = 503, delay_ms = 0, code = 0, for_ms = 0;
  if (absl::Status s = IntParam(p, "count", 1, kCountMax, &count); !s.ok()) return s;
  if (absl::Status s = IntParam(p, "for_ms", 0, kDelayMaxMs, &for_ms); !s.ok()) return s;
  if (absl::Status s = IntParam(p, "retry_after", 0, 86'400, &retry_after); !s.ok()) return s;
  const std::string path = Param(p, "path");
  const std::string method = Param(p, "method");
  const std::string phase = Param(p, "phase", "before");
  if (phase != "before" && phase != "after") {
    return absl::InvalidArgumentError(absl::StrCat("phase: expected before or after, got '", phase, "'"));
  }
  const int n = static_cast<int>(count);
  Fault f;
  if (kind == "429") {
    f = RateLimited(static_cast<int>(retry_after), n, path);
  } else if (kind == "418") {
    f = IpBanned(static_cast<int>(retry_after), now_ms, n, path);
  } else if (kind == "5xx") {
    if (absl::Status s = IntParam(p, "status", 500, 599, &status); !s.ok()) return s;
    f = phase == "after" ? ServerErrorAfterAccept(static_cast<int>(status), method.empty() ? "POST" : method,
                                                  path.empty() ? "/fapi/v1/order" : path)
                         : ServerError(static_cast<int>(status), n, path);
    if (phase == "before") f.method = method;
    f.count = n;
  } else if (kind == "delay") {
    if (absl::Status s = IntParam(p, "ms", 1, kDelayMaxMs, &delay_ms); !s.ok()) return s;
    if (delay_ms == 0) return absl::InvalidArgumentError("delay: ms= is required");
    f = phase == "after" ? DelayAfterAccept(delay_ms, method.empty() ? "POST" : method,
                                            path.empty() ? "/fapi/v1/order" : path)
                         : DelayBefore(delay_ms, n, path);
    if (phase == "before") f.method = method;
    f.count = n;
  } else if (kind == "timestamp") {
    f = EngineError(kInvalidTimestamp, method, path, n);
  } else if (kind == "margin") {
    f = EngineError(kMarginInsufficient, method.empty() ? "POST" : method, path.empty() ? "/fapi/v1/order" : path, n);
  } else if (kind == "no_such_order") {
    f = EngineError(kNoSuchOrder, method.empty() ? "GET" : method, path.empty() ? "/fapi/v1/order" : path, n);
  } else if (kind == "duplicate_client_id") {
    f = EngineError(kDuplicateClientOrderId, method.empty() ? "POST" : method,
                    path.empty() ? "/fapi/v1/order" : path, n);
  } else if (kind == "error") {
    if (absl::Status s = IntParam(p, "code", -99'999, -1, &code); !s.ok()) return s;
    if (code == 0) return absl::InvalidArgumentError("error: code= is required");
    f = EngineError(static_cast<int>(code), method, path, n);
    if (std::string msg = Param(p, "msg"); !msg.empty()) f.msg = msg;
  } else if (kind == "corrupt") {
    const std::string field = Param(p, "field");
    if (field.empty() || path.empty() || method.empty()) {
      return absl::InvalidArgumentError("corrupt: field=, path= and method= are required");
    }
    auto value = p.find("value");  // may be empty: an empty decimal
    f = CorruptAnswer(field, value == p.end() ? "" : value->second, method, path);
    f.count = n;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "kind: expected 429, 418, 5xx, delay, timestamp, margin, no_such_order, duplicate_client_id, error, "
        "corrupt, partial_fill, close_position or cancel_algo; got '",
        kind, "'"));
  }
  f.for_ms = for_ms;
  return f;
}

std::string CorruptJsonField(absl::string_view json, absl::string_view field, absl::string_view value) {
  const std::string key = absl::StrCat("\"", field, "\":");
  const size_t at = json.find(key);
  if (at == absl::string_view::npos) return std::string(json);
  size_t begin = at + key.size();
  while (begin < json.size() && json[begin] == ' ') ++begin;
  size_t end = begin;
  if (begin < json.size() && json[begin] == '"') {
    ++begin;
    end = json.find('"', begin);
    if (end == absl::string_view::npos) return std::string(json);
  } else {
    end = json.find_first_of(",}]", begin);
    if (end == absl::string_view::npos) end = json.size();
  }
  return absl::StrCat(json.substr(0, begin), value, json.substr(end));
}

}  // namespace apollo::fake_binance
