// What every testnet/live run loop does the same way, whatever the venue
// (live_run.h for Binance, kalshi_live.h for Kalshi): when to reconcile,
// and the kill switch's wait and end.
//
//   ReconcilePasses passes(cfg, reconcile_now, /*pending=*/!reconciled_at_start);
//   surface.reconcile = passes.OnDemand();      // POST /actions/reconcile
//   KillSwitch kill(engine, cfg, log);
//   while (... && !kill.Done()) {
//     if (reconnected) passes.Ask();
//     failed = passes.RunIfDue();
//   }
//   failed = kill.Finish(passes, &summary.exit_code);
#ifndef APOLLO_ENGINE_LIVE_RUN_LOOP_H_
#define APOLLO_ENGINE_LIVE_RUN_LOOP_H_

#include <functional>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/config/config.h"
#include "engine/runtime/engine.h"
#include "engine/runtime/log.h"

namespace apollo::live {

// Reconciliation passes: one when asked (a reconnect, a refused message),
// after one was put off (an order in doubt), and every
// reconciliation.interval_min; `pass` returns false when it put itself off.
class ReconcilePasses {
 public:
  using Pass = std::function<absl::StatusOr<bool>()>;
  ReconcilePasses(const config::Config& cfg, Pass pass, bool pending);
  void Ask() { pending_ = true; }
  // A pass if one is due; its error (the engine's) ends the run.
  absl::Status RunIfDue();
  // One pass now (the operator's POST /actions/reconcile); unset when
  // reconciliation is off.
  std::function<absl::StatusOr<bool>()> OnDemand();
  // One pass now, whatever is due; true when it ran (reconciliation off: true).
  absl::StatusOr<bool> Now();
  bool enabled() const { return enabled_; }

 private:
  const bool enabled_;
  const absl::Duration every_;
  Pass pass_;
  bool pending_;
  absl::Time next_;
};

// The kill switch asked for the closes and cancels; the loop goes on
// (journaling fills) until nothing of ours is open, for at most
// execution.order_timeout_sec. A SIGTERM during the wait does not cut it
// short (systemd's TimeoutStopSec is 60).
class KillSwitch {
 public:
  KillSwitch(runtime::Engine& engine, const config::Config& cfg, runtime::Log& log)
      : engine_(engine), timeout_(absl::Seconds(cfg.execution.order_timeout_sec)), log_(log),
        timeout_sec_(cfg.execution.order_timeout_sec) {}
  // True once the kill switch asked for the stop and the venue holds
  // nothing of ours, or the wait ran out; logs kill_switch_waiting once.
  bool Done();
  // The end, when the kill switch asked for the stop: the venue is read
  // once more and must hold nothing of ours; else manual review (alerted)
  // and *exit_code kExitKillSwitchIncomplete. Logs kill_switch_finished.
  absl::Status Finish(ReconcilePasses& passes, int* exit_code);

 private:
  runtime::Engine& engine_;
  const absl::Duration timeout_;
  runtime::Log& log_;
  const int timeout_sec_;
  std::optional<absl::Time> deadline_;
};

}  // namespace apollo::live

#endif  // APOLLO_ENGINE_LIVE_RUN_LOOP_H_
