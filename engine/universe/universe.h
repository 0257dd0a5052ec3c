// The universe: which of the symbols traded new entries may open in, chosen
// as the seed chooses it. Candidates are ranked by 24 h quote volume (ties
// by symbol), those below universe.min_quote_volume_usd, with a minimum
// order notional above universe.max_min_notional_usd or a funding rate
// beyond ±universe.max_funding_rate_pct are dropped, and the best
// universe.size of the rest are kept. Pure: the engine journals the result
// and `replay decisions` judges it again from the journaled numbers.
//
//   UniverseUpdated u = universe::Select(candidates, cfg.universe, "recorded_bars");
//   for (const UniverseCandidate& c : u.candidates) ... c.kept, c.reason
#ifndef APOLLO_ENGINE_UNIVERSE_UNIVERSE_H_
#define APOLLO_ENGINE_UNIVERSE_UNIVERSE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "engine/config/config.h"
#include "engine/domain/events.h"
#include "engine/domain/state.h"

namespace apollo::universe {

// `candidates` carry their numbers (symbol, quote_volume_24h, min_notional,
// funding_rate_pct, funding_known); rank, kept and reason are set here. A
// funding rate that is not known does not drop a symbol.
UniverseUpdated Select(std::vector<UniverseCandidate> candidates, const config::UniverseConfig& cfg,
                       std::string source);

// Whether a universe is to be chosen at `now_ns`: universe.size > 0 and none
// was chosen yet, or the last is refresh_interval_hours old.
bool Due(const State& state, const config::UniverseConfig& cfg, int64_t now_ns);

}  // namespace apollo::universe

#endif  // APOLLO_ENGINE_UNIVERSE_UNIVERSE_H_
