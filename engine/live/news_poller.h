// The news feeds (news.sources) read on a thread of their own: each at
// start and every news.poll_interval_minutes, with news.source_timeout_sec
// per request, so a slow or dead feed never holds a step. What each read
// gave (its items, or why it failed: unreachable, HTTP error, over
// news::kMaxFeedBytes, not a feed) is taken by the engine's loop, which
// logs, counts and journals it; a failure is never fatal. Feed URLs may
// carry a token, so only source names reach logs.
//
//   NewsPoller poller(cfg.news, [] { return absl::ToUnixMillis(absl::Now()); });
//   poller.Start();
//   for (NewsPoller::Read& r : poller.Take()) ... r.source, r.status, r.items
#ifndef APOLLO_ENGINE_LIVE_NEWS_POLLER_H_
#define APOLLO_ENGINE_LIVE_NEWS_POLLER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/net/rate_gate.h"
#include "absl/status/status.h"
#include "engine/config/config.h"
#include "engine/domain/events.h"

namespace apollo::live {

class NewsPoller {
 public:
  struct Read {
    std::string source;
    absl::Status status;              // OK: the feed was read
    std::vector<NewsIngested> items;  // news::ToIngested of it
    uint64_t undated = 0, too_old = 0;  // items it left out
  };
  // Reads kept for the loop at most; beyond, the oldest go (the next poll
  // reads the feed again).
  static constexpr size_t kReadsKept = 64;

  // `gate`: the rate gate (provider "news") each read goes through, or none.
  NewsPoller(config::NewsConfig cfg, std::function<int64_t()> now_ms, net::RateGate* gate = nullptr);
  ~NewsPoller();  // Stop()
  NewsPoller(const NewsPoller&) = delete;
  NewsPoller& operator=(const NewsPoller&) = delete;

  void Start();
  // Ends the thread; a request under way is abandoned (within a second).
  void Stop();
  std::vector<Read> Take();

 private:
  void Work();
  Read Fetch(const config::NewsSource& source);

  const config::NewsConfig cfg_;
  const std::function<int64_t()> now_ms_;
  net::RateGate* const gate_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Read> reads_;
  bool stop_ = false;                     // under mu_: ends the loop
  std::atomic<bool> abandon_{false};      // read by curl's progress callback
  std::thread worker_;
};

}  // namespace apollo::live

#endif  // APOLLO_ENGINE_LIVE_NEWS_POLLER_H_
