// `bot backup`, `bot restore`: see bot_ops.h.
#include "tools/bot_ops.h"

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include <httplib.h>
#include <simdjson.h>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "engine/config/config.h"
#include "engine/domain/json.h"
#include "engine/domain/status_macros.h"
#include "engine/runtime/lock.h"
#include "ledger/ledger.h"
#include "tools/backup.h"
#include "tools/progress.h"

namespace apollo::tools {

std::unique_ptr<net::RateGate> MakeRateGate(const config::RateLimitsConfig& limits) {
  auto quota = [](const config::ProviderQuotaConfig& q) {
    return net::Quota{q.requests_per_window, absl::Seconds(q.window_sec), q.burst};
  };
  return std::make_unique<net::RateGate>(absl::btree_map<std::string, net::Quota>{
      {"binance", quota(limits.binance)},         {"news", quota(limits.news)},
      {"webhooks", quota(limits.webhooks)},       {"kalshi_read", quota(limits.kalshi_read)},
      {"kalshi_write", quota(limits.kalshi_write)}, {"nws", quota(limits.nws)}});
}
namespace {

namespace fs = std::filesystem;

int Fail(absl::string_view command, absl::string_view what, int code = 1) {
  std::fprintf(stderr, "bot %.*s: %.*s\n", static_cast<int>(command.size()), command.data(),
               static_cast<int>(what.size()), what.data());
  return code;
}

struct Located {
  config::Config cfg;
  std::string mode, lock_path;
};

absl::StatusOr<Located> Locate(const BotWhere& w) {
  ASSIGN_OR_RETURN(config::Config cfg,
                   config::LoadForCommandLine({w.config_path, w.mode, w.ledger, w.logs, "", w.venue}, config::ProcessEnv()));
  Located out{std::move(cfg), "", ""};
  out.mode = std::string(EnumName(out.cfg.run.mode));
  out.lock_path = runtime::LockPath(out.cfg.storage.logs_path, config::RunName(out.cfg));
  return out;
}

// A progress line while a ledger is verified (stderr; plain lines off a terminal).
VerifyProgress ShowProgress(std::unique_ptr<Progress>& bar) {
  return [&bar](uint64_t seq, uint64_t head) {
    if (!bar) bar = std::make_unique<Progress>("events verified", head);
    bar->Update(seq);
  };
}

// A checkpoint the bot took: where it is and the seq it ends at.
struct Checkpointed {
  std::string dir;
  uint64_t seq = 0;
};

// POST /actions/backup to the bot holding the lock: it checkpoints its
// ledger beside it and says where.
absl::StatusOr<Checkpointed> CheckpointThroughBot(const std::string& lock_path, const std::string& mode) {
  const long pid = runtime::ReadLockHolder(lock_path);
  const std::string api = runtime::ReadLockValue(lock_path, "api");
  if (api.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("a ", mode, " bot is running (pid ", pid,
                                                      ") without an operator API (api.enabled): stop it, or enable "
                                                      "its API, to take a consistent backup"));
  }
  ASSIGN_OR_RETURN(std::string token, config::ReadSecret("OPERATOR_API_TOKEN", ".env", config::ProcessEnv()));
  if (token.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("a ", mode, " bot is running (pid ", pid,
                                                      "); a backup through it needs OPERATOR_API_TOKEN in the "
                                                      "environment or .env"));
  }
  httplib::Client client("http://" + api);
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(30, 0);
  auto res = client.Post("/actions/backup", httplib::Headers{{"X-OPS-TOKEN", token}},
                         "{\"reason\":\"bot backup\"}", "application/json");
  if (!res) {
    return absl::UnavailableError(
        absl::StrCat("a ", mode, " bot is running (pid ", pid, ") but its operator API at ", api, " did not answer"));
  }
  if (res->status != 200) {
    return absl::InternalError(absl::StrCat("the running bot (pid ", pid, ") refused the checkpoint: HTTP ",
                                            res->status, " ", res->body));
  }
  simdjson::dom::parser parser;
  simdjson::dom::element answer;
  std::string_view dir;
  uint64_t seq = 0;
  if (parser.parse(res->body).get(answer) != simdjson::SUCCESS || answer["dir"].get(dir) != simdjson::SUCCESS ||
      answer["seq"].get(seq) != simdjson::SUCCESS || dir.empty()) {
    return absl::InternalError(absl::StrCat("the running bot's answer names no checkpoint: ", res->body));
  }
  return Checkpointed{std::string(dir), seq};
}

}  // namespace

