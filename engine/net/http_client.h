// One HTTP/1.1 client connection for a venue's REST API: a libcurl easy
// handle kept alive between requests (its connection is reused), with
// connect and total timeouts and a cap on the answer's size. It moves bytes
// and says how a transfer ended; signing, retries and the meaning of an
// answer are the venue client's (binance/rest_client.h, kalshi/rest_client.h).
//
//   ASSIGN_OR_RETURN(auto http, HttpClient::Create({.connect_timeout_ms = 3000}));
//   HttpExchange ex = http->Perform(HttpMethod::kPost, url, {"Content-Type: application/json"}, body);
//   if (ex.transport == HttpExchange::Transport::kNeverSent) ...  // safe to send again
//
// Not thread-safe: one request at a time (the venue clients hold a lock).
#ifndef APOLLO_ENGINE_NET_HTTP_CLIENT_H_
#define APOLLO_ENGINE_NET_HTTP_CLIENT_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/random/random.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace apollo::net {

enum class HttpMethod : uint8_t { kGet, kPost, kPut, kDelete };
absl::string_view HttpMethodName(HttpMethod method);  // "GET", ...

struct HttpOptions {
  int64_t connect_timeout_ms = 3'000;
  int64_t request_timeout_ms = 10'000;
  int64_t response_bytes_max = 16 << 20;  // a longer answer ends the transfer (kFailed)
};

struct HttpExchange {
  enum class Transport : uint8_t {
    kOk,         // an HTTP answer came (any status)
    kNeverSent,  // failed before the request could leave (DNS, refused, TLS handshake)
    kTimedOut,   // no (whole) answer in time: the request may have arrived
    kFailed,     // failed after the request may have left
  };
  Transport transport = Transport::kOk;
  std::string transport_error;  // libcurl's words, when not kOk
  int http_status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

class HttpClient {
 public:
  // InvalidArgument for a timeout or size <= 0; Internal if libcurl fails.
  static absl::StatusOr<std::unique_ptr<HttpClient>> Create(const HttpOptions& options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // `headers` are whole lines ("Name: value"). The body is sent for POST
  // and PUT (none for GET and DELETE).
  HttpExchange Perform(HttpMethod method, const std::string& url, const std::vector<std::string>& headers,
                       absl::string_view body);

 private:
  struct Handle;
  explicit HttpClient(std::unique_ptr<Handle> handle);
  std::unique_ptr<Handle> handle_;
};

// The wait before retry n (0, 1, ...): `initial` doubled n times, at most
// `max`, jittered uniformly into [d/2, d]. A fixed seed makes the jitter
// reproducible (tests).
class RetryBackoff {
 public:
  RetryBackoff(absl::Duration initial, absl::Duration max, std::optional<uint64_t> seed = std::nullopt);
  absl::Duration Delay(int retry);

 private:
  int64_t initial_ms_, max_ms_;
  absl::BitGen gen_;
};

// Percent-encodes everything but A-Z a-z 0-9 - _ . ~ (a query's keys and values).
std::string PercentEncode(absl::string_view text);

// A header of an exchange as an integer; -1 when absent or not one.
int64_t HeaderInt(const HttpExchange& exchange, const std::string& lower_case_name);

}  // namespace apollo::net

#endif  // APOLLO_ENGINE_NET_HTTP_CLIENT_H_
