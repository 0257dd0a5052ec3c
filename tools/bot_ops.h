// The bot's operator subcommands beside the trading run: `bot backup`,
// `bot restore` (bot_ops.cc) and `bot health` (bot_health.cc). Each prints its outcome on stdout, an
// error as one line on stderr, and returns the process's exit code.
//
//   bot backup --out /var/backups/apollo --keep-daily 7 --keep-weekly 4
//   bot restore --from /var/backups/apollo/ledger-20261206-020000
//   bot health --alert
#ifndef APOLLO_TOOLS_BOT_OPS_H_
#define APOLLO_TOOLS_BOT_OPS_H_

#include <memory>
#include <string>

#include "engine/config/config.h"
#include "engine/net/rate_gate.h"

namespace apollo::tools {

// The process's one rate gate (providers binance, news, webhooks), its
// quotas from config.yaml's rate_limits.
std::unique_ptr<net::RateGate> MakeRateGate(const config::RateLimitsConfig& limits);

// Which bot: the config (and its storage paths) and mode, as `bot` takes them.
struct BotWhere {
  std::string config_path, mode, ledger, logs, venue;
};

// A verified checkpoint of the ledger under `out` (see backup.h): through
// the running bot's operator API (POST /actions/backup, with
// OPERATOR_API_TOKEN) when one holds the mode's lock, else under the lock.
// Then the retention, when asked. 0 once verified; 1 otherwise; 2 for bad
// flags or config.
struct BackupFlags {
  BotWhere where;
  std::string out;
  int keep_daily = 0, keep_weekly = 0;
};
int Backup(const BackupFlags& flags);

// A backup put in place as the ledger, under the mode's lock (a running bot
// refuses it: stop it first). 0 once the restored ledger verifies.
struct RestoreFlags {
  BotWhere where;
  std::string from;
};
int Restore(const RestoreFlags& flags);

// One line per check of the bot of a mode ("ok|warn|critical CHECK:
// detail"): the lock's holder alive, its /health, the loop's and the market
// stream's ages, whether it trades (paused, manual review, breaker), the
// ledger's last 1,000 records verified, disk free under the ledger (warn
// below 15 %, critical below 5 %) and the holder's RSS. Exit 0 when all are
// ok, 1 with a warning, 2 with a critical one (or bad flags). With `alert`,
// each warning and critical line is also sent to ALERT_WEBHOOKS.
struct HealthFlags {
  BotWhere where;
  bool alert = false;
  int rss_warn_mb = 1024, rss_critical_mb = 2048;
  double disk_warn_pct = 15, disk_critical_pct = 5;
};
int Health(const HealthFlags& flags);

}  // namespace apollo::tools

#endif  // APOLLO_TOOLS_BOT_OPS_H_
