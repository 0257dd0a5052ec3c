// Kalshi as the engine's venue (issue 15 §2): our orders as Kalshi limit
// orders through the REST client. A market order (a close, the kill
// switch's flatten) is sent as Kalshi's closest thing to one: a limit at
// the side's highest price (0.99), immediate_or_cancel, which takes the
// book at its own prices and leaves nothing resting. Prices in the ledger are YES prices: a
// buy of YES at P is Kalshi's `buy yes` at P; a sell of YES (short YES) is
// `buy no` at 1 - P, Kalshi's own way to be short YES; fills are reported
// at their YES price with the fee Kalshi charged.
//
//   KalshiVenue venue(client.get(), {.send_orders = cfg.run.enable_trading});
//   engine.set_venue(&venue);
//
// Submit: OrderAccepted with Kalshi's order id. A 409 (an earlier send of
// the same client_order_id arrived) is an answer, not an error: the order
// is looked up by its client_order_id and reported as Kalshi holds it. A
// refusal (400, 403, MARKET_INACTIVE after the market closed) is
// OrderRejected with Kalshi's code and message. A lost answer (timeout, a
// 5xx after the request may have left) reports nothing: the order is in
// doubt and the engine asks Query, which never sends anything.
// Query: the order by client_order_id among its market's orders, its fills
// since (GET /portfolio/fills, each fill once) and a cancel Kalshi made;
// NotFound once Kalshi cannot still be receiving it (in_flight_ms after the
// last send), which makes the engine's next send its first and only one.
// Cancel: DELETE, then OrderCancelled; an order already gone, or in a
// market that closed (MARKET_INACTIVE), is asked for: Kalshi's own cancel at
// the close (CANCELLED_ON_KALSHI) or its fills are the answer.
#ifndef APOLLO_ENGINE_VENUE_KALSHI_KALSHI_VENUE_H_
#define APOLLO_ENGINE_VENUE_KALSHI_KALSHI_VENUE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "engine/venue/kalshi/orders_api.h"
#include "engine/venue/kalshi/rest_client.h"
#include "engine/reconcile/reconcile.h"
#include "engine/venue/venue.h"

namespace apollo::venue::kalshi {

struct KalshiVenueOptions {
  bool send_orders = false;     // run.enable_trading: false rejects every order unsent
  int64_t in_flight_ms = 10'000;  // a request may still arrive this long after it was sent
  std::function<int64_t()> now_ms;  // the clock (tests); wall time otherwise
  // A fill whose fee is more than a cent off Kalshi's published schedule
  // for its role, size and price (fees.h), with what the schedule gives.
  // The fee journaled is Kalshi's either way: this only tells.
  std::function<void(const Fill& fill, Fixed expected)> on_unexpected_fee;
};

class KalshiVenue : public Venue {
 public:
  KalshiVenue(RestClient* client, KalshiVenueOptions options);
  Reports Submit(const apollo::Order& order) override;
  Reports Cancel(const apollo::Order& order, const std::string& reason) override;
  absl::StatusOr<Reports> Query(const apollo::Order& order) override;
  Reports OnBar(const State&, const CandleClose&) override { return {}; }
  // What Kalshi holds, for reconciliation: each position as long YES (buy)
  // or short YES (sell: NO contracts held), at what it cost a contract;
  // the resting orders, ours by client_order_id (a buy of NO is a sell of
  // YES), with what is left of them; and the balance the fold's is
  // compared with: Kalshi's cash plus what the open positions cost (the
  // fold pays for a contract when it closes, Kalshi when it is bought).
  absl::StatusOr<reconcile::VenueSnapshot> Snapshot();
  // Why the last call reported nothing (for the log); OK otherwise.
  const absl::Status& last_error() const { return last_error_; }

  // The order Kalshi is sent for ours (side, action, its side's price).
  static NewOrderRequest RequestFor(const apollo::Order& order);
  static constexpr Fixed kMarketLimit = Fixed::FromRaw(Fixed::kScale / 100 * 99);  // 0.99

 private:
  // What Kalshi holds of `ours`: accepted (if ours is still PLACED), its
  // fills not yet journaled, and a cancel Kalshi made.
  absl::StatusOr<Reports> ReportsOf(const apollo::Order& ours, const Order& theirs);
  int64_t NowMs() const;

  RestClient* client_;
  KalshiVenueOptions options_;
  std::map<std::string, int64_t> last_sent_ms_;  // by client_order_id, while in doubt
  absl::Status last_error_;
};

}  // namespace apollo::venue::kalshi

#endif  // APOLLO_ENGINE_VENUE_KALSHI_KALSHI_VENUE_H_
