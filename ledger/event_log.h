// Events in and out of the ledger: encodes domain events into records on
// append and decodes records back, turning a record this build cannot decode
// into DataLoss naming its seq.
#ifndef APOLLO_LEDGER_EVENT_LOG_H_
#define APOLLO_LEDGER_EVENT_LOG_H_

#include <vector>

#include "absl/status/statusor.h"
#include "engine/domain/events.h"
#include "ledger/ledger.h"

namespace apollo::ledger {

// Appends `events` as one batch and sets each one's seq. Returns the first seq.
[[nodiscard]] absl::StatusOr<uint64_t> AppendEvents(Ledger& ledger, std::vector<Event>& events,
                                                    bool sync);

RecordInput ToRecord(const Event& event);
[[nodiscard]] absl::StatusOr<Event> DecodeRecord(const RecordView& record);

}  // namespace apollo::ledger

#endif  // APOLLO_LEDGER_EVENT_LOG_H_
