#include "engine/weather/markets.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "engine/domain/instrument.h"
#include "engine/venue/kalshi/fees.h"
#include "engine/weather/cities.h"

namespace apollo::weather {
namespace {

const Fixed kHundred = Fixed::FromInt(100);

NamedValue Num(const char* name, Fixed value) { return NamedValue{name, value}; }

const City* CityOf(const Instrument& instrument, const config::Config& cfg) {
  const City* city = CityBySeries(instrument.terms.series);
  if (city == nullptr) return nullptr;
  const auto& codes = cfg.weather.cities;
  return std::find(codes.begin(), codes.end(), city->code) == codes.end() ? nullptr : city;
}

Fixed Pct(Fixed of, Fixed pct) { return of.Mul(pct).Div(kHundred); }

// `price` if on the instrument's grid, else the grid's price next to it
// downward (`down`) or upward within its band; `price` when no band holds it.
Fixed OnGridToward(const Instrument& instrument, Fixed price, bool down) {
  if (OnPriceGrid(instrument, price)) return price;
  for (const PriceBand& b : instrument.price_bands) {
    if (price < b.start || price > b.end || b.step.raw() <= 0) continue;
    const int64_t steps = (price - b.start).raw() / b.step.raw();
    const Fixed below = b.start + Fixed::FromRaw(steps * b.step.raw());
    return down || below + b.step > b.end ? below : below + b.step;
  }
  return price;
}

Gates GatesOf(const config::WeatherConfig& w) {
  Gates gates;
  gates.min_edge = w.min_edge_cents.Div(kHundred);
  gates.max_spread = w.max_spread_cents.Div(kHundred);
  gates.min_liquidity = w.min_liquidity;
  gates.max_uncertainty = w.max_uncertainty.ToDouble();
  return gates;
}

}  // namespace

Fixed TakerFeePerContract(Fixed price) {
  absl::StatusOr<Fixed> fee = venue::kalshi::TradeFee(venue::kalshi::FeeRole::kTaker, kHundred, price, false);
  return fee.ok() ? fee->Div(kHundred) : Fixed();
}

std::vector<MarketSignal> DecideMarkets(const State& state, const config::Config& cfg, int64_t now_ns) {
  const config::WeatherConfig& w = cfg.weather;
  const int64_t now_ms = now_ns / 1'000'000;
  const int64_t stale_ms = int64_t{w.forecast_stale_min} * 60'000;
  const Gates gates = GatesOf(w);
  std::vector<MarketSignal> out;
  for (const auto& [ticker, instrument] : state.instruments) {
    if (instrument.kind != InstrumentKind::kBinaryEventContract || instrument.terms.close_time_ms <= now_ms) continue;
    const City* city = CityOf(instrument, cfg);
    if (city == nullptr) continue;
    std::optional<Forecast> forecast;
    if (auto days = state.forecasts.find(city->code); days != state.forecasts.end()) {
      if (auto f = days->second.find(instrument.terms.subject_day); f != days->second.end()) {
        const bool stale = now_ns - f->second.observed_ns > stale_ms * 1'000'000;
        forecast = Forecast{f->second.high_f.ToDouble(), f->second.sigma_f.ToDouble(), stale, f->second.source};
      }
    }
    Quote quote;
    if (auto book = state.book.find(ticker); book != state.book.end() && now_ms - book->second.time_ms <= stale_ms) {
      quote.yes_bid = book->second.bid;
      quote.yes_ask = book->second.ask;
      quote.liquidity = book->second.volume + book->second.open_interest;
    }
    out.push_back(Evaluate(ticker, instrument, quote, forecast, gates, TakerFeePerContract));
  }
  return out;
}

Fixed ChasedLimit(const State& state, const config::Config& cfg, const Symbol& symbol, Side side, Fixed limit) {
  if (cfg.weather.reprice_interval_sec == 0) return limit;
  auto it = state.entry_anchors.find(symbol);
  if (it == state.entry_anchors.end() || it->second.Of(side).raw() == 0) return limit;
  const Fixed anchor = it->second.Of(side);
  const Fixed chase = cfg.weather.max_chase_cents.Div(kHundred);
  const Instrument& instrument = InstrumentOf(state, symbol);
  if (side == Side::kBuy) return limit > anchor + chase ? OnGridToward(instrument, anchor + chase, true) : limit;
  return limit < anchor - chase ? OnGridToward(instrument, anchor - chase, false) : limit;
}

EntryAction ReviewEntry(const Order& order, const MarketSignal& verdict, const State& state, const config::Config& cfg,
                        int64_t now_ns) {
  const config::WeatherConfig& w = cfg.weather;
  if (w.reprice_interval_sec == 0 || order.purpose != OrderPurpose::kEntry) return EntryAction::kKeep;
  if (order.status != OrderStatus::kAccepted && order.status != OrderStatus::kPartiallyFilled) return EntryAction::kKeep;
  // Milkbot's spec: cancel if the spread widens or liquidity drops.
  const std::string& why = verdict.signal.reason;
  if (why == "wide_spread" || why == "low_liquidity") return EntryAction::kSignalGone;
  // No probability (no forecast, or a stale one): nothing to judge it by.
  if (!verdict.p_yes) return EntryAction::kKeep;
  // The order's own edge at its own price, as the signal counts a new one's.
  const Fixed p = *verdict.p_yes;
  const Fixed own_edge = (order.side == Side::kBuy ? p - order.price : order.price - p) - TakerFeePerContract(order.price);
  if (own_edge < GatesOf(w).min_edge) return EntryAction::kSignalGone;
  if (order.filled_qty.raw() > 0 || !verdict.propose || verdict.side != order.side) return EntryAction::kKeep;
  if (now_ns - order.placed_ts_ns < int64_t{w.reprice_interval_sec} * 1'000'000'000) return EntryAction::kKeep;
  const Fixed target = ChasedLimit(state, cfg, order.symbol, order.side, verdict.limit_price);
  return target == order.price ? EntryAction::kKeep : EntryAction::kReprice;
}

Exposure ExposureOf(const State& state) {
  Exposure e;
  auto add = [&](const Symbol& symbol, Side side, Fixed price, Fixed qty) {
    const Instrument& instrument = InstrumentOf(state, symbol);
    const std::optional<Fixed> loss = MaxLoss(instrument, side, price, qty);
    if (!loss) return;
    e.total += *loss;
    if (const City* city = CityBySeries(instrument.terms.series)) {
      e.by_city[city->code] += *loss;
      e.by_cluster[city->cluster] += *loss;
    }
  };
  for (const auto& [symbol, p] : state.positions) add(symbol, p.side, p.entry_price, p.qty);
  for (const auto& [id, o] : state.orders) {
    if (o.purpose == OrderPurpose::kEntry) add(o.symbol, o.side, o.price, o.qty - o.filled_qty);
  }
  return e;
}

TradeProposed SizeContracts(const MarketSignal& signal, const State& state, const config::Config& cfg,
                            uint64_t signal_seq) {
  const Symbol& symbol = signal.signal.symbol;
  const Instrument& instrument = InstrumentOf(state, symbol);
  TradeProposed t;
  t.symbol = symbol;
  t.side = signal.side;
  t.entry_type = OrderType::kLimit;
  t.entry_price = signal.limit_price;
  t.leverage = Fixed::FromInt(1);
  t.signal_seq = signal_seq;
  const std::optional<Fixed> per_contract = MaxLoss(instrument, signal.side, signal.limit_price, Fixed::FromInt(1));
  if (!per_contract || per_contract->raw() <= 0 || state.balance.raw() <= 0) return t;
  const Fixed budget = Pct(state.balance, cfg.weather.per_trade_risk_pct).Mul(state.StrategyWeight(signal.signal.strategy));
  const Fixed contracts = budget.Div(*per_contract).FloorTo(Fixed::FromInt(1));
  t.qty = std::min(contracts, Fixed::FromInt(cfg.weather.max_contracts_per_trade));
  return t;
}

risk::Verdict Judge(const TradeProposed& t, uint64_t proposal_seq, const State& state, const config::Config& cfg,
                    int64_t now_ns) {
  if (std::optional<RiskRejected> gate = risk::AccountGates(t.symbol, proposal_seq, state, cfg, now_ns)) return *gate;
  auto reject = [&](RiskRule rule, std::string why, std::vector<NamedValue> values) -> risk::Verdict {
    return RiskRejected{t.symbol, proposal_seq, rule, std::move(why), std::move(values)};
  };
  if (now_ns < state.cooldown_until_ns) {
    return reject(RiskRule::kCooldownActive, state.cooldown_reason.empty() ? "cooldown active" : state.cooldown_reason,
                  {});
  }
  if (state.positions.contains(t.symbol)) return reject(RiskRule::kSymbolAlreadyOpen, "a position in the market is open", {});
  for (const auto& [id, o] : state.orders) {
    if (o.symbol == t.symbol) return reject(RiskRule::kOpenOrderExists, "an order in the market is open", {});
  }
  if (t.qty < Fixed::FromInt(1)) {
    return reject(RiskRule::kSizeBelowMinNotional, "the per-trade risk buys no whole contract",
                  {Num("qty", t.qty), Num("entry_price", t.entry_price), Num("equity", state.balance),
                   Num("per_trade_risk_pct", cfg.weather.per_trade_risk_pct)});
  }
  const config::WeatherConfig& rules = cfg.weather;
  if (rules.max_rejects > 0) {
    const int64_t since = now_ns - int64_t{rules.reject_window_min} * 60'000'000'000;
    const auto recent = std::count_if(state.order_rejects_ns.begin(), state.order_rejects_ns.end(),
                                      [&](int64_t at) { return at > since; });
    if (recent >= rules.max_rejects) {
      return reject(RiskRule::kRejectRate,
                    absl::StrCat(recent, " orders refused by the venue in the last ", rules.reject_window_min, " min"),
                    {Num("rejects", Fixed::FromInt(recent)), Num("max_rejects", Fixed::FromInt(rules.max_rejects))});
    }
  }
  const Instrument& instrument = InstrumentOf(state, t.symbol);
  if (!OnPriceGrid(instrument, t.entry_price)) {
    return reject(RiskRule::kPriceFilter, "price off the market's grid", {Num("entry_price", t.entry_price)});
  }
  const Fixed trade_risk = MaxLoss(instrument, t.side, t.entry_price, t.qty).value_or(Fixed());
  const Exposure e = ExposureOf(state);
  const City* city = CityBySeries(instrument.terms.series);
  const Fixed city_risk = city == nullptr ? Fixed() : (e.by_city.contains(city->code) ? e.by_city.at(city->code) : Fixed());
  const Fixed cluster_risk =
      city == nullptr ? Fixed() : (e.by_cluster.contains(city->cluster) ? e.by_cluster.at(city->cluster) : Fixed());
  const config::WeatherConfig& w = cfg.weather;
  if (e.total + trade_risk > Pct(state.balance, w.max_open_risk_pct)) {
    return reject(RiskRule::kMaxOpenRisk, "open risk would exceed its limit",
                  {Num("open_risk", e.total), Num("trade_risk", trade_risk),
                   Num("max_open_risk", Pct(state.balance, w.max_open_risk_pct))});
  }
  if (city != nullptr && city_risk + trade_risk > Pct(state.balance, w.city_exposure_pct)) {
    return reject(RiskRule::kCityExposure, absl::StrCat(city->code, "'s exposure would exceed its limit"),
                  {Num("city_risk", city_risk), Num("trade_risk", trade_risk),
                   Num("max_city_risk", Pct(state.balance, w.city_exposure_pct))});
  }
  if (city != nullptr && cluster_risk + trade_risk > Pct(state.balance, w.cluster_exposure_pct)) {
    return reject(RiskRule::kClusterExposure, absl::StrCat("cluster ", city->cluster, "'s exposure would exceed its limit"),
                  {Num("cluster_risk", cluster_risk), Num("trade_risk", trade_risk),
                   Num("max_cluster_risk", Pct(state.balance, w.cluster_exposure_pct))});
  }
  return RiskApproved{t.symbol, proposal_seq,
                      {Num("equity", state.balance), Num("trade_risk", trade_risk), Num("open_risk", e.total + trade_risk),
                       Num("city_risk", city_risk + trade_risk), Num("cluster_risk", cluster_risk + trade_risk)}};
}

}  // namespace apollo::weather
