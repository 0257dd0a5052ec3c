// Signing, the rate gate and the retry rules of rest_client.h over net::HttpClient.
#include "engine/venue/kalshi/rest_client.h"

#include <simdjson.h>

#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "engine/domain/status_macros.h"

namespace apollo::venue::kalshi {
namespace {

constexpr char kErrorCodeUrl[] = "apollo.kalshi/error_code";

// Kalshi's error answer: {"code", "message", "details"}, or {"error": "..."}
// for a 429. Whatever the body, a short text for the status message.
struct KalshiError {
  std::string code, message;
};
KalshiError ReadError(absl::string_view body) {
  KalshiError e;
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (parser.parse(body.data(), body.size()).get(object) != simdjson::SUCCESS) {
    e.message = std::string(body.substr(0, 200));
    return e;
  }
  std::string_view text;
  if (object["code"].get(text) == simdjson::SUCCESS) e.code = std::string(text);
  if (object["message"].get(text) == simdjson::SUCCESS) e.message = std::string(text);
  if (e.message.empty() && object["error"].get(text) == simdjson::SUCCESS) e.message = std::string(text);
  if (object["details"].get(text) == simdjson::SUCCESS && !text.empty()) {
    absl::StrAppend(&e.message, " (", std::string(text), ")");
  }
  if (e.message.size() > 300) e.message.resize(300);
  return e;
}

absl::StatusCode CodeFor(int http_status, absl::string_view kalshi_code) {
  if (absl::EqualsIgnoreCase(kalshi_code, "market_inactive")) return absl::StatusCode::kFailedPrecondition;
  switch (http_status) {
    case 400: return absl::StatusCode::kInvalidArgument;
    case 401: return absl::StatusCode::kUnauthenticated;
    case 403: return absl::StatusCode::kPermissionDenied;
    case 404: return absl::StatusCode::kNotFound;
    case 409: return absl::StatusCode::kAlreadyExists;
    case 429: return absl::StatusCode::kResourceExhausted;
    default: return http_status >= 500 ? absl::StatusCode::kUnavailable : absl::StatusCode::kFailedPrecondition;
  }
}

absl::Status Answer(absl::string_view context, int http_status, absl::string_view body, absl::string_view suffix = "") {
  const KalshiError e = ReadError(body);
  absl::Status st(CodeFor(http_status, e.code),
                  absl::StrCat("kalshi: ", context, ": HTTP ", http_status, e.code.empty() ? "" : " ", e.code,
                               e.message.empty() ? "" : ": ", e.message, suffix));
  if (!e.code.empty()) st.SetPayload(kErrorCodeUrl, absl::Cord(e.code));
  return st;
}

}  // namespace

bool IsIdempotent(HttpMethod method, absl::string_view path) {
  if (method != HttpMethod::kPost) return true;
  return path != "/portfolio/orders" && path != "/portfolio/orders/batched";
}

std::optional<std::string> ErrorCode(const absl::Status& status) {
  auto code = status.GetPayload(kErrorCodeUrl);
  if (!code) return std::nullopt;
  return std::string(*code);
}

absl::StatusOr<std::unique_ptr<RestClient>> RestClient::Create(RestOptions options, std::optional<Signer> signer,
                                                               RestHooks hooks) {
  while (absl::EndsWith(options.base_url, "/")) options.base_url.pop_back();
  std::vector<absl::string_view> parts = absl::StrSplit(options.base_url, absl::MaxSplits("://", 1));
  if (parts.size() != 2 || (parts[0] != "http" && parts[0] != "https") || parts[1].empty()) {
    return absl::InvalidArgumentError("kalshi rest: base_url must be http(s)://host/trade-api/v2");
  }
  const size_t slash = parts[1].find('/');
  const std::string base_path = slash == absl::string_view::npos ? "" : std::string(parts[1].substr(slash));
  if (!absl::EndsWith(base_path, "/trade-api/v2")) {  // what is signed starts there
    return absl::InvalidArgumentError("kalshi rest: base_url must be http(s)://host/trade-api/v2");
  }
  const bool in_range = options.max_retries >= 0 && options.max_retries <= 10 && options.backoff_initial_ms >= 0 &&
                        options.backoff_max_ms >= options.backoff_initial_ms && options.backoff_max_ms <= 600'000 &&
                        options.gate_max_wait_ms >= 0 && options.gate_max_wait_ms <= 60'000;
  if (!in_range) return absl::InvalidArgumentError("kalshi rest: option out of range (see rest_client.h)");
  ASSIGN_OR_RETURN(std::unique_ptr<net::HttpClient> http,
                   net::HttpClient::Create({options.connect_timeout_ms, options.request_timeout_ms,
                                            options.response_bytes_max}));
  if (!hooks.now_ms) hooks.now_ms = [] { return absl::ToUnixMillis(absl::Now()); };
  if (!hooks.sleep) hooks.sleep = [](absl::Duration d) { absl::SleepFor(d); };
  return std::unique_ptr<RestClient>(
      new RestClient(std::move(options), std::move(signer), std::move(hooks), std::move(http), base_path));
}

RestClient::RestClient(RestOptions options, std::optional<Signer> signer, RestHooks hooks,
                       std::unique_ptr<net::HttpClient> http, std::string base_path)
    : options_(std::move(options)),
      signer_(std::move(signer)),
      hooks_(std::move(hooks)),
      base_path_(std::move(base_path)),
      http_(std::move(http)),
      backoff_(absl::Milliseconds(options_.backoff_initial_ms), absl::Milliseconds(options_.backoff_max_ms),
               options_.jitter_seed) {}

RestClient::~RestClient() = default;

int64_t RestClient::backoff_count() const {
  std::lock_guard<std::mutex> l(mu_);
  return backoff_count_;
}

absl::Duration RestClient::Delay(int attempt) {
  std::lock_guard<std::mutex> l(mu_);
  return backoff_.Delay(attempt);
}

void RestClient::Wait(absl::string_view provider, absl::Duration delay, absl::string_view why, bool rate_limited) {
  {
    std::lock_guard<std::mutex> l(mu_);
    ++backoff_count_;
  }
  if (options_.gate != nullptr && rate_limited) {  // every call of the bucket waits it out
    options_.gate->BackOff(provider, absl::FromUnixMillis(hooks_.now_ms()) + delay, why);
  }
  if (hooks_.on_log) hooks_.on_log(absl::StrCat("kalshi: ", why, "; retrying in ", absl::FormatDuration(delay)));
  hooks_.sleep(delay);
}

absl::StatusOr<RestResponse> RestClient::Call(HttpMethod method, absl::string_view path, const Query& query,
                                              absl::string_view json_body, Auth auth) {
  // The lock covers the one connection and the jitter only: a call waiting
  // at the gate or before a retry never holds up another (a cancel behind a
  // read that is backing off).
  const std::string context = absl::StrCat(net::HttpMethodName(method), " ", path);
  if (path.empty() || path[0] != '/' || absl::StrContains(path, "?")) {
    return absl::InvalidArgumentError(absl::StrCat("kalshi rest: bad path (", context, ")"));
  }
  if (auth == Auth::kSigned && (options_.key_id.empty() || !signer_)) {
    return absl::FailedPreconditionError(
        absl::StrCat("kalshi rest: no API key (KALSHI_API_KEY and KALSHI_PRIVATE_KEY_PATH) for ", context));
  }
  std::string url = absl::StrCat(options_.base_url, path);
  for (size_t i = 0; i < query.size(); ++i) {
    absl::StrAppend(&url, i == 0 ? "?" : "&", net::PercentEncode(query[i].first), "=",
                    net::PercentEncode(query[i].second));
  }
  const bool idempotent = IsIdempotent(method, path);
  const char* provider = method == HttpMethod::kGet ? kReadProvider : kWriteProvider;
  for (int attempt = 0;; ++attempt) {
    if (options_.gate != nullptr) {
      if (absl::Status st = options_.gate->Acquire(provider, kRequestCost, absl::Milliseconds(options_.gate_max_wait_ms));
          !st.ok()) {
        return absl::Status(st.code(), absl::StrCat(context, ", not sent: ", st.message()));
      }
    }
    std::vector<std::string> headers = {"Accept: application/json"};
    if (method == HttpMethod::kPost || method == HttpMethod::kPut) headers.push_back("Content-Type: application/json");
    if (auth == Auth::kSigned) {
      const int64_t ts = hooks_.now_ms();  // signed again for each attempt
      ASSIGN_OR_RETURN(std::string signature, signer_->Sign(ts, net::HttpMethodName(method), absl::StrCat(base_path_, path)));
      headers.push_back(absl::StrCat("KALSHI-ACCESS-KEY: ", options_.key_id));
      headers.push_back(absl::StrCat("KALSHI-ACCESS-TIMESTAMP: ", ts));
      headers.push_back(absl::StrCat("KALSHI-ACCESS-SIGNATURE: ", signature));
    }
    net::HttpExchange ex;
    {
      std::lock_guard<std::mutex> l(mu_);
      ex = http_->Perform(method, url, headers, json_body);
    }
    const bool retry_left = attempt < options_.max_retries;
    if (ex.transport != net::HttpExchange::Transport::kOk) {
      if (!idempotent && ex.transport != net::HttpExchange::Transport::kNeverSent) {
        return absl::DeadlineExceededError(absl::StrCat(
            "kalshi: ", context, ": ",
            ex.transport == net::HttpExchange::Transport::kTimedOut ? "no answer in time" : "transport failure",
            " after the request may have been sent; outcome unknown, look the order up by its client_order_id"));
      }
      if (retry_left) {
        Wait(provider, Delay(attempt), "no answer", /*rate_limited=*/false);
        continue;
      }
      return absl::UnavailableError(absl::StrCat("kalshi: ", context, ": no answer (", ex.transport_error, ") after ",
                                                 attempt + 1, " attempts"));
    }
    if (ex.http_status >= 200 && ex.http_status < 300) return RestResponse{ex.http_status, ex.body};
    if (ex.http_status == 429) {  // not processed: safe to send again, orders too
      const absl::Duration delay = Delay(attempt);
      if (retry_left) {
        Wait(provider, delay, "HTTP 429", /*rate_limited=*/true);
        continue;
      }
      if (options_.gate != nullptr) options_.gate->BackOff(provider, absl::FromUnixMillis(hooks_.now_ms()) + delay, "HTTP 429");
      return Answer(context, 429, ex.body, absl::StrCat(" after ", attempt + 1, " attempts"));
    }
    if (ex.http_status >= 500) {
      if (!idempotent) {
        return absl::DeadlineExceededError(absl::StrCat("kalshi: ", context, ": HTTP ", ex.http_status,
                                                        "; outcome unknown, look the order up by its client_order_id"));
      }
      if (retry_left) {
        Wait(provider, Delay(attempt), absl::StrCat("HTTP ", ex.http_status), /*rate_limited=*/false);
        continue;
      }
      return Answer(context, ex.http_status, ex.body, absl::StrCat(" after ", attempt + 1, " attempts"));
    }
    if (attempt > 0 && method == HttpMethod::kDelete && ex.http_status == 404) {
      // An earlier attempt had no answer: it may be the one that cancelled.
      return absl::DeadlineExceededError(absl::StrCat("kalshi: ", context, ": not found after a retry; an earlier ",
                                                      "attempt may have cancelled it: look the order up"));
    }
    return Answer(context, ex.http_status, ex.body);
  }
}

}  // namespace apollo::venue::kalshi
