// Surface: see surface.h.
#include "engine/runtime/surface.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "engine/config/policy.h"
#include "engine/domain/status_macros.h"
#include "engine/runtime/signals.h"
#include "ledger/record.h"

namespace apollo::runtime {

Surface::Surface(const RunOptions& o, Engine& engine, Log& log) : o_(o), engine_(engine), log_(log) {
  started_ns_ = absl::GetCurrentTimeNanos();
  if (o_.inbox != nullptr) o_.inbox->SetWake(&Wake);
}

Surface::~Surface() {
  if (o_.inbox == nullptr) return;
  o_.inbox->SetWake(nullptr);
  for (auto& [cmd, done] : o_.inbox->TakeAll()) done.set_value({503, "{\"error\":\"the engine has stopped\"}"});
}

absl::Status Surface::CheckPolicy() {
  if (o_.policies_path.empty()) return absl::OkStatus();
  const bool sighup = TakePolicyReloadRequest();
  const int64_t now = absl::GetCurrentTimeNanos();
  if (policy_read_ && !sighup && now < next_policy_look_ns_) return absl::OkStatus();
  next_policy_look_ns_ = now + 1'000'000'000;
  FileStamp stamp;
  struct stat st {};
  if (::stat(o_.policies_path.c_str(), &st) == 0) {
    stamp = {true, int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec, static_cast<int64_t>(st.st_size),
             static_cast<uint64_t>(st.st_ino)};
  }
  if (policy_read_ && !sighup && stamp == policy_stamp_) return absl::OkStatus();
  const char* who = !policy_read_ ? "start" : sighup ? "sighup" : "file_changed";
  policy_read_ = true;
  policy_stamp_ = stamp;
  std::string text, sha;
  if (stamp.exists) {
    std::ifstream in(o_.policies_path, std::ios::binary);
    std::ostringstream buf;
    buf << in.rdbuf();
    if (!in.good() && !in.eof()) {
      log_.Error("policy_refused", LogFields().Add("path", o_.policies_path).Add("error", "cannot read the file")
                                       .Add("kept", "the policy in force stays"));
      return absl::OkStatus();
    }
    text = buf.str();
    sha = ledger::HashHex(ledger::Sha256(text));
  }
  absl::StatusOr<std::vector<NamedValue>> rails = config::ParsePolicy(text, o_.cfg);
  if (!rails.ok()) {
    if (sha != refused_sha_) {
      log_.Error("policy_refused", LogFields().Add("path", o_.policies_path).Add("error", rails.status().message())
                                       .Add("kept", "the policy in force stays"));
    }
    refused_sha_ = sha;
    return absl::OkStatus();
  }
  refused_sha_.clear();
  std::vector<std::string> shown;
  for (const NamedValue& r : *rails) shown.push_back(absl::StrCat(r.name, "=", r.value.ToString()));
  ASSIGN_OR_RETURN(const bool journaled, engine_.OnPolicy(PolicyChanged{o_.policies_path, sha, who, *rails}));
  if (journaled) {
    Publish(false);  // a GET after the log line sees it
    log_.Info("policy_changed", LogFields().Add("path", o_.policies_path).Add("who", who).Add("sha256", sha)
                                    .Add("rails", absl::StrJoin(shown, " ")));
  } else if (sighup) {
    log_.Info("policy_unchanged", LogFields().Add("path", o_.policies_path).Add("who", who).Add("sha256", sha)
                                      .Add("rails", absl::StrJoin(shown, " ")));
  }
  return absl::OkStatus();
}

absl::Status Surface::HandleCommands() {
  RETURN_IF_ERROR(CheckPolicy());
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
