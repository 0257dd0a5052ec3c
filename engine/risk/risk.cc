// Risk rules, sizing and the circuit breaker. See risk.h.
#include "engine/risk/risk.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/strings/str_cat.h"

namespace apollo::risk {
namespace {

const Fixed kHundred = Fixed::FromInt(100);
// A book quote older than this (against the decision's time) is not judged.
constexpr int64_t kBookFreshMs = 60'000;
constexpr int64_t kMarginRatioCapPct = 1'000'000;

NamedValue Num(std::string name, Fixed v) { return NamedValue{std::move(name), v}; }

// A duration in hours from nanoseconds, to the millisecond; beyond ±100
// days it is ±100 days (only compared against limits of at most 30).
Fixed Hours(int64_t ns) {
  constexpr int64_t kMaxMs = int64_t{100} * 86'400'000;
  const int64_t ms = std::clamp<int64_t>(ns / 1'000'000, -kMaxMs, kMaxMs);
  return Fixed::FromInt(ms).Div(Fixed::FromInt(3'600'000));
}

// The rules in the order they are checked; the first broken one rejects.
class Checker {
 public:
  Checker(const TradeProposed& t, uint64_t proposal_seq, Fixed atr, const State& s,
          const config::Config& cfg, const Filters& f, int64_t now_ns)
      : t_(t), proposal_seq_(proposal_seq), atr_(atr), s_(s), cfg_(cfg), f_(f), now_ns_(now_ns) {}

