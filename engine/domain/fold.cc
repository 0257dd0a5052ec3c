// The fold: how each event changes State. Every handler checks first and
// mutates after, so a rejected event leaves the state as it was.
#include <algorithm>
#include <optional>
#include <tuple>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "engine/domain/instrument.h"
#include "engine/domain/json.h"
#include "engine/domain/order_status.h"
#include "engine/domain/state.h"
#include "engine/domain/wire.h"

namespace apollo {
namespace {

constexpr int64_t kNsPerDay = 86'400'000'000'000;

absl::Status Refuse(absl::string_view what) { return absl::FailedPreconditionError(what); }

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

void UpdateDrawdown(State& s) {
  if (s.balance > s.peak_equity) s.peak_equity = s.balance;
  s.drawdown_pct = s.peak_equity.raw() > 0
                       ? (s.peak_equity - s.balance).Div(s.peak_equity).Mul(Fixed::FromInt(100))
                       : Fixed();
  if (s.drawdown_pct > s.max_drawdown_pct) s.max_drawdown_pct = s.drawdown_pct;
}

void Charge(State& s, Fixed fee) {
  s.fees_paid += fee;
  s.balance -= fee;
  s.daily_realized_pnl -= fee;
  UpdateDrawdown(s);
}

class Folder {
 public:
  Folder(State& s, const Event& e) : s_(s), e_(e) {}

