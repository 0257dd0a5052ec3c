// Appends the engine's unsynced groups on a thread of its own, for runs
// whose venue is simulated (paper at --speed max, backtests): the engine
// decides the next bars while the last group is encoded, hashed, written to
// RocksDB and to the projections. Still one writer: while groups are in
// flight only this thread touches the ledger and the projections, and the
// engine drains it before any append or read of its own.
//
//   GroupWriter writer(ledger, projections);
//   RETURN_IF_ERROR(writer.Submit(std::move(events)));   // a failure of an earlier group
//   RETURN_IF_ERROR(writer.Drain());                      // everything appended
//
// A failed append latches: Submit and Drain return it from then on, and
// later groups are dropped (the run halts; a restart decides them again).
#ifndef APOLLO_ENGINE_RUNTIME_GROUP_WRITER_H_
#define APOLLO_ENGINE_RUNTIME_GROUP_WRITER_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "engine/domain/events.h"
#include "engine/runtime/projections.h"
#include "ledger/ledger.h"

namespace apollo::runtime {

// Appends `events` (their seqs already assigned by the fold: Internal if the
// ledger assigns others), then writes their projection rows (`projections`
// may be null); `append_seconds`, when given, gets the append's latency. The
// one append path of the engine and of GroupWriter.
absl::Status AppendAndProject(ledger::Ledger& ledger, Projections* projections, std::vector<Event>& events, bool sync,
                              double* append_seconds = nullptr);

class GroupWriter {
 public:
  // `projections` may be null. At most `max_queued` groups wait; Submit
  // blocks beyond that.
  GroupWriter(ledger::Ledger* ledger, Projections* projections, size_t max_queued = 4);
  // Drains and stops the thread.
  ~GroupWriter();
  GroupWriter(const GroupWriter&) = delete;
  GroupWriter& operator=(const GroupWriter&) = delete;

  // Hands over events (consecutive seqs following the last group's), and
  // the days they closed: their daily_summary files are written once the
  // events are appended (Projections::WriteDay).
  absl::Status Submit(std::vector<Event> events, std::vector<DaySummary> days = {});
  // A snapshot of the state at `seq`, stored once the groups before it are
  // appended; older ones beyond `keep` are pruned. A failed snapshot is not
  // a failed append: it is reported by TakeSnapshotError.
  void SubmitSnapshot(uint64_t seq, std::string state, size_t keep);
  // Waits until everything handed over is appended.
  absl::Status Drain();
  // The last snapshot failure since the previous call ("" if none).
  std::string TakeSnapshotError();

 private:
  struct Task {
    std::vector<Event> events;
    std::vector<DaySummary> days;
    uint64_t snapshot_seq = 0;
    std::string snapshot;
    size_t keep = 0;
  };
  void Run();
  absl::Status Write(Task& task);

  ledger::Ledger* const ledger_;
  Projections* const projections_;
  const size_t max_queued_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<Task> queue_;
  bool busy_ = false, stop_ = false;
  absl::Status status_;
  std::string snapshot_error_;
  std::thread thread_;
};

}  // namespace apollo::runtime

#endif  // APOLLO_ENGINE_RUNTIME_GROUP_WRITER_H_
