// The HTTP client for Binance USDⓈ-M futures REST: one connection kept
// alive per client (net::HttpClient), request signing, server
// time, rate-limit pacing and the retry rules. It moves bytes; payloads.h
// turns them into domain types and orders_api.h names the endpoints.
//
//   RestOptions options;                    // testnet by default
//   options.api_key = key; options.api_secret = secret;
//   ASSIGN_OR_RETURN(auto client, RestClient::Create(options, hooks));
//   Params p; p.Add("symbol", "BTCUSDT");
//   absl::StatusOr<RestResponse> r =
//       client->Call(HttpMethod::kGet, "/fapi/v1/openOrders", p, Security::kSigned);
//
// Signed requests get `recvWindow` and `timestamp` (local clock + server
// offset) appended, then `signature` over the exact encoded string; the API
// key travels only in the X-MBX-APIKEY header. GET/DELETE send parameters in
// the query string, POST/PUT in a form-encoded body. The offset comes from
// GET /fapi/v1/time before the first signed request, and again (once, then
// the request is re-signed and resent) when Binance answers -1021.
//
// What each answer does (all bounded; every wait goes through hooks.sleep):
//   2xx                 OK, RestResponse.
//   Binance JSON error  Status carrying BinanceError (error.h), no retry.
//   HTTP 429            wait Retry-After × retry_after_scale (capped), retry.
//   HTTP 418            IP banned: no retry; ResourceExhausted, IsIpBanned();
//                       banned_until_ms() is set and later calls fail fast
//                       without touching the network until then.
//   HTTP 5xx, transport retry with exponential backoff and jitter, up to
//                       max_retries, then Unavailable.
// Except: POST /fapi/v1/order, /fapi/v1/algoOrder and /fapi/v1/batchOrders
// are not idempotent. After a timeout, a 5xx or any transport failure that
// may have happened after the request left, they are never resent and return
// DeadlineExceeded, meaning "outcome unknown: query the order by its client
// id" (the engine resolves it). Failures before the request could leave
// (connection refused, DNS, TLS handshake) are retried like any other call.
// Over `weight_threshold` of the per-minute request weight, the next request
// first waits for the minute to roll over (at most weight_delay_max_ms).
// Likewise over `weight_threshold` of the order counts (X-MBX-ORDER-COUNT-10S
// / -1M against order_limit_10s / order_limit_1m), the next order POST waits
// for its 10-second or 1-minute window to roll over.
//
// With a rate gate (RestOptions::gate, issue 14 §6) every attempt first
// takes its request weight (RequestWeight) from the gate's "binance" bucket,
// waiting at most weight_delay_max_ms (longer: ResourceExhausted, not sent);
// each answer's X-MBX-USED-WEIGHT-1M is reported to it (Observe), and every
// wait for the IP's limits (the weight threshold, a 429, a 418 ban) becomes
// the gate's backoff, so every client of the gate waits it out and the
// operator sees it (GET /ratelimit/status). The order-count wait stays the
// client's: only the next order waits for it. An operator's reset of the gate lifts the
// client's 418 ban too: the next call is sent.
//
// No text this client produces (status messages, payloads, hook arguments)
// contains the API key, the secret or a signature; Binance's own `msg` is
// scrubbed of them too. Calls are serialised by a mutex (one handle, one
// request at a time); hooks run under it and must not call back in.
#ifndef APOLLO_ENGINE_VENUE_BINANCE_REST_CLIENT_H_
#define APOLLO_ENGINE_VENUE_BINANCE_REST_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "engine/net/http_client.h"
#include "engine/net/rate_gate.h"
#include "engine/venue/binance/params.h"
#include "engine/venue/binance/signer.h"