  absl::Status operator()(const SystemStarted& e) {
    // The nonce is the ledger's for good: set once, then only repeated.
    if (!e.client_id_nonce.empty() && !s_.client_id_nonce.empty() && e.client_id_nonce != s_.client_id_nonce) {
      return Refuse(absl::StrCat("SystemStarted carries client id nonce '", e.client_id_nonce,
                                 "' but the ledger's is '", s_.client_id_nonce, "'"));
    }
    if (s_.client_id_nonce.empty()) s_.client_id_nonce = e.client_id_nonce;
    s_.running = true;
    ++s_.counters.starts;
    return absl::OkStatus();
  }
  absl::Status operator()(const SystemStopped&) {
    s_.running = false;
    return absl::OkStatus();
  }
  absl::Status operator()(const ConfigLoaded& c) {
    if (!s_.initialized) {
      s_.initialized = true;
      s_.balance = c.initial_equity;
      s_.peak_equity = c.initial_equity;
      s_.daily_start_equity = c.initial_equity;
      s_.day_start.balance = c.initial_equity;
    }
    return absl::OkStatus();
  }
  absl::Status operator()(const CandleClose& c) {
    auto it = s_.last_bars.find(c.symbol);
    if (it != s_.last_bars.end() && c.open_time_ms <= it->second.open_time_ms) {
      return Refuse(absl::StrCat("bar ", c.open_time_ms, " of ", c.symbol.value,
                                 " is not after the last one (", it->second.open_time_ms, ")"));
    }
    s_.last_bars[c.symbol] = LastBar{c.open_time_ms, c.close, c.high, c.low};
    ++s_.counters.bars;
    return absl::OkStatus();
  }
  absl::Status operator()(const FundingUpdate& f) {
    s_.funding[f.symbol] = FundingRate{f.funding_rate, f.mark_price, f.funding_time_ms};
    return absl::OkStatus();
  }
  absl::Status operator()(const MarketTick& t) {
    if (t.bid_price.raw() <= 0 || t.ask_price <= t.bid_price || t.ask_price > kMaxBookPrice) {
      return Refuse(absl::StrCat("book of ", t.symbol.value, ": bid ", t.bid_price.ToString(), " not below ask ",
                                 t.ask_price.ToString()));
    }
    if (t.volume.raw() < 0 || t.open_interest.raw() < 0) {
      return Refuse(absl::StrCat("book of ", t.symbol.value, ": volume or open interest below 0"));
    }
    s_.book[t.symbol] = BookTop{t.bid_price, t.ask_price, t.time_ms, t.volume, t.open_interest};
    return absl::OkStatus();
  }
  // A record of the skip; the cancel itself (OrderCancelled) closed the order.
  absl::Status operator()(const EntrySkipped&) { return absl::OkStatus(); }
  absl::Status operator()(const FundingPaid& f) {
    if (!FundingFits(s_, f.amount)) return Refuse(absl::StrCat("funding amount ", f.amount.ToString(), " is out of range"));
    (f.amount.raw() >= 0 ? s_.funding_received : s_.funding_paid) += f.amount.Abs();
    s_.balance += f.amount;
    s_.daily_realized_pnl += f.amount;
    UpdateDrawdown(s_);
    return absl::OkStatus();
  }
  absl::Status operator()(const NewsIngested& n) {
    if (n.title.size() > kMaxNewsTitleChars || n.summary.size() > kMaxNewsSummaryChars ||
        n.item_id.size() > kMaxNewsIdChars || n.link.size() > kMaxNewsIdChars || n.source.size() > kMaxNewsIdChars) {
      return Refuse(absl::StrCat("news item of ", n.source, ": text longer than its bound"));
    }
    s_.news_seen.push_back(NewsKey(n.source, n.item_id));
    if (s_.news_seen.size() > kNewsSeenKept) s_.news_seen.erase(s_.news_seen.begin());
    return absl::OkStatus();
  }
  absl::Status operator()(const NewsClassified& n) {
    // Expired blocks are dropped as time passes, so the maps stay small.
    for (auto* until_by_symbol : {&s_.news_blocks, &s_.news_medium_blocks}) {
      absl::erase_if(*until_by_symbol, [&](const auto& kv) { return kv.second <= e_.ts_ns; });
    }
    if (n.block_until_ns > e_.ts_ns && !n.symbol.value.empty()) {
      int64_t& until = (n.risk == NewsRisk::kMedium ? s_.news_medium_blocks : s_.news_blocks)[n.symbol];
      until = std::max(until, n.block_until_ns);
    }
    return absl::OkStatus();
  }
  absl::Status operator()(const SignalComputed&) {
    ++s_.counters.signals;
    return absl::OkStatus();
  }
  absl::Status operator()(const TradeProposed&) {
    ++s_.counters.proposals;
    return absl::OkStatus();
  }
  absl::Status operator()(const RiskApproved&) { return absl::OkStatus(); }
  absl::Status operator()(const RiskRejected&) {
    ++s_.counters.risk_rejections;
    return absl::OkStatus();
  }
  absl::Status operator()(const OrderPlaced& p) {
    if (p.client_order_id.empty()) return Refuse("order without a client order id");
    if (p.qty.raw() <= 0) return Refuse(absl::StrCat("order ", p.client_order_id.value, " has qty <= 0"));
    if (s_.orders.contains(p.client_order_id)) {
      return Refuse(absl::StrCat("duplicate client order id ", p.client_order_id.value));
    }
    Order o;
    o.client_order_id = p.client_order_id;
    o.symbol = p.symbol;
    o.side = p.side;
    o.order_type = p.order_type;
    o.purpose = p.purpose;
    o.qty = p.qty;
    o.price = p.price;
    o.stop_price = p.stop_price;
    o.reduce_only = p.reduce_only;
    o.parent = p.parent;
    o.placed_seq = e_.seq;
    o.placed_ts_ns = e_.ts_ns;
    o.protect_stop = p.protect_stop;
    o.protect_take_profit = p.protect_take_profit;
    o.close_reason = p.close_reason;
    if (p.purpose == OrderPurpose::kEntry && s_.instruments.contains(p.symbol)) {
      Fixed& anchor = s_.entry_anchors[p.symbol].Of(p.side);
      if (anchor.raw() == 0) anchor = p.price;
    }
    s_.orders.emplace(p.client_order_id, std::move(o));
    ++s_.counters.orders_placed;
    return absl::OkStatus();
  }
  absl::Status operator()(const OrderAccepted& a) {
    return Transition(a.client_order_id, OrderReport::kAccepted,
                      [&](Order& o) { o.venue_order_id = a.venue_order_id; });
  }
  absl::Status operator()(const CancelRequested& c) {
    auto o = s_.orders.find(c.client_order_id);
    if (o == s_.orders.end()) {
      return Refuse(absl::StrCat("cancel requested of ", c.client_order_id.value, ", which is not open"));
    }
    o->second.cancel_requested = c.reason;
    return absl::OkStatus();
  }
  absl::Status operator()(const OrderRejected& r) {
    EndIntent(r.client_order_id, "REJECTED");
    ++s_.counters.orders_rejected;
    s_.order_rejects_ns.push_back(e_.ts_ns);
    if (s_.order_rejects_ns.size() > kOrderRejectsKept) s_.order_rejects_ns.erase(s_.order_rejects_ns.begin());
    return Transition(r.client_order_id, OrderReport::kRejected, [](Order&) {});
  }
  absl::Status operator()(const OrderPartialFill& f) { return ApplyFill(f, OrderReport::kPartialFill); }
  absl::Status operator()(const OrderFilled& f) { return ApplyFill(f, OrderReport::kFill); }
  absl::Status operator()(const OrderCancelled& c) {
    EndIntent(c.client_order_id, c.reason);
    return Transition(c.client_order_id, OrderReport::kCancelled, [](Order&) {});
  }
  absl::Status operator()(const OrderExpired& x) {
    EndIntent(x.client_order_id, x.reason);
    return Transition(x.client_order_id, OrderReport::kExpired, [](Order&) {});
  }
  // An entry of an event contract that leaves unfilled for any reason but
  // a reprice ends its intent: the next entry on that side starts afresh.
  // A reprice is what we asked for (its answer may name it otherwise: a
  // cancel answered after a lost reply is CANCELLED_ON_KALSHI).
  void EndIntent(const ClientOrderId& id, absl::string_view reason) {
    auto o = s_.orders.find(id);
    if (o == s_.orders.end() || o->second.purpose != OrderPurpose::kEntry) return;
    if (reason == "REPRICE" || o->second.cancel_requested == "REPRICE") return;
    if (auto a = s_.entry_anchors.find(o->second.symbol); a != s_.entry_anchors.end()) a->second.Of(o->second.side) = Fixed();
  }
  absl::Status operator()(const PositionOpened& p) {
    if (s_.positions.contains(p.symbol)) {
      return Refuse(absl::StrCat("position in ", p.symbol.value, " is already open"));
    }
    if (p.qty.raw() <= 0) return Refuse(absl::StrCat("position in ", p.symbol.value, " with qty <= 0"));
    if (s_.positions.empty()) s_.stats.in_market_since_ns = e_.ts_ns;
    s_.positions.emplace(p.symbol, Position{p.symbol, p.side, p.qty, p.entry_price, p.stop_price,
                                            p.take_profit, p.leverage, p.entry_order, e_.ts_ns,
                                            p.entry_fees});
    return absl::OkStatus();
  }
  absl::Status operator()(const PositionUpdated& u) {
    auto it = s_.positions.find(u.symbol);
    if (it == s_.positions.end()) return Refuse(absl::StrCat("no open position in ", u.symbol.value));
    if (u.qty.raw() <= 0) return Refuse(absl::StrCat("position in ", u.symbol.value, " updated to qty <= 0"));
    it->second.qty = u.qty;
    it->second.entry_price = u.entry_price;
    it->second.stop_price = u.stop_price;
    it->second.take_profit = u.take_profit;
    return absl::OkStatus();
  }
  absl::Status operator()(const PositionClosed& c) {
    auto it = s_.positions.find(c.symbol);
    if (it == s_.positions.end()) return Refuse(absl::StrCat("no open position in ", c.symbol.value));
    if (c.qty.raw() <= 0 || c.qty > it->second.qty) {
      return Refuse(absl::StrCat("close of ", c.qty.ToString(), " ", c.symbol.value,
                                 " does not fit the open ", it->second.qty.ToString()));
    }
    if (auto a = s_.entry_anchors.find(c.symbol); a != s_.entry_anchors.end()) a->second.Of(it->second.side) = Fixed();
    TradeStats& stats = s_.stats;
    const Fixed net = c.realized_pnl - c.fees;
    (net.raw() < 0 ? stats.gross_loss : stats.gross_profit) += net.Abs();
    stats.holding_ns += e_.ts_ns - it->second.opened_ts_ns;
    stats.recent.push_back(ClosedResult{e_.ts_ns, net});
    const int64_t window_start = e_.ts_ns - kRecentCloseDays * kNsPerDay;
    size_t old = 0;
    while (old < stats.recent.size() && (stats.recent[old].ts_ns < window_start ||
                                         stats.recent.size() - old > kRecentClosesKept)) {
      ++old;
    }
    stats.recent.erase(stats.recent.begin(), stats.recent.begin() + static_cast<ptrdiff_t>(old));
    if (c.qty == it->second.qty) {
      s_.positions.erase(it);
      if (s_.positions.empty() && stats.in_market_since_ns > 0) {
        stats.in_market_ns += e_.ts_ns - stats.in_market_since_ns;
        stats.in_market_since_ns = 0;
      }
    } else {
      Position& p = it->second;
      p.entry_fees -= p.entry_fees.Mul(c.qty).Div(p.qty);
      p.qty -= c.qty;
    }
    s_.balance += c.realized_pnl;
    s_.realized_pnl += c.realized_pnl;
    s_.daily_realized_pnl += c.realized_pnl;
    ++s_.counters.trades_closed;
    if ((c.realized_pnl - c.fees).raw() < 0) {
      ++s_.consecutive_losses;
      ++s_.counters.losses;
      s_.loss_times_ns.push_back(e_.ts_ns);
      if (s_.loss_times_ns.size() > kLossTimesKept) s_.loss_times_ns.erase(s_.loss_times_ns.begin());
    } else {
      s_.consecutive_losses = 0;
      ++s_.counters.wins;
    }
    UpdateDrawdown(s_);
    return absl::OkStatus();
  }
  absl::Status operator()(const StopTriggered&) { return absl::OkStatus(); }
  absl::Status operator()(const ProtectiveOrdersVerified& v) {
    s_.protection_failures.erase(v.symbol);
    return absl::OkStatus();
  }
  absl::Status operator()(const ProtectiveOrdersMissing& m) {
    ++s_.protection_failures[m.symbol];
    return absl::OkStatus();
  }
  // A re-placement is not yet protection: the miss count stays until the
  // watchdog verifies both legs, so repeated failures add up.
  absl::Status operator()(const ProtectiveOrdersReplaced&) {
    ++s_.counters.watchdog_recoveries;
    return absl::OkStatus();
  }
  absl::Status operator()(const ReconciliationCompleted&) {
    ++s_.stats.reconciliations_ok;
    s_.reconciliation_consecutive_failures = 0;
    s_.last_reconciliation_ns = e_.ts_ns;
    return absl::OkStatus();
  }
  absl::Status operator()(const ReconciliationFailed&) {
    ++s_.stats.reconciliations_failed;
    ++s_.reconciliation_consecutive_failures;
    return absl::OkStatus();
  }
  absl::Status operator()(const ManualInterventionDetected& m) {
    std::string reason;
    for (const Discrepancy& d : m.discrepancies) {
      absl::StrAppend(&reason, reason.empty() ? "" : ",", EnumName(d.action));
      if (IsReconciliationDiscrepancy(d.action)) ++s_.stats.discrepancies[std::string(EnumName(d.action))];
      if (d.action == InterventionAction::kBalanceMismatch) {
        s_.balance_gap_reported = s_.balance_gap_accepted + (d.actual - d.expected);  // venue - fold
      }
    }
    Set(s_.manual_review, true, reason, "engine");
    return absl::OkStatus();
  }
  // The operator's acknowledgement clears the review gate and the circuit
  // breaker, and starts the loss streak and the drawdown peak afresh, so the
  // breaker does not trip again on the numbers just reviewed.
  absl::Status operator()(const ManualReviewAcknowledged& a) {
    Set(s_.manual_review, false, a.reason, a.who);
    Set(s_.circuit_breaker, false, a.reason, a.who);
    s_.balance_gap_accepted = s_.balance_gap_reported;
    s_.consecutive_losses = 0;
    s_.peak_equity = s_.balance;
    UpdateDrawdown(s_);
    return absl::OkStatus();
  }
  absl::Status operator()(const CircuitBreakerTriggered& c) {
    Set(s_.circuit_breaker, true, absl::StrCat(EnumName(c.rule), ": ", c.reason), "risk");
    return absl::OkStatus();
  }
  absl::Status operator()(const CooldownStarted& c) {
    s_.cooldown_until_ns = std::max(s_.cooldown_until_ns, c.until_ns);
    s_.cooldown_day_utc = s_.day_utc;
    s_.cooldown_reason = absl::StrCat(EnumName(c.rule), ": ", c.reason);
    return absl::OkStatus();
  }
  absl::Status operator()(const UniverseUpdated& u) {
    s_.universe = absl::btree_set<Symbol>(u.symbols.begin(), u.symbols.end());
    // Never 0 once chosen: 0 means "no universe yet".
    s_.universe_updated_ns = std::max<int64_t>(e_.ts_ns, 1);
    return absl::OkStatus();
  }
  absl::Status operator()(const AccountSettingUpdated& a) {
    s_.account_setting_failures.erase(absl::StrCat(a.symbol.value, "/", a.setting));
    return absl::OkStatus();
  }
  absl::Status operator()(const AccountSettingFailed& f) {
    s_.account_setting_failures[absl::StrCat(f.symbol.value, "/", f.setting)] =
        absl::StrCat(f.setting, " ", f.value, " refused", f.code != 0 ? absl::StrCat(" (", f.code, ")") : "", ": ", f.reason);
    return absl::OkStatus();
  }
  absl::Status operator()(const TradingPaused& p) {
    Set(s_.paused, true, p.reason, p.who);
    return absl::OkStatus();
  }
  absl::Status operator()(const TradingResumed& r) {
    Set(s_.paused, false, r.reason, r.who);
    return absl::OkStatus();
  }
  // A record of who did what; its effects are events of their own.
  absl::Status operator()(const OperatorAction&) { return absl::OkStatus(); }
  absl::Status operator()(const PolicyChanged& p) {
    absl::btree_map<std::string, Fixed> rails;
    for (const NamedValue& r : p.rails) {
      if (r.name.empty() || r.value.raw() <= 0 || !rails.emplace(r.name, r.value).second) {
        return Refuse(absl::StrCat("policy rail '", r.name, "' must be named once and positive"));
      }
    }
    s_.policy = std::move(rails);
    s_.policy_seq = e_.seq;
    return absl::OkStatus();
  }
  absl::Status operator()(const StrategyWeightsChanged& w) {
    for (const NamedValue& n : w.weights) {
      if (n.name.empty() || n.value.raw() < 0 || n.value > Fixed::FromInt(1)) {
        return Refuse(absl::StrCat("strategy weight '", n.name, "' must be named and in 0..1"));
      }
    }
    for (const NamedValue& n : w.weights) s_.strategy_weights[n.name] = n.value;
    return absl::OkStatus();
  }
  absl::Status operator()(const ClientIdNonceRotated& r) {
    if (r.old_nonce != s_.client_id_nonce) {
      return Refuse(absl::StrCat("nonce rotation from '", r.old_nonce, "' but the ledger's is '", s_.client_id_nonce, "'"));
    }
    if (r.nonce.empty() || r.nonce == r.old_nonce) return Refuse("a rotated client id nonce must be new and not empty");
    s_.client_id_nonce = r.nonce;
    return absl::OkStatus();
  }
  absl::Status operator()(const TradeCycleCompleted&) {
    ++s_.counters.cycles;
    return absl::OkStatus();
  }
  absl::Status operator()(const InstrumentFiltersUpdated& f) {
    if (f.symbol.empty()) return Refuse("instrument filters without a symbol");
    s_.filters[f.symbol] = f.filters;
    return absl::OkStatus();
  }
  // Evidence for audits; the outcome event that follows changes the state.
  absl::Status operator()(const ReconciliationSnapshot&) { return absl::OkStatus(); }
  absl::Status operator()(const InstrumentDefined& d) {
    if (d.symbol.empty()) return Refuse("instrument without a symbol");
    if (std::string why = InstrumentProblem(d.instrument); !why.empty()) {
      return Refuse(absl::StrCat("instrument ", d.symbol.value, ": ", why));
    }
    s_.instruments[d.symbol] = d.instrument;
    return absl::OkStatus();
  }
  absl::Status operator()(const MarketSettled& m) {
    auto it = s_.instruments.find(m.symbol);
    if (it == s_.instruments.end() || it->second.kind != InstrumentKind::kBinaryEventContract) {
      return Refuse(absl::StrCat("market ", m.symbol.value, " is not a listed event contract (or settled already)"));
    }
    if (m.yes_payout != YesPayout(it->second, m.result)) {
      return Refuse(absl::StrCat("market ", m.symbol.value, " settled ", EnumName(m.result), " pays ",
                                 YesPayout(it->second, m.result).ToString(), " a YES, not ", m.yes_payout.ToString()));
    }
    for (const auto& [id, order] : s_.orders) {
      if (order.symbol == m.symbol) {
        return Refuse(absl::StrCat("market ", m.symbol.value, " settled with order ", id.value, " still open"));
      }
    }
    // Its position is closed at the payout first (PositionClosed SETTLEMENT),
    // while the instrument still says what it is.
    if (s_.positions.contains(m.symbol)) {
      return Refuse(absl::StrCat("market ", m.symbol.value, " settled with our position in it still open"));
    }
    s_.instruments.erase(it);
    s_.filters.erase(m.symbol);
    s_.book.erase(m.symbol);
    s_.entry_anchors.erase(m.symbol);
    return absl::OkStatus();
  }
  absl::Status operator()(const ForecastObserved& f) {
    absl::CivilDay day;
    if (f.city.empty() || !absl::ParseCivilTime(f.climate_day, &day) || absl::FormatCivilTime(day) != f.climate_day) {
      return Refuse(absl::StrCat("forecast of '", f.city, "' for '", f.climate_day, "': no city or no YYYY-MM-DD day"));
    }
    if (f.high_f < Fixed::FromInt(-100) || f.high_f > Fixed::FromInt(150)) {
      return Refuse(absl::StrCat("forecast of ", f.city, " for ", f.climate_day, ": high ", f.high_f.ToString(),
                                 " F is not a temperature"));
    }
    if (f.sigma_f.raw() <= 0 || f.sigma_f > Fixed::FromInt(50)) {
      return Refuse(absl::StrCat("forecast of ", f.city, " for ", f.climate_day, ": error ", f.sigma_f.ToString(),
                                 " F is not a standard deviation"));
    }
    // What a decision saw must have existed when it was made.
    if (f.issued_ms > e_.ts_ns / 1'000'000) {
      return Refuse(absl::StrCat("forecast of ", f.city, " for ", f.climate_day, " issued at ", f.issued_ms,
                                 " ms, after it was observed"));
    }
    auto& days = s_.forecasts[f.city];
    days[f.climate_day] = CityForecast{f.station, f.high_f, f.sigma_f, f.issued_ms, e_.ts_ns, f.source};
    while (days.size() > kForecastDaysKept) days.erase(days.begin());
    return absl::OkStatus();
  }

