// Encoding and decoding of events: body bytes (wire.h) keyed by the event's
// tag and schema version, which the ledger stores beside them. Encoding is
// deterministic: the same event always gives the same bytes.
#ifndef APOLLO_ENGINE_DOMAIN_CODEC_H_
#define APOLLO_ENGINE_DOMAIN_CODEC_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/domain/events.h"

namespace apollo {

EventTag TagOf(const EventBody& body);
uint16_t SchemaVersionOf(const EventBody& body);
// "OrderFilled"; "Unknown" for a tag this build does not know.
absl::string_view EventName(uint16_t tag);
// Case-sensitive lookup of an event name; false if unknown.
bool EventTagFromName(absl::string_view name, EventTag* tag);
// Every event name, in tag order.
std::vector<absl::string_view> AllEventNames();

void EncodeBody(const EventBody& body, std::string* out);
// InvalidArgument for an unknown tag or version or malformed bytes; the
// ledger reports these as DataLoss with the sequence number.
absl::StatusOr<EventBody> DecodeBody(uint16_t tag, uint16_t schema_version,
                                     absl::string_view bytes);

// {"seq":N,"ts_ns":T,"type":"OrderFilled","data":{...}}
std::string EventToJson(const Event& event);
// The body's fields as (name, value as JSON), in the order it lists them:
// what audits compare field by field.
std::vector<std::pair<std::string, std::string>> FieldsAsJson(const EventBody& body);
// The body alone as a JSON object.
std::string BodyToJson(const EventBody& body);

}  // namespace apollo

#endif  // APOLLO_ENGINE_DOMAIN_CODEC_H_
