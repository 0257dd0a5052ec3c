// What Kalshi trades (FACTS §5): prices in dollars strictly between 0 and 1
// with at most 4 decimals (kCent4 raw units), counts above 0 with at most
// 2 (kCent2). Pure.
#ifndef APOLLO_ENGINE_VENUE_KALSHI_UNITS_H_
#define APOLLO_ENGINE_VENUE_KALSHI_UNITS_H_

#include <cstdint>
#include <string>

#include "engine/domain/fixed.h"

namespace apollo::venue::kalshi {

inline constexpr int64_t kCent4 = Fixed::kScale / 10'000;  // raw units of 0.0001
inline constexpr int64_t kCent2 = Fixed::kScale / 100;     // raw units of 0.01

bool IsTradablePrice(Fixed price);
bool IsContractCount(Fixed count);

// Kalshi's fixed-point strings: dollars with 4 decimals ("0.5600"),
// counts with 2 ("10.00", "-3.00"); digits beyond them are cut.
std::string Dollars4(Fixed v);
std::string Count2(Fixed v);

// Whether another trader's print at `yes_price` fills a bid of ours resting
// at the YES price `yes_limit`: a bid for YES from a print below it, or at
// it when the print's taker sold YES (our bid was there to hit); a bid for
// NO (a YES offer at yes_limit) from a print above it, or at it when the
// taker bought YES. The simulated venues' rule (tape_venue.h, fake-kalshi);
// queue position is not modelled.
bool PrintFills(bool bids_yes, Fixed yes_limit, Fixed yes_price, bool taker_bought_yes);

}  // namespace apollo::venue::kalshi

#endif  // APOLLO_ENGINE_VENUE_KALSHI_UNITS_H_
