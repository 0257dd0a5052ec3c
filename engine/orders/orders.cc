// Order manager: see orders.h.
#include "engine/orders/orders.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "engine/domain/instrument.h"

namespace apollo::orders {
namespace {

bool IsOpen(const Order& o) { return o.status != OrderStatus::kFilled && o.status != OrderStatus::kCancelled &&
                                     o.status != OrderStatus::kRejected && o.status != OrderStatus::kExpired; }

bool IsReduceLeg(const Order& o) {
  return o.purpose == OrderPurpose::kStopLoss || o.purpose == OrderPurpose::kTakeProfit ||
         o.purpose == OrderPurpose::kExit;
}

NewOrder Protective(const Position& p, OrderPurpose purpose, Fixed qty) {
  NewOrder n;
  n.leg = purpose == OrderPurpose::kStopLoss ? 'S' : 'T';
  OrderPlaced& o = n.order;
  o.symbol = p.symbol;
  o.side = Opposite(p.side);
  o.order_type = purpose == OrderPurpose::kStopLoss ? OrderType::kStopMarket : OrderType::kTakeProfitMarket;
  o.purpose = purpose;
  o.qty = qty;
  o.stop_price = purpose == OrderPurpose::kStopLoss ? p.stop_price : p.take_profit;
  o.reduce_only = true;
  o.parent = p.entry_order;
  return n;
}

// A protective leg for the position as it is: the stop for all of it, the
// take-profit for its share.
NewOrder Leg(const State& s, const Position& p, OrderPurpose purpose, const config::Config& cfg) {
  return Protective(p, purpose, purpose == OrderPurpose::kTakeProfit ? TakeProfitQty(s, p, cfg) : p.qty);
}

// The open protective legs of a symbol's position.
struct Legs {
  bool stop_loss = false, take_profit = false, exit = false;
};
Legs OpenLegs(const State& s, const Symbol& symbol) {
  Legs legs;
  for (const auto& [id, o] : s.orders) {
    if (o.symbol != symbol || !IsOpen(o)) continue;
    legs.stop_loss |= o.purpose == OrderPurpose::kStopLoss;
    legs.take_profit |= o.purpose == OrderPurpose::kTakeProfit;
    legs.exit |= o.purpose == OrderPurpose::kExit;
  }
  return legs;
}

// An accepted stop-loss of `symbol` at `stop_price` is on the venue.
bool HasAcceptedStopAt(const State& s, const Symbol& symbol, Fixed stop_price) {
  return std::any_of(s.orders.begin(), s.orders.end(), [&](const auto& kv) {
    const Order& o = kv.second;
    return o.symbol == symbol && o.purpose == OrderPurpose::kStopLoss && o.status == OrderStatus::kAccepted &&
           o.stop_price == stop_price;
  });
}

CloseReason ReasonOf(const Order& o) {
  if (o.purpose == OrderPurpose::kStopLoss) return CloseReason::kStopLoss;
  if (o.purpose == OrderPurpose::kTakeProfit) return CloseReason::kTakeProfit;
  return o.close_reason;
}

// A fill on an entry opens (or adds to) the position; once the entry is
// complete, the position gets its stop-loss and take-profit.
void OnEntryFill(const State& s, const Order& o, const Fill& f, bool completes, const config::Config& cfg, Plan& plan) {
  auto it = s.positions.find(o.symbol);
  Position p;
  if (it == s.positions.end()) {
    // An event contract is paid in full: no leverage.
    const bool binary = InstrumentOf(s, o.symbol).kind == InstrumentKind::kBinaryEventContract;
    p = Position{o.symbol, o.side, f.qty, f.price, o.protect_stop, o.protect_take_profit,
                 binary ? Fixed::FromInt(1) : cfg.risk.default_leverage, o.client_order_id, 0, f.fee};
    plan.events.push_back(PositionOpened{p.symbol, p.side, p.qty, p.entry_price, p.stop_price, p.take_profit,
                                         p.leverage, p.entry_order, p.entry_fees});
  } else {
    p = it->second;
    const Fixed qty = p.qty + f.qty;
    p.entry_price = (p.entry_price.Mul(p.qty) + f.price.Mul(f.qty)).Div(qty);
    p.qty = qty;
    plan.events.push_back(PositionUpdated{p.symbol, p.qty, p.entry_price, p.stop_price, p.take_profit, "ENTRY_FILL"});
  }
  if (!completes) return;
  if (p.stop_price.raw() > 0) plan.orders.push_back(Leg(s, p, OrderPurpose::kStopLoss, cfg));
  if (p.take_profit.raw() > 0) plan.orders.push_back(Leg(s, p, OrderPurpose::kTakeProfit, cfg));
}

// A fill on a reduce-only leg closes (part of) the position; a position
// closed in full takes its remaining legs with it (OCO). A partial
// take-profit, once filled, leaves the rest to the stop.
void OnCloseFill(const State& s, const Order& o, const Fill& f, bool completes, Plan& plan) {
  auto it = s.positions.find(o.symbol);
  if (it == s.positions.end()) return;
  const Position& p = it->second;
  const Fixed qty = std::min(f.qty, p.qty);
  const Fixed entry_fee_share = qty == p.qty ? p.entry_fees : p.entry_fees.Mul(qty).Div(p.qty);
  plan.events.push_back(PositionClosed{p.symbol, p.side, qty, p.entry_price, f.price, PricePnl(p, qty, f.price),
                                       entry_fee_share + f.fee, ReasonOf(o)});
  if (qty != p.qty) {
    if (o.purpose == OrderPurpose::kTakeProfit && completes) {
      plan.events.push_back(PositionUpdated{p.symbol, p.qty - qty, p.entry_price, p.stop_price, Fixed(),
                                            "TAKE_PROFIT_PARTIAL"});
    }
    return;
  }
  for (const auto& [id, other] : s.orders) {
    if (other.symbol == o.symbol && id != o.client_order_id && IsOpen(other) && other.reduce_only) {
      plan.cancels.push_back(Cancel(id, "OCO"));
    }
  }
}

// A stop-loss or take-profit of an open position cancelled on the venue by
// someone else: as with a position closed by hand, the fact is journaled
// and a person must look (manual review holds new entries); the position is
// not left naked meanwhile when the watchdog may re-place protection.
void OnExternalCancel(const State& s, const Order& o, const config::Config& cfg, Plan& plan) {
  if (o.purpose != OrderPurpose::kStopLoss && o.purpose != OrderPurpose::kTakeProfit) return;
  auto it = s.positions.find(o.symbol);
  if (it == s.positions.end()) return;
  const bool replace = cfg.watchdog.auto_recover && !OpenLegs(s, o.symbol).exit;
  const char* leg = o.purpose == OrderPurpose::kStopLoss ? "stop-loss" : "take-profit";
  plan.events.push_back(ManualInterventionDetected{{Discrepancy{
      InterventionAction::kProtectiveOrderMissing, o.symbol, o.client_order_id, o.qty - o.filled_qty, Fixed(),
      absl::StrCat(leg, " cancelled on the venue, not by Apollo; ",
                   replace ? "re-placed" : "not re-placed (watchdog.auto_recover is false)")}}});
  if (!replace) return;
  plan.orders.push_back(Leg(s, it->second, o.purpose, cfg));
  plan.replaced = true;
}

}  // namespace

ClientOrderId MakeClientOrderId(Mode mode, absl::string_view nonce, uint64_t seq, char leg) {
  if (nonce.empty()) return ClientOrderId{absl::StrCat("ap-", EnumName(mode).substr(0, 1), seq, "-", std::string(1, leg))};
  return ClientOrderId{absl::StrCat("ap-", EnumName(mode).substr(0, 1), nonce, "-", seq, "-", std::string(1, leg))};
}

std::string ClientIdNonce(uint64_t random_bits) {
  static constexpr char kAlphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string nonce;
  for (size_t i = 0; i < kClientIdNonceChars; ++i) {
    nonce.push_back(kAlphabet[random_bits % 36]);
    random_bits /= 36;
  }
  return nonce;
}

NewOrder EntryOrder(const TradeProposed& t) {
  NewOrder n;
  n.leg = 'E';
  OrderPlaced& o = n.order;
  o.symbol = t.symbol;
  o.side = t.side;
  o.order_type = t.entry_type;
  o.purpose = OrderPurpose::kEntry;
  o.qty = t.qty;
  o.price = t.entry_type == OrderType::kLimit ? t.entry_price : Fixed();
  o.protect_stop = t.stop_price;
  o.protect_take_profit = t.take_profit_price;
  return n;
}

NewOrder ExitOrder(const Position& p, CloseReason reason) {
  NewOrder n;
  n.leg = 'X';
  OrderPlaced& o = n.order;
  o.symbol = p.symbol;
  o.side = Opposite(p.side);
  o.order_type = OrderType::kMarket;
  o.purpose = OrderPurpose::kExit;
  o.qty = p.qty;
  o.reduce_only = true;
  o.parent = p.entry_order;
  o.close_reason = reason;
  return n;
}

Plan React(const State& before, const EventBody& report, const config::Config& cfg) {
  Plan plan;
  const Fill* fill = nullptr;
  bool completes = false;
  if (auto* f = std::get_if<OrderFilled>(&report)) {
    fill = f;
    completes = true;
  } else if (auto* p = std::get_if<OrderPartialFill>(&report)) {
    fill = p;
  } else if (auto* c = std::get_if<OrderCancelled>(&report); c != nullptr && c->reason == kCancelledExternally) {
    auto it = before.orders.find(c->client_order_id);
    if (it != before.orders.end()) OnExternalCancel(before, it->second, cfg, plan);
    return plan;
  } else if (c != nullptr && c->reason == kEntryExpired && cfg.execution.entry_lifecycle_enabled) {
    auto it = before.orders.find(c->client_order_id);
    if (it != before.orders.end() && it->second.purpose == OrderPurpose::kEntry) {
      const Order& o = it->second;
      plan.events.push_back(EntrySkipped{o.symbol, o.side, o.client_order_id, o.qty, o.filled_qty, o.price,
                                         std::string(kEntryExpired), EntryTimeoutSec(cfg)});
    }
    return plan;
  }
  if (fill == nullptr) return plan;
  auto it = before.orders.find(fill->client_order_id);
  if (it == before.orders.end()) return plan;
  const Order& o = it->second;
  if (o.purpose == OrderPurpose::kEntry) {
    OnEntryFill(before, o, *fill, completes, cfg, plan);
  } else if (IsReduceLeg(o)) {
    OnCloseFill(before, o, *fill, completes, plan);
  }
  return plan;
}

Fixed TakeProfitQty(const State& state, const Position& p, const config::Config& cfg) {
  const Fixed hundred = Fixed::FromInt(100);
  if (cfg.strategy.exit.tp_partial_pct >= hundred) return p.qty;
  Fixed share = p.qty.Mul(cfg.strategy.exit.tp_partial_pct).Div(hundred);
  if (auto f = state.filters.find(p.symbol); f != state.filters.end()) {
    const InstrumentFilters& venue = f->second;
    if (venue.step_size.raw() > 0) share = share.FloorTo(venue.step_size);
    if (share < venue.min_qty || share.Mul(p.take_profit) < venue.min_notional) return p.qty;
  }
  return share.raw() <= 0 || share >= p.qty ? p.qty : share;
}

Plan TrailStop(const State& s, const Symbol& symbol, Fixed close, Fixed atr, const config::Config& cfg) {
  Plan plan;
  const config::ExitConfig& x = cfg.strategy.exit;
  auto it = s.positions.find(symbol);
  if (x.trailing_start_atr.raw() <= 0 || atr.raw() <= 0 || close.raw() <= 0 || it == s.positions.end()) return plan;
  const Position& p = it->second;
  const bool is_long = p.side == Side::kBuy;
  if ((is_long ? close - p.entry_price : p.entry_price - close) < x.trailing_start_atr.Mul(atr)) return plan;
  const Fixed distance = x.trailing_distance_atr.Mul(atr);
  Fixed stop = is_long ? close - distance : close + distance;
  if (auto f = s.filters.find(symbol); f != s.filters.end() && f->second.tick_size.raw() > 0) {
    const Fixed tick = f->second.tick_size;
    const Fixed floor = stop.FloorTo(tick);
    stop = is_long || floor == stop ? floor : floor + tick;  // away from the price
  }
  const Order* old = nullptr;
  for (const auto& [id, o] : s.orders) {
    if (o.symbol != symbol || !IsOpen(o)) continue;
    if (o.purpose == OrderPurpose::kExit) return plan;  // being closed
    if (o.purpose != OrderPurpose::kStopLoss) continue;
    if (old != nullptr || o.status != OrderStatus::kAccepted) return plan;  // a replacement under way
    old = &o;
  }
  if (old == nullptr) return plan;  // the watchdog's to place
  // Never wider than the stop on the venue (the position's is the same,
  // unless a move was journaled whose order never reached the venue).
  if (stop.raw() <= 0 || (is_long ? stop <= old->stop_price : stop >= old->stop_price)) return plan;
  Position moved = p;
  moved.stop_price = stop;
  plan.events.push_back(PositionUpdated{symbol, p.qty, p.entry_price, stop, p.take_profit, "TRAILING_STOP"});
  plan.orders.push_back(Protective(moved, OrderPurpose::kStopLoss, p.qty));
  plan.cancels.push_back(CancelOrder{old->client_order_id, "TRAILING_REPLACED", {}, /*after_new_stop=*/true});
  return plan;
}

int64_t EntryTimeoutSec(const config::Config& cfg) {
  const config::ExecutionConfig& x = cfg.execution;
  if (!x.entry_lifecycle_enabled) return x.entry_max_duration_sec;
  int64_t timeout = x.entry_fallback_timeout_sec;
  if (x.entry_timeout_mode == "timeframe") {
    timeout = config::ParseTimeframe(cfg.strategy.entry_timeframe).value_or(timeout);
  }
  return std::min<int64_t>(timeout, x.entry_max_duration_sec);
}

Fixed PricePnl(const Position& p, Fixed qty, Fixed price) {
  const Fixed move = p.side == Side::kBuy ? price - p.entry_price : p.entry_price - price;
  return move.Mul(qty);
}

std::vector<EventBody> SettlementEvents(const State& state, const MarketSettled& settled) {
  std::vector<EventBody> out;
  for (const auto& [id, o] : state.orders) {
    if (o.symbol == settled.symbol) out.push_back(OrderCancelled{id, "MARKET_SETTLED"});
  }
  if (auto it = state.positions.find(settled.symbol); it != state.positions.end()) {
    const Position& p = it->second;
    out.push_back(PositionClosed{p.symbol, p.side, p.qty, p.entry_price, settled.yes_payout,
                                 PricePnl(p, p.qty, settled.yes_payout), p.entry_fees, CloseReason::kSettlement});
  }
  out.push_back(settled);
  return out;
}

std::vector<CancelOrder> Housekeeping(const State& state, const config::Config& cfg, int64_t now_ns) {
  std::vector<CancelOrder> out;
  // Within half a base bar: with a wall clock (testnet, live) a step runs a
  // little before or after the bar's close, so "one bar old" may read as a
  // few ms short of it, which must not keep the entry a whole bar more.
  const int64_t half_bar_ns = config::ParseTimeframe(cfg.run.interval).value_or(0) * 500'000'000;
  const int64_t max_age_ns = EntryTimeoutSec(cfg) * 1'000'000'000 - half_bar_ns;
  for (const auto& [id, o] : state.orders) {
    // Only orders the venue has: a PLACED order is resolved at start-up first.
    if (o.status != OrderStatus::kAccepted && o.status != OrderStatus::kPartiallyFilled) continue;
    auto pos = state.positions.find(o.symbol);
    if (o.reduce_only && pos == state.positions.end()) {
      out.push_back(Cancel(id, "OCO"));
    } else if (o.purpose == OrderPurpose::kStopLoss && pos != state.positions.end() &&
               o.stop_price != pos->second.stop_price &&
               HasAcceptedStopAt(state, o.symbol, pos->second.stop_price)) {
      out.push_back(Cancel(id, "TRAILING_REPLACED"));
    } else if (o.purpose == OrderPurpose::kEntry && o.order_type == OrderType::kLimit &&
               now_ns - o.placed_ts_ns >= max_age_ns &&
               InstrumentOf(state, o.symbol).kind != InstrumentKind::kBinaryEventContract) {
      // (An event contract's limit entry rests until its market closes.)
      out.push_back(Cancel(id, std::string(kEntryExpired)));
    }
  }
  return out;
}

Plan Watchdog(const State& state, const config::Config& cfg) {
  Plan plan;
  for (const auto& [symbol, p] : state.positions) {
    const Legs legs = OpenLegs(state, symbol);
    if (legs.exit) continue;  // being closed
    const bool sl_missing = p.stop_price.raw() > 0 && !legs.stop_loss;
    const bool tp_missing = p.take_profit.raw() > 0 && !legs.take_profit;
    auto failures = state.protection_failures.find(symbol);
    const uint32_t misses = failures == state.protection_failures.end() ? 0 : failures->second;
    if (!sl_missing && !tp_missing) {
      if (misses > 0) plan.events.push_back(ProtectiveOrdersVerified{symbol, {}, {}});
      continue;
    }
    plan.events.push_back(ProtectiveOrdersMissing{symbol, sl_missing, tp_missing});
    if (!cfg.watchdog.auto_recover) {
      // The operator re-places it; the gate makes sure someone looks.
      if (misses == 0) {
        plan.events.push_back(ManualInterventionDetected{{Discrepancy{
            InterventionAction::kProtectiveOrderMissing, symbol, {}, Fixed(), Fixed(),
            "protection missing and watchdog.auto_recover is false"}}});
      }
    } else if (misses + 1 >= kWatchdogMissesBeforeFlatten) {
      Discrepancy d{InterventionAction::kProtectiveOrderMissing, symbol, {}, Fixed(), Fixed(),
                    absl::StrCat("protection missing ", misses + 1, " times in a row; position flattened")};
      plan.events.push_back(ManualInterventionDetected{{d}});
      plan.orders.push_back(ExitOrder(p, CloseReason::kWatchdogFlatten));
    } else {
      if (sl_missing) plan.orders.push_back(Leg(state, p, OrderPurpose::kStopLoss, cfg));
      if (tp_missing) plan.orders.push_back(Leg(state, p, OrderPurpose::kTakeProfit, cfg));
      plan.replaced = true;
    }
  }
  return plan;
}

}  // namespace apollo::orders
