// Signing, pacing and the retry rules of rest_client.h over net::HttpClient.
#include "engine/venue/binance/rest_client.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <random>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "engine/domain/status_macros.h"
#include "engine/venue/binance/error.h"
#include "engine/venue/binance/payloads.h"

namespace apollo::venue::binance {
namespace {

constexpr absl::string_view kRedacted = "<redacted>";

// "... IP banned until 1591702613943 ..." in a 418 body: the Unix ms.
std::optional<int64_t> BannedUntilFromMsg(absl::string_view msg) {
  constexpr absl::string_view kMarker = "banned until ";
  size_t at = msg.find(kMarker);
  if (at == absl::string_view::npos) return std::nullopt;
  absl::string_view rest = msg.substr(at + kMarker.size());
  size_t digits = 0;
  while (digits < rest.size() && absl::ascii_isdigit(static_cast<unsigned char>(rest[digits]))) ++digits;
  int64_t ms = 0;
  if (digits == 0 || !absl::SimpleAtoi(rest.substr(0, digits), &ms)) return std::nullopt;
  return ms;
}

std::string FormatMs(int64_t unix_ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(unix_ms), absl::UTCTimeZone());
}

}  // namespace

absl::string_view BackoffReasonName(BackoffReason reason) {
  switch (reason) {
    case BackoffReason::kUsedWeight: return "used_weight";
    case BackoffReason::kOrderCount: return "order_count";
    case BackoffReason::kRateLimited: return "rate_limited";
    case BackoffReason::kServerError: return "server_error";
    case BackoffReason::kTransport: return "transport";
  }
  return "unknown";
}

bool IsIdempotent(HttpMethod method, absl::string_view path) {
  if (method != HttpMethod::kPost) return true;
  return path != "/fapi/v1/order" && path != "/fapi/v1/algoOrder" && path != "/fapi/v1/batchOrders";
}

int64_t RequestWeight(HttpMethod method, absl::string_view path, const Params& params) {
  const std::string* symbol = nullptr;
  int64_t limit = 500;  // klines' default page
  for (const auto& [key, value] : params.entries()) {
    if (key == "symbol") symbol = &value;
    if (key == "limit" && !absl::SimpleAtoi(value, &limit)) limit = 500;
  }
  const bool all_symbols = symbol == nullptr;
  if (path == "/fapi/v1/klines") return limit < 100 ? 1 : limit < 500 ? 2 : limit <= 1000 ? 5 : 10;
  if (path == "/fapi/v1/openOrders" || path == "/fapi/v1/openAlgoOrders" || path == "/fapi/v1/ticker/24hr") {
    return all_symbols ? 40 : 1;
  }
  if (path == "/fapi/v1/premiumIndex") return all_symbols ? 10 : 1;
  if (path == "/fapi/v3/account" || path == "/fapi/v3/balance" || path == "/fapi/v3/positionRisk" ||
      path == "/fapi/v1/userTrades" || path == "/fapi/v1/batchOrders") {
    return 5;
  }
  if (path == "/fapi/v1/positionSide/dual" && method == HttpMethod::kGet) return 30;
  if (method == HttpMethod::kPost && (path == "/fapi/v1/order" || path == "/fapi/v1/algoOrder")) return 0;
  return 1;
}

absl::StatusOr<std::unique_ptr<RestClient>> RestClient::Create(RestOptions options, RestHooks hooks) {
  if (!absl::StartsWith(options.base_url, "http://") && !absl::StartsWith(options.base_url, "https://")) {
    return absl::InvalidArgumentError("binance rest: base_url must start with http:// or https://");
  }
  while (absl::EndsWith(options.base_url, "/")) options.base_url.pop_back();
  const bool in_range =
      options.connect_timeout_ms > 0 && options.request_timeout_ms > 0 && options.recv_window_ms > 0 &&
      options.recv_window_ms <= 60'000 && options.weight_limit_1m > 0 && options.weight_threshold > 0 &&
      options.weight_threshold <= 1 && options.weight_delay_max_ms >= 0 && options.weight_delay_max_ms <= 60'000 &&
      options.max_retries >= 0 && options.max_retries <= 10 && options.backoff_initial_ms >= 0 &&
      options.backoff_max_ms >= options.backoff_initial_ms && options.backoff_max_ms <= 600'000 &&
      options.retry_after_scale >= 0 && options.retry_after_scale <= 1 && options.retry_after_max_ms >= 0 &&
      options.retry_after_max_ms <= 3'600'000 && options.ban_default_ms > 0 && options.response_bytes_max > 0;
  if (!in_range) return absl::InvalidArgumentError("binance rest: option out of range (see rest_client.h)");
  ASSIGN_OR_RETURN(std::unique_ptr<net::HttpClient> http,
                   net::HttpClient::Create({options.connect_timeout_ms, options.request_timeout_ms,
                                            options.response_bytes_max}));

  std::optional<Signer> signer;
  if (!options.api_secret.empty()) {
    ASSIGN_OR_RETURN(Signer s, Signer::Create(options.api_secret));
    signer.emplace(std::move(s));
  }
  if (!hooks.now_ms) hooks.now_ms = [] { return absl::ToUnixMillis(absl::Now()); };
  if (!hooks.sleep) hooks.sleep = [](absl::Duration d) { absl::SleepFor(d); };
  return std::unique_ptr<RestClient>(
      new RestClient(std::move(options), std::move(hooks), std::move(http), std::move(signer)));
}

