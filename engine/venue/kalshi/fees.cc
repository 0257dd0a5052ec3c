// Kalshi's trading fee: see fees.h.
#include "engine/venue/kalshi/fees.h"

#include "absl/strings/str_cat.h"
#include "engine/venue/kalshi/units.h"

namespace apollo::venue::kalshi {

absl::StatusOr<Fixed> TradeFee(FeeRole role, Fixed count, Fixed price, bool whole_cents) {
  if (!IsContractCount(count)) {
    return absl::InvalidArgumentError(absl::StrCat("kalshi fee: a count > 0 with at most 2 decimals (got ", count.ToString(), ")"));
  }
  if (!IsTradablePrice(price)) {
    return absl::InvalidArgumentError(absl::StrCat("kalshi fee: a price strictly between 0 and 1 with at most 4 decimals (got ",
                                                   price.ToString(), ")"));
  }
  if (role == FeeRole::kNoFee) return Fixed();
  // In units: c of 0.01 contract, p of $0.0001. The fee in $0.0001 is
  // rate × c/100 × p/1e4 × (1e4 − p)/1e4 × 1e4 = rate × c × p × (1e4 − p) / 1e6,
  // with rate = 7/100 (taker) or 175/10000 (maker).
  const __int128 c = count.raw() / kCent2, p = price.raw() / kCent4;
  const __int128 numerator = c * p * (10'000 - p) * (role == FeeRole::kTaker ? 700 : 175);
  const __int128 denominator = __int128{1'000'000} * 10'000;
  __int128 centicents = (numerator + denominator - 1) / denominator;  // rounded up
  if (whole_cents) centicents = (centicents + 99) / 100 * 100;
  return Fixed::FromRaw(static_cast<int64_t>(centicents * kCent4));
}

}  // namespace apollo::venue::kalshi
