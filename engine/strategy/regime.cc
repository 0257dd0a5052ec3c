#include "engine/strategy/regime.h"

namespace apollo::strategy {

Regime ClassifyRegime(double adx, std::optional<double> chop, const config::RegimeConfig& cfg) {
  if (!cfg.enabled) return Regime::kTrending;
  if (adx <= cfg.adx_ranging_threshold.ToDouble() ||
      (chop && *chop >= cfg.chop_ranging_threshold.ToDouble())) {
    return Regime::kChoppy;
  }
  if (adx >= cfg.adx_trending_threshold.ToDouble() &&
      (!chop || *chop <= cfg.chop_trending_threshold.ToDouble())) {
    return Regime::kTrending;
  }
  return Regime::kTransitional;
}

const char* RegimeName(Regime r) {
  switch (r) {
    case Regime::kTrending: return "trending";
    case Regime::kTransitional: return "transitional";
    case Regime::kChoppy: return "choppy";
  }
  return "?";
}

Fixed RegimeSizeMultiplier(Regime r, const config::RegimeConfig& cfg) {
  return r == Regime::kTransitional ? cfg.transitional_size_multiplier : Fixed::FromInt(1);
}

}  // namespace apollo::strategy