  Verdict Run() {
    const config::RiskConfig& r = cfg_.risk;
    const Fixed notional = t_.qty.Mul(t_.entry_price);
    const Fixed stop_distance = (t_.entry_price - t_.stop_price).Abs();
    if (AccountGatesFail()) return *rejected_;
    if (Fail(s_.positions.size() + PendingEntries() >= static_cast<size_t>(r.max_positions),
             RiskRule::kMaxPositionsReached, "max open positions reached", MaxPositionsValues()) ||
        Fail(!s_.AccountSettingFailure(t_.symbol).empty(), RiskRule::kAccountSettingFailed,
             s_.AccountSettingFailure(t_.symbol), {}) ||
        Fail(s_.positions.contains(t_.symbol), RiskRule::kSymbolAlreadyOpen, "a position in the symbol is open", {}) ||
        Fail(HasOpenEntry(), RiskRule::kOpenOrderExists, "an entry order for the symbol is open", {}) ||
        Fail(t_.leverage > r.max_leverage, RiskRule::kLeverageExceedsLimit, "leverage above the limit",
             {Num("leverage", t_.leverage), Num("max_leverage", r.max_leverage)}) ||
        Fail(!StopOnTheRightSide(), RiskRule::kStopLossMissing, "no stop-loss on the losing side of the entry",
             {Num("entry_price", t_.entry_price), Num("stop_price", t_.stop_price)}) ||
        Fail(atr_.raw() > 0 && stop_distance > atr_.Mul(r.max_stop_atr), RiskRule::kStopTooWide,
             "stop further than max_stop_atr ATR",
             {Num("stop_distance", stop_distance), Num("atr", atr_), Num("max_stop_atr", r.max_stop_atr)}) ||
        Fail(FundingTooHigh(), RiskRule::kFundingTooHigh, "funding rate beyond the limit",
             {Num("funding_rate_pct", FundingRatePct()), Num("max_funding_rate_pct", r.max_funding_rate_pct)}) ||
        Fail(SpreadTooWide(), RiskRule::kSpreadTooWide, "spread wider than the limit",
             {Num("spread_pct", SpreadPct()), Num("max_spread_pct", SpreadLimitPct()), Num("atr_pct", AtrPct())}) ||
        Fail(cfg_.news.enabled && s_.NewsBlocked(t_.symbol, now_ns_), RiskRule::kNewsHighRisk,
             "high-risk news blocks entries", {Num("hours_left", NewsHoursLeft(s_.news_blocks))}) ||
        Fail(cfg_.news.enabled && s_.NewsMediumBlocked(t_.symbol, now_ns_), RiskRule::kNewsMediumRisk,
             "medium-risk news blocks entries", {Num("hours_left", NewsHoursLeft(s_.news_medium_blocks))}) ||
        Fail(r.cooldown_after_loss_hours.raw() > 0 && !s_.loss_times_ns.empty() &&
                 Hours(now_ns_ - s_.loss_times_ns.back()) < r.cooldown_after_loss_hours,
             RiskRule::kCooldownAfterLoss, "cooldown after a losing trade",
             {Num("hours_since_loss", Hours(now_ns_ - (s_.loss_times_ns.empty() ? 0 : s_.loss_times_ns.back()))),
              Num("cooldown_after_loss_hours", r.cooldown_after_loss_hours)}) ||
        Fail(r.max_loss_streak_24h > 0 && LossesInWindow() >= r.max_loss_streak_24h,
             RiskRule::kCooldownAfterLossStreak, "too many losing trades in the window",
             {Num("losses_in_window", Fixed::FromInt(LossesInWindow())),
              Num("max_loss_streak_24h", Fixed::FromInt(r.max_loss_streak_24h)),
              Num("loss_streak_window_hours", r.loss_streak_window_hours)}) ||
        Fail(now_ns_ < s_.cooldown_until_ns, RiskRule::kCooldownActive,
             s_.cooldown_reason.empty() ? "cooldown active" : s_.cooldown_reason,
             {Num("hours_left", Hours(s_.cooldown_until_ns - now_ns_))}) ||
        Fail(!OnGrid(t_.qty, f_.qty_step), RiskRule::kLotSize, "quantity off the venue's step",
             {Num("qty", t_.qty), Num("step_size", f_.qty_step)}) ||
        Fail(!OnGrid(t_.entry_price, f_.price_tick) || !OnGrid(t_.stop_price, f_.price_tick) ||
                 !OnGrid(t_.take_profit_price, f_.price_tick),
             RiskRule::kPriceFilter, "price off the venue's tick",
             {Num("entry_price", t_.entry_price), Num("stop_price", t_.stop_price),
              Num("take_profit_price", t_.take_profit_price), Num("tick_size", f_.price_tick)}) ||
        Fail(t_.qty.is_zero() || notional < f_.min_notional, RiskRule::kSizeBelowMinNotional,
             "size below the venue's minimum notional",
             {Num("qty", t_.qty), Num("notional", notional), Num("min_notional", f_.min_notional)}) ||
        Fail(notional > r.max_position_notional_usd, RiskRule::kMaxNotionalExceeded, "notional above the limit",
             {Num("notional", notional), Num("max_position_notional_usd", r.max_position_notional_usd)}) ||
        Fail(MarginRatioHigh(notional), RiskRule::kMarginRatioHigh, "margin held would be above the limit",
             {Num("margin_in_use", MarginInUse(s_, t_.leverage)), Num("entry_margin", EntryMargin(notional)),
              Num("equity", s_.balance), Num("margin_ratio_pct", MarginRatioPct(notional)),
              Num("max_margin_ratio_pct", MarginLimitPct())})) {
      return *rejected_;
    }
    return RiskApproved{t_.symbol, proposal_seq_,
                        {Num("equity", s_.balance), Num("daily_pnl_pct", s_.DailyPnlPct()),
                         Num("drawdown_pct", s_.drawdown_pct),
                         Num("consecutive_losses", Fixed::FromInt(s_.consecutive_losses)),
                         Num("open_positions", Fixed::FromInt(static_cast<int64_t>(s_.positions.size()))),
                         Num("leverage", t_.leverage), Num("stop_distance", stop_distance), Num("atr", atr_),
                         Num("notional", notional)}};
  }

