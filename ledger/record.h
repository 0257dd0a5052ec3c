// The on-disk record and chunk format (grammar in ledger/FORMAT.md and at the
// top of record.cc): encoding records into chunks, and parsing a chunk back
// with every check a reader makes (framing, checksum, sequence, hash chain).
// Pure functions over bytes; RocksDB lives in ledger.cc.
#ifndef APOLLO_LEDGER_RECORD_H_
#define APOLLO_LEDGER_RECORD_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace apollo::ledger {

inline constexpr uint8_t kRecordFormatVersion = 1;
// Format of the ledger as a whole (meta key "format_version").
inline constexpr uint32_t kLedgerFormatVersion = 1;

using Hash = std::array<uint8_t, 32>;
// The hash the first record links to: 32 zero bytes.
inline constexpr Hash kGenesisHash{};
std::string HashHex(const Hash& h);

// What a caller appends: the ledger assigns seq and prev_hash.
struct RecordInput {
  uint16_t tag = 0;
  uint16_t schema_version = 0;
  int64_t ts_ns = 0;
  std::string payload;
};

// A record read back; payload points into the chunk it came from.
struct RecordView {
  uint64_t seq = 0;
  uint16_t tag = 0;
  uint16_t schema_version = 0;
  int64_t ts_ns = 0;
  Hash prev_hash{};
  Hash hash{};  // SHA-256 of this record's body
  absl::string_view payload;
};

// SHA-256 and CRC32C, as the format uses them.
Hash Sha256(absl::string_view bytes);
uint32_t Crc32c(absl::string_view bytes);

// Appends one record for `seq` linking to `prev` to *chunk; returns its hash.
Hash AppendRecord(const RecordInput& in, uint64_t seq, const Hash& prev, std::string* chunk);

// A chunk parsed and checked on its own: records contiguous from first_seq,
// each checksum right, each record linking to the one before it in the chunk.
// The link of the first record to the previous chunk is the caller's to check
// (it is records.front().prev_hash).
struct ParsedChunk {
  uint64_t first_seq = 0;
  std::vector<RecordView> records;
};

// `key_seq` is the chunk's key. Errors are DataLoss naming the first bad seq.
absl::Status ParseChunk(uint64_t key_seq, absl::string_view bytes, ParsedChunk* out);

// DataLoss for a record whose prev_hash does not match its predecessor.
absl::Status BrokenLink(uint64_t seq);

// Big-endian 8-byte keys, so RocksDB's byte order is sequence order.
std::string SeqKey(uint64_t seq);
uint64_t SeqFromKey(absl::string_view key);

}  // namespace apollo::ledger

#endif  // APOLLO_LEDGER_RECORD_H_
