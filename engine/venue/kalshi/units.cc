#include "engine/venue/kalshi/units.h"

namespace apollo::venue::kalshi {

bool IsTradablePrice(Fixed price) {
  return price > Fixed() && price < Fixed::FromInt(1) && price.raw() % kCent4 == 0;
}
bool IsContractCount(Fixed count) { return count > Fixed() && count.raw() % kCent2 == 0; }

}  // namespace apollo::venue::kalshi
