// One gate for every outbound API (issue 14 §6): a token bucket per
// provider ("binance", "news", "webhooks", later "kalshi" and "nws") with
// its quota from config, the provider's own word on its window where it
// gives one (Binance's X-MBX-USED-WEIGHT-1M), and a backoff deadline when it
// asked us to wait (429 Retry-After, 418). Every client calls Acquire before
// each request; the operator API shows Snapshot() and can Reset a provider.
//
//   RateGate gate({{"binance", {.requests_per_window = 2400, .window = absl::Minutes(1)}}});
//   RETURN_IF_ERROR(gate.Acquire("binance", /*weight=*/5, absl::Seconds(10)));
//   ... send; then gate.Observe("binance", used_weight_1m, 2400), or on a 429
//   gate.BackOff("binance", absl::Now() + retry_after, "HTTP 429");
#ifndef APOLLO_ENGINE_NET_RATE_GATE_H_
#define APOLLO_ENGINE_NET_RATE_GATE_H_

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace apollo::net {

struct Quota {
  int64_t requests_per_window = 60;  // tokens (request weight) the window refills
  absl::Duration window = absl::Minutes(1);
  int64_t burst = 0;                 // the bucket's size; 0: requests_per_window
};

// One provider as the gate sees it (GET /ratelimit/status, the metrics).
struct ProviderStatus {
  std::string provider;
  double tokens = 0;            // rate_gate_tokens{provider}
  int64_t capacity = 0;
  double refill_per_sec = 0;
  absl::Time backoff_until = absl::InfinitePast();  // past: not backing off
  std::string backoff_reason;  // the last backoff's (a reset keeps it)
  uint64_t backoffs = 0;        // rate_gate_backoff_total{provider}
  uint64_t waits = 0;           // Acquire calls that waited
  uint64_t refused = 0;         // Acquire calls refused (the wait was too long)
};

class RateGate {
 public:
  using Clock = std::function<absl::Time()>;
  using Sleep = std::function<void(absl::Duration)>;
  // Each provider starts with a full bucket. `now` and `sleep` are the real
  // clock unless a test gives its own.
  explicit RateGate(absl::btree_map<std::string, Quota> quotas, Clock now = nullptr, Sleep sleep = nullptr);

  // Takes `weight` tokens of `provider`, first waiting (through `sleep`)
  // while its bucket is short or it is backing off. Waits that would end
  // more than `max_wait` after the call began are not taken:
  // ResourceExhausted at once, naming the provider and why. An unknown provider is InvalidArgument; a weight above the
  // bucket's size is taken from a full bucket (it never fits otherwise).
  absl::Status Acquire(absl::string_view provider, int64_t weight, absl::Duration max_wait);
  // The provider's own count of its current window (`used` of `limit`): the
  // bucket holds no more than what it says is left (limit - used).
  void Observe(absl::string_view provider, int64_t used, int64_t limit);
  // The provider's own word on its quota (Kalshi's tier, GET
  // /account/limits): the bucket refills at it from now on and holds no
  // more than its new size. A provider the gate does not know is ignored.
  void SetQuota(absl::string_view provider, Quota quota);
  // The provider asked us to wait: nothing of it goes before `until`.
  // Counted in backoffs (rate_gate_backoff_total{provider}).
  void BackOff(absl::string_view provider, absl::Time until, absl::string_view reason);
  // An operator's reset (POST /ratelimit/reset/{provider}): the backoff is
  // cleared and the bucket full. NotFound for an unknown provider.
  absl::Status Reset(absl::string_view provider);

  // Until when the provider is backing off (InfinitePast: it is not). A
  // client that keeps a ban of its own (Binance's 418) drops it when the
  // gate's ends sooner: the operator reset the provider.
  absl::Time BackoffUntil(absl::string_view provider) const;

  std::vector<ProviderStatus> Snapshot() const;

 private:
  struct Bucket {
    Quota quota;
    double tokens = 0;
    absl::Time refilled;
    ProviderStatus status;
  };
  Bucket* Find(absl::string_view provider);
  const Bucket* Find(absl::string_view provider) const;
  void Refill(Bucket& b, absl::Time now) const;
  static double Capacity(const Quota& q);

  Clock now_;
  Sleep sleep_;
  mutable std::mutex mu_;
  absl::btree_map<std::string, Bucket, std::less<>> buckets_;
};

}  // namespace apollo::net

#endif  // APOLLO_ENGINE_NET_RATE_GATE_H_
