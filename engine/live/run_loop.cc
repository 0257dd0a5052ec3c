// What every testnet/live run loop does the same way; see run_loop.h.
#include "engine/live/run_loop.h"

#include <cstdint>
#include <utility>

#include "absl/time/clock.h"
#include "engine/domain/status_macros.h"
#include "engine/runtime/paper_run.h"

namespace apollo::live {

using runtime::LogFields;

ReconcilePasses::ReconcilePasses(const config::Config& cfg, Pass pass, bool pending)
    : enabled_(cfg.reconciliation.enabled),
      every_(absl::Minutes(cfg.reconciliation.interval_min)),
      pass_(std::move(pass)),
      pending_(pending),
      next_(absl::Now() + every_) {}

absl::StatusOr<bool> ReconcilePasses::Now() {
  if (!enabled_) return true;
  ASSIGN_OR_RETURN(const bool done, pass_());
  pending_ = !done;
  // Just reconciled: the periodic pass can wait its full interval.
  if (done) next_ = absl::Now() + every_;
  return done;
}

absl::Status ReconcilePasses::RunIfDue() {
  if (!enabled_ || !(pending_ || absl::Now() >= next_)) return absl::OkStatus();
  return Now().status();
}

std::function<absl::StatusOr<bool>()> ReconcilePasses::OnDemand() {
  if (!enabled_) return nullptr;
  return [this] { return Now(); };
}

bool KillSwitch::Done() {
  if (!engine_.stop_requested()) return false;
  if (!deadline_) {
    deadline_ = absl::Now() + timeout_;
    log_.Info("kill_switch_waiting", LogFields().Add("positions", static_cast<uint64_t>(engine_.state().positions.size()))
                                         .Add("orders", static_cast<uint64_t>(engine_.state().orders.size()))
                                         .Add("timeout_sec", timeout_sec_));
  }
  return engine_.Flat() || absl::Now() >= *deadline_;
}

absl::Status KillSwitch::Finish(ReconcilePasses& passes, int* exit_code) {
  if (!engine_.stop_requested()) return absl::OkStatus();
  bool venue_agrees = true;
  if (passes.enabled()) {
    ASSIGN_OR_RETURN(const bool done, passes.Now());
    venue_agrees = done && engine_.last_reconcile().result == "completed";
  }
  ASSIGN_OR_RETURN(const bool flat, engine_.FinishKillSwitch(venue_agrees));
  if (!flat) *exit_code = runtime::kExitKillSwitchIncomplete;
  log_.Write(flat ? runtime::LogLevel::kInfo : runtime::LogLevel::kError, "kill_switch_finished",
             LogFields().Add("flat", flat)
                 .Add("positions", static_cast<uint64_t>(engine_.state().positions.size()))
                 .Add("orders", static_cast<uint64_t>(engine_.state().orders.size())));
  return absl::OkStatus();
}

}  // namespace apollo::live
