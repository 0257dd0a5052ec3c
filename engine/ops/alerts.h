// Alert webhooks: Slack-compatible POSTs of {"text": "..."} to each
// configured URL, or, for a Telegram bot URL
// (any URL whose path ends in /bot<token>/sendMessage with a chat_id query), a POST of
// {"chat_id": "<id>", "text": "..."} to the URL without its query.
//
//   Alerter alerter({"http://127.0.0.1:9/hook"}, AlerterOptions{});
//   alerter.Raise("circuit_breaker", "seq-812", "Circuit breaker: 3 consecutive losses");
//
// Raise never blocks: alerts go into a bounded queue served by one worker
// thread (libcurl, short timeouts, a bounded number of retries with
// backoff), so a dead webhook never slows trading. One alert per incident:
// a (kind, incident) pair already raised is not sent again. Webhook URLs
// may embed tokens, so they are never logged; only the host is.
#ifndef APOLLO_ENGINE_OPS_ALERTS_H_
#define APOLLO_ENGINE_OPS_ALERTS_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "engine/net/rate_gate.h"

namespace apollo::ops {

// The rate gate's name for alert deliveries (rate_limits.webhooks).
inline constexpr char kWebhooksProvider[] = "webhooks";

struct AlerterOptions {
  int max_attempts = 3;           // per webhook per alert
  int64_t timeout_ms = 2000;      // connect + total, per attempt
  int64_t first_backoff_ms = 200; // doubled after each failed attempt
  size_t max_queued = 100;        // beyond this the oldest alert is dropped (and counted)
  // The rate gate (provider "webhooks"), or none.
  net::RateGate* gate = nullptr;
  // Called on the worker thread after each alert's delivery to one webhook
  // (true: delivered). For metrics and logs; never sees the URL's secret part.
  std::function<void(const std::string& kind, const std::string& host, bool delivered, int attempts)> on_result;
};

class Alerter {
 public:
  Alerter(std::vector<std::string> webhook_urls, AlerterOptions options);
  ~Alerter();  // stops the worker; alerts still queued are dropped after one bounded try
  Alerter(const Alerter&) = delete;
  Alerter& operator=(const Alerter&) = delete;

  // Queues an alert unless (kind, incident) was raised before. Returns
  // whether it was queued.
  bool Raise(const std::string& kind, const std::string& incident, const std::string& text);
  // Waits until the queue is empty and the worker idle, or timeout; for
  // tests and for a clean stop. True if drained.
  bool Drain(int64_t timeout_ms);
  uint64_t dropped() const;

 private:
  void Work();
  struct Pending {
    std::string kind, text;
  };
  std::vector<std::string> urls_;
  AlerterOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  std::set<std::pair<std::string, std::string>> raised_;
  bool busy_ = false;
  bool stop_ = false;
  uint64_t dropped_ = 0;
  std::thread worker_;
};

// The host part of a URL, for logs ("hooks.slack.com").
std::string UrlHost(const std::string& url);

}  // namespace apollo::ops

#endif  // APOLLO_ENGINE_OPS_ALERTS_H_
