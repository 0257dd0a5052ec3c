// Surface: see surface.h.
#include "engine/runtime/surface.h"

#include <sys/stat.h>

#include <chrono>
#include <optional>

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

namespace {

int64_t MonotonicNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Surface::FileStamp Surface::StampOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  // ctime too: a copy that keeps the old mtime and size is still a change.
  return {true, int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec,
          int64_t{st.st_ctim.tv_sec} * 1'000'000'000 + st.st_ctim.tv_nsec, static_cast<int64_t>(st.st_size),
          static_cast<uint64_t>(st.st_ino)};
}

absl::Status Surface::CheckPolicy() {
  const bool sighup = TakePolicyReloadRequest();
  if (o_.policies_path.empty()) {
    // None configured: the rails a run before journaled go, once.
    if (policy_read_) return absl::OkStatus();
    policy_read_ = true;
    return ApplyPolicy(PolicyChanged{"", "", "start", {}}).status();
  }
  const int64_t now = MonotonicNs();
  if (policy_read_ && !sighup && now < next_policy_look_ns_) return absl::OkStatus();
  next_policy_look_ns_ = now + 1'000'000'000;
  const FileStamp stamp = StampOf(o_.policies_path);
  if (policy_read_ && !sighup) {
    if (stamp == policy_stamp_) {
      pending_stamp_.reset();
      return absl::OkStatus();
    }
    // Changed: read once it has held still for a look, so an editor's
    // truncate-then-write is never read half-written.
    if (!pending_stamp_ || !(*pending_stamp_ == stamp)) {
      pending_stamp_ = stamp;
      return absl::OkStatus();
    }
  }
  const char* who = !policy_read_ ? "start" : sighup ? "sighup" : "file_changed";
  policy_read_ = true;
  pending_stamp_.reset();
  absl::StatusOr<std::optional<std::string>> text = config::ReadPolicyFile(o_.policies_path);
  if (text.ok() && !(StampOf(o_.policies_path) == stamp)) {
    // Written while it was read: read again once it holds still.
    policy_stamp_ = FileStamp{false, -1, -1, -1, 0};  // no file's: looked at again
    return absl::OkStatus();
  }
  policy_stamp_ = stamp;
  const std::string sha = text.ok() && *text ? ledger::HashHex(ledger::Sha256(**text)) : "";
  absl::StatusOr<std::vector<NamedValue>> rails =
      text.ok() ? config::ParsePolicy(text->value_or(""), o_.cfg) : absl::StatusOr<std::vector<NamedValue>>(text.status());
  if (!rails.ok()) {
    const std::string refused = absl::StrCat(sha, ":", rails.status().message());
    if (refused != refused_) {
      log_.Error("policy_refused", LogFields().Add("path", o_.policies_path).Add("who", who)
                                       .Add("error", rails.status().message()).Add("kept", "the policy in force stays"));
    }
    refused_ = refused;
    return absl::OkStatus();
  }
  refused_.clear();
  ASSIGN_OR_RETURN(const bool journaled, ApplyPolicy(PolicyChanged{o_.policies_path, sha, who, *rails}));
  if (!journaled && sighup) {
    log_.Info("policy_unchanged", LogFields().Add("path", o_.policies_path).Add("who", who).Add("sha256", sha)
                                      .Add("rails", RailsText(*rails)));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> Surface::ApplyPolicy(PolicyChanged policy) {
  const LogFields fields = LogFields().Add("path", policy.source).Add("who", policy.who)
                               .Add("sha256", policy.sha256).Add("rails", RailsText(policy.rails));
  ASSIGN_OR_RETURN(const bool journaled, engine_.OnPolicy(std::move(policy)));
  if (journaled) {
    Publish(false);  // a GET after the log line sees it
    log_.Info("policy_changed", fields);
  }
  return journaled;
}

std::string Surface::RailsText(const std::vector<NamedValue>& rails) {
  std::vector<std::string> shown;
  for (const NamedValue& r : rails) shown.push_back(absl::StrCat(r.name, "=", r.value.ToString()));
  return absl::StrJoin(shown, " ");
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
