// The engine loop's side of the operator's surface, shared by the paper and
// live runs: operator commands in (handled on the engine thread, published
// before they are answered), the engine's view out (after each step and at
// each heartbeat), and SIGHUP's log reopen.
//
//   Surface surface(options, engine);
//   RETURN_IF_ERROR(surface.HandleCommands());
//   surface.Publish(/*stepped=*/true);
#ifndef APOLLO_ENGINE_RUNTIME_SURFACE_H_
#define APOLLO_ENGINE_RUNTIME_SURFACE_H_

#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/runtime/engine.h"
#include "engine/runtime/log.h"
#include "engine/runtime/paper_run.h"

namespace apollo::runtime {

class Surface {
 public:
  Surface(const RunOptions& o, Engine& engine);
  ~Surface();  // answers commands still queued with 503
  // Handles queued operator commands; an engine error is returned (and
  // answered 500) and ends the run.
  absl::Status HandleCommands();
  // Publishes the engine's view; `stepped` marks a bar step (strategy loop).
  void Publish(bool stepped);
  void Halted(const absl::Status& why);
  // Live runs: the venue's connection state for the view, and when the last
  // reconciliation passed (paper: always, the venue is the ledger).
  std::function<void(EngineView&)> decorate;
  // Live runs: one reconciliation pass now (POST /actions/reconcile); unset
  // in paper, where the command is answered 409 (the ledger is the venue).
  std::function<absl::StatusOr<bool>()> reconcile;

 private:
  const RunOptions& o_;
  Engine& engine_;
  int64_t started_ns_ = 0, last_step_ns_ = 0, last_watchdog_ns_ = 0;
  uint64_t watchdog_runs_ = 0;
};

// Reopens the log when a SIGHUP asked for it.
void ReopenLogIfAsked(Log& log);

}  // namespace apollo::runtime

#endif  // APOLLO_ENGINE_RUNTIME_SURFACE_H_