  // The gates every entry meets first (AccountGates).
  bool AccountGatesFail() {
    const config::RiskConfig& r = cfg_.risk;
    return Gate(s_.paused, RiskRule::kTradingPaused) || Gate(s_.manual_review, RiskRule::kManualReviewRequired) ||
           Gate(s_.circuit_breaker, RiskRule::kCircuitBreakerActive) ||
           Fail(s_.balance < r.min_equity_usd, RiskRule::kEquityBelowMinimum, "equity below the minimum",
                {Num("equity", s_.balance), Num("min_equity_usd", r.min_equity_usd)}) ||
           Fail(s_.DailyPnlPct() <= -r.max_daily_loss_pct, RiskRule::kDailyLossLimit, "daily loss limit reached",
                {Num("daily_pnl_pct", s_.DailyPnlPct()), Num("max_daily_loss_pct", r.max_daily_loss_pct)}) ||
           Fail(s_.drawdown_pct >= r.max_drawdown_pct, RiskRule::kMaxDrawdown, "drawdown at its limit",
                {Num("drawdown_pct", s_.drawdown_pct), Num("max_drawdown_pct", r.max_drawdown_pct)}) ||
           Fail(s_.consecutive_losses >= static_cast<uint32_t>(r.max_consecutive_losses), RiskRule::kConsecutiveLosses,
                "loss streak at its limit",
                {Num("consecutive_losses", Fixed::FromInt(s_.consecutive_losses)),
                 Num("max_consecutive_losses", Fixed::FromInt(r.max_consecutive_losses))});
  }
  const std::optional<RiskRejected>& rejected() const { return rejected_; }

