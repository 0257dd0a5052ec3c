// The files derived from the ledger: logs/trades.csv (one row per
// PositionClosed), logs/orders.csv (one row per order event) and
// logs/thinking.jsonl (SignalComputed, TradeProposed and the risk decision,
// as JSON). Every row starts with the seq of its event, so after a crash the
// files are caught up from the ledger (CatchUp) without a duplicate row; a
// row cut short by a crash is dropped first. Delete them and they are
// regenerated whole at the next start.
//
// A file that cannot be written (full disk, I/O error) never stops the
// engine: it is closed, reported once to the fault handler (which logs,
// alerts and counts), left behind while the engine trades on, and every
// kRetrySeconds (by default) Heal() reopens it and catches it up from the ledger.
#ifndef APOLLO_ENGINE_RUNTIME_PROJECTIONS_H_
#define APOLLO_ENGINE_RUNTIME_PROJECTIONS_H_

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "engine/domain/state.h"
#include "ledger/ledger.h"

namespace apollo::runtime {

class Projections {
 public:
  // Called on the writing thread once when a file fails (`recovered` false,
  // `what` the error) and once when it is caught up again (true); a retry
  // that fails again is not reported again.
  using FaultHandler = std::function<void(const std::string& file, const std::string& what, bool recovered)>;
  static constexpr int64_t kRetrySeconds = 10;

  // A file that cannot be opened starts out failed (see above). Without a
  // handler (replay export) that is an error instead.
  static absl::StatusOr<std::unique_ptr<Projections>> Open(const std::string& logs_dir,
                                                           FaultHandler on_fault = nullptr,
                                                           absl::Duration retry_every = absl::Seconds(kRetrySeconds));
  ~Projections();

  // Writes the rows of events the files do not have yet, from the ledger.
  absl::Status CatchUp(const ledger::Ledger& ledger);
  // The same for events in [from_seq, to_seq] only (to_seq clamped to the
  // head), for `replay export --from --to`. `progress`, when set, is called
  // with the seq reached every few thousand events.
  absl::Status CatchUp(const ledger::Ledger& ledger, uint64_t from_seq, uint64_t to_seq,
                       const std::function<void(uint64_t seq)>& progress = nullptr);
  // Writes the rows of just-appended events.
  absl::Status Write(absl::Span<const Event> events);
  void Flush();
  // Reopens and catches up the failed files whose retry time has come.
  void Heal(const ledger::Ledger& ledger);
  // logs/daily_summary_YYYY-MM-DD.{json,csv} of a closed day (daily_summary.h).
  // A failure is reported as "daily_summary" and counted, never fatal; the
  // day is written again at the next start if it is still the last one
  // closed, and `replay export` writes every day.
  void WriteDay(const DaySummary& day);

  // Files that failed so far (each closes its file until it heals; failed
  // retries do not count again).
  uint64_t write_failures() const { return write_failures_; }
  bool behind() const { return failed_ > 0; }

 private:
  struct File {
    std::string path;
    std::FILE* f = nullptr;  // null while failed
    uint64_t last_seq = 0;   // seq of its last row
    absl::Time retry_at = absl::InfinitePast();
    bool reported = false;   // its failure was reported and it has not healed since
  };
  enum Kind { kTrades = 0, kOrders = 1, kThinking = 2, kKinds = 3 };
  Projections() = default;
  void WriteOne(const Event& e);
  absl::Status Reopen(File& file, int kind);
  void Fail(File& file, const std::string& what);
  File files_[kKinds];
  std::string logs_dir_;
  bool day_failed_ = false;  // reported, not written since
  FaultHandler on_fault_;
  absl::Duration retry_every_;
  uint64_t write_failures_ = 0;
  int failed_ = 0;  // files now failed
};

}  // namespace apollo::runtime

#endif  // APOLLO_ENGINE_RUNTIME_PROJECTIONS_H_
