// The engine loop's side of the operator's surface, shared by the paper and
// live runs: operator commands in (handled on the engine thread, published
// before they are answered), the engine's view out (after each step and at
// each heartbeat), SIGHUP's log reopen, and the governance policy file.
//
//   Surface surface(options, engine, log);
//   RETURN_IF_ERROR(surface.CheckPolicy());  // before the first step
//   RETURN_IF_ERROR(surface.HandleCommands());
//   surface.Publish(/*stepped=*/true);
#ifndef APOLLO_ENGINE_RUNTIME_SURFACE_H_
#define APOLLO_ENGINE_RUNTIME_SURFACE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/runtime/engine.h"
#include "engine/runtime/log.h"
#include "engine/runtime/paper_run.h"

namespace apollo::runtime {

class Surface {
 public:
  Surface(const RunOptions& o, Engine& engine, Log& log);
  ~Surface();  // answers commands still queued with 503
  // Handles queued operator commands (after CheckPolicy); an engine error
  // is returned (and answered 500) and ends the run.
  absl::Status HandleCommands();
  // Reads RunOptions::policies_path at the first call, after a SIGHUP, and
  // when the file changed (looked at once a second; read once a change has
  // held still for a look): a valid policy whose rails differ is journaled
  // (PolicyChanged, logged policy_changed); an invalid one is logged once
  // (policy_refused) and the policy in force stays. A missing file is a
  // policy without rails; so is no policies_path (rails journaled before
  // are taken away at the first call).
  absl::Status CheckPolicy();
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
  struct FileStamp {
    bool exists = false;
    int64_t mtime_ns = 0, ctime_ns = 0, size = 0;
    uint64_t inode = 0;
    bool operator==(const FileStamp&) const = default;
  };
  static FileStamp StampOf(const std::string& path);
  static std::string RailsText(const std::vector<NamedValue>& rails);
  // Journals `policy` when its rails differ from those in force, publishes
  // and logs it (policy_changed); true when it did.
  absl::StatusOr<bool> ApplyPolicy(PolicyChanged policy);

  const RunOptions& o_;
  Engine& engine_;
  Log& log_;
  bool policy_read_ = false;
  FileStamp policy_stamp_;
  std::optional<FileStamp> pending_stamp_;  // a change seen once, read when seen again
  int64_t next_policy_look_ns_ = 0;         // steady clock
  std::string refused_;                     // the refused file's hash and error, logged once
  int64_t started_ns_ = 0, last_step_ns_ = 0, last_watchdog_ns_ = 0;
  uint64_t watchdog_runs_ = 0;
};

// Reopens the log when a SIGHUP asked for it.
void ReopenLogIfAsked(Log& log);

}  // namespace apollo::runtime

#endif  // APOLLO_ENGINE_RUNTIME_SURFACE_H_
