// The files derived from the ledger: logs/trades.csv (one row per
// PositionClosed), logs/orders.csv (one row per order event) and
// logs/thinking.jsonl (SignalComputed, TradeProposed and the risk decision,
// as JSON). Every row starts with the seq of its event, so after a crash the
// files are caught up from the ledger (CatchUp) without a duplicate row; a
// row cut short by a crash is dropped first. Delete them and they are
// regenerated whole at the next start.
#ifndef APOLLO_ENGINE_RUNTIME_PROJECTIONS_H_
#define APOLLO_ENGINE_RUNTIME_PROJECTIONS_H_

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/domain/events.h"
#include "ledger/ledger.h"

namespace apollo::runtime {

class Projections {
 public:
  static absl::StatusOr<std::unique_ptr<Projections>> Open(const std::string& logs_dir);
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

 private:
  struct File {
    std::FILE* f = nullptr;
    uint64_t last_seq = 0;  // seq of its last row
  };
  enum Kind { kTrades = 0, kOrders = 1, kThinking = 2, kKinds = 3 };
  Projections() = default;
  void WriteOne(const Event& e);
  File files_[kKinds];
};

}  // namespace apollo::runtime

#endif  // APOLLO_ENGINE_RUNTIME_PROJECTIONS_H_
