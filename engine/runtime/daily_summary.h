// The seed's logs/daily_summary_YYYY-MM-DD.{json,csv}: one closed UTC day of
// the ledger (State::last_day, folded), written when the first event of a
// later day is committed, again at each start for the last day closed, and
// for every day by `replay export`.
//
//   RETURN_IF_ERROR(WriteDaySummary("logs", state.last_day));
//
// Both files hold the same fields: the balance at the day's start and end,
// realised PnL, fees, net funding and the net result (realised - fees +
// funding, also as a percent of the starting balance), closes won and lost,
// the day's signals, proposals, risk rejections, orders and fills, and the
// open positions and drawdown at the day's end.
#ifndef APOLLO_ENGINE_RUNTIME_DAILY_SUMMARY_H_
#define APOLLO_ENGINE_RUNTIME_DAILY_SUMMARY_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "engine/domain/state.h"

namespace apollo::runtime {

// "daily_summary_2023-07-05".
std::string DaySummaryStem(int64_t day_utc);
// One JSON object and a newline.
std::string DaySummaryJson(const DaySummary& day);
// A header line and one row.
std::string DaySummaryCsv(const DaySummary& day);
// Both files into `dir`, each whole or not at all (written aside and synced,
// then renamed over any earlier copy, and the directory synced).
absl::Status WriteDaySummary(const std::string& dir, const DaySummary& day);

}  // namespace apollo::runtime

#endif  // APOLLO_ENGINE_RUNTIME_DAILY_SUMMARY_H_
