#include "engine/weather/signal.h"

#include <algorithm>
#include <cmath>

#include "engine/domain/instrument.h"
#include "engine/weather/model.h"

namespace apollo::weather {
namespace {

const Fixed kBasisPoint = Fixed::FromRaw(10'000);  // 0.0001: probabilities and confidences are journaled to it

Fixed Rounded(double value) { return Fixed::FromDouble(value).RoundTo(kBasisPoint); }

}  // namespace

MarketSignal Evaluate(const Symbol& ticker, const Instrument& instrument, const Quote& quote,
                      const std::optional<Forecast>& forecast, const Gates& gates, const FeePerContract& fee) {
  MarketSignal out;
  SignalComputed& s = out.signal;
  s.symbol = ticker;
  s.strategy = std::string(kStrategyName);
  auto hold = [&](const char* reason) {
    s.reason = reason;
    return out;
  };
  if (!forecast) return hold("missing_data");
  const double uncertainty = std::min(forecast->sigma_f / 15.0, 1.0);
  s.confidence = Rounded(1.0 - uncertainty);
  s.inputs = {{"forecast_high_f", Rounded(forecast->high_f)}, {"sigma_f", Rounded(forecast->sigma_f)}};
  if (forecast->stale) return hold("stale_data");
  const Fixed p = Rounded(ProbabilityYes(instrument.terms, forecast->high_f, forecast->sigma_f));
  s.inputs.push_back({"p_yes", p});
  out.p_yes = p;
  if (!quote.yes_bid || !quote.yes_ask) return hold("missing_data");
  const Fixed bid = *quote.yes_bid, ask = *quote.yes_ask;
  s.inputs.push_back({"yes_bid", bid});
  s.inputs.push_back({"yes_ask", ask});
  s.inputs.push_back({"liquidity", quote.liquidity});
  if (!OnPriceGrid(instrument, bid) || !OnPriceGrid(instrument, ask) || ask <= bid) return hold("missing_data");
  // Buying YES at the ask, or NO at 1 - bid (selling YES at the bid); the
  // fee is Kalshi's, the same at P and 1 - P.
  const Fixed fee_yes = fee(ask), fee_no = fee(bid);
  const Fixed edge_yes = p - ask - fee_yes;
  const Fixed edge_no = bid - p - fee_no;
  const bool yes = edge_yes >= edge_no;
  const Fixed edge = yes ? edge_yes : edge_no;
  out.side = yes ? Side::kBuy : Side::kSell;
  s.direction = out.side;
  s.score = std::clamp(edge, Fixed(), Fixed::FromInt(1));
  s.inputs.push_back({"fee", yes ? fee_yes : fee_no});
  s.inputs.push_back({"edge", edge});
  if (ask - bid > gates.max_spread) return hold("wide_spread");
  if (quote.liquidity < gates.min_liquidity) return hold("low_liquidity");
  if (uncertainty > gates.max_uncertainty) return hold("high_uncertainty");
  if (edge < gates.min_edge) return hold("insufficient_edge");
  out.propose = true;
  out.limit_price = yes ? ask : bid;  // within fair value - fee - min_edge (buy), or above it (sell)
  return hold("strong_edge");
}

}  // namespace apollo::weather
