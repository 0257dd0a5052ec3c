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
  if (now <= b.refilled) {
    b.refilled = now;  // a wall clock stepped back: refill from here, never stall
    return;
  }
  b.tokens = std::min(Capacity(b.quota), b.tokens + absl::ToDoubleSeconds(now - b.refilled) * b.status.refill_per_sec);
  b.refilled = now;
}

absl::Status RateGate::Acquire(absl::string_view provider, int64_t weight, absl::Duration max_wait) {
  bool waited = false;
  absl::Time deadline = absl::InfiniteFuture();  // max_wait from the first look, for every wait together
  for (;;) {
    absl::Duration wait;
    {
      std::lock_guard<std::mutex> l(mu_);
      Bucket* b = Find(provider);
      if (b == nullptr) return absl::InvalidArgumentError(absl::StrCat("rate gate: no quota for ", provider));
      const absl::Time now = now_();
      if (deadline == absl::InfiniteFuture()) deadline = now + max_wait;
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
      if (now + wait > deadline) {
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
  // What the provider says is left of its window: the bucket holds no more
  // (its window and ours differ in shape: the smaller is trusted).
  b->tokens = std::min(b->tokens, static_cast<double>(std::max<int64_t>(0, limit - used)));
}

void RateGate::SetQuota(absl::string_view provider, Quota quota) {
  std::lock_guard<std::mutex> l(mu_);
  Bucket* b = Find(provider);
  if (b == nullptr || quota.requests_per_window <= 0 || quota.window <= absl::ZeroDuration()) return;
  Refill(*b, now_());
  b->quota = quota;
  b->tokens = std::min(b->tokens, Capacity(quota));
  b->status.capacity = static_cast<int64_t>(Capacity(quota));
  b->status.refill_per_sec = static_cast<double>(quota.requests_per_window) / absl::ToDoubleSeconds(quota.window);
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
  b->status.backoff_until = absl::InfinitePast();  // backoff_reason stays: the last one
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
    s.tokens = std::max(0.0, b.tokens);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace apollo::net