 private:
  bool Gate(const Flag& flag, RiskRule rule) {
    return Fail(flag.active, rule, flag.reason.empty() ? std::string(EnumName(rule)) : flag.reason, {});
  }
  bool Fail(bool broken, RiskRule rule, std::string reason, std::vector<NamedValue> values) {
    if (broken) rejected_ = RiskRejected{t_.symbol, proposal_seq_, rule, std::move(reason), std::move(values)};
    return broken;
  }
  int64_t LossesInWindow() const {
    const auto& times = s_.loss_times_ns;
    return std::count_if(times.begin(), times.end(), [&](int64_t t) {
      return t <= now_ns_ && Hours(now_ns_ - t) < cfg_.risk.loss_streak_window_hours;
    });
  }
  // Symbols other than this one with an entry order on its way and no
  // position yet: each becomes a position when it fills, so
  // risk.max_positions counts them (a step's second candidate must not
  // open beside the first one's resting entry).
  size_t PendingEntries() const {
    absl::btree_set<Symbol> pending;
    for (const auto& [id, o] : s_.orders) {
      if (o.purpose == OrderPurpose::kEntry && o.symbol != t_.symbol && !s_.positions.contains(o.symbol)) {
        pending.insert(o.symbol);
      }
    }
    return pending.size();
  }
  std::vector<NamedValue> MaxPositionsValues() const {
    std::vector<NamedValue> values{Num("open_positions", Fixed::FromInt(static_cast<int64_t>(s_.positions.size()))),
                                   Num("max_positions", Fixed::FromInt(cfg_.risk.max_positions))};
    // Only when there are any, so single-symbol ledgers read as before.
    if (const size_t n = PendingEntries(); n > 0) {
      values.insert(values.begin() + 1, Num("pending_entries", Fixed::FromInt(static_cast<int64_t>(n))));
    }
    return values;
  }
  // Hours until the symbol's news block (in `blocks`) ends.
  Fixed NewsHoursLeft(const absl::btree_map<Symbol, int64_t>& blocks) const {
    auto it = blocks.find(t_.symbol);
    return it == blocks.end() ? Fixed() : Hours(it->second - now_ns_);
  }
  // The symbol's latest funding rate (FundingUpdate) in percent; 0 when none is known.
  Fixed FundingRatePct() const {
    auto it = s_.funding.find(t_.symbol);
    return it == s_.funding.end() ? Fixed() : it->second.Pct();
  }
  bool FundingTooHigh() const {
    const Fixed max = cfg_.risk.max_funding_rate_pct;
    return max.raw() > 0 && s_.funding.contains(t_.symbol) && FundingRatePct().Abs() > max;
  }
  // The symbol's book as its last MarketTick gave it, when that quote is
  // at most kBookFreshMs older than the decision; else none (no check).
  const BookTop* FreshBook() const {
    auto it = s_.book.find(t_.symbol);
    if (it == s_.book.end() || now_ns_ / 1'000'000 - it->second.time_ms > kBookFreshMs) return nullptr;
    return &it->second;
  }
  Fixed SpreadPct() const {
    const BookTop* book = FreshBook();
    return book == nullptr ? Fixed() : book->SpreadPct();
  }
  // The entry bar's ATR in percent of the entry price.
  Fixed AtrPct() const { return t_.entry_price.raw() > 0 ? atr_.Div(t_.entry_price).Mul(kHundred) : Fixed(); }
  // execution.max_spread_pct, or with use_dynamic_spread_threshold the
  // calm, normal or volatile limit by AtrPct.
  Fixed SpreadLimitPct() const {
    const config::ExecutionConfig& e = cfg_.execution;
    if (!e.use_dynamic_spread_threshold) return e.max_spread_pct;
    const Fixed atr_pct = AtrPct();
    if (atr_pct < e.atr_calm_threshold) return e.spread_threshold_calm_pct;
    if (atr_pct > e.atr_volatile_threshold) return e.spread_threshold_volatile_pct;
    return e.spread_threshold_normal_pct;
  }
  bool SpreadTooWide() const {
    const config::ExecutionConfig& e = cfg_.execution;
    const bool on = e.use_dynamic_spread_threshold || e.max_spread_pct.raw() > 0;
    return on && FreshBook() != nullptr && SpreadPct() > SpreadLimitPct();
  }
  Fixed EntryMargin(Fixed notional) const {
    return t_.leverage.raw() > 0 ? notional.Div(t_.leverage) : notional;
  }
  // The margin held with this entry, in percent of the equity (at most
  // kMarginRatioCapPct: a ratio beyond it is as high as any).
  Fixed MarginRatioPct(Fixed notional) const {
    const Fixed cap = Fixed::FromInt(kMarginRatioCapPct);
    if (s_.balance.raw() <= 0) return cap;
    const std::optional<Fixed> held = MarginInUse(s_, t_.leverage).CheckedAdd(EntryMargin(notional));
    const std::optional<Fixed> pct = held ? held->CheckedMul(kHundred) : std::nullopt;
    const std::optional<Fixed> ratio = pct ? pct->CheckedDiv(s_.balance) : std::nullopt;
    return ratio ? std::min(*ratio, cap) : cap;
  }
  // max_margin_ratio_pct, less the margin_buffer_pct the fee and the
  // venue's rounding need (an entry that fills the equity to 100 % is
  // refused by Binance, -2019).
  Fixed MarginLimitPct() const {
    return std::min(cfg_.risk.max_margin_ratio_pct, kHundred - cfg_.risk.margin_buffer_pct);
  }
  bool MarginRatioHigh(Fixed notional) const {
    return cfg_.risk.max_margin_ratio_pct.raw() > 0 && MarginRatioPct(notional) > MarginLimitPct();
  }
  bool HasOpenEntry() const {
    return std::any_of(s_.orders.begin(), s_.orders.end(), [&](const auto& kv) {
      return kv.second.symbol == t_.symbol && kv.second.purpose == OrderPurpose::kEntry;
    });
  }
  // The venue's filters (exchangeInfo), checked here so a bad order is a
  // RiskRejected with the numbers rather than a venue error.
  static bool OnGrid(Fixed v, Fixed step) { return step.raw() <= 0 || v.raw() % step.raw() == 0; }
  bool StopOnTheRightSide() const {
    if (t_.stop_price.raw() <= 0) return false;
    return t_.side == Side::kBuy ? t_.stop_price < t_.entry_price : t_.stop_price > t_.entry_price;
  }

