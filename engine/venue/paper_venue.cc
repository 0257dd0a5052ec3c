// Paper venue: see paper_venue.h for the fill model.
#include "engine/venue/paper_venue.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace apollo::venue {
namespace {

const Fixed kBpsDenominator = Fixed::FromInt(10000);
const Fixed kPctDenominator = Fixed::FromInt(100);

bool IsProtective(const Order& o) {
  return o.purpose == OrderPurpose::kStopLoss || o.purpose == OrderPurpose::kTakeProfit;
}

// Whether a stop or take-profit order's trigger is already crossed at `price`.
bool TriggersAt(const Order& o, Fixed price) {
  const bool sell = o.side == Side::kSell;
  if (o.order_type == OrderType::kStopMarket) return sell ? price <= o.stop_price : price >= o.stop_price;
  if (o.order_type == OrderType::kTakeProfitMarket) return sell ? price >= o.stop_price : price <= o.stop_price;
  return false;
}

// Whether the bar's range crossed the order's trigger or limit.
bool TouchedBy(const Order& o, const CandleClose& bar) {
  const bool sell = o.side == Side::kSell;
  switch (o.order_type) {
    case OrderType::kStopMarket: return sell ? bar.low <= o.stop_price : bar.high >= o.stop_price;
    case OrderType::kTakeProfitMarket: return sell ? bar.high >= o.stop_price : bar.low <= o.stop_price;
    case OrderType::kLimit: return sell ? bar.high >= o.price : bar.low <= o.price;
    case OrderType::kMarket: return true;
  }
  return false;
}

// The price a touched order executes at before slippage: its level, or the
// open when the bar opened beyond it (a gap fills at the worse price for
// stops and at the better one for take-profits and limits).
Fixed TouchPrice(const Order& o, const CandleClose& bar) {
  const bool sell = o.side == Side::kSell;
  switch (o.order_type) {
    case OrderType::kStopMarket: return sell ? std::min(o.stop_price, bar.open) : std::max(o.stop_price, bar.open);
    case OrderType::kTakeProfitMarket: return sell ? std::max(o.stop_price, bar.open) : std::min(o.stop_price, bar.open);
    case OrderType::kLimit: return sell ? std::max(o.price, bar.open) : std::min(o.price, bar.open);
    case OrderType::kMarket: return bar.open;
  }
  return bar.open;
}

// Order in which resting orders are matched within one bar: stops first.
int MatchRank(OrderType t) {
  switch (t) {
    case OrderType::kStopMarket: return 0;
    case OrderType::kTakeProfitMarket: return 1;
    case OrderType::kLimit: return 2;
    case OrderType::kMarket: return 3;
  }
  return 4;
}

}  // namespace

Fixed PaperVenue::Slipped(Fixed price, const Order& order) const {
  const Fixed slip = price.Mul(cfg_.slippage_base_bps).Div(kBpsDenominator);
  const Fixed raw = order.side == Side::kBuy ? price + slip : price - slip;
  // On the symbol's own tick (as journaled), not paper_sim's: ADAUSDT's is 0.0001.
  auto f = state_->filters.find(order.symbol);
  const Fixed tick = f != state_->filters.end() && f->second.tick_size.raw() > 0 ? f->second.tick_size : cfg_.price_tick;
  return raw.RoundTo(tick);
}

Fixed PaperVenue::Fee(Fixed price, Fixed qty, bool maker) const {
  return price.Mul(qty).Mul(maker ? cfg_.maker_fee_pct : cfg_.taker_fee_pct).Div(kPctDenominator);
}

Fill PaperVenue::FillOf(const Order& order, Fixed price, Fixed qty, bool maker) const {
  Fill f;
  f.client_order_id = order.client_order_id;
  f.trade_id = TradeId{absl::StrCat("P-", order.client_order_id.value, "-", order.trade_ids.size() + 1)};
  f.price = price;
  f.qty = qty;
  f.fee = Fee(price, qty, maker);
  return f;
}

Reports PaperVenue::Submit(const Order& order) {
  auto reject = [&](int32_t code, std::string why) {
    return Reports{OrderRejected{order.client_order_id, code, std::move(why)}};
  };
  if (reject_protective_ > 0 && IsProtective(order)) {
    --reject_protective_;
    return reject(-2021, "Order would immediately trigger. (injected fault)");
  }
  auto bar = state_->last_bars.find(order.symbol);
  if (bar == state_->last_bars.end()) return reject(-1121, "Invalid symbol: no market data yet.");
  const Fixed last = bar->second.close;
  auto pos = state_->positions.find(order.symbol);
  if (order.reduce_only && (pos == state_->positions.end() || pos->second.side == order.side)) {
    return reject(-2022, "ReduceOnly Order is rejected.");
  }
  if (TriggersAt(order, last)) return reject(-2021, "Order would immediately trigger.");

  Reports out{OrderAccepted{order.client_order_id, VenueOrderId{absl::StrCat("P", order.client_order_id.value)}}};
  if (order.order_type == OrderType::kMarket) {
    Fixed qty = order.qty;
    if (order.reduce_only) qty = std::min(qty, pos->second.qty);
    out.push_back(FillReport(FillOf(order, Slipped(last, order), qty, /*maker=*/false), qty == order.qty));
    if (qty != order.qty) out.push_back(OrderExpired{order.client_order_id, "REDUCE_ONLY_POSITION_SMALLER"});
  }
  return out;
}

Reports PaperVenue::Cancel(const Order& order, const std::string& reason) {
  return Reports{OrderCancelled{order.client_order_id, reason}};
}

// The paper venue only ever hears of an order through Submit, whose reports
// are journaled with it; an order still PLACED in the ledger never reached it.
absl::StatusOr<Reports> PaperVenue::Query(const Order& order) {
  return absl::NotFoundError(absl::StrCat("order ", order.client_order_id.value, " unknown to the paper venue"));
}

Reports PaperVenue::OnBar(const State& state, const CandleClose& bar) {
  std::vector<const Order*> resting;
  for (const auto& [id, o] : state.orders) {
    if (o.symbol == bar.symbol && (o.status == OrderStatus::kAccepted || o.status == OrderStatus::kPartiallyFilled)) {
      resting.push_back(&o);
    }
  }
  std::stable_sort(resting.begin(), resting.end(),
                   [](const Order* a, const Order* b) { return MatchRank(a->order_type) < MatchRank(b->order_type); });
  auto pos = state.positions.find(bar.symbol);
  Fixed position_left = pos == state.positions.end() ? Fixed() : pos->second.qty;
  Reports out;
  for (const Order* o : resting) {
    if (!TouchedBy(*o, bar)) continue;
    const Fixed remaining = o->qty - o->filled_qty;
    Fixed qty = remaining;
    if (o->reduce_only) {
      if (position_left.is_zero() || pos->second.side == o->side) continue;  // left for the OCO cancel
      qty = std::min(remaining, position_left);
      position_left -= qty;
    }
    const bool maker = o->order_type == OrderType::kLimit;
    const Fixed touch = TouchPrice(*o, bar);
    const Fixed price = maker ? touch : Slipped(touch, *o);
    if (o->order_type == OrderType::kStopMarket || o->order_type == OrderType::kTakeProfitMarket) {
      out.push_back(StopTriggered{o->symbol, o->client_order_id, o->stop_price});
    }
    out.push_back(FillReport(FillOf(*o, price, qty, maker), qty == remaining));
    if (qty != remaining) out.push_back(OrderExpired{o->client_order_id, "REDUCE_ONLY_POSITION_SMALLER"});
  }
  return out;
}

}  // namespace apollo::venue
