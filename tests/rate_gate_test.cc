// The rate gate (engine/net/rate_gate.h) on a clock the test moves: a
// provider's quota, its own word on its window, its backoffs, and an
// operator's reset, as a client calling it would see them.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "engine/net/rate_gate.h"

namespace apollo::net {
namespace {

using ::testing::HasSubstr;

// A clock that only moves when the gate sleeps (or the test says so).
struct FakeTime {
  absl::Time now = absl::FromUnixSeconds(1'700'000'000);
  std::vector<absl::Duration> slept;
  RateGate Gate(absl::btree_map<std::string, Quota> quotas) {
    return RateGate(std::move(quotas), [this] { return now; }, [this](absl::Duration d) {
      slept.push_back(d);
      now += d;
    });
  }
};

ProviderStatus StatusOf(const RateGate& gate, const std::string& provider) {
  for (const auto& s : gate.Snapshot()) {
    if (s.provider == provider) return s;
  }
  return {};
}

TEST(RateGate, ABurstGoesAtOnceAndTheNextRequestWaitsForItsTokens) {
  FakeTime t;
  RateGate gate = t.Gate({{"news", {.requests_per_window = 60, .window = absl::Minutes(1), .burst = 3}}});
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(gate.Acquire("news", 1, absl::Seconds(5)).ok());
  EXPECT_TRUE(t.slept.empty()) << "the burst needs no wait";
  ASSERT_TRUE(gate.Acquire("news", 1, absl::Seconds(5)).ok());
  ASSERT_EQ(t.slept.size(), 1u);
  EXPECT_EQ(t.slept[0], absl::Seconds(1)) << "one token a second (60 a minute)";
  EXPECT_EQ(StatusOf(gate, "news").waits, 1u);
}

TEST(RateGate, AWaitLongerThanTheCallerAllowsIsRefusedAtOnceNamingWhy) {
  FakeTime t;
  RateGate gate = t.Gate({{"webhooks", {.requests_per_window = 6, .window = absl::Minutes(1), .burst = 1}}});
  ASSERT_TRUE(gate.Acquire("webhooks", 1, absl::ZeroDuration()).ok());
  absl::Status st = gate.Acquire("webhooks", 1, absl::Seconds(2));
  EXPECT_TRUE(absl::IsResourceExhausted(st)) << st;
  EXPECT_THAT(st.message(), HasSubstr("webhooks is out of its quota for 10s more"));
  EXPECT_TRUE(t.slept.empty()) << "refused without waiting";
  EXPECT_EQ(StatusOf(gate, "webhooks").refused, 1u);
  EXPECT_TRUE(absl::IsInvalidArgument(gate.Acquire("kalshi", 1, absl::Seconds(1))));
}

TEST(RateGate, ABackoffHoldsEveryRequestUntilItsDeadlineAndIsCounted) {
  FakeTime t;
  RateGate gate = t.Gate({{"binance", {.requests_per_window = 2400, .window = absl::Minutes(1)}}});
  gate.BackOff("binance", t.now + absl::Seconds(30), "HTTP 429");
  absl::Status refused = gate.Acquire("binance", 1, absl::Seconds(10));
  EXPECT_THAT(refused.message(), HasSubstr("binance is backing off (HTTP 429) for 30s more"));
  ASSERT_TRUE(gate.Acquire("binance", 1, absl::Minutes(1)).ok());
  ASSERT_EQ(t.slept.size(), 1u);
  EXPECT_EQ(t.slept[0], absl::Seconds(30));
  // An earlier deadline never shortens a later one.
  gate.BackOff("binance", t.now + absl::Minutes(5), "HTTP 418");
  gate.BackOff("binance", t.now + absl::Seconds(1), "HTTP 429");
  const ProviderStatus s = StatusOf(gate, "binance");
  EXPECT_EQ(s.backoffs, 3u);
  EXPECT_EQ(s.backoff_until, t.now + absl::Minutes(5));
  EXPECT_EQ(s.backoff_reason, "HTTP 418");
}

TEST(RateGate, TheProvidersOwnCountLowersTheBucket) {
  FakeTime t;
  RateGate gate = t.Gate({{"binance", {.requests_per_window = 2400, .window = absl::Minutes(1)}}});
  gate.Observe("binance", 2350, 2400);  // X-MBX-USED-WEIGHT-1M: 50 left
  EXPECT_NEAR(StatusOf(gate, "binance").tokens, 50, 1e-6);
  ASSERT_TRUE(gate.Acquire("binance", 50, absl::ZeroDuration()).ok());
  EXPECT_FALSE(gate.Acquire("binance", 20, absl::ZeroDuration()).ok()) << "the venue said it was nearly spent";
  gate.Observe("binance", 10, 2400);  // a new window never raises what we hold
  EXPECT_LT(StatusOf(gate, "binance").tokens, 1);
}

// Kalshi's tier (GET /account/limits) replaces the configured quota: an
// Advanced read bucket refills 300 tokens a second; what is held never
// exceeds the new size.
TEST(RateGate, TheProvidersOwnQuotaReplacesTheConfiguredOne) {
  FakeTime t;
  RateGate gate = t.Gate({{"kalshi_read", {.requests_per_window = 200, .window = absl::Seconds(1)}}});
  gate.SetQuota("kalshi_read", {.requests_per_window = 300, .window = absl::Seconds(1), .burst = 600});
  ProviderStatus s = StatusOf(gate, "kalshi_read");
  EXPECT_EQ(s.capacity, 600);
  EXPECT_NEAR(s.refill_per_sec, 300, 1e-9);
  EXPECT_NEAR(s.tokens, 200, 1e-6) << "what it held, until it refills";
  t.now += absl::Seconds(2);
  ASSERT_TRUE(gate.Acquire("kalshi_read", 600, absl::ZeroDuration()).ok()) << "full at 600";
  gate.SetQuota("kalshi_read", {.requests_per_window = 100, .window = absl::Seconds(1)});
  t.now += absl::Seconds(5);
  EXPECT_NEAR(StatusOf(gate, "kalshi_read").tokens, 100, 1e-6) << "never above the new size";
  gate.SetQuota("nobody", {.requests_per_window = 1, .window = absl::Seconds(1)});
  EXPECT_EQ(gate.Snapshot().size(), 1u) << "an unknown provider is not added";
}

TEST(RateGate, AResetClearsTheBackoffAndFillsTheBucket) {
  FakeTime t;
  RateGate gate = t.Gate({{"news", {.requests_per_window = 10, .window = absl::Minutes(1)}}});
  ASSERT_TRUE(gate.Acquire("news", 10, absl::ZeroDuration()).ok());
  gate.BackOff("news", t.now + absl::Hours(1), "HTTP 429");
  ASSERT_TRUE(gate.Reset("news").ok());
  ASSERT_TRUE(gate.Acquire("news", 10, absl::ZeroDuration()).ok()) << "full again, no backoff";
  EXPECT_EQ(StatusOf(gate, "news").backoffs, 1u) << "the count of backoffs stays";
  EXPECT_EQ(StatusOf(gate, "news").backoff_reason, "HTTP 429") << "the last reason stays";
  EXPECT_TRUE(absl::IsNotFound(gate.Reset("nope")));
}

// max_wait bounds the backoff's wait and the refill's together: a caller
// told "at most 8 s" never waits 10.
TEST(RateGate, MaxWaitBoundsEveryWaitOfOneCallTogether) {
  FakeTime t;
  RateGate gate = t.Gate({{"binance", {.requests_per_window = 6, .window = absl::Minutes(1), .burst = 1}}});
  ASSERT_TRUE(gate.Acquire("binance", 1, absl::ZeroDuration()).ok());  // empty: one token each 10 s
  gate.BackOff("binance", t.now + absl::Seconds(5), "HTTP 429");
  const absl::Status st = gate.Acquire("binance", 1, absl::Seconds(8));
  EXPECT_TRUE(absl::IsResourceExhausted(st)) << st;
  EXPECT_EQ(st.message(), "rate gate: binance is out of its quota for 5s more");
  EXPECT_EQ(t.slept, std::vector<absl::Duration>{absl::Seconds(5)}) << "the backoff, then refused";
}

// The gate runs on the wall clock: a step back (NTP) must not stop the
// refill until the clock has caught up again.
TEST(RateGate, AClockSteppingBackNeverStallsTheBucket) {
  FakeTime t;
  RateGate gate = t.Gate({{"news", {.requests_per_window = 60, .window = absl::Minutes(1), .burst = 1}}});
  ASSERT_TRUE(gate.Acquire("news", 1, absl::ZeroDuration()).ok());
  t.now -= absl::Hours(1);
  ASSERT_TRUE(gate.Acquire("news", 1, absl::Seconds(2)).ok());
  EXPECT_EQ(t.slept, std::vector<absl::Duration>{absl::Seconds(1)}) << "one refill, counted from the new now";
}

TEST(RateGate, AWeightAboveTheBucketIsTakenFromAFullOne) {
  FakeTime t;
  RateGate gate = t.Gate({{"binance", {.requests_per_window = 10, .window = absl::Seconds(10)}}});
  ASSERT_TRUE(gate.Acquire("binance", 50, absl::ZeroDuration()).ok());
  ASSERT_TRUE(gate.Acquire("binance", 50, absl::Minutes(1)).ok());
  ASSERT_EQ(t.slept.size(), 1u);
  EXPECT_EQ(t.slept[0], absl::Seconds(10)) << "one full refill";
}

}  // namespace
}  // namespace apollo::net
