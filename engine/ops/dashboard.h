// The PnL dashboard: its page (pnl_dashboard.html, compiled in) and the
// feed behind the operator API's GET /pnl_daily, /equity and /trades it
// draws from (rendered by replay::DailyJson, EquityJson and TradesJson).
//
// PnlFeed is the run's performance as the ledger says it now: an audit
// reader feeds a replay::PerformanceMeter, so a request reads only what the
// ledger gained since the last one (the same fold as `replay export`'s
// pnl_daily.csv and equity.csv, so the numbers agree with the audit tool).
//
//   PnlFeed feed("data/ledger");
//   ASSIGN_OR_RETURN(auto perf, feed.Now());
//   std::string body = replay::DailyJson(*perf);
#ifndef APOLLO_ENGINE_OPS_DASHBOARD_H_
#define APOLLO_ENGINE_OPS_DASHBOARD_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "ledger/ledger.h"
#include "replay/performance.h"

namespace apollo::ops {

class PnlFeed {
 public:
  explicit PnlFeed(std::string ledger_dir);
  ~PnlFeed();
  // The performance at the ledger's head now (Unavailable while the ledger
  // cannot be read). Thread-safe; the answer is shared until the head moves.
  // While one call reads the ledger, the others get the last answer at once
  // (Unavailable before there is one).
  absl::StatusOr<std::shared_ptr<const replay::Performance>> Now();

 private:
  std::mutex mu_;
  std::string dir_;
  std::unique_ptr<ledger::Ledger> reader_;
  std::unique_ptr<replay::PerformanceMeter> meter_;
  uint64_t fed_ = 0;
  std::shared_ptr<const replay::Performance> at_fed_;
  std::mutex last_mu_;  // guards last_ only, never held while reading
  std::shared_ptr<const replay::Performance> last_;
};

// The page, reloading its data every `refresh_sec`. Self-contained: no
// script, style or font from elsewhere; it only GETs this API, and holds no
// token.
std::string DashboardPage(int refresh_sec);

}  // namespace apollo::ops

#endif  // APOLLO_ENGINE_OPS_DASHBOARD_H_
