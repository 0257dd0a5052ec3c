// The rate gate: see rate_gate.h.
#include "engine/net/rate_gate.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace apollo::net {

RateGate::RateGate(absl::btree_map<std::string, Quota> quotas, Clock now, Sleep sleep)
    : now_(now ? std::move(now) : Clock([] { return absl::Now(); })),
      sleep_(sleep ? std::move(sleep) : Sleep([](absl::Duration d) { absl::SleepFor(d); })) {
  const absl::Time t = now_();
  for (auto& [name, quota] : quotas) {
    Bucket b;
    b.quota = quota;
    b.tokens = Capacity(quota);
    b.refilled = t;
    b.status.provider = name;
    b.status.capacity = static_cast<int64_t>(Capacity(quota));
    b.status.refill_per_sec = static_cast<double>(quota.requests_per_window) / absl::ToDoubleSeconds(quota.window);
    buckets_.emplace(name, std::move(b));
  }
}

double RateGate::Capacity(const Quota& q) {
  return static_cast<double>(q.burst > 0 ? q.burst : q.requests_per_window);
}

RateGate::Bucket* RateGate::Find(absl::string_view provider) {
  return const_cast<Bucket*>(std::as_const(*this).Find(provider));
}

const RateGate::Bucket* RateGate::Find(absl::string_view provider) const {
  auto it = buckets_.find(provider);
  return it == buckets_.end() ? nullptr : &it->second;
}

absl::Time RateGate::BackoffUntil(absl::string_view provider) const {
  std::lock_guard<std::mutex> l(mu_);
  const Bucket* b = Find(provider);
  return b == nullptr ? absl::InfinitePast() : b->status.backoff_until;
}

void RateGate::Refill(Bucket& b, absl::Time now) const {
  if (now <= b.refilled) return;
  b.tokens = std::min(Capacity(b.quota), b.tokens + absl::ToDoubleSeconds(now - b.refilled) * b.status.refill_per_sec);
  b.refilled = now;
}

absl::Status RateGate::Acquire(absl::string_view provider, int64_t weight, absl::Duration max_wait) {
  bool waited = false;
  for (;;) {
    absl::Duration wait;
    {
      std::lock_guard<std::mutex> l(mu_);
      Bucket* b = Find(provider);
      if (b == nullptr) return absl::InvalidArgumentError(absl::StrCat("rate gate: no quota for ", provider));
      const absl::Time now = now_();
      Refill(*b, now);
      const double need = std::min(static_cast<double>(std::max<int64_t>(weight, 0)), Capacity(b->quota));
      if (now < b->status.backoff_until) {
        wait = b->status.backoff_until - now;
      } else if (b->tokens + 1e-9 >= need) {
        b->tokens -= need;
        if (waited) ++b->status.waits;
        return absl::OkStatus();
      } else {
        wait = absl::Seconds((need - b->tokens) / b->status.refill_per_sec);
      }
      if (wait > max_wait) {
        ++b->status.refused;
        const bool backing_off = now < b->status.backoff_until;
        return absl::ResourceExhaustedError(absl::StrCat(
            "rate gate: ", provider, backing_off ? absl::StrCat(" is backing off (", b->status.backoff_reason, ")")
                                                 : std::string(" is out of its quota"),
            " for ", absl::FormatDuration(absl::Ceil(wait, absl::Milliseconds(1))), " more"));
      }
    }
    waited = true;
    sleep_(wait);
  }
}

void RateGate::Observe(absl::string_view provider, int64_t used, int64_t limit) {
  std::lock_guard<std::mutex> l(mu_);
  Bucket* b = Find(provider);
  if (b == nullptr || used < 0 || limit <= 0) return;
  Refill(*b, now_());
  // The provider's window and ours differ in shape: trust the smaller.
  const double left = Capacity(b->quota) * std::max<double>(0, 1.0 - static_cast<double>(used) / static_cast<double>(limit));
  b->tokens = std::min(b->tokens, left);
}

void RateGate::BackOff(absl::string_view provider, absl::Time until, absl::string_view reason) {
  std::lock_guard<std::mutex> l(mu_);
  Bucket* b = Find(provider);
  if (b == nullptr) return;
  ++b->status.backoffs;
  if (until > b->status.backoff_until) {
    b->status.backoff_until = until;
    b->status.backoff_reason = std::string(reason);
  }
}

absl::Status RateGate::Reset(absl::string_view provider) {
  std::lock_guard<std::mutex> l(mu_);
  Bucket* b = Find(provider);
  if (b == nullptr) return absl::NotFoundError(absl::StrCat("rate gate: no provider ", provider));
  b->status.backoff_until = absl::InfinitePast();
  b->status.backoff_reason.clear();
  b->tokens = Capacity(b->quota);
  b->refilled = now_();
  return absl::OkStatus();
}

std::vector<ProviderStatus> RateGate::Snapshot() const {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<ProviderStatus> out;
  const absl::Time now = now_();
  for (const auto& [name, bucket] : buckets_) {
    Bucket b = bucket;
    Refill(b, now);
    ProviderStatus s = b.status;
    s.tokens = b.tokens;
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace apollo::net
