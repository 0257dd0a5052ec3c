// The paper venue: a simulated exchange with configurable fees and slippage.
// It keeps nothing of its own: what it knows of our orders is what the
// folded State says (an order the ledger shows as accepted is resting at the
// venue), so a restarted run sees exactly the venue it left.
//
// Fills: market orders fill at the last close with slippage against us;
// stop-market and take-profit-market orders trigger on the bar's low/high
// and fill at their trigger price (or the bar's open when it gapped through)
// with slippage; limit orders fill at their price (or the better open) as
// maker. When a bar touches both the stop and the take-profit of a position,
// the stop fills first (the pessimistic reading of an OHLC bar) and
// reduce-only orders never fill beyond the position. A stop that would
// trigger at once is rejected as Binance does (-2021).
#ifndef APOLLO_ENGINE_VENUE_PAPER_VENUE_H_
#define APOLLO_ENGINE_VENUE_PAPER_VENUE_H_

#include "engine/config/config.h"
#include "engine/venue/venue.h"

namespace apollo::venue {

class PaperVenue : public Venue {
 public:
  // `state` is the engine's folded State; it must outlive the venue.
  PaperVenue(const config::PaperSimConfig& cfg, const State* state) : cfg_(cfg), state_(state) {}

  Reports Submit(const Order& order) override;
  Reports Cancel(const Order& order, const std::string& reason) override;
  absl::StatusOr<Reports> Query(const Order& order) override;
  Reports OnBar(const State& state, const CandleClose& bar) override;

  // Faults for tests and drills: reject the next `n` protective
  // (stop-loss / take-profit) submissions, as a venue might.
  void RejectNextProtective(int n) { reject_protective_ = n; }

 private:
  Fixed Slipped(Fixed price, const Order& order) const;
  Fixed Fee(Fixed price, Fixed qty, bool maker) const;
  Fill FillOf(const Order& order, Fixed price, Fixed qty, bool maker) const;

  config::PaperSimConfig cfg_;
  const State* state_;
  int reject_protective_ = 0;
};

}  // namespace apollo::venue

#endif  // APOLLO_ENGINE_VENUE_PAPER_VENUE_H_
