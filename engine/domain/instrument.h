// What a symbol is, and what follows from it: the grid its prices lie on,
// what a binary contract can lose, what it settles at and whether a value
// makes its YES. Pure: no I/O.
//
//   const Instrument& inst = InstrumentOf(state, symbol);   // a perpetual unless defined
//   if (!OnPriceGrid(inst, price)) ...                       // refuse the order
//   Fixed worst = MaxLoss(inst, Side::kSell, price, qty);    // short YES: (1 - price) x qty
//   bool yes = ResolvesYes(inst.terms, Fixed::FromInt(84));  // the day's high was 84 F
#ifndef APOLLO_ENGINE_DOMAIN_INSTRUMENT_H_
#define APOLLO_ENGINE_DOMAIN_INSTRUMENT_H_

#include <optional>
#include <string>
#include <vector>

#include "engine/domain/events.h"
#include "engine/domain/fixed.h"
#include "engine/domain/types.h"

namespace apollo {

struct State;

// The instrument `symbol` trades as: its InstrumentDefined while listed,
// else a linear perpetual without bounds.
const Instrument& InstrumentOf(const State& state, const Symbol& symbol);

// Why `instrument` cannot be traded as it says, in one line ("" when it
// can): a binary contract needs 0 < min_price < max_price < contract_value,
// a grid whose bands have a step > 0, lie within the bounds and start on
// their own step, and strikes that fit its strike type.
std::string InstrumentProblem(const Instrument& instrument);

// Which strikes a strike type is decided on: a floor (greater,
// greater_or_equal, between) and a cap (less, less_or_equal, between).
bool UsesFloor(StrikeType type);
bool UsesCap(StrikeType type);

// `price` lies on one of `bands` (start + k x step, up to end).
bool OnBands(const std::vector<PriceBand>& bands, Fixed price);

// `price` is one the instrument trades at: within its bounds (if any) and
// on one of its bands (if any).
bool OnPriceGrid(const Instrument& instrument, Fixed price);

// The most a position of `qty` opened at `price` can lose before fees: a
// binary contract's price x qty when bought (long YES) and
// (contract_value - price) x qty when sold (short YES, buying NO);
// nullopt for a linear perpetual, whose loss only a stop bounds.
std::optional<Fixed> MaxLoss(const Instrument& instrument, Side side, Fixed price, Fixed qty);

// The price a binary contract's YES settles at: contract_value on yes, 0 on no.
Fixed YesPayout(const Instrument& instrument, MarketResult result);

// Whether `value` (Kalshi weather: the day's high in whole degrees F) makes
// the contract's YES under its strike type; false for kNone.
bool ResolvesYes(const ContractTerms& terms, Fixed value);

}  // namespace apollo

#endif  // APOLLO_ENGINE_DOMAIN_INSTRUMENT_H_
