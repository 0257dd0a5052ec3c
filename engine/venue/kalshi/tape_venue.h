// The Kalshi paper venue (issue 15 §4): our limit orders rest and are filled
// against a recorded trade tape, never against a price we made up.
//
//   TapeVenue venue;
//   reports = venue.OnTrades(trades_since_last_step);  // fills, oldest order first
//   reports += venue.CloseMarket(ticker);               // trading ended: rest cancelled
//
// A resting buy of YES at L fills from a print below L, or at L when the
// print's taker sold YES (our bid was there to hit); a sell of YES (a buy
// of NO at 1 - L) from a print above L, or at L when its taker bought YES
// (units.h, PrintFills). It fills at L, for at most what the print traded less what older orders
// of ours took from it, and pays Kalshi's taker fee (0.07 x C x P x
// (1 - P), to the cent): weather_high_v1 posts at the quoted ask or bid,
// crossing the spread, and prices its edge with that fee. Queue position is
// not modelled: a print at our price fills us first.
#ifndef APOLLO_ENGINE_VENUE_KALSHI_TAPE_VENUE_H_
#define APOLLO_ENGINE_VENUE_KALSHI_TAPE_VENUE_H_

#include <cstdint>
#include <map>
#include <span>
#include <string>

#include "engine/venue/kalshi/recorded.h"
#include "engine/venue/venue.h"

namespace apollo::venue::kalshi {

class TapeVenue : public Venue {
 public:
  // Accepts a limit order on Kalshi's price and count rules (else
  // OrderRejected, one line): it rests until filled or cancelled.
  Reports Submit(const Order& order) override;
  Reports Cancel(const Order& order, const std::string& reason) override;
  absl::StatusOr<Reports> Query(const Order& order) override;
  Reports OnBar(const State&, const CandleClose&) override { return {}; }

  // The fills `trades` (in time order) make of our resting orders.
  Reports OnTrades(std::span<const RecordedTrade> trades);
  // A market's trading ended: our orders resting in it are cancelled.
  Reports CloseMarket(const Symbol& ticker);
  // A restarted paper run: the orders `state` holds open on the venue
  // (accepted, partly filled) rest again, oldest first, for what is left.
  void Restore(const State& state);
  size_t resting() const { return resting_.size(); }

 private:
  struct Resting {
    Order order;
    Fixed left;
    uint64_t arrival = 0;
  };
  std::map<ClientOrderId, Resting> resting_;
  uint64_t next_arrival_ = 0;
  uint64_t next_venue_id_ = 1;
};

}  // namespace apollo::venue::kalshi

#endif  // APOLLO_ENGINE_VENUE_KALSHI_TAPE_VENUE_H_
