#include "engine/venue/kalshi/units.h"

#include "absl/strings/str_cat.h"

namespace apollo::venue::kalshi {

bool IsTradablePrice(Fixed price) {
  return price > Fixed() && price < Fixed::FromInt(1) && price.raw() % kCent4 == 0;
}
bool IsContractCount(Fixed count) { return count > Fixed() && count.raw() % kCent2 == 0; }

namespace {

std::string Decimals(Fixed v, int64_t unit, size_t digits) {
  const bool negative = v.raw() < 0;
  const int64_t raw = negative ? -v.raw() : v.raw();
  const std::string frac = absl::StrCat((raw % Fixed::kScale) / unit);
  return absl::StrCat(negative ? "-" : "", raw / Fixed::kScale, ".", std::string(digits - frac.size(), '0'), frac);
}

}  // namespace

bool PrintFills(bool bids_yes, Fixed yes_limit, Fixed yes_price, bool taker_bought_yes) {
  if (yes_price == yes_limit) return bids_yes != taker_bought_yes;
  return bids_yes ? yes_price < yes_limit : yes_price > yes_limit;
}

std::string Dollars4(Fixed v) { return Decimals(v, kCent4, 4); }
std::string Count2(Fixed v) { return Decimals(v, kCent2, 2); }

}  // namespace apollo::venue::kalshi