 private:
  void Set(Flag& f, bool active, const std::string& reason, const std::string& who) {
    f = Flag{active, reason, who, e_.seq};
  }

  template <class Mutate>
  absl::Status Transition(const ClientOrderId& id, OrderReport report, Mutate mutate) {
    auto it = s_.orders.find(id);
    if (it == s_.orders.end()) return Refuse(absl::StrCat("unknown order ", id.value));
    auto next = NextOrderStatus(it->second.status, report);
    if (!next.ok()) {
      return Refuse(absl::StrCat("order ", id.value, ": ", next.status().message()));
    }
    mutate(it->second);
    it->second.status = *next;
    if (IsTerminal(*next)) s_.orders.erase(it);
    return absl::OkStatus();
  }

  absl::Status ApplyFill(const Fill& f, OrderReport report) {
    auto it = s_.orders.find(f.client_order_id);
    if (it == s_.orders.end()) return Refuse(absl::StrCat("fill for unknown order ", f.client_order_id.value));
    Order& o = it->second;
    if (o.trade_ids.contains(f.trade_id)) {
      return Refuse(absl::StrCat("duplicate fill ", f.trade_id.value, " on order ", o.client_order_id.value));
    }
    if (f.qty.raw() <= 0) return Refuse(absl::StrCat("fill with qty <= 0 on order ", o.client_order_id.value));
    const Fixed filled = o.filled_qty + f.qty;
    if (filled > o.qty) {
      return Refuse(absl::StrCat("fill of ", f.qty.ToString(), " overfills order ",
                                 o.client_order_id.value, " (", o.filled_qty.ToString(), " of ",
                                 o.qty.ToString(), " filled)"));
    }
    if (report == OrderReport::kFill && filled != o.qty) {
      return Refuse(absl::StrCat("OrderFilled leaves order ", o.client_order_id.value,
                                 " with ", (o.qty - filled).ToString(), " unfilled"));
    }
    if (report == OrderReport::kPartialFill && filled == o.qty) {
      return Refuse(absl::StrCat("OrderPartialFill completes order ", o.client_order_id.value));
    }
    const Fixed fill_fee = f.fee;
    // An event contract's entry filling in pieces: each later piece's fee is
    // part of the position's entry fees (its first one came with
    // PositionOpened). Linear perpetuals keep their journaled arithmetic.
    Position* adding_to = nullptr;
    if (auto pos = s_.positions.find(o.symbol); pos != s_.positions.end() && o.purpose == OrderPurpose::kEntry &&
                                                InstrumentOf(s_, o.symbol).kind == InstrumentKind::kBinaryEventContract) {
      adding_to = &pos->second;
    }
    return Transition(f.client_order_id, report, [&](Order& order) {
      if (adding_to != nullptr) adding_to->entry_fees += fill_fee;
      order.avg_fill_price =
          (order.avg_fill_price.Mul(order.filled_qty) + f.price.Mul(f.qty)).Div(filled);
      order.filled_qty = filled;
      order.fees += fill_fee;
      order.trade_ids.insert(f.trade_id);
      ++s_.counters.fills;
      Charge(s_, fill_fee);
    });
  }

