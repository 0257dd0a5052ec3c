// `replay diff`: where two ledgers part ways. Two runs of the same data,
// config and binary give byte-identical ledgers; when they do not, this
// names the first seq whose event differs (type, time or any field) and
// counts each ledger's events per type.
//
// Both ledgers are scanned whole (every check a read makes). Records are
// hash-chained, so the records at seq k are equal exactly when the two
// ledgers agree on everything up to k; the first difference is found by a
// binary search on the record hashes.
//
//   ASSIGN_OR_RETURN(LedgerDiff d, DiffLedgers(*a, *b));
//   std::cout << DiffText(d);  // "identical: 4711 events, head_hash ..." or the difference
#ifndef APOLLO_REPLAY_DIFF_H_
#define APOLLO_REPLAY_DIFF_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/ledger.h"

namespace apollo::replay {

struct LedgerCensus {
  uint64_t events = 0;
  ledger::Hash head_hash = ledger::kGenesisHash;
  std::map<std::string, uint64_t> per_type;  // event name → count
};

struct LedgerDiff {
  LedgerCensus a, b;
  uint64_t common_prefix = 0;  // events equal in both, from seq 1
  bool identical = false;
  // The first differing seq's events as JSON; "none ..." past a ledger's end.
  std::string a_event, b_event;
  // How they differ: "ts_ns", "type", "data.<field>" (empty past an end).
  std::vector<std::string> differing_fields;
};

// DataLoss from either ledger (prefixed "A: " or "B: ").
absl::StatusOr<LedgerDiff> DiffLedgers(const ledger::Ledger& a, const ledger::Ledger& b);

// What `replay diff` prints.
std::string DiffText(const LedgerDiff& diff);

}  // namespace apollo::replay

#endif  // APOLLO_REPLAY_DIFF_H_
