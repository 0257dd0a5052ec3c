// What Kalshi trades (FACTS §5): prices in dollars strictly between 0 and 1
// with at most 4 decimals (kCent4 raw units), counts above 0 with at most
// 2 (kCent2). Pure.
#ifndef APOLLO_ENGINE_VENUE_KALSHI_UNITS_H_
#define APOLLO_ENGINE_VENUE_KALSHI_UNITS_H_

#include <cstdint>

#include "engine/domain/fixed.h"

namespace apollo::venue::kalshi {

inline constexpr int64_t kCent4 = Fixed::kScale / 10'000;  // raw units of 0.0001
inline constexpr int64_t kCent2 = Fixed::kScale / 100;     // raw units of 0.01

bool IsTradablePrice(Fixed price);
bool IsContractCount(Fixed count);

}  // namespace apollo::venue::kalshi

#endif  // APOLLO_ENGINE_VENUE_KALSHI_UNITS_H_
