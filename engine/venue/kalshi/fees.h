// Kalshi's trading fee (issue 15 §1: applied to paper fills and checked
// against the fees the venue reports). Per fill, for the contracts C traded
// at price P (dollars):
//
//   trade fee = rate × C × P × (1 − P), rounded up to $0.0001
//   rate: 0.07 for a taker, 0.0175 for a maker (on markets with maker fees)
//
// and a member whose balance is kept in whole cents (everyone but the
// exchange's direct members) is charged the fee rounded up to the cent
// (the "rounding fee" of docs.kalshi.com/getting_started/fee_rounding, for
// a fill whose cost is whole cents). Computed exactly in integers.
//
//   Fixed fee = TradeFee(FeeRole::kTaker, Fixed::FromInt(100), *Fixed::Parse("0.5"));  // 1.75
#ifndef APOLLO_ENGINE_VENUE_KALSHI_FEES_H_
#define APOLLO_ENGINE_VENUE_KALSHI_FEES_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "engine/domain/fixed.h"

namespace apollo::venue::kalshi {

enum class FeeRole : uint8_t { kTaker, kMaker, kNoFee };

// The fee of one fill, rounded up to $0.0001; with `whole_cents`, up to
// $0.01. InvalidArgument for a count that is not positive with at most 2
// decimals, or a price not strictly between 0 and 1 with at most 4.
absl::StatusOr<Fixed> TradeFee(FeeRole role, Fixed count, Fixed price, bool whole_cents = true);

}  // namespace apollo::venue::kalshi

#endif  // APOLLO_ENGINE_VENUE_KALSHI_FEES_H_
