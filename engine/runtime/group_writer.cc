// The engine's background appender; see group_writer.h.
#include "engine/runtime/group_writer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "engine/domain/status_macros.h"
#include "engine/runtime/crash_point.h"
#include "ledger/event_log.h"

namespace apollo::runtime {

absl::Status AppendAndProject(ledger::Ledger& ledger, Projections* projections, std::vector<Event>& events, bool sync,
                              double* append_seconds) {
  if (events.empty()) return absl::OkStatus();
  const uint64_t expected = events.front().seq;
  const absl::Time t0 = absl::Now();
  ASSIGN_OR_RETURN(uint64_t first, ledger::AppendEvents(ledger, events, sync));
  if (append_seconds != nullptr) *append_seconds = absl::ToDoubleSeconds(absl::Now() - t0);
  if (first != expected) {
    return absl::InternalError(absl::StrCat("ledger assigned seq ", first, " where the fold expected ", expected));
  }
  if (projections != nullptr) {
    CrashPoint("projection");
    RETURN_IF_ERROR(projections->Write(events));
    projections->Heal(ledger);  // a file that failed earlier, once its retry time comes
  }
  return absl::OkStatus();
}

GroupWriter::GroupWriter(ledger::Ledger* ledger, Projections* projections, size_t max_queued)
    : ledger_(ledger), projections_(projections), max_queued_(max_queued), thread_([this] { Run(); }) {}

GroupWriter::~GroupWriter() {
  {
    std::unique_lock<std::mutex> l(mu_);
    changed_.wait(l, [this] { return queue_.empty() && !busy_; });
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

absl::Status GroupWriter::Submit(std::vector<Event> events, std::vector<DaySummary> days) {
  std::unique_lock<std::mutex> l(mu_);
  changed_.wait(l, [this] { return queue_.size() < max_queued_ || !status_.ok(); });
  if (!status_.ok()) return status_;
  queue_.push_back(Task{std::move(events), std::move(days), 0, {}, 0});
  l.unlock();
  changed_.notify_all();
  return absl::OkStatus();
}

void GroupWriter::SubmitSnapshot(uint64_t seq, std::string state, size_t keep) {
  {
    std::lock_guard<std::mutex> l(mu_);
    queue_.push_back(Task{{}, {}, seq, std::move(state), keep});
  }
  changed_.notify_all();
}

absl::Status GroupWriter::Drain() {
  std::unique_lock<std::mutex> l(mu_);
  changed_.wait(l, [this] { return queue_.empty() && !busy_; });
  return status_;
}

std::string GroupWriter::TakeSnapshotError() {
  std::lock_guard<std::mutex> l(mu_);
  return std::exchange(snapshot_error_, "");
}

void GroupWriter::Run() {
  std::unique_lock<std::mutex> l(mu_);
  while (true) {
    changed_.wait(l, [this] { return !queue_.empty() || stop_; });
    if (queue_.empty()) return;  // stop_ and nothing left
    Task task = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    const bool failed = !status_.ok();
    l.unlock();
    absl::Status st = failed ? absl::OkStatus() : Write(task);  // after a failure, later groups are dropped
    l.lock();
    busy_ = false;
    if (!st.ok() && task.snapshot_seq != 0) {
      snapshot_error_ = std::string(st.message());
    } else if (!st.ok() && status_.ok()) {
      status_ = st;
    }
    changed_.notify_all();
  }
}

absl::Status GroupWriter::Write(Task& task) {
  if (task.snapshot_seq != 0) {
    RETURN_IF_ERROR(ledger_->PutSnapshot(task.snapshot_seq, task.snapshot, /*sync=*/false));
    CrashPoint("snapshot");
    return ledger_->PruneSnapshots(task.keep);
  }
  RETURN_IF_ERROR(AppendAndProject(*ledger_, projections_, task.events, /*sync=*/false));
  if (projections_ != nullptr) {
    for (const DaySummary& day : task.days) projections_->WriteDay(day);
  }
  return absl::OkStatus();
}

}  // namespace apollo::runtime
