// What the engine thread publishes for readers on other threads (the
// operator API, /health): an immutable copy of the State after each step,
// with the loop's heartbeats. Readers take the latest copy; nothing is
// shared mutably, so there are no locks around State.
#ifndef APOLLO_ENGINE_RUNTIME_VIEW_H_
#define APOLLO_ENGINE_RUNTIME_VIEW_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "engine/domain/state.h"

namespace apollo::runtime {

struct EngineView {
  State state;
  Mode mode = Mode::kPaper;
  int64_t started_wall_ns = 0;
  int64_t heartbeat_wall_ns = 0;      // the loop was alive (also while waiting)
  int64_t last_step_wall_ns = 0;      // last bar step (strategy loop)
  int64_t last_watchdog_wall_ns = 0;  // last watchdog pass
  int64_t last_reconcile_wall_ns = 0; // last reconciliation pass
  bool ws_connected = false;          // live: both venue streams connected
  double ws_last_message_age_sec = 0; // live: the market stream's
  bool halted = false;                // the engine stopped on an error
  std::string halt_reason;
};

class ViewBoard {
 public:
  void Publish(std::shared_ptr<const EngineView> view) {
    std::lock_guard<std::mutex> l(mu_);
    view_ = std::move(view);
  }
  std::shared_ptr<const EngineView> Get() const {
    std::lock_guard<std::mutex> l(mu_);
    return view_;
  }

 private:
  mutable std::mutex mu_;  // guards the pointer swap only
  std::shared_ptr<const EngineView> view_;
};

}  // namespace apollo::runtime

#endif  // APOLLO_ENGINE_RUNTIME_VIEW_H_
