// weather_high_v1 over the folded State (issue 15 §3): a verdict on every
// listed market of the configured cities, its size in contracts and the
// policy's risk rules (Milkbot's, FACTS §10) as RiskApproved/RiskRejected.
// Pure and deterministic: what it returns depends only on the State, the
// config and the time, so `replay decisions` derives it again.
//
//   for (MarketSignal& m : DecideMarkets(state, cfg, now_ns)) emit(m.signal);
//   TradeProposed t = SizeContracts(m, state, cfg, signal_seq);
//   risk::Verdict v = Judge(t, proposal_seq, state, cfg, now_ns);
#ifndef APOLLO_ENGINE_WEATHER_MARKETS_H_
#define APOLLO_ENGINE_WEATHER_MARKETS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "engine/config/config.h"
#include "engine/domain/state.h"
#include "engine/risk/risk.h"
#include "engine/weather/signal.h"

namespace apollo::weather {

// Kalshi's taker fee for one contract at `price`, to the 1e-6 dollar
// (0.07 x P x (1 - P), as charged on 100 contracts).
Fixed TakerFeePerContract(Fixed price);

// A verdict on each listed binary market (State::instruments) whose series
// is a city of weather.cities and whose trading has not closed, in ticker
// order: its forecast is the city's for the market's climate day (stale
// after weather.forecast_stale_min from when it was read), its quote the
// market's latest MarketTick (no quote older than that either).
std::vector<MarketSignal> DecideMarkets(const State& state, const config::Config& cfg, int64_t now_ns);

// The limit an entry on `side` may post: `limit`, held within
// weather.max_chase_cents of the first price of the market's intent on that
// side (State::entry_anchors; none yet: `limit`), on the market's grid
// (rounded away from chasing). The repricer off (reprice_interval_sec 0):
// `limit`.
Fixed ChasedLimit(const State& state, const config::Config& cfg, const Symbol& symbol, Side side, Fixed limit);

// What a step does with a resting entry of ours, given its market's verdict
// now. kSignalGone: the spread widened or liquidity dropped past the gates
// (wide_spread, low_liquidity), or the order's own price no longer clears
// weather.min_edge_cents after the fee at the verdict's probability (none:
// no forecast or a stale one, kKeep: nothing to judge by). kReprice: the order,
// not filled at all, has rested reprice_interval_sec and the verdict
// proposes the same side at another price (ChasedLimit). Else kKeep; always
// kKeep with the repricer off, and for an order not yet known to rest.
enum class EntryAction { kKeep, kReprice, kSignalGone };
EntryAction ReviewEntry(const Order& order, const MarketSignal& verdict, const State& state, const config::Config& cfg,
                        int64_t now_ns);

// What the open contracts could lose (positions at their entry price,
// entry orders' unfilled contracts at their limit), in all, per city and
// per cluster.
struct Exposure {
  Fixed total;
  absl::btree_map<std::string, Fixed> by_city, by_cluster;
};
Exposure ExposureOf(const State& state);

// The trade: limit at the signal's price, contracts = what
// weather.per_trade_risk_pct of equity can lose at that price (times the
// strategy's weight), at most weather.max_contracts_per_trade, whole; no
// stop, no take-profit, leverage 1.
TradeProposed SizeContracts(const MarketSignal& signal, const State& state, const config::Config& cfg,
                            uint64_t signal_seq);

// The first rule the trade breaks: the account's gates (risk::AccountGates),
// a cooldown, a position or an order of ours in the market already, no
// whole contract, a price off the market's grid, then what it would add to
// the open risk, the city's and the cluster's against weather's limits.
risk::Verdict Judge(const TradeProposed& trade, uint64_t proposal_seq, const State& state, const config::Config& cfg,
                    int64_t now_ns);

}  // namespace apollo::weather

#endif  // APOLLO_ENGINE_WEATHER_MARKETS_H_