RestClient::RestClient(RestOptions options, RestHooks hooks, std::unique_ptr<net::HttpClient> http,
                       std::optional<Signer> signer)
    : options_(std::move(options)),
      hooks_(std::move(hooks)),
      http_(std::move(http)),
      signer_(std::move(signer)),
      backoff_(absl::Milliseconds(options_.backoff_initial_ms), absl::Milliseconds(options_.backoff_max_ms),
               options_.jitter_seed),
      order_limit_10s_(options_.order_limit_10s),
      order_limit_1m_(options_.order_limit_1m),
      weight_limit_1m_(options_.weight_limit_1m) {}

RestClient::~RestClient() = default;

absl::StatusOr<RestResponse> RestClient::Call(HttpMethod method, absl::string_view path,
                                              const Params& params, Security security) {
  std::lock_guard<std::mutex> lock(mu_);
  return CallLocked(method, path, params, security);
}

absl::Status RestClient::SyncTime() {
  std::lock_guard<std::mutex> lock(mu_);
  return SyncTimeLocked();
}

int64_t RestClient::server_offset_ms() const {
  std::lock_guard<std::mutex> lock(mu_);
  return offset_ms_;
}
bool RestClient::time_synced() const {
  std::lock_guard<std::mutex> lock(mu_);
  return time_synced_;
}
int64_t RestClient::banned_until_ms() const {
  std::lock_guard<std::mutex> lock(mu_);
  return banned_until_ms_;
}
RateUsage RestClient::last_usage() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_usage_;
}
int64_t RestClient::backoff_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return backoff_count_;
}
void RestClient::set_weight_limit_1m(int64_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  if (limit > 0) weight_limit_1m_ = limit;
}
void RestClient::set_order_limits(int64_t per_10s, int64_t per_1m) {
  std::lock_guard<std::mutex> lock(mu_);
  if (per_10s > 0) order_limit_10s_ = per_10s;
  if (per_1m > 0) order_limit_1m_ = per_1m;
}

