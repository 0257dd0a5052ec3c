// Alerter: a bounded queue of alerts served by one worker thread that POSTs
// each alert to every webhook with libcurl, retrying with backoff. Nothing
// here logs or returns a webhook URL: only UrlHost() of it leaves this file.
#include "engine/ops/alerts.h"

#include <curl/curl.h>

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace apollo::ops {
namespace {

constexpr int kBackoffDoublingsMax = 16;  // keeps backoff arithmetic bounded

// One webhook request: where to POST and what.
struct Request {
  std::string url;
  std::string body;
};

void AppendJsonString(std::string* out, absl::string_view s) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out->append(buf);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %XX escapes (and '+' as space) of a query value.
std::string PercentDecode(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i] == '+' ? ' ' : s[i]);
    }
  }
  return out;
}

// The path of a URL: from the first '/' after the authority up to '?' or '#'.
absl::string_view UrlPath(absl::string_view url) {
  size_t scheme = url.find("://");
  size_t start = scheme == absl::string_view::npos ? 0 : scheme + 3;
  size_t slash = url.find_first_of("/?#", start);
  if (slash == absl::string_view::npos || url[slash] != '/') return "";
  size_t end = url.find_first_of("?#", slash);
  return url.substr(slash, end == absl::string_view::npos ? absl::string_view::npos : end - slash);
}

// A Telegram bot URL is recognised by its shape, not its host (so a local
// stand-in works too): path ".../bot<token>/sendMessage" and a chat_id query
// parameter. Returns the chat id, or false for any other URL.
bool TelegramChatId(absl::string_view url, std::string* chat_id) {
  absl::string_view path = UrlPath(url);
  if (!absl::EndsWith(path, "/sendMessage")) return false;
  path.remove_suffix(absl::string_view("/sendMessage").size());
  size_t bot = path.rfind('/');
  if (bot == absl::string_view::npos || !absl::StartsWith(path.substr(bot), "/bot") ||
      path.size() - bot <= 4) {
    return false;
  }
  size_t q = url.find('?');
  if (q == absl::string_view::npos) return false;
  absl::string_view query = url.substr(q + 1);
  query = query.substr(0, query.find('#'));
  for (absl::string_view param : absl::StrSplit(query, '&')) {
    if (absl::StartsWith(param, "chat_id=") && param.size() > 8) {
      *chat_id = PercentDecode(param.substr(8));
      return true;
    }
  }
  return false;
}

Request BuildRequest(const std::string& url, const std::string& text) {
  Request r;
  std::string chat_id;
  if (TelegramChatId(url, &chat_id)) {
    r.url = url.substr(0, url.find_first_of("?#"));
    r.body = "{\"chat_id\":";
    AppendJsonString(&r.body, chat_id);
    r.body += ",\"text\":";
  } else {
    r.url = url;
    r.body = "{\"text\":";
  }
  AppendJsonString(&r.body, text);
  r.body += "}";
  return r;
}

size_t DiscardBody(char*, size_t size, size_t nmemb, void*) { return size * nmemb; }

// One POST; its HTTP status (0: no answer). Errors are not described:
// curl's messages can quote the URL, and the URL can hold a token.
long PostOnce(const Request& r, int64_t timeout_ms) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return false;
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip for long texts
  curl_easy_setopt(curl, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout_ms));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, r.body.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(r.body.size()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, DiscardBody);
  long status = 0;
  if (curl_easy_perform(curl) != CURLE_OK || curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK) {
    status = 0;
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return status;
}

struct Outcome {
  bool delivered = false;
  int attempts = 0;
};

// Posts r up to max_attempts times until a 2xx. Between attempts it calls
// pause(backoff + jitter), which returns false to give up (shutting down).
Outcome DeliverWithRetries(const Request& r, const AlerterOptions& options, std::mt19937_64* rng,
                           const std::function<bool(std::chrono::milliseconds)>& pause) {
  Outcome out;
  int64_t backoff_ms = options.first_backoff_ms;
  while (out.attempts < options.max_attempts) {
    if (out.attempts > 0) {
      std::uniform_int_distribution<int64_t> jitter_ms(0, std::max<int64_t>(backoff_ms / 10, 1));
      if (!pause(std::chrono::milliseconds(backoff_ms + jitter_ms(*rng)))) break;
      if (out.attempts < kBackoffDoublingsMax) backoff_ms *= 2;
    }
    ++out.attempts;
    // Through the rate gate: a webhook provider that is out of its quota
    // or backing off counts as a failed attempt.
    if (options.gate != nullptr &&
        !options.gate->Acquire(kWebhooksProvider, 1, absl::Milliseconds(options.timeout_ms)).ok()) {
      continue;
    }
    const long status = PostOnce(r, options.timeout_ms);
    if (status == 429 && options.gate != nullptr) {  // Slack and Discord say 429; wait a second before the next
      options.gate->BackOff(kWebhooksProvider, absl::Now() + absl::Seconds(1), "HTTP 429");
    }
    if (status >= 200 && status < 300) {
      out.delivered = true;
      break;
    }
  }
  return out;
}

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

Alerter::Alerter(std::vector<std::string> webhook_urls, AlerterOptions options)
    : urls_(std::move(webhook_urls)), options_(std::move(options)) {
  assert(options_.max_attempts >= 1);
  assert(options_.max_queued >= 1);
  options_.max_attempts = std::max(options_.max_attempts, 1);
  options_.max_queued = std::max<size_t>(options_.max_queued, 1);
  InitCurlOnce();
  worker_ = std::thread([this] { Work(); });
}

Alerter::~Alerter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

bool Alerter::Raise(const std::string& kind, const std::string& incident, const std::string& text) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!raised_.emplace(kind, incident).second) return false;
    queue_.push_back(Pending{kind, text});
    while (queue_.size() > options_.max_queued) {
      queue_.pop_front();
      ++dropped_;
    }
  }
  cv_.notify_all();
  return true;
}

bool Alerter::Drain(int64_t timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                      [this] { return queue_.empty() && !busy_; });
}

uint64_t Alerter::dropped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dropped_;
}

void Alerter::Work() {
  std::mt19937_64 rng(std::random_device{}());
  auto stopping = [this] {
    std::lock_guard<std::mutex> lock(mu_);
    return stop_;
  };
  auto pause = [this](std::chrono::milliseconds wait) {
    std::unique_lock<std::mutex> lock(mu_);
    return !cv_.wait_for(lock, wait, [this] { return stop_; });
  };
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (stop_) return;  // whatever is still queued is dropped
    Pending alert = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    for (const std::string& url : urls_) {
      if (stopping()) break;
      Outcome out = DeliverWithRetries(BuildRequest(url, alert.text), options_, &rng, pause);
      if (options_.on_result) options_.on_result(alert.kind, UrlHost(url), out.delivered, out.attempts);
    }
    lock.lock();
    busy_ = false;
    cv_.notify_all();  // for Drain
  }
}

std::string UrlHost(const std::string& url) {
  absl::string_view rest = url;
  size_t scheme = rest.find("://");
  if (scheme != absl::string_view::npos) rest.remove_prefix(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  size_t at = rest.rfind('@');
  if (at != absl::string_view::npos) rest.remove_prefix(at + 1);
  if (absl::StartsWith(rest, "[")) {  // IPv6 literal: keep the brackets
    size_t close = rest.find(']');
    if (close != absl::string_view::npos) rest = rest.substr(0, close + 1);
  } else {
    rest = rest.substr(0, rest.find(':'));
  }
  return absl::AsciiStrToLower(rest);
}

}  // namespace apollo::ops
