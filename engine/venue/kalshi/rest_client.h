// The HTTP client for Kalshi's trade-api v2 (issue 15 §2): one keep-alive
// connection (net::HttpClient), RSA-PSS signing of authenticated calls
// (signer.h), the rate gate's read and write buckets, and the retry rules.
// It moves bytes; payloads.h turns them into structs.
//
//   RestOptions options;  // Kalshi's demo by default
//   options.key_id = key_id;
//   ASSIGN_OR_RETURN(auto client, RestClient::Create(options, std::move(signer)));
//   ASSIGN_OR_RETURN(RestResponse r, client->Call(HttpMethod::kGet, "/portfolio/balance", {}, "", Auth::kSigned));
//
// A signed call carries KALSHI-ACCESS-KEY, -TIMESTAMP (Unix ms) and
// -SIGNATURE over timestamp + METHOD + the base URL's path + `path` (the
// query is not signed). Bodies are JSON.
//
// What each answer does (every wait goes through hooks.sleep, bounded):
//   2xx                 OK, RestResponse.
//   HTTP 429            Kalshi sends no Retry-After: wait backoff_initial_ms,
//                       doubled each time (jittered to [d/2, d], at most
//                       backoff_max_ms), tell the gate, retry; after
//                       max_retries, ResourceExhausted.
//   HTTP 5xx, transport retried the same way, then Unavailable; except that
//                       an order-creating POST that may have been sent is
//                       never resent: DeadlineExceeded, "outcome unknown,
//                       look the order up by its client_order_id".
//   404 on a retried DELETE  DeadlineExceeded: an earlier attempt (no
//                       answer) may have cancelled it; look the order up.
//   other 4xx           a status naming Kalshi's code and message: 400
//                       InvalidArgument, 401 Unauthenticated, 403
//                       PermissionDenied, 404 NotFound, 409 AlreadyExists
//                       (a duplicate client_order_id: an earlier send), and
//                       MARKET_INACTIVE (after close) FailedPrecondition.
//                       ErrorCode(status) gives Kalshi's code.
// Through the rate gate (options.gate): each GET takes kRequestCost tokens
// of kReadProvider, anything else of kWriteProvider, waiting at most
// gate_max_wait_ms; a longer wait is ResourceExhausted and nothing is sent.
//
// No text this client produces contains the key id, the key or a
// signature. Calls from several threads share the one connection, one
// exchange at a time; their waits (gate, retries) do not hold it.
#ifndef APOLLO_ENGINE_VENUE_KALSHI_REST_CLIENT_H_
#define APOLLO_ENGINE_VENUE_KALSHI_REST_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "engine/net/http_client.h"
#include "engine/net/rate_gate.h"
#include "engine/venue/kalshi/signer.h"

namespace apollo::venue::kalshi {

inline constexpr absl::string_view kDemoBaseUrl = "https://external-api.demo.kalshi.co/trade-api/v2";
inline constexpr absl::string_view kProdBaseUrl = "https://external-api.kalshi.com/trade-api/v2";

// The rate gate's names for Kalshi's two token buckets, and what one
// request costs of them (Kalshi's default; GET /account/endpoint_costs
// lists exceptions).
inline constexpr char kReadProvider[] = "kalshi_read";
inline constexpr char kWriteProvider[] = "kalshi_write";
inline constexpr int64_t kRequestCost = 10;

using HttpMethod = net::HttpMethod;
enum class Auth : uint8_t { kNone, kSigned };
using Query = std::vector<std::pair<std::string, std::string>>;

// Limits Create() enforces: max_retries <= 10, backoff_max_ms <= 10 min,
// backoff_initial_ms <= backoff_max_ms, gate_max_wait_ms <= 60 s.
struct RestOptions {
  std::string base_url = std::string(kDemoBaseUrl);  // kProdBaseUrl, or a test server
  std::string key_id;  // KALSHI_API_KEY; empty: signed calls fail with FailedPrecondition
  int64_t connect_timeout_ms = 3'000;
  int64_t request_timeout_ms = 10'000;
  int max_retries = 3;
  int64_t backoff_initial_ms = 500;
  int64_t backoff_max_ms = 8'000;
  net::RateGate* gate = nullptr;  // not owned; none: no gate
  int64_t gate_max_wait_ms = 10'000;
  int64_t response_bytes_max = 16 << 20;
  std::optional<uint64_t> jitter_seed;  // fixed seed: reproducible jitter
};

// Time, sleeping and notes, injectable; unset: the wall clock, absl::SleepFor, nothing.
struct RestHooks {
  std::function<int64_t()> now_ms;
  std::function<void(absl::Duration)> sleep;
  std::function<void(absl::string_view)> on_log;
};

struct RestResponse {
  int http_status = 0;
  std::string body;
};

// False for the order-creating POSTs that must never be resent blindly.
bool IsIdempotent(HttpMethod method, absl::string_view path);

// Kalshi's error code ("invalid_order", "market_inactive", ...) a status
// from Call carries; nullopt for a status that is not Kalshi's answer.
std::optional<std::string> ErrorCode(const absl::Status& status);

class RestClient {
 public:
  // InvalidArgument for a bad base URL or option.
  static absl::StatusOr<std::unique_ptr<RestClient>> Create(RestOptions options, std::optional<Signer> signer,
                                                            RestHooks hooks = {});
  ~RestClient();

  // `path` is "/portfolio/orders" (after the base URL, no query string).
  [[nodiscard]] absl::StatusOr<RestResponse> Call(HttpMethod method, absl::string_view path, const Query& query,
                                                  absl::string_view json_body, Auth auth);

  int64_t backoff_count() const;

 private:
  RestClient(RestOptions options, std::optional<Signer> signer, RestHooks hooks, std::unique_ptr<net::HttpClient> http,
             std::string base_path);
  // The wait before retry `attempt` (jittered).
  absl::Duration Delay(int attempt);
  // Sleeps before a retry (counted in backoff_count), outside the lock; a
  // 429 (`rate_limited`) also holds the gate's bucket.
  void Wait(absl::string_view provider, absl::Duration delay, absl::string_view why, bool rate_limited);

  const RestOptions options_;
  const std::optional<Signer> signer_;
  const RestHooks hooks_;
  const std::string base_path_;  // "/trade-api/v2": signed before each path
  mutable std::mutex mu_;  // guards http_, backoff_ and backoff_count_
  std::unique_ptr<net::HttpClient> http_;
  net::RetryBackoff backoff_;
  int64_t backoff_count_ = 0;
};

}  // namespace apollo::venue::kalshi

#endif  // APOLLO_ENGINE_VENUE_KALSHI_REST_CLIENT_H_
