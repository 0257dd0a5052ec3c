// `bot health`: see bot_ops.h. Read-only: it never takes the bot's lock
// (a check that did could stop a bot from starting at that very moment); the
// lock's holder is found in /proc/locks.
#include <signal.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <httplib.h>
#include <simdjson.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "engine/config/config.h"
#include "engine/ops/alerts.h"
#include "engine/runtime/lock.h"
#include "ledger/ledger.h"
#include "tools/bot_ops.h"

namespace apollo::tools {
namespace {

namespace fs = std::filesystem;

enum class Level { kOk = 0, kWarn = 1, kCritical = 2 };
constexpr const char* kLevelNames[] = {"ok", "warn", "critical"};

struct Check {
  Level level = Level::kOk;
  std::string name, detail;
};

// How many of the ledger's newest records are verified.
constexpr uint64_t kTailRecords = 1000;
// The market stream: a kline stream speaks every few seconds.
constexpr double kStreamWarnSec = 30, kStreamCriticalSec = 120;

// The PID holding an flock on `path` according to /proc/locks; 0 if none.
long FlockHolder(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  std::ifstream locks("/proc/locks");
  for (std::string line; std::getline(locks, line);) {
    // "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (f.size() < 6 || f[1] != "FLOCK") continue;
    std::vector<absl::string_view> dev = absl::StrSplit(f[5], ':');
    uint64_t inode = 0;
    long pid = 0;
    if (dev.size() != 3 || !absl::SimpleAtoi(dev[2], &inode) || !absl::SimpleAtoi(f[4], &pid)) continue;
    if (inode == static_cast<uint64_t>(st.st_ino)) return pid;
  }
  return 0;
}

// VmRSS of a process in MiB; -1 if unknown.
double RssMb(long pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  for (std::string line; std::getline(status, line);) {
    absl::string_view v(line);
    if (!absl::ConsumePrefix(&v, "VmRSS:")) continue;
    v = absl::StripAsciiWhitespace(v);
    absl::ConsumeSuffix(&v, "kB");
    double kb = 0;
    if (absl::SimpleAtod(absl::StripAsciiWhitespace(v), &kb)) return kb / 1024;
  }
  return -1;
}

// A field of a JSON object, or `fallback` when absent or of another type.
template <class T>
T Field(simdjson::dom::element object, const char* key, T fallback) {
  T value;
  return object[key].get(value) == simdjson::SUCCESS ? value : fallback;
}

// The bot's GET /health, parsed; checks appended.
void HealthEndpoint(const std::string& api, Mode mode, int unhealthy_after_sec, std::vector<Check>& out) {
  httplib::Client client("http://" + api);
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(5, 0);
  auto res = client.Get("/health");
  if (!res) {
    out.push_back({Level::kCritical, "api", absl::StrCat("no answer from http://", api, "/health")});
    return;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element h;
  if (parser.parse(res->body).get(h) != simdjson::SUCCESS) {
    out.push_back({Level::kCritical, "api", absl::StrCat("HTTP ", res->status, ", not JSON")});
    return;
  }
  const std::string status(Field<std::string_view>(h, "status", "?"));
  const std::string halt_reason(Field<std::string_view>(h, "halt_reason", ""));
  const double loop_age = Field<double>(h, "loop_age_sec", -1);
  const bool trading = Field<bool>(h, "trading_enabled", false), paused = Field<bool>(h, "trading_paused", false),
             review = Field<bool>(h, "manual_review_required", false),
             breaker = Field<bool>(h, "circuit_breaker_active", false);
  simdjson::dom::element ws;
  const bool has_ws = h["ws"].get(ws) == simdjson::SUCCESS;
  const bool connected = has_ws && Field<bool>(ws, "connected", false);
  const double stream_age = has_ws ? Field<double>(ws, "last_message_age_sec", -1) : -1;
  out.push_back({res->status == 200 ? Level::kOk : Level::kCritical, "api",
                 absl::StrCat("/health ", res->status, " ", status, halt_reason.empty() ? "" : ": ", halt_reason)});
  const Level loop = loop_age < 0 || loop_age > unhealthy_after_sec ? Level::kCritical
                     : loop_age > unhealthy_after_sec / 2.0         ? Level::kWarn
                                                                    : Level::kOk;
  out.push_back({loop, "loop", absl::StrFormat("last tick %.1f s ago (critical after api.unhealthy_after_sec %d)",
                                               loop_age, unhealthy_after_sec)});
  if (mode == Mode::kPaper) {
    out.push_back({Level::kOk, "stream", "not used in paper"});
  } else {
    const Level stream = !connected || stream_age < 0 || stream_age > kStreamCriticalSec ? Level::kCritical
                         : stream_age > kStreamWarnSec                 ? Level::kWarn
                                                                       : Level::kOk;
    out.push_back({stream, "stream", absl::StrFormat("%s, last message %.1f s ago", connected ? "connected" : "disconnected",
                                                     stream_age)});
  }
  std::vector<std::string> held;
  if (paused) held.push_back("paused");
  if (review) held.push_back("manual review required");
  if (breaker) held.push_back("circuit breaker active");
  const bool halted = Field<bool>(h, "halted", false);
  if (halted) {
    out.push_back({Level::kCritical, "trading", absl::StrCat("the engine halted: ", halt_reason)});
  } else {
    out.push_back({trading ? Level::kOk : Level::kWarn, "trading",
                   trading ? "enabled" : absl::StrCat("held: ", absl::StrJoin(held, ", "))});
  }
}

void LedgerTail(const std::string& dir, std::vector<Check>& out) {
  absl::StatusOr<std::unique_ptr<ledger::Ledger>> reader = ledger::Ledger::OpenReader(dir);
  if (!reader.ok()) {
    out.push_back({Level::kCritical, "ledger", std::string(reader.status().message())});
    return;
  }
  const uint64_t head = (*reader)->head().last_seq;
  const uint64_t from = head > kTailRecords ? head - kTailRecords + 1 : 1;
  absl::Status st = head == 0 ? absl::OkStatus()
                              : (*reader)->Scan(from, head, [](const ledger::RecordView&) { return absl::OkStatus(); });
  if (!st.ok()) {
    out.push_back({Level::kCritical, "ledger", std::string(st.message())});
    return;
  }
  out.push_back({Level::kOk, "ledger", absl::StrCat("seq ", from, "..", head, " verified (checksums, chain, head)")});
}

void DiskFree(const std::string& dir, double warn_pct, double critical_pct, std::vector<Check>& out) {
  struct statvfs v {};
  if (::statvfs(dir.c_str(), &v) != 0 || v.f_blocks == 0) {
    out.push_back({Level::kCritical, "disk", absl::StrCat("cannot stat the filesystem of ", dir)});
    return;
  }
  const double pct = 100.0 * static_cast<double>(v.f_bavail) / static_cast<double>(v.f_blocks);
  const double free_gib = static_cast<double>(v.f_bavail) * static_cast<double>(v.f_frsize) / (1 << 30);
  const Level level = pct < critical_pct ? Level::kCritical : pct < warn_pct ? Level::kWarn : Level::kOk;
  out.push_back({level, "disk", absl::StrFormat("%.1f %% free (%.1f GiB) under %s (warn < %g %%, critical < %g %%)",
                                                pct, free_gib, dir, warn_pct, critical_pct)});
}

}  // namespace

int Health(const HealthFlags& f) {
  auto cfg = config::LoadForCommandLine({f.where.config_path, f.where.mode, f.where.ledger, f.where.logs, "", f.where.venue},
                                        config::ProcessEnv());
  if (!cfg.ok()) {
    std::fprintf(stderr, "bot health: %s\n", std::string(cfg.status().message()).c_str());
    return 2;
  }
  if (f.rss_warn_mb <= 0 || f.rss_critical_mb < f.rss_warn_mb) {
    std::fprintf(stderr, "bot health: --rss-warn-mb must be > 0 and at most --rss-critical-mb\n");
    return 2;
  }
  if (!(f.disk_critical_pct >= 0 && f.disk_critical_pct <= f.disk_warn_pct && f.disk_warn_pct <= 100)) {
    std::fprintf(stderr, "bot health: 0 <= --disk-critical-pct <= --disk-warn-pct <= 100\n");
    return 2;
  }
  const std::string mode(EnumName(cfg->run.mode));
  const std::string lock_path = runtime::LockPath(cfg->storage.logs_path, config::RunName(*cfg));
  std::vector<Check> checks;
  const long pid = FlockHolder(lock_path);
  // EPERM: alive, another user's (a check run as root, say).
  if (pid <= 0 || (::kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM)) {
    checks.push_back({Level::kCritical, "bot", absl::StrCat("no ", mode, " bot holds ", lock_path)});
  } else {
    checks.push_back({Level::kOk, "bot", absl::StrCat("pid ", pid, " holds ", lock_path)});
    const std::string api = runtime::ReadLockValue(lock_path, "api");
    if (api.empty()) {
      checks.push_back({Level::kWarn, "api", "the bot serves no operator API (api.enabled false): not checked"});
    } else {
      HealthEndpoint(api, cfg->run.mode, cfg->api.unhealthy_after_sec, checks);
    }
    const double rss = RssMb(pid);
    const Level level = rss < 0 ? Level::kWarn
                        : rss > f.rss_critical_mb ? Level::kCritical
                        : rss > f.rss_warn_mb     ? Level::kWarn
                                                  : Level::kOk;
    checks.push_back({level, "rss", absl::StrFormat("%.0f MiB (warn > %d, critical > %d)", rss, f.rss_warn_mb,
                                                    f.rss_critical_mb)});
  }
  LedgerTail(cfg->storage.ledger_path, checks);
  DiskFree(fs::exists(cfg->storage.ledger_path) ? cfg->storage.ledger_path : ".", f.disk_warn_pct, f.disk_critical_pct,
           checks);

  Level worst = Level::kOk;
  for (const Check& c : checks) {
    std::printf("%s %s: %s\n", kLevelNames[static_cast<int>(c.level)], c.name.c_str(), c.detail.c_str());
    worst = std::max(worst, c.level);
  }
  std::fflush(stdout);
  const std::string memory = (fs::path(cfg->storage.logs_path) / absl::StrCat("health.", mode, ".alerts")).string();
  if (f.alert && worst == Level::kOk) {
    std::error_code ignored;
    fs::remove(memory, ignored);  // all well: the next failure is alerted at once
  }
  if (f.alert && worst != Level::kOk) {
    auto webhooks = config::ReadSecret("ALERT_WEBHOOKS", ".env", config::ProcessEnv());
    std::vector<std::string> urls;
    if (webhooks.ok()) urls = absl::StrSplit(*webhooks, ',', absl::SkipWhitespace());
    if (urls.empty()) {
      std::fprintf(stderr, "bot health: --alert: ALERT_WEBHOOKS is not set, nothing was sent\n");
    } else {
      // A failing check is alerted when it starts, when its level changes,
      // and again each hour it lasts (logs/health.<mode>.alerts remembers),
      // not at every run of the 5-minute timer.
      std::map<std::string, std::pair<std::string, int64_t>> last;  // check -> (level, unix s)
      {
        std::ifstream in(memory);
        std::string check, level;
        int64_t at = 0;
        while (in >> check >> level >> at) last[check] = {level, at};
      }
      const int64_t now_s = absl::ToUnixSeconds(absl::Now());
      std::unique_ptr<net::RateGate> gate = MakeRateGate(cfg->rate_limits);
      ops::AlerterOptions alert_options;
      alert_options.gate = gate.get();
      ops::Alerter alerter(urls, alert_options);
      std::map<std::string, std::pair<std::string, int64_t>> next;
      for (const Check& c : checks) {
        if (c.level == Level::kOk) continue;
        const std::string level = kLevelNames[static_cast<int>(c.level)];
        auto before = last.find(c.name);
        const bool again = before == last.end() || before->second.first != level || now_s - before->second.second >= 3600;
        next[c.name] = again ? std::pair{level, now_s} : before->second;
        if (!again) continue;
        alerter.Raise(absl::StrCat("health_", c.name), absl::StrCat(now_s),
                      absl::StrCat("[apollo ", mode, "] health ", level, " ", c.name, ": ", c.detail));
      }
      if (!alerter.Drain(10'000)) std::fprintf(stderr, "bot health: --alert: a webhook did not answer in 10 s\n");
      std::ofstream out(memory, std::ios::trunc);
      for (const auto& [check, v] : next) out << check << " " << v.first << " " << v.second << "\n";
    }
  }
  return static_cast<int>(worst);
}

}  // namespace apollo::tools
