// Order status transitions.
#include "engine/domain/order_status.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace apollo {
namespace {

absl::string_view ReportName(OrderReport r) {
  switch (r) {
    case OrderReport::kAccepted: return "ACCEPTED";
    case OrderReport::kRejected: return "REJECTED";
    case OrderReport::kPartialFill: return "PARTIAL_FILL";
    case OrderReport::kFill: return "FILL";
    case OrderReport::kCancelled: return "CANCELLED";
    case OrderReport::kExpired: return "EXPIRED";
  }
  return "?";
}

}  // namespace

absl::StatusOr<OrderStatus> NextOrderStatus(OrderStatus from, OrderReport report) {
  using S = OrderStatus;
  using R = OrderReport;
  switch (from) {
    case S::kPlaced:
      switch (report) {
        case R::kAccepted: return S::kAccepted;
        case R::kRejected: return S::kRejected;
        case R::kPartialFill: return S::kPartiallyFilled;
        case R::kFill: return S::kFilled;
        case R::kCancelled: return S::kCancelled;
        case R::kExpired: return S::kExpired;
      }
      break;
    case S::kAccepted:
    case S::kPartiallyFilled:
      switch (report) {
        case R::kPartialFill: return S::kPartiallyFilled;
        case R::kFill: return S::kFilled;
        case R::kCancelled: return S::kCancelled;
        case R::kExpired: return S::kExpired;
        case R::kAccepted:
        case R::kRejected: break;
      }
      break;
    case S::kFilled:
    case S::kCancelled:
    case S::kRejected:
    case S::kExpired:
      break;
  }
  return absl::FailedPreconditionError(absl::StrCat("order in status ", EnumName(from),
                                                    " cannot take ", ReportName(report)));
}

}  // namespace apollo