int Backup(const BackupFlags& f) {
  constexpr absl::string_view kCmd = "backup";
  if (f.out.empty()) return Fail(kCmd, "--out DIR is required: the directory the backups go under", 2);
  if (f.keep_daily < 0 || f.keep_weekly < 0) return Fail(kCmd, "--keep-daily and --keep-weekly are 0 or more", 2);
  absl::StatusOr<Located> at = Locate(f.where);
  if (!at.ok()) return Fail(kCmd, at.status().message(), 2);
  std::error_code ec;
  // One directory per mode: paper, testnet and live backups never evict each other.
  const fs::path root = fs::absolute(f.out, ec).lexically_normal() / at->mode;
  fs::create_directories(root, ec);
  if (ec) return Fail(kCmd, absl::StrCat("cannot create ", root.string(), ": ", ec.message()));
  const absl::Time now = absl::Now();
  const std::string final_dir = (root / BackupName(now)).string();
  if (fs::exists(final_dir, ec)) return Fail(kCmd, absl::StrCat(final_dir, " exists already (one backup per second)"));
  const std::string& ledger_dir = at->cfg.storage.ledger_path;
  for (const std::string& stale : PruneStaging(ledger_dir, now)) {
    std::fprintf(stderr, "bot backup: removed %s, left by a backup that did not finish\n", stale.c_str());
  }

  std::string how;
  Checkpointed taken;
  std::optional<absl::StatusOr<runtime::InstanceLock>> lock(runtime::InstanceLock::Acquire(at->lock_path));
  if (lock->ok()) {
    if (!fs::exists(fs::path(ledger_dir) / "CURRENT", ec)) return Fail(kCmd, absl::StrCat("no ledger at ", ledger_dir));
    absl::StatusOr<std::unique_ptr<ledger::Ledger>> ledger = ledger::Ledger::OpenWriter(ledger_dir);
    if (!ledger.ok()) return Fail(kCmd, ledger.status().message());
    taken = Checkpointed{ledger::CheckpointDir(ledger_dir, now), (*ledger)->head().last_seq};
    if (absl::Status st = (*ledger)->Checkpoint(taken.dir); !st.ok()) return Fail(kCmd, st.message());
    ledger->reset();
    lock.reset();  // a bot may start while the checkpoint is verified
    how = "under the lock (no bot running)";
  } else if (absl::IsFailedPrecondition(lock->status())) {
    absl::StatusOr<Checkpointed> through = CheckpointThroughBot(at->lock_path, at->mode);
    if (!through.ok()) return Fail(kCmd, through.status().message());
    taken = *through;
    how = absl::StrCat("through the running bot (pid ", runtime::ReadLockHolder(at->lock_path), ")");
  } else {
    return Fail(kCmd, lock->status().message());
  }

  std::unique_ptr<Progress> bar;
  absl::StatusOr<VerifiedLedger> verified = SealBackup(taken.dir, final_dir, taken.seq, ShowProgress(bar));
  if (bar) bar->Done();
  if (!verified.ok()) return Fail(kCmd, verified.status().message());
  std::printf("backup %s %s: %s\n", final_dir.c_str(), how.c_str(), verified->Line().c_str());
  if (f.keep_daily > 0 || f.keep_weekly > 0) {
    absl::StatusOr<std::vector<std::string>> removed = PruneBackups(root.string(), f.keep_daily, f.keep_weekly, now);
    if (!removed.ok()) return Fail(kCmd, absl::StrCat("the backup is made, but the retention failed: ", removed.status().message()));
    std::printf("retention (keep-daily %d, keep-weekly %d): removed %zu%s%s\n", f.keep_daily, f.keep_weekly,
                removed->size(), removed->empty() ? "" : ": ", absl::StrJoin(*removed, " ").c_str());
  }
  return 0;
}

int Restore(const RestoreFlags& f) {
  constexpr absl::string_view kCmd = "restore";
  if (f.from.empty()) return Fail(kCmd, "--from DIR is required: the backup to restore", 2);
  absl::StatusOr<Located> at = Locate(f.where);
  if (!at.ok()) return Fail(kCmd, at.status().message(), 2);
  absl::StatusOr<runtime::InstanceLock> lock = runtime::InstanceLock::Acquire(at->lock_path);
  if (!lock.ok()) {
    if (!absl::IsFailedPrecondition(lock.status())) return Fail(kCmd, lock.status().message());
    return Fail(kCmd, absl::StrCat("a ", at->mode, " bot is running (pid ", runtime::ReadLockHolder(at->lock_path),
                                   "): stop it first, a restore replaces the ledger under it"));
  }
  std::error_code ec;
  if (!fs::is_directory(f.from, ec)) return Fail(kCmd, absl::StrCat("no backup at ", f.from));
  std::unique_ptr<Progress> bar;
  absl::StatusOr<Restored> restored =
      RestoreLedger(f.from, at->cfg.storage.ledger_path, at->cfg.storage.logs_path, absl::Now(), ShowProgress(bar));
  if (bar) bar->Done();
  if (!restored.ok()) return Fail(kCmd, restored.status().message());
  std::printf("restored %s into %s: %s\n", f.from.c_str(), at->cfg.storage.ledger_path.c_str(),
              restored->verified.Line().c_str());
  if (!restored->previous_ledger.empty()) {
    std::printf("the ledger that was there is kept at %s\n", restored->previous_ledger.c_str());
  }
  if (!restored->previous_logs.empty()) {
    std::printf("its trades.csv, orders.csv, thinking.jsonl and daily summaries moved to %s; the next start writes "
                "them again from the restored ledger\n",
                restored->previous_logs.c_str());
  }
  if (!restored->rotated_nonce.empty()) {
    std::printf("new client order id nonce %s journaled: the next orders cannot reuse ids the venue saw after "
                "the backup\n",
                restored->rotated_nonce.c_str());
  }
  std::printf("the next start resumes from seq %llu%s\n", static_cast<unsigned long long>(restored->verified.last_seq),
              at->cfg.run.mode == Mode::kPaper ? "" : " and reconciles with the venue before it trades");
  return 0;
}

}  // namespace apollo::tools
