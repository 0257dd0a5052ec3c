// Folding a ledger into State: the one path used by start-up, crash recovery
// and audit replay.
//
//   FoldOptions opts;                       // newest valid snapshot + tail
//   ASSIGN_OR_RETURN(FoldResult r, FoldLedger(*ledger, opts));
//   use(r.state);
//
// Reading, checking (checksums, sequence, hash chain) and decoding+folding run
// as a two-stage pipeline on two threads: a reader thread fetches and checks
// chunks while the calling thread decodes and folds them. Any inconsistency
// is DataLoss naming the first bad seq.
#ifndef APOLLO_REPLAY_FOLD_H_
#define APOLLO_REPLAY_FOLD_H_

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/domain/state.h"
#include "ledger/ledger.h"

namespace apollo::replay {

struct FoldOptions {
  // Start from the newest valid snapshot at or before to_seq; else from seq 1.
  bool use_snapshot = true;
  // Fold up to this seq (clamped to the head).
  uint64_t to_seq = std::numeric_limits<uint64_t>::max();
  // Called after each chunk with the last folded seq.
  std::function<void(uint64_t seq)> progress;
  // Called with every folded event, after it was applied.
  std::function<absl::Status(const Event& event, const State& state)> on_event;
};

struct FoldResult {
  State state;
  uint64_t snapshot_seq = 0;   // 0 when folded from the start
  uint64_t events_folded = 0;  // events applied after the snapshot
  ledger::Hash last_hash = ledger::kGenesisHash;
  std::vector<std::string> skipped_snapshots;  // why newer snapshots were not used
};

[[nodiscard]] absl::StatusOr<FoldResult> FoldLedger(const ledger::Ledger& ledger,
                                                    const FoldOptions& options);

}  // namespace apollo::replay

#endif  // APOLLO_REPLAY_FOLD_H_