namespace apollo::venue::binance {

inline constexpr absl::string_view kTestnetBaseUrl = "https://testnet.binancefuture.com";
inline constexpr absl::string_view kLiveBaseUrl = "https://fapi.binance.com";

using HttpMethod = net::HttpMethod;  // kGet, kPost, kPut, kDelete
inline absl::string_view MethodName(HttpMethod method) { return net::HttpMethodName(method); }

// Binance's endpoint security types, reduced to what the client must add.
enum class Security : uint8_t {
  kNone,    // public market data
  kApiKey,  // USER_STREAM: X-MBX-APIKEY header, no signature
  kSigned,  // TRADE / USER_DATA: header + timestamp + recvWindow + signature
};

// Limits Create() enforces: recv_window_ms ≤ 60 s (Binance's maximum),
// 0 < weight_threshold ≤ 1, weight_delay_max_ms ≤ 60 s, max_retries ≤ 10,
// backoff_max_ms ≤ 10 min, retry_after_scale ≤ 1, retry_after_max_ms ≤ 1 h.
struct RestOptions {
  std::string base_url = std::string(kTestnetBaseUrl);  // kLiveBaseUrl, or a test server
  std::string api_key;
  std::string api_secret;  // empty: signed calls fail with FailedPrecondition
  int64_t connect_timeout_ms = 3'000;
  int64_t request_timeout_ms = 10'000;
  int64_t recv_window_ms = 5'000;
  // The server time offset is re-read before the first signed request this
  // long after the last reading (binance.time_sync_interval_sec); 0: only
  // at the first signed request and on -1021. A re-reading that fails keeps
  // the old offset and is tried again an interval later.
  int64_t time_sync_interval_ms = 60'000;
  // Pacing on X-MBX-USED-WEIGHT-1M. Set the limit from exchangeInfo's
  // REQUEST_WEIGHT rate limit (ExchangeInfo::request_weight_limit_1m).
  int64_t weight_limit_1m = 2'400;
  int64_t order_limit_10s = 300;    // exchangeInfo's ORDERS limits
  int64_t order_limit_1m = 1'200;
  double weight_threshold = 0.8;
  int64_t weight_delay_max_ms = 10'000;
  // Retries of 429, 5xx and transport failures (attempts = 1 + max_retries).
  int max_retries = 3;
  int64_t backoff_initial_ms = 250;  // doubled per retry, jittered to [d/2, d]
  int64_t backoff_max_ms = 5'000;
  double retry_after_scale = 1.0;    // tests shrink Retry-After waits with it
  int64_t retry_after_max_ms = 60'000;
  int64_t ban_default_ms = 120'000;  // a 418 without Retry-After or a time in msg
  int64_t response_bytes_max = 16 << 20;
  std::optional<uint64_t> jitter_seed;  // fixed seed: reproducible jitter
  // The one rate gate (not owned; outlives the client), or none.
  net::RateGate* gate = nullptr;
};

// The rate gate's name for Binance (rate_limits.binance).
inline constexpr char kGateProvider[] = "binance";

// The IP request weight Binance documents for a call (X-MBX-USED-WEIGHT-1M
// counts it): 1 for most, more for account reads, lists without a symbol
// and long kline pages, 0 for an order POST (counted in the order limits
// instead). An estimate the header corrects: unknown endpoints weigh 1.
int64_t RequestWeight(HttpMethod method, absl::string_view path, const Params& params);

// The usage headers of the latest answer; -1 when absent.
struct RateUsage {
  int64_t used_weight_1m = -1;   // X-MBX-USED-WEIGHT-1M
  int64_t order_count_10s = -1;  // X-MBX-ORDER-COUNT-10S
  int64_t order_count_1m = -1;   // X-MBX-ORDER-COUNT-1M
};

struct RestResponse {
  int http_status = 0;
  std::string body;
  RateUsage usage;
};

enum class BackoffReason : uint8_t {
  kUsedWeight,   // over the weight threshold: waiting for the minute to roll
  kOrderCount,   // over the order-count threshold: the next order waits
  kRateLimited,  // HTTP 429, waiting Retry-After
  kServerError,  // HTTP 5xx
  kTransport,    // no HTTP answer
};
absl::string_view BackoffReasonName(BackoffReason reason);

// One HTTP exchange (each attempt is one), for the
// rest_request_latency_seconds histogram and the weight gauges.
struct RequestSample {
  HttpMethod method = HttpMethod::kGet;
  std::string path;     // without the query string
  int http_status = 0;  // 0: no HTTP answer (timeout, refused, ...)
  double latency_seconds = 0;
  int attempt = 0;      // 0 for the first send
  RateUsage usage;
};

// Time, sleeping and observation, injectable. Unset members use the wall
// clock, absl::SleepFor and nothing.
struct RestHooks {
  std::function<int64_t()> now_ms;  // local Unix time in ms
  std::function<void(absl::Duration)> sleep;
  std::function<void(const RequestSample&)> on_request;
  std::function<void(BackoffReason, absl::Duration)> on_backoff;
  std::function<void(absl::string_view)> on_log;
  // A 2xx answer whose body was refused (malformed JSON, a bad decimal): the
  // endpoint ("GET /fapi/v1/order") and why. Called by the endpoint
  // functions (orders_api.h), outside the client's lock; any thread.
  std::function<void(absl::string_view endpoint, absl::string_view error)> on_refused;
};

// False for the order-placing POSTs that must never be resent blindly.
bool IsIdempotent(HttpMethod method, absl::string_view path);

class RestClient {
 public:
  // InvalidArgument for a bad base URL or option; Internal if libcurl fails.
  static absl::StatusOr<std::unique_ptr<RestClient>> Create(RestOptions options,
                                                            RestHooks hooks = {});
  ~RestClient();
  RestClient(const RestClient&) = delete;
  RestClient& operator=(const RestClient&) = delete;

