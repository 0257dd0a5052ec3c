// The order status transition table. Every allowed (status, report) pair is
// listed; anything else is an error, so a report that makes no sense for an
// order (a fill after a cancel, an accept after a fill) never changes state.
#ifndef APOLLO_ENGINE_DOMAIN_ORDER_STATUS_H_
#define APOLLO_ENGINE_DOMAIN_ORDER_STATUS_H_

#include "absl/status/statusor.h"
#include "engine/domain/types.h"

namespace apollo {

enum class OrderReport : uint8_t {
  kAccepted,
  kRejected,
  kPartialFill,
  kFill,  // the execution that completes the order
  kCancelled,
  kExpired,
};

// The status after `report`, or FailedPrecondition naming both.
absl::StatusOr<OrderStatus> NextOrderStatus(OrderStatus from, OrderReport report);

inline bool IsTerminal(OrderStatus s) {
  return s == OrderStatus::kFilled || s == OrderStatus::kCancelled ||
         s == OrderStatus::kRejected || s == OrderStatus::kExpired;
}

}  // namespace apollo

#endif  // APOLLO_ENGINE_DOMAIN_ORDER_STATUS_H_
