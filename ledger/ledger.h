// The ledger: Apollo's append-only, sequenced, hash-chained event store on
// RocksDB. One writer appends; any number of audit readers follow it.
//
//   ASSIGN_OR_RETURN(auto ledger, Ledger::OpenWriter("data/ledger"));
//   ASSIGN_OR_RETURN(uint64_t first, ledger->Append(records, /*sync=*/true));
//   RETURN_IF_ERROR(ledger->Scan(1, ledger->head().last_seq,
//                                [](const RecordView& r) { ...; return absl::OkStatus(); }));
//
// Guarantees: sequence numbers start at 1 and have no gaps; an Append is one
// RocksDB WriteBatch holding its records and the new head, so after any crash
// the ledger ends on a batch boundary; every read checks checksums, sequence
// and hash chain, and reports the first bad seq as DataLoss. Nothing is
// repaired. A failed write latches: every later Append fails until reopen.
// RocksDB statuses become absl::Status here and nowhere else.
#ifndef APOLLO_LEDGER_LEDGER_H_
#define APOLLO_LEDGER_LEDGER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "ledger/disk_faults.h"
#include "ledger/record.h"

namespace apollo::ledger {

struct Head {
  uint64_t last_seq = 0;
  Hash last_hash = kGenesisHash;
};

// A stored snapshot of folded state (bytes are the caller's encoding).
struct Snapshot {
  uint64_t seq = 0;
  Hash hash_at_seq{};  // hash of the record at seq when it was taken
  std::string state;
};

// Iterates raw chunks (RocksDB values) in key order; for the replay pipeline,
// which checks them with ParseChunk on several threads.
class ChunkCursor {
 public:
  virtual ~ChunkCursor() = default;
  // False at the end or on error (see status()). *key_seq is the chunk key.
  virtual bool Next(uint64_t* key_seq, std::string* bytes) = 0;
  virtual absl::Status status() const = 0;
};

struct WriterOptions {
  // Tests and drills: the file-system seam the writer runs on (none: the disk).
  std::shared_ptr<DiskFaults> faults;
};

class Ledger {
 public:
  // The writer: creates the ledger if `dir` holds none. FailedPrecondition if
  // another process has it open for writing; DataLoss, one line naming the
  // file or seq, if it is not an Apollo ledger of a format this build reads,
  // a RocksDB file is damaged or missing (every SST written since the last
  // open is checksummed whole; the WAL may end torn, never corrupt), or its
  // head disagrees with its events. Nothing is written when it refuses.
  static absl::StatusOr<std::unique_ptr<Ledger>> OpenWriter(const std::string& dir,
                                                            const WriterOptions& options = {});
  // An audit reader (RocksDB secondary instance): safe beside a running
  // writer, never changes the ledger. NotFound if there is no ledger.
  static absl::StatusOr<std::unique_ptr<Ledger>> OpenReader(const std::string& dir);

  virtual ~Ledger() = default;

  virtual Head head() const = 0;
  // Reader: catch up with what the writer has committed since.
  virtual absl::Status Refresh() = 0;

  // Assigns the next sequence numbers to `records` and commits them with the
  // new head in one WriteBatch; fsyncs the WAL first when `sync`. Returns the
  // first seq assigned. Writer only; not thread-safe. A full disk fails it
  // with ResourceExhausted "ledger disk full: N bytes free under DIR"; any
  // failure latches (see above).
  [[nodiscard]] virtual absl::StatusOr<uint64_t> Append(absl::Span<const RecordInput> records,
                                                        bool sync) = 0;

  // Calls fn for each record in [from, to] in order, verifying everything.
  // The chain is checked from the genesis when from == 1, else from the first
  // record read; ending at the head checks the head hash too.
  [[nodiscard]] virtual absl::Status Scan(
      uint64_t from, uint64_t to, const std::function<absl::Status(const RecordView&)>& fn) const = 0;
  // The record with this seq; its payload points into *chunk_out.
  [[nodiscard]] virtual absl::StatusOr<RecordView> Get(uint64_t seq, std::string* chunk_out) const = 0;
  // Chunks from the one holding from_seq to the end.
  virtual std::unique_ptr<ChunkCursor> ReadChunks(uint64_t from_seq) const = 0;

  // Stores a snapshot of state folded up to seq (writer only).
  [[nodiscard]] virtual absl::Status PutSnapshot(uint64_t seq, absl::string_view state, bool sync) = 0;
  // The newest snapshot at or before max_seq whose checksum is right, whose
  // seq is in the ledger and whose hash matches the record there. Snapshots
  // that fail these checks are skipped and described in *skipped (never
  // deleted or repaired).
  [[nodiscard]] virtual absl::StatusOr<std::optional<Snapshot>> LatestSnapshot(
      uint64_t max_seq, std::vector<std::string>* skipped) const = 0;
  // Keeps the newest `keep` snapshots, deletes older ones (writer only).
  [[nodiscard]] virtual absl::Status PruneSnapshots(size_t keep) = 0;

  // Writer: a consistent copy of the ledger as it is at this instant, into
  // `dir` (which must not exist): a RocksDB checkpoint, memtables flushed
  // first, table files hard-linked when `dir` is on the same filesystem
  // (else copied). Appends may go on meanwhile; they are not in the copy.
  [[nodiscard]] virtual absl::Status Checkpoint(const std::string& dir) = 0;
  // Flushes memtables to SST files (a clean stop: the next open replays no WAL).
  [[nodiscard]] virtual absl::Status Flush() = 0;

  // Test hook: XORs one byte of the stored record `seq` at byte `offset` from
  // the start of its frame, writing the chunk back as it is otherwise.
  [[nodiscard]] virtual absl::Status CorruptRecordForTesting(uint64_t seq, size_t offset) = 0;
  // Test hook: sets the stored format version.
  [[nodiscard]] virtual absl::Status SetFormatVersionForTesting(uint32_t version) = 0;
};

// Where a checkpoint of the ledger in `ledger_dir` taken at `t` goes:
// beside it, on its filesystem (Checkpoint then hard-links):
// "<absolute ledger_dir>.checkpoint-YYYYMMDD-HHMMSS" (UTC).
inline constexpr absl::string_view kCheckpointInfix = ".checkpoint-";
std::string CheckpointDir(const std::string& ledger_dir, absl::Time t);

}  // namespace apollo::ledger

#endif  // APOLLO_LEDGER_LEDGER_H_
