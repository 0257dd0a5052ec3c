// What a ledger journaled, read back for a re-run: its config (the last
// ConfigLoaded that carries the text) and its bars. `bot backtest --like
// LEDGER` runs those bars with that config through the paper venue.
#ifndef APOLLO_REPLAY_JOURNAL_H_
#define APOLLO_REPLAY_JOURNAL_H_

#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/statusor.h"
#include "engine/config/config.h"
#include "engine/domain/events.h"
#include "ledger/ledger.h"

namespace apollo::replay {

struct Journaled {
  std::string config_text;          // empty if no ConfigLoaded carried it
  // Each symbol's bars, in order.
  absl::btree_map<Symbol, std::vector<CandleClose>> bars;
  // Each symbol's venue filters as last journaled (InstrumentFiltersUpdated).
  absl::btree_map<Symbol, InstrumentFilters> filters;
};

// FailedPrecondition when the ledger holds no bar.
absl::StatusOr<Journaled> ReadJournaled(const ledger::Ledger& ledger);

// The bars as the bundled CSV format (open_time_ms,open,high,low,close,volume).
std::string BarsCsv(const std::vector<CandleClose>& bars);

}  // namespace apollo::replay

#endif  // APOLLO_REPLAY_JOURNAL_H_
