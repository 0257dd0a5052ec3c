// Kalshi's recorded weather markets (data/kalshi/, issue 15 §4), read into
// the domain's terms. The files keep the legacy API's shape (integer cents,
// integer counts); they are converted exactly on load: cents to dollars,
// tick_size and notional_value (cents) to the price grid and the contract
// value, strikes from strike_type / floor_strike / cap_strike (never from
// the ticker). Any cell that does not read is refused with one line naming
// the file, the line and the column; nothing is read as 0.
//
//   ASSIGN_OR_RETURN(std::vector<RecordedMarket> markets, ReadRecordedMarkets(path));
//   ASSIGN_OR_RETURN(std::vector<RecordedTrade> tape, ReadRecordedTrades(trades_path));
//
// Reads files; no network.
#ifndef APOLLO_ENGINE_VENUE_KALSHI_RECORDED_H_
#define APOLLO_ENGINE_VENUE_KALSHI_RECORDED_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/domain/events.h"

namespace apollo::venue::kalshi {

struct RecordedMarket {
  Symbol ticker;
  std::string event_date;  // YYYY-MM-DD: the climate day it is about
  Instrument instrument;   // binary; terms.series, terms.event, strikes, times
  int64_t open_time_ms = 0;
  std::string status;                  // finalized, closed, active (as captured)
  std::optional<MarketResult> result;  // blank: captured before settlement
};

// One trade of the tape: `count` contracts at `yes_price` dollars (the NO
// side paid 1 - yes_price); the taker bought YES (taker_side yes) or NO.
struct RecordedTrade {
  Symbol ticker;
  std::string trade_id;
  int64_t time_ms = 0;
  Fixed yes_price, count;
  bool taker_bought_yes = false;
};

// A settled event: its YES market and the day's high its results imply
// (whole degrees F, inclusive; nullopt for an open tail).
struct RecordedSettlement {
  std::string series, event, event_date, station, yes_ticker;
  std::optional<int> high_min_f, high_max_f;
};

absl::StatusOr<std::vector<RecordedMarket>> ReadRecordedMarkets(const std::string& path);
// By time, as the file is (refused if it is not).
absl::StatusOr<std::vector<RecordedTrade>> ReadRecordedTrades(const std::string& path);
absl::StatusOr<std::vector<RecordedSettlement>> ReadRecordedSettlements(const std::string& path);

}  // namespace apollo::venue::kalshi

#endif  // APOLLO_ENGINE_VENUE_KALSHI_RECORDED_H_
