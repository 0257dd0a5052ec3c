// Backups of the ledger for `bot backup` and `bot restore`: a consistent
// RocksDB checkpoint (Ledger::Checkpoint), verified from seq 1 as `replay
// verify` does before it counts as a backup, kept by a daily/weekly
// retention, and restored under the lock.
//
// Under a backups root, a backup is the directory `ledger-YYYYMMDD-HHMMSS`
// (UTC, when it was taken) with `ledger-YYYYMMDD-HHMMSS.verify` beside it
// holding its verify line. A checkpoint is written as `<name>.partial` and
// renamed only once verified, so a crash never leaves a half-written or
// unverified directory under a backup's name.
//
//   ASSIGN_OR_RETURN(VerifiedLedger v, SealBackup(root + "/ledger-...partial", root + "/ledger-..."));
//   ASSIGN_OR_RETURN(std::vector<std::string> removed, PruneBackups(root, /*keep_daily=*/7, /*keep_weekly=*/4));
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

// A checkpoint just written to `partial`: verified, its verify line written
// to `final_dir`.verify, then renamed to `final_dir`. A checkpoint that does
// not verify is removed, and the error names what is wrong.
absl::StatusOr<VerifiedLedger> SealBackup(const std::string& partial, const std::string& final_dir,
                                          const VerifyProgress& progress = nullptr);

// Applies ExpiredBackups to the backups under `root` (and removes `.partial`
// directories older than an hour, left by a crash); the names removed.
absl::StatusOr<std::vector<std::string>> PruneBackups(const std::string& root, int keep_daily, int keep_weekly,
                                                      absl::Time now);

struct Restored {
  VerifiedLedger verified;       // the ledger now in place
  std::string previous_ledger;   // where the ledger that was there went ("" if none)
  std::string previous_logs;     // where its projections went ("" if none)
};
// Puts the backup `from` in place as the ledger `ledger_dir`; the caller
// holds the mode's lock (no bot runs). `from` is verified first (nothing is
// touched if it does not verify); the ledger there is moved aside to
// `<ledger_dir>.before-restore-YYYYMMDD-HHMMSS`; the backup is copied (never
// moved: it stays a backup) and the copy verified; the projections derived
// from the old ledger (trades.csv, orders.csv, thinking.jsonl and the daily
// summaries) move to `<logs_dir>/before-restore-YYYYMMDD-HHMMSS/`: the next
// start writes them again from the restored ledger.
absl::StatusOr<Restored> RestoreLedger(const std::string& from, const std::string& ledger_dir,
                                       const std::string& logs_dir, absl::Time now,
                                       const VerifyProgress& progress = nullptr);

}  // namespace apollo::tools

#endif  // APOLLO_TOOLS_BACKUP_H_
