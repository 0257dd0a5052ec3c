// Domain events <-> ledger records.
#include "ledger/event_log.h"

#include "absl/strings/str_cat.h"
#include "engine/domain/codec.h"
#include "engine/domain/status_macros.h"

namespace apollo::ledger {

RecordInput ToRecord(const Event& event) {
  RecordInput r;
  r.tag = static_cast<uint16_t>(TagOf(event.body));
  r.schema_version = SchemaVersionOf(event.body);
  r.ts_ns = event.ts_ns;
  EncodeBody(event.body, &r.payload);
  return r;
}

absl::StatusOr<uint64_t> AppendEvents(Ledger& ledger, std::vector<Event>& events, bool sync) {
  std::vector<RecordInput> records;
  records.reserve(events.size());
  for (const Event& e : events) records.push_back(ToRecord(e));
  ASSIGN_OR_RETURN(const uint64_t first, ledger.Append(records, sync));
  for (size_t i = 0; i < events.size(); ++i) events[i].seq = first + i;
  return first;
}

absl::StatusOr<Event> DecodeRecord(const RecordView& record) {
  auto body = DecodeBody(record.tag, record.schema_version, record.payload);
  if (!body.ok()) {
    return absl::DataLossError(absl::StrCat("seq ", record.seq, ": ", body.status().message()));
  }
  return Event{record.seq, record.ts_ns, *std::move(body)};
}

}  // namespace apollo::ledger
