// Random but valid event streams, for property tests and benchmarks: every
// event the generator yields folds cleanly onto the ones before it, and the
// stream covers every event type, partial fills, day changes and flags.
#ifndef APOLLO_TESTS_SUPPORT_RANDOM_EVENTS_H_
#define APOLLO_TESTS_SUPPORT_RANDOM_EVENTS_H_

#include <cstdint>
#include <random>

#include "engine/domain/events.h"
#include "engine/domain/state.h"

namespace apollo::testing {

class RandomEventStream {
 public:
  explicit RandomEventStream(uint64_t seed);
  // The next event, with seq assigned from 1 and time moving forward.
  Event Next();
  // The fold of everything returned so far.
  const State& state() const { return state_; }

 private:
  EventBody Body();
  EventBody OrderReportFor(const Order& o);
  Symbol PickSymbol();
  Fixed Price(int64_t base);
  uint64_t Uniform(uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng_); }

  std::mt19937_64 rng_;
  State state_;
  int64_t ts_ns_ = 1'672'675'500'000'000'000;  // 2023-01-02 16:05 UTC
  int64_t bar_ms_ = 1'672'675'500'000;
  uint64_t next_id_ = 1;
};

// A fixed valid history with every event type at least once, for round-trips.
std::vector<Event> OneOfEach();

}  // namespace apollo::testing

#endif  // APOLLO_TESTS_SUPPORT_RANDOM_EVENTS_H_
