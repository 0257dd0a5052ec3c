#include "engine/venue/kalshi/tape_venue.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/venue/kalshi/fees.h"
#include "engine/venue/kalshi/units.h"

namespace apollo::venue::kalshi {

Reports TapeVenue::Submit(const Order& order) {
  auto reject = [&](std::string why) -> Reports {
    return {OrderRejected{order.client_order_id, 400, absl::StrCat("kalshi paper: ", why)}};
  };
  if (order.order_type != OrderType::kLimit) return reject("only limit orders");
  if (!IsTradablePrice(order.price)) return reject(absl::StrCat("price ", order.price.ToString(), " is not tradable"));
  if (!IsContractCount(order.qty)) return reject(absl::StrCat("count ", order.qty.ToString(), " is not tradable"));
  resting_[order.client_order_id] = Resting{order, order.qty, next_arrival_++};
  return {OrderAccepted{order.client_order_id, VenueOrderId{absl::StrCat("kp-", next_venue_id_++)}}};
}

Reports TapeVenue::Cancel(const Order& order, const std::string& reason) {
  if (resting_.erase(order.client_order_id) == 0) return {};
  return {OrderCancelled{order.client_order_id, reason}};
}

absl::StatusOr<Reports> TapeVenue::Query(const Order& order) {
  return absl::NotFoundError(absl::StrCat("order ", order.client_order_id.value, " was never received"));
}

Reports TapeVenue::OnTrades(std::span<const RecordedTrade> trades) {
  Reports out;
  for (const RecordedTrade& t : trades) {
    std::vector<Resting*> crossed;
    for (auto& [id, r] : resting_) {
      if (r.order.symbol != t.ticker) continue;
      if (PrintFills(r.order.side == Side::kBuy, r.order.price, t.yes_price, t.taker_bought_yes)) crossed.push_back(&r);
    }
    std::sort(crossed.begin(), crossed.end(), [](const Resting* a, const Resting* b) { return a->arrival < b->arrival; });
    Fixed left_in_print = t.count;
    for (Resting* r : crossed) {
      if (left_in_print.raw() <= 0) break;
      const Fixed qty = std::min(r->left, left_in_print);
      left_in_print -= qty;
      r->left -= qty;
      const Fixed fee = TradeFee(FeeRole::kTaker, qty, r->order.price).value_or(Fixed());
      const bool completes = r->left.raw() <= 0;
      out.push_back(FillReport(Fill{r->order.client_order_id, TradeId{t.trade_id}, r->order.price, qty, fee}, completes));
      if (completes) resting_.erase(r->order.client_order_id);
    }
  }
  return out;
}

void TapeVenue::Restore(const State& state) {
  std::vector<const Order*> open;
  for (const auto& [id, o] : state.orders) {
    if (o.status == OrderStatus::kAccepted || o.status == OrderStatus::kPartiallyFilled) open.push_back(&o);
  }
  std::sort(open.begin(), open.end(), [](const Order* a, const Order* b) { return a->placed_seq < b->placed_seq; });
  for (const Order* o : open) resting_[o->client_order_id] = Resting{*o, o->qty - o->filled_qty, next_arrival_++};
}

Reports TapeVenue::CloseMarket(const Symbol& ticker) {
  Reports out;
  for (auto it = resting_.begin(); it != resting_.end();) {
    if (it->second.order.symbol == ticker) {
      out.push_back(OrderCancelled{it->first, "MARKET_CLOSED"});
      it = resting_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

}  // namespace apollo::venue::kalshi
