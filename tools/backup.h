// Backups of the ledger for `bot backup` and `bot restore`: a consistent
// RocksDB checkpoint (Ledger::Checkpoint), verified from seq 1 as `replay
// verify` does before it counts as a backup, kept by a daily/weekly
// retention, and restored under the lock.
//
// The checkpoint is taken beside the ledger, `<ledger>.checkpoint-STAMP`
// (ledger::CheckpointDir)
// (same filesystem: hard links, milliseconds, by the running bot or under
// the lock), then moved under the backups root as `ledger-STAMP` (STAMP is
// YYYYMMDD-HHMMSS, UTC), with `ledger-STAMP.verify` beside it holding its
// verify line. It travels as `ledger-STAMP.partial` and is renamed only once
// verified and synced to disk, so a crash never leaves a half-written or
// unverified directory under a backup's name.
//
//   ASSIGN_OR_RETURN(VerifiedLedger v, SealBackup(staging, root + "/ledger-20261206-020000", seq));
//   ASSIGN_OR_RETURN(std::vector<std::string> removed, PruneBackups(root, /*keep_daily=*/7, /*keep_weekly=*/4, now));
#ifndef APOLLO_TOOLS_BACKUP_H_
#define APOLLO_TOOLS_BACKUP_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace apollo::tools {

// What `replay verify` prints for a sound ledger.
struct VerifiedLedger {
  uint64_t events = 0, last_seq = 0;
  std::string head_hash;
  std::string Line() const;  // "OK events=N last_seq=N head_hash=H"
};

// Folds the ledger in `dir` from seq 1 without a snapshot: every checksum,
// the sequence, the hash chain, the head and every event's fold. NotFound
// when `dir` holds no ledger; the first damage as DataLoss. `progress`,
// when set, is told the seq reached and the head as it goes.
using VerifyProgress = std::function<void(uint64_t seq, uint64_t head)>;
absl::StatusOr<VerifiedLedger> VerifyLedgerDir(const std::string& dir, const VerifyProgress& progress = nullptr);

// "ledger-YYYYMMDD-HHMMSS" of `t` in UTC.
std::string BackupName(absl::Time t);
// The time a backup's name stands for; nullopt for any other name.
std::optional<absl::Time> BackupTime(absl::string_view name);

// The backups among `names` (other names are ignored) that a retention of
// the newest backup of each of the last `keep_daily` days with a backup and
// of each of the last `keep_weekly` ISO weeks with one removes (UTC). Both
// 0: none (no retention asked). The newest backup is always kept.
std::vector<std::string> ExpiredBackups(std::vector<std::string> names, int keep_daily, int keep_weekly);

// A checkpoint staged in `staging`: verified (its last seq must be
// `expected_seq` when that is not 0), moved to `final_dir`.partial (copied
// when on another filesystem, then verified again), synced to disk, its
// verify line written to `final_dir`.verify, then renamed to `final_dir`.
// Whatever fails, the staging and partial directories are removed and the
// error says what was wrong.
absl::StatusOr<VerifiedLedger> SealBackup(const std::string& staging, const std::string& final_dir,
                                          uint64_t expected_seq, const VerifyProgress& progress = nullptr);

// Applies ExpiredBackups to the verified backups under `root` (a directory
// counts only with its `.verify` file), and removes what a crash left more
// than an hour ago: `.partial` directories, RocksDB's `.tmp` staging and
// `.verify` files without their directory. The names removed.
absl::StatusOr<std::vector<std::string>> PruneBackups(const std::string& root, int keep_daily, int keep_weekly,
                                                      absl::Time now);
// Removes checkpoints staged beside `ledger_dir` more than an hour ago (a
// backup that crashed before moving its checkpoint). The names removed.
std::vector<std::string> PruneStaging(const std::string& ledger_dir, absl::Time now);

struct Restored {
  VerifiedLedger verified;       // the ledger now in place (before the nonce rotation)
  std::string previous_ledger;   // where the ledger that was there went ("" if none)
  std::string previous_logs;     // where its projections went ("" if none)
  std::string rotated_nonce;     // the client id nonce now in use ("": paper, none)
};
// Puts the backup `from` in place as the ledger `ledger_dir`; the caller
// holds the mode's lock (no bot runs). In this order, and nothing is
// changed if a step before the swap fails: `from` is verified; copied
// (never moved: it stays a backup) to `<ledger_dir>.restoring`, synced and
// verified again; the projections derived from the old ledger
// (trades.csv, orders.csv, thinking.jsonl, the daily summaries) move to
// `<logs_dir>/before-restore-STAMP/`, as the next start writes them again;
// the ledger there moves aside to `<ledger_dir>.before-restore-STAMP` and
// the copy takes its place (if that fails, the old ledger is put back).
// Then a testnet or live ledger (one with a client id nonce) gets a new
// nonce (ClientIdNonceRotated): its sequence numbers go back, and its next
// orders must not reuse client ids the venue saw after the backup.
absl::StatusOr<Restored> RestoreLedger(const std::string& from, const std::string& ledger_dir,
                                       const std::string& logs_dir, absl::Time now,
                                       const VerifyProgress& progress = nullptr);

}  // namespace apollo::tools

#endif  // APOLLO_TOOLS_BACKUP_H_
