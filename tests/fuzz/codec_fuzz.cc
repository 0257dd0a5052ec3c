// libFuzzer target: event bodies as the ledger stores them
// (engine/domain/codec.h). Input: tag (u16 LE), schema version (u16 LE),
// then the body bytes. Whatever the bytes, DecodeBody answers; a body that
// decodes re-encodes to bytes that decode to the same event, and renders as
// JSON (what replay and the operator API print).
#include <cstdint>
#include <string>

#include "engine/domain/codec.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace apollo;
  if (size < 4) return 0;
  const auto tag = static_cast<uint16_t>(data[0] | data[1] << 8);
  const auto version = static_cast<uint16_t>(data[2] | data[3] << 8);
  absl::StatusOr<EventBody> body = DecodeBody(tag, version, fuzz::Bytes(data + 4, size - 4));
  if (!body.ok()) return 0;
  FUZZ_CHECK(static_cast<uint16_t>(TagOf(*body)) == tag);
  std::string again;
  EncodeBody(*body, &again);
  absl::StatusOr<EventBody> round = DecodeBody(tag, SchemaVersionOf(*body), again);
  FUZZ_CHECK(round.ok());
  FUZZ_CHECK(*round == *body);
  const Event event{1, 0, *std::move(body)};
  FUZZ_CHECK(!EventToJson(event).empty());
  FUZZ_CHECK(!FieldsAsJson(event.body).empty() || BodyToJson(event.body) == "{}");
  return 0;
}