  const TradeProposed& t_;
  uint64_t proposal_seq_;
  Fixed atr_;
  const State& s_;
  const config::Config& cfg_;
  const Filters& f_;
  int64_t now_ns_;
  std::optional<RiskRejected> rejected_;
};

}  // namespace

InstrumentFilters ToInstrumentFilters(const Filters& f) {
  return InstrumentFilters{f.price_tick, f.qty_step, f.min_qty, f.max_qty, f.min_notional};
}

Filters FromInstrumentFilters(const InstrumentFilters& f) {
  return Filters{f.tick_size, f.step_size, f.min_notional, f.min_qty, f.max_qty};
}

Filters FiltersFor(const State& state, const Symbol& symbol, const Filters& fallback) {
  auto it = state.filters.find(symbol);
  return it == state.filters.end() ? fallback : FromInstrumentFilters(it->second);
}

TradeProposed Size(const strategy::EntryIdea& idea, const State& state, const config::Config& cfg,
                   const Filters& filters, uint64_t signal_seq) {
  TradeProposed t;
  t.symbol = idea.signal.symbol;
  t.side = idea.signal.direction;
  t.entry_type = cfg.execution.entry_order_type;
  t.leverage = cfg.risk.default_leverage;
  t.signal_seq = signal_seq;
  Fixed entry = idea.reference_price;
  if (t.entry_type == OrderType::kLimit) {
    // A limit a little better than the signal's close (limit_order_buffer_pct).
    const Fixed buffer = entry.Mul(cfg.execution.limit_order_buffer_pct).Div(kHundred);
    entry = t.side == Side::kBuy ? entry - buffer : entry + buffer;
  }
  t.entry_price = entry.RoundTo(filters.price_tick);
  t.stop_price = idea.stop_price.RoundTo(filters.price_tick);
  t.take_profit_price = idea.take_profit_price.RoundTo(filters.price_tick);
  const Fixed distance = (t.entry_price - t.stop_price).Abs();
  if (distance.is_zero() || t.entry_price.raw() <= 0) return t;  // qty 0: risk rejects it
  const Fixed risk_amount = state.balance.Mul(cfg.risk.risk_per_trade_pct).Div(kHundred);
  Fixed qty = risk_amount.Div(distance);
  const Fixed leverage_cap = state.balance.Mul(t.leverage).Mul(kHundred - cfg.risk.margin_buffer_pct).Div(kHundred);
  const Fixed max_notional = std::min(leverage_cap, cfg.risk.max_position_notional_usd);
  qty = std::min(qty, max_notional.Div(t.entry_price));
  // The regime's share (transitional_size_multiplier), of the capped size.
  if (idea.size_multiplier != Fixed::FromInt(1)) qty = qty.Mul(idea.size_multiplier);
  // The operator's weight for the strategy (POST /strategy/weights).
  if (const Fixed weight = state.StrategyWeight(idea.signal.strategy); weight != Fixed::FromInt(1)) qty = qty.Mul(weight);
  t.qty = qty.FloorTo(filters.qty_step);
  return t;
}

namespace {

Fixed LastClose(const State& state, const Symbol& symbol, Fixed fallback) {
  auto it = state.last_bars.find(symbol);
  return it == state.last_bars.end() ? fallback : it->second.close;
}

Fixed Over(Fixed notional, Fixed leverage) { return leverage.raw() > 0 ? notional.Div(leverage) : notional; }

}  // namespace

Fixed PositionNotional(const State& state) {
  Fixed notional;
  for (const auto& [symbol, p] : state.positions) notional += p.qty.Mul(LastClose(state, symbol, p.entry_price));
  return notional;
}

Fixed PositionMargin(const State& state) {
  Fixed margin;
  for (const auto& [symbol, p] : state.positions) {
    margin += Over(p.qty.Mul(LastClose(state, symbol, p.entry_price)), p.leverage);
  }
  return margin;
}

Fixed MarginInUse(const State& state, Fixed entry_leverage) {
  Fixed margin = PositionMargin(state);
  for (const auto& [id, o] : state.orders) {
    if (o.purpose != OrderPurpose::kEntry || o.qty <= o.filled_qty) continue;
    const Fixed price = o.price.raw() > 0 ? o.price : LastClose(state, o.symbol, Fixed());
    margin += Over((o.qty - o.filled_qty).Mul(price), entry_leverage);
  }
  return margin;
}

Verdict Evaluate(const TradeProposed& trade, uint64_t proposal_seq, Fixed atr, const State& state,
                 const config::Config& cfg, const Filters& filters, int64_t now_ns) {
  return Checker(trade, proposal_seq, atr, state, cfg, filters, now_ns).Run();
}

std::optional<RiskRejected> AccountGates(const Symbol& symbol, uint64_t proposal_seq, const State& state,
                                         const config::Config& cfg, int64_t now_ns) {
  TradeProposed trade;
  trade.symbol = symbol;
  Checker checker(trade, proposal_seq, Fixed(), state, cfg, Filters{}, now_ns);
  if (!checker.AccountGatesFail()) return std::nullopt;
  return checker.rejected();
}

std::optional<CooldownStarted> CheckDailyCooldown(const State& state, const config::RiskConfig& cfg, int64_t now_ns) {
  if (cfg.cooldown_after_max_daily_hours.raw() <= 0 || state.cooldown_day_utc == state.day_utc ||
      state.DailyPnlPct() > -cfg.max_daily_loss_pct) {
    return std::nullopt;
  }
  const int64_t seconds = cfg.cooldown_after_max_daily_hours.Mul(Fixed::FromInt(3600)).raw() / Fixed::kScale;
  const int64_t until_ns = now_ns + seconds * 1'000'000'000;
  return CooldownStarted{RiskRule::kDailyLossLimit, until_ns,
                         absl::StrCat("daily loss ", state.DailyPnlPct().ToString(), "% reached the limit; no entry for ",
                                      cfg.cooldown_after_max_daily_hours.ToString(), " h"),
                         {Num("daily_pnl_pct", state.DailyPnlPct()), Num("max_daily_loss_pct", cfg.max_daily_loss_pct),
                          Num("cooldown_after_max_daily_hours", cfg.cooldown_after_max_daily_hours)}};
}

std::optional<CircuitBreakerTriggered> CheckBreaker(const State& state, const config::RiskConfig& cfg) {
  if (state.circuit_breaker.active) return std::nullopt;
  if (state.drawdown_pct >= cfg.max_drawdown_pct) {
    return CircuitBreakerTriggered{RiskRule::kMaxDrawdown,
                                   absl::StrCat("drawdown ", state.drawdown_pct.ToString(), "% >= ",
                                                cfg.max_drawdown_pct.ToString(), "%"),
                                   {Num("drawdown_pct", state.drawdown_pct), Num("max_drawdown_pct", cfg.max_drawdown_pct),
                                    Num("equity", state.balance), Num("peak_equity", state.peak_equity)}};
  }
  if (state.consecutive_losses >= static_cast<uint32_t>(cfg.max_consecutive_losses)) {
    return CircuitBreakerTriggered{RiskRule::kConsecutiveLosses,
                                   absl::StrCat(state.consecutive_losses, " consecutive losses"),
                                   {Num("consecutive_losses", Fixed::FromInt(state.consecutive_losses)),
                                    Num("max_consecutive_losses", Fixed::FromInt(cfg.max_consecutive_losses))}};
  }
  return std::nullopt;
}

}  // namespace apollo::risk
