// NewsPoller: libcurl GETs of the feeds on one worker thread.
#include "engine/live/news_poller.h"

#include <curl/curl.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/news/news.h"

namespace apollo::live {
namespace {

struct Body {
  std::string text;
  bool too_big = false;
};

// curl's progress callback: non-zero abandons the transfer.
int Abandon(void* flag, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<std::atomic<bool>*>(flag)->load() ? 1 : 0;
}

size_t Collect(char* data, size_t size, size_t nmemb, void* user) {
  auto* body = static_cast<Body*>(user);
  const size_t n = size * nmemb;
  if (body->text.size() + n > news::kMaxFeedBytes) {
    body->too_big = true;
    return 0;  // ends the transfer
  }
  body->text.append(data, n);
  return n;
}

// The body of a 2xx answer to GET url, or why there is none. curl's own
// messages can quote the URL, so only its error name is given.
// An https feed is only followed to https. `abandon` ends the transfer
// early (the poller is stopping).
absl::StatusOr<std::string> Get(const std::string& url, int64_t timeout_ms, std::atomic<bool>* abandon) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return absl::InternalError("no HTTP client");
  Body body;
  const bool https = url.rfind("https://", 0) == 0;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, https ? "https" : "http,https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, https ? "https" : "http,https");
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, Abandon);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, abandon);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 3L);
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // whatever curl can decode
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "apollo-bot news poller");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout_ms));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  const CURLcode code = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(curl);
  if (body.too_big) return absl::ResourceExhaustedError(absl::StrCat("feed over ", news::kMaxFeedBytes, " bytes"));
  if (code == CURLE_ABORTED_BY_CALLBACK) return absl::CancelledError("abandoned: the bot is stopping");
  if (code != CURLE_OK) return absl::UnavailableError(absl::StrCat("unreachable (", curl_easy_strerror(code), ")"));
  if (status < 200 || status >= 300) return absl::UnavailableError(absl::StrCat("HTTP ", status));
  return std::move(body.text);
}

}  // namespace

NewsPoller::NewsPoller(config::NewsConfig cfg, std::function<int64_t()> now_ms, net::RateGate* gate)
    : cfg_(std::move(cfg)), now_ms_(std::move(now_ms)), gate_(gate) {}

NewsPoller::~NewsPoller() { Stop(); }

void NewsPoller::Start() {
  if (worker_.joinable() || cfg_.sources.empty()) return;
  worker_ = std::thread([this] { Work(); });
}

void NewsPoller::Stop() {
  abandon_ = true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

std::vector<NewsPoller::Read> NewsPoller::Take() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::exchange(reads_, {});
}

NewsPoller::Read NewsPoller::Fetch(const config::NewsSource& source) {
  Read r{source.name, absl::OkStatus(), {}};
  if (gate_ != nullptr) {
    // At most a second: the gate's wait does not hear Stop(), and a read
    // refused now is made at the next poll.
    r.status = gate_->Acquire("news", 1, std::min(absl::Seconds(1), absl::Seconds(cfg_.source_timeout_sec)));
    if (!r.status.ok()) return r;
  }
  absl::StatusOr<std::string> body = Get(source.url, int64_t{cfg_.source_timeout_sec} * 1000, &abandon_);
  if (!body.ok()) {
    r.status = body.status();
    return r;
  }
  absl::StatusOr<std::vector<news::FeedItem>> items = news::ParseFeed(*body);
  if (!items.ok()) {
    r.status = items.status();
    return r;
  }
  news::IngestCounts left_out;
  r.items = news::ToIngested(*items, source.name, now_ms_(), cfg_, &left_out);
  r.undated = left_out.undated;
  r.too_old = left_out.too_old;
  return r;
}

void NewsPoller::Work() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    for (const config::NewsSource& source : cfg_.sources) {
      lock.unlock();
      Read r = Fetch(source);
      lock.lock();
      if (stop_) return;
      reads_.push_back(std::move(r));
      if (reads_.size() > kReadsKept) reads_.erase(reads_.begin());
    }
    cv_.wait_for(lock, std::chrono::minutes(cfg_.poll_interval_minutes), [this] { return stop_; });
  }
}

}  // namespace apollo::live
