// A Kalshi market as the domain lists it, for the suites that need one
// (the fold, the judge, the metrics): KXHIGHNY's 81-82 °F bucket of
// 2025-03-29, priced 1 to 99 cents on a 1-cent grid. Header-only.
#ifndef APOLLO_TESTS_SUPPORT_KALSHI_INSTRUMENTS_H_
#define APOLLO_TESTS_SUPPORT_KALSHI_INSTRUMENTS_H_

#include "engine/domain/fixed.h"
#include "engine/domain/events.h"

namespace apollo::testing {

inline constexpr char kNycBucketTicker[] = "KXHIGHNY-25MAR29-B81.5";

inline Instrument NycBucket() {
  Instrument i;
  i.kind = InstrumentKind::kBinaryEventContract;
  i.min_price = *Fixed::Parse("0.01");
  i.max_price = *Fixed::Parse("0.99");
  i.price_bands = {PriceBand{*Fixed::Parse("0.01"), *Fixed::Parse("0.99"), *Fixed::Parse("0.01")}};
  i.contract_value = Fixed::FromInt(1);
  i.terms = ContractTerms{"KXHIGHNY", "KXHIGHNY-25MAR29", "2025-03-29", StrikeType::kBetween, Fixed::FromInt(81),
                          Fixed::FromInt(82), 0, 0, "81° to 82°"};
  return i;
}

}  // namespace apollo::testing

#endif  // APOLLO_TESTS_SUPPORT_KALSHI_INSTRUMENTS_H_