absl::StatusOr<RestResponse> RestClient::CallLocked(HttpMethod method, absl::string_view path,
                                                    const Params& params, Security security) {
  const std::string context = absl::StrCat(MethodName(method), " ", path);
  if (path.empty() || path[0] != '/' || absl::StrContains(path, "?")) {
    return absl::InvalidArgumentError(absl::StrCat("binance rest: bad path (", context, ")"));
  }
  if (security != Security::kNone && options_.api_key.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("binance rest: no API key configured (", context, ")"));
  }
  if (security == Security::kSigned && !signer_) {
    return absl::FailedPreconditionError(absl::StrCat("binance rest: no API secret configured (", context, ")"));
  }
  if (options_.gate != nullptr && banned_until_ms_ > 0 &&
      options_.gate->BackoffUntil(kGateProvider) < absl::FromUnixMillis(banned_until_ms_)) {
    Log(absl::StrCat("binance: the rate gate was reset; the 418 ban until ", FormatMs(banned_until_ms_),
                     " is lifted (", context, " is sent)"));
    banned_until_ms_ = 0;
  }
  if (const int64_t now = hooks_.now_ms(); now < banned_until_ms_) {
    return MakeBinanceStatus(absl::StatusCode::kResourceExhausted, BinanceError{0, "IP banned", 418},
                             absl::StrCat(context, ", not sent: IP banned until ", FormatMs(banned_until_ms_)));
  }
  if (security == Security::kSigned && !time_synced_) {
    RETURN_IF_ERROR(SyncTimeLocked());
  } else if (security == Security::kSigned && options_.time_sync_interval_ms > 0 &&
             hooks_.now_ms() - synced_at_ms_ >= options_.time_sync_interval_ms) {
    if (absl::Status st = SyncTimeLocked(); !st.ok()) {
      synced_at_ms_ = hooks_.now_ms();
      Log(absl::StrCat("binance: periodic server time sync failed (", st.message(), "); keeping offset ", offset_ms_,
                       " ms"));
    }
  }

  const bool idempotent = IsIdempotent(method, path);
  bool resynced = false;
  int retries = 0;
  // Each pass returns, spends one of max_retries, or spends the one re-sync.
  for (int attempt = 0;; ++attempt) {
    PaceForWeight();
    if (!idempotent) PaceForOrders();
    if (options_.gate != nullptr) {
      if (absl::Status st = options_.gate->Acquire(kGateProvider, RequestWeight(method, path, params),
                                                   absl::Milliseconds(options_.weight_delay_max_ms));
          !st.ok()) {
        return absl::Status(st.code(), absl::StrCat(context, ", not sent: ", st.message()));
      }
    }
    std::string signature;
    ASSIGN_OR_RETURN(const std::string payload, BuildPayload(params, security, &signature));
    const auto started = std::chrono::steady_clock::now();
    net::HttpExchange ex = Perform(method, path, payload, security != Security::kNone);
    const double latency_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    RateUsage usage{net::HeaderInt(ex, "x-mbx-used-weight-1m"), net::HeaderInt(ex, "x-mbx-order-count-10s"),
                    net::HeaderInt(ex, "x-mbx-order-count-1m")};
    NoteUsage(usage);
    if (options_.gate != nullptr) options_.gate->Observe(kGateProvider, usage.used_weight_1m, weight_limit_1m_);
    if (hooks_.on_request) {
      hooks_.on_request(RequestSample{method, std::string(path), ex.http_status, latency_s, attempt, usage});
    }

    if (ex.transport != net::HttpExchange::Transport::kOk) {
      const std::string what = Redact(ex.transport_error, signature);
      if (!idempotent && ex.transport != net::HttpExchange::Transport::kNeverSent) {
        if (ex.transport == net::HttpExchange::Transport::kTimedOut) {
          return absl::DeadlineExceededError(absl::StrCat(
              "binance: no answer within ", options_.request_timeout_ms, " ms (", context,
              "); outcome unknown, query the order by its client id"));
        }
        return absl::DeadlineExceededError(absl::StrCat(
            "binance: transport failure after the request may have been sent (", context, ": ", what,
            "); outcome unknown, query the order by its client id"));
      }
      if (retries < options_.max_retries) {
        Backoff(BackoffReason::kTransport, RetryDelay(retries++));
        continue;
      }
      return absl::UnavailableError(
          absl::StrCat("binance: transport failure (", context, ": ", what, ") after ", attempt + 1, " attempts"));
    }
    if (ex.http_status >= 200 && ex.http_status < 300) {
      return RestResponse{ex.http_status, std::move(ex.body), usage};
    }

    BinanceError error;
    if (absl::StatusOr<BinanceError> parsed = ParseError(ex.body); parsed.ok()) error = *std::move(parsed);
    error.msg = Redact(error.msg, signature);
    error.http_status = ex.http_status;
    // Retry-After in seconds; clamped to Binance's longest ban (3 days).
    auto retry_after_s = [&]() -> std::optional<int64_t> {
      int64_t s = net::HeaderInt(ex, "retry-after");
      return s >= 0 ? std::optional<int64_t>(std::min<int64_t>(s, 3 * 86'400)) : std::nullopt;
    };

    if (ex.http_status == 418) {
      const int64_t now = hooks_.now_ms();
      std::optional<int64_t> after = retry_after_s();
      int64_t until = now + options_.ban_default_ms;
      if (after) {
        until = now + *after * 1000;
      } else if (std::optional<int64_t> from_msg = BannedUntilFromMsg(error.msg)) {
        until = *from_msg;
      }
      banned_until_ms_ = std::max(banned_until_ms_, until);
      if (options_.gate != nullptr) {
        options_.gate->BackOff(kGateProvider, absl::FromUnixMillis(banned_until_ms_), "HTTP 418: IP banned");
      }
      Log(absl::StrCat("binance: HTTP 418, IP banned until ", FormatMs(banned_until_ms_), " (", context, ")"));
      return MakeBinanceStatus(
          absl::StatusCode::kResourceExhausted, error,
          absl::StrCat(context, ", IP banned; Retry-After ", after ? absl::StrCat(*after, " s") : "absent",
                       ", banned until ", FormatMs(banned_until_ms_), "; not retried"));
    }
    if (ex.http_status == 429) {
      std::optional<int64_t> after = retry_after_s();
      const absl::Duration wait = after ? std::min(absl::Seconds(*after) * options_.retry_after_scale,
                                                   absl::Milliseconds(options_.retry_after_max_ms))
                                        : RetryDelay(retries);
      if (retries < options_.max_retries) {
        ++retries;
        Backoff(BackoffReason::kRateLimited, wait);
        continue;
      }
      if (options_.gate != nullptr) {  // no retry left, but Binance still asked every call to wait
        options_.gate->BackOff(kGateProvider, absl::FromUnixMillis(hooks_.now_ms()) + wait, "HTTP 429");
      }
      return MakeBinanceStatus(absl::StatusCode::kResourceExhausted, error,
                               absl::StrCat(context, ", rate limited after ", attempt + 1, " attempts"));
    }
    if (security == Security::kSigned && error.code == -1021 && !resynced) {
      resynced = true;  // Binance rejected it unprocessed: safe to resend once
      Log(absl::StrCat("binance: -1021 on ", context, "; re-syncing server time and resending"));
      RETURN_IF_ERROR(SyncTimeLocked());
      continue;
    }
    if (ex.http_status >= 500) {
      if (!idempotent) {
        return MakeBinanceStatus(absl::StatusCode::kDeadlineExceeded, error,
                                 absl::StrCat(context, "; outcome unknown, query the order by its client id"));
      }
      if (retries < options_.max_retries && error.code != -1007) {
        Backoff(BackoffReason::kServerError, RetryDelay(retries++));
        continue;
      }
      return MakeBinanceStatus(StatusCodeForBinance(error.code, ex.http_status), error,
                               absl::StrCat(context, ", after ", attempt + 1, " attempts"));
    }
    absl::StatusCode code = StatusCodeForBinance(error.code, ex.http_status);
    if (code == absl::StatusCode::kDeadlineExceeded) {
      return MakeBinanceStatus(code, error,
                               absl::StrCat(context, "; outcome unknown, query the order by its client id"));
    }
    return MakeBinanceStatus(code, error, context);
  }
}

absl::Status RestClient::SyncTimeLocked() {
  const int64_t sent_ms = hooks_.now_ms();
  ASSIGN_OR_RETURN(RestResponse r, CallLocked(HttpMethod::kGet, "/fapi/v1/time", Params(), Security::kNone));
  const int64_t received_ms = hooks_.now_ms();
  ASSIGN_OR_RETURN(int64_t server_ms, ParseServerTime(r.body));
  offset_ms_ = server_ms - (sent_ms + received_ms) / 2;
  time_synced_ = true;
  synced_at_ms_ = received_ms;
  Log(absl::StrCat("binance: server time offset ", offset_ms_, " ms (round trip ", received_ms - sent_ms, " ms)"));
  return absl::OkStatus();
}

absl::StatusOr<std::string> RestClient::BuildPayload(const Params& params, Security security,
                                                     std::string* signature) const {
  if (security != Security::kSigned) return params.Encode();
  Params full = params;
  full.AddInt("recvWindow", options_.recv_window_ms).AddInt("timestamp", hooks_.now_ms() + offset_ms_);
  std::string payload = full.Encode();
  ASSIGN_OR_RETURN(*signature, signer_->Sign(payload));
  return absl::StrCat(payload, "&signature=", *signature);
}

net::HttpExchange RestClient::Perform(HttpMethod method, absl::string_view path, const std::string& payload,
                                     bool send_key) {
  const bool in_body = method == HttpMethod::kPost || method == HttpMethod::kPut;
  std::string url = absl::StrCat(options_.base_url, path);
  if (!in_body && !payload.empty()) absl::StrAppend(&url, "?", payload);
  std::vector<std::string> headers;
  if (send_key) headers.push_back(absl::StrCat("X-MBX-APIKEY: ", options_.api_key));
  if (in_body) headers.push_back("Content-Type: application/x-www-form-urlencoded");
  return http_->Perform(method, url, headers, in_body ? absl::string_view(payload) : absl::string_view());
}

void RestClient::NoteUsage(const RateUsage& usage) {
  if (usage.used_weight_1m >= 0) last_usage_.used_weight_1m = usage.used_weight_1m;
  if (usage.order_count_10s >= 0) last_usage_.order_count_10s = usage.order_count_10s;
  if (usage.order_count_1m >= 0) last_usage_.order_count_1m = usage.order_count_1m;
  auto over = [this](int64_t count, int64_t limit) {
    return count >= 0 && limit > 0 && static_cast<double>(count) >= options_.weight_threshold * static_cast<double>(limit);
  };
  // The longer window wins: waiting it out also rolls the shorter one.
  const int64_t window_ms = over(usage.order_count_1m, order_limit_1m_)    ? 60'000
                            : over(usage.order_count_10s, order_limit_10s_) ? 10'000
                                                                            : 0;
  if (usage.order_count_10s >= 0 || usage.order_count_1m >= 0) {
    order_window_ms_ = window_ms;
    if (window_ms > 0) {
      Log(absl::StrCat("binance: order count ", usage.order_count_10s, "/", order_limit_10s_, " per 10 s, ",
                       usage.order_count_1m, "/", order_limit_1m_,
                       " per minute is over the threshold; the next order waits for the window to roll over"));
    }
  }
  if (usage.used_weight_1m >= 0) {
    weight_pause_pending_ =
        static_cast<double>(usage.used_weight_1m) >= options_.weight_threshold * static_cast<double>(weight_limit_1m_);
    if (weight_pause_pending_) {
      Log(absl::StrCat("binance: used weight ", usage.used_weight_1m, "/", weight_limit_1m_,
                       " is over the threshold; the next request waits for the minute to roll over"));
    }
  }
}

void RestClient::PaceForOrders() {
  if (order_window_ms_ == 0) return;
  const int64_t window_ms = std::exchange(order_window_ms_, 0);
  const int64_t server_ms = hooks_.now_ms() + offset_ms_;
  const int64_t to_next_window_ms = window_ms - ((server_ms % window_ms) + window_ms) % window_ms;
  Backoff(BackoffReason::kOrderCount,
          absl::Milliseconds(std::min(to_next_window_ms, options_.weight_delay_max_ms)));
}

void RestClient::PaceForWeight() {
  if (!weight_pause_pending_) return;
  weight_pause_pending_ = false;
  // The weight window is the server's calendar minute.
  const int64_t server_ms = hooks_.now_ms() + offset_ms_;
  const int64_t to_next_minute_ms = 60'000 - ((server_ms % 60'000) + 60'000) % 60'000;
  Backoff(BackoffReason::kUsedWeight,
          absl::Milliseconds(std::min(to_next_minute_ms, options_.weight_delay_max_ms)));
}

