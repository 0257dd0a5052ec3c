// Surface: see surface.h.
#include "engine/runtime/surface.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "engine/runtime/signals.h"

namespace apollo::runtime {

Surface::Surface(const RunOptions& o, Engine& engine) : o_(o), engine_(engine) {
  started_ns_ = absl::GetCurrentTimeNanos();
  if (o_.inbox != nullptr) o_.inbox->SetWake(&Wake);
}

Surface::~Surface() {
  if (o_.inbox == nullptr) return;
  o_.inbox->SetWake(nullptr);
  for (auto& [cmd, done] : o_.inbox->TakeAll()) done.set_value({503, "{\"error\":\"the engine has stopped\"}"});
}

absl::Status Surface::HandleCommands() {
  if (o_.inbox == nullptr) return absl::OkStatus();
  for (auto& [cmd, done] : o_.inbox->TakeAll()) {
    if (cmd.kind == OperatorCommand::kReconcile) {
      if (!reconcile) {
        done.set_value({409, o_.cfg.run.mode == Mode::kPaper
                                 ? "{\"error\":\"paper mode has no venue to reconcile with: the ledger is the venue\"}"
                                 : "{\"error\":\"reconciliation.enabled is false: no reconciliation pass runs\"}"});
        continue;
      }
      if (absl::StatusOr<bool> ran = reconcile(); !ran.ok()) {
        done.set_value({500, "{\"error\":\"engine halted\"}"});
        return ran.status();
      }
    }
    absl::StatusOr<OperatorResult> r = engine_.OnOperator(cmd);
    if (!r.ok()) {
      done.set_value({500, "{\"error\":\"engine halted\"}"});
      return r.status();
    }
    Publish(false);  // before the answer: a GET after the POST sees its effect
    done.set_value(*r);
  }
  return absl::OkStatus();
}

void Surface::Publish(bool stepped) {
  const int64_t now = absl::GetCurrentTimeNanos();
  if (stepped) last_step_ns_ = now;
  if (engine_.watchdog_runs() != watchdog_runs_) {
    watchdog_runs_ = engine_.watchdog_runs();
    last_watchdog_ns_ = now;
  }
  if (o_.views == nullptr) return;
  auto view = std::make_shared<EngineView>();
  view->state = engine_.state();
  view->mode = o_.cfg.run.mode;
  view->started_wall_ns = started_ns_;
  view->heartbeat_wall_ns = now;
  view->last_step_wall_ns = last_step_ns_;
  view->last_watchdog_wall_ns = last_watchdog_ns_;
  view->last_reconcile_wall_ns = now;  // paper: the venue is the ledger, always reconciled
  if (decorate) decorate(*view);
  o_.views->Publish(std::move(view));
}

void Surface::Halted(const absl::Status& why) {
  if (o_.views == nullptr) return;
  auto view = std::make_shared<EngineView>();
  if (auto old = o_.views->Get()) *view = *old;
  view->halted = true;
  view->halt_reason = std::string(why.message());
  o_.views->Publish(std::move(view));
}

void ReopenLogIfAsked(Log& log) {
  if (!TakeReopenRequest()) return;
  absl::Status st = log.Reopen();
  log.Info("log_reopened", LogFields().Add("ok", st.ok()));
}

}  // namespace apollo::runtime