  State& s_;
  const Event& e_;
};

}  // namespace

DayMark MarkOf(const State& s) {
  return DayMark{s.balance, s.realized_pnl, s.fees_paid, s.funding_received, s.funding_paid, s.counters};
}

Fixed FundingAmount(Side side, Fixed qty, Fixed mark_price, Fixed rate) {
  const Fixed owed = qty.Mul(mark_price).Mul(rate);  // what a long pays
  return side == Side::kBuy ? -owed : owed;
}

bool FundingFits(const State& s, Fixed amount) {
  const Fixed total = amount.raw() >= 0 ? s.funding_received : s.funding_paid;
  return total.CheckedAdd(amount.Abs()) && s.balance.CheckedAdd(amount) && s.daily_realized_pnl.CheckedAdd(amount);
}

bool State::NewsBlocked(const Symbol& symbol, int64_t now_ns) const {
  auto it = news_blocks.find(symbol);
  return it != news_blocks.end() && it->second > now_ns;
}

bool State::NewsMediumBlocked(const Symbol& symbol, int64_t now_ns) const {
  auto it = news_medium_blocks.find(symbol);
  return it != news_medium_blocks.end() && it->second > now_ns;
}

uint64_t NewsKey(const std::string& source, const std::string& item_id) {
  uint64_t h = 14695981039346656037ull;
  auto mix = [&h](unsigned char c) { h = (h ^ c) * 1099511628211ull; };
  for (char c : source) mix(static_cast<unsigned char>(c));
  mix(0);
  for (char c : item_id) mix(static_cast<unsigned char>(c));
  return h;
}

bool State::NewsSeen(const std::string& source, const std::string& item_id) const {
  return std::find(news_seen.begin(), news_seen.end(), NewsKey(source, item_id)) != news_seen.end();
}

std::string State::AccountSettingFailure(const Symbol& symbol) const {
  const std::string prefix = absl::StrCat(symbol.value, "/");
  std::string out;
  for (const auto& [key, why] : account_setting_failures) {
    if (absl::StartsWith(key, prefix) || absl::StartsWith(key, "/")) absl::StrAppend(&out, out.empty() ? "" : "; ", why);
  }
  return out;
}

// Books are bounded (kMaxBookPrice: the fold refuses others), so neither
// the mid nor the spread times 100 can overflow.
Fixed BookTop::SpreadPct() const {
  const Fixed spread = ask - bid;
  const Fixed mid = bid + spread.Div(Fixed::FromInt(2));
  if (mid.raw() <= 0) return Fixed();
  return spread.Mul(Fixed::FromInt(100)).Div(mid);
}

Fixed State::DailyPnlPct() const {
  if (daily_start_equity.raw() <= 0) return Fixed();
  return daily_realized_pnl.Div(daily_start_equity).Mul(Fixed::FromInt(100));
}

absl::Status Apply(State& state, const Event& event) {
  if (event.seq != state.last_seq + 1) {
    return absl::FailedPreconditionError(absl::StrCat("event seq ", event.seq, " does not follow ",
                                                      state.last_seq));
  }
  // The UTC day rolls on any event, so daily PnL reads 0 on a quiet new day.
  const int64_t day = FloorDiv(event.ts_ns, kNsPerDay);
  const bool new_day = day != state.day_utc;
  const int64_t saved_day = state.day_utc;
  const Fixed saved_pnl = state.daily_realized_pnl, saved_start = state.daily_start_equity;
  std::optional<std::pair<DayMark, DaySummary>> saved_days;
  if (new_day) saved_days.emplace(state.day_start, state.last_day);
  const int64_t saved_first_ts = state.stats.first_ts_ns;
  if (state.counters.events == 0) state.stats.first_ts_ns = event.ts_ns;
  if (new_day) {
    if (state.counters.events > 0) {  // the day that ends (none before the first event)
      state.last_day = DaySummary{state.day_utc, state.day_start, MarkOf(state),
                                  static_cast<uint32_t>(state.positions.size()), state.drawdown_pct};
    }
    state.day_utc = day;
    state.daily_realized_pnl = Fixed();
    state.daily_start_equity = state.balance;
    state.day_start = MarkOf(state);
  }
  absl::Status st = std::visit(Folder(state, event), event.body);
  if (!st.ok()) {
    state.stats.first_ts_ns = saved_first_ts;
    if (new_day) {
      state.day_utc = saved_day;
      state.daily_realized_pnl = saved_pnl;
      state.daily_start_equity = saved_start;
      std::tie(state.day_start, state.last_day) = *saved_days;
    }
    return st;
  }
  state.last_seq = event.seq;
  state.last_ts_ns = event.ts_ns;
  ++state.counters.events;
  return absl::OkStatus();
}

std::string EncodeState(const State& state) {
  std::string out;
  wire::Writer w(&out);
  w.PutInt<uint16_t>(kStateSchemaVersion);
  wire::Put(w, state);
  return out;
}

absl::StatusOr<State> DecodeState(absl::string_view bytes) {
  wire::Reader r(bytes);
  const auto version = r.GetInt<uint16_t>();
  if (r.ok() && version != kStateSchemaVersion) {
    return absl::InvalidArgumentError(absl::StrCat("state schema version ", version,
                                                   " is not this build's (", kStateSchemaVersion, ")"));
  }
  State s;
  wire::Get(r, s);
  if (!r.ok() || !r.at_end()) return absl::InvalidArgumentError("malformed state snapshot");
  return s;
}

std::string StateToJson(const State& state) { return json::ToJson(state); }

}  // namespace apollo
