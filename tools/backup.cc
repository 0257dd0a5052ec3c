// Backups of the ledger: see backup.h.
#include "tools/backup.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <system_error>

#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "engine/domain/status_macros.h"
#include "engine/orders/orders.h"
#include "ledger/event_log.h"
#include "ledger/ledger.h"
#include "ledger/record.h"
#include "replay/fold.h"

namespace apollo::tools {
namespace {

namespace fs = std::filesystem;

constexpr absl::string_view kPrefix = "ledger-";
constexpr absl::string_view kPartial = ".partial";
constexpr absl::string_view kVerify = ".verify";
// A `.partial` directory this old is a crashed backup's, not one being written.
constexpr absl::Duration kPartialStale = absl::Hours(1);

absl::Status FsError(const std::error_code& ec, absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", ec.message()));
}

std::string Stamp(absl::Time t) { return absl::FormatTime("%Y%m%d-%H%M%S", t, absl::UTCTimeZone()); }

// The ISO week a time falls in (UTC), as year*100 + week.
int IsoWeek(absl::Time t) {
  const absl::CivilDay day = absl::ToCivilDay(t, absl::UTCTimeZone());
  // The ISO week's Thursday decides its year.
  const int weekday = static_cast<int>(absl::GetWeekday(day));  // absl: Monday 0 .. Sunday 6
  const absl::CivilDay thursday = day - weekday + 3;
  const absl::CivilDay jan1(thursday.year(), 1, 1);
  return static_cast<int>(thursday.year()) * 100 + static_cast<int>((thursday - jan1) / 7) + 1;
}

// fsync of one file or directory.
absl::Status SyncPath(const fs::path& p, bool directory) {
  const int fd = ::open(p.c_str(), (directory ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot open ", p.string(), " to sync it"));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return absl::InternalError(absl::StrCat("cannot sync ", p.string(), " to disk"));
  return absl::OkStatus();
}

// Every file and directory under `root`, and `root`, synced to disk.
absl::Status SyncTree(const fs::path& root) {
  std::error_code ec;
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(root, ec)) {
    RETURN_IF_ERROR(SyncPath(e.path(), e.is_directory()));
  }
  if (ec) return FsError(ec, absl::StrCat("listing ", root.string()));
  return SyncPath(root, true);
}

// Moves `from` to `to`: a rename, or across filesystems (and across the
// bind mounts of a systemd unit) a copy and a removal (*copied then true).
absl::Status Move(const fs::path& from, const fs::path& to, bool* copied = nullptr) {
  std::error_code ec;
  if (copied != nullptr) *copied = false;
  fs::rename(from, to, ec);
  if (!ec) return absl::OkStatus();
  if (ec != std::errc::cross_device_link) return FsError(ec, absl::StrCat("moving ", from.string(), " to ", to.string()));
  fs::copy(from, to, fs::copy_options::recursive, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove_all(to, ignored);
    return FsError(ec, absl::StrCat("copying ", from.string(), " to ", to.string()));
  }
  if (copied != nullptr) *copied = true;
  fs::remove_all(from, ec);
  if (ec) return FsError(ec, absl::StrCat("removing ", from.string()));
  return absl::OkStatus();
}

// The stamp of a name "<prefix>YYYYMMDD-HHMMSS<suffix>" as a time.
std::optional<absl::Time> StampOf(absl::string_view name, absl::string_view prefix, absl::string_view suffix) {
  if (!absl::ConsumePrefix(&name, prefix) || !absl::ConsumeSuffix(&name, suffix)) return std::nullopt;
  return BackupTime(absl::StrCat(kPrefix, name));
}

bool IsProjection(const std::string& name) {
  return name == "trades.csv" || name == "orders.csv" || name == "thinking.jsonl" ||
         absl::StartsWith(name, "daily_summary_");
}

}  // namespace

std::string VerifiedLedger::Line() const {
  return absl::StrCat("OK events=", events, " last_seq=", last_seq, " head_hash=", head_hash);
}

absl::StatusOr<VerifiedLedger> VerifyLedgerDir(const std::string& dir, const VerifyProgress& progress) {
  ASSIGN_OR_RETURN(std::unique_ptr<ledger::Ledger> reader, ledger::Ledger::OpenReader(dir));
  replay::FoldOptions options;
  options.use_snapshot = false;
  const uint64_t head = reader->head().last_seq;
  if (progress) options.progress = [&](uint64_t seq) { progress(seq, head); };
  ASSIGN_OR_RETURN(replay::FoldResult folded, replay::FoldLedger(*reader, options));
  return VerifiedLedger{folded.events_folded, folded.state.last_seq, ledger::HashHex(folded.last_hash)};
}

std::string BackupName(absl::Time t) { return absl::StrCat(kPrefix, Stamp(t)); }

std::optional<absl::Time> BackupTime(absl::string_view name) {
  if (!absl::ConsumePrefix(&name, kPrefix) || name.size() != 15 || name[8] != '-') return std::nullopt;
  for (size_t i = 0; i < name.size(); ++i) {
    if (i != 8 && (name[i] < '0' || name[i] > '9')) return std::nullopt;
  }
  // (absl::ParseTime's %Y would read all eight digits as the year.)
  int f[6] = {};
  const std::pair<size_t, size_t> at[6] = {{0, 4}, {4, 2}, {6, 2}, {9, 2}, {11, 2}, {13, 2}};
  for (int i = 0; i < 6; ++i) {
    if (!absl::SimpleAtoi(name.substr(at[i].first, at[i].second), &f[i])) return std::nullopt;
  }
  const absl::Time t = absl::FromCivil(absl::CivilSecond(f[0], f[1], f[2], f[3], f[4], f[5]), absl::UTCTimeZone());
  if (Stamp(t) != name) return std::nullopt;  // 20261332-... is not a date: it normalised
  return t;
}

std::vector<std::string> ExpiredBackups(std::vector<std::string> names, int keep_daily, int keep_weekly) {
  if (keep_daily <= 0 && keep_weekly <= 0) return {};
  std::vector<std::pair<absl::Time, std::string>> backups;
  for (std::string& n : names) {
    if (std::optional<absl::Time> t = BackupTime(n)) backups.emplace_back(*t, std::move(n));
  }
  std::sort(backups.begin(), backups.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::set<absl::CivilDay> days;
  std::set<int> weeks;
  std::vector<std::string> expired;
  for (size_t i = 0; i < backups.size(); ++i) {
    const auto& [t, name] = backups[i];
    const absl::CivilDay day = absl::ToCivilDay(t, absl::UTCTimeZone());
    const int week = IsoWeek(t);
    // Newest first: the first backup met of a day (week) is its newest.
    bool keep = i == 0;
    keep = keep || (!days.contains(day) && days.size() < static_cast<size_t>(std::max(keep_daily, 0)));
    keep = keep || (!weeks.contains(week) && weeks.size() < static_cast<size_t>(std::max(keep_weekly, 0)));
    days.insert(day);
    weeks.insert(week);
    if (!keep) expired.push_back(name);
  }
  return expired;
}

absl::StatusOr<VerifiedLedger> SealBackup(const std::string& staging, const std::string& final_dir,
                                          uint64_t expected_seq, const VerifyProgress& progress) {
  const std::string partial = final_dir + std::string(kPartial);
  const std::string verify_file = final_dir + std::string(kVerify);
  auto give_up = [&](absl::Status why) {
    std::error_code ignored;
    fs::remove_all(staging, ignored);
    fs::remove_all(partial, ignored);
    fs::remove(verify_file, ignored);
    return why;
  };
  absl::StatusOr<VerifiedLedger> verified = VerifyLedgerDir(staging, progress);
  if (!verified.ok()) {
    return give_up(absl::DataLossError(absl::StrCat("the checkpoint does not verify, so it was removed: ",
                                                    verified.status().message())));
  }
  if (expected_seq != 0 && verified->last_seq != expected_seq) {
    return give_up(absl::DataLossError(absl::StrCat("the checkpoint ends at seq ", verified->last_seq,
                                                    " but was taken at seq ", expected_seq, ", so it was removed")));
  }
  bool copied = false;
  if (absl::Status st = Move(staging, partial, &copied); !st.ok()) return give_up(st);
  if (copied) {  // another filesystem: what arrived is checked, not assumed
    absl::StatusOr<VerifiedLedger> again = VerifyLedgerDir(partial);
    if (!again.ok() || again->head_hash != verified->head_hash) {
      return give_up(absl::DataLossError(absl::StrCat("the copy of the checkpoint in ", partial,
                                                      " does not verify as the checkpoint did, so it was removed")));
    }
  }
  if (absl::Status st = SyncTree(partial); !st.ok()) return give_up(st);
  {
    std::ofstream out(verify_file, std::ios::trunc);
    out << verified->Line() << "\n";
    out.close();
    if (!out) return give_up(absl::InternalError(absl::StrCat("cannot write ", verify_file)));
  }
  if (absl::Status st = SyncPath(verify_file, false); !st.ok()) return give_up(st);
  std::error_code ec;
  fs::rename(partial, final_dir, ec);
  if (ec) return give_up(FsError(ec, absl::StrCat("renaming ", partial, " to ", final_dir)));
  if (absl::Status st = SyncPath(fs::path(final_dir).parent_path(), true); !st.ok()) return st;
  return verified;
}

absl::StatusOr<std::vector<std::string>> PruneBackups(const std::string& root, int keep_daily, int keep_weekly,
                                                      absl::Time now) {
  std::error_code ec;
  std::vector<std::string> names, removed;
  std::vector<fs::path> leftovers;
  for (const fs::directory_entry& entry : fs::directory_iterator(root, ec)) {
    const std::string name = entry.path().filename().string();
    if (BackupTime(name)) {
      // A backup counts with its verify line only; without, it is a leftover.
      if (entry.is_directory() && fs::exists(entry.path().string() + std::string(kVerify))) {
        names.push_back(name);
      } else if (now - *BackupTime(name) > kPartialStale) {
        leftovers.push_back(entry.path());
      }
      continue;
    }
    for (absl::string_view suffix : {kPartial, absl::string_view(".partial.tmp"), kVerify}) {
      std::optional<absl::Time> t = StampOf(name, kPrefix, suffix);
      if (!t || now - *t <= kPartialStale) continue;
      if (suffix == kVerify && fs::exists(entry.path().parent_path() / name.substr(0, name.size() - kVerify.size()))) continue;
      leftovers.push_back(entry.path());
    }
  }
  if (ec) return FsError(ec, absl::StrCat("listing ", root));
  for (const fs::path& p : leftovers) {
    fs::remove_all(p, ec);
    if (ec) return FsError(ec, absl::StrCat("removing ", p.string()));
    removed.push_back(p.filename().string());
  }
  for (const std::string& name : ExpiredBackups(names, keep_daily, keep_weekly)) {
    const fs::path dir = fs::path(root) / name;
    fs::remove_all(dir, ec);
    if (ec) return FsError(ec, absl::StrCat("removing ", dir.string()));
    fs::remove(fs::path(root) / (name + std::string(kVerify)), ec);
    removed.push_back(name);
  }
  return removed;
}

std::vector<std::string> PruneStaging(const std::string& ledger_dir, absl::Time now) {
  std::vector<std::string> removed;
  std::error_code ec;
  const fs::path ledger = fs::absolute(ledger_dir, ec).lexically_normal();
  const std::string prefix = ledger.filename().string() + std::string(ledger::kCheckpointInfix);
  for (const fs::directory_entry& entry : fs::directory_iterator(ledger.parent_path(), ec)) {
    const std::string name = entry.path().filename().string();
    for (absl::string_view suffix : {absl::string_view(""), absl::string_view(".tmp")}) {
      std::optional<absl::Time> t = StampOf(name, prefix, suffix);
      if (!t || now - *t <= kPartialStale) continue;
      std::error_code ignored;
      if (fs::remove_all(entry.path(), ignored) > 0) removed.push_back(name);
    }
  }
  return removed;
}

absl::StatusOr<Restored> RestoreLedger(const std::string& from, const std::string& ledger_dir,
                                       const std::string& logs_dir, absl::Time now, const VerifyProgress& progress) {
  std::error_code ec;
  const fs::path source = fs::absolute(from, ec).lexically_normal();
  const fs::path ledger = fs::absolute(ledger_dir, ec).lexically_normal();
  const fs::path incoming = ledger.string() + ".restoring";
  for (const fs::path& taken : {ledger, incoming}) {
    const auto [end, _] = std::mismatch(taken.begin(), taken.end(), source.begin(), source.end());
    if (end == taken.end()) {
      return absl::InvalidArgumentError(absl::StrCat("--from ", from, " is ", taken.string(), " or inside it: ",
                                                     "restore from a backup, not from the ledger"));
    }
  }
  absl::StatusOr<VerifiedLedger> backup = VerifyLedgerDir(source.string(), progress);
  if (!backup.ok()) {
    return absl::Status(backup.status().code(), absl::StrCat("the backup ", from, " does not verify, nothing was changed: ",
                                                             backup.status().message()));
  }
  Restored out;
  const std::string stamp = Stamp(now);
  fs::remove_all(incoming, ec);  // a crashed restore's
  ec.clear();
  fs::copy(source, incoming, fs::copy_options::recursive, ec);
  absl::StatusOr<VerifiedLedger> copy =
      ec ? absl::StatusOr<VerifiedLedger>(FsError(ec, absl::StrCat("copying ", from))) : VerifyLedgerDir(incoming.string());
  if (copy.ok() && copy->head_hash != backup->head_hash) copy = absl::DataLossError("the copy differs from the backup");
  if (copy.ok()) {
    if (absl::Status st = SyncTree(incoming); !st.ok()) copy = st;
  }
  if (!copy.ok()) {
    std::error_code ignored;
    fs::remove_all(incoming, ignored);
    return absl::Status(copy.status().code(),
                        absl::StrCat("restoring ", from, " failed, nothing was changed: ", copy.status().message()));
  }
  out.verified = *copy;
  // The projections of the old ledger would shadow the restored one's rows
  // (the same seqs, other events): they move aside and are written again.
  std::vector<fs::path> projections;
  for (const fs::directory_entry& entry : fs::directory_iterator(logs_dir, ec)) {
    if (entry.is_regular_file() && IsProjection(entry.path().filename().string())) projections.push_back(entry.path());
  }
  if (!projections.empty()) {
    out.previous_logs = (fs::path(logs_dir) / absl::StrCat("before-restore-", stamp)).string();
    fs::create_directories(out.previous_logs, ec);
    absl::Status st = ec ? FsError(ec, absl::StrCat("creating ", out.previous_logs)) : absl::OkStatus();
    for (const fs::path& p : projections) {
      if (st.ok()) st = Move(p, fs::path(out.previous_logs) / p.filename());
    }
    if (!st.ok()) {
      std::error_code ignored;
      fs::remove_all(incoming, ignored);
      return absl::Status(st.code(), absl::StrCat("restoring ", from, " failed before the ledger was touched (moved ",
                                                  "projections are in ", out.previous_logs, "): ", st.message()));
    }
  }
  if (fs::exists(ledger, ec)) {
    out.previous_ledger = absl::StrCat(ledger.string(), ".before-restore-", stamp);
    fs::rename(ledger, out.previous_ledger, ec);
    if (ec) {
      std::error_code ignored;
      fs::remove_all(incoming, ignored);
      return FsError(ec, absl::StrCat("moving the ledger aside failed, nothing was changed"));
    }
  }
  fs::rename(incoming, ledger, ec);
  if (ec) {
    std::error_code ignored;
    if (!out.previous_ledger.empty()) fs::rename(out.previous_ledger, ledger, ignored);
    return FsError(ec, absl::StrCat("putting the copy in place failed; the old ledger was put back at ", ledger.string()));
  }
  (void)SyncPath(ledger.parent_path(), true);  // the rename, durable; a failure here changes nothing

  // A new client id nonce for a ledger that has one (testnet, live).
  ASSIGN_OR_RETURN(std::unique_ptr<ledger::Ledger> writer, ledger::Ledger::OpenWriter(ledger.string()));
  ASSIGN_OR_RETURN(replay::FoldResult folded, replay::FoldLedger(*writer, replay::FoldOptions{}));
  if (!folded.state.client_id_nonce.empty()) {
    absl::BitGen bits;
    std::string nonce = folded.state.client_id_nonce;
    while (nonce == folded.state.client_id_nonce) nonce = orders::ClientIdNonce(absl::Uniform<uint64_t>(bits));
    const int64_t ts = std::max(folded.state.last_ts_ns, absl::ToUnixNanos(now));
    std::vector<Event> rotation{Event{0, ts, ClientIdNonceRotated{folded.state.client_id_nonce, nonce,
                                                                  absl::StrCat("bot restore from ", source.filename().string())}}};
    RETURN_IF_ERROR(ledger::AppendEvents(*writer, rotation, /*sync=*/true).status());
    out.rotated_nonce = nonce;
  }
  return out;
}

}  // namespace apollo::tools