void RestClient::Backoff(BackoffReason reason, absl::Duration delay) {
  ++backoff_count_;
  // The IP's limits hold every call of the gate's provider; the order-count
  // wait holds only the next order (a cancel must not wait for it).
  if (options_.gate != nullptr && (reason == BackoffReason::kUsedWeight || reason == BackoffReason::kRateLimited)) {
    options_.gate->BackOff(kGateProvider, absl::FromUnixMillis(hooks_.now_ms()) + delay,
                           reason == BackoffReason::kRateLimited ? "HTTP 429" : "X-MBX-USED-WEIGHT-1M near the limit");
  }
  if (hooks_.on_backoff) hooks_.on_backoff(reason, delay);
  if (delay > absl::ZeroDuration()) hooks_.sleep(delay);
}

absl::Duration RestClient::RetryDelay(int retry) { return backoff_.Delay(retry); }

std::string RestClient::Redact(absl::string_view text, absl::string_view signature) const {
  std::string out(text);
  for (absl::string_view secret : {absl::string_view(options_.api_secret), absl::string_view(options_.api_key), signature}) {
    if (!secret.empty()) absl::StrReplaceAll({{secret, kRedacted}}, &out);
  }
  return out;
}

void RestClient::NoteRefused(absl::string_view endpoint, const absl::Status& error) const {
  if (hooks_.on_refused) hooks_.on_refused(endpoint, error.message());
}

void RestClient::Log(absl::string_view line) {
  if (hooks_.on_log) hooks_.on_log(line);
}

}  // namespace apollo::venue::binance
