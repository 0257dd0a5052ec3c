// The market regime (the seed's `regime.*`) from ADX and the Choppiness
// Index on the trend timeframe's last closed bar:
//
//   Regime r = ClassifyRegime(adx, chop, cfg.regime);   // chop nullopt: ADX alone
//   if (r == Regime::kChoppy) ...                       // no entries
//   Fixed m = RegimeSizeMultiplier(r, cfg.regime);      // 1, or transitional_size_multiplier
//
// CHOPPY wins over TRENDING: a bar is choppy when ADX <= adx_ranging_threshold
// or CHOP >= chop_ranging_threshold, trending when ADX >= adx_trending_threshold
// and CHOP <= chop_trending_threshold, transitional otherwise. Pure.
#ifndef APOLLO_ENGINE_STRATEGY_REGIME_H_
#define APOLLO_ENGINE_STRATEGY_REGIME_H_

#include <optional>

#include "engine/config/config.h"
#include "engine/domain/fixed.h"

namespace apollo::strategy {

enum class Regime { kTrending, kTransitional, kChoppy };

// regime.enabled false: always kTrending.
Regime ClassifyRegime(double adx, std::optional<double> chop, const config::RegimeConfig& cfg);

// "trending", "transitional", "choppy".
const char* RegimeName(Regime r);

// The share of the usual size an entry takes in this regime.
Fixed RegimeSizeMultiplier(Regime r, const config::RegimeConfig& cfg);

}  // namespace apollo::strategy

#endif  // APOLLO_ENGINE_STRATEGY_REGIME_H_
