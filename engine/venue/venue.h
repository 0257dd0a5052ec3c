// A venue executes our orders and reports what happened to them. The engine
// calls it only for side effects whose intent is already durable in the
// ledger, and journals every report it returns as an event before acting on
// it ("results come back as inputs").
//
//   for (const Order& o : placed) for (EventBody& r : venue.Submit(o)) inputs.push_back(r);
//
// Reports are OrderAccepted, OrderRejected, OrderPartialFill, OrderFilled,
// OrderCancelled, OrderExpired and StopTriggered events.
#ifndef APOLLO_ENGINE_VENUE_VENUE_H_
#define APOLLO_ENGINE_VENUE_VENUE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/domain/events.h"
#include "engine/domain/state.h"

namespace apollo::venue {

using Reports = std::vector<EventBody>;

// A fill as the venue reports it: OrderFilled when it completes the order,
// OrderPartialFill otherwise (the fold refuses either one used wrongly).
inline EventBody FillReport(const Fill& fill, bool completes) {
  if (completes) return OrderFilled{fill};
  return OrderPartialFill{fill};
}

class Venue {
 public:
  virtual ~Venue() = default;
  // Sends a new order. Sent at most once per client order id by the engine.
  virtual Reports Submit(const Order& order) = 0;
  // Asks to cancel an open order; `reason` goes into OrderCancelled.
  virtual Reports Cancel(const Order& order, const std::string& reason) = 0;
  // Resolves an order the ledger shows as placed but never confirmed (the
  // process died between journaling it and hearing back): the venue's
  // reports for it, or NotFound when the venue never received it, which
  // makes sending it now its first and only submission, or Unavailable
  // when it cannot tell yet (asked again later), or DeadlineExceeded when
  // the venue did not answer in time (asked again later; the engine asks
  // no other order until then, so a slow venue does not hold its loop).
  virtual absl::StatusOr<Reports> Query(const Order& order) = 0;
  // A closed bar of market data. A simulated venue matches the open orders
  // of `state` against it; a real one returns nothing (its reports arrive
  // on its own streams).
  virtual Reports OnBar(const State& state, const CandleClose& bar) = 0;
};

}  // namespace apollo::venue

#endif  // APOLLO_ENGINE_VENUE_VENUE_H_
