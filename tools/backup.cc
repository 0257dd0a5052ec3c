// Backups of the ledger: see backup.h.
#include "tools/backup.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "engine/domain/status_macros.h"
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

// Moves `from` to `to` (rename; a copy and removal across filesystems).
absl::Status Move(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::rename(from, to, ec);
  if (!ec) return absl::OkStatus();
  if (ec != std::errc::cross_device_link) return FsError(ec, absl::StrCat("moving ", from.string(), " to ", to.string()));
  fs::copy(from, to, fs::copy_options::recursive, ec);
  if (ec) return FsError(ec, absl::StrCat("copying ", from.string(), " to ", to.string()));
  fs::remove_all(from, ec);
  if (ec) return FsError(ec, absl::StrCat("removing ", from.string()));
  return absl::OkStatus();
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

absl::StatusOr<VerifiedLedger> SealBackup(const std::string& partial, const std::string& final_dir,
                                          const VerifyProgress& progress) {
  std::error_code ec;
  absl::StatusOr<VerifiedLedger> verified = VerifyLedgerDir(partial, progress);
  if (!verified.ok()) {
    fs::remove_all(partial, ec);
    return absl::DataLossError(absl::StrCat("the checkpoint does not verify, so it was removed: ",
                                            verified.status().message()));
  }
  const std::string verify_file = final_dir + std::string(kVerify);
  {
    std::ofstream out(verify_file, std::ios::trunc);
    out << verified->Line() << "\n";
    out.close();
    if (!out) {
      fs::remove_all(partial, ec);
      return absl::InternalError(absl::StrCat("cannot write ", verify_file));
    }
  }
  fs::rename(partial, final_dir, ec);
  if (ec) {
    fs::remove(verify_file, ec);
    return FsError(ec, absl::StrCat("renaming ", partial, " to ", final_dir));
  }
  return verified;
}

absl::StatusOr<std::vector<std::string>> PruneBackups(const std::string& root, int keep_daily, int keep_weekly,
                                                      absl::Time now) {
  std::error_code ec;
  std::vector<std::string> names, removed;
  for (const fs::directory_entry& entry : fs::directory_iterator(root, ec)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_directory()) continue;
    if (absl::EndsWith(name, kPartial)) {
      const std::optional<absl::Time> t = BackupTime(absl::string_view(name).substr(0, name.size() - kPartial.size()));
      if (t && now - *t > kPartialStale) {
        fs::remove_all(entry.path(), ec);
        if (ec) return FsError(ec, absl::StrCat("removing ", entry.path().string()));
        removed.push_back(name);
      }
      continue;
    }
    names.push_back(name);
  }
  if (ec) return FsError(ec, absl::StrCat("listing ", root));
  for (const std::string& name : ExpiredBackups(names, keep_daily, keep_weekly)) {
    const fs::path dir = fs::path(root) / name;
    fs::remove(fs::path(root) / (name + std::string(kVerify)), ec);  // absent is fine
    fs::remove_all(dir, ec);
    if (ec) return FsError(ec, absl::StrCat("removing ", dir.string()));
    removed.push_back(name);
  }
  return removed;
}

absl::StatusOr<Restored> RestoreLedger(const std::string& from, const std::string& ledger_dir,
                                       const std::string& logs_dir, absl::Time now, const VerifyProgress& progress) {
  std::error_code ec;
  if (fs::equivalent(from, ledger_dir, ec)) {
    return absl::InvalidArgumentError(absl::StrCat("--from ", from, " is the ledger itself"));
  }
  absl::StatusOr<VerifiedLedger> backup = VerifyLedgerDir(from, progress);
  if (!backup.ok()) {
    return absl::Status(backup.status().code(), absl::StrCat("the backup ", from, " does not verify, nothing was changed: ",
                                                             backup.status().message()));
  }
  Restored out;
  const std::string stamp = Stamp(now);
  const std::string incoming = ledger_dir + ".restoring";
  fs::remove_all(incoming, ec);  // a crashed restore's
  fs::create_directories(fs::path(incoming).parent_path(), ec);
  ec.clear();
  fs::copy(from, incoming, fs::copy_options::recursive, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove_all(incoming, ignored);
    return FsError(ec, absl::StrCat("copying ", from, " to ", incoming));
  }
  absl::StatusOr<VerifiedLedger> copy = VerifyLedgerDir(incoming);
  if (!copy.ok() || copy->head_hash != backup->head_hash) {
    std::error_code ignored;
    fs::remove_all(incoming, ignored);
    return absl::DataLossError(absl::StrCat("the copy of ", from, " does not verify as the backup does, nothing was changed",
                                            copy.ok() ? "" : ": ", copy.ok() ? "" : copy.status().message()));
  }
  out.verified = *copy;
  if (fs::exists(ledger_dir, ec)) {
    out.previous_ledger = absl::StrCat(ledger_dir, ".before-restore-", stamp);
    RETURN_IF_ERROR(Move(ledger_dir, out.previous_ledger));
  }
  RETURN_IF_ERROR(Move(incoming, ledger_dir));
  // The projections of the old ledger would shadow the restored one's rows
  // (the same seqs, other events): they move aside and are written again.
  std::vector<fs::path> projections;
  for (const fs::directory_entry& entry : fs::directory_iterator(logs_dir, ec)) {
    if (entry.is_regular_file() && IsProjection(entry.path().filename().string())) projections.push_back(entry.path());
  }
  if (!projections.empty()) {
    out.previous_logs = (fs::path(logs_dir) / absl::StrCat("before-restore-", stamp)).string();
    fs::create_directories(out.previous_logs, ec);
    if (ec) return FsError(ec, absl::StrCat("creating ", out.previous_logs));
    for (const fs::path& p : projections) RETURN_IF_ERROR(Move(p, fs::path(out.previous_logs) / p.filename()));
  }
  return out;
}

}  // namespace apollo::tools