  // `path` is "/fapi/..." with no query string; see the table above.
  [[nodiscard]] absl::StatusOr<RestResponse> Call(HttpMethod method, absl::string_view path,
                                                  const Params& params, Security security);

  // GET /fapi/v1/time; offset = serverTime - midpoint of the local send and
  // receive times.
  [[nodiscard]] absl::Status SyncTime();

  // Reports a refused answer body to hooks.on_refused (see RestHooks).
  void NoteRefused(absl::string_view endpoint, const absl::Status& error) const;

  int64_t server_offset_ms() const;
  bool time_synced() const;
  int64_t banned_until_ms() const;  // 0: never banned
  RateUsage last_usage() const;
  int64_t backoff_count() const;    // every wait, whatever the reason
  void set_weight_limit_1m(int64_t limit);
  // From exchangeInfo (ExchangeInfo::order_limit_10s / _1m); 0 keeps the option.
  void set_order_limits(int64_t per_10s, int64_t per_1m);

 private:
  RestClient(RestOptions options, RestHooks hooks, std::unique_ptr<net::HttpClient> http,
             std::optional<Signer> signer);

  absl::StatusOr<RestResponse> CallLocked(HttpMethod method, absl::string_view path,
                                          const Params& params, Security security);
  absl::Status SyncTimeLocked();
  absl::StatusOr<std::string> BuildPayload(const Params& params, Security security,
                                           std::string* signature) const;
  net::HttpExchange Perform(HttpMethod method, absl::string_view path, const std::string& payload, bool send_key);
  void NoteUsage(const RateUsage& usage);
  void PaceForWeight();
  void PaceForOrders();
  void Backoff(BackoffReason reason, absl::Duration delay);
  absl::Duration RetryDelay(int retry);
  std::string Redact(absl::string_view text, absl::string_view signature) const;
  void Log(absl::string_view line);

  const RestOptions options_;
  const RestHooks hooks_;
  std::unique_ptr<net::HttpClient> http_;
  std::optional<Signer> signer_;

  mutable std::mutex mu_;
  net::RetryBackoff backoff_;
  int64_t offset_ms_ = 0;
  bool time_synced_ = false;
  int64_t synced_at_ms_ = 0;  // when offset_ms_ was read (or last tried)
  int64_t banned_until_ms_ = 0;
  RateUsage last_usage_;
  bool weight_pause_pending_ = false;
  int64_t order_limit_10s_;
  int64_t order_limit_1m_;
  int64_t order_window_ms_ = 0;  // over an order threshold: the window (10 s or 60 s) to wait out
  int64_t weight_limit_1m_;
  int64_t backoff_count_ = 0;
};

}  // namespace apollo::venue::binance

#endif  // APOLLO_ENGINE_VENUE_BINANCE_REST_CLIENT_H_
