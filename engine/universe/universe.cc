// The seed's universe selection; see universe.h.
#include "engine/universe/universe.h"

#include <algorithm>
#include <utility>


namespace apollo::universe {

UniverseUpdated Select(std::vector<UniverseCandidate> candidates, const config::UniverseConfig& cfg,
                       std::string source) {
  std::sort(candidates.begin(), candidates.end(), [](const UniverseCandidate& a, const UniverseCandidate& b) {
    return a.quote_volume_24h != b.quote_volume_24h ? a.quote_volume_24h > b.quote_volume_24h : a.symbol < b.symbol;
  });
  UniverseUpdated out;
  out.source = std::move(source);
  for (size_t i = 0; i < candidates.size(); ++i) {
    UniverseCandidate& c = candidates[i];
    c.rank = static_cast<uint32_t>(i + 1);
    c.kept = false;
    if (static_cast<__int128>(c.quote_volume_24h) * Fixed::kScale < cfg.min_quote_volume_usd.raw()) {
      c.reason = "LOW_QUOTE_VOLUME";
    } else if (c.min_notional > cfg.max_min_notional_usd) {
      c.reason = "MIN_NOTIONAL_TOO_HIGH";
    } else if (c.funding_known && c.funding_rate_pct.Abs() > cfg.max_funding_rate_pct) {
      c.reason = "FUNDING_TOO_HIGH";
    } else if (out.symbols.size() >= static_cast<size_t>(cfg.size)) {
      c.reason = "BEYOND_SIZE";
    } else {
      c.kept = true;
      c.reason = "KEPT";
      out.symbols.push_back(c.symbol);
    }
  }
  out.candidates = std::move(candidates);
  return out;
}

bool Due(const State& state, const config::UniverseConfig& cfg, int64_t now_ns) {
  if (cfg.size <= 0) return false;
  if (state.universe_updated_ns == 0) return true;
  return now_ns - state.universe_updated_ns >= HoursToNs(cfg.refresh_interval_hours);
}

}  // namespace apollo::universe
