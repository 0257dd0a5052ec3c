// The engine's only source of time. Decisions and event times read it, never
// the system clock, so the same inputs give the same ledger byte for byte.
// Paper runs use DataClock, set from the market data; live runs WallClock.
#ifndef APOLLO_ENGINE_RUNTIME_CLOCK_H_
#define APOLLO_ENGINE_RUNTIME_CLOCK_H_

#include <cstdint>

#include "absl/time/clock.h"

namespace apollo::runtime {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowNs() const = 0;
};

// Time as the data says: the close time of the latest bar.
class DataClock : public Clock {
 public:
  int64_t NowNs() const override { return now_ns_; }
  void Set(int64_t now_ns) { now_ns_ = now_ns; }

 private:
  int64_t now_ns_ = 0;
};

class WallClock : public Clock {
 public:
  int64_t NowNs() const override { return absl::GetCurrentTimeNanos(); }
};

}  // namespace apollo::runtime

#endif  // APOLLO_ENGINE_RUNTIME_CLOCK_H_
