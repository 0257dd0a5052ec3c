// libFuzzer target: ledger chunks (ledger/record.h) and the events in them
// (ledger/event_log.h). Input: a mode byte, the chunk's key seq (u64 LE),
// then the chunk bytes. Random bytes rarely pass a CRC, so the mode can
// repair what a reader checks first and let the fuzzer reach what lies
// behind: bit 0 rewrites each frame's CRC32C, bit 1 each record's seq (from
// the key on) and prev_hash (the link to the record before it).
//
// ParseChunk answers every input; a chunk it accepts is exactly what
// AppendRecord writes for the records it returned, and every record that
// decodes re-encodes to the same event.
#include <cstdint>
#include <cstring>
#include <string>

#include "engine/domain/codec.h"
#include "ledger/event_log.h"
#include "ledger/record.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using apollo::ledger::Hash;

constexpr size_t kBodyHeader = 1 + 2 + 2 + 8 + 8 + 32;  // FORMAT.md
constexpr size_t kSeqAt = 5, kPrevAt = 21;

void Repair(uint8_t mode, uint64_t key_seq, std::string* chunk) {
  size_t at = 0;
  Hash prev{};
  for (uint64_t i = 0; at + 8 <= chunk->size(); ++i) {
    uint32_t body_len;
    std::memcpy(&body_len, chunk->data() + at, 4);
    if (body_len < kBodyHeader || body_len > chunk->size() - at - 8) return;
    char* body = chunk->data() + at + 4;
    if (mode & 2) {
      const uint64_t seq = key_seq + i;
      std::memcpy(body + kSeqAt, &seq, 8);
      if (i > 0) std::memcpy(body + kPrevAt, prev.data(), prev.size());
    }
    const absl::string_view body_bytes(body, body_len);
    if (mode & 1) {
      const uint32_t crc = apollo::ledger::Crc32c(body_bytes);
      std::memcpy(body + body_len, &crc, 4);
    }
    prev = apollo::ledger::Sha256(body_bytes);
    at += 8 + body_len;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace apollo;
  if (size < 9) return 0;
  const uint8_t mode = data[0];
  uint64_t key_seq;
  std::memcpy(&key_seq, data + 1, 8);
  std::string chunk(fuzz::Bytes(data + 9, size - 9));
  Repair(mode, key_seq, &chunk);

  ledger::ParsedChunk parsed;
  if (!ledger::ParseChunk(key_seq, chunk, &parsed).ok()) return 0;
  FUZZ_CHECK(!parsed.records.empty());
  std::string rebuilt;
  for (const ledger::RecordView& r : parsed.records) {
    const ledger::RecordInput in{r.tag, r.schema_version, r.ts_ns, std::string(r.payload)};
    FUZZ_CHECK(ledger::AppendRecord(in, r.seq, r.prev_hash, &rebuilt) == r.hash);
    absl::StatusOr<Event> event = ledger::DecodeRecord(r);
    if (!event.ok()) continue;
    FUZZ_CHECK(event->seq == r.seq);
    const ledger::RecordInput again = ledger::ToRecord(*event);
    absl::StatusOr<EventBody> round = DecodeBody(again.tag, again.schema_version, again.payload);
    FUZZ_CHECK(round.ok() && *round == event->body);
    FUZZ_CHECK(!EventToJson(*event).empty());
  }
  FUZZ_CHECK(rebuilt == chunk);
  return 0;
}
