#include "engine/domain/instrument.h"

#include "absl/strings/str_cat.h"
#include "engine/domain/state.h"

namespace apollo {

const Instrument& InstrumentOf(const State& state, const Symbol& symbol) {
  static const Instrument kPerpetual;
  auto it = state.instruments.find(symbol);
  return it == state.instruments.end() ? kPerpetual : it->second;
}

namespace {

bool Bounded(const Instrument& i) { return i.min_price.raw() != 0 || i.max_price.raw() != 0; }

std::string StrikeProblem(const ContractTerms& t) {
  if (t.strike_type == StrikeType::kNone) return "it has no strike type";
  if (!UsesFloor(t.strike_type) && !t.floor_strike.is_zero()) return "a less strike has a floor_strike";
  if (!UsesCap(t.strike_type) && !t.cap_strike.is_zero()) return "a greater strike has a cap_strike";
  if (t.strike_type == StrikeType::kBetween && t.cap_strike < t.floor_strike) {
    return "its cap_strike is below its floor_strike";
  }
  return "";
}

}  // namespace

bool UsesFloor(StrikeType type) {
  return type == StrikeType::kGreater || type == StrikeType::kGreaterOrEqual || type == StrikeType::kBetween;
}
bool UsesCap(StrikeType type) {
  return type == StrikeType::kLess || type == StrikeType::kLessOrEqual || type == StrikeType::kBetween;
}

bool OnBands(const std::vector<PriceBand>& bands, Fixed price) {
  for (const PriceBand& b : bands) {
    if (price >= b.start && price <= b.end && (price - b.start).raw() % b.step.raw() == 0) return true;
  }
  return false;
}

std::string InstrumentProblem(const Instrument& i) {
  if (i.contract_value.raw() <= 0) return absl::StrCat("contract value ", i.contract_value.ToString(), " is not above 0");
  if (Bounded(i) && !(i.min_price.raw() >= 0 && i.min_price < i.max_price)) {
    return absl::StrCat("price bounds ", i.min_price.ToString(), "..", i.max_price.ToString(), " are empty");
  }
  for (const PriceBand& b : i.price_bands) {
    const std::string band = absl::StrCat("price band ", b.start.ToString(), "..", b.end.ToString(), " step ",
                                          b.step.ToString());
    if (b.step.raw() <= 0 || b.end < b.start) return absl::StrCat(band, " is empty");
    if (Bounded(i) && (b.start < i.min_price || b.end > i.max_price)) return absl::StrCat(band, " leaves the bounds");
  }
  if (i.kind != InstrumentKind::kBinaryEventContract) return "";
  if (!(i.min_price.raw() > 0 && i.max_price < i.contract_value)) {
    return absl::StrCat("a binary contract's prices must lie strictly between 0 and its contract value ",
                        i.contract_value.ToString(), ", not ", i.min_price.ToString(), "..", i.max_price.ToString());
  }
  if (std::string why = StrikeProblem(i.terms); !why.empty()) return absl::StrCat("binary contract: ", why);
  return "";
}

bool OnPriceGrid(const Instrument& i, Fixed price) {
  if (Bounded(i) && (price < i.min_price || price > i.max_price)) return false;
  return i.price_bands.empty() || OnBands(i.price_bands, price);
}

std::optional<Fixed> MaxLoss(const Instrument& i, Side side, Fixed price, Fixed qty) {
  if (i.kind != InstrumentKind::kBinaryEventContract) return std::nullopt;
  const Fixed per_contract = side == Side::kBuy ? price : i.contract_value - price;
  return per_contract.Mul(qty);
}

Fixed YesPayout(const Instrument& i, MarketResult result) {
  return result == MarketResult::kYes ? i.contract_value : Fixed();
}

bool ResolvesYes(const ContractTerms& t, Fixed value) {
  switch (t.strike_type) {
    case StrikeType::kGreater: return value > t.floor_strike;
    case StrikeType::kGreaterOrEqual: return value >= t.floor_strike;
    case StrikeType::kLess: return value < t.cap_strike;
    case StrikeType::kLessOrEqual: return value <= t.cap_strike;
    case StrikeType::kBetween: return value >= t.floor_strike && value <= t.cap_strike;
    case StrikeType::kNone: return false;
  }
  return false;
}

}  // namespace apollo
