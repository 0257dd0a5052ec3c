// A seam under the ledger writer's files: given to Ledger::OpenWriter, it
// passes every file operation of the ledger's RocksDB through to the real
// file system until told to fail, the way a sick disk would. For tests, and
// for drills through the bot's APOLLO_LEDGER_FAULTS environment variable.
//
//   auto faults = std::make_shared<DiskFaults>();
//   ASSIGN_OR_RETURN(auto ledger, Ledger::OpenWriter(dir, {.faults = faults}));
//   faults->NoSpaceAfter(4096);   // the disk fills 4 KiB from now: ENOSPC
//   faults->FailSyncsAfter(0);    // the next fsync and every later one: EIO
//   faults->CutPower();           // nothing more reaches the disk...
//   ledger.reset();
//   faults->DropUnsynced();       // ...and what was not fsynced is gone
//
// Thread-safe: RocksDB calls it from its own threads.
#ifndef APOLLO_LEDGER_DISK_FAULTS_H_
#define APOLLO_LEDGER_DISK_FAULTS_H_

#include <cstdint>
#include <memory>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rocksdb {
class FileSystem;
}

namespace apollo::ledger {

class DiskFaults {
 public:
  DiskFaults();
  ~DiskFaults();
  DiskFaults(const DiskFaults&) = delete;
  DiskFaults& operator=(const DiskFaults&) = delete;

  // The drill's spec, comma-separated: `nospace_after=BYTES` (the disk fills
  // after BYTES more bytes are written) and `fail_sync_after=N` (the (N+1)th
  // sync from now and every later one fail with EIO) and `kill_after_bytes=N`
  // (the crash matrix: SIGKILL in the middle of the write that crosses N
  // more bytes). InvalidArgument, one line, for anything else.
  static absl::StatusOr<std::shared_ptr<DiskFaults>> Parse(absl::string_view spec);

  // Writes beyond `bytes` more bytes fail with ENOSPC ("No space left on device").
  void NoSpaceAfter(uint64_t bytes);
  // After `syncs` more successful syncs, every sync fails with EIO.
  void FailSyncsAfter(uint64_t syncs);
  // The process SIGKILLs itself inside the write that crosses `bytes` more
  // bytes, after writing the part before it (a kill mid-append).
  void KillAfter(uint64_t bytes);
  // The disk is well again (space freed): no more faults.
  void Heal();
  // A power cut: from now on every write, sync, rename and delete reports
  // success but changes nothing on disk.
  void CutPower();
  // The same, once `bytes` more bytes are written: the write that crosses
  // it reaches the disk only in part, as a torn write would.
  void CutPowerAfter(uint64_t bytes);
  bool powered() const;
  // After CutPower and once the ledger is closed: cuts every file written
  // through this seam back to the length it had at its last sync, as the
  // page cache would be lost. Files never synced are emptied.
  absl::Status DropUnsynced();

  // Faults injected so far (failed writes and syncs).
  uint64_t injected() const;
  // While the disk is "full", what the ledger should report free (0), else
  // nullopt: ask the real file system.
  std::optional<uint64_t> free_bytes() const;

  // For ledger.cc: the file system the writer's RocksDB runs on.
  std::shared_ptr<rocksdb::FileSystem> file_system();

  struct State;  // disk_faults.cc's

 private:
  std::shared_ptr<State> state_;
  std::shared_ptr<rocksdb::FileSystem> fs_;
};

}  // namespace apollo::ledger

#endif  // APOLLO_LEDGER_DISK_FAULTS_H_
