// The libcurl transport: see http_client.h.
#include "engine/net/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>
#include <random>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"

namespace apollo::net {
namespace {

// Failures that happen before a request can have left this host.
bool NeverSent(CURLcode code) {
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
      return true;
    default:
      return false;
  }
}

}  // namespace

absl::string_view HttpMethodName(HttpMethod method) {
  switch (method) {
    case HttpMethod::kGet: return "GET";
    case HttpMethod::kPost: return "POST";
    case HttpMethod::kPut: return "PUT";
    case HttpMethod::kDelete: return "DELETE";
  }
  return "GET";
}

// The easy handle and what one transfer writes into.
struct HttpClient::Handle {
  CURL* curl = nullptr;
  char error[CURL_ERROR_SIZE] = {};
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-cased
  size_t body_max = 0;
  ~Handle() {
    if (curl != nullptr) curl_easy_cleanup(curl);
  }

  static size_t OnBody(char* data, size_t size, size_t n, void* self) {
    auto* h = static_cast<Handle*>(self);
    if (h->body.size() + size * n > h->body_max) return 0;  // aborts: CURLE_WRITE_ERROR
    h->body.append(data, size * n);
    return size * n;
  }
  static size_t OnHeader(char* data, size_t size, size_t n, void* self) {
    auto* h = static_cast<Handle*>(self);
    absl::string_view line(data, size * n);
    if (absl::StartsWith(line, "HTTP/")) h->headers.clear();  // a new response (after 100, ...)
    size_t colon = line.find(':');
    if (colon != absl::string_view::npos) {
      std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(line.substr(0, colon)));
      h->headers[name] = std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
    }
    return size * n;
  }
};

absl::StatusOr<std::unique_ptr<HttpClient>> HttpClient::Create(const HttpOptions& options) {
  if (options.connect_timeout_ms <= 0 || options.request_timeout_ms <= 0 || options.response_bytes_max <= 0) {
    return absl::InvalidArgumentError("http: timeouts and the answer's size cap must be > 0");
  }
  static std::once_flag curl_init;
  std::call_once(curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  auto handle = std::make_unique<Handle>();
  handle->curl = curl_easy_init();
  if (handle->curl == nullptr) return absl::InternalError("http: curl_easy_init failed");
  handle->body_max = static_cast<size_t>(options.response_bytes_max);
  CURL* c = handle->curl;
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout_ms));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options.request_timeout_ms));
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, handle->error);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &Handle::OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, handle.get());
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &Handle::OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, handle.get());
  return std::unique_ptr<HttpClient>(new HttpClient(std::move(handle)));
}

HttpClient::HttpClient(std::unique_ptr<Handle> handle) : handle_(std::move(handle)) {}
HttpClient::~HttpClient() = default;

HttpExchange HttpClient::Perform(HttpMethod method, const std::string& url, const std::vector<std::string>& headers,
                                 absl::string_view body) {
  CURL* c = handle_->curl;
  handle_->body.clear();
  handle_->headers.clear();
  handle_->error[0] = '\0';
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_slist* list = nullptr;
  for (const std::string& h : headers) list = curl_slist_append(list, h.c_str());
  const bool in_body = method == HttpMethod::kPost || method == HttpMethod::kPut;
  const std::string payload(in_body ? body : absl::string_view());
  if (in_body) {
    list = curl_slist_append(list, "Expect:");
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(payload.size()));
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method == HttpMethod::kPut ? "PUT" : nullptr);
  } else {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method == HttpMethod::kDelete ? "DELETE" : nullptr);
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);

  HttpExchange ex;
  const CURLcode code = curl_easy_perform(c);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
  curl_slist_free_all(list);
  if (code != CURLE_OK) {
    ex.transport = NeverSent(code)                      ? HttpExchange::Transport::kNeverSent
                   : code == CURLE_OPERATION_TIMEDOUT ? HttpExchange::Transport::kTimedOut
                                                       : HttpExchange::Transport::kFailed;
    ex.transport_error = handle_->error[0] != '\0' ? handle_->error : curl_easy_strerror(code);
    return ex;
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  ex.http_status = static_cast<int>(status);
  ex.headers = std::move(handle_->headers);
  ex.body = std::move(handle_->body);
  return ex;
}

namespace {
absl::BitGen Seeded(const std::optional<uint64_t>& seed) {
  if (!seed) return absl::BitGen();
  std::seed_seq seq{static_cast<uint32_t>(*seed), static_cast<uint32_t>(*seed >> 32)};
  return absl::BitGen(seq);
}
}  // namespace

RetryBackoff::RetryBackoff(absl::Duration initial, absl::Duration max, std::optional<uint64_t> seed)
    : initial_ms_(absl::ToInt64Milliseconds(initial)), max_ms_(absl::ToInt64Milliseconds(max)), gen_(Seeded(seed)) {}

absl::Duration RetryBackoff::Delay(int retry) {
  int64_t ms = initial_ms_;
  for (int i = 0; i < retry && ms < max_ms_; ++i) ms *= 2;
  ms = std::min(ms, max_ms_);
  const int64_t half = ms / 2;
  return absl::Milliseconds(half + absl::Uniform<int64_t>(absl::IntervalClosed, gen_, 0, ms - half));
}

std::string PercentEncode(absl::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
                            c == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

int64_t HeaderInt(const HttpExchange& exchange, const std::string& lower_case_name) {
  auto it = exchange.headers.find(lower_case_name);
  int64_t value = -1;
  if (it == exchange.headers.end() || !absl::SimpleAtoi(it->second, &value)) return -1;
  return value;
}

}  // namespace apollo::net
